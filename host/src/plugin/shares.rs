//! Fair shares of the instance pool. The pooling allocator has a fixed number of slots for
//! every plugin together; a call that finds them all taken fails. Without shares one plugin
//! under a flood of slow calls takes every slot and the calls of every other plugin fail
//! (seen: 300 slow calls to one plugin, then 113 of 130 calls to an unrelated one failed).
//! Each plugin may hold at most its share of the slots at once; a call past its plugin's
//! share, or past the whole pool, waits a little for a slot and then fails as busy, and only
//! its own plugin's callers see that.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The slots of the pool and who holds them.
#[derive(Debug)]
pub(super) struct Shares {
    /// Slots of the whole pool.
    total: usize,
    /// Slots one plugin may hold at once.
    each: usize,
    /// How long a call waits for a slot before it is refused as busy.
    wait: Duration,
    held: Mutex<Held>,
    freed: Condvar,
}

#[derive(Debug, Default)]
struct Held {
    total: usize,
    by_plugin: HashMap<Arc<str>, usize>,
}

/// One slot, held for one call or one execution's instance; dropping it frees the slot.
#[derive(Debug)]
pub(super) struct Slot {
    shares: Arc<Shares>,
    plugin: Arc<str>,
}

impl Shares {
    /// `total` slots, at most `each` of them for one plugin, waited for up to `wait`.
    pub(super) fn new(total: usize, each: usize, wait: Duration) -> Shares {
        Shares { total, each: each.clamp(1, total.max(1)), wait, held: Mutex::default(), freed: Condvar::new() }
    }

    /// A slot for a call of `plugin`, or `None` when none came free within the wait.
    pub(super) fn take(self: &Arc<Self>, plugin: &Arc<str>) -> Option<Slot> {
        let deadline = Instant::now() + self.wait;
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let mine = held.by_plugin.get(plugin).copied().unwrap_or(0);
            if held.total < self.total && mine < self.each {
                held.total += 1;
                *held.by_plugin.entry(plugin.clone()).or_default() += 1;
                return Some(Slot { shares: self.clone(), plugin: plugin.clone() });
            }
            let left = deadline.checked_duration_since(Instant::now()).filter(|left| !left.is_zero())?;
            held = self.freed.wait_timeout(held, left).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    /// How long a refused call waited.
    pub(super) fn wait(&self) -> Duration {
        self.wait
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut held = self.shares.held.lock().unwrap_or_else(PoisonError::into_inner);
        held.total -= 1;
        if let Some(mine) = held.by_plugin.get_mut(&self.plugin) {
            *mine -= 1;
            if *mine == 0 {
                held.by_plugin.remove(&self.plugin);
            }
        }
        drop(held);
        // Waiters may be of any plugin; each checks its own share.
        self.shares.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plugin_past_its_share_waits_and_is_refused_while_another_plugin_still_gets_slots() {
        let shares = Arc::new(Shares::new(4, 2, Duration::from_millis(20)));
        let (busy, other): (Arc<str>, Arc<str>) = ("busy".into(), "other".into());
        let held = [shares.take(&busy).expect("a slot"), shares.take(&busy).expect("a second slot")];
        let started = Instant::now();
        assert!(shares.take(&busy).is_none(), "a third slot is past the share");
        assert!(started.elapsed() >= Duration::from_millis(20), "the refused call waited first");
        let others = [shares.take(&other).expect("a slot"), shares.take(&other).expect("a second slot")];
        assert!(shares.take(&"third".into()).is_none(), "the pool is full");
        drop(held);
        assert!(shares.take(&busy).is_some(), "freed slots serve again");
        drop(others);
    }

    #[test]
    fn a_waiting_call_takes_the_slot_another_call_frees() {
        let shares = Arc::new(Shares::new(1, 1, Duration::from_secs(5)));
        let plugin: Arc<str> = "p".into();
        let held = shares.take(&plugin).expect("a slot");
        let waiter = {
            let (shares, plugin) = (shares.clone(), plugin.clone());
            std::thread::spawn(move || shares.take(&plugin).is_some())
        };
        std::thread::sleep(Duration::from_millis(20));
        drop(held);
        assert!(waiter.join().expect("the waiter"), "the waiter got the freed slot");
    }
}
