//! Parameter uncertainty (probabilistic sensitivity analysis) and parameter paths.
//!
//! Any numeric parameter of a scenario may be written as a distribution instead of a
//! number, `{ dist = "normal", mean = 0.5, sd = 0.05 }`. Such tables are resolved at
//! the level of TOML values, before the typed schema sees them: [`extract`] records
//! the path of each one and replaces it by its mean (the *nominal* scenario, which is
//! what validation checks), and each replication substitutes its own draws before the
//! scenario is deserialised. So the typed schema never knows about uncertainty.
//!
//! A table with a `dist` key is a parameter distribution unless it sits at a key whose
//! type is a duration distribution ([`DURATION_KEYS`], such as `service_days`): those
//! describe a random process, not an uncertain parameter. Their own numbers may still
//! be uncertain (`service_days = { dist = "gamma", mean = { dist = "normal", ... }, cv = 0.5 }`).
//!
//! Each parameter draws from its own stream, keyed by a hash of its path, so adding or
//! removing one uncertain parameter never changes the draws of another, and two
//! scenarios that share a seed draw the same value for the same path (common random
//! numbers carry over to parameters).

use rand::Rng;
use rand_distr::{Beta, Distribution, Gamma, LogNormal, Normal, Uniform};

use super::diagnostic::{KeyPath, Seg};
use super::identity;
use crate::engine::stream;

/// Random-stream process number of parameter draws. Above every process number the
/// model uses (see `model::sim::process`), so parameter draws never shift its streams.
pub const PARAMETER_PROCESS: u64 = 40;

/// Keys whose value is a duration distribution of the model (a `DistSpec` in the
/// schema), not an uncertain parameter. A test checks this list against the schema.
pub const DURATION_KEYS: &[&str] =
    &["return_delay_days", "displacement_days", "follow_up_interval_days", "work_up_days", "service_days"];

/// The distribution of an uncertain parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Prior {
    Normal {
        mean: f64,
        sd: f64,
    },
    /// Log-normal with the given mean and sd of the value itself.
    LogNormal {
        mean: f64,
        sd: f64,
    },
    /// Gamma with the given mean and sd.
    Gamma {
        mean: f64,
        sd: f64,
    },
    Beta {
        alpha: f64,
        beta: f64,
    },
    Uniform {
        min: f64,
        max: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
    },
    /// Beta-PERT: a beta on `[min, max]` with shape parameters `1 + 4(mode − min)/(max − min)`
    /// and `1 + 4(max − mode)/(max − min)`, whose mean is `(min + 4 mode + max) / 6`.
    Pert {
        min: f64,
        mode: f64,
        max: f64,
    },
}

/// The distributions a parameter may have, for messages.
pub const PRIOR_NAMES: &[&str] = &["normal", "lognormal", "gamma", "beta", "uniform", "triangular", "pert"];

