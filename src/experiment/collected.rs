//! The metric table: every metric of every replication, from which the summaries,
//! comparisons and per-replication files are written.
//!
//! Exact summaries (percentiles across replications, paired differences) need every
//! replication's value of a metric at once, so the table cannot be folded into running
//! totals. Instead it is kept out of the way: each replication's values are written, as
//! it finishes, as one row of `f64`s ([`spill`]), in memory while the whole table is
//! small and in an unnamed temporary file once it would exceed [`MEMORY_LIMIT`]. Readers
//! ask for one metric's values across replications ([`Collected::values`]), served from
//! a window of columns of at most [`WINDOW_BYTES`] loaded by one pass over the rows, or
//! for one replication's row ([`Collected::replication`]). Memory therefore stays
//! bounded however many replications run, and the outputs are the same bytes either
//! way: only where the values wait differs.

mod spill;

use std::fmt;
use std::io;
use std::sync::Mutex;

use super::{ALL_YEARS, metrics, whole_horizon};
use crate::model::{ClockStop, MarketEvent, Model, ReplicationResult};
use spill::{Rows, Segments};

/// The largest table kept in memory; a larger one goes to a temporary file.
pub const MEMORY_LIMIT: usize = 4 * 1024 * 1024;
/// The most memory the window of columns being read takes.
pub const WINDOW_BYTES: usize = 4 * 1024 * 1024;

/// One of the metric tables: the system's, or one kind of entity's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    System,
    Provider,
    Service,
    Practice,
    Pct,
}

impl Table {
    /// Every table, in the order their cells sit in a row.
    pub const ALL: [Table; 5] = [Table::System, Table::Provider, Table::Service, Table::Practice, Table::Pct];

    /// How many metrics the table has per entity.
    pub fn metrics(self) -> usize {
        match self {
            Table::System => metrics::SYSTEM.len(),
            Table::Provider => metrics::PROVIDER.len(),
            Table::Service => metrics::SERVICE.len(),
            Table::Practice => metrics::PRACTICE.len(),
            Table::Pct => metrics::PCT.len(),
        }
    }
}

/// Where each (table, period, entity, metric) cell sits in a replication's row:
/// tables in [`Table::ALL`] order, then periods, entities and metrics, so that
/// reading a table's summary period by period, entity by entity, metric by metric
/// walks the row's cells in order.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Layout {
    periods: usize,
    entities: [usize; 5],
    offsets: [usize; 5],
    width: usize,
}

impl Layout {
    fn new(periods: usize, entities: [usize; 5]) -> Self {
        let mut offsets = [0; 5];
        let mut width = 0;
        for (t, table) in Table::ALL.iter().enumerate() {
            offsets[t] = width;
            width += periods * entities[t] * table.metrics();
        }
        Self { periods, entities, offsets, width }
    }

    fn cell(&self, table: Table, period: usize, entity: usize, metric: usize) -> usize {
        let t = table as usize;
        debug_assert!(period < self.periods && entity < self.entities[t] && metric < table.metrics());
        self.offsets[t] + (period * self.entities[t] + entity) * table.metrics() + metric
    }
}

/// The columns most recently read: cells `start..start + len`, each with its values
/// across replications (`values[(cell - start) * replications + r]`).
#[derive(Debug)]
struct Window {
    start: usize,
    len: usize,
    values: Vec<f64>,
    /// The most a window reads ahead, in bytes.
    ahead: usize,
}

impl Default for Window {
    fn default() -> Self {
        Self { start: 0, len: 0, values: Vec::new(), ahead: WINDOW_BYTES }
    }
}

/// Every metric of every replication of a scenario, and its market events; see the
/// module documentation for where the values are kept.
pub struct Collected {
    /// The financial years' labels, then [`ALL_YEARS`].
    pub periods: Vec<String>,
    /// Market events of each replication, in replication order then time order.
    pub events: Vec<(u64, MarketEvent)>,
    layout: Layout,
    rows: Rows,
    window: Mutex<Window>,
    /// Each replication's clock stops, when recorded ([`Collected::record_pathways`]).
    pathways: Option<Segments>,
}

/// Bytes of a [`ClockStop`] in the pathways file.
const CLOCK_STOP_BYTES: usize = 8 + 8 + 4 + 4 + 2 + 1;

fn encode(stops: &[ClockStop]) -> Vec<u8> {
    let mut out = Vec::with_capacity(stops.len() * CLOCK_STOP_BYTES);
    for s in stops {
        out.extend_from_slice(&s.referred.to_le_bytes());
        out.extend_from_slice(&s.stopped.to_le_bytes());
        out.extend_from_slice(&s.practice.to_le_bytes());
        out.extend_from_slice(&s.service.to_le_bytes());
        out.extend_from_slice(&s.year.to_le_bytes());
        out.push(u8::from(s.admitted));
    }
    out
}

