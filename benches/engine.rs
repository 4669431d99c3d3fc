//! Engine micro-benchmarks: the future-event list and a single-server queue, with no
//! NHS model on top. See docs/performance.md for how to run them and what they measure.
//!
//! - `hold/N`: the classic "hold model" of future-event-list studies. `N` events are
//!   pending at Exp(1) times; each operation pops the earliest and reschedules it at
//!   `now + Exp(1)`, so the list stays at exactly `N` events. The queue persists across
//!   criterion iterations, so the warm-up also brings the list to its steady-state time
//!   distribution. Reported as events (hold operations) per second. N = 10,000 is
//!   there because it is the size closest to the baseline scenario, which keeps about
//!   16,000 events pending (mostly patients between follow-up appointments).
//! - `rng/exp_sample`: one `Exp(1)` draw from an engine stream, the part of a hold
//!   operation that is not the queue.
//! - `mm1/rho_0.9`: an M/M/1 queue (λ = 0.9, μ = 1) on `Station` + `EventQueue`,
//!   arrival and departure events, run fresh from empty for a fixed number of events
//!   per iteration with a fixed seed. Reported as events per second.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pbrsim::engine::{EventQueue, Station, Stream, stream};
use rand_distr::{Distribution, Exp};

/// Hold operations per criterion iteration: enough to make the closure call and the
/// timer negligible, few enough that criterion can collect its samples quickly.
const HOLDS_PER_ITER: u64 = 10_000;

/// Events per M/M/1 run (one criterion iteration).
const MM1_EVENTS: u64 = 1_000_000;

/// A hold-model queue with `n` pending events at Exp(1) times from zero.
fn prefilled(n: u32, rng: &mut Stream, exp: &Exp<f64>) -> EventQueue<u32> {
    let mut q = EventQueue::with_capacity(n as usize);
    for i in 0..n {
        q.schedule_at(exp.sample(rng), i).expect("finite, non-negative time");
    }
    q
}

/// `count` hold operations: pop the earliest event, reschedule it at `now + Exp(1)`.
#[inline]
fn hold(q: &mut EventQueue<u32>, rng: &mut Stream, exp: &Exp<f64>, count: u64) {
    for _ in 0..count {
        let (_, ev) = q.pop().expect("the hold model never empties");
        q.schedule_in(exp.sample(rng), ev).expect("finite, non-negative delay");
    }
}

fn bench_hold(c: &mut Criterion) {
    let exp = Exp::new(1.0).expect("positive rate");
    let mut group = c.benchmark_group("hold");
    group.throughput(Throughput::Elements(HOLDS_PER_ITER));
    for n in [1_000u32, 10_000, 100_000, 1_000_000] {
        let mut rng = stream(1, 0, 0, u64::from(n));
        let mut q = prefilled(n, &mut rng, &exp);
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| hold(&mut q, &mut rng, &exp, HOLDS_PER_ITER));
        });
        assert_eq!(q.len(), n as usize, "the hold model keeps the list size constant");
    }
    group.finish();
}

fn bench_rng(c: &mut Criterion) {
    let exp = Exp::new(1.0).expect("positive rate");
    let mut rng = stream(1, 0, 1, 0);
    let mut group = c.benchmark_group("rng");
    group.throughput(Throughput::Elements(HOLDS_PER_ITER));
    group.bench_function("exp_sample", |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for _ in 0..HOLDS_PER_ITER {
                acc += exp.sample(&mut rng);
            }
            black_box(acc)
        });
    });
    group.finish();
}

#[derive(Debug, Clone, Copy)]
enum Mm1Event {
    Arrival(u32),
    Departure,
}

/// Result of one M/M/1 run: final clock, busy-server area, customers arrived.
struct Mm1Run {
    now: f64,
    busy_area: f64,
    arrivals: u32,
}

/// Runs an M/M/1 queue from empty at time zero for `events` events.
fn mm1(seed: u64, lambda: f64, mu: f64, events: u64) -> Mm1Run {
    let gap = Exp::new(lambda).expect("positive rate");
    let service = Exp::new(mu).expect("positive rate");
    let mut arrivals_rng = stream(seed, 0, 1, 0);
    let mut service_rng = stream(seed, 0, 2, 0);
    let mut q: EventQueue<Mm1Event> = EventQueue::with_capacity(4);
    let mut station: Station<u32> = Station::new(1, 0.0);
    let mut arrivals = 0u32;
    q.schedule_at(gap.sample(&mut arrivals_rng), Mm1Event::Arrival(0)).expect("valid time");
    for _ in 0..events {
        let (now, ev) = q.pop().expect("an arrival is always pending");
        match ev {
            Mm1Event::Arrival(id) => {
                arrivals += 1;
                q.schedule_in(gap.sample(&mut arrivals_rng), Mm1Event::Arrival(id.wrapping_add(1)))
                    .expect("valid delay");
                if station.arrive(now, id).is_some() {
                    q.schedule_in(service.sample(&mut service_rng), Mm1Event::Departure).expect("valid delay");
                }
            }
            Mm1Event::Departure => {
                let next = station.complete(now).expect("a departure always has a busy server");
                if next.is_some() {
                    q.schedule_in(service.sample(&mut service_rng), Mm1Event::Departure).expect("valid delay");
                }
            }
        }
    }
    let now = q.now();
    let (busy_area, _) = station.areas(now);
    Mm1Run { now, busy_area, arrivals }
}

fn bench_mm1(c: &mut Criterion) {
    let (lambda, mu) = (0.9, 1.0);
    // Sanity check outside the timed loop: this really is an M/M/1 queue at ρ = 0.9.
    let check = mm1(7, lambda, mu, MM1_EVENTS);
    let utilisation = check.busy_area / check.now;
    assert!((utilisation - 0.9).abs() < 0.02, "M/M/1 utilisation {utilisation}, expected 0.9");
    assert!((f64::from(check.arrivals) / check.now - lambda).abs() < 0.01, "arrival rate off");

    let mut group = c.benchmark_group("mm1");
    group.throughput(Throughput::Elements(MM1_EVENTS));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("rho_0.9", |b| {
        b.iter(|| {
            let run = mm1(black_box(1), lambda, mu, MM1_EVENTS);
            black_box((run.now, run.busy_area))
        });
    });
    group.finish();
}

criterion_group!(benches, bench_hold, bench_rng, bench_mm1);
criterion_main!(benches);
