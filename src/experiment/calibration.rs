//! Calibration: does a scenario reproduce the published figures it states?
//!
//! A scenario lists its targets as `[[calibration]]` entries (docs/scenario.md): a
//! system metric, a year of the horizon or `all`, an acceptance range and the source
//! of the figure. After a run, each target is judged on the summary of the metric
//! across replications.
//!
//! A target **passes** when the whole 95% confidence interval of the mean lies inside
//! the acceptance range (the mean itself when every replication agrees, so the
//! interval has no width). Requiring the interval, not just the mean, means a pass
//! cannot be an accident of Monte Carlo noise: the model is inside the range with
//! 95% confidence. A mean that is missing (`NaN`, e.g. a wait median in a year with
//! no clock stops) fails, and so does a target with fewer than two values (no
//! interval).
//!
//! Nothing here prints: the CLI (`pbrsim calibrate`) formats the outcomes.

use super::{Collected, Summary, Table, metrics, summarise};
use crate::scenario::schema::CalibrationSpec;

/// A calibration target, with its acceptance range resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub name: String,
    pub metric: String,
    /// A financial-year label or [`super::ALL_YEARS`].
    pub year: String,
    pub low: f64,
    pub high: f64,
    /// The range as the scenario stated it: `175 to 196` or `2.2 ± 0.1`.
    pub tolerance: String,
    pub source: String,
}

/// Why targets could not be judged. Validated scenarios never produce these; they
/// guard targets built in code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalibrationError {
    #[error("calibration target `{target}`: no system metric named `{metric}`")]
    UnknownMetric { target: String, metric: String },
    #[error("calibration target `{target}`: the run reports no year `{year}`")]
    UnknownYear { target: String, year: String },
    #[error("calibration target `{target}`: expected `low` and `high`, or `value` and `tolerance`")]
    NoRange { target: String },
    #[error("cannot read the metric table: {0}")]
    Table(String),
}

/// A judged target.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub target: Target,
    pub summary: Summary,
    pub pass: bool,
}

/// The targets a scenario states, in file order.
pub fn targets(specs: &[CalibrationSpec]) -> Result<Vec<Target>, CalibrationError> {
    specs
        .iter()
        .map(|s| {
            let (low, high) = s.range().ok_or_else(|| CalibrationError::NoRange { target: s.name.clone() })?;
            let tolerance = match (s.value, s.tolerance) {
                (Some(v), Some(t)) => format!("{v} ± {t}"),
                _ => format!("{low} to {high}"),
            };
            Ok(Target {
                name: s.name.clone(),
                metric: s.metric.clone(),
                year: s.year.clone(),
                low,
                high,
                tolerance,
                source: s.source.clone(),
            })
        })
        .collect()
}

/// Whether a summary lies inside `[low, high]` by the rule in the module docs. Fewer
/// than two values give no interval, so nothing can be shown: a fail.
pub fn passes(s: &Summary, low: f64, high: f64) -> bool {
    if s.n < 2 {
        return false;
    }
    let (lo, hi) = if s.sd == 0.0 { (s.mean, s.mean) } else { (s.ci95_low, s.ci95_high) };
    lo.is_finite() && hi.is_finite() && lo >= low && hi <= high
}

/// Judges every target against a run's collected metrics.
pub fn evaluate(targets: &[Target], collected: &Collected) -> Result<Vec<Outcome>, CalibrationError> {
    targets
        .iter()
        .map(|t| {
            let k = metrics::SYSTEM
                .iter()
                .position(|m| m.name == t.metric)
                .ok_or_else(|| CalibrationError::UnknownMetric { target: t.name.clone(), metric: t.metric.clone() })?;
            let p = collected
                .periods
                .iter()
                .position(|y| *y == t.year)
                .ok_or_else(|| CalibrationError::UnknownYear { target: t.name.clone(), year: t.year.clone() })?;
            let values =
                collected.values(Table::System, p, 0, k).map_err(|e| CalibrationError::Table(e.to_string()))?;
            let summary = summarise(&values);
            Ok(Outcome { pass: passes(&summary, t.low, t.high), target: t.clone(), summary })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(values: &[f64]) -> Summary {
        summarise(values)
    }

    #[test]
    fn the_whole_interval_must_lie_inside() {
        let s = summary(&[1.0, 2.0, 3.0]);
        assert!(passes(&s, -10.0, 10.0));
        // The mean (2) is inside but the interval is not.
        assert!(!passes(&s, 1.5, 2.5));
        assert!(!passes(&s, 2.5, 10.0));
    }

    #[test]
    fn a_constant_metric_is_judged_on_its_mean() {
        let s = summary(&[0.0, 0.0, 0.0]);
        assert!(passes(&s, 0.0, 0.0));
        assert!(!passes(&s, 0.1, 1.0));
    }

    #[test]
    fn one_value_shows_nothing() {
        assert!(!passes(&summary(&[1.0]), 0.0, 2.0));
    }

    #[test]
    fn a_missing_mean_fails() {
        let s = summary(&[f64::NAN, f64::NAN]);
        assert!(!passes(&s, f64::NEG_INFINITY, f64::INFINITY));
    }

    #[test]
    fn ranges_resolve_from_either_form() {
        let spec = |low, high, value, tolerance| CalibrationSpec {
            name: "t".into(),
            metric: "follow_up_ratio".into(),
            year: "all".into(),
            low,
            high,
            value,
            tolerance,
            source: "s".into(),
        };
        let t = targets(&[spec(None, None, Some(2.2), Some(0.1))]).unwrap();
        assert!((t[0].low - 2.1).abs() < 1e-12 && (t[0].high - 2.3).abs() < 1e-12);
        assert_eq!(t[0].tolerance, "2.2 ± 0.1");
        let t = targets(&[spec(Some(175.0), Some(196.0), None, None)]).unwrap();
        assert_eq!((t[0].low, t[0].high, t[0].tolerance.as_str()), (175.0, 196.0, "175 to 196"));
        assert_eq!(
            targets(&[spec(Some(1.0), None, Some(1.0), None)]),
            Err(CalibrationError::NoRange { target: "t".into() })
        );
    }
}
