//! Several commissioners: `[pcts.generate]` tiles an economy into many PCTs, each with
//! its own allocation and ledger account, paying for its own practices' patients.

use std::collections::BTreeMap;

use pbrsim::experiment::{Collected, Table, metrics};
use pbrsim::model::{Config, MarketEvent, MarketEventKind, Trigger};
use pbrsim::scenario::{self, schema};

use crate::common::{model, model_with, repo, run};

fn two_pcts(s: &mut schema::Scenario) {
    s.pcts = Some(schema::PctsSpec { generate: schema::GeneratePcts { count: 2, columns: None, spacing_km: 15.0 } });
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

#[test]
fn several_pcts_reject_pbc_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pbc-many.toml");
    let text =
        format!("extends = {:?}\n[pcts.generate]\ncount = 2\n", repo("scenarios/pbc.toml").display().to_string());
    std::fs::write(&path, text).unwrap();
    let err = scenario::load(&path).expect_err("pbc with several PCTs is refused").to_string();
    assert!(err.contains("[pbc] cannot be combined with several PCTs"), "{err}");
    assert!(err.contains("pcts.generate"), "{err}");
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
    let two = dir.path().join("two.toml");
    std::fs::write(
        &two,
        format!(
            "extends = {:?}\n[pcts.generate]\ncount = 2\n[simulation]\nreplications = 2\n",
            repo("tests/data/small.toml").display().to_string()
        ),
    )
    .unwrap();
    let out = dir.path().join("out2");
    assert_cmd::Command::cargo_bin("pbrsim")
        .unwrap()
        .args(["run"])
        .arg(&two)
        .arg("--out")
        .arg(&out)
        .arg("-q")
        .assert()
        .success();
    let summary = std::fs::read_to_string(out.join("summary_pcts.csv")).unwrap();
    assert!(summary.starts_with("year,pct,metric,unit,"), "{summary}");
    assert!(summary.contains("Test PCT 002"), "{}", &summary[..200.min(summary.len())]);
    assert!(out.join("pcts.csv").exists());
    let one = dir.path().join("out1");
    assert_cmd::Command::cargo_bin("pbrsim")
        .unwrap()
        .args(["run"])
        .arg(repo("tests/data/small.toml"))
        .arg("--out")
        .arg(&one)
        .args(["-q", "--reps", "2"])
        .assert()
        .success();
    assert!(!one.join("summary_pcts.csv").exists() && !one.join("pcts.csv").exists());
}

/// The patient's voice with several PCTs runs from the command line: each PCT's
/// petitions, reviews and tenders are counted in its own metrics (which sum to the
/// system's) and named in `market_events.csv`.
#[test]
fn cli_runs_voice_with_several_pcts_and_writes_per_pct_voice_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    assert_cmd::Command::cargo_bin("pbrsim")
        .unwrap()
        .args(["run"])
        .arg(repo("scenarios/petition-tender-pcts.toml"))
        .arg("--out")
        .arg(&out)
        .args(["-q", "--reps", "2"])
        .assert()
        .success();
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
