//! Practice-based commissioning: what retention and the deficit rule pay, and how
//! referrals respond.

use pbrsim::experiment::summarise;

use crate::common::{model, model_with, run, system_values};

#[test]
fn retention_zero_pays_practices_nothing() {
    let m = model("scenarios/pbc-retention-0.toml");
    let results = run(&m, 2, 2);
    for period in ["2007/08", "2008/09", "all"] {
        assert!(system_values(&m, &results, period, "pbc_retained_gbp").iter().all(|&x| x == 0.0));
    }
    for r in &results {
        for y in &r.years {
            assert!(y.practices.iter().all(|p| p.retained.0 == 0));
        }
    }
}

/// A PCT in deficit with the first claim on savings pays practices nothing while its
/// deficit exceeds their savings, and the savings show as clawed back.
#[test]
fn pct_first_in_deficit_pays_no_savings() {
    let m = model("scenarios/pbc-pct-deficit.toml");
    let results = run(&m, 3, 2);
    assert!(system_values(&m, &results, "all", "pbc_retained_gbp").iter().all(|&x| x == 0.0));
    assert!(system_values(&m, &results, "all", "pbc_clawed_back_gbp").iter().all(|&x| x > 0.0));
    assert!(system_values(&m, &results, "all", "pct_balance_end_gbp").iter().all(|&x| x < 0.0));
    // The same PCT in surplus pays.
    let surplus = model("scenarios/pbc.toml");
    let paid = system_values(&surplus, &run(&surplus, 3, 2), "all", "pbc_retained_gbp");
    assert!(paid.iter().all(|&x| x > 0.0), "{paid:?}");
}

/// With everything else fixed and common random numbers, mean referrals do not rise
/// as retention rises: for each step up in retention, the paired difference in
/// referrals per 1,000 across seeds is not significantly positive (its 95% CI lower
/// bound stays at or below zero, and its mean is at most a quarter-referral per 1,000).
#[test]
fn referrals_do_not_rise_as_retention_rises() {
    let retentions = [0.0, 0.5, 0.7, 1.0];
    let seeds = [11u64, 12, 13];
    let mut by_retention: Vec<Vec<f64>> = Vec::new();
    for &r in &retentions {
        let m = model_with("scenarios/pbc.toml", |s| s.pbc.as_mut().unwrap().retention = r);
        let mut values = Vec::new();
        for &seed in &seeds {
            values.extend(system_values(&m, &run(&m, seed, 2), "all", "referrals_per_1000"));
        }
        by_retention.push(values);
    }
    for k in 1..retentions.len() {
        let diffs: Vec<f64> = by_retention[k].iter().zip(&by_retention[k - 1]).map(|(hi, lo)| hi - lo).collect();
        let s = summarise(&diffs);
        assert!(
            s.ci95_low <= 0.0 && s.mean <= 0.25,
            "retention {} → {}: referrals per 1,000 changed by {:.3} (95% CI {:.3} to {:.3})",
            retentions[k - 1],
            retentions[k],
            s.mean,
            s.ci95_low,
            s.ci95_high
        );
    }
    let first = summarise(&by_retention[0]).mean;
    let last = summarise(&by_retention[retentions.len() - 1]).mean;
    assert!(last < first, "keeping all savings should cut referrals: {first:.2} → {last:.2}");
}

/// Poorly informed practices aim worse: a larger share of what they divert was
/// necessary and comes back.
#[test]
fn poor_information_makes_diversions_less_safe() {
    let share = |path: &str| {
        let m = model(path);
        let r = run(&m, 4, 2);
        let wrong = summarise(&system_values(&m, &r, "all", "inappropriate_diversions")).mean;
        let all = summarise(&system_values(&m, &r, "all", "diverted_referrals")).mean;
        wrong / all
    };
    assert!(share("scenarios/pbc-poor-information.toml") > share("scenarios/pbc-good-information.toml") + 0.1);
}

#[test]
fn inequality_measures() {
    use pbrsim::model::pbc::{gini, quintile_ratio};
    assert_eq!(gini(&[2.0, 2.0]), 0.0);
    assert!(quintile_ratio(&[0.0, 1.0, 2.0, 3.0, 4.0]).is_nan());
}

/// Effort and engagement describe commissioning: NA for a practice without PBC, a
/// share in [0, 1] with it.
#[test]
fn engagement_and_effort_are_na_without_pbc() {
    use pbrsim::experiment::{Collected, Table, metrics};
    let k = |name: &str| metrics::PRACTICE.iter().position(|m| m.name == name).unwrap();
    for (scenario, pbc) in [("tests/data/small.toml", false), ("scenarios/pbc.toml", true)] {
        let m = model(scenario);
        let c = Collected::new(&m, &run(&m, 4, 2));
        for metric in ["engagement", "effort"] {
            let values = c.values(Table::Practice, c.periods.len() - 1, 0, k(metric)).unwrap();
            if pbc {
                assert!(values.iter().all(|x| (0.0..=1.0).contains(x)), "{scenario} {metric}: {values:?}");
            } else {
                assert!(values.iter().all(|x| x.is_nan()), "{scenario} {metric}: {values:?}");
            }
        }
    }
}