impl Prior {
    /// Reads a `{ dist = ..., ... }` table; the error says what was expected.
    pub fn from_table(t: &toml::Table) -> Result<Self, String> {
        let Some(kind) = t.get("dist").and_then(|d| d.as_str()) else {
            return Err("`dist` must be a string naming a distribution".into());
        };
        let keys: &[&str] = match kind {
            "normal" | "lognormal" | "gamma" => &["mean", "sd"],
            "beta" if t.contains_key("alpha") || t.contains_key("beta") => &["alpha", "beta"],
            "beta" => &["mean", "sd"],
            "uniform" => &["min", "max"],
            "triangular" | "pert" => &["min", "mode", "max"],
            other => {
                let help = super::diagnostic::suggest(other, PRIOR_NAMES.iter().copied())
                    .map_or(String::new(), |s| format!(" (did you mean `{s}`?)"));
                return Err(format!(
                    "unknown distribution `{other}`, expected one of {}{help}",
                    PRIOR_NAMES.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                ));
            }
        };
        for k in t.keys() {
            if k != "dist" && !keys.contains(&k.as_str()) {
                return Err(format!(
                    "unknown parameter `{k}` of a {kind} distribution, expected {}",
                    keys.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                ));
            }
        }
        let mut v = Vec::with_capacity(keys.len());
        for k in keys {
            let x = match t.get(*k) {
                Some(toml::Value::Float(x)) => *x,
                Some(toml::Value::Integer(i)) => *i as f64,
                Some(_) => return Err(format!("`{k}` of a {kind} distribution must be a number")),
                None => return Err(format!("a {kind} distribution needs `{k}`")),
            };
            if !x.is_finite() {
                return Err(format!("`{k}` must be finite, got {x}"));
            }
            v.push(x);
        }
        let need = |ok: bool, what: &str| if ok { Ok(()) } else { Err(format!("a {kind} distribution needs {what}")) };
        let prior = match (kind, v.as_slice()) {
            ("normal", &[mean, sd]) => {
                need(sd > 0.0, "sd > 0")?;
                Self::Normal { mean, sd }
            }
            ("lognormal", &[mean, sd]) => {
                need(mean > 0.0 && sd > 0.0, "mean > 0 and sd > 0")?;
                Self::LogNormal { mean, sd }
            }
            ("gamma", &[mean, sd]) => {
                need(mean > 0.0 && sd > 0.0, "mean > 0 and sd > 0")?;
                Self::Gamma { mean, sd }
            }
            ("beta", &[alpha, beta]) if t.contains_key("alpha") || t.contains_key("beta") => {
                need(alpha > 0.0 && beta > 0.0, "alpha > 0 and beta > 0")?;
                Self::Beta { alpha, beta }
            }
            ("beta", &[mean, sd]) => {
                // Method of moments: alpha + beta = mean (1 − mean) / sd² − 1.
                need(mean > 0.0 && mean < 1.0, "0 < mean < 1")?;
                need(sd > 0.0 && sd * sd < mean * (1.0 - mean), "0 < sd² < mean × (1 − mean)")?;
                let n = mean * (1.0 - mean) / (sd * sd) - 1.0;
                Self::Beta { alpha: mean * n, beta: (1.0 - mean) * n }
            }
            ("uniform", &[min, max]) => {
                need(max > min, "max > min")?;
                Self::Uniform { min, max }
            }
            ("triangular", &[min, mode, max]) | ("pert", &[min, mode, max]) => {
                need(max > min, "max > min")?;
                need((min..=max).contains(&mode), "min <= mode <= max")?;
                if kind == "pert" { Self::Pert { min, mode, max } } else { Self::Triangular { min, mode, max } }
            }
            _ => unreachable!("keys are chosen by kind above"),
        };
        Ok(prior)
    }

    /// The distribution's mean: the parameter's nominal value.
    pub fn mean(&self) -> f64 {
        match *self {
            Self::Normal { mean, .. } | Self::LogNormal { mean, .. } | Self::Gamma { mean, .. } => mean,
            Self::Beta { alpha, beta } => alpha / (alpha + beta),
            Self::Uniform { min, max } => (min + max) / 2.0,
            Self::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Self::Pert { min, mode, max } => (min + 4.0 * mode + max) / 6.0,
        }
    }

    /// One draw. Parameters were checked by [`Prior::from_table`], so the
    /// constructors cannot fail.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match *self {
            Self::Normal { mean, sd } => Normal::new(mean, sd).expect("checked").sample(rng),
            Self::LogNormal { mean, sd } => {
                let cv = sd / mean;
                let sigma2 = (1.0 + cv * cv).ln();
                LogNormal::new(mean.ln() - sigma2 / 2.0, sigma2.sqrt()).expect("checked").sample(rng)
            }
            Self::Gamma { mean, sd } => {
                let shape = (mean / sd).powi(2);
                Gamma::new(shape, mean / shape).expect("checked").sample(rng)
            }
            Self::Beta { alpha, beta } => Beta::new(alpha, beta).expect("checked").sample(rng),
            Self::Uniform { min, max } => Uniform::new(min, max).expect("checked").sample(rng),
            Self::Triangular { min, mode, max } => {
                rand_distr::Triangular::new(min, max, mode).expect("checked").sample(rng)
            }
            Self::Pert { min, mode, max } => {
                let range = max - min;
                let a = 1.0 + 4.0 * (mode - min) / range;
                let b = 1.0 + 4.0 * (max - mode) / range;
                min + range * Beta::new(a, b).expect("checked").sample(rng)
            }
        }
    }
}

