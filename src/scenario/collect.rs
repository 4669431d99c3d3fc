//! Every structural error of a scenario at once.
//!
//! `serde` stops at the first unknown key, wrong type or missing key. When that
//! happens, this module deserializes each independent part of the scenario on its own
//! — each section, each practice, service line and provider, each provider service —
//! so that an error in one part does not hide errors in another. Within a part, an
//! unknown key is removed and the part tried again (an unknown key has no effect, so
//! removing it cannot cause a later error), so every misspelt key is reported; a wrong
//! type or a missing key ends that part.

use serde::de::DeserializeOwned;

use super::diagnostic::{KeyPath, Seg};
use super::schema::{
    CalibrationSpec, ChoiceSpec, EmergencySpec, GeneratePractices, PbcSpec, PctSpec, PctsSpec, PracticeSpec,
    ProviderSpec, ServiceLineSpec, ServiceSpec, Simulation, VoiceSpec,
};

/// At most this many unknown keys are removed from one part before giving up on it.
const MAX_RETRIES: usize = 64;

/// The top-level keys of a scenario, and which are required.
const TOP: [(&str, bool); 14] = [
    ("extends", false),
    // Removed by `scenario::load` before the tree gets here (`pbrsim sweep` reads it);
    // listed so that a misspelt key is offered it.
    ("sweep", false),
    ("description", false),
    ("simulation", true),
    ("pct", true),
    ("pcts", false),
    ("practices", true),
    ("service_lines", true),
    ("providers", true),
    ("choice", false),
    ("emergency", false),
    ("pbc", false),
    ("voice", false),
    ("calibration", false),
];

/// A structural error: where, and serde's message.
pub type Error = (KeyPath, String);

/// The key path of a `serde_path_to_error` path, below `prefix`.
pub fn key_path(prefix: &KeyPath, p: &serde_path_to_error::Path) -> KeyPath {
    use serde_path_to_error::Segment;
    let mut out = prefix.clone();
    out.0.extend(p.iter().filter_map(|s| match s {
        Segment::Seq { index } => Some(Seg::Index(*index)),
        Segment::Map { key } => Some(Seg::Key(key.clone())),
        Segment::Enum { variant } => Some(Seg::Key(variant.clone())),
        Segment::Unknown => None,
    }));
    out
}

/// serde's message without the context it appends (the key path says it better).
pub fn first_line(e: &impl std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or_default().trim().to_string()
}

fn remove(value: &mut toml::Value, path: &[Seg]) -> bool {
    match path {
        [] => false,
        [Seg::Key(k)] => value.as_table_mut().is_some_and(|t| t.remove(k).is_some()),
        [Seg::Index(i)] => value.as_array_mut().is_some_and(|a| {
            let ok = *i < a.len();
            if ok {
                a.remove(*i);
            }
            ok
        }),
        [Seg::Key(k), rest @ ..] => value.as_table_mut().and_then(|t| t.get_mut(k)).is_some_and(|v| remove(v, rest)),
        [Seg::Index(i), rest @ ..] => value.as_array_mut().and_then(|a| a.get_mut(*i)).is_some_and(|v| remove(v, rest)),
    }
}

/// Deserializes one part as a `T`, reporting every unknown key and the first other
/// error.
fn part<T: DeserializeOwned>(value: &toml::Value, prefix: KeyPath, errors: &mut Vec<Error>) {
    let mut value = value.clone();
    for _ in 0..MAX_RETRIES {
        let Err(e) = serde_path_to_error::deserialize::<_, T>(value.clone()) else { return };
        let local = key_path(&KeyPath::default(), e.path());
        let message = first_line(e.inner());
        let unknown = message.starts_with("unknown field");
        errors.push((key_path(&prefix, e.path()), message));
        if !unknown || !remove(&mut value, &local.0) {
            return;
        }
    }
}

/// Each element of an array of tables as a `T` (`each` may split it further).
fn elements(
    root: &toml::Table,
    key: &str,
    errors: &mut Vec<Error>,
    mut each: impl FnMut(&toml::Value, KeyPath, &mut Vec<Error>),
) {
    let at = KeyPath::default().key(key);
    match root.get(key) {
        None => {}
        Some(toml::Value::Array(a)) => {
            for (i, v) in a.iter().enumerate() {
                each(v, at.index(i), errors);
            }
        }
        Some(other) => errors.push((at, format!("invalid type: {}, expected an array of tables", other.type_str()))),
    }
}

