//! Charts and a report from an output directory: `pbrsim plot` and `pbrsim report`.
//!
//! This is edge code: it reads the files `pbrsim run` wrote (never the model), so a
//! chart can be redrawn from results alone, long after the run.
//!
//! A folder is one of three kinds, told apart by its files: a run (`pbrsim run`), a
//! comparison (`pbrsim compare`: its manifest says `"command": "compare"`) or a sweep
//! (`pbrsim sweep`/`merge`: it holds `sweep.json`).
//!
//! - [`data`] reads and checks a run's CSV files and manifest;
//! - [`charts`] is the catalogue for a run: outputs → [`Figure`]s;
//! - [`compare`] and [`sweep`] read comparison and sweep folders and build their charts
//!   and tables;
//! - [`render`] draws a figure as SVG or PNG (plotters, bundled font, Okabe–Ito);
//! - [`html`] assembles the self-contained `report.html`.

pub mod charts;
pub mod compare;
pub mod data;
pub mod figure;
pub mod html;
pub mod render;
pub mod sweep;

use std::path::{Path, PathBuf};

pub use compare::Comparison;
pub use data::Outputs;
pub use figure::Figure;
pub use sweep::Sweep;

use crate::output::{OutputError, atomic};

/// Why charts or a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{}: not a directory (expected an output directory written by `pbrsim run`)", dir.display())]
    NotADirectory { dir: PathBuf },
    #[error("{}: no such file (is this an output directory written by `pbrsim run`?)", path.display())]
    Missing { path: PathBuf },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}:{line}: {message}", path.display())]
    Garbled { path: PathBuf, line: u64, message: String },
    #[error("{}: {message}", dir.display())]
    Incomplete { dir: PathBuf, message: String },
    #[error("{}: no metric `{metric}`{}", path.display(), suggestion.as_ref().map_or(String::new(), |s| format!("; did you mean `{s}`?")))]
    UnknownMetric { path: PathBuf, metric: String, suggestion: Option<String> },
    #[error("--metric chooses the metrics of a comparison or sweep folder's charts; {} is a run's folder, whose charts are fixed", dir.display())]
    MetricOnRun { dir: PathBuf },
    #[error("cannot draw chart `{name}`: {message}")]
    Draw { name: String, message: String },
    #[error(transparent)]
    Write(#[from] OutputError),
}

impl ReportError {
    /// Whether the fault is in the input directory (exit code 2) rather than in
    /// drawing or writing (exit code 1).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Self::NotADirectory { .. }
                | Self::Missing { .. }
                | Self::Read { .. }
                | Self::Garbled { .. }
                | Self::Incomplete { .. }
                | Self::UnknownMetric { .. }
                | Self::MetricOnRun { .. }
        )
    }
}

/// The charts an output directory makes, and those it skips with the reason.
pub struct Built {
    pub figures: Vec<Figure>,
    pub skipped: Vec<(String, String)>,
}

/// Builds every chart that applies to a run's `outputs`.
pub fn build(outputs: &Outputs) -> Built {
    let mut built = Built { figures: Vec::new(), skipped: Vec::new() };
    for chart in charts::CHARTS {
        match (chart.build)(outputs) {
            Ok(f) if f.plot.values() > 0 => built.figures.push(f),
            Ok(_) => built.skipped.push((chart.name.to_owned(), "no values to show".into())),
            Err(why) => built.skipped.push((chart.name.to_owned(), why)),
        }
    }
    built
}

/// An output folder of any kind, read and checked.
pub enum Folder {
    Run(Box<Outputs>),
    Comparison(Comparison),
    Sweep(Sweep),
}

impl Folder {
    /// Reads `dir`, telling its kind from its files.
    pub fn read(dir: &Path) -> Result<Self, ReportError> {
        if !dir.is_dir() {
            return Err(ReportError::NotADirectory { dir: dir.to_path_buf() });
        }
        if dir.join("sweep.json").exists() {
            return Ok(Self::Sweep(Sweep::read(dir)?));
        }
        let manifest = dir.join("manifest.json");
        if let Ok(text) = std::fs::read_to_string(&manifest)
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
            && v.get("command").and_then(|c| c.as_str()) == Some("compare")
        {
            return Ok(Self::Comparison(Comparison::read(dir, &v)?));
        }
        Ok(Self::Run(Box::new(Outputs::read(dir)?)))
    }

    /// Builds the folder's charts; `metrics` (from `--metric`) chooses the metrics of a
    /// comparison's or sweep's charts (empty: the defaults).
    pub fn build(&self, metrics: &[String]) -> Result<Built, ReportError> {
        match self {
            Self::Run(o) if metrics.is_empty() => Ok(build(o)),
            Self::Run(o) => Err(ReportError::MetricOnRun { dir: o.dir.clone() }),
            Self::Comparison(c) => Ok(c.build(&c.metrics(metrics)?)),
            Self::Sweep(s) => Ok(s.build(&s.chosen(metrics)?)),
        }
    }