/// One uncertain parameter of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Uncertain {
    /// Its path with array elements named (`providers.town_ft.mff`): the name used in
    /// `parameters.csv` and in sweep files.
    pub name: String,
    /// Its position in the scenario's TOML tree.
    pub at: KeyPath,
    pub prior: Prior,
}

impl Uncertain {
    /// The value replication `replication` of an experiment with master `seed` uses.
    pub fn draw(&self, seed: u64, replication: u64) -> f64 {
        let mut rng = stream(seed, replication, PARAMETER_PROCESS, fnv1a(self.name.as_bytes()));
        self.prior.sample(&mut rng)
    }
}

/// FNV-1a, 64-bit: a fixed, portable hash of a parameter's name for its stream index.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Finds every parameter distribution in `table`, replaces it by its mean, and
/// returns them in document order; or every malformed one with its path and why.
pub fn extract(table: &mut toml::Table) -> Result<Vec<Uncertain>, Vec<(KeyPath, String)>> {
    let mut found = Vec::new();
    let mut bad = Vec::new();
    walk_table(table, &mut KeyPath::default(), &mut Vec::new(), &mut found, &mut bad);
    if bad.is_empty() { Ok(found) } else { Err(bad) }
}

fn walk_table(
    t: &mut toml::Table,
    at: &mut KeyPath,
    name: &mut Vec<String>,
    found: &mut Vec<Uncertain>,
    bad: &mut Vec<(KeyPath, String)>,
) {
    for (k, v) in t.iter_mut() {
        at.0.push(Seg::Key(k.clone()));
        name.push(k.clone());
        let duration = DURATION_KEYS.contains(&k.as_str());
        walk_value(v, duration, at, name, found, bad);
        name.pop();
        at.0.pop();
    }
}

fn walk_value(
    v: &mut toml::Value,
    duration: bool,
    at: &mut KeyPath,
    name: &mut Vec<String>,
    found: &mut Vec<Uncertain>,
    bad: &mut Vec<(KeyPath, String)>,
) {
    match v {
        toml::Value::Table(t) if t.contains_key("dist") && !duration => match Prior::from_table(t) {
            Ok(prior) => {
                *v = toml::Value::Float(prior.mean());
                found.push(Uncertain { name: name.join("."), at: at.clone(), prior });
            }
            Err(message) => bad.push((at.clone(), message)),
        },
        toml::Value::Table(t) => walk_table(t, at, name, found, bad),
        toml::Value::Array(a) => {
            for (i, e) in a.iter_mut().enumerate() {
                at.0.push(Seg::Index(i));
                name.push(identity(e).map_or_else(|| i.to_string(), str::to_owned));
                walk_value(e, false, at, name, found, bad);
                name.pop();
                at.0.pop();
            }
        }
        _ => {}
    }
}

/// Why a parameter path does not lead to a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("parameter `{path}`: {message}")]
pub struct PathError {
    pub path: String,
    pub message: String,
}

