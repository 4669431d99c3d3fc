//! `pbrsim plot`, `pbrsim report` and `run --report`: charts from real runs are valid,
//! sized, not blank and reproducible; the report stands alone; bad directories are bad
//! input (exit code 2).

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

use crate::common::repo;

fn pbrsim() -> Command {
    let mut c = Command::cargo_bin("pbrsim").unwrap();
    c.env_remove("CI");
    c
}

/// Runs `scenario` with `reps` replications into a fresh directory.
fn run(scenario: &str, reps: &str, extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    pbrsim()
        .args(["run", "--quiet", "--reps", reps, "--out"])
        .arg(&out)
        .args(extra)
        .arg(repo(scenario))
        .assert()
        .success();
    (tmp, out)
}

/// The charts a run of the small scenario makes (no PBC, no comparison).
const SMALL_CHARTS: [&str; 9] = [
    "waiting_18_weeks",
    "waiting_list",
    "waits_by_provider",
    "pct_balance",
    "provider_income",
    "pct_spending",
    "practice_referrals",
    "market_share",
    "chose_nearest",
];

/// Decodes a PNG and checks its size; returns the share of pixels that are not white.
fn png_ink(path: &Path) -> f64 {
    let decoder = png::Decoder::new(std::io::BufReader::new(fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap_or_else(|e| panic!("{}: not a PNG: {e}", path.display()));
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (1000, 640), "{}", path.display());
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let pixels = buf[..info.buffer_size()].chunks(3);
    let n = (info.width * info.height) as f64;
    pixels.filter(|p| p != &[255, 255, 255]).count() as f64 / n
}

fn check_svg(path: &Path) -> String {
    let svg = fs::read_to_string(path).unwrap();
    assert!(svg.starts_with("<svg"), "{}", path.display());
    assert!(svg.contains(r#"width="1000" height="640""#), "{}", path.display());
    assert!(svg.trim_end().ends_with("</svg>"), "{}", path.display());
    svg
}

#[test]
fn plot_draws_every_chart_as_valid_png_and_svg() {
    let (_tmp, out) = run("tests/data/small.toml", "3", &[]);
    pbrsim()
        .arg("plot")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("9 charts (18 files)"))
        .stdout(predicate::str::contains("skipped practice_savings"))
        .stderr(predicate::str::is_empty());
    for name in SMALL_CHARTS {
        let png = out.join("charts").join(format!("{name}.png"));
        let ink = png_ink(&png);
        // Axes, text and data cover a few per cent of a chart; a blank or text-only
        // chart covers far less, a failed fill all of it.
        assert!((0.02..0.6).contains(&ink), "{name}.png: {ink} of pixels inked");
        let svg = check_svg(&out.join("charts").join(format!("{name}.svg")));
        // Every chart names the run in its caption, with its replications and seed.
        assert!(svg.contains("Scenario small"), "{name}.svg caption");
        assert!(svg.contains("3 replications") && svg.contains("seed 42"), "{name}.svg caption");
    }
    let svg = fs::read_to_string(out.join("charts/waiting_18_weeks.svg")).unwrap();
    assert!(svg.contains("Standard, admitted: 90%"), "the standard is marked");
    assert!(svg.contains("Financial year") && svg.contains("(%)"), "axis titles with units");
    // Okabe–Ito blue, and a legend entry for each of the three series.
    assert!(svg.contains("#0072B2"));
    for series in ["Admitted", "Non-admitted", "All pathways"] {
        assert!(svg.contains(&format!("\n{series}\n")), "legend {series}");
    }
    // The PNG text is drawn with the bundled font: the title row has ink.
    let money = fs::read_to_string(out.join("charts/provider_income.svg")).unwrap();
    assert!(money.contains("£ million"));
}

#[test]
fn charts_are_byte_identical_when_redrawn() {
    let (_tmp, out) = run("tests/data/small.toml", "2", &[]);
    let read_all = |out: &Path| -> Vec<(String, Vec<u8>)> {
        SMALL_CHARTS
            .iter()
            .flat_map(|n| ["svg", "png"].map(|e| format!("{n}.{e}")))
            .map(|f| (f.clone(), fs::read(out.join("charts").join(&f)).unwrap()))
            .collect()
    };
    pbrsim().arg("plot").arg("-q").arg(&out).assert().success().stdout("");
    let first = read_all(&out);
    pbrsim().arg("plot").arg("-q").arg(&out).assert().success();
    assert_eq!(first, read_all(&out));
}

#[test]
fn run_with_report_writes_a_self_contained_page() {
    let (_tmp, out) = run("tests/data/small.toml", "3", &["--report"]);
    assert!(out.join("charts/waiting_list.png").is_file(), "--report also plots");
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    assert_eq!(html.matches("<svg").count(), SMALL_CHARTS.len(), "every chart inline");
    for name in SMALL_CHARTS {
        assert!(html.contains(&format!("<figure id=\"{name}\">")), "{name}");
    }
    // Nothing outside the file: no URL, no script, no linked resource.
    for banned in ["http://", "https://", "<script", "src=", "href=", "<link", "@import", "url("] {
        assert!(!html.contains(banned), "report.html contains {banned}");
    }
    // The scenario summary, the headline table and the manifest.
    assert!(html.contains("Test fixture: 12 practices"));
    assert!(html.contains("<h2 id=\"headline\">Headline figures</h2>"));
    assert!(html.contains("<td><code>rtt_within_18_weeks_share</code></td><td>share</td>"));
    assert!(html.contains("<th>whole horizon mean</th><th>95% CI</th>"));
    assert!(html.contains("<h2 id=\"manifest\">Manifest</h2>"));
    let manifest: serde_json::Value = serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert!(html.contains(manifest["scenario"]["sha256"].as_str().unwrap()));
    assert!(html.contains("<dt>Seed</dt><dd>42</dd>"));
    // `report` alone rewrites the same page.
    pbrsim().arg("report").arg(&out).assert().success().stdout(predicate::str::contains("report with 9 charts"));
    assert_eq!(html, fs::read_to_string(out.join("report.html")).unwrap());
}

#[test]
fn pbc_run_draws_retained_savings_and_a_comparison_draws_a_forest_plot() {
    let (_tmp, out) = run("scenarios/pbc.toml", "2", &[]);
    fs::write(
        out.join("comparison.csv"),
        "year,metric,scenario,base_mean,scenario_mean,diff_mean,diff_ci95_low,diff_ci95_high,rel_diff\n\
         all,referrals_per_1000,pbc,187.5,180,-7.5,-9,-6,-0.04\n\
         all,rtt_wait_p50_days,pbc,47,45,-2,-3.5,-0.5,-0.0425\n\
         all,ledger_imbalance_pence,pbc,0,0,0,0,0,NA\n",
    )
    .unwrap();
    pbrsim().arg("plot").arg(&out).assert().success().stdout(predicate::str::contains("11 charts (22 files)"));
    assert!(png_ink(&out.join("charts/practice_savings.png")) > 0.02);
    let forest = check_svg(&out.join("charts/comparison.svg"));
    assert!(forest.contains("\nreferrals_per_1000\n") && forest.contains("\nrtt_wait_p50_days\n"));
    assert!(!forest.contains("ledger_imbalance_pence"), "a zero base cannot be shown as a percentage");
    assert!(png_ink(&out.join("charts/comparison.png")) > 0.02);
}

#[test]
fn missing_or_garbled_directories_are_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    pbrsim()
        .arg("plot")
        .arg(tmp.path().join("nowhere"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nowhere: not a directory"));
    pbrsim()
        .arg("report")
        .arg(tmp.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("manifest.json: no such file"));

    let (_tmp, out) = run("tests/data/small.toml", "2", &[]);
    let summary = fs::read_to_string(out.join("summary.csv")).unwrap();
    let mut lines: Vec<&str> = summary.lines().collect();
    lines[2] = "2007/08,episodes,count,lots,1,1,1,1,1,1,2";
    fs::write(out.join("summary.csv"), lines.join("\n")).unwrap();
    pbrsim()
        .arg("plot")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("summary.csv:3: `mean` should be a number or NA, found `lots`"));
    fs::write(out.join("summary.csv"), summary).unwrap();

    fs::write(out.join("practices.csv"), "replication,year,metric,value\n").unwrap();
    pbrsim().arg("report").arg(&out).assert().code(2).stderr(predicate::str::contains(
        "practices.csv:1: expected the header `replication,year,practice,metric,value`",
    ));
    assert!(!out.join("report.html").exists(), "nothing written from bad input");

    fs::write(out.join("manifest.json"), "{ not json").unwrap();
    pbrsim().arg("plot").arg(&out).assert().code(2).stderr(predicate::str::contains("manifest.json:1: not valid JSON"));
}

/// The money charts stack the parts of `income_gbp` and `pct_spend_gbp`: in a run with
/// levers every part has its own colour and nothing is left over as "Other".
#[test]
fn money_charts_account_for_lever_payments() {
    let (_tmp, out) = run("scenarios/istc-take-or-pay.toml", "2", &[]);
    pbrsim().arg("plot").arg("-q").arg(&out).assert().success();
    let income = check_svg(&out.join("charts/provider_income.svg"));
    let spending = check_svg(&out.join("charts/pct_spending.svg"));
    for (svg, label) in
        [(&income, "Tariff supplement"), (&income, "Guarantee top-up"), (&spending, "Levers for new providers")]
    {
        assert!(svg.contains(&format!("\n{label}\n")), "legend {label}");
    }
    assert!(!income.contains("Other income") && !spending.contains("Other payments"), "the parts add up");
}
