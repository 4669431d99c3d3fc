//! Sweeps: one scenario run at many points of its parameter space.
//!
//! A sweep file (or a scenario's own `[sweep]` table) names a scenario, a design and
//! parameter paths (`pbc.retention`,
//! `providers.istc_north.mff`, ...; see [`crate::scenario::uncertain::resolve`]). The
//! design turns them into numbered points: a grid (the product of each parameter's
//! list or range), a Latin hypercube of N points, or one-way sensitivity (the base,
//! then each parameter alone at its low and its high value: tornado data).
//!
//! Every point runs the same replications on the same seed, so points differ only by
//! their parameters (common random numbers across the sweep). A point's results
//! depend only on the sweep and the point's number, which is what lets a sweep be cut
//! into shards run anywhere, resumed after a crash and merged into the same bytes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use std::sync::atomic::AtomicBool;

use super::{ExperimentError, Runs, Settings, run_scenario_until};
use crate::engine::stream;
use crate::scenario::diagnostic::KeyPath;
use crate::scenario::{self, Loaded, ScenarioError, uncertain};

/// Random-stream process number of Latin hypercube designs (the replication is 0 and
/// the index the parameter's position). Distinct from every model process and from
/// parameter draws.
pub const LHS_PROCESS: u64 = 41;

/// Most points a sweep may have: a guard against a mistyped step.
pub const MAX_POINTS: usize = 1_000_000;

/// Why a sweep cannot run.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("cannot read sweep file {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("error: {}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    #[error("error: sweep point {point} ({values}):\n{source}")]
    Point { point: usize, values: String, source: Box<ScenarioError> },
    #[error(transparent)]
    Experiment(#[from] ExperimentError),
}

impl SweepError {
    /// Whether the input was at fault (exit code 2) rather than the run (exit code 1).
    pub fn is_bad_input(&self) -> bool {
        match self {
            Self::Experiment(e) => e.is_bad_input(),
            _ => true,
        }
    }
}

/// How a sweep's points are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Design {
    /// Every combination of the parameters' values (the first parameter varies slowest).
    #[default]
    Grid,
    /// `points` points, each parameter's range cut into `points` equal strata, one
    /// draw per stratum, strata matched at random across parameters.
    LatinHypercube,
    /// The base scenario, then each parameter alone at `low` and at `high`.
    OneWay,
}

impl Design {
    /// The design's name in sweep files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Grid => "grid",
            Self::LatinHypercube => "latin_hypercube",
            Self::OneWay => "one_way",
        }
    }
}

/// A sweep file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// The scenario file, relative to the sweep file; in a scenario's own `[sweep]`
    /// table, absent (the scenario itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    #[serde(default)]
    pub design: Design,
    /// Points of a Latin hypercube.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<u32>,
    /// Seed of the Latin hypercube's layout (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Replications per point (default: the scenario's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replications: Option<u32>,
    #[serde(rename = "parameter")]
    pub parameters: Vec<ParameterSpec>,
}

/// A swept parameter.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterSpec {
    /// Where it is in the scenario: `pbc.retention`, `providers.town_ft.mff`.
    pub path: String,
    /// Grid: the values, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<toml::Value>>,
    /// Grid: a range `from`, `from + step`, ... up to `to` inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<toml::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<toml::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<toml::Value>,
    /// Latin hypercube: the interval sampled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// One-way: the low and high values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<toml::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<toml::Value>,
}

/// One point of a sweep: the values of the swept parameters that it sets. A one-way
/// design's base point sets none, and its other points set one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    pub id: usize,
    /// Per parameter, the value set (`None`: the scenario's own).
    pub values: Vec<Option<toml::Value>>,
    /// One-way designs: the parameter varied and `low` or `high` (`None` for the base).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub varied: Option<(usize, Level)>,
}

/// Which end of a one-way range a point is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Low,
    High,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::High => "high",
        }
    }
}

