//! Patient choice and the market: the logit against its closed form, choice policies,
//! exits, block contracts and emergency demand.

use pbrsim::engine::stream;
use pbrsim::experiment::summarise;
use pbrsim::scenario::schema::ChoicePolicy;
use rand::RngExt;

use crate::common::{model, model_with, run, system_values};

const BASELINE: &str = "scenarios/baseline.toml";

/// With published waits held fixed, the frequencies of sampled choices match the
/// closed-form multinomial logit probabilities: a chi-square test per (practice, line)
/// checked at the 0.1% level, and every candidate within 4.5 standard errors.
#[test]
fn logit_sampling_matches_closed_form_probabilities() {
    let m = model_with(BASELINE, |s| {
        s.choice.policy = ChoicePolicy::Free;
        s.choice.offered_share = 1.0;
        s.choice.utility.gp_recommendation = 0.4;
    });
    let services = m.services().count();
    let waits: Vec<f64> = (0..services).map(|s| 20.0 + 7.0 * s as f64).collect();
    let choice = m.choice();
    let mut rng = stream(5, 0, 99, 0);
    for (practice, line) in [(0, 0), (7, 4), (23, 1), (41, 3)] {
        let mut state = choice.state(waits.clone());
        let probabilities = choice.probabilities(&mut state, practice, line);
        assert!((probabilities.iter().map(|p| p.1).sum::<f64>() - 1.0).abs() < 1e-12);
        let n = 200_000;
        let mut counts = vec![0u64; services];
        for _ in 0..n {
            let chosen = choice.choose(&mut state, practice, line, 0.0, rng.random::<f64>()).unwrap();
            assert!(chosen.offered);
            counts[chosen.service] += 1;
        }
        let mut chi2 = 0.0;
        let mut df = 0;
        for &(s, p) in &probabilities {
            let expected = p * n as f64;
            let se = (n as f64 * p * (1.0 - p)).sqrt().max(1e-9);
            assert!(
                (counts[s] as f64 - expected).abs() <= 4.5 * se + 1e-9,
                "practice {practice} line {line} service {s}: {} draws, expected {expected:.1}",
                counts[s]
            );
            if expected > 5.0 {
                chi2 += (counts[s] as f64 - expected).powi(2) / expected;
                df += 1;
            }
        }
        // Chi-square 0.999 quantiles for 1..=5 degrees of freedom (df = categories − 1).
        let critical = [10.83, 13.82, 16.27, 18.47, 20.52];
        assert!(chi2 < critical[(df - 2).min(4)], "chi-square {chi2:.2} on {} df", df - 1);
    }
}

#[test]
fn with_no_choice_every_patient_goes_to_the_default_provider() {
    let m = model_with(BASELINE, |s| s.choice.policy = ChoicePolicy::None);
    let results = run(&m, 3, 2);
    for metric_value in system_values(&m, &results, "all", "chose_nearest_share") {
        assert_eq!(metric_value, 1.0);
    }
    assert!(system_values(&m, &results, "all", "offered_choice_share").iter().all(|&x| x == 0.0));
    // Every practice's referrals on a line go to its nearest provider's service.
    let c = pbrsim::experiment::Collected::new(&m, &results);
    let all = c.periods.len() - 1;
    let k = pbrsim::experiment::metrics::SERVICE.iter().position(|x| x.name == "referrals").unwrap();
    let defaults: std::collections::BTreeSet<usize> = (0..m.config().practices.len())
        .flat_map(|p| (0..m.config().lines.len()).filter_map(move |l| (p, l).into()))
        .filter_map(|(p, l)| m.default_service(p, l))
        .collect();
    for s in 0..m.services().count() {
        let referred: f64 = c.values(pbrsim::experiment::Table::Service, all, s, k).unwrap().iter().sum();
        assert_eq!(referred > 0.0, defaults.contains(&s), "service {s}: {referred} referrals");
    }
}

/// Choice offered to everyone moves patients away from the nearest provider; with the
/// same seed the same patients arise and are referred (common random numbers).
#[test]
fn choice_policies_share_demand_and_differ_in_routing() {
    let none = model_with(BASELINE, |s| s.choice.policy = ChoicePolicy::None);
    let all = model_with(BASELINE, |s| s.choice.offered_share = 1.0);
    let (a, b) = (run(&none, 8, 2), run(&all, 8, 2));
    for metric in ["episodes", "referrals", "treated_in_primary_care"] {
        assert_eq!(system_values(&none, &a, "all", metric), system_values(&all, &b, "all", metric), "{metric}");
    }
    let nearest = summarise(&system_values(&all, &b, "all", "chose_nearest_share")).mean;
    assert!(nearest < 0.8, "with everyone offered choice, {nearest} chose the nearest");
    let travel = |m, r| summarise(&system_values(m, r, "all", "mean_travel_km")).mean;
    assert!(travel(&all, &b) > travel(&none, &a));
}

/// A provider that exits loses no patients: the run's own proofs (every patient
/// accounted for, queues consistent, books balanced) hold, the provider is closed
/// after the exit and takes no more referrals, and the exit is dated in the events.
#[test]
fn a_provider_that_exits_loses_no_patients() {
    let m = model("scenarios/istc-exit.toml");
    let results = run(&m, 20070401, 3);
    let istc = m.config().providers.iter().position(|p| p.name == "westway_istc").unwrap();
    for r in &results {
        assert_eq!(r.events.iter().filter(|e| e.kind == pbrsim::model::MarketEventKind::Exit).count(), 1);
        let exit = r.events.iter().find(|e| e.kind == pbrsim::model::MarketEventKind::Exit).unwrap();
        assert_eq!(exit.provider, Some(istc));
        assert!(exit.value > 0, "waiting patients were re-referred");
        assert_eq!(exit.time, m.config().calendar.years[1].start, "at the end of the first loss-making year");
        assert!(!r.years[1].providers[istc].open_end);
        assert_eq!(r.years[1].providers[istc].referrals, 0);
        assert_eq!(r.years[1].providers[istc].fixed_cost.0, 0, "no costs after exit");
    }
    assert!(system_values(&m, &results, "all", "ledger_imbalance_pence").iter().all(|&x| x == 0.0));
}

