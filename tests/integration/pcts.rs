//! Several commissioners: `[pcts.generate]` tiles an economy into many PCTs, each with
//! its own allocation and ledger account, paying for its own practices' patients.

use std::collections::BTreeMap;

use pbrsim::experiment::{Collected, Table, metrics};
use pbrsim::model::{Config, MarketEvent, MarketEventKind, Trigger};
use pbrsim::scenario::{self, schema};

use crate::common::{model, model_with, repo, run};

fn two_pcts(s: &mut schema::Scenario) {
    s.pcts = Some(schema::PctsSpec {
        generate: schema::GeneratePcts { count: 2, columns: None, spacing_km: 15.0, opening_balances_gbp: None },
    });
}

#[test]
fn two_pcts_each_balance_and_pay_only_for_their_own_patients() {
    let model = model_with("tests/data/small.toml", two_pcts);
    let c = model.config();
    assert_eq!(c.pcts.len(), 2);
    assert!(c.practices.iter().any(|p| p.pct == 0) && c.practices.iter().any(|p| p.pct == 1));
    // Every replication proves each PCT's account against its own tallies (sim.rs).
    let results = run(&model, 7, 3);
    for r in &results {
        for y in &r.years {
            assert_eq!(y.pcts.len(), 2);
            let mut tariff = 0i64;
            for (k, py) in y.pcts.iter().enumerate() {
                // The small scenario pays every provider by PbR and has no emergencies,
                // PBC or levers: a PCT's spend is exactly its own practices' activity.
                let own: i64 =
                    y.practices.iter().zip(&c.practices).filter(|(_, p)| p.pct == k).map(|(x, _)| x.spend.0).sum();
                assert!(own > 0, "PCT {k} has activity");
                assert_eq!(py.spend.0, own, "PCT {k} pays for its own patients and no one else's");
                assert_eq!(py.population, c.pct_population(k));
                let referrals: u64 =
                    y.practices.iter().zip(&c.practices).filter(|(_, p)| p.pct == k).map(|(x, _)| x.referrals).sum();
                assert_eq!(py.referrals, referrals);
                tariff += py.spend.0;
            }
            assert_eq!(tariff, y.tariff_paid.0);
            let allocation: i64 = y.pcts.iter().map(|p| p.allocation.0).sum();
            assert_eq!(allocation, y.allocation.0);
            let balance: i64 = y.pcts.iter().map(|p| p.balance_end.0).sum();
            assert_eq!(balance, y.pct_balance_end.0);
        }
    }
    // The per-PCT metrics see the same figures.
    let col = Collected::new(&model, &results);
    let k = metrics::PCT.iter().position(|m| m.name == "spend_gbp").unwrap();
    assert_eq!(col.values(Table::Pct, 0, 1, k).unwrap()[0], results[0].years[0].pcts[1].spend.gbp());
}

#[test]
fn tiles_are_shifted_copies_with_their_own_practices() {
    let one = model_with("tests/data/small.toml", |_| {});
    let two = model_with("tests/data/small.toml", two_pcts);
    let (a, b) = (one.config(), two.config());
    assert_eq!(b.providers.len(), 2 * a.providers.len());
    assert_eq!(b.practices.len(), 2 * a.practices.len());
    // Providers are shared and may treat any PCT's patients; each has its tile's PCT
    // as lead commissioner.
    assert_eq!(b.providers[a.providers.len()].commissioner, 1);
    let dx = b.providers[a.providers.len()].x_km - b.providers[0].x_km;
    assert!((dx - 15.0).abs() < 1e-9, "second tile is one spacing east: {dx}");
    // Generated practices are re-drawn per tile, so the PCTs differ.
    let sizes = |k: usize| b.practices.iter().filter(|p| p.pct == k).map(|p| p.list_size).collect::<Vec<_>>();
    assert_ne!(sizes(0), sizes(1));
}

/// `scenarios/pbc.toml` tiled into two PCTs, the first opening `deficit_gbp` in
/// deficit and the second in balance, built into a model.
fn pbc_two_pcts(deficit_gbp: i64) -> pbrsim::model::Model {
    let mut loaded = scenario::load(&repo("scenarios/pbc.toml")).unwrap();
    two_pcts(&mut loaded.scenario);
    let mut config = loaded.config().unwrap();
    config.pcts[0].opening_balance = -deficit_gbp * 100;
    config.pcts[1].opening_balance = 0;
    pbrsim::model::Model::new(config).unwrap()
}

