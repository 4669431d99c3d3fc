//! Charts and a report from an output directory: `pbrsim plot` and `pbrsim report`.
//!
//! This is edge code: it reads the files `pbrsim run` wrote (never the model), so a
//! chart can be redrawn from results alone, long after the run.
//!
//! - [`data`] reads and checks the CSV files and manifest;
//! - [`charts`] is the catalogue: outputs → [`Figure`]s;
//! - [`render`] draws a figure as SVG or PNG (plotters, bundled font, Okabe–Ito);
//! - [`html`] assembles the self-contained `report.html`.

pub mod charts;
pub mod data;
pub mod figure;
pub mod html;
pub mod render;

use std::path::{Path, PathBuf};

pub use data::Outputs;
pub use figure::Figure;

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
    #[error("cannot draw chart `{name}`: {message}")]
    Draw { name: &'static str, message: String },
    #[error(transparent)]
    Write(#[from] OutputError),
}

impl ReportError {
    /// Whether the fault is in the input directory (exit code 2) rather than in
    /// drawing or writing (exit code 1).
    pub fn is_bad_input(&self) -> bool {
        matches!(self, Self::NotADirectory { .. } | Self::Missing { .. } | Self::Read { .. } | Self::Garbled { .. })
    }
}

/// The charts an output directory makes, and those it skips with the reason.
pub struct Built {
    pub figures: Vec<Figure>,
    pub skipped: Vec<(&'static str, String)>,
}

/// Builds every chart that applies to `outputs`.
pub fn build(outputs: &Outputs) -> Built {
    let mut built = Built { figures: Vec::new(), skipped: Vec::new() };
    for chart in charts::CHARTS {
        match (chart.build)(outputs) {
            Ok(f) if f.plot.values() > 0 => built.figures.push(f),
            Ok(_) => built.skipped.push((chart.name, "no values to show".into())),
            Err(why) => built.skipped.push((chart.name, why)),
        }
    }
    built
}

/// Writes `charts/NAME.svg` and `charts/NAME.png` for every chart into `dir`; returns
/// the charts drawn and the paths written.
pub fn plot(dir: &Path) -> Result<(Built, Vec<PathBuf>), ReportError> {
    let outputs = Outputs::read(dir)?;
    let built = build(&outputs);
    let charts = dir.join("charts");
    let mut written = Vec::new();
    for f in &built.figures {
        let draw = |message| ReportError::Draw { name: f.name, message };
        let svg = render::svg(f).map_err(draw)?;
        let png = render::png(f).map_err(draw)?;
        for (ext, bytes) in [("svg", svg.as_bytes()), ("png", png.as_slice())] {
            let path = charts.join(format!("{}.{ext}", f.name));
            atomic::write(&path, bytes)?;
            written.push(path);
        }
    }
    Ok((built, written))
}

/// Writes `report.html` into `dir`; returns its path and the charts it holds.
pub fn report(dir: &Path) -> Result<(Built, PathBuf), ReportError> {
    let outputs = Outputs::read(dir)?;
    let built = build(&outputs);
    let mut svgs = Vec::new();
    for f in &built.figures {
        svgs.push(render::svg(f).map_err(|message| ReportError::Draw { name: f.name, message })?);
    }
    let page = html::page(&outputs, &built, &svgs);
    let path = dir.join("report.html");
    atomic::write(&path, page.as_bytes())?;
    Ok((built, path))
}
