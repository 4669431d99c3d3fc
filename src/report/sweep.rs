//! A sweep folder written by `pbrsim sweep` (or `pbrsim merge`): response curves for a
//! one-parameter grid, a heat map for a two-parameter grid, a tornado for a one-way
//! design; and the report's tables.
//!
//! Charts read the merged `sweep_summary.csv` (each point's mean and 95% CI across its
//! replications, whole horizon) and `tornado.csv`; the sweep itself comes from
//! `sweep.json`, so a chart names the parameter values exactly as `points.csv` does.

use std::collections::HashMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use super::data::{bad, missing, number, open, records};
use super::figure::{Figure, LineSeries, Plot, Point, Section, Spread};
use super::html::{escape, value};
use super::{Built, ReportError, metric_list};

/// What the sweep charts show by default (those in the folder): the referral rate (GP
/// behaviour), the median admitted wait (the pressure on waiting lists), the 18-week
/// share (the target), the PCT's spend on modelled care (money), and retained PBC
/// savings when any point retains some (the practice incentive).
pub const DEFAULT_METRICS: &[&str] = &[
    "referrals_per_1000",
    "admitted_rtt_wait_p50_days",
    "rtt_within_18_weeks_share",
    "pct_spend_gbp",
    "pbc_retained_gbp",
];

/// A point's whole-horizon estimate of a metric.
#[derive(Debug, Clone, Copy)]
pub struct Estimate {
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
}

/// A whole-horizon row of `tornado.csv`.
#[derive(Debug, Clone)]
pub struct TornadoRow {
    pub metric: String,
    pub parameter: String,
    pub low_value: String,
    pub high_value: String,
    pub base_mean: f64,
    pub low_mean: f64,
    pub high_mean: f64,
    pub swing: f64,
}

/// Everything read from a merged sweep folder.
#[derive(Debug)]
pub struct Sweep {
    pub dir: PathBuf,
    pub pbrsim_version: String,
    pub sweep_path: String,
    pub scenario_path: String,
    pub design: String,
    pub seed: u64,
    pub replications: u64,
    /// Parameter paths, in the sweep file's order.
    pub parameters: Vec<String>,
    /// Each point's parameter values as written in `points.csv`.
    pub points: Vec<Vec<String>>,
    /// Metrics in file order, with their units.
    pub metrics: Vec<(String, String)>,
    /// (point, metric) → whole-horizon estimate.
    pub summary: HashMap<(usize, String), Estimate>,
    /// `tornado.csv` (one-way designs), whole horizon.
    pub tornado: Option<Vec<TornadoRow>>,
    pub outputs: Vec<(String, String)>,
}

fn stem(path: &str) -> String {
    Path::new(path).file_stem().map_or_else(|| path.to_owned(), |s| s.to_string_lossy().into_owned())
}