/// Each PCT runs practice-based commissioning on its own books: its deficit rule looks
/// at its own balance (so only the PCT in deficit claws savings back), its practices'
/// diverted referrals go to its own copy of the community provider, and their freed-up
/// resources are reinvested there.
#[test]
fn two_pcts_each_run_pbc_on_their_own_books() {
    let model = pbc_two_pcts(15_000_000);
    let c = model.config();
    let community: Vec<usize> = c.pbc.as_ref().unwrap().community_providers.iter().map(|p| p.unwrap()).collect();
    assert_eq!(community.len(), 2);
    assert_ne!(community[0], community[1]);
    for (k, &p) in community.iter().enumerate() {
        assert_eq!(c.providers[p].commissioner, k, "PCT {k}'s community provider is the copy it leads");
    }
    let provider_of: Vec<usize> = model.services().map(|(p, _)| p).collect();
    let received_by = |rec: &pbrsim::model::YearRecord, p: usize| -> u64 {
        rec.services.iter().zip(&provider_of).filter(|&(_, &q)| q == p).map(|(s, _)| s.referrals).sum()
    };
    // Each replication proves the books of both PCTs and every provider (sim.rs).
    let results = run(&model, 11, 2);
    for r in &results {
        let first = &r.years[0];
        assert!(first.pcts[0].pbc_clawed_back.0 > 0, "the PCT in deficit claws savings back");
        assert_eq!(first.pcts[1].pbc_clawed_back.0, 0, "the PCT in balance pays its practices in full");
        assert!(first.pcts[1].pbc_retained.0 > 0, "the PCT in balance pays freed-up resources");
        for (y, rec) in r.years.iter().enumerate() {
            for (k, &p) in community.iter().enumerate() {
                let pk = &rec.pcts[k];
                let own = |f: fn(&pbrsim::model::record::PracticeYear) -> i64| -> i64 {
                    rec.practices.iter().zip(&c.practices).filter(|(_, p)| p.pct == k).map(|(x, _)| f(x)).sum()
                };
                assert_eq!(pk.pbc_budget.0, own(|x| x.budget.0), "year {y} PCT {k}: budgets");
                assert_eq!(pk.pbc_retained.0, own(|x| x.retained.0), "year {y} PCT {k}: retained");
                assert_eq!(pk.diverted as i64, own(|x| x.diverted as i64), "year {y} PCT {k}: diversions");
                assert_eq!(
                    rec.providers[p].reinvestment_income, pk.pbc_retained,
                    "year {y}: PCT {k}'s practices reinvest in its own community provider"
                );
                // The community provider takes only diverted referrals, so all it
                // receives are its own PCT's diversions.
                let received = received_by(rec, p);
                assert!(received > 0, "year {y}: PCT {k}'s community provider takes diversions");
                assert!(received <= pk.diverted, "year {y} PCT {k}: {received} > {} diverted", pk.diverted);
            }
            let total: u64 = community.iter().map(|&p| received_by(rec, p)).sum();
            assert_eq!(total, rec.diverted_to_community, "year {y}: every diversion to a community provider");
        }
    }
    // The per-PCT metrics see the same figures.
    let col = Collected::new(&model, &results);
    let k = metrics::PCT.iter().position(|m| m.name == "pbc_retained_gbp").unwrap();
    assert_eq!(col.values(Table::Pct, 0, 1, k).unwrap()[0], results[0].years[0].pcts[1].pbc_retained.gbp());
}

/// With one PCT the deficit rule is the same whichever PCT a practice belongs to; with
/// two, a deficit in one leaves the other's practices untouched: against a run where
/// neither PCT is in deficit, the PCT in balance pays its practices exactly the same.
#[test]
fn a_deficit_in_one_pct_does_not_claw_back_another_pcts_savings() {
    let (deficit, balanced) = (pbc_two_pcts(15_000_000), pbc_two_pcts(0));
    let (a, b) = (run(&deficit, 5, 1), run(&balanced, 5, 1));
    let (a, b) = (&a[0].years[0], &b[0].years[0]);
    assert!(a.pcts[0].pbc_retained.0 < b.pcts[0].pbc_retained.0, "the deficit takes PCT 1's savings");
    assert_eq!(a.pcts[1].pbc_retained, b.pcts[1].pbc_retained, "PCT 2 is not touched");
    assert_eq!(a.pcts[1].pbc_budget, b.pcts[1].pbc_budget);
}