fn decode(bytes: &[u8]) -> Vec<ClockStop> {
    let f = |b: &[u8]| f64::from_le_bytes(b.try_into().expect("8 bytes"));
    let u = |b: &[u8]| u32::from_le_bytes(b.try_into().expect("4 bytes"));
    bytes
        .chunks_exact(CLOCK_STOP_BYTES)
        .map(|b| ClockStop {
            referred: f(&b[0..8]),
            stopped: f(&b[8..16]),
            practice: u(&b[16..20]),
            service: u(&b[20..24]),
            year: u16::from_le_bytes([b[24], b[25]]),
            admitted: b[26] != 0,
        })
        .collect()
}

impl fmt::Debug for Collected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Collected")
            .field("periods", &self.periods)
            .field("entities", &self.layout.entities)
            .field("replications", &self.rows.count())
            .field("in_file", &self.rows.in_file())
            .field("events", &self.events.len())
            .field("pathway_bytes", &self.pathways.as_ref().map(Segments::bytes))
            .finish()
    }
}

impl Collected {
    /// Collects `results` (in replication order) for a model. They are in memory, so
    /// their table is kept in memory too.
    pub fn new(model: &Model, results: &[ReplicationResult]) -> Self {
        let mut c =
            Self::with_memory_limit(model, results.len(), usize::MAX).expect("a table kept in memory needs no file");
        for (r, res) in results.iter().enumerate() {
            c.add(model, r, res).expect("a table kept in memory cannot fail to be written");
        }
        c.finish()
    }

    /// A table for `replications` replications of `model`, every value 0 until its
    /// replication is [added](Collected::add); in a temporary file (in the system's
    /// temporary folder, `TMPDIR` on Unix) if it would take more than [`MEMORY_LIMIT`].
    pub fn empty(model: &Model, replications: usize) -> io::Result<Self> {
        Self::with_memory_limit(model, replications, MEMORY_LIMIT)
    }

    /// As [`Collected::empty`], with the table in a file if it would take more than
    /// `limit` bytes.
    pub fn with_memory_limit(model: &Model, replications: usize, limit: usize) -> io::Result<Self> {
        let cfg = model.config();
        let mut periods: Vec<String> = cfg.calendar.years.iter().map(|y| y.label.clone()).collect();
        periods.push(ALL_YEARS.to_string());
        let entities = [1, cfg.providers.len(), model.services().count(), cfg.practices.len(), cfg.pcts.len()];
        let layout = Layout::new(periods.len(), entities);
        let rows = Rows::new(layout.width, replications, limit)?;
        Ok(Self { periods, events: Vec::new(), layout, rows, window: Mutex::default(), pathways: None })
    }

    /// Keeps each replication's clock stops ([`ReplicationResult::pathways`]) as it is
    /// added, in a temporary file, for [`Collected::pathways`].
    pub fn record_pathways(&mut self) -> io::Result<()> {
        self.pathways = Some(Segments::new(self.rows.count())?);
        Ok(())
    }

    /// Whether clock stops are recorded.
    pub fn has_pathways(&self) -> bool {
        self.pathways.is_some()
    }

    /// Replication `r`'s clock stops, in time order (empty if not recorded).
    pub fn pathways(&self, r: usize) -> io::Result<Vec<ClockStop>> {
        match &self.pathways {
            Some(s) => Ok(decode(&s.get(r)?)),
            None => Ok(Vec::new()),
        }
    }

