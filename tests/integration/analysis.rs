//! Analysis at scale: comparisons on common random numbers, parameter uncertainty,
//! and sweeps that shard, resume and merge into the same bytes.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

use crate::common::repo;

fn pbrsim() -> Command {
    let mut c = Command::cargo_bin("pbrsim").unwrap();
    c.env_remove("CI");
    c
}

fn csv(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| headers.iter().zip(rec.unwrap().iter()).map(|(h, v)| (h.into(), v.into())).collect())
        .collect()
}

fn num(row: &HashMap<String, String>, col: &str) -> f64 {
    row[col].parse().unwrap_or_else(|_| panic!("{col} = {}", row[col]))
}

/// Per-replication values of a system metric in `replications.csv`.
fn replication_values(dir: &Path, year: &str, metric: &str) -> Vec<f64> {
    csv(&dir.join("replications.csv"))
        .iter()
        .filter(|r| r["year"] == year && r["metric"] == metric)
        .map(|r| num(r, "value"))
        .collect()
}

fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    (m, x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0))
}

#[test]
fn paired_comparison_is_narrower_than_unpaired() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cmp");
    pbrsim()
        .args(["compare", "--reps", "6", "--threads", "2", "--quiet", "--out"])
        .arg(&out)
        .arg(repo("tests/data/small.toml"))
        .arg(repo("tests/data/small-policy.toml"))
        .assert()
        .success()
        .stderr(predicate::str::is_empty());
    let rows = csv(&out.join("comparison.csv"));
    let header = fs::read_to_string(out.join("comparison.csv")).unwrap();
    assert_eq!(
        header.lines().next(),
        Some("year,metric,scenario,base_mean,scenario_mean,diff_mean,diff_ci95_low,diff_ci95_high,rel_diff")
    );
    let mut checked = 0;
    for metric in ["referrals", "treated_in_primary_care", "waiting_list_end"] {
        let row = rows.iter().find(|r| r["year"] == "all" && r["metric"] == metric && r["scenario"] == "small-policy");
        let row = row.unwrap_or_else(|| panic!("no row for {metric}"));
        let base = replication_values(&out.join("small"), "all", metric);
        let policy = replication_values(&out.join("small-policy"), "all", metric);
        assert_eq!(base.len(), 6);
        let (mb, vb) = mean_var(&base);
        let (mp, vp) = mean_var(&policy);
        let d: Vec<f64> = policy.iter().zip(&base).map(|(p, b)| p - b).collect();
        let (md, _) = mean_var(&d);
        assert!((num(row, "base_mean") - mb).abs() < 1e-6 * mb.abs().max(1.0));
        assert!((num(row, "scenario_mean") - mp).abs() < 1e-6 * mp.abs().max(1.0));
        assert!((num(row, "diff_mean") - md).abs() < 1e-6 * md.abs().max(1.0));
        assert!((num(row, "rel_diff") - md / mb).abs() < 1e-9);
        // Welch's unpaired interval, with the t quantile of its (smaller) df as a
        // conservative lower bound on its width: the paired one must still be narrower.
        let unpaired_half = 2.228 * (vb / 6.0 + vp / 6.0).sqrt();
        let paired_half = (num(row, "diff_ci95_high") - num(row, "diff_ci95_low")) / 2.0;
        assert!(md != 0.0, "{metric}: the policy changes it");
        assert!(
            paired_half < 0.5 * unpaired_half,
            "{metric}: paired half-width {paired_half} not well below unpaired {unpaired_half}"
        );
        checked += 1;
    }
    assert_eq!(checked, 3);
    // Per provider and per practice, matched by name.
    let providers = csv(&out.join("comparison_providers.csv"));
    assert!(providers.iter().any(|r| r["provider"] == "town_ft" && r["metric"] == "referrals"));
    let practices = csv(&out.join("comparison_practices.csv"));
    assert!(practices.iter().any(|r| r["practice"] == "Riverside Surgery, Unit 2"));
    let manifest: serde_json::Value = serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["seed"], 42);
    assert_eq!(manifest["scenarios"].as_array().unwrap().len(), 2);
    assert_eq!(manifest["outputs"].as_array().unwrap().len(), 3);
    pbrsim()
        .arg("rerun")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("same    small-policy/summary.csv"))
        .stdout(predicate::str::contains("reproduced: all 21 outputs byte-identical"));
}

