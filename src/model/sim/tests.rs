//! The end-of-run proofs catch what they claim to: a replication whose books or
//! patients have been tampered with fails, naming the invariant.

use super::*;
use crate::model::config::Config;

/// A small economy built from the test fixture.
fn model() -> Model {
    let text = include_str!("../../../tests/data/small.toml");
    let scenario = crate::scenario::parse(text, "small.toml").expect("fixture parses");
    let config: Config = crate::scenario::build::build(&scenario).expect("fixture builds");
    Model::new(config).expect("model builds")
}

fn invariant(result: Result<ReplicationResult, ModelError>) -> String {
    match result {
        Err(ModelError::Invariant(what)) => what,
        Err(e) => panic!("expected an invariant violation, got {e}"),
        Ok(_) => panic!("expected an invariant violation, the replication passed"),
    }
}

#[test]
fn an_untouched_replication_proves_its_books() {
    let m = model();
    Replication::new(&m, 1, 0).unwrap().run().unwrap();
}

#[test]
fn a_payment_the_activity_does_not_explain_is_caught() {
    let m = model();
    let mut r = Replication::new(&m, 1, 0).unwrap();
    r.ledger.post(Account::Pct(0), Account::Provider(0), Pence(1)).unwrap();
    let what = invariant(r.run());
    assert!(what.contains("provider 0 balance"), "{what}");
}

#[test]
fn money_from_nowhere_is_caught() {
    let m = model();
    let mut r = Replication::new(&m, 1, 0).unwrap();
    r.ledger.post(Account::External, Account::Practice(0), Pence(100)).unwrap();
    let what = invariant(r.run());
    assert!(what.contains("practice 0 has a balance"), "{what}");
}

#[test]
fn a_patient_nobody_referred_is_caught() {
    let m = model();
    let mut r = Replication::new(&m, 1, 0).unwrap();
    // On a list, but never counted as referred.
    let patient = Waiting { referred_at: 0.0, practice: 0, outcome: Outcome::DischargedAfterFirst };
    r.join(Stage::FirstOutpatient, 0.0, 0, patient).unwrap();
    let what = invariant(r.run());
    assert!(what.contains("patients not conserved"), "{what}");
}

#[test]
fn a_patient_in_treatment_that_no_list_knows_is_caught() {
    let m = model();
    let mut r = Replication::new(&m, 1, 0).unwrap();
    // In treatment (its clock stopped), but no server of its list is busy with it.
    r.patients.insert(Patient {
        practice: 0,
        service: 0,
        referred_at: 0.0,
        outcome: Outcome::DischargedAfterFirst,
        follow_ups_left: 0,
        state: State::InFirst,
    });
    let what = invariant(r.run());
    assert!(what.contains("in treatment"), "{what}");
}

/// Follow-ups carried in their events and follow-ups of patients kept in the slab (the
/// fallback for economies too large for 16-bit indices) give the same replication, in
/// scenarios where providers close (patients move at their next follow-up) and where
/// PBC diverts referrals.
#[test]
fn carried_follow_ups_match_the_slab() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in ["tests/data/small.toml", "scenarios/istc-exit.toml", "scenarios/pbc.toml"] {
        let loaded = crate::scenario::load(&root.join(file)).expect("scenario loads");
        let m = Model::new(loaded.config().expect("scenario builds")).expect("model builds");
        let run = |carry: bool| {
            let mut r = Replication::new(&m, 7, 1).unwrap();
            assert!(r.carry_follow_ups, "{file}: small economies carry follow-ups");
            r.carry_follow_ups = carry;
            let result = r.run().unwrap();
            assert!(result.years.iter().any(|y| y.follow_ups > 0), "{file}: no follow-ups to compare");
            format!("{result:?}")
        };
        assert_eq!(run(true), run(false), "{file}");
    }
}

/// Arrivals count their practice's episodes and referrals in their source, and
/// activity its shadow spend in a dense table, until the year-end snapshot moves them
/// to the year records: the practices' totals must then be the year's, in every
/// reported year, with and without PBC (whose returns are counted directly).
#[test]
fn practice_totals_are_the_years() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in ["tests/data/small.toml", "scenarios/pbc.toml"] {
        let loaded = crate::scenario::load(&root.join(file)).expect("scenario loads");
        let m = Model::new(loaded.config().expect("scenario builds")).expect("model builds");
        let result = Replication::new(&m, 3, 0).unwrap().run().unwrap();
        assert!(result.years.len() >= 2, "{file}: a year boundary to cross");
        for (y, rec) in result.years.iter().enumerate() {
            let sum = |f: fn(&crate::model::record::PracticeYear) -> u64| rec.practices.iter().map(f).sum::<u64>();
            assert!(rec.episodes > 0 && rec.referrals > 0, "{file} year {y}: nothing happened");
            assert_eq!(sum(|p| p.episodes), rec.episodes, "{file} year {y}: episodes");
            assert_eq!(sum(|p| p.referrals), rec.referrals, "{file} year {y}: referrals");
            let spend: i64 = rec.practices.iter().map(|p| p.spend.0).sum();
            assert_eq!(spend, rec.activity_value.0 + rec.primary_care_paid.0, "{file} year {y}: spend");
        }
    }
}

/// Sources are indexed by (practice, line) whether or not the pair has episodes; one
/// without must never arrive, so no service of a line with no incidence is referred to.
#[test]
fn a_line_with_no_incidence_is_never_referred() {
    let text = include_str!("../../../tests/data/small.toml");
    let scenario = crate::scenario::parse(text, "small.toml").expect("fixture parses");
    let mut config: Config = crate::scenario::build::build(&scenario).expect("fixture builds");
    config.lines[0].incidence_per_1000 = 0.0;
    let m = Model::new(config).expect("model builds");
    let result = Replication::new(&m, 1, 0).unwrap().run().unwrap();
    for rec in &result.years {
        assert!(rec.referrals > 0, "the other lines still refer");
        for (s, sy) in rec.services.iter().enumerate() {
            if m.services[s].line == 0 {
                assert_eq!(sy.referrals, 0, "service {s} of the silent line was referred to");
            }
        }
    }
}