    /// Sets how far, in bytes, a window of columns reads ahead (at least one column).
    /// For tests and tuning: the values read do not depend on it.
    pub fn set_window_bytes(&self, bytes: usize) {
        *self.window.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) =
            Window { ahead: bytes, ..Window::default() };
    }

    /// Bytes the table takes (in memory or in its file).
    pub fn table_bytes(&self) -> u64 {
        self.rows.bytes()
    }

    /// Whether the table is in a temporary file rather than in memory.
    pub fn in_file(&self) -> bool {
        self.rows.in_file()
    }

    /// How many replications the table holds.
    pub fn replications(&self) -> usize {
        self.rows.count()
    }

    /// How many entities `table` has (1 for the system).
    pub fn entities(&self, table: Table) -> usize {
        self.layout.entities[table as usize]
    }

    /// Fills replication `r`'s values from its result. Replications may be added in any
    /// order; [`Collected::finish`] puts the market events in replication order. Fails
    /// only if the table's file cannot be written (a full disk).
    pub fn add(&mut self, model: &Model, r: usize, res: &ReplicationResult) -> io::Result<()> {
        let mut row = vec![0.0; self.layout.width];
        let at = |t, p, i, k| self.layout.cell(t, p, i, k);
        let all = whole_horizon(res);
        for (p, year) in res.years.iter().chain(all.as_ref()).enumerate() {
            for (k, m) in metrics::SYSTEM.iter().enumerate() {
                row[at(Table::System, p, 0, k)] = (m.value)(year);
            }
            let entities = |table: Table, defs: &[metrics::Metric<metrics::EntityFn>], row: &mut [f64]| {
                for i in 0..self.layout.entities[table as usize] {
                    for (k, m) in defs.iter().enumerate() {
                        row[at(table, p, i, k)] = (m.value)(year, i);
                    }
                }
            };
            entities(Table::Provider, metrics::PROVIDER, &mut row);
            entities(Table::Service, metrics::SERVICE, &mut row);
            entities(Table::Practice, metrics::PRACTICE, &mut row);
            entities(Table::Pct, metrics::PCT, &mut row);
        }
        debug_assert_eq!(model.services().count(), self.layout.entities[Table::Service as usize]);
        self.events.extend(res.events.iter().map(|e| (r as u64, e.clone())));
        self.rows.put(r, &row)?;
        match &mut self.pathways {
            Some(p) => p.put(r, &encode(&res.pathways)),
            None => Ok(()),
        }
    }

    /// Orders the market events by replication (each replication's in time order, as
    /// added), whatever order the replications were added in.
    pub fn finish(mut self) -> Self {
        self.events.sort_by_key(|&(r, _)| r);
        self
    }

    /// The values of one metric of one entity in one period, one per replication in
    /// replication order. Reading cells in the table's order (see [`Layout`]) reads
    /// each window of columns once; a jump elsewhere (another scenario's entities in
    /// another order) reads just the rest of that entity's metrics.
    pub fn values(&self, table: Table, period: usize, entity: usize, metric: usize) -> io::Result<Vec<f64>> {
        let cell = self.layout.cell(table, period, entity, metric);
        let reps = self.rows.count();
        let mut w = self.window.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !(w.start..w.start + w.len).contains(&cell) {
            // Load the window starting at this cell: one read of each row's run of cells.
            // Read ahead a whole window only when reading on from the last one (or at the
            // start); a jump (another scenario's entities in another order, say) loads just
            // the rest of this entity's metrics, so random access does not reload 4 MiB a cell.
            let sequential = w.len == 0 || cell == w.start + w.len;
            let ahead = if sequential { w.ahead / (8 * reps.max(1)) } else { table.metrics() - metric };
            let len = ahead.clamp(1, self.layout.width - cell);
            w.len = 0; // invalid until loaded: an I/O error below must not leave a stale window
            let mut run = vec![0.0; len];
            w.values.clear();
            w.values.resize(len * reps, 0.0);
            for r in 0..reps {
                self.rows.read(r, cell, &mut run)?;
                for (c, &v) in run.iter().enumerate() {
                    w.values[c * reps + r] = v;
                }
            }
            (w.start, w.len) = (cell, len);
        }
        let from = (cell - w.start) * reps;
        Ok(w.values[from..from + reps].to_vec())
    }

    /// Every value of replication `r`.
    pub fn replication(&self, r: usize) -> io::Result<Row<'_>> {
        let mut values = vec![0.0; self.layout.width];
        self.rows.read(r, 0, &mut values)?;
        Ok(Row { layout: &self.layout, values })
    }
}

/// One replication's values; see [`Collected::replication`].
#[derive(Debug, Clone, PartialEq)]
pub struct Row<'a> {
    layout: &'a Layout,
    values: Vec<f64>,
}

impl Row<'_> {
    /// The value of one metric of one entity in one period.
    pub fn get(&self, table: Table, period: usize, entity: usize, metric: usize) -> f64 {
        self.values[self.layout.cell(table, period, entity, metric)]
    }

    /// Every value, in the table's order.
    pub fn values(&self) -> &[f64] {
        &self.values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_stops_round_trip() {
        let stops = [
            ClockStop { referred: 1.5, stopped: 130.25, practice: 7, service: 3, year: 1, admitted: true },
            ClockStop { referred: -20.0, stopped: 0.125, practice: u32::MAX, service: 0, year: 0, admitted: false },
        ];
        assert_eq!(decode(&encode(&stops)), stops);
    }

    #[test]
    fn cells_are_distinct_and_fill_the_row() {
        let l = Layout::new(3, [1, 2, 4, 5, 1]);
        let mut seen = vec![false; l.width];
        for t in Table::ALL {
            for p in 0..3 {
                for i in 0..l.entities[t as usize] {
                    for k in 0..t.metrics() {
                        let c = l.cell(t, p, i, k);
                        assert!(!seen[c], "cell {c} twice");
                        seen[c] = true;
                    }
                }
            }
        }
        assert!(seen.iter().all(|&s| s));
        // A table's cells are in period, entity, metric order.
        assert_eq!(l.cell(Table::Provider, 0, 1, 0), l.cell(Table::Provider, 0, 0, 0) + Table::Provider.metrics());
        assert_eq!(l.cell(Table::Provider, 1, 0, 0), l.cell(Table::Provider, 0, 1, 0) + Table::Provider.metrics());
    }
}