#[test]
fn a_scenario_compared_with_itself_differs_by_exactly_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cmp");
    let small = repo("tests/data/small.toml");
    pbrsim().args(["compare", "--reps", "3", "--quiet", "--out"]).arg(&out).arg(&small).arg(&small).assert().success();
    for row in csv(&out.join("comparison.csv")) {
        assert!(row["diff_mean"] == "0" || row["diff_mean"] == "NA", "{row:?}");
    }
}

#[test]
fn uncertain_parameters_are_drawn_per_replication_and_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |threads: &str, out: &Path| {
        pbrsim()
            .args(["run", "--reps", "4", "--quiet", "--threads", threads, "--out"])
            .arg(out)
            .arg(repo("tests/data/small-uncertain.toml"))
            .assert()
            .success();
    };
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run("1", &a);
    run("2", &b);
    for f in ["parameters.csv", "summary.csv", "providers.csv"] {
        assert_eq!(fs::read(a.join(f)).unwrap(), fs::read(b.join(f)).unwrap(), "{f} depends on threads");
    }
    let params = csv(&a.join("parameters.csv"));
    assert_eq!(params.len(), 4 * 3);
    let drawn = |name: &str| -> Vec<f64> {
        params.iter().filter(|r| r["parameter"] == name).map(|r| num(r, "value")).collect()
    };
    let cost = drawn("providers.town_ft.fixed_cost_gbp");
    let p = drawn("service_lines.other_specialties.referral_probability");
    let mff = drawn("providers.town_ft.mff");
    assert_eq!((cost.len(), p.len(), mff.len()), (4, 4, 4));
    assert!(cost.windows(2).all(|w| w[0] != w[1]), "a fresh draw each replication");
    assert!(p.iter().all(|x| (0.0..1.0).contains(x)) && mff.iter().all(|x| (1.0..=1.1).contains(x)));
    // The draws are what the model ran: the fixed cost charged in the horizon is the
    // drawn annual cost times the same fraction of a year in every replication.
    let charged: Vec<f64> = csv(&a.join("providers.csv"))
        .iter()
        .filter(|r| r["year"] == "all" && r["provider"] == "town_ft" && r["metric"] == "fixed_cost_gbp")
        .map(|r| num(r, "value"))
        .collect();
    let ratios: Vec<f64> = charged.iter().zip(&cost).map(|(c, d)| c / d).collect();
    assert!(ratios.iter().all(|r| (r - ratios[0]).abs() < 1e-6 && *r > 0.0), "{ratios:?}");
    let manifest: serde_json::Value = serde_json::from_slice(&fs::read(a.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["uncertain_parameters"].as_array().unwrap().len(), 3);
}

#[test]
fn invalid_distributions_are_bad_input_naming_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bad.toml");
    let base = repo("tests/data/small.toml");
    fs::write(
        &file,
        format!(
            "extends = {:?}\n\n[[providers]]\nname = \"town_ft\"\nmff = {{ dist = \"normal\", mean = 1.0, sd = -0.1 }}\n",
            base.display().to_string()
        ),
    )
    .unwrap();
    pbrsim()
        .args(["validate"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("providers[0].mff"))
        .stderr(predicate::str::contains("sd > 0"))
        .stderr(predicate::str::contains("bad.toml:5:"));
}

fn sweep(file: &Path, out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    pbrsim().args(["sweep", "--quiet"]).arg(file).arg("--out").arg(out).args(extra).assert()
}

const MERGED: [&str; 6] = [
    "points.csv",
    "sweep_summary.csv",
    "sweep_summary_providers.csv",
    "sweep_replications.csv",
    "sweep.json",
    "manifest.json",
];

fn same_bytes(a: &Path, b: &Path, files: &[&str]) {
    for f in files {
        let (x, y) = (fs::read(a.join(f)), fs::read(b.join(f)));
        assert!(x.is_ok() && y.is_ok(), "{f} missing");
        assert!(x.unwrap() == y.unwrap(), "{f} differs between {} and {}", a.display(), b.display());
    }
}

