//! A comparison folder written by `pbrsim compare`: a forest plot of paired
//! differences per policy scenario, and the report's difference tables.
//!
//! Metrics have different units (days, £, shares), so the forest plot puts every
//! difference on one readable scale: a percentage of the base mean. The tables keep the
//! differences in the metrics' own units.

use std::collections::HashMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use super::data::bad;
use super::data::{ComparisonRow, read_comparison, read_summary};
use super::figure::{DotRow, Figure, Interval, Plot, Section};
use super::html::{escape, value};
use super::{Built, ReportError, metric_list};

/// What the forest plot and table show by default: the report's headline metrics
/// (those in the folder with a non-zero base).
pub const DEFAULT_METRICS: &[&str] = super::html::HEADLINE;

/// Everything read from a comparison folder.
#[derive(Debug)]
pub struct Comparison {
    pub dir: PathBuf,
    pub pbrsim_version: String,
    pub base: String,
    /// The policy scenarios' labels (the base left out), in the order compared.
    pub scenarios: Vec<String>,
    pub seed: u64,
    pub replications: u64,
    pub rows: Vec<ComparisonRow>,
    /// Metric units, from the base scenario's `summary.csv`.
    pub units: HashMap<String, String>,
    /// (file, sha256) of the outputs listed in the manifest.
    pub outputs: Vec<(String, String)>,
}

