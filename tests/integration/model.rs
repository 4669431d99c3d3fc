//! The health-economy model through the library API.

use pbrsim::model::ProviderKind;
use pbrsim::scenario::schema::{DistSpec, ResourceSpec};

use crate::common::{model, model_with, run, system_values};

const SMALL: &str = "tests/data/small.toml";

#[test]
fn a_replication_depends_only_on_seed_and_index() {
    let m = model(SMALL);
    let a = m.run_replication(42, 3).unwrap();
    let b = m.run_replication(42, 3).unwrap();
    assert_eq!(a.years, b.years);
    let c = m.run_replication(42, 4).unwrap();
    assert_ne!(a.years, c.years);
    let d = m.run_replication(43, 3).unwrap();
    assert_ne!(a.years, d.years);
}

#[test]
fn books_balance_to_the_penny_and_reconcile() {
    let m = model(SMALL);
    let results = run(&m, 42, 6);
    for period in ["2007/08", "2008/09", "all"] {
        assert!(system_values(&m, &results, period, "ledger_imbalance_pence").iter().all(|&x| x == 0.0));
    }
    for r in &results {
        for y in &r.years {
            let income: i64 = y.providers.iter().map(|p| p.tariff_income.0).sum();
            assert_eq!(income, y.tariff_paid.0, "provider income equals PCT tariff spend");
            let spend: i64 = y.practices.iter().map(|p| p.spend.0).sum();
            assert_eq!(spend, y.activity_value.0, "practice shadow spend adds up to the activity's value");
            assert_eq!(y.activity_value, y.tariff_paid, "everyone is paid by results here");
        }
    }
}

/// One line at one provider: the PCT's spend is exactly activity × round(tariff × MFF).
#[test]
fn tariff_is_paid_at_tariff_times_mff_rounded_to_the_penny() {
    let m = model_with(SMALL, |s| {
        s.service_lines.retain(|l| l.name == "other_specialties");
        s.providers.retain(|p| p.name == "town_ft");
        s.providers[0].services.retain(|x| x.line == "other_specialties");
        s.providers[0].mff = 1.04325;
        s.service_lines[0].tariff.first_outpatient_gbp = 140.01;
    });
    // £140.01 × 1.04325 = £146.0654... → £146.07; £75 × 1.04325 = £78.24375 → £78.24;
    // £1,200 × 1.04325 = £1,251.90.
    let (first, fu, spell) = (14_607i64, 7_824i64, 125_190i64);
    for r in run(&m, 7, 3) {
        for y in &r.years {
            let p = &y.providers[0];
            let expected = p.first_attendances as i64 * first + p.follow_ups as i64 * fu + p.admissions as i64 * spell;
            assert_eq!(y.tariff_paid.0, expected);
        }
    }
}

/// Prices draw no random numbers, so changing them changes money and nothing else:
/// the streams are keyed by process, not by the order in which draws happen.
#[test]
fn common_random_numbers_survive_a_price_change() {
    let base = model(SMALL);
    let dearer = model_with(SMALL, |s| {
        s.providers[0].mff = 1.25;
        s.service_lines[1].tariff.elective_spell_gbp = 2000.0;
    });
    let (a, b) = (run(&base, 5, 4), run(&dearer, 5, 4));
    for metric in ["episodes", "referrals", "first_outpatient_attendances", "rtt_wait_p50_days", "events"] {
        assert_eq!(system_values(&base, &a, "all", metric), system_values(&dearer, &b, "all", metric), "{metric}");
    }
    assert_ne!(
        system_values(&base, &a, "all", "tariff_paid_gbp"),
        system_values(&dearer, &b, "all", "tariff_paid_gbp")
    );
}

/// Arrivals and GP decisions have their own streams: more capacity changes waits, not
/// who falls ill or who is referred.
#[test]
fn capacity_changes_waits_but_not_demand() {
    let base = model(SMALL);
    let more = model_with(SMALL, |s| {
        s.providers[0].services[1].admission =
            ResourceSpec { servers: 4, service_days: DistSpec::Exponential { mean: 0.4 } };
    });
    let (a, b) = (run(&base, 9, 4), run(&more, 9, 4));
    for metric in ["episodes", "referrals", "treated_in_primary_care"] {
        assert_eq!(system_values(&base, &a, "all", metric), system_values(&more, &b, "all", metric), "{metric}");
    }
    let wait = |m, r| pbrsim::experiment::summarise(&system_values(m, r, "all", "admitted_rtt_wait_p50_days")).mean;
    assert!(wait(&more, &b) < wait(&base, &a));
}

