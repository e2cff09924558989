//! Timing plugin calls against each other on a shared, noisy machine.

use std::time::{Duration, Instant};

use wharf_plugin_sdk::{Batch, BatchBuilder, ValueRef};

/// How many samples a measurement takes, and about how long each is.
#[derive(Debug, Clone, Copy)]
pub struct Sampling {
    /// Samples per closure; the median is taken.
    pub samples: usize,
    /// About how long one sample runs.
    pub time: Duration,
}

/// Median time per run of each closure, measured in alternating samples so that whatever else
/// the machine does falls on all of them alike.
pub fn measure_alternately<const N: usize>(sampling: Sampling, mut runs: [&mut dyn FnMut(); N]) -> [Duration; N] {
    let iterations: Vec<u32> = runs
        .iter_mut()
        .map(|run| {
            let started = Instant::now();
            let mut count = 0;
            while started.elapsed() < sampling.time / 4 || count < 3 {
                run();
                count += 1;
            }
            (count * 4).max(1)
        })
        .collect();
    let mut samples = vec![Vec::with_capacity(sampling.samples); N];
    for _ in 0..sampling.samples {
        for (index, run) in runs.iter_mut().enumerate() {
            let started = Instant::now();
            for _ in 0..iterations[index] {
                run();
            }
            samples[index].push(started.elapsed() / iterations[index]);
        }
    }
    std::array::from_fn(|index| {
        samples[index].sort();
        samples[index][sampling.samples / 2]
    })
}

/// `rows` portal customers of three companies (one in upper case), a third of them inactive:
/// the company filter's input in every language's benchmark.
pub fn portal_customers(rows: usize) -> Batch {
    const COMPANIES: [&str; 3] = ["usmf", "USMF", "demf"];
    const STATUSES: [&str; 5] = ["Active", "Blocked", "", "Closed", "active"];
    let mut builder = BatchBuilder::new(["CustomerAccount", "Name", "dataAreaId", "Status"]);
    for n in 0..rows {
        let (account, name) = (format!("US-{n:05}"), format!("Customer {n} Trading Company"));
        builder.push_row(&[
            ValueRef::String(&account),
            ValueRef::String(&name),
            ValueRef::String(COMPANIES[n % 3]),
            ValueRef::String(STATUSES[n % 5]),
        ]);
    }
    builder.finish()
}