impl Comparison {
    /// Reads a folder whose `manifest.json` (already parsed as `manifest`) says
    /// `"command": "compare"`.
    pub fn read(dir: &Path, manifest: &serde_json::Value) -> Result<Self, ReportError> {
        let path = dir.join("manifest.json");
        let text = |ptr: &str| {
            manifest.pointer(ptr).and_then(|v| v.as_str()).map(str::to_owned).ok_or_else(|| {
                bad(&path, 0, format!("no `{}` field (expected a manifest written by `pbrsim compare`)", &ptr[1..]))
            })
        };
        let whole = |ptr: &str| {
            manifest
                .pointer(ptr)
                .and_then(|v| v.as_u64())
                .ok_or_else(|| bad(&path, 0, format!("no `{}` field", &ptr[1..])))
        };
        let base = text("/base")?;
        let labels: Vec<String> = manifest
            .pointer("/scenarios")
            .and_then(|s| s.as_array())
            .map(|a| a.iter().filter_map(|s| s.get("label")?.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        let scenarios: Vec<String> = labels.into_iter().filter(|l| *l != base).collect();
        if scenarios.is_empty() {
            return Err(bad(&path, 0, "`scenarios` names no policy scenario besides the base"));
        }
        let rows = read_comparison(&dir.join("comparison.csv"))?;
        if rows.is_empty() {
            return Err(bad(&dir.join("comparison.csv"), 1, "no rows"));
        }
        let units =
            read_summary(&dir.join(&base).join("summary.csv"))?.into_iter().map(|r| (r.metric, r.unit)).collect();
        Ok(Self {
            dir: dir.to_path_buf(),
            pbrsim_version: text("/pbrsim_version")?,
            base,
            scenarios,
            seed: whole("/seed")?,
            replications: whole("/replications")?,
            rows,
            units,
            outputs: super::data::manifest_outputs(manifest),
        })
    }

    /// The caption line of a chart about `scenario`.
    pub fn caption(&self, scenario: &str) -> String {
        format!(
            "Scenario {scenario} against base {} · {} paired replications · seed {} · pbrsim {}",
            self.base, self.replications, self.seed, self.pbrsim_version
        )
    }

    /// The metrics to show: those asked for (each must be in `comparison.csv`), else
    /// the defaults present.
    pub fn metrics(&self, asked: &[String]) -> Result<Vec<String>, ReportError> {
        let known: Vec<&str> = {
            let mut v: Vec<&str> = Vec::new();
            for r in &self.rows {
                if !v.contains(&r.metric.as_str()) {
                    v.push(&r.metric);
                }
            }
            v
        };
        metric_list(asked, &known, DEFAULT_METRICS, &self.dir.join("comparison.csv"))
    }

    /// One forest plot per policy scenario.
    pub fn build(&self, metrics: &[String]) -> Built {
        let mut built = Built { figures: Vec::new(), skipped: Vec::new() };
        for s in &self.scenarios {
            let name = format!("comparison_{}", super::file_stem(s));
            match forest(&self.rows, &name, Some(s), Some(metrics), &self.caption(s)) {
                Ok(f) => built.figures.push(f),
                Err(why) => built.skipped.push((name, why)),
            }
        }
        built
    }

    /// The report's tables: per scenario, each metric's base and scenario means and the
    /// paired difference with its 95% CI, in the metric's unit, whole horizon.
    pub fn tables(&self, h: &mut String, metrics: &[String]) {
        let year = whole_horizon(&self.rows);
        for s in &self.scenarios {
            let _ = writeln!(
                h,
                "<h3>{} − {} ({})</h3>\n<table>\n<tr><th>metric</th><th>unit</th><th>base mean</th><th>scenario mean</th><th>difference</th><th>95% CI</th><th>relative</th></tr>",
                escape(s),
                escape(&self.base),
                escape(&period(&year))
            );
            for m in metrics {
                let Some(r) = self.rows.iter().find(|r| r.year == year && &r.scenario == s && &r.metric == m) else {
                    continue;
                };
                let unit = self.units.get(m).map_or("", String::as_str);
                let rel = if r.base_mean != 0.0 && r.diff_mean.is_finite() {
                    format!("{:+.1}%", r.diff_mean / r.base_mean.abs() * 100.0)
                } else {
                    "NA".into()
                };
                let _ = writeln!(
                    h,
                    "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} to {}</td><td>{}</td></tr>",
                    escape(m),
                    escape(unit),
                    value(r.base_mean, unit),
                    value(r.scenario_mean, unit),
                    value(r.diff_mean, unit),
                    value(r.diff_ci95_low, unit),
                    value(r.diff_ci95_high, unit),
                    rel
                );
            }
            let _ = writeln!(h, "</table>");
        }
    }
}

/// The year whose rows a chart shows: the whole horizon (`all`) if there are any rows
/// for it, else the last year's.
fn whole_horizon(rows: &[ComparisonRow]) -> String {
    if rows.iter().any(|r| r.year == "all") {
        "all".to_owned()
    } else {
        rows.last().map_or_else(|| "all".to_owned(), |r| r.year.clone())
    }
}

fn period(year: &str) -> String {
    if year == "all" { "whole horizon".to_owned() } else { year.to_owned() }
}

/// The forest plot of comparison rows: each metric's mean paired difference, scenario
/// less base, as a percentage of the base mean, with its 95% CI; one colour per
/// scenario. Only `scenario` if given, only `metrics` (in that order) if given.
/// Metrics whose base mean is 0 cannot be put on this scale and are left out.
pub fn forest(
    rows: &[ComparisonRow],
    name: &str,
    scenario: Option<&str>,
    metrics: Option<&[String]>,
    caption: &str,
) -> Result<Figure, String> {
    if rows.is_empty() {
        return Err("comparison.csv has no rows".into());
    }
    let year = whole_horizon(rows);
    let mut categories: Vec<String> = metrics.map(<[String]>::to_vec).unwrap_or_default();
    let mut scenarios: Vec<String> = Vec::new();
    let mut dots = Vec::new();
    for r in rows.iter().filter(|r| r.year == year && scenario.is_none_or(|s| s == r.scenario)) {
        if r.base_mean == 0.0 || !r.base_mean.is_finite() || !r.diff_mean.is_finite() {
            continue;
        }
        let m = match categories.iter().position(|x| *x == r.metric) {
            Some(m) => m,
            None if metrics.is_some() => continue,
            None => {
                categories.push(r.metric.clone());
                categories.len() - 1
            }
        };
        let pct = |d: f64| d / r.base_mean.abs() * 100.0;
        let (lo, hi) = if r.diff_ci95_low.is_finite() && r.diff_ci95_high.is_finite() {
            (pct(r.diff_ci95_low), pct(r.diff_ci95_high))
        } else {
            (pct(r.diff_mean), pct(r.diff_mean))
        };
        let s = scenarios.iter().position(|x| *x == r.scenario).unwrap_or_else(|| {
            scenarios.push(r.scenario.clone());
            scenarios.len() - 1
        });
        dots.push(DotRow {
            category: m,
            series: s,
            estimate: Interval { mid: pct(r.diff_mean), lo, hi },
            points: vec![],
        });
    }
    if dots.is_empty() {
        return Err("comparison.csv has no chosen metric with a non-zero base".into());
    }
    // Keep only the metrics that have a dot, renumbered in order.
    let shown: Vec<usize> = (0..categories.len()).filter(|c| dots.iter().any(|d| d.category == *c)).collect();
    for d in &mut dots {
        d.category = shown.iter().position(|c| *c == d.category).expect("shown");
    }
    let categories = shown.into_iter().map(|c| categories[c].clone()).collect();
    let title = match scenario {
        Some(s) => format!("{s}: paired differences from the base, {}", period(&year)),
        None => format!("Paired differences from the base, {}", period(&year)),
    };
    Ok(Figure {
        name: name.to_owned(),
        section: Section::Comparison,
        title,
        x_label: "Difference from the base mean (%)".into(),
        y_label: "Metric".into(),
        note: "Dot: mean paired difference (scenario − base) over the base mean; whiskers: 95% confidence interval. Metrics whose base mean is 0 are left out.".into(),
        caption: caption.to_owned(),
        plot: Plot::Dots {
            categories,
            series: scenarios,
            rows: dots,
            refs: vec![],
            horizontal: true,
            label_categories: true,
            zero: true,
        },
    })
}
