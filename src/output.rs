//! Writing results: tidy CSV tables and a JSON manifest, every file written atomically.
//!
//! Numbers are written in Rust's shortest round-trip form, which is the same on every
//! platform, so identical results give identical bytes. Missing values are `NA`.

pub mod atomic;
pub mod compare;
pub mod stage;
pub mod sweep;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::experiment::metrics::{self, EntityFn, Metric};
use crate::experiment::{Collected, Table, summarise};
use crate::model::Model;

/// Why results could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot write {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("cannot encode the manifest: {0}")]
    Json(#[from] serde_json::Error),
    #[error("will not write results into {}: {why}; choose another --out", path.display())]
    NotResults { path: PathBuf, why: &'static str },
}

/// A number as written in outputs.
pub fn fmt_num(x: f64) -> String {
    if x.is_nan() {
        "NA".into()
    } else if x == 0.0 {
        "0".into()
    } else {
        format!("{x}")
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file's size and SHA-256, read in pieces: an output file may be far larger than
/// the memory a run otherwise needs (`practices.csv` of a long run is gigabytes).
fn sha256_file(path: &Path) -> std::io::Result<(u64, String)> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let (mut hasher, mut buf, mut bytes) = (Sha256::new(), vec![0u8; 1 << 16], 0u64);
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok((bytes, hex(&hasher.finalize())));
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
}

/// Quotes a CSV field if it needs it (RFC 4180).
pub(crate) fn field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")).into() } else { s.into() }
}

pub(crate) const SUMMARY_HEADER: &str = "mean,sd,ci95_low,ci95_high,p05,p50,p95,n";

pub(crate) fn summary_cells(values: &[f64]) -> String {
    let s = summarise(values);
    [s.mean, s.sd, s.ci95_low, s.ci95_high, s.p05, s.p50, s.p95]
        .iter()
        .map(|&x| fmt_num(x))
        .chain(std::iter::once(s.n.to_string()))
        .collect::<Vec<_>>()
        .join(",")
}

/// Facts about the run recorded in the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo<'a> {
    pub pbrsim_version: &'static str,
    pub scenario: ScenarioInfo<'a>,
    pub seed: u64,
    pub replications: u32,
    pub threads: usize,
    pub wall_seconds: f64,
    pub years: Vec<String>,
    /// The scenario with every default filled in, as it was run (uncertain
    /// parameters at their means).
    pub resolved_scenario: &'a crate::scenario::Scenario,
    /// Parameters given as distributions, each drawn once per replication.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uncertain_parameters: Vec<UncertainInfo>,
    /// Whether `pathways.csv` was asked for (`--pathways`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pathways: bool,
    /// Per replication, the values drawn for `uncertain_parameters` (written to
    /// `parameters.csv`, not the manifest).
    #[serde(skip)]
    pub draws: &'a [Vec<f64>],
}

/// An uncertain parameter as the manifest records it.
#[derive(Debug, Clone, Serialize)]
pub struct UncertainInfo {
    pub parameter: String,
    pub distribution: String,
}

impl UncertainInfo {
    pub fn of(u: &crate::scenario::Uncertain) -> Self {
        Self { parameter: u.name.clone(), distribution: format!("{:?}", u.prior) }
    }
}

/// The scenario file a run came from, and the files it extends (nearest first).
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioInfo<'a> {
    pub path: &'a str,
    pub sha256: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extends: Vec<ExtendedFile>,
}

/// A file a scenario extends.
#[derive(Debug, Clone, Serialize)]
pub struct ExtendedFile {
    pub path: String,
    pub sha256: String,
}

/// A manifest: facts about the run, then every output file with its hash.
#[derive(Serialize)]
struct Manifest<'a, T: Serialize> {
    #[serde(flatten)]
    run: &'a T,
    outputs: Vec<OutputFile>,
}

#[derive(Serialize)]
struct OutputFile {
    file: String,
    bytes: u64,
    sha256: String,
}

/// Names of the files [`write_run`] writes, in order (the manifest last);
/// `parameters.csv` comes before the manifest when parameters are uncertain, and
/// [`PCT_FILES`] before it when the scenario has several PCTs.
pub const RUN_FILES: [&str; 10] = [
    "summary.csv",
    "summary_providers.csv",
    "summary_services.csv",
    "summary_practices.csv",
    "replications.csv",
    "providers.csv",
    "services.csv",
    "practices.csv",
    "market_events.csv",
    "manifest.json",
];

