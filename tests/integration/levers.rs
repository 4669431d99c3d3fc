//! Levers for new providers, entry and the patient's voice: the money each lever moves
//! (to the penny), their windows, and petitions, reviews and tenders.

use pbrsim::model::{Date, MarketEventKind, Model, Pence, ReplicationResult};
use pbrsim::scenario::schema::{
    AssuranceSpec, CapitalSpec, GuaranteeSpec, IsoDate, PeriodSpec, Scenario, SupplementSpec, VolumeSpec,
};

use crate::common::{model, model_with, run};

const BASELINE: &str = "scenarios/baseline.toml";
const ISTC: &str = "westway_istc";

fn index(s: &Scenario, name: &str) -> usize {
    s.providers.iter().position(|p| p.name == name).unwrap()
}

fn istc(m: &Model) -> usize {
    m.config().providers.iter().position(|p| p.name == ISTC).unwrap()
}

fn date(y: i32, mo: u32, d: u32) -> Option<IsoDate> {
    Some(IsoDate(Date::new(y, mo, d).unwrap()))
}

fn supplement(rate: f64) -> SupplementSpec {
    SupplementSpec { rate, cap_gbp: None, start: None, end: None, years: None }
}

fn guarantee(floor_gbp: f64, period: PeriodSpec) -> GuaranteeSpec {
    GuaranteeSpec {
        period,
        floor_gbp: Some(floor_gbp),
        volumes: Vec::new(),
        premium: 0.0,
        start: None,
        end: None,
        years: None,
    }
}

fn with_levers(edit: impl FnOnce(&mut pbrsim::scenario::schema::LeversSpec)) -> Model {
    model_with(BASELINE, |s| {
        let i = index(s, ISTC);
        edit(&mut s.providers[i].levers);
    })
}

/// Every lever at once, on an entrant and an incumbent, with petitions running: each
/// replication proves its books (the run fails otherwise), and the ledger balances.
#[test]
fn books_balance_with_every_lever() {
    let m = model_with("scenarios/new-entrant.toml", |s| {
        let i = index(s, "northgate_treatment_centre");
        let l = &mut s.providers[i].levers;
        l.supplement = Some(SupplementSpec { cap_gbp: Some(20_000.0), ..supplement(0.2) });
        l.guarantee = Some(guarantee(1_500_000.0, PeriodSpec::Quarterly));
        l.capital = Some(CapitalSpec {
            fixed_cost_relief_gbp: 150_000.0,
            annual_charge_gbp: 120_000.0,
            start: None,
            end: None,
            years: Some(2),
        });
        l.assurance = Some(AssuranceSpec {
            fixed_cost_relief_gbp: 50_000.0,
            assured_spells: 500,
            per_spell_gbp: 800.0,
            start: None,
            end: None,
            years: Some(1),
        });
        let w = index(s, ISTC);
        s.providers[w].levers.guarantee = Some(GuaranteeSpec {
            volumes: vec![VolumeSpec {
                line: "cataract".into(),
                first_outpatient: 300,
                follow_up: 0,
                elective_spell: 200,
            }],
            floor_gbp: None,
            premium: 0.1,
            ..guarantee(0.0, PeriodSpec::Annual)
        });
        s.voice = Some(toml::from_str("sign_probability = 0.5\ntrigger = \"signatures\"\nsignatures = 20").unwrap());
    });
    let results = run(&m, 3, 3);
    let e = m.config().providers.iter().position(|p| p.name == "northgate_treatment_centre").unwrap();
    for r in &results {
        assert!(r.years.iter().all(|y| y.ledger_imbalance_pence == 0));
        let supplement: i64 = r.years.iter().map(|y| y.providers[e].supplement_income.0).sum();
        assert!(supplement <= 2_000_000, "the cap holds: {supplement}");
        assert!(r.years.iter().any(|y| y.providers[e].mig_topup.0 > 0));
        assert!(r.years.iter().any(|y| y.providers[e].capital_charge.0 > 0));
        assert!(r.years.iter().any(|y| y.providers[e].assurance_exposure.0 > 0));
    }
}