/// Resolves a parameter path such as `providers.town_ft.services.hip_replacement.mff`
/// against a scenario's TOML tree: an array of tables is entered by an element's
/// `name` (or a service's `line`) or by its index. The last key need not exist yet
/// (a default may be overridden), and missing tables on the way are created.
pub fn resolve(table: &toml::Table, path: &str) -> Result<KeyPath, PathError> {
    let err = |message: String| PathError { path: path.to_string(), message };
    let parts: Vec<&str> = path.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(err("expected keys separated by dots, such as `pbc.retention`".into()));
    }
    let mut at = KeyPath::default();
    let mut cur: Option<&toml::Value> = None;
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        match cur {
            None | Some(toml::Value::Table(_)) => {
                let t = match cur {
                    None => table,
                    Some(toml::Value::Table(t)) => t,
                    _ => unreachable!(),
                };
                at.0.push(Seg::Key(part.to_string()));
                cur = t.get(*part);
                if cur.is_none() && !last {
                    // A table absent from the file (all defaults) is created on demand.
                    for r in &parts[i + 1..] {
                        at.0.push(Seg::Key(r.to_string()));
                    }
                    return Ok(at);
                }
            }
            Some(toml::Value::Array(a)) => {
                let index = a
                    .iter()
                    .position(|e| identity(e) == Some(part))
                    .or_else(|| part.parse::<usize>().ok().filter(|&n| n < a.len()));
                let Some(index) = index else {
                    let names: Vec<&str> = a.iter().filter_map(identity).collect();
                    let help = super::diagnostic::suggest(part, names.iter().copied())
                        .map_or(String::new(), |s| format!("; did you mean `{s}`?"));
                    return Err(err(format!(
                        "no element named `{part}` in `{}` (names: {}){help}",
                        at,
                        names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                    )));
                };
                at.0.push(Seg::Index(index));
                cur = a.get(index);
            }
            Some(_) => return Err(err(format!("`{at}` is a value, not a table: nothing below it to set"))),
        }
    }
    match cur {
        Some(toml::Value::Table(t)) if !t.contains_key("dist") => {
            Err(err(format!("`{at}` is a table; name one of its keys")))
        }
        Some(toml::Value::Array(_)) => Err(err(format!("`{at}` is an array; name one of its elements"))),
        _ => Ok(at),
    }
}