/// Every patient's referral-to-treatment pathway, written only with `--pathways`.
pub const PATHWAYS_FILE: &str = "pathways.csv";

/// Per-PCT files, written only when a scenario has more than one PCT (with one, they
/// would repeat `summary.csv`).
pub const PCT_FILES: [&str; 2] = ["summary_pcts.csv", "pcts.csv"];

/// Writes every result file of a run into `dir`; returns their paths.
pub fn write_run(dir: &Path, model: &Model, c: &Collected, info: &RunInfo) -> Result<Vec<PathBuf>, OutputError> {
    let cfg = model.config();
    let providers: Vec<&str> = cfg.providers.iter().map(|p| p.name.as_str()).collect();
    // A service (a provider on one service line) is named `provider/line`.
    let service_names: Vec<String> =
        model.services().map(|(p, l)| format!("{}/{}", cfg.providers[p].name, cfg.lines[l].name)).collect();
    let services: Vec<&str> = service_names.iter().map(String::as_str).collect();
    let practices: Vec<&str> = cfg.practices.iter().map(|p| p.name.as_str()).collect();
    let reps = info.replications as usize;
    let mut written = Vec::new();
    let mut out = |name: &str, fill: &dyn Fn(&mut dyn Write) -> std::io::Result<()>| -> Result<(), OutputError> {
        let path = dir.join(name);
        atomic::write_with(&path, fill)?;
        written.push(path);
        Ok(())
    };

    out("summary.csv", &|w| {
        writeln!(w, "year,metric,unit,{SUMMARY_HEADER}")?;
        for (p, period) in c.periods.iter().enumerate() {
            for (k, m) in metrics::SYSTEM.iter().enumerate() {
                writeln!(w, "{period},{},{},{}", m.name, m.unit, summary_cells(&c.values(Table::System, p, 0, k)?))?;
            }
        }
        Ok(())
    })?;
    let entity_summary = |w: &mut dyn Write, kind: &str, names: &[&str], table: Table, defs: &[Metric<EntityFn>]| {
        writeln!(w, "year,{kind},metric,unit,{SUMMARY_HEADER}")?;
        for (p, period) in c.periods.iter().enumerate() {
            for (i, name) in names.iter().enumerate() {
                for (k, m) in defs.iter().enumerate() {
                    let cells = summary_cells(&c.values(table, p, i, k)?);
                    writeln!(w, "{period},{},{},{},{cells}", field(name), m.name, m.unit)?;
                }
            }
        }
        Ok(())
    };
    out("summary_providers.csv", &|w| entity_summary(w, "provider", &providers, Table::Provider, metrics::PROVIDER))?;
    out("summary_services.csv", &|w| entity_summary(w, "service", &services, Table::Service, metrics::SERVICE))?;
    out("summary_practices.csv", &|w| entity_summary(w, "practice", &practices, Table::Practice, metrics::PRACTICE))?;
    out("replications.csv", &|w| {
        writeln!(w, "replication,year,metric,value")?;
        for r in 0..reps {
            let row = c.replication(r)?;
            for (p, period) in c.periods.iter().enumerate() {
                for (k, m) in metrics::SYSTEM.iter().enumerate() {
                    writeln!(w, "{r},{period},{},{}", m.name, fmt_num(row.get(Table::System, p, 0, k)))?;
                }
            }
        }
        Ok(())
    })?;
    let entity_long = |w: &mut dyn Write, kind: &str, names: &[&str], table: Table, defs: &[Metric<EntityFn>]| {
        writeln!(w, "replication,year,{kind},metric,value")?;
        for r in 0..reps {
            let row = c.replication(r)?;
            for (p, period) in c.periods.iter().enumerate() {
                for (i, name) in names.iter().enumerate() {
                    let name = field(name);
                    for (k, m) in defs.iter().enumerate() {
                        writeln!(w, "{r},{period},{name},{},{}", m.name, fmt_num(row.get(table, p, i, k)))?;
                    }
                }
            }
        }
        Ok(())
    };
    out("providers.csv", &|w| entity_long(w, "provider", &providers, Table::Provider, metrics::PROVIDER))?;
    out("services.csv", &|w| entity_long(w, "service", &services, Table::Service, metrics::SERVICE))?;
    out("practices.csv", &|w| entity_long(w, "practice", &practices, Table::Practice, metrics::PRACTICE))?;
    // With several PCTs a last column names the PCT whose petition, review or tender
    // it is; with one it would say nothing, so a single-PCT run's file is unchanged.
    let pct_column = cfg.pcts.len() > 1;
    out("market_events.csv", &|w| {
        writeln!(w, "replication,date,year,event,provider,service,value{}", if pct_column { ",pct" } else { "" })?;
        for (r, e) in &c.events {
            let date = cfg.calendar.date_at(e.time);
            let year = cfg.calendar.years.iter().find(|y| e.time < y.end).map_or("", |y| y.label.as_str());
            // Petitions, reviews and tenders concern a service line: named in `service`.
            let line = e.line.and_then(|l| cfg.lines.get(l as usize));
            let service = match (e.service, line) {
                (Some(s), _) => field(services[s]).into_owned(),
                (None, Some(l)) => field(&l.name).into_owned(),
                (None, None) => String::new(),
            };
            let provider = e.provider.map_or(String::new(), |p| field(providers[p]).into_owned());
            write!(w, "{r},{date},{year},{},{provider},{service},{}", e.kind.as_str(), e.value)?;
            if pct_column {
                let pct = e.pct.and_then(|k| cfg.pcts.get(k as usize));
                write!(w, ",{}", pct.map_or(String::new(), |k| field(&k.name).into_owned()))?;
            }
            writeln!(w)?;
        }
        Ok(())
    })?;
    if cfg.pcts.len() > 1 {
        let pcts: Vec<&str> = cfg.pcts.iter().map(|p| p.name.as_str()).collect();
        out(PCT_FILES[0], &|w| entity_summary(w, "pct", &pcts, Table::Pct, metrics::PCT))?;
        out(PCT_FILES[1], &|w| entity_long(w, "pct", &pcts, Table::Pct, metrics::PCT))?;
    }
    if c.has_pathways() {
        let of_service: Vec<(usize, usize)> = model.services().collect();
        out(PATHWAYS_FILE, &|w| {
            writeln!(
                w,
                "replication,year,pct,practice,provider,service_line,referral_date,clock_stop_date,wait_days,admitted,community"
            )?;
            for r in 0..reps {
                for s in c.pathways(r)? {
                    let (practice, (provider, line)) = (s.practice as usize, of_service[s.service as usize]);
                    let year = cfg.calendar.years.get(s.year as usize).map_or("", |y| y.label.as_str());
                    writeln!(
                        w,
                        "{r},{year},{},{},{},{},{},{},{},{},{}",
                        field(&cfg.pcts[cfg.practices[practice].pct].name),
                        field(practices[practice]),
                        field(providers[provider]),
                        field(&cfg.lines[line].name),
                        cfg.calendar.date_at(s.referred),
                        cfg.calendar.date_at(s.stopped),
                        fmt_num(s.stopped - s.referred),
                        s.admitted,
                        cfg.providers[provider].community
                    )?;
                }
            }
            Ok(())
        })?;
    }
    if !info.uncertain_parameters.is_empty() {
        out("parameters.csv", &|w| {
            writeln!(w, "replication,parameter,value")?;
            for (r, values) in info.draws.iter().enumerate() {
                for (u, v) in info.uncertain_parameters.iter().zip(values) {
                    writeln!(w, "{r},{},{}", field(&u.parameter), fmt_num(*v))?;
                }
            }
            Ok(())
        })?;
    }
    write_manifest(dir, info, written)
}

/// Hashes the files written and writes `manifest.json` listing them; returns every
/// path written, the manifest last. `manifest` carries everything but the outputs.
pub fn write_manifest<T: Serialize>(
    dir: &Path,
    manifest: &T,
    mut written: Vec<PathBuf>,
) -> Result<Vec<PathBuf>, OutputError> {
    let mut outputs = Vec::new();
    for path in &written {
        let (bytes, sha256) = sha256_file(path).map_err(|source| OutputError::Io { path: path.clone(), source })?;
        outputs.push(OutputFile {
            file: path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
            bytes,
            sha256,
        });
    }
    let json = serde_json::to_vec_pretty(&Manifest { run: manifest, outputs })?;
    let path = dir.join("manifest.json");
    atomic::write(&path, &json)?;
    written.push(path);
    Ok(written)
}