/// Every structural error of `root`, in no particular order.
pub fn errors(root: &toml::Table) -> Vec<Error> {
    let mut errors = Vec::new();
    let top = KeyPath::default();
    let names: Vec<String> = TOP.iter().map(|(k, _)| format!("`{k}`")).collect();
    for k in root.keys() {
        if !TOP.iter().any(|(t, _)| t == k) {
            errors.push((top.key(k), format!("unknown field `{k}`, expected one of {}", names.join(", "))));
        }
    }
    for (k, required) in TOP {
        if required && !root.contains_key(k) {
            errors.push((top.clone(), format!("missing field `{k}`")));
        }
    }
    let section = |key: &str, f: fn(&toml::Value, KeyPath, &mut Vec<Error>), errors: &mut Vec<Error>| {
        if let Some(v) = root.get(key) {
            f(v, top.key(key), errors);
        }
    };
    section("description", part::<String>, &mut errors);
    section("extends", part::<String>, &mut errors);
    section("simulation", part::<Simulation>, &mut errors);
    section("pct", part::<PctSpec>, &mut errors);
    section("pcts", part::<PctsSpec>, &mut errors);
    section("choice", part::<ChoiceSpec>, &mut errors);
    section("emergency", part::<EmergencySpec>, &mut errors);
    section("pbc", part::<PbcSpec>, &mut errors);
    section("voice", part::<VoiceSpec>, &mut errors);
    if let Some(practices) = root.get("practices") {
        let at = top.key("practices");
        match practices.as_table() {
            None => errors.push((at, format!("invalid type: {}, expected a table", practices.type_str()))),
            Some(t) => {
                for k in t.keys().filter(|k| !["generate", "list"].contains(&k.as_str())) {
                    errors.push((at.key(k), format!("unknown field `{k}`, expected `generate` or `list`")));
                }
                if let Some(g) = t.get("generate") {
                    part::<GeneratePractices>(g, at.key("generate"), &mut errors);
                }
                let mut sub = toml::Table::new();
                if let Some(list) = t.get("list") {
                    sub.insert("list".into(), list.clone());
                }
                let mut inner = Vec::new();
                elements(&sub, "list", &mut inner, part::<PracticeSpec>);
                errors.extend(inner.into_iter().map(|(p, m)| {
                    let mut full = at.clone();
                    full.0.extend(p.0);
                    (full, m)
                }));
            }
        }
    }
    elements(root, "service_lines", &mut errors, part::<ServiceLineSpec>);
    elements(root, "calibration", &mut errors, part::<CalibrationSpec>);
    elements(root, "providers", &mut errors, |v, at, errors| {
        let mut provider = v.clone();
        let services = provider.as_table_mut().and_then(|t| t.remove("services"));
        // The provider without its services (an empty list stands in), then each service.
        if let Some(t) = provider.as_table_mut() {
            t.insert("services".into(), toml::Value::Array(Vec::new()));
        }
        part::<ProviderSpec>(&provider, at.clone(), errors);
        match services {
            None => {}
            Some(toml::Value::Array(a)) => {
                for (j, s) in a.iter().enumerate() {
                    part::<ServiceSpec>(s, at.key("services").index(j), errors);
                }
            }
            Some(other) => errors
                .push((at.key("services"), format!("invalid type: {}, expected an array of tables", other.type_str()))),
        }
    });
    errors
}

/// Rewrites serde's Rust type names in a message into what a scenario author knows.
pub fn humanize(message: &str) -> String {
    if message.contains(" as i128, expected any valid TOML value") {
        return format!(
            "{}: TOML integers must lie in [-9223372036854775808, 9223372036854775807]",
            message.split(" as i128").next().unwrap_or(message).replace("invalid type", "number out of range")
        );
    }
    // toml's wording for a malformed value, which has nothing to expect after it.
    let mut m = message.strip_suffix(", expected nothing").unwrap_or(message).to_string();
    for (rust, plain) in [
        ("expected u32", "expected u32, a whole number in [0, 4294967295]"),
        ("expected u64", "expected u64, a whole number in [0, 18446744073709551615]"),
        ("expected u16", "expected u16, a whole number in [0, 65535]"),
        ("expected f64", "expected f64, a number such as 1.5"),
    ] {
        if m.ends_with(rust) {
            m.truncate(m.len() - rust.len());
            m.push_str(plain);
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_independent_errors_in_every_part() {
        let text = r#"
            colour = "red"
            [simulation]
            start = 2007-04-01
            yeras = 2
            wramup = 3
            [pct]
            name = "x"
            allocation_per_head_gbp = "lots"
            [practices]
            list = [{ name = "a", list_size = 1, x_km = 0, y_km = 0, multiplier = 2 }]
            [[service_lines]]
            name = "a"
            incidence_per_1000 = 1.0
            [[providers]]
            name = "p"
            kind = "trust"
            x_km = 0
            y_km = 0
            [[providers.services]]
            line = "a"
            outpatient = { servers = -1, service_days = { dist = "fixed", value = 1 } }
        "#;
        let root: toml::Table = toml::from_str(text).unwrap();
        let mut got: Vec<String> = errors(&root).iter().map(|(p, m)| format!("{p}: {m}")).collect();
        got.sort();
        let want = [
            "colour: unknown field `colour`",
            "pct.allocation_per_head_gbp: invalid type: string \"lots\", expected f64",
            "practices.list[0].multiplier: unknown field `multiplier`",
            "providers[0].kind: unknown variant `trust`",
            "providers[0].services[0].outpatient.servers: invalid value: integer `-1`, expected u32",
            "service_lines[0]: missing field `referral_probability`",
            "simulation.wramup: unknown field `wramup`",
            "simulation.yeras: unknown field `yeras`",
        ];
        assert_eq!(got.len(), want.len(), "{got:#?}");
        for (g, w) in got.iter().zip(want) {
            assert!(g.starts_with(w), "{g} does not start with {w}");
        }
    }

    /// Every top-level section of [`Scenario`](super::super::Scenario) is known here: a
    /// new section must be added to `TOP` and read in `errors`.
    #[test]
    fn knows_every_section() {
        let table: toml::Table = toml::from_str("not_a_section = 1").unwrap();
        let err = serde_path_to_error::deserialize::<_, super::super::Scenario>(toml::Value::Table(table)).unwrap_err();
        let message = first_line(err.inner());
        let fields: Vec<&str> = message.split('`').skip(3).step_by(2).collect();
        let known: Vec<&str> = TOP.iter().map(|(k, _)| *k).collect();
        assert_eq!(fields, known, "{message}");
    }

    #[test]
    fn type_names_in_plain_words() {
        assert_eq!(
            humanize("invalid type: string \"one\", expected u32"),
            "invalid type: string \"one\", expected u32, a whole number in [0, 4294967295]"
        );
        assert!(
            humanize("invalid type: integer `99999999999999999999` as i128, expected any valid TOML value")
                .starts_with("number out of range: integer `99999999999999999999`: TOML integers")
        );
    }
}
