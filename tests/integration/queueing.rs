//! The engine against queueing theory. The station under test is the same
//! `engine::Station` the model's waiting lists use.

use pbrsim::engine::{EventQueue, Station, stream};
use pbrsim::experiment::summarise;
use rand_distr::{Distribution, Exp};

#[derive(Clone, Copy)]
enum Ev {
    Arrival,
    Departure,
}

struct Observed {
    mean_wait: f64,
    mean_queue: f64,
    arrival_rate: f64,
}

/// Simulates an M/M/c queue for `customers` arrivals after `warm_up` arrivals and
/// returns the mean wait in queue, the time-average queue length and the observed
/// arrival rate over the measured period.
fn mmc(lambda: f64, mu: f64, c: u32, warm_up: usize, customers: usize, rep: u64) -> Observed {
    let mut arrivals = stream(99, rep, 1, 0);
    let mut services = stream(99, rep, 2, 0);
    let gap = Exp::new(lambda).unwrap();
    let service = Exp::new(mu).unwrap();
    let mut q = EventQueue::new();
    let mut station: Station<f64> = Station::new(c, 0.0);
    q.schedule_at(gap.sample(&mut arrivals), Ev::Arrival).unwrap();
    let (mut arrived, mut started) = (0usize, 0usize);
    let (mut wait_sum, mut waits) = (0.0, 0usize);
    let (mut t0, mut area0) = (0.0, 0.0);
    // Waits are measured for the customers who start service in the measured window.
    let in_window = |started: usize| started >= warm_up && started < warm_up + customers;
    while let Some((now, ev)) = q.pop() {
        match ev {
            Ev::Arrival => {
                arrived += 1;
                if arrived == warm_up {
                    t0 = now;
                    area0 = station.areas(now).1;
                }
                if arrived == warm_up + customers {
                    let area = station.areas(now).1 - area0;
                    return Observed {
                        mean_wait: wait_sum / waits as f64,
                        mean_queue: area / (now - t0),
                        arrival_rate: (customers as f64) / (now - t0),
                    };
                }
                if let Some(at) = station.arrive(now, now) {
                    if in_window(started) {
                        wait_sum += now - at;
                        waits += 1;
                    }
                    started += 1;
                    q.schedule_in(service.sample(&mut services), Ev::Departure).unwrap();
                }
                q.schedule_in(gap.sample(&mut arrivals), Ev::Arrival).unwrap();
            }
            Ev::Departure => {
                if let Some(at) = station.complete(now).unwrap() {
                    if in_window(started) {
                        wait_sum += now - at;
                        waits += 1;
                    }
                    started += 1;
                    q.schedule_in(service.sample(&mut services), Ev::Departure).unwrap();
                }
            }
        }
    }
    unreachable!("arrivals never stop")
}

/// Erlang C: mean wait in queue of M/M/c.
fn erlang_c_wait(lambda: f64, mu: f64, c: u32) -> f64 {
    let a = lambda / mu;
    let rho = a / c as f64;
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..c {
        term *= a / k as f64;
        sum += term;
    }
    let last = term * a / c as f64 / (1.0 - rho);
    let p_wait = last / (sum + last);
    p_wait / (c as f64 * mu - lambda)
}

#[test]
fn erlang_c_formula_matches_known_values() {
    // M/M/1: Wq = rho / (mu - lambda).
    assert!((erlang_c_wait(0.5, 1.0, 1) - 1.0).abs() < 1e-12);
    // M/M/2 with a = 1: P(wait) = 1/3, Wq = (1/3) / (2 - 1).
    assert!((erlang_c_wait(1.0, 1.0, 2) - 1.0 / 3.0).abs() < 1e-12);
}

/// Mean wait in an M/M/3 queue at 80% load matches Erlang C within the 95% Monte
/// Carlo confidence interval over independent replications, and the observed
/// time-average queue length obeys Little's law L = λW.
#[test]
fn mmc_agrees_with_erlang_c_and_littles_law() {
    for (lambda, mu, c) in [(2.4, 1.0, 3), (0.7, 1.0, 1)] {
        let theory = erlang_c_wait(lambda, mu, c);
        let runs: Vec<Observed> = (0..20).map(|r| mmc(lambda, mu, c, 5_000, 40_000, r)).collect();
        let waits: Vec<f64> = runs.iter().map(|o| o.mean_wait).collect();
        let s = summarise(&waits);
        assert!(
            s.ci95_low <= theory && theory <= s.ci95_high,
            "M/M/{c} at rho {}: Erlang C Wq {theory:.4} outside the 95% CI [{:.4}, {:.4}]",
            lambda / (mu * c as f64),
            s.ci95_low,
            s.ci95_high
        );
        for o in &runs {
            let little = o.arrival_rate * o.mean_wait;
            let rel = (o.mean_queue - little).abs() / little;
            assert!(rel < 0.02, "Little's law: Lq {:.4} vs λW {:.4}", o.mean_queue, little);
        }
    }
}
