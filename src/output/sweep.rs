//! A sweep's output folder, and merging shards into one.
//!
//! Layout of a folder that `pbrsim sweep` writes (a whole sweep or one shard):
//!
//! - `sweep.json`: the resolved sweep (pbrsim version, sweep and scenario files with
//!   their SHA-256, design, seed, replications, parameters and every point). The same
//!   bytes in every shard of a sweep, which is how `merge` knows shards belong together
//!   and `--resume` knows nothing changed.
//! - `shard.json`: which shard this folder holds (only when `--shard` was given).
//! - `points/NNNNNN.{providers,replications,parameters}.csv` then `points/NNNNNN.csv`:
//!   each point's results,
//!   each file written atomically; the summary is written last, so its presence means
//!   the point is complete.
//!
//! Merging (and a whole sweep, which merges itself) writes `points.csv`,
//! `sweep_summary.csv`, `sweep_summary_providers.csv`, `sweep_replications.csv`, `sweep_parameters.csv` (uncertain
//! parameters), `tornado.csv` (one-way designs) and
//! a `manifest.json` without timings, so merged bytes never depend on how the sweep
//! was cut into shards or how many threads ran it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{OutputError, SUMMARY_HEADER, atomic, field, fmt_num, sha256_hex, summary_cells, write_manifest};
use crate::experiment::metrics;
use crate::experiment::sweep::{Design, Sweep};
use crate::experiment::{Collected, Table};

/// Names of the merged files, in the order written (`sweep_parameters.csv` only when
/// the scenario has uncertain parameters, `tornado.csv` only for one-way designs; the
/// manifest last).
pub const MERGED_FILES: [&str; 8] = [
    "points.csv",
    "sweep_summary.csv",
    "sweep_summary_providers.csv",
    "sweep_replications.csv",
    "sweep_parameters.csv",
    "tornado.csv",
    "sweep.json",
    "manifest.json",
];

/// Why shards could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{0}")]
    Output(#[from] OutputError),
    #[error("{} is not a sweep folder (no sweep.json): {source}", dir.display())]
    NotASweep { dir: PathBuf, source: std::io::Error },
    #[error("{} holds a different sweep from {} (their sweep.json differ)", other.display(), first.display())]
    Mismatch { first: PathBuf, other: PathBuf },
    #[error("cannot read sweep.json in {}: {source}", dir.display())]
    Json { dir: PathBuf, source: serde_json::Error },
    #[error("{} of {total} points have no results in the folders given (first: point {first}); run their shards, or resume them", missing.len())]
    Missing { missing: Vec<usize>, first: usize, total: usize },
    #[error("point {point} has different results in {} and {}: were they run by different pbrsim versions?", a.display(), b.display())]
    Conflict { point: usize, a: PathBuf, b: PathBuf },
}

impl MergeError {
    /// Whether the input was at fault (exit code 2) rather than a file (exit code 1).
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, Self::Output(_))
    }
}

/// A file the sweep came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileRecord {
    pub path: String,
    pub sha256: String,
}

/// A point as `sweep.json` and `points.csv` record it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointRecord {
    pub point: usize,
    /// Per parameter, the value it is run at (the scenario's own where not set).
    pub values: Vec<String>,
    /// One-way designs: the parameter varied (or `base`) and `low`, `high` or `base`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub varied: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
}

/// The resolved sweep: `sweep.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepRecord {
    pub pbrsim_version: String,
    pub sweep: FileRecord,
    pub scenario: FileRecord,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extends: Vec<FileRecord>,
    pub design: Design,
    pub seed: u64,
    pub replications: u32,
    pub parameters: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uncertain_parameters: Vec<String>,
    pub points: Vec<PointRecord>,
}

/// A TOML value as written in `points.csv`.
pub fn show(v: &toml::Value) -> String {
    match v {
        toml::Value::Float(x) => fmt_num(*x),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::String(s) => s.clone(),
        toml::Value::Boolean(b) => b.to_string(),
        other => other.to_string(),
    }
}