/// A supplement of s pays round_half_up(price × s) per case: with s = 1 exactly the
/// tariff income again, with s = 2 exactly twice it, to the penny; otherwise within
/// half a penny per case of s × tariff income.
#[test]
fn supplement_is_tariff_times_rate_to_the_penny() {
    for (rate, exact) in [(1.0, true), (2.0, true), (0.117, false)] {
        let m = with_levers(|l| l.supplement = Some(supplement(rate)));
        let p = istc(&m);
        for r in run(&m, 11, 2) {
            for y in &r.years {
                let pr = &y.providers[p];
                let cases = pr.first_attendances + pr.follow_ups + pr.admissions;
                assert!(pr.tariff_income.0 > 0);
                let want = pr.tariff_income.0 as f64 * rate;
                if exact {
                    assert_eq!(pr.supplement_income.0 as f64, want, "rate {rate}");
                } else {
                    assert!((pr.supplement_income.0 as f64 - want).abs() <= 0.5 * cases as f64, "rate {rate}");
                }
            }
        }
    }
}

/// An annual guarantee tops income up to exactly the floor when income falls short,
/// and pays nothing when it does not.
#[test]
fn guarantee_top_up_is_exactly_the_shortfall() {
    for floor in [5_000_000.0, 100_000.0] {
        let m = with_levers(|l| l.guarantee = Some(guarantee(floor, PeriodSpec::Annual)));
        let p = istc(&m);
        for r in run(&m, 12, 2) {
            for y in &r.years {
                let pr = &y.providers[p];
                assert_eq!(pr.guarantee_floor, Pence::from_gbp(floor).unwrap(), "a full year accrues the floor");
                assert_eq!(pr.guarantee_income.0, pr.tariff_income.0, "all elective income counts");
                assert_eq!(pr.mig_topup.0, (pr.guarantee_floor.0 - pr.guarantee_income.0).max(0));
                assert!(pr.guarantee_income.0 + pr.mig_topup.0 >= pr.guarantee_floor.0);
                assert_eq!(pr.undelivered_paid, Pence::ZERO, "an income floor is not take or pay");
            }
        }
    }
    // Quarterly: each quarter is topped up on its own, so the year's top-ups are at
    // least the annual shortfall.
    let m = with_levers(|l| l.guarantee = Some(guarantee(1_200_000.0, PeriodSpec::Quarterly)));
    let p = istc(&m);
    for r in run(&m, 12, 2) {
        for y in &r.years {
            let pr = &y.providers[p];
            assert!(pr.mig_topup.0 >= (pr.guarantee_floor.0 - pr.guarantee_income.0).max(0));
            assert!(pr.guarantee_income.0 + pr.mig_topup.0 >= pr.guarantee_floor.0);
        }
    }
}

/// Levers stop at their end: a supplement ending on 1 April 2008 pays nothing in
/// 2008/09, and a capital charge for one year from the start charges exactly its
/// annual sum in 2007/08 and nothing after.
#[test]
fn levers_stop_at_their_end_date() {
    let m = with_levers(|l| {
        l.supplement = Some(SupplementSpec { end: date(2008, 4, 1), ..supplement(0.5) });
        l.capital = Some(CapitalSpec {
            fixed_cost_relief_gbp: 100_000.0,
            annual_charge_gbp: 80_000.0,
            start: date(2007, 4, 1),
            end: None,
            years: Some(1),
        });
    });
    let p = istc(&m);
    let base = model(BASELINE);
    let (with, without) = (run(&m, 13, 2), run(&base, 13, 2));
    for (r, b) in with.iter().zip(&without) {
        let (y0, y1) = (&r.years[0].providers[p], &r.years[1].providers[p]);
        assert!(y0.supplement_income.0 > 0);
        assert_eq!(y1.supplement_income, Pence::ZERO);
        assert_eq!(y0.capital_charge, Pence(8_000_000));
        assert_eq!(y1.capital_charge, Pence::ZERO);
        assert_eq!(y0.fixed_cost_relief, Pence(10_000_000));
        assert_eq!(y1.fixed_cost_relief, Pence::ZERO);
        // Common random numbers: the fixed cost falls by exactly the relief.
        assert_eq!(y0.fixed_cost.0 + y0.fixed_cost_relief.0, b.years[0].providers[p].fixed_cost.0);
        assert_eq!(y1.fixed_cost, b.years[1].providers[p].fixed_cost);
    }
}

