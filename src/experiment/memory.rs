//! How much memory an experiment will need, estimated before it starts, so that a
//! scenario too large for the machine is refused with a figure instead of failing
//! hours later (or being killed by the operating system with nothing to show).
//!
//! The estimate adds up what the run holds at its peak:
//!
//! - **in flight**, per worker thread: one replication's patients (peak patients
//!   bounded by those already waiting plus a year of referrals and the whole run's
//!   excess of demand over capacity where a list is overloaded, and never more than
//!   every referral of the run), its future events, its
//!   random streams and its year records;
//! - **retained**: every finished replication's market events (its year records are
//!   collected into the metric table as it finishes, then dropped);
//! - **collected**: the metric table the summaries are computed from, one `f64` per
//!   replication × period × entity × metric, while it is small enough to stay in
//!   memory (a larger one waits in a temporary file, see [`super::collected`]), and
//!   the window of it being read;
//! - the model's own tables and a fixed base (program, thread stacks).
//!
//! Each part errs on the generous side; `docs/reliability.md` compares the estimate
//! with measured peak memory.

use std::mem::size_of;

use crate::model::record::{PracticeYear, ProviderYear, ServiceYear, WAIT_BINS, YearRecord};
use crate::model::{MarketEvent, Model};

use super::collected::WINDOW_BYTES;
use super::metrics;

/// Bytes per patient in flight, an upper bound: its slot in the slab or its waiting-list
/// entry (at most 32 bytes) and its pending event, doubled for vectors that double as
/// they grow.
const PATIENT_BYTES: f64 = 2.0 * (32.0 + 8.0);
/// Bytes per recorded clock stop (`--pathways`): 32, doubled for a vector that
/// doubles, and its 27-byte encoding made when the replication is collected.
const CLOCK_STOP_BYTES: f64 = 2.0 * 32.0 + 27.0;
/// Bytes per (practice, service line) pair: an arrival source and its random streams.
const SOURCE_BYTES: f64 = 7.0 * 32.0 + 64.0;
/// Bytes per choice candidate: its entry in the model's table (service, distance,
/// fixed utility) and, per replication, its cached cumulative weight.
const CANDIDATE_BYTES: f64 = 24.0;
const CANDIDATE_STATE_BYTES: f64 = 8.0;
/// A replication's future-event list when empty: 256 near and 1,024 day bucket
/// headers and their occupancy bitmaps (the events themselves are counted with the
/// patients).
const QUEUE_BYTES: f64 = (256.0 + 1024.0) * 24.0 + 256.0;
/// Retained data take this multiple of their size in resident memory (the allocator's
/// per-thread arenas, fragmented by the replications' freed working sets; measured 2.2
/// when finished replications' year records were still retained).
const RETAINED_OVERHEAD: f64 = 2.5;
/// The metric table's peak resident memory as a multiple of its values' size, when it
/// is kept in memory (one allocation; allocator slack and the row being filled).
const TABLE_OVERHEAD: f64 = 1.25;
/// The program, allocator slack and a worker thread's stack and heap. The binary's
/// allocator (mimalloc, on transparent huge pages: `src/main.rs`) makes memory resident
/// 2 MiB at a time, so each thread's heap holds a few huge pages however little it
/// uses: measured on the baseline, 22 MB peak on one worker thread and 28.5 MB on two
/// (11 and 12 MB with the system allocator).
const BASE_BYTES: f64 = 16.0 * 1024.0 * 1024.0;
const THREAD_BYTES: f64 = 8.0 * 1024.0 * 1024.0;

/// An estimate of peak memory, in bytes, with its parts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryEstimate {
    pub in_flight: f64,
    pub retained: f64,
    pub collected: f64,
    pub model: f64,
    pub base: f64,
    /// Bytes of the metric table's temporary file (0 when the table stays in memory):
    /// disk, not memory, so not part of the total.
    pub table_file: f64,
}

impl MemoryEstimate {
    pub fn total(&self) -> f64 {
        self.in_flight + self.retained + self.collected + self.model + self.base
    }
}

/// Bytes of one year's record.
fn year_record_bytes(providers: usize, services: usize, practices: usize) -> f64 {
    (size_of::<YearRecord>()
        + 2 * WAIT_BINS * size_of::<u64>()
        + providers * size_of::<ProviderYear>()
        + services * size_of::<ServiceYear>()
        + practices * size_of::<PracticeYear>()) as f64
}

/// Peak patients in one replication (see the module documentation).
pub fn peak_patients(model: &Model) -> f64 {
    let c = model.config();
    let days = c.calendar.end.max(0.0);
    let mut peak = 0.0;
    for (load, (p, _)) in model.expected_load().iter().zip(model.services()) {
        let svc = c.providers[p].services.iter().find(|s| s.line == load.line);
        let initial = svc.map_or(0.0, |s| s.initial_waiting_outpatient as f64 + s.initial_waiting_admission as f64);
        let per_day = load.referrals_per_year / 365.25;
        let excess = (load.referrals_per_year - load.outpatient_capacity)
            .max(load.admissions_per_year - load.admission_capacity)
            .max(0.0)
            / 365.25;
        peak += initial + (per_day * days).min(per_day * days.min(365.25) + excess * days);
    }
    if let Some(e) = &c.emergency {
        // Emergencies stay days, not months: a month of them is generous.
        peak += e.admissions_per_1000 / 1000.0 * c.population() as f64 / 12.0;
    }
    1.25 * peak
}