/// NHS trusts never exit: an exit rule on one is a scenario error.
#[test]
fn nhs_trusts_cannot_be_given_an_exit_rule() {
    let loaded = pbrsim::scenario::load(&crate::common::repo(BASELINE)).unwrap();
    let mut s = loaded.scenario.clone();
    s.providers[0].exit =
        Some(pbrsim::scenario::schema::ExitSpec { cumulative_deficit_gbp: Some(1.0), loss_years: None });
    let problems = pbrsim::scenario::validate::validate(&s);
    assert!(problems.iter().any(|p| p.message.contains("NHS trusts do not exit")), "{problems:?}");
}

/// Under block contracts the PCT pays the contract sums whatever the activity, and
/// nothing per case; the activity, valued at PbR prices, is unchanged.
#[test]
fn block_contracts_pay_fixed_sums_not_cases() {
    let base = model(BASELINE);
    let block = model("scenarios/block-contracts.toml");
    let (a, b) = (run(&base, 4, 2), run(&block, 4, 2));
    assert_eq!(
        system_values(&base, &a, "all", "activity_value_gbp"),
        system_values(&block, &b, "all", "activity_value_gbp")
    );
    let tariff = system_values(&block, &b, "all", "tariff_paid_gbp");
    assert!(tariff.iter().all(|&x| x == 0.0));
    let contracts: f64 = block
        .config()
        .providers
        .iter()
        .map(|p| match p.payment {
            pbrsim::model::Payment::Block { annual } => annual.gbp(),
            pbrsim::model::Payment::Pbr => 0.0,
        })
        .sum();
    for paid in system_values(&block, &b, "all", "block_paid_gbp") {
        // Two full financial years: exactly twice the annual sums.
        assert!((paid - 2.0 * contracts).abs() < 0.005, "{paid} vs {}", 2.0 * contracts);
    }
}

/// Emergency admissions take elective capacity, are paid the non-elective tariff, and
/// the marginal rate rule pays less above the first year's volume.
#[test]
fn emergency_demand_displaces_electives_and_the_marginal_rate_applies() {
    let base = model(BASELINE);
    let em = model("scenarios/emergency-marginal-rate.toml");
    let (a, b) = (run(&base, 6, 2), run(&em, 6, 2));
    let wait = |m, r| summarise(&system_values(m, r, "2008/09", "admitted_rtt_wait_p50_days")).mean;
    assert!(wait(&em, &b) > wait(&base, &a) + 10.0);
    let spells = summarise(&system_values(&em, &b, "2008/09", "emergency_admissions_per_1000")).mean;
    assert!((spells - 100.0).abs() < 3.0, "{spells} emergency spells per 1,000");
    assert!(system_values(&em, &b, "2007/08", "marginal_rate_reduction_gbp").iter().all(|&x| x == 0.0));
    assert!(system_values(&em, &b, "2008/09", "marginal_rate_reduction_gbp").iter().any(|&x| x > 0.0));
}

/// Every shipped scenario runs and balances its books to the penny.
#[test]
fn every_shipped_scenario_balances_its_books() {
    for entry in std::fs::read_dir(crate::common::repo("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let rel = format!("scenarios/{}", path.file_name().unwrap().to_string_lossy());
        // The 0.3× and full England scenarios are the same economy as england-0.1.toml,
        // larger: minutes of CPU that add nothing here (docs/performance.md runs them).
        if rel == "scenarios/england.toml" || rel == "scenarios/england-0.3.toml" {
            continue;
        }
        let m = model(&rel);
        let results = run(&m, 1, 1);
        assert!(system_values(&m, &results, "all", "ledger_imbalance_pence").iter().all(|&x| x == 0.0), "{rel}");
    }
}

/// A loss-making provider that is the only one taking emergency admissions stays in
/// the market (its emergency patients would have nowhere to go), and the run still
/// proves its books, rather than failing at the exit.
#[test]
fn the_last_provider_taking_emergencies_does_not_exit() {
    let m = model_with("scenarios/istc-exit.toml", |s| {
        s.emergency = Some(pbrsim::scenario::schema::EmergencySpec {
            // Too few, and too cheap, to make the ISTC profitable.
            admissions_per_1000: 0.5,
            tariff_gbp: 100.0,
            marginal_cost_gbp: 0.0,
            displacement_days: pbrsim::scenario::schema::DistSpec::Exponential { mean: 0.04 },
            marginal_rate: None,
        });
        for p in s.providers.iter_mut() {
            p.emergency_line = (p.name == "westway_istc").then(|| "hip_replacement".to_string());
        }
    });
    let results = run(&m, 20070401, 2);
    for r in &results {
        assert!(r.events.iter().all(|e| e.kind != pbrsim::model::MarketEventKind::Exit));
    }
    let spells = system_values(&m, &results, "2008/09", "emergency_admissions");
    assert!(spells.iter().all(|&x| x > 0.0), "{spells:?}");
    assert!(system_values(&m, &results, "all", "ledger_imbalance_pence").iter().all(|&x| x == 0.0));
}
