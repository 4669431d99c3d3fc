//! Several commissioners: `[pcts.generate]` tiles an economy into many PCTs, each with
//! its own allocation and ledger account, paying for its own practices' patients.

use pbrsim::experiment::{Collected, Table, metrics};
use pbrsim::model::Config;
use pbrsim::scenario::{self, schema};

use crate::common::{model_with, repo, run};

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

#[test]
fn cli_runs_pbc_with_several_pcts_and_reports_it_per_pct() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pbc-two.toml");
    let text = format!(
        "extends = {:?}\n[pcts.generate]\ncount = 2\n[simulation]\nreplications = 2\n",
        repo("scenarios/pbc.toml").display().to_string()
    );
    std::fs::write(&path, text).unwrap();
    let out = dir.path().join("out");
    assert_cmd::Command::cargo_bin("pbrsim")
        .unwrap()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .arg("-q")
        .assert()
        .success();
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
