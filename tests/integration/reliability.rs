//! Reliability (issue #9): interruption and output safety, preflight refusals, numeric
//! edge cases and the always-on invariants. Bad scenario files are in `bad_input.rs`.

use std::fs;
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use predicates::prelude::*;

use crate::common::repo;

const SMALL: &str = "tests/data/small.toml";

fn pbrsim() -> Command {
    let mut c = Command::cargo_bin("pbrsim").unwrap();
    c.env_remove("CI");
    c
}

/// Every file of a results folder, by name, with its bytes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (p.file_name().unwrap().to_string_lossy().into_owned(), fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// Starts a long run over previous results, interrupts it with `signal`, and checks
/// that it stops promptly with the right exit code, says how to run again, and leaves
/// the previous results byte for byte.
#[cfg(unix)]
fn interrupt_a_rerun(signal: &str, code: i32) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("res");
    pbrsim().args(["run", "--reps", "2", "--quiet", "--out"]).arg(&out).arg(repo(SMALL)).assert().success();
    let before = snapshot(&out);

    let bin = assert_cmd::cargo::cargo_bin("pbrsim");
    let child = StdCommand::new(bin)
        .args(["run", "--reps", "100000", "--threads", "2", "--seed", "9", "--out"])
        .arg(&out)
        .arg(repo(SMALL))
        .env_remove("CI")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the run is under way: its staging folder appears beside the output.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !entries(tmp.path()).iter().any(|e| e.contains(".pbrsim-new-")) {
        assert!(Instant::now() < deadline, "the run never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let status = StdCommand::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let stopped = Instant::now();
    let output = child.wait_with_output().unwrap();
    assert!(stopped.elapsed() < Duration::from_secs(30), "stops after the replications in flight");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    assert!(stderr.contains("interrupted by"), "{stderr}");
    assert!(stderr.contains("of 100000 replications: nothing was written"), "{stderr}");
    assert!(stderr.contains("previous results in"), "{stderr}");
    assert!(stderr.contains("to run it again: pbrsim run --reps 100000"), "{stderr}");
    assert!(output.stdout.is_empty(), "no headline for a run that did not finish");
    assert_eq!(snapshot(&out), before, "previous results intact");
    assert_eq!(entries(tmp.path()), vec!["res".to_string()], "no staging folder left behind");
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_cleanly_and_keeps_previous_results() {
    interrupt_a_rerun("-INT", 130);
}

#[cfg(unix)]
#[test]
fn sigterm_stops_cleanly_and_keeps_previous_results() {
    interrupt_a_rerun("-TERM", 143);
}

/// A re-run replaces the results folder whole: a file the old run had and the new one
/// does not is gone, and no staging folder is left.
#[test]
fn rerun_replaces_the_folder_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("res");
    pbrsim().args(["run", "--reps", "2", "--quiet", "--out"]).arg(&out).arg(repo(SMALL)).assert().success();
    fs::write(out.join("stale.csv"), "from an older version").unwrap();
    pbrsim()
        .args(["run", "--reps", "2", "--quiet", "--seed", "5", "--out"])
        .arg(&out)
        .arg(repo(SMALL))
        .assert()
        .success();
    assert!(!out.join("stale.csv").exists());
    assert_eq!(entries(&out).len(), pbrsim::output::RUN_FILES.len());
    assert_eq!(entries(tmp.path()), vec!["res".to_string()]);
}

/// An output folder that is not pbrsim's is refused before the run, and left alone.
#[test]
fn refuses_to_overwrite_a_folder_that_is_not_results() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("thesis.tex"), "years of work").unwrap();
    pbrsim()
        .args(["run", "--reps", "2", "--quiet", "--out"])
        .arg(tmp.path())
        .arg(repo(SMALL))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("will not write results into"))
        .stderr(predicate::str::contains("holds no pbrsim manifest.json"));
    assert_eq!(entries(tmp.path()), vec!["thesis.tex".to_string()]);
}