impl SweepRecord {
    pub fn of(s: &Sweep) -> Self {
        let file = |path: &Path, text: &str| FileRecord {
            path: path.display().to_string(),
            sha256: sha256_hex(text.as_bytes()),
        };
        Self {
            pbrsim_version: env!("CARGO_PKG_VERSION").into(),
            sweep: file(&s.path, &s.text),
            scenario: file(&s.scenario.path, &s.scenario.text),
            extends: s.scenario.extends.iter().map(|f| file(&f.path, &f.text)).collect(),
            design: s.spec.design,
            seed: s.settings.seed,
            replications: s.settings.replications,
            parameters: s.spec.parameters.iter().map(|p| p.path.clone()).collect(),
            uncertain_parameters: s.scenario.uncertain.iter().map(|u| u.name.clone()).collect(),
            points: s
                .points
                .iter()
                .map(|p| PointRecord {
                    point: p.id,
                    values: p
                        .values
                        .iter()
                        .zip(&s.base)
                        .map(|(v, b)| v.as_ref().or(b.as_ref()).map_or_else(|| "NA".into(), show))
                        .collect(),
                    varied: (s.spec.design == Design::OneWay)
                        .then(|| p.varied.map_or_else(|| "base".into(), |(j, _)| s.spec.parameters[j].path.clone())),
                    level: (s.spec.design == Design::OneWay)
                        .then(|| p.varied.map_or_else(|| "base".into(), |(_, l)| l.as_str().into())),
                })
                .collect(),
        }
    }

    /// The bytes of `sweep.json`.
    pub fn to_json(&self) -> Result<Vec<u8>, OutputError> {
        let mut v = serde_json::to_vec_pretty(self)?;
        v.push(b'\n');
        Ok(v)
    }
}

/// Path of a point's summary (its completion marker).
pub fn point_summary(dir: &Path, point: usize) -> PathBuf {
    dir.join("points").join(format!("{point:06}.csv"))
}

fn point_replications(dir: &Path, point: usize) -> PathBuf {
    dir.join("points").join(format!("{point:06}.replications.csv"))
}

fn point_providers(dir: &Path, point: usize) -> PathBuf {
    dir.join("points").join(format!("{point:06}.providers.csv"))
}

fn point_parameters(dir: &Path, point: usize) -> PathBuf {
    dir.join("points").join(format!("{point:06}.parameters.csv"))
}

/// Writes a point's results: replications (and, when the scenario has uncertain
/// parameters, their draws) first, then the summary that marks the point done.
/// `uncertain` names the uncertain parameters; `draws` holds each replication's values.
/// `providers` names the providers, in the order of `c`.
pub fn write_point(
    dir: &Path,
    point: usize,
    c: &Collected,
    replications: usize,
    providers: &[String],
    uncertain: &[String],
    draws: &[Vec<f64>],
) -> Result<(), OutputError> {
    atomic::write_with(&point_providers(dir, point), |w| {
        for (p, period) in c.periods.iter().enumerate() {
            for (i, name) in providers.iter().enumerate() {
                for (k, m) in metrics::PROVIDER.iter().enumerate() {
                    let cells = summary_cells(&c.values(Table::Provider, p, i, k)?);
                    writeln!(w, "{point},{period},{},{},{},{cells}", field(name), m.name, m.unit)?;
                }
            }
        }
        Ok(())
    })?;
    if !uncertain.is_empty() {
        atomic::write_with(&point_parameters(dir, point), |w| {
            for (r, values) in draws.iter().enumerate() {
                for (name, v) in uncertain.iter().zip(values) {
                    writeln!(w, "{point},{r},{},{}", field(name), fmt_num(*v))?;
                }
            }
            Ok(())
        })?;
    }
    atomic::write_with(&point_replications(dir, point), |w| {
        for r in 0..replications {
            let row = c.replication(r)?;
            for (p, period) in c.periods.iter().enumerate() {
                for (k, m) in metrics::SYSTEM.iter().enumerate() {
                    writeln!(w, "{point},{r},{period},{},{}", m.name, fmt_num(row.get(Table::System, p, 0, k)))?;
                }
            }
        }
        Ok(())
    })?;
    atomic::write_with(&point_summary(dir, point), |w| {
        for (p, period) in c.periods.iter().enumerate() {
            for (k, m) in metrics::SYSTEM.iter().enumerate() {
                writeln!(
                    w,
                    "{point},{period},{},{},{}",
                    m.name,
                    m.unit,
                    summary_cells(&c.values(Table::System, p, 0, k)?)
                )?;
            }
        }
        Ok(())
    })
}