/// Writes into `dir` a scenario that extends `parent` (relative to the repository)
/// with two generated PCTs and two replications.
fn tiled_in_two(dir: &std::path::Path, parent: &str) -> std::path::PathBuf {
    let path = dir.join("two.toml");
    let text = format!(
        "extends = {:?}\n[pcts.generate]\ncount = 2\n[simulation]\nreplications = 2\n",
        repo(parent).display().to_string()
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// `pbrsim run SCENARIO --out OUT -q EXTRA...`, which must succeed.
fn cli_run(scenario: &std::path::Path, out: &std::path::Path, extra: &[&str]) {
    assert_cmd::Command::cargo_bin("pbrsim")
        .unwrap()
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .arg("-q")
        .args(extra)
        .assert()
        .success();
}

#[test]
fn cli_runs_pbc_with_several_pcts_and_reports_it_per_pct() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    cli_run(&tiled_in_two(dir.path(), "scenarios/pbc.toml"), &out, &[]);
    let summary = std::fs::read_to_string(out.join("summary_pcts.csv")).unwrap();
    for pct in ["001", "002"] {
        let row = summary
            .lines()
            .find(|l| l.starts_with("2007/08,") && l.contains(pct) && l.contains(",pbc_retained_gbp,"))
            .unwrap_or_else(|| panic!("no pbc_retained_gbp row for PCT {pct}"));
        let mean: f64 = row.split(',').nth(4).unwrap().parse().unwrap();
        assert!(mean > 0.0, "{row}");
    }
}

fn england() -> Config {
    scenario::load(&repo("scenarios/england.toml")).unwrap().config().unwrap()
}

#[test]
fn england_is_152_pcts_generated_deterministically() {
    let (a, b) = (england(), england());
    assert_eq!(a.pcts.len(), 152);
    assert_eq!(a.practices.len(), 152 * 55);
    assert_eq!(a.providers.len(), 152 * 6);
    let people = a.population();
    assert!((45_000_000..52_000_000).contains(&people), "{people} people");
    let key = |c: &Config| {
        c.practices.iter().map(|p| (p.name.clone(), p.list_size, p.x_km.to_bits(), p.pct)).collect::<Vec<_>>()
    };
    assert_eq!(key(&a), key(&b));
    for k in [0, 75, 151] {
        let pop = a.pct_population(k);
        assert!((250_000..380_000).contains(&pop), "PCT {k}: {pop} people (the brief: 300–335k)");
    }
}

#[test]
fn cli_writes_per_pct_files_only_with_several_pcts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out2");
    cli_run(&tiled_in_two(dir.path(), "tests/data/small.toml"), &out, &[]);
    let summary = std::fs::read_to_string(out.join("summary_pcts.csv")).unwrap();
    assert!(summary.starts_with("year,pct,metric,unit,"), "{summary}");
    assert!(summary.contains("Test PCT 002"), "{}", &summary[..200.min(summary.len())]);
    assert!(out.join("pcts.csv").exists());
    let one = dir.path().join("out1");
    cli_run(&repo("tests/data/small.toml"), &one, &["--reps", "2"]);
    assert!(!one.join("summary_pcts.csv").exists() && !one.join("pcts.csv").exists());
}

