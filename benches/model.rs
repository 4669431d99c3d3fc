//! Whole-model benchmark: wall time of one replication of `scenarios/baseline.toml`
//! on one thread. See docs/performance.md for how to run it and how to read it.
//!
//! The scenario is read, validated and built into a `Model` once, outside the timed
//! loop; each iteration is one call to `Model::run_replication`, which builds the
//! replication's state (streams, waiting lists seeded with the initial backlog), runs
//! the 180-day warm-up and the two reported financial years (2.49 simulated years in
//! all), and proves the books.
//!
//! - `baseline/replication_r0`: always replication 0 of the scenario's seed, so every
//!   iteration does exactly the same work. This is the figure to track for regressions.
//! - `baseline/replication_varying_r`: replication 0, 1, 2, ... in turn, so the figure is
//!   an average over replications, as in a real experiment (slightly noisier).
//!
//! Per replication-year = per replication / 2.49 (see docs/performance.md).

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use pbrsim::model::Model;
use pbrsim::scenario;

/// The `pbrsim` binary's allocator, so this measures what users run (src/main.rs).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn baseline() -> (Model, u64) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    let loaded = scenario::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let seed = loaded.scenario.simulation.seed;
    let config = loaded.config().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let model = Model::new(config).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (model, seed)
}

fn bench_baseline(c: &mut Criterion) {
    let (model, seed) = baseline();

    // Events in the reported years of replication 0 (the warm-up is not counted by the
    // model), printed once so the events-per-second figure can be derived.
    let result = model.run_replication(seed, 0).expect("baseline replication 0 runs");
    let events: u64 = result.years.iter().map(|y| y.events).sum();
    eprintln!("baseline replication 0: {events} events in the reported years (warm-up not counted)");

    let mut group = c.benchmark_group("baseline");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(3));
    group.measurement_time(Duration::from_secs(15));
    group.bench_function("replication_r0", |b| {
        b.iter(|| model.run_replication(black_box(seed), black_box(0)).expect("replication runs"));
    });
    let mut r = 0u64;
    group.bench_function("replication_varying_r", |b| {
        b.iter(|| {
            r += 1;
            model.run_replication(black_box(seed), r).expect("replication runs")
        });
    });
    group.finish();
}

criterion_group!(benches, bench_baseline);
criterion_main!(benches);