/// A sweep ready to run: the spec, its scenario, where each parameter is, the points.
#[derive(Debug, Clone)]
pub struct Sweep {
    pub path: PathBuf,
    pub text: String,
    pub spec: SweepSpec,
    pub scenario: Loaded,
    /// Per parameter, its position in the scenario's TOML tree.
    pub at: Vec<KeyPath>,
    /// Per parameter, the scenario's own value (defaults filled in) if it is a
    /// number, string or boolean: the base of a one-way design.
    pub base: Vec<Option<toml::Value>>,
    pub points: Vec<Point>,
    pub settings: Settings,
}

fn num(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Float(x) => Some(*x),
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

/// `x` to 12 significant digits, so `0.1 + 2 × 0.1` is written `0.3`.
fn tidy(x: f64) -> f64 {
    format!("{x:.11e}").parse().unwrap_or(x)
}

impl Sweep {
    /// Reads a sweep file and its scenario, and lays out the points. Every point is
    /// checked to make a valid scenario before anything runs.
    pub fn load(path: &Path) -> Result<Self, SweepError> {
        let text = std::fs::read_to_string(path).map_err(|source| SweepError::Read { path: path.into(), source })?;
        let invalid = |message: String| SweepError::Invalid { path: path.into(), message };
        let table: toml::Table = toml::from_str(&text).map_err(|e| invalid(e.to_string().trim_end().to_string()))?;
        // A scenario may carry its own sweep in a `[sweep]` table.
        let embedded = matches!(table.get("sweep"), Some(toml::Value::Table(_)));
        let spec: SweepSpec = if embedded {
            toml::Value::Table(table.get("sweep").and_then(toml::Value::as_table).cloned().unwrap_or_default())
                .try_into()
                .map_err(|e: toml::de::Error| invalid(format!("[sweep]: {}", e.to_string().trim_end())))?
        } else {
            toml::from_str(&text).map_err(|e| invalid(e.to_string().trim_end().to_string()))?
        };
        if spec.parameters.is_empty() {
            return Err(invalid("a sweep needs at least one [[parameter]]".into()));
        }
        let scenario_path = match (&spec.scenario, embedded) {
            (None, true) => path.to_path_buf(),
            (Some(s), _) => path.parent().unwrap_or(Path::new(".")).join(s),
            (None, false) => return Err(invalid("a sweep file needs `scenario`, the scenario file to sweep".into())),
        };
        let scenario = scenario::load(&scenario_path)?;
        let mut at = Vec::new();
        for (i, p) in spec.parameters.iter().enumerate() {
            let key =
                uncertain::resolve(&scenario.table, &p.path).map_err(|e| invalid(format!("parameter[{i}]: {e}")))?;
            if at.contains(&key) {
                return Err(invalid(format!("parameter[{i}]: `{}` is swept twice", p.path)));
            }
            at.push(key);
        }
        let resolved = resolved_tree(&scenario.scenario);
        let base: Vec<Option<toml::Value>> = spec
            .parameters
            .iter()
            .map(|p| {
                let key = uncertain::resolve(&resolved, &p.path).ok()?;
                get(&resolved, &key).filter(|v| !v.is_table() && !v.is_array()).cloned()
            })
            .collect();
        let points = layout(&spec).map_err(invalid)?;
        let settings = Settings {
            seed: scenario.scenario.simulation.seed,
            replications: spec.replications.unwrap_or(scenario.scenario.simulation.replications),
            threads: 1,
            ..Settings::default()
        };
        if settings.replications == 0 {
            return Err(invalid("`replications` must be at least 1".into()));
        }
        let sweep = Self { path: path.into(), text, spec, scenario, at, base, points, settings };
        for p in &sweep.points {
            let loaded = sweep.point_scenario(p)?;
            loaded.config().map_err(|source| SweepError::Point {
                point: p.id,
                values: sweep.describe(p),
                source: Box::new(source),
            })?;
        }
        Ok(sweep)
    }

    /// The values a point sets, as `path = value` for messages.
    pub fn describe(&self, p: &Point) -> String {
        let set: Vec<String> = self
            .spec
            .parameters
            .iter()
            .zip(&p.values)
            .filter_map(|(s, v)| v.as_ref().map(|v| format!("{} = {v}", s.path)))
            .collect();
        if set.is_empty() { "the base scenario".into() } else { set.join(", ") }
    }

    /// The scenario of a point.
    pub fn point_scenario(&self, p: &Point) -> Result<Loaded, SweepError> {
        let values: Vec<(KeyPath, toml::Value)> =
            self.at.iter().zip(&p.values).filter_map(|(at, v)| v.clone().map(|v| (at.clone(), v))).collect();
        self.scenario.with_values(&values).map_err(|source| SweepError::Point {
            point: p.id,
            values: self.describe(p),
            source: Box::new(source),
        })
    }

    /// Runs a point's replications on `threads` workers.
    pub fn run_point(&self, p: &Point, threads: usize, on_done: &(dyn Fn() + Sync)) -> Result<Runs, SweepError> {
        self.run_point_until(p, threads, on_done, &AtomicBool::new(false))
    }

    /// As [`Sweep::run_point`], but abandons the point, cleanly, once `stop` is set
    /// (the error is then an interrupted run): a point is only ever written whole.
    pub fn run_point_until(
        &self,
        p: &Point,
        threads: usize,
        on_done: &(dyn Fn() + Sync),
        stop: &AtomicBool,
    ) -> Result<Runs, SweepError> {
        let loaded = self.point_scenario(p)?;
        Ok(run_scenario_until(&loaded, Settings { threads, ..self.settings }, on_done, stop)?)
    }

    /// The points of shard `k` of `n` (1-based): every `n`-th point from the `k`-th,
    /// which spreads slow and fast regions of the space over the shards.
    pub fn shard(&self, k: usize, n: usize) -> impl Iterator<Item = &Point> {
        self.points.iter().filter(move |p| p.id % n == k - 1)
    }
}

/// The resolved scenario (every default filled in) as a TOML tree, to read the base
/// value of a swept parameter that the file leaves at its default.
fn resolved_tree(s: &scenario::Scenario) -> toml::Table {
    fn strip(v: serde_json::Value) -> Option<serde_json::Value> {
        use serde_json::Value;
        match v {
            Value::Null => None,
            Value::Array(a) => Some(Value::Array(a.into_iter().filter_map(strip).collect())),
            Value::Object(m) => Some(Value::Object(m.into_iter().filter_map(|(k, v)| Some((k, strip(v)?))).collect())),
            v => Some(v),
        }
    }
    serde_json::to_value(s)
        .ok()
        .and_then(strip)
        .and_then(|v| toml::Value::try_from(v).ok())
        .and_then(|v| v.as_table().cloned())
        .unwrap_or_default()
}

fn get<'a>(t: &'a toml::Table, at: &KeyPath) -> Option<&'a toml::Value> {
    use crate::scenario::diagnostic::Seg;
    let mut segs = at.0.iter();
    let Some(Seg::Key(first)) = segs.next() else { return None };
    let mut v = t.get(first)?;
    for s in segs {
        v = match s {
            Seg::Key(k) => v.as_table()?.get(k)?,
            Seg::Index(i) => v.as_array()?.get(*i)?,
        };
    }
    Some(v)
}

