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

/// Runs `pbrsim compare` of the small scenario against the small policy.
fn compare(reps: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cmp");
    pbrsim()
        .args(["compare", "--quiet", "--reps", reps, "--out"])
        .arg(&out)
        .arg(repo("tests/data/small.toml"))
        .arg(repo("tests/data/small-policy.toml"))
        .assert()
        .success();
    (tmp, out)
}

fn charts_of(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = fs::read_dir(out.join("charts"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().to_string_lossy().into_owned(), fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_comparison_folder_draws_a_forest_plot_and_a_report() {
    let (_tmp, out) = compare("3");
    pbrsim().arg("plot").arg(&out).assert().success().stdout(predicate::str::contains("1 charts (2 files)"));
    let ink = png_ink(&out.join("charts/comparison_small-policy.png"));
    assert!((0.02..0.6).contains(&ink), "{ink} of pixels inked");
    let svg = check_svg(&out.join("charts/comparison_small-policy.svg"));
    assert!(svg.contains("Scenario small-policy against base small") && svg.contains("3 paired replications"));
    assert!(svg.contains("seed 42") && svg.contains("Difference from the base mean (%)"));
    // The headline metrics with a non-zero base; never the ledger check.
    assert!(svg.contains("\nreferrals_per_1000\n") && svg.contains("\nwaiting_list_end\n"));
    assert!(!svg.contains("ledger_imbalance_pence") && !svg.contains("\nevents\n"));
    let first = charts_of(&out);
    pbrsim().arg("plot").arg("-q").arg(&out).assert().success().stdout("");
    assert_eq!(first, charts_of(&out), "redrawn byte for byte");

    // --metric chooses the rows, in the order given.
    pbrsim()
        .args(["plot", "-q", "--metric", "waiting_list_end", "--metric", "rtt_wait_p90_days"])
        .arg(&out)
        .assert()
        .success();
    let svg = check_svg(&out.join("charts/comparison_small-policy.svg"));
    assert!(svg.contains("\nwaiting_list_end\n") && svg.contains("\nrtt_wait_p90_days\n"));
    assert!(!svg.contains("\nreferrals_per_1000\n"));
    pbrsim()
        .args(["plot", "--metric", "referals_per_1000"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no metric `referals_per_1000`; did you mean `referrals_per_1000`?"));

    pbrsim().arg("report").arg(&out).assert().success().stdout(predicate::str::contains("report with 1 charts"));
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<h1>pbrsim comparison: base small</h1>"));
    assert!(html.contains("<figure id=\"comparison_small-policy\">"));
    assert_eq!(html.matches("<svg").count(), 1);
    assert!(html.contains("<h3>small-policy − small (whole horizon)</h3>"));
    // The referral rate rises by about 5% (see the comparison test in analysis.rs).
    let row = html.lines().find(|l| l.starts_with("<tr><td><code>referrals_per_1000</code>")).unwrap();
    assert!(row.contains("per_1000_per_year") && row.contains("<td>+5."), "{row}");
    assert!(html.contains("<dt>Seed</dt><dd>42</dd>"));
    for banned in ["http://", "https://", "<script", "src=", "href=", "<link", "url("] {
        assert!(!html.contains(banned), "report.html contains {banned}");
    }
    // Each scenario's folder is an ordinary run: its own charts still draw.
    pbrsim().arg("plot").arg("-q").arg(out.join("small-policy")).assert().success();
    assert!(out.join("small-policy/charts/waiting_list.png").is_file());
}

/// Writes a sweep file over tests/data/small.toml with `body` (its parameters) and runs it.
fn sweep(body: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("sweep.toml");
    let scenario = repo("tests/data/small.toml").display().to_string();
    fs::write(&file, format!("scenario = {scenario:?}\nreplications = 2\n{body}")).unwrap();
    let out = tmp.path().join("out");
    pbrsim().args(["sweep", "--quiet"]).arg(&file).arg("--out").arg(&out).assert().success();
    (tmp, out)
}

const SWEEP_METRICS: [&str; 4] =
    ["referrals_per_1000", "admitted_rtt_wait_p50_days", "rtt_within_18_weeks_share", "pct_spend_gbp"];

const REFERRALS: &str = "service_lines.other_specialties.referral_probability";

/// Plots `out`, checks it drew `kinds` × the default metrics, each valid and inked with
/// the sweep's caption, and that a redraw gives the same bytes; returns the SVGs by name.
fn check_sweep_charts(out: &Path, kinds: &[&str]) -> std::collections::HashMap<String, String> {
    let n = kinds.len() * SWEEP_METRICS.len();
    pbrsim()
        .arg("plot")
        .arg(out)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("{n} charts ({} files)", 2 * n)));
    let mut svgs = std::collections::HashMap::new();
    for kind in kinds {
        for metric in SWEEP_METRICS {
            let name = format!("{kind}_{metric}");
            let ink = png_ink(&out.join("charts").join(format!("{name}.png")));
            // A heat map's cells fill most of the plot (none is white).
            let most = if *kind == "heat" { 0.9 } else { 0.6 };
            assert!((0.02..most).contains(&ink), "{name}.png: {ink} of pixels inked");
            let svg = check_svg(&out.join("charts").join(format!("{name}.svg")));
            assert!(svg.contains("of scenario small") && svg.contains("2 replications per point"), "{name}");
            assert!(svg.contains("seed 42"), "{name}");
            svgs.insert(name, svg);
        }
    }
    let first = charts_of(out);
    pbrsim().arg("plot").arg("-q").arg(out).assert().success();
    assert_eq!(first, charts_of(out), "redrawn byte for byte");
    svgs
}

#[test]
fn a_one_parameter_sweep_draws_response_curves() {
    let (_tmp, out) = sweep(&format!("[[parameter]]\npath = {REFERRALS:?}\nvalues = [0.35, 0.4, 0.45]\n"));
    let svgs = check_sweep_charts(&out, &["response"]);
    let svg = &svgs["response_referrals_per_1000"];
    assert!(svg.contains(&format!("\n{REFERRALS}\n")), "the parameter names the axis");
    assert!(svg.contains("referrals_per_1000 (per 1,000 a year)"), "units on the axis");
    assert!(svg.contains("\n0.35\n") && svg.contains("\n0.45\n"));
    assert!(svgs["response_pct_spend_gbp"].contains("(£ million)"));
    assert!(svgs["response_rtt_within_18_weeks_share"].contains("(%)"));

    pbrsim().arg("report").arg(&out).assert().success().stdout(predicate::str::contains("report with 4 charts"));
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<h1>pbrsim sweep: sweep</h1>"));
    assert!(html.contains("<h3>Points (whole horizon, mean and 95% CI)</h3>"));
    assert!(html.contains("<figure id=\"response_referrals_per_1000\">"));
    assert_eq!(html.matches("<svg").count(), 4);
    assert!(!html.contains("One-way sensitivity"));
    // The referral rate rises with the referral probability, point by point.
    let summary = fs::read_to_string(out.join("sweep_summary.csv")).unwrap();
    let means: Vec<f64> = summary
        .lines()
        .filter(|l| l.contains(",all,referrals_per_1000,"))
        .map(|l| l.split(',').nth(4).unwrap().parse().unwrap())
        .collect();
    assert!(means.len() == 3 && means[0] < means[1] && means[1] < means[2], "{means:?}");
}

/// The x of the tick label `label` on a chart's SVG.
fn label_x(svg: &str, label: &str) -> f64 {
    let at = svg.find(&format!(">\n{label}\n</text>")).unwrap_or_else(|| panic!("no label {label}"));
    let start = svg[..at].rfind("<text x=\"").expect("a text element") + "<text x=\"".len();
    svg[start..].split('"').next().unwrap().parse().unwrap()
}

/// Numeric values given out of order and unevenly spaced: the response curve sorts
/// them and places each in proportion to its value (0.4 a quarter of the way from 0.35
/// to 0.55), so the curve keeps its shape.
#[test]
fn a_response_curve_puts_numeric_values_on_a_number_line() {
    let (_tmp, out) = sweep(&format!("[[parameter]]\npath = {REFERRALS:?}\nvalues = [0.55, 0.35, 0.4]\n"));
    let svgs = check_sweep_charts(&out, &["response"]);
    let svg = &svgs["response_referrals_per_1000"];
    let (a, b, c) = (label_x(svg, "0.35"), label_x(svg, "0.4"), label_x(svg, "0.55"));
    assert!(a < b && b < c, "in order of value: {a} {b} {c}");
    let share = (b - a) / (c - a);
    assert!((share - 0.25).abs() < 0.02, "0.4 sits a quarter of the way along, not half: {share}");
    assert!(svg.contains("placed on the axis in proportion"), "the note says how values are placed");
}

#[test]
fn a_two_parameter_grid_draws_a_heat_map_and_metric_chooses() {
    let (_tmp, out) = sweep(&format!(
        "[[parameter]]\npath = {REFERRALS:?}\nvalues = [0.35, 0.45]\n\n[[parameter]]\npath = \"providers.town_ft.mff\"\nvalues = [1.0, 1.2]\n"
    ));
    let svgs = check_sweep_charts(&out, &["response", "heat"]);
    let heat = &svgs["heat_referrals_per_1000"];
    assert!(heat.contains(&format!("\n{REFERRALS}\n")) && heat.contains("\nproviders.town_ft.mff\n"));
    assert!(heat.contains("darker is higher"));
    // Each cell is labelled with its point's mean.
    let summary = fs::read_to_string(out.join("sweep_summary.csv")).unwrap();
    for l in summary.lines().filter(|l| l.contains(",all,referrals_per_1000,")) {
        let mean: f64 = l.split(',').nth(4).unwrap().parse().unwrap();
        assert!(heat.contains(&format!("\n{}\n", mean.round())), "cell {mean}");
    }
    // One curve per value of the second parameter, with a legend.
    let curves = &svgs["response_referrals_per_1000"];
    assert!(curves.contains("\ntown_ft.mff = 1\n") && curves.contains("\ntown_ft.mff = 1.2\n"));

    fs::remove_dir_all(out.join("charts")).unwrap();
    pbrsim()
        .args(["plot", "--metric", "waiting_list_end"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("2 charts (4 files)"));
    assert!(out.join("charts/heat_waiting_list_end.svg").is_file());
    assert!(!out.join("charts/heat_referrals_per_1000.svg").exists());
    pbrsim().args(["report", "-q", "--metric", "waiting_list_end"]).arg(&out).assert().success();
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("<th><code>waiting_list_end</code></th>")
            && html.contains("<figure id=\"heat_waiting_list_end\">")
    );
}

#[test]
fn a_one_way_sweep_draws_a_tornado() {
    let (_tmp, out) = sweep(
        "design = \"one_way\"\n\n[[parameter]]\npath = \"providers.edge_istc.mff\"\nlow = 0.9\nhigh = 1.1\n\n\
         [[parameter]]\npath = \"service_lines.hip_replacement.referral_probability\"\nlow = 0.4\nhigh = 0.6\n",
    );
    let svgs = check_sweep_charts(&out, &["tornado"]);
    let svg = &svgs["tornado_referrals_per_1000"];
    let (hip, istc) = ("\nhip_replacement.referral_probability (0.4 → 0.6)\n", "\nedge_istc.mff (0.9 → 1.1)\n");
    assert!(svg.contains("\nLow value\n") && svg.contains("\nHigh value\n"));
    // The referral probability moves referrals, the price index does not: it is drawn
    // first (at the top) although the sweep file lists it second.
    let y_of = |label: &str| -> u32 {
        let at = svg.find(label).unwrap_or_else(|| panic!("no label {label}"));
        let tag = &svg[svg[..at].rfind("<text").unwrap()..at];
        let y = &tag[tag.find(" y=\"").unwrap() + 4..];
        y[..y.find('"').unwrap()].parse().unwrap()
    };
    assert!(y_of(hip) < y_of(istc), "widest swing at the top");
    assert!(svg.contains("from the base (per 1,000 a year)"));

    pbrsim().arg("report").arg(&out).assert().success();
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<h3>One-way sensitivity (tornado.csv, whole horizon)</h3>"));
    assert!(html.contains("<figure id=\"tornado_referrals_per_1000\">"));
    assert!(
        html.contains("<td><code>service_lines.hip_replacement.referral_probability</code></td><td>0.4 → 0.6</td>")
    );
}

#[test]
fn incomplete_comparison_and_sweep_folders_are_bad_input() {
    // A shard is not a merged sweep.
    let tmp = tempfile::tempdir().unwrap();
    let shard = tmp.path().join("shard");
    pbrsim()
        .args(["sweep", "--quiet", "--shard", "1/2", "--out"])
        .arg(&shard)
        .arg(repo("tests/data/sweep-small.toml"))
        .assert()
        .success();
    pbrsim()
        .arg("plot")
        .arg(&shard)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("a sweep that is not merged").and(predicate::str::contains("pbrsim merge")));
    assert!(!shard.join("charts").exists(), "nothing drawn from bad input");

    let (_tmp, out) =
        sweep("design = \"one_way\"\n\n[[parameter]]\npath = \"providers.edge_istc.mff\"\nlow = 0.9\nhigh = 1.1\n");
    pbrsim()
        .args(["plot", "--metric", "nonsense"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no metric `nonsense`"));
    fs::remove_file(out.join("tornado.csv")).unwrap();
    pbrsim().arg("report").arg(&out).assert().code(2).stderr(predicate::str::contains("tornado.csv: no such file"));
    fs::write(out.join("tornado.csv"), "year,metric\nall,x\n").unwrap();
    pbrsim()
        .arg("plot")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("tornado.csv:1: expected the header"));

    let (_tmp2, cmp) = compare("2");
    let csv = fs::read_to_string(cmp.join("comparison.csv")).unwrap();
    fs::write(
        cmp.join("comparison.csv"),
        csv.replacen(
            "\n2007/08,registered_population,small-policy,",
            "\n2007/08,registered_population,small-policy,x",
            1,
        ),
    )
    .unwrap();
    pbrsim().arg("plot").arg(&cmp).assert().code(2).stderr(predicate::str::contains("comparison.csv:2:"));
    fs::remove_file(cmp.join("comparison.csv")).unwrap();
    pbrsim().arg("plot").arg(&cmp).assert().code(2).stderr(predicate::str::contains("comparison.csv: no such file"));
    fs::remove_dir_all(cmp.join("small")).unwrap();
    fs::write(cmp.join("comparison.csv"), &csv).unwrap();
    pbrsim().arg("report").arg(&cmp).assert().code(2).stderr(predicate::str::contains("summary.csv: no such file"));

    // --metric is for comparison and sweep folders.
    let (_tmp3, run_dir) = run("tests/data/small.toml", "2", &[]);
    pbrsim()
        .args(["plot", "--metric", "referrals"])
        .arg(&run_dir)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--metric chooses the metrics of a comparison or sweep folder"));
}
