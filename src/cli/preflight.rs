//! Checks made before a run starts: money that fits in 64-bit pence, and memory that
//! fits in the machine (`--max-memory`).

use std::path::Path;

use pbrsim::experiment::memory::{self, MemoryEstimate, human_bytes};
use pbrsim::model::Model;
use pbrsim::scenario::Loaded;

/// The `--max-memory` argument: a size, or `none` to skip the check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxMemory {
    Bytes(f64),
    Unlimited,
}

/// Parses `--max-memory` for clap.
pub fn parse_max_memory(s: &str) -> Result<MaxMemory, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(MaxMemory::Unlimited);
    }
    memory::parse_bytes(s)
        .map(MaxMemory::Bytes)
        .ok_or_else(|| format!("expected a size such as 8G, 512M or 2.5GB (or `none`), got `{s}`"))
}

/// Memory the operating system says is available (Linux: `MemAvailable`), if known.
fn available() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

/// Runs the preflight checks; on failure, the message to print (bad input: exit 2).
pub fn check(
    path: &Path,
    loaded: &Loaded,
    model: &Model,
    replications: u32,
    threads: usize,
    pathways: bool,
    max: Option<MaxMemory>,
) -> Result<MemoryEstimate, String> {
    loaded.preflight(model).map_err(|e| e.to_string())?;
    let estimate = memory::estimate(model, replications, threads, super::table_memory()?, pathways);
    let (limit, source) = match max {
        Some(MaxMemory::Unlimited) => return Ok(estimate),
        Some(MaxMemory::Bytes(b)) => (b, "the --max-memory limit"),
        None => match available() {
            Some(b) => (b, "the memory available"),
            None => return Ok(estimate),
        },
    };
    if estimate.total() <= limit {
        return Ok(estimate);
    }
    let c = model.config();
    Err(format!(
        "error: {}: this run would need about {} of memory, more than {source} ({})\n  \
         {} replications on {} threads, {} practices, {} providers, {} years: in flight {}, market events kept {}, \
         metric table {}, model and program {}\n  \
         = help: use fewer replications (--reps) or threads, or a smaller scenario; to try anyway, pass --max-memory {}",
        path.display(),
        human_bytes(estimate.total()),
        human_bytes(limit),
        replications,
        threads,
        c.practices.len(),
        c.providers.len(),
        c.calendar.years.len(),
        human_bytes(estimate.in_flight),
        human_bytes(estimate.retained),
        human_bytes(estimate.collected),
        human_bytes(estimate.model + estimate.base),
        human_bytes(estimate.total() * 1.1).replace(' ', ""),
    ))
}