#[test]
fn shards_merge_into_the_same_bytes_as_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    let file = repo("tests/data/sweep-small.toml");
    let whole = tmp.path().join("whole");
    sweep(&file, &whole, &["--threads", "1"]).success();
    let shards: Vec<_> = (1..=3).map(|k| tmp.path().join(format!("shard{k}"))).collect();
    for (k, dir) in shards.iter().enumerate() {
        sweep(&file, dir, &["--threads", "2", "--shard", &format!("{}/3", k + 1)]).success();
        assert!(!dir.join("sweep_summary.csv").exists(), "a shard is not merged on its own");
    }
    let merged = tmp.path().join("merged");
    pbrsim().args(["merge", "--quiet"]).args(&shards).arg("--out").arg(&merged).assert().success();
    same_bytes(&whole, &merged, &MERGED);
    // Six workers and three replications a point: two points run at once.
    let concurrent = tmp.path().join("concurrent");
    sweep(&file, &concurrent, &["--threads", "6"]).success();
    same_bytes(&whole, &concurrent, &MERGED);
    let points = csv(&whole.join("points.csv"));
    assert_eq!(points.len(), 6);
    assert_eq!(points[5]["service_lines.other_specialties.referral_probability"], "0.45");
    assert_eq!(points[5]["providers.town_ft.mff"], "1.1");
    // Points differ where they should: more referrals at a higher probability.
    let summary = csv(&whole.join("sweep_summary.csv"));
    let referrals = |p: &str| {
        num(
            summary.iter().find(|r| r["point"] == p && r["year"] == "all" && r["metric"] == "referrals").unwrap(),
            "mean",
        )
    };
    assert!(referrals("0") < referrals("2") && referrals("2") < referrals("4"));
    // Provider summaries: the swept market forces factor moves the trust's tariff income.
    let providers = csv(&whole.join("sweep_summary_providers.csv"));
    let income = |p: &str| {
        let row = providers.iter().find(|r| {
            r["point"] == p && r["year"] == "all" && r["provider"] == "town_ft" && r["metric"] == "tariff_income_gbp"
        });
        num(row.unwrap(), "mean")
    };
    assert!(income("1") > income("0"), "mff 1.1 pays more than mff 1.0");
    // A missing shard is reported, not silently merged.
    pbrsim()
        .args(["merge"])
        .args(&shards[..2])
        .arg("--out")
        .arg(tmp.path().join("partial"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("have no results"));
}

#[test]
fn resume_skips_finished_points_and_ends_with_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let file = repo("tests/data/sweep-small.toml");
    let whole = tmp.path().join("whole");
    sweep(&file, &whole, &[]).success();
    let partial = tmp.path().join("partial");
    sweep(&file, &partial, &[]).success();
    // As if killed after four points: two point files gone, a temporary file left.
    for p in ["000002.csv", "000005.csv"] {
        fs::remove_file(partial.join("points").join(p)).unwrap();
    }
    fs::write(partial.join("points").join(".pbrsim-abc.tmp"), "half").unwrap();
    sweep(&file, &partial, &[]).code(2).stderr(predicate::str::contains("--resume"));
    pbrsim()
        .args(["sweep", "--resume"])
        .arg(&file)
        .arg("--out")
        .arg(&partial)
        .assert()
        .success()
        .stdout(predicate::str::contains("(2 to run, 4 already complete)"));
    same_bytes(&whole, &partial, &MERGED);
    assert!(!partial.join("points").join(".pbrsim-abc.tmp").exists());
}

#[test]
fn a_killed_sweep_resumes_to_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("sweep.toml");
    let text = fs::read_to_string(repo("tests/data/sweep-small.toml")).unwrap();
    let scenario = repo("tests/data/small.toml").display().to_string();
    fs::write(
        &file,
        text.replace("\"small.toml\"", &format!("{scenario:?}")).replace("replications = 3", "replications = 12"),
    )
    .unwrap();
    let whole = tmp.path().join("whole");
    sweep(&file, &whole, &["--threads", "1"]).success();
    let killed = tmp.path().join("killed");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("pbrsim"))
        .args(["sweep", "--quiet", "--threads", "1"])
        .arg(&file)
        .arg("--out")
        .arg(&killed)
        .spawn()
        .unwrap();
    let first = killed.join("points").join("000000.csv");
    let started = std::time::Instant::now();
    while !first.exists() && started.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    sweep(&file, &killed, &["--resume", "--threads", "2"]).success();
    same_bytes(&whole, &killed, &MERGED);
}

