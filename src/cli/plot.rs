//! `pbrsim plot` and `pbrsim report`: charts and a report from an output directory.

use std::io::{self, Write};
use std::path::Path;

use pbrsim::report::{self, Built, ReportError};

use super::{EXIT_BAD_INPUT, EXIT_FAILURE, report as tell};

fn fail(e: &ReportError) -> i32 {
    tell(format!("error: {e}"));
    if e.is_bad_input() { EXIT_BAD_INPUT } else { EXIT_FAILURE }
}

fn skipped(w: &mut impl Write, built: &Built) -> io::Result<()> {
    for (name, why) in &built.skipped {
        writeln!(w, "  skipped {name}: {why}")?;
    }
    Ok(())
}

pub fn plot(dir: &Path, metrics: &[String], quiet: bool) -> io::Result<i32> {
    match report::plot(dir, metrics) {
        Ok((built, written)) => {
            if !quiet {
                let mut w = io::stdout().lock();
                writeln!(
                    w,
                    "{} charts ({} files) in {}",
                    built.figures.len(),
                    written.len(),
                    dir.join("charts").display()
                )?;
                skipped(&mut w, &built)?;
            }
            Ok(0)
        }
        Err(e) => Ok(fail(&e)),
    }
}

pub fn report(dir: &Path, metrics: &[String], quiet: bool) -> io::Result<i32> {
    match report::report(dir, metrics) {
        Ok((built, path)) => {
            if !quiet {
                let mut w = io::stdout().lock();
                writeln!(w, "report with {} charts in {}", built.figures.len(), path.display())?;
                skipped(&mut w, &built)?;
            }
            Ok(0)
        }
        Err(e) => Ok(fail(&e)),
    }
}
