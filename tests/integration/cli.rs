//! The `pbrsim` command end to end.

use std::fs;

use assert_cmd::Command;
use predicates::prelude::*;

use crate::common::repo;

fn pbrsim() -> Command {
    let mut c = Command::cargo_bin("pbrsim").unwrap();
    c.env_remove("CI");
    c
}

#[test]
fn run_writes_every_file_with_its_header() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    pbrsim()
        .args(["run", "--reps", "3", "--out"])
        .arg(&out)
        .arg(repo("tests/data/small.toml"))
        .assert()
        .success()
        .stdout(predicate::str::contains("3 replications of"))
        .stdout(predicate::str::contains("ledger_imbalance_pence"))
        // Not a terminal: no progress bar, nothing on stderr.
        .stderr(predicate::str::is_empty());
    let headers = [
        ("summary.csv", "year,metric,unit,mean,sd,ci95_low,ci95_high,p05,p50,p95,n"),
        ("summary_services.csv", "year,service,metric,unit,mean,sd,ci95_low,ci95_high,p05,p50,p95,n"),
        ("services.csv", "replication,year,service,metric,value"),
        ("market_events.csv", "replication,date,year,event,provider,service,value"),
        ("summary_providers.csv", "year,provider,metric,unit,mean,sd,ci95_low,ci95_high,p05,p50,p95,n"),
        ("summary_practices.csv", "year,practice,metric,unit,mean,sd,ci95_low,ci95_high,p05,p50,p95,n"),
        ("replications.csv", "replication,year,metric,value"),
        ("providers.csv", "replication,year,provider,metric,value"),
        ("practices.csv", "replication,year,practice,metric,value"),
    ];
    for (file, header) in headers {
        let text = fs::read_to_string(out.join(file)).unwrap();
        assert_eq!(text.lines().next(), Some(header), "{file}");
    }
    let practices = fs::read_to_string(out.join("practices.csv")).unwrap();
    assert!(practices.contains("\"Riverside Surgery, Unit 2\""), "names with commas are quoted");
    let manifest: serde_json::Value = serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["replications"], 3);
    assert_eq!(manifest["seed"], 42);
    assert_eq!(manifest["resolved_scenario"]["service_lines"][1]["discharge_after_first"], 0.3, "defaults filled in");
    let sha = pbrsim::output::sha256_hex(&fs::read(repo("tests/data/small.toml")).unwrap());
    assert_eq!(manifest["scenario"]["sha256"], sha.as_str());
    assert_eq!(manifest["outputs"].as_array().unwrap().len(), 9);
    // Only the results: no temporary files left behind.
    assert_eq!(fs::read_dir(&out).unwrap().count(), pbrsim::output::RUN_FILES.len());
}

#[test]
fn quiet_prints_nothing_and_rerun_replaces_results() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    for seed in ["1", "2"] {
        pbrsim()
            .args(["run", "--reps", "2", "--quiet", "--seed", seed, "--out"])
            .arg(&out)
            .arg(repo("tests/data/small.toml"))
            .assert()
            .success()
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::is_empty());
    }
    let manifest: serde_json::Value = serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["seed"], 2);
    assert_eq!(fs::read_dir(&out).unwrap().count(), pbrsim::output::RUN_FILES.len());
}

#[test]
fn validate_accepts_every_shipped_scenario() {
    let mut cmd = pbrsim();
    cmd.arg("validate");
    for entry in fs::read_dir(repo("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            cmd.arg(path);
        }
    }
    cmd.assert().success().stdout(predicate::str::contains("ok ")).stderr(predicate::str::is_empty());
}

