//! Several commissioners: `[pcts.generate]` tiles an economy into many PCTs, each with
//! its own allocation and ledger account, paying for its own practices' patients.

use pbrsim::experiment::{Collected, Table, metrics};
use pbrsim::model::Config;
use pbrsim::scenario::{self, schema};

use crate::common::{model_with, repo, run};

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