/// Removes temporary files a killed run left in a sweep folder's `points/`.
pub fn clean_temporaries(dir: &Path) -> Result<(), OutputError> {
    let points = dir.join("points");
    let Ok(entries) = std::fs::read_dir(&points) else { return Ok(()) };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(".pbrsim-") && name.ends_with(".tmp") {
            std::fs::remove_file(e.path()).map_err(|source| OutputError::Io { path: e.path(), source })?;
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct MergedInfo<'a> {
    pbrsim_version: &'static str,
    sweep: &'a SweepRecord,
}

fn read(path: &Path) -> Result<Vec<u8>, OutputError> {
    std::fs::read(path).map_err(|source| OutputError::Io { path: path.into(), source })
}

/// Merges the points of sweep folders (shards, or one whole sweep) into `out`.
/// Every point must be in at least one folder; a point in several must have the same
/// bytes in each. Returns the paths written.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<Vec<PathBuf>, MergeError> {
    let Some(first) = dirs.first() else { return Ok(Vec::new()) };
    let sweep_json = std::fs::read(first.join("sweep.json"))
        .map_err(|source| MergeError::NotASweep { dir: first.clone(), source })?;
    for d in &dirs[1..] {
        let other =
            std::fs::read(d.join("sweep.json")).map_err(|source| MergeError::NotASweep { dir: d.clone(), source })?;
        if other != sweep_json {
            return Err(MergeError::Mismatch { first: first.clone(), other: d.clone() });
        }
    }
    let record: SweepRecord =
        serde_json::from_slice(&sweep_json).map_err(|source| MergeError::Json { dir: first.clone(), source })?;
    let total = record.points.len();
    let mut found: Vec<Option<&PathBuf>> = vec![None; total];
    for (i, slot) in found.iter_mut().enumerate() {
        for d in dirs {
            if point_summary(d, i).is_file() {
                match slot {
                    None => *slot = Some(d),
                    Some(prev) => {
                        if read(&point_summary(prev, i))? != read(&point_summary(d, i))? {
                            return Err(MergeError::Conflict { point: i, a: (*prev).clone(), b: d.clone() });
                        }
                    }
                }
            }
        }
    }
    let missing: Vec<usize> = found.iter().enumerate().filter(|(_, f)| f.is_none()).map(|(i, _)| i).collect();
    if let Some(&first) = missing.first() {
        return Err(MergeError::Missing { first, missing, total });
    }
    let dirs_of: Vec<&PathBuf> = found.into_iter().flatten().collect();

    let mut written = Vec::new();
    let mut out_file = |name: &str, fill: &dyn Fn(&mut dyn Write) -> std::io::Result<()>| -> Result<(), OutputError> {
        let path = out.join(name);
        atomic::write_with(&path, fill)?;
        written.push(path);
        Ok(())
    };
    let one_way = record.design == Design::OneWay;
    out_file("points.csv", &|w| {
        let params: Vec<String> = record.parameters.iter().map(|p| field(p).into_owned()).collect();
        let extra = if one_way { "varied,level," } else { "" };
        writeln!(w, "point,{extra}{}", params.join(","))?;
        for p in &record.points {
            let values: Vec<String> = p.values.iter().map(|v| field(v).into_owned()).collect();
            let extra = match (&p.varied, &p.level) {
                (Some(v), Some(l)) => format!("{},{l},", field(v)),
                _ => String::new(),
            };
            writeln!(w, "{},{extra}{}", p.point, values.join(","))?;
        }
        Ok(())
    })?;
    let mut summaries = Vec::with_capacity(total);
    for (i, d) in dirs_of.iter().enumerate() {
        summaries.push(read(&point_summary(d, i))?);
    }
    out_file("sweep_summary.csv", &|w| {
        writeln!(w, "point,year,metric,unit,{SUMMARY_HEADER}")?;
        summaries.iter().try_for_each(|s| w.write_all(s))
    })?;
    out_file("sweep_summary_providers.csv", &|w| {
        writeln!(w, "point,year,provider,metric,unit,{SUMMARY_HEADER}")?;
        for (i, d) in dirs_of.iter().enumerate() {
            w.write_all(&std::fs::read(point_providers(d, i))?)?;
        }
        Ok(())
    })?;
    out_file("sweep_replications.csv", &|w| {
        writeln!(w, "point,replication,year,metric,value")?;
        for (i, d) in dirs_of.iter().enumerate() {
            w.write_all(&std::fs::read(point_replications(d, i))?)?;
        }
        Ok(())
    })?;
    if !record.uncertain_parameters.is_empty() {
        out_file("sweep_parameters.csv", &|w| {
            writeln!(w, "point,replication,parameter,value")?;
            for (i, d) in dirs_of.iter().enumerate() {
                w.write_all(&std::fs::read(point_parameters(d, i))?)?;
            }
            Ok(())
        })?;
    }
    if one_way {
        out_file("tornado.csv", &|w| tornado(w, &record, &summaries))?;
    }
    out_file("sweep.json", &|w| w.write_all(&sweep_json))?;
    let info = MergedInfo { pbrsim_version: env!("CARGO_PKG_VERSION"), sweep: &record };
    Ok(write_manifest(out, &info, written)?)
}