/// Clock stops in one replication's reported years: a referral each, at most.
fn clock_stops(model: &Model) -> f64 {
    let referrals: f64 = model.expected_load().iter().map(|l| l.referrals_per_year).sum();
    referrals * model.config().calendar.year_equivalents()
}

/// Estimates the peak memory of `replications` replications on `threads` workers,
/// keeping a metric table of up to `table_memory` bytes in memory, and recording each
/// patient's pathway if `pathways` (held per replication until it finishes).
pub fn estimate(
    model: &Model,
    replications: u32,
    threads: usize,
    table_memory: usize,
    pathways: bool,
) -> MemoryEstimate {
    let c = model.config();
    let (providers, services, practices) = (c.providers.len(), model.services().count(), c.practices.len());
    let years = c.calendar.years.len();
    let record = year_record_bytes(providers, services, practices);
    let workers = threads.max(1).min(replications.max(1) as usize) as f64;
    let candidates = model.choice().candidate_count() as f64;
    let per_replication = peak_patients(model) * PATIENT_BYTES
        + (practices * c.lines.len()) as f64 * SOURCE_BYTES
        + candidates * CANDIDATE_STATE_BYTES
        + QUEUE_BYTES
        + years as f64 * record
        + if pathways { clock_stops(model) * CLOCK_STOP_BYTES } else { 0.0 };
    let events_retained = (providers * years * 8 * size_of::<(u64, MarketEvent)>()) as f64;
    let periods = (years + 1) as f64;
    let metrics = (metrics::SYSTEM.len()
        + providers * metrics::PROVIDER.len()
        + services * metrics::SERVICE.len()
        + practices * metrics::PRACTICE.len()
        + c.pcts.len() * metrics::PCT.len()) as f64;
    let row = periods * metrics * 8.0;
    let table = replications as f64 * row;
    let in_file = table > table_memory as f64;
    MemoryEstimate {
        in_flight: workers * (per_replication + THREAD_BYTES),
        retained: RETAINED_OVERHEAD * replications as f64 * events_retained,
        // The table if in memory (allocated whole when the run starts), the window of
        // columns being read, a row per worker and the one being written out.
        collected: if in_file { 0.0 } else { TABLE_OVERHEAD * table }
            + table.min(WINDOW_BYTES as f64)
            + (workers + 1.0) * row,
        // The choice table (and as much again for the emergency routes and default
        // services built alongside it), then per practice and per service records.
        model: 2.0 * candidates * CANDIDATE_BYTES
            + (practices * c.lines.len() * 8 + practices * 128 + services * 512) as f64,
        base: BASE_BYTES,
        table_file: if in_file { table } else { 0.0 },
    }
}

/// A number of bytes for people: `1.5 GB`, `730 MB`.
pub fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut x = bytes.max(0.0);
    let mut u = 0;
    while x >= 1000.0 && u + 1 < UNITS.len() {
        x /= 1000.0;
        u += 1;
    }
    if u == 0 || x >= 100.0 { format!("{x:.0} {}", UNITS[u]) } else { format!("{x:.1} {}", UNITS[u]) }
}

/// Parses a size such as `8G`, `512M`, `2.5GB` or a plain number of bytes (decimal
/// units: 1G = 10^9 bytes; `Gi`-style binary units are accepted too).
pub fn parse_bytes(s: &str) -> Option<f64> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let x: f64 = num.parse().ok()?;
    let unit = unit.trim().to_ascii_lowercase();
    let unit = unit.strip_suffix('b').unwrap_or(&unit);
    let scale = match unit {
        "" => 1.0,
        "k" => 1e3,
        "m" => 1e6,
        "g" => 1e9,
        "t" => 1e12,
        "ki" => 1024.0,
        "mi" => 1024.0 * 1024.0,
        "gi" => 1024.0 * 1024.0 * 1024.0,
        "ti" => 1024.0f64.powi(4),
        _ => return None,
    };
    let bytes = x * scale;
    (bytes.is_finite() && bytes > 0.0).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_print() {
        assert_eq!(parse_bytes("8G"), Some(8e9));
        assert_eq!(parse_bytes("512MB"), Some(512e6));
        assert_eq!(parse_bytes("1Gi"), Some(1073741824.0));
        assert_eq!(parse_bytes("1000"), Some(1000.0));
        assert_eq!(parse_bytes("lots"), None);
        assert_eq!(parse_bytes("0"), None);
        assert_eq!(parse_bytes("5X"), None);
        assert_eq!(human_bytes(1.5e9), "1.5 GB");
        assert_eq!(human_bytes(730e6), "730 MB");
        assert_eq!(human_bytes(12.0), "12 B");
    }
}