/// The patient's voice with several PCTs runs from the command line: each PCT's
/// petitions, reviews and tenders are counted in its own metrics (which sum to the
/// system's) and named in `market_events.csv`.
#[test]
fn cli_runs_voice_with_several_pcts_and_writes_per_pct_voice_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    cli_run(&repo("scenarios/petition-tender-pcts.toml"), &out, &["--reps", "2"]);
    let voice = ["petition_signatures", "petitions", "service_reviews", "service_reviews_failed", "tenders"];
    // Per replication and metric, in period `all`: the sum over PCTs, and the system value.
    let mut per_pct: BTreeMap<(String, String), f64> = BTreeMap::new();
    let mut pcts_seen = std::collections::BTreeSet::new();
    for row in std::fs::read_to_string(out.join("pcts.csv")).unwrap().lines().skip(1) {
        let f: Vec<&str> = row.split(',').collect();
        if f[1] == "all" && voice.contains(&f[3]) {
            *per_pct.entry((f[0].to_string(), f[3].to_string())).or_default() += f[4].parse::<f64>().unwrap();
            pcts_seen.insert(f[2].to_string());
        }
    }
    assert_eq!(pcts_seen.len(), 4, "{pcts_seen:?}");
    let mut system = BTreeMap::new();
    for row in std::fs::read_to_string(out.join("replications.csv")).unwrap().lines().skip(1) {
        let f: Vec<&str> = row.split(',').collect();
        if f[1] == "all" && voice.contains(&f[2]) {
            system.insert((f[0].to_string(), f[2].to_string()), f[3].parse::<f64>().unwrap());
        }
    }
    assert_eq!(system.len(), 2 * voice.len());
    assert_eq!(per_pct, system, "the PCTs' voice metrics sum to the system's");
    assert!(system.iter().all(|((_, m), &x)| m == "service_reviews_failed" || x > 0.0), "{system:?}");
    let summary = std::fs::read_to_string(out.join("summary_pcts.csv")).unwrap();
    for m in voice {
        assert!(summary.contains(&format!("all,Anytown PCT 003,{m},count,")), "no {m} for PCT 003");
    }
    // market_events.csv names the PCT of each petition, review and tender, and of no
    // provider's event.
    let events = std::fs::read_to_string(out.join("market_events.csv")).unwrap();
    let mut lines = events.lines();
    assert_eq!(lines.next(), Some("replication,date,year,event,provider,service,value,pct"));
    let mut voiced = std::collections::BTreeSet::new();
    for row in lines {
        let f: Vec<&str> = row.split(',').collect();
        assert_eq!(f.len(), 8, "{row}");
        match f[3] {
            "petition" | "review_passed" | "review_failed" | "tender" => {
                assert!(f[7].starts_with("Anytown PCT 00"), "{row}");
                voiced.insert(f[7].to_string());
            }
            _ => assert_eq!(f[7], "", "{row}"),
        }
    }
    assert!(voiced.len() > 1, "petitions in several PCTs: {voiced:?}");
}

/// With a population trigger, each PCT's petitions need a share of its own
/// population, not of everyone's: every petition is presented at exactly
/// ⌈share × its PCT's population⌉ signatures.
#[test]
fn each_pct_petitions_at_a_share_of_its_own_population() {
    let share = 0.001;
    let m = model_with("scenarios/petition-tender.toml", |s| {
        two_pcts(s);
        let v = s.voice.as_mut().unwrap();
        v.trigger = schema::TriggerSpec::PopulationShare;
        v.population_share = share;
    });
    let c = m.config();
    assert_eq!(c.voice.as_ref().unwrap().trigger, Trigger::PopulationShare(share));
    let thresholds: Vec<u64> = (0..2).map(|k| (share * c.pct_population(k) as f64).ceil() as u64).collect();
    assert_ne!(thresholds[0], thresholds[1], "tiles differ in population");
    let mut petitions = [0; 2];
    for r in run(&m, 3, 2) {
        for e in r.events.iter().filter(|e| e.kind == MarketEventKind::Petition) {
            let k = e.pct.unwrap() as usize;
            assert_eq!(e.value, thresholds[k], "PCT {k}'s petition");
            petitions[k] += 1;
        }
        for (k, y) in r.years.iter().flat_map(|y| y.pcts.iter().enumerate()) {
            assert!(y.signatures >= y.petitions * thresholds[k], "PCT {k}: {y:?}");
        }
    }
    assert!(petitions.iter().all(|&n| n > 0), "petitions in both PCTs: {petitions:?}");
}

/// A tender in PCT k opens PCT k's own copy of the entry package, exactly the
/// procurement delay after the tender.
#[test]
fn a_tender_opens_its_own_pcts_entrant() {
    let m = model("scenarios/petition-tender-pcts.toml");
    let c = m.config();
    let procurement = c.voice.as_ref().unwrap().procurement_days;
    let mut opened = std::collections::BTreeSet::new();
    for r in run(&m, 5, 2) {
        let tenders: Vec<&MarketEvent> =
            r.events.iter().filter(|e| e.kind == MarketEventKind::Tender && e.value == 1).collect();
        for e in r.events.iter().filter(|e| e.kind == MarketEventKind::Entry) {
            let p = e.provider.unwrap();
            let tender = tenders
                .iter()
                .find(|t| {
                    (e.time - t.time - procurement).abs() < 1e-9 && t.pct == Some(c.providers[p].commissioner as u32)
                })
                .unwrap_or_else(|| panic!("{} entered with no tender of its PCT before it", c.providers[p].name));
            assert_eq!(tender.line, Some(c.providers[p].services[0].line as u32));
            opened.insert(p);
        }
    }
    let names: Vec<&str> = opened.iter().map(|&p| c.providers[p].name.as_str()).collect();
    assert_eq!(
        names,
        [
            "001_southside_surgical_centre",
            "002_southside_surgical_centre",
            "003_southside_surgical_centre",
            "004_southside_surgical_centre"
        ]
    );
}