    fn page(&self, metrics: &[String], built: &Built, svgs: &[String]) -> Result<String, ReportError> {
        Ok(match self {
            Self::Run(o) => html::page(o, built, svgs),
            Self::Comparison(c) => html::comparison_page(c, &c.metrics(metrics)?, built, svgs),
            Self::Sweep(s) => html::sweep_page(s, &s.chosen(metrics)?, built, svgs),
        })
    }
}

/// The metrics a comparison or sweep chart shows: each of `asked` (which must be one of
/// `known`, else bad input naming `path` with a suggestion), or if none were asked, the
/// `defaults` that are `known`, in that order.
pub(crate) fn metric_list(
    asked: &[String],
    known: &[&str],
    defaults: &[&str],
    path: &Path,
) -> Result<Vec<String>, ReportError> {
    if asked.is_empty() {
        return Ok(defaults.iter().filter(|d| known.contains(d)).map(|d| (*d).to_owned()).collect());
    }
    let mut list: Vec<String> = Vec::new();
    for m in asked {
        if !known.contains(&m.as_str()) {
            let suggestion = crate::scenario::diagnostic::suggest(m, known.iter().copied()).map(str::to_owned);
            return Err(ReportError::UnknownMetric { path: path.to_path_buf(), metric: m.clone(), suggestion });
        }
        if !list.contains(m) {
            list.push(m.clone());
        }
    }
    Ok(list)
}

/// A label made safe as a file stem: characters other than letters, digits, `-` and
/// `_` become `_`.
pub(crate) fn file_stem(label: &str) -> String {
    label.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// Writes `charts/NAME.svg` and `charts/NAME.png` for every chart into `dir`; returns
/// the charts drawn and the paths written. `metrics` as for [`Folder::build`].
pub fn plot(dir: &Path, metrics: &[String]) -> Result<(Built, Vec<PathBuf>), ReportError> {
    let folder = Folder::read(dir)?;
    let built = folder.build(metrics)?;
    let charts = dir.join("charts");
    let mut drawn = Vec::new();
    for f in &built.figures {
        let draw = |message| ReportError::Draw { name: f.name.clone(), message };
        drawn.push((f.name.clone(), render::svg(f).map_err(draw)?, render::png(f).map_err(draw)?));
    }
    let mut written = Vec::new();
    for (name, svg, png) in &drawn {
        for (ext, bytes) in [("svg", svg.as_bytes()), ("png", png.as_slice())] {
            let path = charts.join(format!("{name}.{ext}"));
            atomic::write(&path, bytes)?;
            written.push(path);
        }
    }
    Ok((built, written))
}

/// Writes `report.html` into `dir`; returns its path and the charts it holds.
pub fn report(dir: &Path, metrics: &[String]) -> Result<(Built, PathBuf), ReportError> {
    let folder = Folder::read(dir)?;
    let built = folder.build(metrics)?;
    let mut svgs = Vec::new();
    for f in &built.figures {
        svgs.push(render::svg(f).map_err(|message| ReportError::Draw { name: f.name.clone(), message })?);
    }
    let page = folder.page(metrics, &built, &svgs)?;
    let path = dir.join("report.html");
    atomic::write(&path, page.as_bytes())?;
    Ok((built, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_asked_for_must_exist_and_defaults_are_those_present() {
        let known = ["referrals", "referrals_per_1000", "pct_spend_gbp"];
        let path = Path::new("sweep_summary.csv");
        let defaults = metric_list(&[], &known, &["pct_spend_gbp", "waiting_list_end", "referrals"], path).unwrap();
        assert_eq!(defaults, ["pct_spend_gbp", "referrals"]);
        let asked = ["referrals_per_1000".to_owned(), "referrals".to_owned(), "referrals_per_1000".to_owned()];
        assert_eq!(metric_list(&asked, &known, &[], path).unwrap(), ["referrals_per_1000", "referrals"]);
        let e = metric_list(&["pct_spend_gpb".to_owned()], &known, &[], path).unwrap_err();
        assert!(e.is_bad_input());
        assert_eq!(e.to_string(), "sweep_summary.csv: no metric `pct_spend_gpb`; did you mean `pct_spend_gbp`?");
    }

    #[test]
    fn labels_become_safe_file_stems() {
        assert_eq!(file_stem("pbc-retention-50"), "pbc-retention-50");
        assert_eq!(file_stem("a/b.toml#2"), "a_b_toml_2");
    }
}