/// Bad scenario files: each is the small fixture with one edit; the error names the
/// file, line and column, the key, and what was expected.
#[test]
fn bad_scenarios_get_located_messages_and_exit_code_2() {
    let base = fs::read_to_string(repo("tests/data/small.toml")).unwrap();
    let cases: &[(&str, &str, &str, &[&str])] = &[
        (
            "unknown key",
            "list_size_sd = 1500.0",
            "list_sise_sd = 1500.0",
            &[
                ":20:1",
                "`practices.generate.list_sise_sd`: unknown field `list_sise_sd`",
                "did you mean `list_size_sd`?",
            ],
        ),
        (
            "unknown variant",
            "kind = \"istc\"",
            "kind = \"isct\"",
            &[":77:8", "unknown variant `isct`", "did you mean `istc`?"],
        ),
        ("wrong type", "years = 1", "years = \"one\"", &[":8:9", "`simulation.years`", "expected u32"]),
        ("syntax", "[pct]", "[pct", &[":13:5", "expected `]`"]),
        (
            "probability out of range",
            "referral_probability = 0.5",
            "referral_probability = 1.5",
            &[":40:24", "`service_lines[0].referral_probability`: expected a probability in [0, 1], got 1.5"],
        ),
        (
            "missing reference",
            "line = \"hip_replacement\"\noutpatient = { servers = 1, service_days = { dist = \"uniform\"",
            "line = \"hip_replacment\"\noutpatient = { servers = 1, service_days = { dist = \"uniform\"",
            &[
                ":84:8",
                "`providers[1].services[0].line`: no service line named `hip_replacment`",
                "did you mean `hip_replacement`?",
            ],
        ),
        (
            "invalid distribution",
            "dist = \"fixed\", value = 1.5",
            "dist = \"fixed\", value = -1.5",
            &[
                ":86:43",
                "`providers[1].services[0].admission.service_days`: invalid distribution: value must be finite and >= 0, got -1.5",
            ],
        ),
        (
            "duplicate name",
            "name = \"edge_istc\"",
            "name = \"town_ft\"",
            &[":76:8", "`providers[1].name`: duplicate provider name `town_ft`"],
        ),
        (
            "slash in a name",
            "name = \"edge_istc\"",
            "name = \"edge/istc\"",
            &[":76:8", "`providers[1].name`: provider name `edge/istc` contains `/`", "e.g. `edge_istc`"],
        ),
        (
            "bad date",
            "start = 2007-10-01",
            "start = \"2007-02-30\"",
            &[":7:9", "`simulation.start`: invalid value: string \"2007-02-30\"", "YYYY-MM-DD"],
        ),
        (
            "missing required key",
            "incidence_per_1000 = 340.0\n",
            "",
            &[":47:1", "`service_lines[1]`: missing field `incidence_per_1000`"],
        ),
        (
            "impossible shares",
            "decision_to_admit = 0.45",
            "decision_to_admit = 0.95",
            &[":42:21", "discharge_after_first + decision_to_admit must not exceed 1, got 0.15 + 0.95"],
        ),
    ];
    let tmp = tempfile::tempdir().unwrap();
    for (what, from, to, expected) in cases {
        assert!(base.contains(from), "{what}: fixture lacks {from:?}");
        let path = tmp.path().join("bad.toml");
        fs::write(&path, base.replacen(from, to, 1)).unwrap();
        let out = pbrsim().arg("validate").arg(&path).assert().code(2).get_output().clone();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains("bad.toml"), "{what}: no file name in\n{stderr}");
        for e in *expected {
            assert!(stderr.contains(e), "{what}: expected {e:?} in\n{stderr}");
        }
        pbrsim().arg("run").arg(&path).assert().code(2);
    }
}

#[test]
fn all_value_errors_are_reported_at_once() {
    let base = fs::read_to_string(repo("tests/data/small.toml")).unwrap();
    let bad =
        base.replace("mff = 1.06", "mff = 9.0").replace("referral_probability = 0.4", "referral_probability = -1.0");
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("two.toml");
    fs::write(&path, bad).unwrap();
    pbrsim()
        .arg("validate")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("providers[0].mff"))
        .stderr(predicate::str::contains("service_lines[1].referral_probability"))
        .stderr(predicate::str::contains("2 errors in"));
}

#[test]
fn bad_arguments_and_missing_files_exit_2() {
    pbrsim()
        .args(["run", "no/such/file.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read scenario"));
    pbrsim().args(["run", "--reps", "0"]).arg(repo("tests/data/small.toml")).assert().code(2);
    pbrsim().args(["frobnicate"]).assert().code(2);
    pbrsim().arg("validate").assert().code(2);
    pbrsim().arg("--help").assert().success().stdout(predicate::str::contains("Exit codes"));
}

/// Golden outputs: a change that moves the small scenario's results must update them on
/// purpose (`UPDATE_GOLDEN=1 cargo test golden`).
#[test]
fn golden_outputs_of_the_small_scenario() {
    golden(
        "tests/data/small.toml",
        "3",
        "tests/golden/small",
        &["summary.csv", "summary_providers.csv", "replications.csv"],
    );
}

/// Golden outputs of practice-based commissioning, whose practices respond each month
/// to their spending to date (read mid-year from a table the year-end snapshot moves
/// into the year records): the practices' effort, engagement and savings are in
/// `summary_practices.csv`.
#[test]
fn golden_outputs_of_practice_based_commissioning() {
    golden("scenarios/pbc.toml", "2", "tests/golden/pbc", &["summary.csv", "summary_practices.csv"]);
}

fn golden(scenario: &str, reps: &str, dir: &str, files: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    pbrsim()
        .args(["run", "--reps", reps, "--seed", "42", "--quiet", "--out"])
        .arg(&out)
        .arg(repo(scenario))
        .assert()
        .success();
    let golden = repo(dir);
    for file in files {
        let got = fs::read_to_string(out.join(file)).unwrap();
        let path = golden.join(file);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            fs::create_dir_all(&golden).unwrap();
            fs::write(&path, &got).unwrap();
            continue;
        }
        let want = fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("missing {}; run with UPDATE_GOLDEN=1", path.display()));
        if got != want {
            let line = got.lines().zip(want.lines()).position(|(a, b)| a != b).unwrap_or(0);
            panic!(
                "{scenario}: {file} moved from the golden output at line {}:\n  got:  {}\n  want: {}\n(if intended: UPDATE_GOLDEN=1 cargo test golden)",
                line + 1,
                got.lines().nth(line).unwrap_or(""),
                want.lines().nth(line).unwrap_or("")
            );
        }
    }
}
