//! Same scenario and seed → byte-identical outputs, whatever the thread count.

use std::fs;
use std::path::Path;

use assert_cmd::Command;

use pbrsim::experiment::Collected;

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

#[test]
fn replications_collected_as_they_finish_in_any_order_match_collecting_them_at_the_end() {
    // Runs fill the metric table from whichever replication finishes first; the table
    // and the market events (one exit per replication here) must not depend on that.
    let model = crate::common::model("scenarios/istc-exit.toml");
    let results = crate::common::run(&model, 11, 4);
    let at_the_end = Collected::new(&model, &results);
    let mut as_they_finish = Collected::empty(&model, results.len());
    for r in [2, 0, 3, 1] {
        as_they_finish.add(&model, r, &results[r]);
    }
    let as_they_finish = as_they_finish.finish();
    assert!(!at_the_end.events.is_empty(), "the scenario should have market events");
    assert_eq!(format!("{at_the_end:?}"), format!("{as_they_finish:?}"));
}
