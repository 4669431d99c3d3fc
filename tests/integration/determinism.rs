//! Same scenario and seed → byte-identical outputs, whatever the thread count.

use std::fs;
use std::path::Path;

use assert_cmd::Command;

use pbrsim::experiment::{Collected, Table};

use crate::common::repo;

fn run_into(dir: &Path, threads: &str) {
    Command::cargo_bin("pbrsim")
        .unwrap()
        .args(["run", "--reps", "8", "--seed", "3", "--threads", threads, "--quiet", "--out"])
        .arg(dir)
        .arg(repo("tests/data/small.toml"))
        .assert()
        .success();
}

fn manifest_without_timing(dir: &Path) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let obj = v.as_object_mut().unwrap();
    assert!(obj.remove("threads").is_some());
    assert!(obj.remove("wall_seconds").is_some());
    v
}

#[test]
fn outputs_are_identical_for_one_and_two_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    run_into(&one, "1");
    run_into(&two, "2");
    let mut compared = 0;
    for entry in fs::read_dir(&one).unwrap() {
        let name = entry.unwrap().file_name();
        if name.to_string_lossy().ends_with(".csv") {
            let (a, b) = (fs::read(one.join(&name)).unwrap(), fs::read(two.join(&name)).unwrap());
            assert!(a == b, "{} differs between 1 and 2 threads", name.to_string_lossy());
            compared += 1;
        }
    }
    assert_eq!(compared, pbrsim::output::RUN_FILES.len() - 1);
    // The manifest records the thread count and wall time; everything else, including
    // the SHA-256 of every output file, is identical.
    assert_eq!(manifest_without_timing(&one), manifest_without_timing(&two));
}

/// Every CSV in `a` has a byte-identical twin in `b`; returns how many were compared.
fn same_csvs(a: &Path, b: &Path) -> usize {
    let mut compared = 0;
    for entry in fs::read_dir(a).unwrap() {
        let name = entry.unwrap().file_name();
        if name.to_string_lossy().ends_with(".csv") {
            let (x, y) = (fs::read(a.join(&name)).unwrap(), fs::read(b.join(&name)).unwrap());
            assert!(x == y, "{} differs", name.to_string_lossy());
            compared += 1;
        }
    }
    compared
}

#[test]
fn outputs_are_identical_with_the_metric_table_in_memory_or_in_a_file() {
    // `PBRSIM_TABLE_MEMORY=0` sends every table to its temporary file; the default
    // keeps these small ones in memory. A run and a comparison (which reads two tables
    // side by side) must write the same bytes either way.
    let tmp = tempfile::tempdir().unwrap();
    let pbrsim = |limit: Option<&str>, args: &[&str], out: &Path, scenarios: &[&str]| {
        let mut c = Command::cargo_bin("pbrsim").unwrap();
        if let Some(l) = limit {
            c.env("PBRSIM_TABLE_MEMORY", l);
        }
        c.args(args).args(["--seed", "3", "--threads", "2", "--quiet", "--out"]).arg(out);
        c.args(scenarios.iter().map(|s| repo(s))).assert().success();
    };
    let small = ["tests/data/small.toml"];
    let both = ["tests/data/small.toml", "tests/data/small-policy.toml"];
    for (kind, args, scenarios) in
        [("run", ["run", "--reps", "5"], &small[..]), ("compare", ["compare", "--reps", "4"], &both[..])]
    {
        let (memory, file) = (tmp.path().join(format!("{kind}-memory")), tmp.path().join(format!("{kind}-file")));
        pbrsim(None, &args, &memory, scenarios);
        pbrsim(Some("0"), &args, &file, scenarios);
        assert!(same_csvs(&memory, &file) >= 3, "{kind}: too few files compared");
        assert_eq!(manifest_without_timing(&memory), manifest_without_timing(&file), "{kind}");
    }
    // A limit that is not a number of bytes is bad input.
    Command::cargo_bin("pbrsim")
        .unwrap()
        .env("PBRSIM_TABLE_MEMORY", "4M")
        .args(["run", "--quiet"])
        .arg(repo("tests/data/small.toml"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("PBRSIM_TABLE_MEMORY = `4M`: expected a whole number of bytes"));
}

#[test]
fn replications_collected_as_they_finish_in_any_order_match_collecting_them_at_the_end() {
    // Runs fill the metric table from whichever replication finishes first, in memory
    // or (a large table) in a temporary file; the values and the market events (one
    // exit per replication here) must not depend on either.
    let model = crate::common::model("scenarios/istc-exit.toml");
    let results = crate::common::run(&model, 11, 4);
    let at_the_end = Collected::new(&model, &results);
    assert!(!at_the_end.in_file() && !at_the_end.events.is_empty(), "the scenario should have market events");
    for limit in [usize::MAX, 0] {
        let mut as_they_finish = Collected::with_memory_limit(&model, results.len(), limit).unwrap();
        for r in [2, 0, 3, 1] {
            as_they_finish.add(&model, r, &results[r]).unwrap();
        }
        let as_they_finish = as_they_finish.finish();
        assert_eq!(as_they_finish.in_file(), limit == 0);
        assert_eq!(format!("{:?}", at_the_end.events), format!("{:?}", as_they_finish.events));
        let bits =
            |c: &Collected, r| c.replication(r).unwrap().values().iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for r in 0..results.len() {
            assert_eq!(bits(&at_the_end, r), bits(&as_they_finish, r), "replication {r}");
        }
        // Read by column too, in and out of the table's order.
        for table in [Table::Practice, Table::System, Table::Provider] {
            for k in 0..table.metrics() {
                let (a, b) =
                    (at_the_end.values(table, 1, 0, k).unwrap(), as_they_finish.values(table, 1, 0, k).unwrap());
                assert_eq!(format!("{a:?}"), format!("{b:?}"));
            }
        }
    }
}

#[test]
fn metric_table_columns_read_in_any_order_with_any_window_match_the_rows() {
    let model = crate::common::model("tests/data/small.toml");
    let results = crate::common::run(&model, 5, 3);
    for limit in [usize::MAX, 0] {
        let mut c = Collected::with_memory_limit(&model, results.len(), limit).unwrap();
        for (r, res) in results.iter().enumerate() {
            c.add(&model, r, res).unwrap();
        }
        let c = c.finish();
        let rows: Vec<_> = (0..results.len()).map(|r| c.replication(r).unwrap()).collect();
        let mut cells = Vec::new();
        for table in Table::ALL {
            for p in 0..c.periods.len() {
                for i in 0..c.entities(table) {
                    for k in 0..table.metrics() {
                        cells.push((table, p, i, k));
                    }
                }
            }
        }
        // In order, backwards and scrambled, through windows of 1 column up to the whole.
        let n = cells.len();
        let orders: [Vec<usize>; 3] =
            [(0..n).collect(), (0..n).rev().collect(), (0..n).map(|x| x * 7919 % n).collect()];
        for window in [1, 40, 1 << 12, 1 << 30] {
            c.set_window_bytes(window);
            for order in &orders {
                for &x in order {
                    let (t, p, i, k) = cells[x];
                    let column = c.values(t, p, i, k).unwrap();
                    let expected: Vec<f64> = rows.iter().map(|row| row.get(t, p, i, k)).collect();
                    assert_eq!(format!("{column:?}"), format!("{expected:?}"), "{t:?} {p} {i} {k}, window {window}");
                }
            }
        }
    }
}