impl Sweep {
    /// Reads a folder that holds `sweep.json`. A shard's folder, or a sweep that has
    /// not finished, has no merged files: that is bad input with what to do about it.
    pub fn read(dir: &Path) -> Result<Self, ReportError> {
        let summary_path = dir.join("sweep_summary.csv");
        if !summary_path.exists() || !dir.join("manifest.json").exists() {
            return Err(ReportError::Incomplete {
                dir: dir.to_path_buf(),
                message:
                    "holds a sweep that is not merged (a shard, or a sweep that stopped part-way): finish it with \
                          `pbrsim sweep --resume`, or merge its shards with `pbrsim merge`, then plot the merged folder"
                        .into(),
            });
        }
        let path = dir.join("sweep.json");
        let text = std::fs::read_to_string(&path).map_err(|e| missing(&path, e))?;
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| bad(&path, e.line() as u64, format!("not valid JSON: {e}")))?;
        let string = |ptr: &str| {
            v.pointer(ptr)
                .and_then(|x| x.as_str())
                .map(str::to_owned)
                .ok_or_else(|| bad(&path, 0, format!("no `{}` field", &ptr[1..])))
        };
        let whole = |ptr: &str| {
            v.pointer(ptr).and_then(|x| x.as_u64()).ok_or_else(|| bad(&path, 0, format!("no `{}` field", &ptr[1..])))
        };
        let strings = |x: &serde_json::Value| -> Option<Vec<String>> {
            x.as_array()?.iter().map(|s| s.as_str().map(str::to_owned)).collect()
        };
        let parameters = v
            .get("parameters")
            .and_then(strings)
            .ok_or_else(|| bad(&path, 0, "`parameters` is not a list of paths"))?;
        let points: Vec<Vec<String>> = v
            .get("points")
            .and_then(|p| p.as_array())
            .and_then(|a| a.iter().map(|p| p.get("values").and_then(strings)).collect::<Option<Vec<_>>>())
            .ok_or_else(|| bad(&path, 0, "`points` is not a list of points with `values`"))?;
        if points.iter().any(|p| p.len() != parameters.len()) {
            return Err(bad(&path, 0, "a point's `values` do not match `parameters`"));
        }
        let manifest_path = dir.join("manifest.json");
        let manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&manifest_path).map_err(|e| missing(&manifest_path, e))?)
                .map_err(|e| bad(&manifest_path, e.line() as u64, format!("not valid JSON: {e}")))?;

        let mut metrics: Vec<(String, String)> = Vec::new();
        let mut summary = HashMap::new();
        let cols = ["point", "year", "metric", "unit", "mean", "sd", "ci95_low", "ci95_high", "p05", "p50", "p95", "n"];
        let r = open(&summary_path, &cols)?;
        records(&summary_path, r, |line, rec| {
            let point = rec[0].parse::<usize>().ok().filter(|p| *p < points.len()).ok_or_else(|| {
                bad(&summary_path, line, format!("`point` should be a point of the sweep, found `{}`", &rec[0]))
            })?;
            let mean = number(&summary_path, line, "mean", &rec[4])?;
            let lo = number(&summary_path, line, "ci95_low", &rec[6])?;
            let hi = number(&summary_path, line, "ci95_high", &rec[7])?;
            if &rec[1] != "all" {
                return Ok(());
            }
            if !metrics.iter().any(|(m, _)| m == &rec[2]) {
                metrics.push((rec[2].to_owned(), rec[3].to_owned()));
            }
            summary.insert((point, rec[2].to_owned()), Estimate { mean, lo, hi });
            Ok(())
        })?;
        if let Some(p) = (0..points.len()).find(|p| !summary.keys().any(|(q, _)| q == p)) {
            return Err(bad(
                &summary_path,
                0,
                format!("no whole-horizon rows for point {p} (the sweep has {})", points.len()),
            ));
        }
        let tornado_path = dir.join("tornado.csv");
        let tornado = if tornado_path.exists() {
            Some(read_tornado(&tornado_path)?)
        } else if string("/design")? == "one_way" {
            return Err(ReportError::Missing { path: tornado_path });
        } else {
            None
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            pbrsim_version: string("/pbrsim_version")?,
            sweep_path: string("/sweep/path")?,
            scenario_path: string("/scenario/path")?,
            design: string("/design")?,
            seed: whole("/seed")?,
            replications: whole("/replications")?,
            parameters,
            points,
            metrics,
            summary,
            tornado,
            outputs: super::data::manifest_outputs(&manifest),
        })
    }

    /// The caption line every sweep chart carries.
    pub fn caption(&self) -> String {
        format!(
            "Sweep {} ({}, {} points) of scenario {} · {} replications per point · seed {} · pbrsim {}",
            stem(&self.sweep_path),
            self.design,
            self.points.len(),
            stem(&self.scenario_path),
            self.replications,
            self.seed,
            self.pbrsim_version
        )
    }

    fn unit(&self, metric: &str) -> &str {
        self.metrics.iter().find(|(m, _)| m == metric).map_or("", |(_, u)| u.as_str())
    }

    /// The metrics to draw: those asked for (each must be in `sweep_summary.csv`), else
    /// the defaults present, `pbc_retained_gbp` only if some point retains savings.
    pub fn chosen(&self, asked: &[String]) -> Result<Vec<String>, ReportError> {
        let known: Vec<&str> = self.metrics.iter().map(|(m, _)| m.as_str()).collect();
        let mut list = metric_list(asked, &known, DEFAULT_METRICS, &self.dir.join("sweep_summary.csv"))?;
        if asked.is_empty() {
            list.retain(|m| {
                m != "pbc_retained_gbp"
                    || (0..self.points.len()).any(|p| self.summary.get(&(p, m.clone())).is_some_and(|e| e.mean != 0.0))
            });
        }
        Ok(list)
    }

    /// Every chart the design supports, for each metric.
    pub fn build(&self, metrics: &[String]) -> Built {
        let mut built = Built { figures: Vec::new(), skipped: Vec::new() };
        let mut add = |name: String, r: Result<Figure, String>| match r {
            Ok(f) if f.plot.values() > 0 => built.figures.push(f),
            Ok(_) => built.skipped.push((name, "no values to show".into())),
            Err(why) => built.skipped.push((name, why)),
        };
        for m in metrics {
            match (self.design.as_str(), self.parameters.len()) {
                ("one_way", _) => add(format!("tornado_{m}"), self.tornado_chart(m)),
                ("grid", 1) => add(format!("response_{m}"), self.response(m)),
                ("grid", 2) => {
                    add(format!("response_{m}"), self.response(m));
                    add(format!("heat_{m}"), self.heat(m));
                }
                (design, n) => add(
                    format!("sweep_{m}"),
                    Err(format!(
                        "a {design} design over {n} parameters has no curve, heat map or tornado to draw \
                         (fit a metamodel to sweep_replications.csv)"
                    )),
                ),
            }
        }
        built
    }

    /// The distinct values of parameter `k`, in order of first appearance.
    fn levels(&self, k: usize) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for p in &self.points {
            if !v.contains(&p[k]) {
                v.push(p[k].clone());
            }
        }
        v
    }

    fn figure(&self, name: String, title: String, axes: (String, String), note: String, plot: Plot) -> Figure {
        Figure {
            name,
            section: Section::Sweep,
            title,
            x_label: axes.0,
            y_label: axes.1,
            note,
            caption: self.caption(),
            plot,
        }
    }

    /// Response curves: the metric's mean and 95% CI at each value of the first
    /// parameter; with two parameters, one curve per value of the second.
    fn response(&self, metric: &str) -> Result<Figure, String> {
        let (scale, unit) = display(self.unit(metric), self.magnitude(metric));
        let mut xs = self.levels(0);
        // Numbers (every value, at least two different) go on a number line, in
        // order of value; anything else stays in sweep order, evenly spaced.
        let numbers: Option<Vec<f64>> =
            xs.iter().map(|x| x.trim().parse::<f64>().ok().filter(|v| v.is_finite())).collect();
        let numeric = numbers.filter(|v| v.iter().any(|&a| a != v[0])).map(|v| {
            let mut pairs: Vec<(f64, String)> = v.into_iter().zip(std::mem::take(&mut xs)).collect();
            pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
            let (values, labels) = pairs.into_iter().unzip();
            xs = labels;
            values
        });
        let two = self.parameters.len() == 2;
        let groups = if two { self.levels(1) } else { vec![String::new()] };
        let series = groups
            .iter()
            .map(|g| {
                let points = xs
                    .iter()
                    .map(|x| {
                        let p = self.points.iter().position(|p| &p[0] == x && (!two || &p[1] == g))?;
                        let e = self.summary.get(&(p, metric.to_owned()))?;
                        e.mean.is_finite().then(|| Point {
                            mid: e.mean * scale,
                            inner: None,
                            outer: (e.lo.is_finite() && e.hi.is_finite()).then_some((e.lo * scale, e.hi * scale)),
                        })
                    })
                    .collect();
                let name = if two { format!("{} = {g}", short(&self.parameters[1])) } else { "Mean".into() };
                LineSeries { name, spread: if two { Spread::Whiskers } else { Spread::Fan }, points }
            })
            .collect();
        let spacing = if numeric.is_some() {
            "Values are placed on the axis in proportion to their size."
        } else {
            "Values are evenly spaced on the axis, in sweep order."
        };
        let note = if two {
            format!(
                "Points: mean across replications at each pair of values; whiskers: 95% confidence interval of the mean. {spacing}"
            )
        } else {
            format!(
                "Line: mean across replications at each value; band: 95% confidence interval of the mean. {spacing}"
            )
        };
        Ok(self.figure(
            format!("response_{metric}"),
            format!("{metric} as {} varies", short(&self.parameters[0])),
            (self.parameters[0].clone(), format!("{metric} ({unit})")),
            note,
            Plot::Lines { categories: xs, x: numeric, series, refs: vec![], zero: false },
        ))
    }

    /// A heat map of the metric's mean over a two-parameter grid.
    fn heat(&self, metric: &str) -> Result<Figure, String> {
        let (scale, unit) = display(self.unit(metric), self.magnitude(metric));
        let (columns, rows) = (self.levels(0), self.levels(1));
        let cells = rows
            .iter()
            .map(|r| {
                columns
                    .iter()
                    .map(|c| {
                        let p = self.points.iter().position(|p| &p[0] == c && &p[1] == r)?;
                        let e = self.summary.get(&(p, metric.to_owned()))?;
                        e.mean.is_finite().then_some(e.mean * scale)
                    })
                    .collect()
            })
            .collect();
        Ok(self.figure(
            format!("heat_{metric}"),
            format!("{metric} over the grid of two parameters"),
            (self.parameters[0].clone(), self.parameters[1].clone()),
            format!("Cell: mean of {metric} across replications, in {unit}; darker is higher. NA: no value."),
            Plot::Heat { columns, rows, cells },
        ))
    }

    /// A tornado: the change in the metric's mean from the base when each parameter in
    /// turn is set to its low and to its high value, widest swing at the top.
    fn tornado_chart(&self, metric: &str) -> Result<Figure, String> {
        let rows = self.tornado.as_ref().ok_or("no tornado.csv")?;
        let mut rows: Vec<&TornadoRow> = rows.iter().filter(|r| r.metric == metric).collect();
        if rows.is_empty() {
            return Err(format!("tornado.csv has no whole-horizon rows for `{metric}`"));
        }
        // Stable: equal swings keep the sweep file's order.
        rows.sort_by(|a, b| b.swing.total_cmp(&a.swing));
        let magnitude = rows
            .iter()
            .map(|r| (r.low_mean - r.base_mean).abs().max((r.high_mean - r.base_mean).abs()))
            .fold(0.0, f64::max);
        let (scale, unit) = display(self.unit(metric), magnitude);
        let categories =
            rows.iter().map(|r| format!("{} ({} → {})", short(&r.parameter), r.low_value, r.high_value)).collect();
        let series = vec![
            ("Low value".to_owned(), rows.iter().map(|r| (r.low_mean - r.base_mean) * scale).collect()),
            ("High value".to_owned(), rows.iter().map(|r| (r.high_mean - r.base_mean) * scale).collect()),
        ];
        let base = rows[0].base_mean;
        Ok(self.figure(
            format!("tornado_{metric}"),
            format!("What moves {metric}: one parameter at a time"),
            (format!("Change in {metric} from the base ({unit})"), "Parameter (low → high value)".into()),
            format!(
                "Bars: change in the mean across replications when one parameter is set to its low or high value, the others at the base (mean {} {}); widest swing at the top. Every point runs on the same seed, so the changes are paired.",
                super::render::tick(display(self.unit(metric), base.abs()).0 * base),
                display(self.unit(metric), base.abs()).1
            ),
            Plot::Bars { categories, series, horizontal: true },
        ))
    }

    fn magnitude(&self, metric: &str) -> f64 {
        self.summary
            .iter()
            .filter(|((_, m), _)| m == metric)
            .map(|(_, e)| e.mean.abs())
            .filter(|x| x.is_finite())
            .fold(0.0, f64::max)
    }

    /// The report's tables: each point's parameter values and the chosen metrics' means
    /// with 95% CIs; for one-way designs, the tornado rows.
    pub fn tables(&self, h: &mut String, metrics: &[String]) {
        let _ = write!(h, "<h3>Points (whole horizon, mean and 95% CI)</h3>\n<table>\n<tr><th>point</th>");
        for p in &self.parameters {
            let _ = write!(h, "<th><code>{}</code></th>", escape(p));
        }
        for m in metrics {
            let _ = write!(h, "<th><code>{}</code></th>", escape(m));
        }
        let _ = writeln!(h, "</tr>");
        for (i, values) in self.points.iter().enumerate() {
            let _ = write!(h, "<tr><td>{i}</td>");
            for v in values {
                let _ = write!(h, "<td>{}</td>", escape(v));
            }
            for m in metrics {
                let unit = self.unit(m);
                let cell = self.summary.get(&(i, m.clone())).map_or_else(
                    || "NA".to_owned(),
                    |e| format!("{} ({} to {})", value(e.mean, unit), value(e.lo, unit), value(e.hi, unit)),
                );
                let _ = write!(h, "<td>{cell}</td>");
            }
            let _ = writeln!(h, "</tr>");
        }
        let _ = writeln!(h, "</table>");
        let Some(tornado) = &self.tornado else { return };
        let _ = writeln!(
            h,
            "<h3>One-way sensitivity (tornado.csv, whole horizon)</h3>\n<table>\n<tr><th>metric</th><th>parameter</th><th>low → high value</th><th>low mean</th><th>base mean</th><th>high mean</th><th>swing</th></tr>"
        );
        for m in metrics {
            let unit = self.unit(m);
            for r in tornado.iter().filter(|r| &r.metric == m) {
                let _ = writeln!(
                    h,
                    "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{} → {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(m),
                    escape(&r.parameter),
                    escape(&r.low_value),
                    escape(&r.high_value),
                    value(r.low_mean, unit),
                    value(r.base_mean, unit),
                    value(r.high_mean, unit),
                    value(r.swing, unit)
                );
            }
        }
        let _ = writeln!(h, "</table>");
    }
}