/// A scheduled entrant has no patients before its date, enters on it, and its levers
/// run from then.
#[test]
fn a_scheduled_entrant_opens_on_its_date() {
    let m = model("scenarios/new-entrant-supplement.toml");
    let e = m.config().providers.iter().position(|p| p.name == "northgate_treatment_centre").unwrap();
    let cal = &m.config().calendar;
    for r in run(&m, 14, 2) {
        let entry: Vec<_> = r.events.iter().filter(|x| x.kind == MarketEventKind::Entry).collect();
        assert_eq!(entry.len(), 1);
        assert_eq!(entry[0].provider, Some(e));
        assert_eq!(cal.date_at(entry[0].time), Date::new(2007, 10, 1).unwrap());
        assert_eq!(r.years[0].entries, 1);
        assert!(r.years[0].providers[e].referrals > 0);
        assert!(r.years[0].providers[e].supplement_income.0 > 0);
    }
}

fn line_events(r: &ReplicationResult, kind: MarketEventKind) -> Vec<f64> {
    r.events.iter().filter(|x| x.kind == kind).map(|x| x.time).collect()
}

/// Long waits: a petition at exactly the trigger, a review 20 days later (LINks), a
/// failed review leads to a tender, and the tendered provider opens exactly the
/// procurement delay after it.
#[test]
fn a_tender_opens_its_provider_after_the_procurement_delay() {
    let m = model("scenarios/petition-tender.toml");
    let v = m.config().voice.clone().unwrap();
    let entrant = m.config().providers.iter().position(|p| p.name == "southside_surgical_centre").unwrap();
    let results = run(&m, 15, 4);
    let mut entered = 0;
    for r in &results {
        let petitions: Vec<_> = r.events.iter().filter(|x| x.kind == MarketEventKind::Petition).collect();
        assert!(!petitions.is_empty(), "long waits bring a petition");
        assert!(petitions.iter().all(|p| p.value == 250), "petitions are presented at exactly the trigger");
        let reviews: Vec<f64> = r
            .events
            .iter()
            .filter(|x| matches!(x.kind, MarketEventKind::ReviewFailed | MarketEventKind::ReviewPassed))
            .map(|x| x.time)
            .collect();
        for (p, rv) in petitions.iter().zip(&reviews) {
            assert!((rv - p.time - v.review_days()).abs() < 1e-9);
        }
        let tenders = line_events(r, MarketEventKind::Tender);
        let entries: Vec<_> = r.events.iter().filter(|x| x.kind == MarketEventKind::Entry).collect();
        assert!(entries.len() <= tenders.len());
        if let (Some(t), Some(e)) = (tenders.first(), entries.first()) {
            assert_eq!(e.provider, Some(entrant));
            assert!((e.time - t - v.procurement_days).abs() < 1e-9, "entry {} after tender {t}", e.time);
            entered += 1;
        }
        // Before the entry, the tendered provider has no patients.
        if entries.is_empty() {
            assert!(r.years.iter().all(|y| y.providers[entrant].referrals == 0));
        }
    }
    assert!(entered > 0, "at least one replication sees the tender through to an entry");
}

fn validate(text: &str) -> assert_cmd::assert::Assert {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    let base = crate::common::repo(BASELINE);
    std::fs::write(&path, format!("extends = {:?}\n{text}", base.to_str().unwrap())).unwrap();
    let assert = assert_cmd::Command::cargo_bin("pbrsim").unwrap().arg("validate").arg(&path).assert();
    drop(dir);
    assert
}

/// Bad levers and entries are located errors with exit code 2, every one reported.
#[test]
fn bad_levers_are_clear_errors() {
    let out = validate(
        r#"
[[providers]]
name = "westway_istc"
entry = { date = "2007-10-01", tender = "cataract" }
levers.guarantee = { floor_gbp = 1.0, volumes = [ { line = "catarct", elective_spell = 5 } ] }
levers.supplement = { rate = -0.1, end = "2030-01-01" }
"#,
    )
    .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    for want in [
        "expected exactly one of `date` and `tender`",
        "expected exactly one of `floor_gbp` and `volumes`",
        "did you mean `cataract`?",
        "a provider that enters later has nobody waiting",
        "levers.supplement.rate`: expected a supplement as a share of tariff in [0, 10], got -0.1",
        "expected a date inside the simulated horizon, got 2030-01-01",
    ] {
        assert!(stderr.contains(want), "missing {want:?} in:\n{stderr}");
    }
    let out = validate("[[providers]]\nname = \"westway_istc\"\nlevers.suplement = { rate = 0.1 }\n").code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("did you mean `supplement`?"), "{stderr}");
}
