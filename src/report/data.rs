//! Reading an output directory back: the long CSV tables and the manifest that
//! `pbrsim run` wrote (docs/outputs.md), checked as they are read.
//!
//! Charts summarise the per-replication values themselves (with the same
//! [`summarise`](crate::experiment::summarise) that wrote `summary*.csv`), so they
//! need only the long tables; `summary.csv` is read for the headline table and units.
//! Every value is kept in replication order, so a chart drawn from the same files is
//! the same chart.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::ReportError;

/// The values of one metric of one entity in one period, one per replication
/// (`NaN` for `NA`).
pub type Values = Vec<f64>;

/// A long table (`replications.csv`, `providers.csv`, `practices.csv`): values keyed by
/// period, entity and metric. The system table has one entity, `""`.
#[derive(Debug, Default)]
pub struct Long {
    /// Entities in file order.
    pub entities: Vec<String>,
    metrics: Vec<String>,
    values: HashMap<(String, String, String), Values>,
}

impl Long {
    /// The per-replication values, or `None` if the table has no such row (a metric
    /// from a newer or older pbrsim).
    pub fn get(&self, year: &str, entity: &str, metric: &str) -> Option<&[f64]> {
        self.values.get(&(year.to_owned(), entity.to_owned(), metric.to_owned())).map(Vec::as_slice)
    }

    /// Whether any row has this metric.
    pub fn has_metric(&self, metric: &str) -> bool {
        self.values.keys().any(|(_, _, m)| m == metric)
    }

    /// Metric names in file order.
    pub fn metrics(&self) -> &[String] {
        &self.metrics
    }
}

/// A row of `summary.csv`.
#[derive(Debug, Clone)]
pub struct SummaryRow {
    pub year: String,
    pub metric: String,
    pub unit: String,
    pub mean: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
    pub n: usize,
}

/// A row of `comparison.csv` (written by `pbrsim compare`): a paired difference
/// between a scenario and a base.
#[derive(Debug, Clone)]
pub struct ComparisonRow {
    pub year: String,
    pub metric: String,
    pub scenario: String,
    pub base_mean: f64,
    pub scenario_mean: f64,
    pub diff_mean: f64,
    pub diff_ci95_low: f64,
    pub diff_ci95_high: f64,
}

/// The facts about a run the charts and report name.
#[derive(Debug, Clone)]
pub struct Run {
    pub pbrsim_version: String,
    pub scenario_path: String,
    pub scenario_sha256: String,
    pub description: String,
    pub pct_name: String,
    pub seed: u64,
    pub replications: u32,
    /// Financial-year labels in order (the periods other than `all`).
    pub years: Vec<String>,
    /// (file, sha256) of the outputs listed in the manifest.
    pub outputs: Vec<(String, String)>,
}

impl Run {
    /// The scenario's name as shown to readers: its file stem.
    pub fn scenario_name(&self) -> String {
        Path::new(&self.scenario_path)
            .file_stem()
            .map_or_else(|| self.scenario_path.clone(), |s| s.to_string_lossy().into_owned())
    }

    /// The caption line every chart carries.
    pub fn caption(&self) -> String {
        format!(
            "Scenario {} · {} replication{} · seed {} · pbrsim {}",
            self.scenario_name(),
            self.replications,
            if self.replications == 1 { "" } else { "s" },
            self.seed,
            self.pbrsim_version
        )
    }
}

/// The practice metrics the charts use (whole horizon only).
const PRACTICE_METRICS: [&str; 3] = ["list_size", "referrals_per_1000", "retained_gbp"];

/// Everything read from an output directory.
#[derive(Debug)]
pub struct Outputs {
    pub dir: PathBuf,
    pub run: Run,
    pub summary: Vec<SummaryRow>,
    pub system: Long,
    pub providers: Long,
    pub practices: Long,
    /// `comparison.csv`, if `pbrsim compare` wrote one here.
    pub comparison: Option<Vec<ComparisonRow>>,
}

