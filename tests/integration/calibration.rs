//! `pbrsim calibrate`: the baseline scenario reproduces the domain brief's figures
//! (`../shared/domain.md`) within the tolerances its `[[calibration]]` entries state,
//! and a missed target fails loudly. The targets, their sources and the reasoning
//! behind each tolerance live in `scenarios/baseline.toml`, not here, so an analyst
//! calibrating their own PCT uses the same machinery.

use std::fs;

use assert_cmd::Command;
use predicates::prelude::*;

use crate::common::repo;

fn pbrsim() -> Command {
    let mut c = Command::cargo_bin("pbrsim").unwrap();
    c.env_remove("CI");
    c
}

/// The rows of the table: every stdout line whose last word is `PASS` or `FAIL`.
fn rows(stdout: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| matches!(l.split_whitespace().last(), Some("PASS" | "FAIL")))
        .map(str::to_owned)
        .collect()
}

/// Every target of the baseline passes: the whole 95% CI of the mean over a modest
/// number of replications lies inside each acceptance range.
#[test]
fn baseline_meets_every_calibration_target() {
    let scenario = pbrsim::scenario::load(&repo("scenarios/baseline.toml")).unwrap();
    let targets = &scenario.scenario.calibration;
    assert!(targets.len() >= 10, "the baseline states its targets");
    let out = pbrsim()
        .args(["calibrate", "--reps", "6", "--threads", "2"])
        .arg(repo("scenarios/baseline.toml"))
        .assert()
        .success()
        .stdout(predicate::str::contains("6 replications of"))
        .get_output()
        .stdout
        .clone();
    let rows = rows(&out);
    assert_eq!(rows.len(), targets.len(), "one row per target:\n{}", String::from_utf8_lossy(&out));
    for t in targets {
        let row = rows.iter().find(|r| r.starts_with(&t.name)).unwrap_or_else(|| panic!("no row for {}", t.name));
        assert!(row.ends_with("PASS"), "target missed:\n{row}");
        assert!(row.contains(&t.source), "the row cites its source:\n{row}");
    }
}

/// A target the model cannot meet is reported as `FAIL`, the others still as `PASS`,
/// and the exit code is 1.
#[test]
fn a_missed_target_fails_with_exit_code_1() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("missed.toml");
    let base = repo("tests/data/small.toml");
    fs::write(
        &file,
        format!(
            r#"extends = {base:?}

[[calibration]]
name = "books balance"
metric = "ledger_imbalance_pence"
value = 0.0
tolerance = 0.0
source = "the ledger"

[[calibration]]
name = "impossible referral rate"
metric = "referrals_per_1000"
year = "2007/08"
low = 900.0
high = 1000.0
source = "deliberately out of reach"
"#,
            base = base.display().to_string()
        ),
    )
    .unwrap();
    let out = pbrsim().args(["calibrate", "--reps", "3"]).arg(&file).assert().code(1).get_output().stdout.clone();
    let rows = rows(&out);
    assert_eq!(rows.len(), 2, "{}", String::from_utf8_lossy(&out));
    assert!(rows[0].starts_with("books balance") && rows[0].ends_with("PASS"), "{}", rows[0]);
    assert!(rows[1].starts_with("impossible referral rate") && rows[1].ends_with("FAIL"), "{}", rows[1]);
    assert!(rows[1].contains("900 to 1000"), "the row states the tolerance: {}", rows[1]);
    assert!(String::from_utf8_lossy(&out).contains("1 of 2 targets met"));
}

/// Misspelt metrics, years outside the horizon, half-stated ranges and a scenario
/// with nothing to check are bad input: exit code 2, located messages, suggestions.
#[test]
fn bad_targets_are_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let base = repo("tests/data/small.toml").display().to_string();
    let file = tmp.path().join("bad.toml");
    fs::write(
        &file,
        format!(
            r#"extends = {base:?}

[[calibration]]
name = "referrals"
metric = "referals_per_1000"
year = "2009/10"
low = 1.0
source = "typo"
"#
        ),
    )
    .unwrap();
    pbrsim()
        .arg("calibrate")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no system metric named `referals_per_1000`"))
        .stderr(predicate::str::contains("did you mean `referrals_per_1000`?"))
        .stderr(predicate::str::contains(
            "`2009/10` is not a year of the horizon; expected one of 2007/08, 2008/09, all",
        ))
        .stderr(predicate::str::contains("either `low` and `high`, or `value` and `tolerance`"))
        .stderr(predicate::str::contains("bad.toml:"));
    pbrsim()
        .arg("calibrate")
        .arg(repo("tests/data/small.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no [[calibration]] targets to check"));
    // One replication has no confidence interval to judge.
    pbrsim().args(["calibrate", "--reps", "1"]).arg(repo("scenarios/baseline.toml")).assert().code(2);
}
