//! The default scenario reproduces the domain brief's published figures within stated
//! tolerances (`../shared/domain.md`). Each target names its source; tolerances are
//! set from the precision of the source (a range where the brief gives one).

use pbrsim::experiment::summarise;

use crate::common::{model, run, system_values};

struct Target {
    period: &'static str,
    metric: &'static str,
    low: f64,
    high: f64,
    source: &'static str,
}

const TARGETS: &[Target] = &[
    Target {
        period: "all",
        metric: "referrals_per_1000",
        low: 175.0,
        high: 196.0,
        source: "GP referrals 175–196 per 1,000 a year, 2002–2009 (Activity, solid)",
    },
    Target {
        period: "2008/09",
        metric: "follow_up_ratio",
        low: 2.1,
        high: 2.4,
        source: "follow-up:first 2.2–2.3, HES 2008-09 (Activity, solid), ±0.1",
    },
    Target {
        period: "all",
        metric: "discharged_after_first_share",
        low: 0.28,
        high: 0.32,
        source: "30% discharged after one visit (Activity, solid), ±2 points",
    },
    Target {
        period: "all",
        metric: "conversion_rate",
        low: 0.25,
        high: 0.35,
        source: "about 30% of referrals lead to a decision to admit (Activity, rough), ±5 points",
    },
    Target {
        period: "2007/08",
        metric: "non_admitted_rtt_wait_p50_days",
        low: 44.0,
        high: 57.0,
        source: "non-admitted median 57 days Jan 2007, 49 days Dec 2007 (Waiting, solid), −5 days",
    },
    Target {
        period: "2007/08",
        metric: "admitted_rtt_wait_p50_days",
        low: 69.0,
        high: 136.0,
        source: "admitted median 136 days Jan 2007, 79 days Dec 2007 (Waiting, solid), −10 days",
    },
    Target {
        period: "2008/09",
        metric: "admitted_rtt_wait_p50_days",
        low: 50.0,
        high: 79.0,
        source: "admitted median 79 days Dec 2007, about 60 days Jan 2009 (Waiting, solid)",
    },
    Target {
        period: "2008/09",
        metric: "admitted_rtt_within_18_weeks_share",
        low: 0.85,
        high: 0.97,
        source: "93% of admitted patients within 18 weeks in 2009 (Waiting, solid), 85% interim standard",
    },
    Target {
        period: "all",
        metric: "ledger_imbalance_pence",
        low: 0.0,
        high: 0.0,
        source: "books balance to the penny",
    },
];

/// The mean across replications, and its whole 95% confidence interval, lie inside
/// each target's range.
#[test]
fn baseline_reproduces_the_published_figures() {
    let m = model("scenarios/baseline.toml");
    let results = run(&m, 20070401, 6);
    let mut failures = Vec::new();
    for t in TARGETS {
        let s = summarise(&system_values(&m, &results, t.period, t.metric));
        let (lo, hi) = if s.sd == 0.0 { (s.mean, s.mean) } else { (s.ci95_low, s.ci95_high) };
        if !(lo >= t.low && hi <= t.high) {
            failures.push(format!(
                "{} {}: mean {:.4} (95% CI {:.4}–{:.4}) outside [{}, {}] — {}",
                t.period, t.metric, s.mean, lo, hi, t.low, t.high, t.source
            ));
        }
    }
    assert!(failures.is_empty(), "calibration targets missed:\n{}", failures.join("\n"));
}