impl Outputs {
    /// Reads the files of `dir`. Fails with the file, line and problem if one is
    /// missing or is not what `pbrsim run` writes.
    pub fn read(dir: &Path) -> Result<Self, ReportError> {
        if !dir.is_dir() {
            return Err(ReportError::NotADirectory { dir: dir.to_path_buf() });
        }
        let run = read_manifest(&dir.join("manifest.json"))?;
        let summary = read_summary(&dir.join("summary.csv"))?;
        let system = read_long(&dir.join("replications.csv"), None, &|_, _| true)?;
        let providers = read_long(&dir.join("providers.csv"), Some("provider"), &|_, _| true)?;
        // A PCT can have hundreds of practices (England thousands): keep only what the
        // practice charts draw, every row still checked as it is read.
        let practices = read_long(&dir.join("practices.csv"), Some("practice"), &|year, metric| {
            year == "all" && PRACTICE_METRICS.contains(&metric)
        })?;
        let comparison_path = dir.join("comparison.csv");
        let comparison = if comparison_path.exists() { Some(read_comparison(&comparison_path)?) } else { None };
        Ok(Self { dir: dir.to_path_buf(), run, summary, system, providers, practices, comparison })
    }

    /// The unit of a system metric, from `summary.csv`.
    pub fn unit(&self, metric: &str) -> Option<&str> {
        self.summary.iter().find(|r| r.metric == metric).map(|r| r.unit.as_str())
    }
}

pub(super) fn missing(path: &Path, source: std::io::Error) -> ReportError {
    if source.kind() == std::io::ErrorKind::NotFound {
        ReportError::Missing { path: path.to_path_buf() }
    } else {
        ReportError::Read { path: path.to_path_buf(), source }
    }
}

pub(super) fn bad(path: &Path, line: u64, message: impl Into<String>) -> ReportError {
    ReportError::Garbled { path: path.to_path_buf(), line, message: message.into() }
}

/// The (file, sha256) pairs a manifest lists under `outputs`.
pub(super) fn manifest_outputs(v: &serde_json::Value) -> Vec<(String, String)> {
    v.pointer("/outputs")
        .and_then(|o| o.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|o| Some((o.get("file")?.as_str()?.to_owned(), o.get("sha256")?.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

fn read_manifest(path: &Path) -> Result<Run, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|e| missing(path, e))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(path, e.line() as u64, format!("not valid JSON: {e}")))?;
    let field = |ptr: &str| v.pointer(ptr).ok_or_else(|| bad(path, 0, format!("no `{}` field", &ptr[1..])));
    let string = |ptr: &str| -> Result<String, ReportError> {
        field(ptr)?.as_str().map(str::to_owned).ok_or_else(|| bad(path, 0, format!("`{}` is not a string", &ptr[1..])))
    };
    let number = |ptr: &str| -> Result<u64, ReportError> {
        field(ptr)?.as_u64().ok_or_else(|| bad(path, 0, format!("`{}` is not a whole number", &ptr[1..])))
    };
    let years = field("/years")?
        .as_array()
        .and_then(|a| a.iter().map(|y| y.as_str().map(str::to_owned)).collect::<Option<Vec<_>>>())
        .ok_or_else(|| bad(path, 0, "`years` is not a list of year labels"))?;
    let outputs = manifest_outputs(&v);
    let optional = |ptr: &str| v.pointer(ptr).and_then(|d| d.as_str()).unwrap_or("").trim().to_owned();
    Ok(Run {
        pbrsim_version: string("/pbrsim_version")?,
        scenario_path: string("/scenario/path")?,
        scenario_sha256: string("/scenario/sha256")?,
        description: optional("/resolved_scenario/description"),
        pct_name: optional("/resolved_scenario/pct/name"),
        seed: number("/seed")?,
        replications: u32::try_from(number("/replications")?)
            .map_err(|_| bad(path, 0, "`replications` is out of range"))?,
        years,
        outputs,
    })
}

/// Opens a CSV file and checks its header is exactly `expected`.
pub(super) fn open(path: &Path, expected: &[&str]) -> Result<csv::Reader<std::fs::File>, ReportError> {
    let file = std::fs::File::open(path).map_err(|e| missing(path, e))?;
    let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(file);
    let header = r.headers().map_err(|e| bad(path, 1, e.to_string()))?;
    if header.iter().ne(expected.iter().copied()) {
        return Err(bad(
            path,
            1,
            format!(
                "expected the header `{}`, found `{}`",
                expected.join(","),
                header.iter().collect::<Vec<_>>().join(",")
            ),
        ));
    }
    Ok(r)
}

pub(super) fn records(
    path: &Path,
    mut r: csv::Reader<std::fs::File>,
    mut each: impl FnMut(u64, &csv::StringRecord) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    let mut rec = csv::StringRecord::new();
    loop {
        match r.read_record(&mut rec) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let line = rec.position().map_or(0, |p| p.line());
                each(line, &rec)?;
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(bad(path, line, e.to_string()));
            }
        }
    }
}