/// A parameter path shortened for titles and legends: its last two parts
/// (`service_lines.hip_replacement.referral_probability` → `hip_replacement.referral_probability`).
fn short(path: &str) -> String {
    let parts: Vec<&str> = path.split('.').collect();
    parts[parts.len().saturating_sub(2)..].join(".")
}

/// How to show values of `unit` whose size is about `magnitude`: the factor to multiply
/// by and the unit's name on an axis.
pub fn display(unit: &str, magnitude: f64) -> (f64, String) {
    match unit {
        "share" => (100.0, "%".into()),
        "gbp" if magnitude >= 1e6 => (1e-6, "£ million".into()),
        "gbp" if magnitude >= 1e3 => (1e-3, "£ thousand".into()),
        "gbp" => (1.0, "£".into()),
        "per_1000_per_year" => (1.0, "per 1,000 a year".into()),
        "gbp_per_head_per_year" => (1.0, "£ per head a year".into()),
        "" => (1.0, "no unit".into()),
        u => (1.0, u.replace('_', " ")),
    }
}

fn read_tornado(path: &Path) -> Result<Vec<TornadoRow>, ReportError> {
    let cols = [
        "year",
        "metric",
        "parameter",
        "base_value",
        "low_value",
        "high_value",
        "base_mean",
        "low_mean",
        "high_mean",
        "swing",
    ];
    let r = open(path, &cols)?;
    let mut rows = Vec::new();
    records(path, r, |line, rec| {
        let row = TornadoRow {
            metric: rec[1].to_owned(),
            parameter: rec[2].to_owned(),
            low_value: rec[4].to_owned(),
            high_value: rec[5].to_owned(),
            base_mean: number(path, line, "base_mean", &rec[6])?,
            low_mean: number(path, line, "low_mean", &rec[7])?,
            high_mean: number(path, line, "high_mean", &rec[8])?,
            swing: number(path, line, "swing", &rec[9])?,
        };
        if &rec[0] == "all" {
            rows.push(row);
        }
        Ok(())
    })?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_read_as_on_an_axis() {
        assert_eq!(display("share", 0.9), (100.0, "%".to_owned()));
        assert_eq!(display("gbp", 4.6e6), (1e-6, "£ million".to_owned()));
        assert_eq!(display("gbp", 380_000.0), (1e-3, "£ thousand".to_owned()));
        assert_eq!(display("gbp", 530.0), (1.0, "£".to_owned()));
        assert_eq!(display("per_1000_per_year", 130.0).1, "per 1,000 a year");
        assert_eq!(display("days", 100.0).1, "days");
    }

    #[test]
    fn parameter_paths_shorten_to_their_last_two_parts() {
        assert_eq!(short("service_lines.hip_replacement.referral_probability"), "hip_replacement.referral_probability");
        assert_eq!(short("pbc.retention"), "pbc.retention");
        assert_eq!(short("seed"), "seed");
    }
}