/// Ctrl-C stops a sweep cleanly: exit 130, the points already written are kept whole,
/// the message says how to resume, and resuming ends with the same bytes.
#[test]
fn ctrl_c_stops_a_sweep_and_says_how_to_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("sweep.toml");
    let text = fs::read_to_string(repo("tests/data/sweep-small.toml")).unwrap();
    let scenario = repo("tests/data/small.toml").display().to_string();
    fs::write(
        &file,
        text.replace("\"small.toml\"", &format!("{scenario:?}")).replace("replications = 3", "replications = 12"),
    )
    .unwrap();
    let whole = tmp.path().join("whole");
    sweep(&file, &whole, &["--threads", "1"]).success();
    let stopped = tmp.path().join("stopped");
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("pbrsim"))
        .args(["sweep", "--quiet", "--threads", "1"])
        .arg(&file)
        .arg("--out")
        .arg(&stopped)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let first = stopped.join("points").join("000000.csv");
    let started = std::time::Instant::now();
    while !first.exists() && started.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let sent = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(0) {
        // The machine was fast enough to finish every point first: nothing to check.
        return;
    }
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("stopped by Ctrl-C") && stderr.contains("--resume"), "{stderr}");
    assert!(first.exists(), "the completed point is kept");
    assert!(!stopped.join("sweep_summary.csv").exists(), "an unfinished sweep is not merged");
    sweep(&file, &stopped, &["--resume", "--threads", "2"]).success();
    same_bytes(&whole, &stopped, &MERGED);
}

#[test]
fn one_way_sweeps_write_tornado_data() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("tornado.toml");
    let scenario = repo("tests/data/small.toml").display().to_string();
    fs::write(
        &file,
        format!(
            "scenario = {scenario:?}\ndesign = \"one_way\"\nreplications = 2\n\n[[parameter]]\npath = \"service_lines.hip_replacement.referral_probability\"\nlow = 0.4\nhigh = 0.6\n\n[[parameter]]\npath = \"providers.edge_istc.mff\"\nlow = 0.9\nhigh = 1.1\n"
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    sweep(&file, &out, &[]).success();
    let points = csv(&out.join("points.csv"));
    assert_eq!(points.len(), 5);
    assert_eq!(points[0]["level"], "base");
    assert_eq!(points[0]["service_lines.hip_replacement.referral_probability"], "0.5", "the scenario's own value");
    assert_eq!(points[0]["providers.edge_istc.mff"], "1");
    assert_eq!(points[4]["varied"], "providers.edge_istc.mff");
    assert_eq!(points[4]["providers.edge_istc.mff"], "1.1");
    let tornado = csv(&out.join("tornado.csv"));
    let row = tornado
        .iter()
        .find(|r| {
            r["year"] == "all"
                && r["metric"] == "referrals"
                && r["parameter"] == "service_lines.hip_replacement.referral_probability"
        })
        .unwrap();
    assert_eq!((row["low_value"].as_str(), row["high_value"].as_str()), ("0.4", "0.6"));
    assert!(num(row, "low_mean") < num(row, "base_mean") && num(row, "base_mean") < num(row, "high_mean"));
    assert!((num(row, "swing") - (num(row, "high_mean") - num(row, "low_mean"))).abs() < 1e-9);
}

#[test]
fn bad_sweeps_are_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bad.toml");
    let scenario = repo("tests/data/small.toml").display().to_string();
    let write = |body: &str| fs::write(&file, format!("scenario = {scenario:?}\n{body}")).unwrap();
    write("[[parameter]]\npath = \"providers.town_fx.mff\"\nvalues = [1.0]\n");
    sweep(&file, &tmp.path().join("o1"), &[]).code(2).stderr(predicate::str::contains("did you mean `town_ft`"));
    write("[[parameter]]\npath = \"service_lines.hip_replacement.referral_probability\"\nvalues = [0.5, 1.5]\n");
    // Every point is checked before anything runs.
    sweep(&file, &tmp.path().join("o2"), &[])
        .code(2)
        .stderr(predicate::str::contains("sweep point 1"))
        .stderr(predicate::str::contains("referral_probability"));
    assert!(!tmp.path().join("o2").join("points").exists());
    write("[[parameter]]\npath = \"providers.town_ft.mff\"\nvalues = [-1.0]\n");
    sweep(&file, &tmp.path().join("o3"), &[]).code(2).stderr(predicate::str::contains("mff"));
    write("[[parameter]]\npath = \"providers.town_ft.mff\"\nvalus = [1.0]\n");
    sweep(&file, &tmp.path().join("o4"), &[]).code(2).stderr(predicate::str::contains("unknown field `valus`"));
    pbrsim()
        .args(["sweep", "--shard", "4/3", "--out"])
        .arg(tmp.path().join("o5"))
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("K/N"));
}

