//! Comparing policies on common random numbers.
//!
//! Every scenario of a comparison runs the same replications with the same master
//! seed, so replication `r` of each sees the same random streams (arrivals, decisions,
//! service times, parameter draws) wherever the scenarios do not differ. The effect of
//! a policy is then estimated from the *paired* differences `policy_r − base_r`: the
//! noise the two runs share cancels, and the confidence interval of the difference is
//! far narrower than one from two independent samples (a test shows it).

use super::stats::{Summary, summarise};
use super::{ExperimentError, Runs, Settings, run_scenario};
use crate::scenario::Loaded;

/// Why scenarios cannot be compared.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error(
        "error: {scenario} reports years {theirs:?} but the base scenario {base} reports {ours:?}: compared scenarios must cover the same years"
    )]
    Years { base: String, scenario: String, ours: Vec<String>, theirs: Vec<String> },
    #[error(transparent)]
    Experiment(#[from] ExperimentError),
}

impl CompareError {
    /// Whether the input was at fault (exit code 2) rather than the run (exit code 1).
    pub fn is_bad_input(&self) -> bool {
        match self {
            Self::Years { .. } => true,
            Self::Experiment(e) => e.is_bad_input(),
        }
    }
}

/// The statistics of one metric of a policy against the base.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paired {
    /// Means over the replications where both values exist.
    pub base_mean: f64,
    pub scenario_mean: f64,
    /// Mean, sd and 95% CI of the per-replication differences `scenario − base`.
    pub diff: Summary,
    /// `diff.mean / base_mean` (NaN when the base mean is 0).
    pub rel_diff: f64,
}

/// Paired statistics of `scenario − base`, replication by replication. Replications
/// where either value is missing (NaN) are left out of every figure.
pub fn paired(base: &[f64], scenario: &[f64]) -> Paired {
    let pairs: Vec<(f64, f64)> =
        base.iter().zip(scenario).filter(|(b, s)| !b.is_nan() && !s.is_nan()).map(|(b, s)| (*b, *s)).collect();
    let b: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let s: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let d: Vec<f64> = pairs.iter().map(|(b, s)| s - b).collect();
    let (base_mean, scenario_mean) = (summarise(&b).mean, summarise(&s).mean);
    let diff = summarise(&d);
    let rel_diff = if base_mean == 0.0 || base_mean.is_nan() { f64::NAN } else { diff.mean / base_mean };
    Paired { base_mean, scenario_mean, diff, rel_diff }
}

/// A compared scenario: its label in outputs, the scenario and its runs.
#[derive(Debug)]
pub struct Compared {
    pub label: String,
    pub loaded: Loaded,
    pub runs: Runs,
}

/// Labels for scenario files: the file stem, or the path as given when two stems
/// clash; a file given twice gets `#2`, `#3`... on its later labels.
pub fn labels(paths: &[std::path::PathBuf]) -> Vec<String> {
    let stems: Vec<String> = paths
        .iter()
        .map(|p| p.file_stem().map_or_else(|| p.display().to_string(), |s| s.to_string_lossy().into()))
        .collect();
    let mut out: Vec<String> = Vec::with_capacity(paths.len());
    for (s, p) in stems.iter().zip(paths) {
        let label = if stems.iter().filter(|t| *t == s).count() > 1 { p.display().to_string() } else { s.clone() };
        let seen = out.iter().filter(|l| l.split('#').next() == Some(label.as_str())).count();
        out.push(if seen > 0 { format!("{label}#{}", seen + 1) } else { label });
    }
    out
}

/// Runs every scenario (the base first) on the same replications and seed. `on_done`
/// is called once per finished replication of any scenario.
pub fn run(
    scenarios: Vec<(String, Loaded)>,
    settings: Settings,
    on_done: &(dyn Fn() + Sync),
) -> Result<Vec<Compared>, CompareError> {
    let mut out: Vec<Compared> = Vec::with_capacity(scenarios.len());
    for (label, loaded) in scenarios {
        let runs = run_scenario(&loaded, settings, on_done)?;
        if let Some(base) = out.first()
            && base.runs.collected.periods != runs.collected.periods
        {
            return Err(CompareError::Years {
                base: base.label.clone(),
                scenario: label,
                ours: base.runs.collected.periods.clone(),
                theirs: runs.collected.periods,
            });
        }
        out.push(Compared { label, loaded, runs });
    }
    Ok(out)
}

/// Pairs the entities of two scenarios by name: `(index in base, index in other)` for
/// every name both have, in the base's order.
pub fn matching<'a>(base: &[&'a str], other: &[&str]) -> Vec<(usize, usize, &'a str)> {
    base.iter().enumerate().filter_map(|(i, n)| other.iter().position(|o| o == n).map(|j| (i, j, *n))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_differences() {
        let p = paired(&[10.0, 12.0, 11.0, f64::NAN], &[11.0, 13.5, 11.5, 3.0]);
        assert_eq!(p.diff.n, 3);
        assert_eq!(p.base_mean, 11.0);
        assert_eq!(p.scenario_mean, 12.0);
        assert_eq!(p.diff.mean, 1.0);
        assert!((p.rel_diff - 1.0 / 11.0).abs() < 1e-12);
        // sd of (1, 1.5, 0.5) is 0.5.
        assert!((p.diff.sd - 0.5).abs() < 1e-12);
        assert!(paired(&[0.0, 0.0], &[1.0, 2.0]).rel_diff.is_nan());
    }

    #[test]
    fn labels_are_stems_unless_they_clash() {
        let l = labels(&["a/base.toml".into(), "a/policy.toml".into(), "b/policy.toml".into()]);
        assert_eq!(l, ["base", "a/policy.toml", "b/policy.toml"]);
        assert_eq!(labels(&["a.toml".into(), "a.toml".into()]), ["a.toml", "a.toml#2"]);
    }
}