/// `tornado.csv`: for each year, metric and parameter of a one-way design, the mean
/// at the base, low and high points and the swing between low and high.
fn tornado(w: &mut dyn Write, record: &SweepRecord, summaries: &[Vec<u8>]) -> std::io::Result<()> {
    // (point, year, metric) → (mean, unit), and the row order of the base point.
    let mut means: BTreeMap<(usize, String, String), f64> = BTreeMap::new();
    let mut order: Vec<(String, String)> = Vec::new();
    for (i, s) in summaries.iter().enumerate() {
        for line in String::from_utf8_lossy(s).lines() {
            let cells: Vec<&str> = line.split(',').collect();
            let [_, year, metric, _, mean, ..] = cells.as_slice() else { continue };
            let mean = mean.parse::<f64>().unwrap_or(f64::NAN);
            if i == 0 {
                order.push((year.to_string(), metric.to_string()));
            }
            means.insert((i, year.to_string(), metric.to_string()), mean);
        }
    }
    writeln!(w, "year,metric,parameter,base_value,low_value,high_value,base_mean,low_mean,high_mean,swing")?;
    let point_of = |j: usize, level: &str| {
        record
            .points
            .iter()
            .position(|p| p.varied.as_deref() == Some(&record.parameters[j]) && p.level.as_deref() == Some(level))
    };
    for (year, metric) in &order {
        let mean = |p: Option<usize>| {
            p.and_then(|p| means.get(&(p, year.clone(), metric.clone()))).copied().unwrap_or(f64::NAN)
        };
        let base = mean(Some(0));
        for (j, name) in record.parameters.iter().enumerate() {
            let (lo, hi) = (point_of(j, "low"), point_of(j, "high"));
            let value = |p: Option<usize>| {
                p.map_or_else(|| "NA".to_string(), |p| field(&record.points[p].values[j]).into_owned())
            };
            let (low, high) = (mean(lo), mean(hi));
            writeln!(
                w,
                "{year},{metric},{},{},{},{},{},{},{},{}",
                field(name),
                field(&record.points[0].values[j]),
                value(lo),
                value(hi),
                fmt_num(base),
                fmt_num(low),
                fmt_num(high),
                fmt_num((high - low).abs())
            )?;
        }
    }
    Ok(())
}
