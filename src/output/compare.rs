//! `comparison.csv` and its per-provider and per-practice companions: each policy
//! against the base, from paired per-replication differences.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{OutputError, atomic, field, fmt_num, write_manifest};
use crate::experiment::Table;
use crate::experiment::compare::{Compared, matching, paired};
use crate::experiment::metrics::{self, EntityFn, Metric};

/// Names of the comparison files, in the order written (the manifest last).
pub const COMPARE_FILES: [&str; 4] =
    ["comparison.csv", "comparison_providers.csv", "comparison_practices.csv", "manifest.json"];

const PAIRED_HEADER: &str = "base_mean,scenario_mean,diff_mean,diff_ci95_low,diff_ci95_high,rel_diff";

fn paired_cells(base: &[f64], scenario: &[f64]) -> String {
    let p = paired(base, scenario);
    [p.base_mean, p.scenario_mean, p.diff.mean, p.diff.ci95_low, p.diff.ci95_high, p.rel_diff]
        .iter()
        .map(|&x| fmt_num(x))
        .collect::<Vec<_>>()
        .join(",")
}

/// Writes the comparison of `scenarios[1..]` against `scenarios[0]` into `dir`, with a
/// manifest built from `info` (which should record the scenarios, seed and
/// replications). Returns the paths written.
pub fn write_comparison<T: Serialize>(
    dir: &Path,
    scenarios: &[Compared],
    info: &T,
) -> Result<Vec<PathBuf>, OutputError> {
    let Some((base, others)) = scenarios.split_first() else { return Ok(Vec::new()) };
    let periods = &base.runs.collected.periods;
    let mut written = Vec::new();
    let mut out = |name: &str, fill: &dyn Fn(&mut dyn Write) -> std::io::Result<()>| -> Result<(), OutputError> {
        let path = dir.join(name);
        atomic::write_with(&path, fill)?;
        written.push(path);
        Ok(())
    };
    out("comparison.csv", &|w| {
        writeln!(w, "year,metric,scenario,{PAIRED_HEADER}")?;
        for (p, period) in periods.iter().enumerate() {
            for (k, m) in metrics::SYSTEM.iter().enumerate() {
                for o in others {
                    let values = |c: &Compared| c.runs.collected.values(Table::System, p, 0, k);
                    let cells = paired_cells(&values(base)?, &values(o)?);
                    writeln!(w, "{period},{},{},{cells}", m.name, field(&o.label))?;
                }
            }
        }
        Ok(())
    })?;
    let names = |c: &Compared, providers: bool| -> Vec<String> {
        let cfg = c.runs.model.config();
        if providers {
            cfg.providers.iter().map(|p| p.name.clone()).collect()
        } else {
            cfg.practices.iter().map(|p| p.name.clone()).collect()
        }
    };
    let entities = |w: &mut dyn Write, providers: bool, defs: &[Metric<EntityFn>]| -> std::io::Result<()> {
        let kind = if providers { "provider" } else { "practice" };
        writeln!(w, "year,{kind},metric,scenario,{PAIRED_HEADER}")?;
        let base_names = names(base, providers);
        let base_refs: Vec<&str> = base_names.iter().map(String::as_str).collect();
        let pairs: Vec<Vec<(usize, usize, &str)>> = others
            .iter()
            .map(|o| {
                let n = names(o, providers);
                matching(&base_refs, &n.iter().map(String::as_str).collect::<Vec<_>>())
            })
            .collect();
        let table = if providers { Table::Provider } else { Table::Practice };
        for (p, period) in periods.iter().enumerate() {
            for (i, name) in base_refs.iter().enumerate() {
                for (k, m) in defs.iter().enumerate() {
                    let base_values = base.runs.collected.values(table, p, i, k)?;
                    for (o, pairs) in others.iter().zip(&pairs) {
                        let Some(&(_, j, _)) = pairs.iter().find(|(bi, _, _)| *bi == i) else { continue };
                        let cells = paired_cells(&base_values, &o.runs.collected.values(table, p, j, k)?);
                        writeln!(w, "{period},{},{},{},{cells}", field(name), m.name, field(&o.label))?;
                    }
                }
            }
        }
        Ok(())
    };
    out("comparison_providers.csv", &|w| entities(w, true, metrics::PROVIDER))?;
    out("comparison_practices.csv", &|w| entities(w, false, metrics::PRACTICE))?;
    write_manifest(dir, info, written)
}