pub(super) fn number(path: &Path, line: u64, column: &str, s: &str) -> Result<f64, ReportError> {
    if s == "NA" {
        return Ok(f64::NAN);
    }
    s.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| bad(path, line, format!("`{column}` should be a number or NA, found `{s}`")))
}

pub(super) fn read_summary(path: &Path) -> Result<Vec<SummaryRow>, ReportError> {
    let cols = ["year", "metric", "unit", "mean", "sd", "ci95_low", "ci95_high", "p05", "p50", "p95", "n"];
    let r = open(path, &cols)?;
    let mut rows = Vec::new();
    records(path, r, |line, rec| {
        let n = rec[10]
            .parse::<usize>()
            .map_err(|_| bad(path, line, format!("`n` should be a count, found `{}`", &rec[10])))?;
        rows.push(SummaryRow {
            year: rec[0].to_owned(),
            metric: rec[1].to_owned(),
            unit: rec[2].to_owned(),
            mean: number(path, line, "mean", &rec[3])?,
            ci95_low: number(path, line, "ci95_low", &rec[5])?,
            ci95_high: number(path, line, "ci95_high", &rec[6])?,
            n,
        });
        Ok(())
    })?;
    if rows.is_empty() {
        return Err(bad(path, 1, "no rows"));
    }
    Ok(rows)
}

/// Reads a long table; `kind` is the entity column (`provider`, `practice`), `None`
/// for `replications.csv`. Replications must count up from 0 in order. Only rows for
/// which `keep(year, metric)` holds are kept.
fn read_long(path: &Path, kind: Option<&str>, keep: &dyn Fn(&str, &str) -> bool) -> Result<Long, ReportError> {
    let mut cols = vec!["replication", "year"];
    cols.extend(kind);
    cols.extend(["metric", "value"]);
    let r = open(path, &cols)?;
    let off = usize::from(kind.is_some());
    let mut long = Long::default();
    let mut seen = std::collections::HashSet::new();
    records(path, r, |line, rec| {
        let rep = rec[0]
            .parse::<usize>()
            .map_err(|_| bad(path, line, format!("`replication` should be a count, found `{}`", &rec[0])))?;
        let entity = if off == 1 { rec[2].to_owned() } else { String::new() };
        if off == 1 && rep == 0 && seen.insert(entity.clone()) {
            long.entities.push(entity.clone());
        }
        if rep == 0 && !long.metrics.iter().any(|m| m == &rec[2 + off]) {
            long.metrics.push(rec[2 + off].to_owned());
        }
        let value = number(path, line, "value", &rec[3 + off])?;
        if !keep(&rec[1], &rec[2 + off]) {
            return Ok(());
        }
        let values = long.values.entry((rec[1].to_owned(), entity, rec[2 + off].to_owned())).or_default();
        if rep != values.len() {
            return Err(bad(path, line, format!("replication {rep} is out of order (expected {})", values.len())));
        }
        values.push(value);
        Ok(())
    })?;
    Ok(long)
}

pub(super) fn read_comparison(path: &Path) -> Result<Vec<ComparisonRow>, ReportError> {
    let file = std::fs::File::open(path).map_err(|e| missing(path, e))?;
    let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(file);
    let header = r.headers().map_err(|e| bad(path, 1, e.to_string()))?.clone();
    // Columns are found by name, so `compare` may add columns without breaking charts.
    let needed =
        ["year", "metric", "scenario", "base_mean", "diff_mean", "diff_ci95_low", "diff_ci95_high", "scenario_mean"];
    let mut at = Vec::new();
    for name in needed {
        at.push(header.iter().position(|h| h == name).ok_or_else(|| bad(path, 1, format!("no `{name}` column")))?);
    }
    let mut rows = Vec::new();
    records(path, r, |line, rec| {
        let get = |i: usize| rec.get(at[i]).unwrap_or("");
        rows.push(ComparisonRow {
            year: get(0).to_owned(),
            metric: get(1).to_owned(),
            scenario: get(2).to_owned(),
            base_mean: number(path, line, "base_mean", get(3))?,
            diff_mean: number(path, line, "diff_mean", get(4))?,
            diff_ci95_low: number(path, line, "diff_ci95_low", get(5))?,
            diff_ci95_high: number(path, line, "diff_ci95_high", get(6))?,
            scenario_mean: number(path, line, "scenario_mean", get(7))?,
        });
        Ok(())
    })?;
    Ok(rows)
}