/// A grid parameter's values: its list, or its range.
fn grid_values(p: &ParameterSpec) -> Result<Vec<toml::Value>, String> {
    let ctx = |m: &str| format!("parameter `{}`: {m}", p.path);
    if p.min.is_some() || p.max.is_some() || p.low.is_some() || p.high.is_some() {
        return Err(ctx(
            "a grid takes `values` or `from`, `to` and `step` (`min`/`max` are for latin_hypercube, `low`/`high` for one_way)",
        ));
    }
    match (&p.values, &p.from, &p.to, &p.step) {
        (Some(v), None, None, None) if !v.is_empty() => Ok(v.clone()),
        (Some(_), None, None, None) => Err(ctx("`values` is empty")),
        (None, Some(from), Some(to), Some(step)) => {
            let (Some(f), Some(t), Some(s)) = (num(from), num(to), num(step)) else {
                return Err(ctx("`from`, `to` and `step` must be numbers"));
            };
            if s.is_nan() || s <= 0.0 || !f.is_finite() || !t.is_finite() || t < f {
                return Err(ctx("a range needs finite `from` <= `to` and `step` > 0"));
            }
            let n = ((t - f) / s * (1.0 + 1e-12)).floor() as usize + 1;
            if n > MAX_POINTS {
                return Err(ctx(&format!("the range has {n} values, more than {MAX_POINTS}")));
            }
            let integers = [from, to, step].iter().all(|v| v.is_integer());
            Ok((0..n)
                .map(|i| {
                    if integers {
                        toml::Value::Integer(f as i64 + i as i64 * s as i64)
                    } else {
                        toml::Value::Float(tidy(f + i as f64 * s))
                    }
                })
                .collect())
        }
        _ => Err(ctx("a grid parameter needs either `values` or all of `from`, `to` and `step`")),
    }
}