#[test]
fn the_shipped_sweep_is_valid() {
    let s = pbrsim::experiment::sweep::Sweep::load(&repo("scenarios/sweeps/pbc-retention.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.points.len(), 11);
    pbrsim()
        .arg("validate")
        .arg(repo("scenarios/sweeps/pbc-retention.toml"))
        .assert()
        .success()
        .stdout(predicate::str::contains("sweep of 11 points (grid design)"));
}

#[test]
fn rerun_reproduces_a_folder_and_notices_a_difference() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    pbrsim()
        .current_dir(repo(""))
        .args(["run", "--reps", "2", "--quiet", "--out"])
        .arg(&out)
        .arg("tests/data/small-uncertain.toml")
        .assert()
        .success();
    pbrsim()
        .current_dir(repo(""))
        .arg("rerun")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("same    parameters.csv"))
        .stdout(predicate::str::contains("reproduced: all 10 outputs byte-identical"));
    // A manifest that no longer matches its outputs (another seed) is not reproduced.
    let path = out.join("manifest.json");
    let text = fs::read_to_string(&path).unwrap().replace("\"seed\": 42", "\"seed\": 43");
    fs::write(&path, text).unwrap();
    pbrsim()
        .current_dir(repo(""))
        .arg("rerun")
        .arg(&out)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("DIFFERS summary.csv"));
}

#[test]
fn sweeps_over_uncertain_scenarios_record_the_draws() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    sweep(&repo("tests/data/sweep-uncertain.toml"), &out, &[]).success();
    let rows = csv(&out.join("sweep_parameters.csv"));
    assert_eq!(rows.len(), 2 * 2 * 3, "points × replications × parameters");
    // Every point draws the same values in replication r: common random numbers.
    let at = |point: &str, rep: &str| -> Vec<String> {
        rows.iter().filter(|r| r["point"] == point && r["replication"] == rep).map(|r| r["value"].clone()).collect()
    };
    assert_eq!(at("0", "1"), at("1", "1"));
    assert_ne!(at("0", "0"), at("0", "1"));
}