/// Sets the value at `at` (from [`resolve`]), creating missing tables on the way.
pub fn set(table: &mut toml::Table, at: &KeyPath, value: toml::Value) {
    let mut t = table;
    let mut segs = at.0.iter().peekable();
    while let Some(seg) = segs.next() {
        let last = segs.peek().is_none();
        let Seg::Key(k) = seg else { return };
        if last {
            t.insert(k.clone(), value);
            return;
        }
        let entry = t.entry(k.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let mut v = entry;
        // Indexes following this key step into arrays.
        while let Some(Seg::Index(i)) = segs.peek() {
            let i = *i;
            segs.next();
            let Some(e) = v.as_array_mut().and_then(|a| a.get_mut(i)) else { return };
            v = e;
            if segs.peek().is_none() {
                *v = value;
                return;
            }
        }
        let Some(next) = v.as_table_mut() else { return };
        t = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream;

    fn table(s: &str) -> toml::Table {
        toml::from_str(s).unwrap()
    }

    #[test]
    fn duration_keys_match_the_schema() {
        let schema = include_str!("schema.rs");
        let mut keys: Vec<&str> =
            schema.lines().filter_map(|l| l.trim().strip_prefix("pub ")?.strip_suffix(": DistSpec,")).collect();
        keys.sort_unstable();
        let mut listed = DURATION_KEYS.to_vec();
        listed.sort_unstable();
        assert_eq!(keys, listed);
    }

    #[test]
    fn extract_replaces_by_mean_and_names_paths() {
        let mut t = table(
            r#"
            [pbc]
            retention = { dist = "beta", alpha = 2, beta = 6 }
            [[providers]]
            name = "a"
            mff = { dist = "uniform", min = 1.0, max = 1.2 }
            [[providers.services]]
            line = "hips"
            service_days = { dist = "gamma", mean = { dist = "normal", mean = 2.0, sd = 0.1 }, cv = 0.5 }
            "#,
        );
        let found = extract(&mut t).unwrap();
        let names: Vec<&str> = found.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["pbc.retention", "providers.a.mff", "providers.a.services.hips.service_days.mean"]);
        assert_eq!(t["pbc"]["retention"].as_float(), Some(0.25));
        assert!((t["providers"][0]["mff"].as_float().unwrap() - 1.1).abs() < 1e-12);
        assert_eq!(t["providers"][0]["services"][0]["service_days"]["dist"].as_str(), Some("gamma"));
        assert_eq!(found[2].at.to_string(), "providers[0].services[0].service_days.mean");
    }

    #[test]
    fn bad_distributions_are_reported_with_their_path() {
        let mut t = table(
            r#"
            a = { dist = "normal", mean = 1.0, sd = -1.0 }
            b = { dist = "nromal", mean = 1.0, sd = 1.0 }
            c = { dist = "pert", min = 0, mode = 2, max = 1 }
            "#,
        );
        let bad = extract(&mut t).unwrap_err();
        assert_eq!(bad.len(), 3);
        assert!(bad[0].1.contains("sd > 0"), "{:?}", bad[0]);
        assert!(bad[1].1.contains("did you mean `normal`"), "{:?}", bad[1]);
        assert!(bad[2].1.contains("mode"), "{:?}", bad[2]);
    }

    #[test]
    fn draws_have_the_stated_moments() {
        let cases = [
            (Prior::Normal { mean: 2.0, sd: 0.5 }, 2.0, 0.5),
            (Prior::LogNormal { mean: 2.0, sd: 0.5 }, 2.0, 0.5),
            (Prior::Gamma { mean: 2.0, sd: 0.5 }, 2.0, 0.5),
            (Prior::Beta { alpha: 2.0, beta: 6.0 }, 0.25, (2.0f64 * 6.0 / (64.0 * 9.0)).sqrt()),
            (Prior::Uniform { min: 1.0, max: 3.0 }, 2.0, 2.0 / 12f64.sqrt()),
            (Prior::Pert { min: 0.0, mode: 1.0, max: 4.0 }, 8.0 / 6.0, f64::NAN),
            (Prior::Triangular { min: 0.0, mode: 1.0, max: 5.0 }, 2.0, f64::NAN),
        ];
        for (p, mean, sd) in cases {
            assert!((p.mean() - mean).abs() < 1e-12, "{p:?}");
            let mut rng = stream(9, 0, PARAMETER_PROCESS, 0);
            let n = 100_000;
            let xs: Vec<f64> = (0..n).map(|_| p.sample(&mut rng)).collect();
            let m = xs.iter().sum::<f64>() / n as f64;
            let s = (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
            assert!((m - mean).abs() < 0.01 * mean.max(1.0), "{p:?}: mean {m}");
            if !sd.is_nan() {
                assert!((s - sd).abs() < 0.02 * sd.max(0.1) + 0.005, "{p:?}: sd {s}");
            }
        }
    }

    #[test]
    fn each_parameter_has_its_own_stream() {
        let p = Prior::Normal { mean: 0.0, sd: 1.0 };
        let a = Uncertain { name: "a.x".into(), at: KeyPath::default(), prior: p.clone() };
        let b = Uncertain { name: "a.y".into(), at: KeyPath::default(), prior: p };
        assert_ne!(a.draw(1, 0), b.draw(1, 0));
        assert_eq!(a.draw(1, 0), a.clone().draw(1, 0));
        assert_ne!(a.draw(1, 0), a.draw(1, 1));
    }

    #[test]
    fn paths_resolve_by_name_and_set_values() {
        let mut t = table(
            r#"
            [[providers]]
            name = "town"
            mff = 1.0
            [[providers.services]]
            line = "hips"
            "#,
        );
        let at = resolve(&t, "providers.town.mff").unwrap();
        assert_eq!(at.to_string(), "providers[0].mff");
        set(&mut t, &at, toml::Value::Float(1.1));
        assert_eq!(t["providers"][0]["mff"].as_float(), Some(1.1));
        let at = resolve(&t, "providers.town.services.hips.outpatient.servers").unwrap();
        set(&mut t, &at, toml::Value::Integer(3));
        assert_eq!(t["providers"][0]["services"][0]["outpatient"]["servers"].as_integer(), Some(3));
        let at = resolve(&t, "pbc.retention").unwrap();
        set(&mut t, &at, toml::Value::Float(0.5));
        assert_eq!(t["pbc"]["retention"].as_float(), Some(0.5));
        let e = resolve(&t, "providers.twn.mff").unwrap_err();
        assert!(e.message.contains("did you mean `town`"), "{e}");
        assert!(resolve(&t, "providers.town").is_err());
        assert!(resolve(&t, "providers..mff").is_err());
    }
}
