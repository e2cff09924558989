//! Plugin runtime benchmarks (placeholder replaced below).
fn main() {}