#[test]
fn latin_hypercube_sweeps_run_from_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("lhs.toml");
    let scenario = repo("tests/data/small.toml").display().to_string();
    fs::write(
        &file,
        format!(
            "scenario = {scenario:?}\ndesign = \"latin_hypercube\"\npoints = 4\nseed = 7\nreplications = 2\n\n[[parameter]]\npath = \"providers.town_ft.mff\"\nmin = 1.0\nmax = 1.2\n\n[[parameter]]\npath = \"pct.allocation_per_head_gbp\"\nmin = 1500\nmax = 1700\n"
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    sweep(&file, &out, &[]).success();
    let points = csv(&out.join("points.csv"));
    assert_eq!(points.len(), 4);
    let mut strata: Vec<usize> =
        points.iter().map(|p| ((num(p, "providers.town_ft.mff") - 1.0) / 0.05).floor() as usize).collect();
    strata.sort_unstable();
    assert_eq!(strata, [0, 1, 2, 3], "one point per stratum");
    let summary = csv(&out.join("sweep_summary.csv"));
    let allocation: Vec<f64> = summary
        .iter()
        .filter(|r| r["year"] == "all" && r["metric"] == "pct_allocation_gbp")
        .map(|r| num(r, "mean"))
        .collect();
    let per_head: Vec<f64> = points.iter().map(|p| num(p, "pct.allocation_per_head_gbp")).collect();
    // The allocation follows the drawn allocation per head, point by point.
    let ratios: Vec<f64> = allocation.iter().zip(&per_head).map(|(a, h)| a / h).collect();
    // (to a few pence: the allocation accrues in whole pence by day)
    assert!(ratios.iter().all(|r| (r / ratios[0] - 1.0).abs() < 1e-4), "{ratios:?}");
}

#[test]
fn a_scenario_may_carry_its_own_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("own.toml");
    let base = repo("tests/data/small.toml").display().to_string();
    fs::write(
        &file,
        format!(
            "extends = {base:?}\n\n[sweep]\nreplications = 2\n\n[[sweep.parameter]]\npath = \"providers.town_ft.mff\"\nvalues = [1.0, 1.2]\n"
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    sweep(&file, &out, &[]).success();
    assert_eq!(csv(&out.join("points.csv")).len(), 2);
    // `run` runs the scenario itself; `validate` checks the sweep too.
    pbrsim().args(["run", "--reps", "2", "--quiet", "--out"]).arg(tmp.path().join("run")).arg(&file).assert().success();
    pbrsim().arg("validate").arg(&file).assert().success().stdout(predicate::str::contains("sweep of 2 points"));
}

#[test]
fn pathways_are_written_only_when_asked_and_agree_with_the_rtt_metrics() {
    let tmp = tempfile::tempdir().unwrap();
    let (plain, logged) = (tmp.path().join("plain"), tmp.path().join("logged"));
    let run = |out: &Path, extra: &[&str]| {
        pbrsim()
            .current_dir(repo(""))
            .args(["run", "--reps", "2", "--seed", "5", "--threads", "2", "--quiet", "--out"])
            .arg(out)
            .args(extra)
            .arg("tests/data/small.toml")
            .assert()
            .success();
    };
    run(&plain, &[]);
    run(&logged, &["--pathways"]);
    assert!(!plain.join("pathways.csv").exists(), "no per-patient data unless asked for");
    // Recording draws no random numbers: every other output is the same bytes.
    for entry in fs::read_dir(&plain).unwrap() {
        let name = entry.unwrap().file_name();
        if name.to_string_lossy().ends_with(".csv") {
            assert_eq!(fs::read(plain.join(&name)).unwrap(), fs::read(logged.join(&name)).unwrap(), "{name:?}");
        }
    }
    let rows = csv(&logged.join("pathways.csv"));
    assert!(!rows.is_empty());
    for (r, stops) in replication_values(&logged, "all", "rtt_clock_stops").iter().enumerate() {
        let mine: Vec<_> = rows.iter().filter(|x| x["replication"] == r.to_string()).collect();
        assert_eq!(mine.len() as f64, *stops, "replication {r}: a row per clock stop");
        let admitted: Vec<f64> = mine.iter().filter(|x| x["admitted"] == "true").map(|x| num(x, "wait_days")).collect();
        let mean = admitted.iter().sum::<f64>() / admitted.len() as f64;
        let metric = replication_values(&logged, "all", "admitted_rtt_wait_mean_days")[r];
        assert!((mean - metric).abs() < 1e-9 * metric, "replication {r}: mean wait {mean} against {metric}");
        assert!(mine.iter().all(|x| x["clock_stop_date"] >= x["referral_date"] && num(x, "wait_days") >= 0.0));
        assert!(mine.iter().all(|x| x["community"] == "false"), "the small scenario has no community service");
    }
    // Each row counts in the year the metrics count it in.
    let years: std::collections::BTreeSet<&str> = rows.iter().map(|x| x["year"].as_str()).collect();
    assert!(years.len() >= 2, "{years:?}");
    for year in years {
        for (r, stops) in replication_values(&logged, year, "rtt_clock_stops").iter().enumerate() {
            let n = rows.iter().filter(|x| x["replication"] == r.to_string() && x["year"] == year).count();
            assert_eq!(n as f64, *stops, "replication {r}, {year}");
        }
    }
    // `rerun` asks for them again.
    pbrsim()
        .current_dir(repo(""))
        .arg("rerun")
        .arg(&logged)
        .assert()
        .success()
        .stdout(predicate::str::contains("same    pathways.csv"));
}