/// Degenerate economies still run, and the end-of-run proofs (books, conservation of
/// patients) hold: no servers at all on a list, a line nobody offers and nobody is
/// referred on, zero tariffs, a zero allocation.
#[test]
fn degenerate_economies_run_and_prove_their_books() {
    let m = model_with(SMALL, |s| {
        s.providers[0].services[0].outpatient.servers = 0;
        s.providers[0].services[1].admission.servers = 0;
        s.service_lines[0].tariff.elective_spell_gbp = 0.0;
        s.pct.allocation_per_head_gbp = 0.0;
    });
    let results = run(&m, 1, 2);
    let waiting = system_values(&m, &results, "all", "waiting_admission_end");
    assert!(waiting.iter().all(|&w| w > 1000.0), "nobody is admitted where there are no servers: {waiting:?}");
    assert!(system_values(&m, &results, "all", "ledger_imbalance_pence").iter().all(|&x| x == 0.0));
    assert_eq!(m.config().providers[1].kind, ProviderKind::Istc);
}

#[test]
fn expected_load_matches_simulated_referrals() {
    let m = model(SMALL);
    let expected: f64 = m.expected_load().iter().map(|l| l.referrals_per_year).sum();
    let results = run(&m, 11, 6);
    // The horizon is one year split over two financial years.
    let simulated = pbrsim::experiment::summarise(&system_values(&m, &results, "all", "referrals"));
    let rel = (simulated.mean - expected).abs() / expected;
    assert!(rel < 0.02, "expected {expected:.0} referrals a year, simulated {:.0}", simulated.mean);
}

/// PbR paid for care the model does not simulate moves the PCT's books by exactly
/// per head × population × the year's share inside the horizon, and nothing else: no
/// activity, no provider's money, no wait.
#[test]
fn unmodelled_pbr_moves_only_the_pct_books() {
    let base = model(SMALL);
    let with = model_with(SMALL, |s| s.pct.unmodelled_pbr_per_head_gbp = 100.0);
    let (a, b) = (run(&base, 42, 3), run(&with, 42, 3));
    let population = base.config().population() as f64;
    for (ra, rb) in a.iter().zip(&b) {
        for (ya, yb) in ra.years.iter().zip(&rb.years) {
            assert_eq!(ya.unmodelled_pbr_paid.0, 0);
            // The part-year share is held to millionths (docs/scenario.md, `allocation_per_head_gbp`).
            let full = 10_000.0 * population;
            let expected = full * ya.year_fraction;
            let got = yb.unmodelled_pbr_paid.0 as f64;
            assert!((got - expected).abs() <= full * 1e-6 + 1.0, "{got} vs {expected}");
            assert_eq!(ya.tariff_paid, yb.tariff_paid);
            assert_eq!(ya.referrals, yb.referrals);
            assert_eq!(ya.providers, yb.providers, "no provider's books or activity move");
            assert_eq!(yb.pct_balance_end.0, ya.pct_balance_end.0 - cumulative(&rb.years, yb));
        }
    }
    let share = |m, r, k| system_values(m, r, "all", k);
    let (pa, pb) =
        (share(&base, &a, "pbr_total_share_of_allocation"), share(&with, &b, "pbr_total_share_of_allocation"));
    let alloc = share(&base, &a, "pct_allocation_gbp");
    let paid = share(&with, &b, "unmodelled_pbr_paid_gbp");
    for i in 0..pa.len() {
        assert!((pb[i] - pa[i] - paid[i] / alloc[i]).abs() < 1e-12);
    }
}

/// The unmodelled PbR paid from the first year to `upto`, inclusive.
fn cumulative(years: &[pbrsim::model::YearRecord], upto: &pbrsim::model::YearRecord) -> i64 {
    let mut total = 0;
    for y in years {
        total += y.unmodelled_pbr_paid.0;
        if std::ptr::eq(y, upto) {
            break;
        }
    }
    total
}

/// A custom referral policy through the public API: the default policy reproduces
/// `Model::new` exactly, a policy of "never refer" gives no referrals, and a policy that
/// returns no probability is refused with the practice and line named.
#[test]
fn a_custom_referral_policy_replaces_the_gp_decision() {
    use pbrsim::model::{Model, default_referral_policy};
    let loaded = pbrsim::scenario::load(&crate::common::repo("tests/data/small.toml")).unwrap();
    let same = Model::with_referral_policy(loaded.config().unwrap(), default_referral_policy).unwrap();
    let base = Model::new(loaded.config().unwrap()).unwrap();
    let referrals = |m: &Model| crate::common::system_values(m, &crate::common::run(m, 3, 2), "all", "referrals");
    assert_eq!(referrals(&same), referrals(&base));
    let never = Model::with_referral_policy(loaded.config().unwrap(), |_, _| 0.0).unwrap();
    assert!(referrals(&never).iter().all(|&x| x == 0.0));
    let halved =
        Model::with_referral_policy(loaded.config().unwrap(), |p, l| 0.5 * default_referral_policy(p, l)).unwrap();
    let (h, b) = (referrals(&halved), referrals(&base));
    assert!(h.iter().zip(&b).all(|(h, b)| h < b), "{h:?} vs {b:?}");
    let err = Model::with_referral_policy(loaded.config().unwrap(), |_, _| f64::NAN).unwrap_err();
    assert!(err.to_string().contains("referral policy gave NaN for practice"), "{err}");
}