/// The points of a sweep spec.
pub fn layout(spec: &SweepSpec) -> Result<Vec<Point>, String> {
    let params = &spec.parameters;
    if spec.design != Design::LatinHypercube && (spec.points.is_some() || spec.seed.is_some()) {
        return Err("`points` and `seed` belong to a latin_hypercube design".into());
    }
    match spec.design {
        Design::Grid => {
            let lists: Vec<Vec<toml::Value>> = params.iter().map(grid_values).collect::<Result<_, _>>()?;
            let total = lists.iter().try_fold(1usize, |acc, l| acc.checked_mul(l.len()).filter(|&n| n <= MAX_POINTS));
            let Some(total) = total else { return Err(format!("the grid has more than {MAX_POINTS} points")) };
            Ok((0..total)
                .map(|id| {
                    // Mixed radix, the last parameter varying fastest.
                    let mut rest = id;
                    let mut values = vec![None; lists.len()];
                    for (j, l) in lists.iter().enumerate().rev() {
                        values[j] = Some(l[rest % l.len()].clone());
                        rest /= l.len();
                    }
                    Point { id, values, varied: None }
                })
                .collect())
        }
        Design::LatinHypercube => {
            let n = spec.points.ok_or("a latin_hypercube design needs `points`")? as usize;
            if n == 0 || n > MAX_POINTS {
                return Err(format!("`points` must be between 1 and {MAX_POINTS}"));
            }
            let seed = spec.seed.unwrap_or(1);
            let mut columns = Vec::with_capacity(params.len());
            for (j, p) in params.iter().enumerate() {
                let ctx = |m: &str| format!("parameter `{}`: {m}", p.path);
                if p.values.is_some() || p.from.is_some() || p.low.is_some() || p.high.is_some() {
                    return Err(ctx("a latin_hypercube parameter takes `min` and `max` only"));
                }
                let (Some(min), Some(max)) = (p.min, p.max) else { return Err(ctx("needs `min` and `max`")) };
                if !(min.is_finite() && max.is_finite() && max > min) {
                    return Err(ctx("needs finite `min` < `max`"));
                }
                use rand::RngExt;
                let mut rng = stream(seed, 0, LHS_PROCESS, j as u64);
                // Fisher–Yates shuffle of the strata, then one uniform draw within each.
                let mut strata: Vec<usize> = (0..n).collect();
                for i in (1..n).rev() {
                    let k = rng.random_range(0..=i);
                    strata.swap(i, k);
                }
                columns.push(
                    strata
                        .iter()
                        .map(|&s| {
                            let u: f64 = rng.random();
                            toml::Value::Float(min + (max - min) * (s as f64 + u) / n as f64)
                        })
                        .collect::<Vec<_>>(),
                );
            }
            Ok((0..n)
                .map(|id| Point { id, values: columns.iter().map(|c| Some(c[id].clone())).collect(), varied: None })
                .collect())
        }
        Design::OneWay => {
            let mut points = vec![Point { id: 0, values: vec![None; params.len()], varied: None }];
            for (j, p) in params.iter().enumerate() {
                let (Some(low), Some(high)) = (&p.low, &p.high) else {
                    return Err(format!("parameter `{}`: a one_way design needs `low` and `high`", p.path));
                };
                if p.values.is_some() || p.from.is_some() || p.min.is_some() {
                    return Err(format!("parameter `{}`: a one_way parameter takes `low` and `high` only", p.path));
                }
                for (level, v) in [(Level::Low, low), (Level::High, high)] {
                    let mut values = vec![None; params.len()];
                    values[j] = Some(v.clone());
                    points.push(Point { id: points.len(), values, varied: Some((j, level)) });
                }
            }
            Ok(points)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: &str) -> SweepSpec {
        toml::from_str(s).unwrap()
    }

    #[test]
    fn grid_is_the_product_last_fastest() {
        let s = spec(
            r#"
            scenario = "x.toml"
            [[parameter]]
            path = "a"
            values = [1, 2]
            [[parameter]]
            path = "b"
            from = 0.0
            to = 0.3
            step = 0.1
            "#,
        );
        let pts = layout(&s).unwrap();
        assert_eq!(pts.len(), 8);
        assert_eq!(pts[1].values, [Some(toml::Value::Integer(1)), Some(toml::Value::Float(0.1))]);
        assert_eq!(pts[3].values[1], Some(toml::Value::Float(0.3)));
        assert_eq!(pts[4].values[0], Some(toml::Value::Integer(2)));
    }

    #[test]
    fn latin_hypercube_has_one_point_per_stratum() {
        let s = spec(
            r#"
            scenario = "x.toml"
            design = "latin_hypercube"
            points = 10
            [[parameter]]
            path = "a"
            min = 0.0
            max = 1.0
            [[parameter]]
            path = "b"
            min = 10.0
            max = 20.0
            "#,
        );
        let pts = layout(&s).unwrap();
        assert_eq!(pts, layout(&s).unwrap(), "the layout is reproducible");
        for (j, (lo, w)) in [(0.0, 1.0), (10.0, 10.0)].into_iter().enumerate() {
            let mut strata: Vec<usize> = pts
                .iter()
                .map(|p| ((p.values[j].as_ref().unwrap().as_float().unwrap() - lo) / w * 10.0).floor() as usize)
                .collect();
            strata.sort_unstable();
            assert_eq!(strata, (0..10).collect::<Vec<_>>());
        }
    }

    #[test]
    fn one_way_is_base_then_low_and_high() {
        let s = spec(
            r#"
            scenario = "x.toml"
            design = "one_way"
            [[parameter]]
            path = "a"
            low = 1
            high = 3
            [[parameter]]
            path = "b"
            low = 0.1
            high = 0.9
            "#,
        );
        let pts = layout(&s).unwrap();
        assert_eq!(pts.len(), 5);
        assert_eq!(pts[0].values, [None, None]);
        assert_eq!(pts[4].varied, Some((1, Level::High)));
        assert_eq!(pts[4].values, [None, Some(toml::Value::Float(0.9))]);
    }

    #[test]
    fn bad_designs_are_explained() {
        let e = layout(&spec("scenario = \"x\"\n[[parameter]]\npath = \"a\"\nmin = 0.0\nmax = 1.0\n")).unwrap_err();
        assert!(e.contains("grid takes `values`"), "{e}");
        let e =
            layout(&spec("scenario = \"x\"\n[[parameter]]\npath = \"a\"\nfrom = 1\nto = 0\nstep = 1\n")).unwrap_err();
        assert!(e.contains("from` <= `to`"), "{e}");
        let e = layout(&spec(
            "scenario = \"x\"\ndesign = \"latin_hypercube\"\n[[parameter]]\npath = \"a\"\nmin = 0.0\nmax = 1.0\n",
        ))
        .unwrap_err();
        assert!(e.contains("needs `points`"), "{e}");
    }
}
