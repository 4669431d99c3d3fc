//! Scenario files: TOML → typed [`Scenario`] → validated → model [`Config`].
//!
//! Every problem is reported with the file, line and column, the key path, what was
//! expected and, for a misspelt name, the likely intended one. Syntax and type errors
//! come from the TOML parser (one at a time, since the rest of the file cannot be
//! trusted after one); value errors are all reported together.
//!
//! A scenario may start from another: `extends = "baseline.toml"` (a path relative to
//! the extending file) takes that file and overrides only what the extending file says
//! (see [`merge`] for the rules), so a policy scenario is a few lines. Chains are
//! allowed; cycles are an error.

pub mod build;
pub mod collect;
pub mod diagnostic;
pub mod preflight;
pub mod schema;
pub mod uncertain;
pub mod validate;

use std::path::{Path, PathBuf};

pub use diagnostic::{Diagnostic, Report};
pub use schema::Scenario;
pub use uncertain::{Prior, Uncertain};

use crate::model::Config;
use diagnostic::{KeyPath, Locator, Seg, Source, from_toml_error, suggestion_for};

/// How many files an `extends` chain may hold.
const MAX_EXTENDS_DEPTH: usize = 16;

/// Why a scenario could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("error: cannot read scenario {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Invalid(Box<Report>),
}

/// A file of a scenario: the scenario file itself or one it extends.
#[derive(Debug, Clone)]
pub struct File {
    pub path: PathBuf,
    pub text: String,
}

/// A scenario read from its file(s), with their exact text for hashing and errors.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: PathBuf,
    pub text: String,
    /// The files it extends, nearest first (empty for a self-contained scenario).
    pub extends: Vec<File>,
    /// The nominal scenario: every uncertain parameter at its mean.
    pub scenario: Scenario,
    /// The merged TOML tree of the nominal scenario (without `extends`), from which
    /// per-replication draws and sweep points are made.
    pub table: toml::Table,
    /// Parameters given as distributions, in document order.
    pub uncertain: Vec<Uncertain>,
}

fn read(path: &Path) -> Result<String, ScenarioError> {
    let bytes = std::fs::read(path).map_err(|source| ScenarioError::Read { path: path.to_path_buf(), source })?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let (line, col) = diagnostic::line_col(std::str::from_utf8(&e.as_bytes()[..valid]).unwrap_or(""), valid);
        ScenarioError::Read {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not UTF-8 text: an invalid byte at line {line}, column {col} (save the file as UTF-8)"),
            ),
        }
    })
}

fn sources(files: &[File]) -> Vec<Source> {
    files.iter().map(|f| Source { file: f.path.display().to_string(), text: f.text.clone() }).collect()
}

fn invalid(files: &[File], diagnostics: Vec<Diagnostic>) -> ScenarioError {
    ScenarioError::Invalid(Box::new(Report { sources: sources(files), diagnostics }))
}

/// Reads and checks a scenario file (and any files it extends).
pub fn load(path: &Path) -> Result<Loaded, ScenarioError> {
    let text = read(path)?;
    let mut files = vec![File { path: path.to_path_buf(), text }];
    let mut tables: Vec<toml::Table> = Vec::new();
    loop {
        let (i, last) = (files.len() - 1, files.last().expect("at least one file"));
        let locator = Locator::new(&last.text);
        let table: toml::Table =
            toml::from_str(&last.text).map_err(|e| invalid(&files, vec![from_toml_error(&e, &locator, i)]))?;
        let parent = match table.get("extends") {
            None => None,
            Some(toml::Value::String(p)) => Some(p.clone()),
            Some(_) => {
                let key = KeyPath(vec![Seg::Key("extends".into())]);
                return Err(invalid(
                    &files,
                    vec![Diagnostic {
                        key: "extends".into(),
                        message: "expected the path of a scenario file, as a string".into(),
                        help: None,
                        source: i,
                        span: locator.span(&key),
                    }],
                ));
            }
        };
        tables.push(table);
        let Some(parent) = parent else { break };
        let base = last.path.parent().unwrap_or(Path::new("."));
        let parent_path = base.join(&parent);
        let seen = files.iter().any(|f| same_file(&f.path, &parent_path));
        if seen || files.len() >= MAX_EXTENDS_DEPTH {
            let key = KeyPath(vec![Seg::Key("extends".into())]);
            return Err(invalid(
                &files,
                vec![Diagnostic {
                    key: "extends".into(),
                    message: if seen {
                        format!("`{parent}` is already in this chain of extends: a scenario cannot extend itself")
                    } else {
                        format!("more than {MAX_EXTENDS_DEPTH} files in a chain of extends")
                    },
                    help: None,
                    source: i,
                    span: Locator::new(&last.text).span(&key),
                }],
            ));
        }
        let text = match read(&parent_path) {
            Ok(t) => t,
            Err(ScenarioError::Read { source, .. }) => {
                return Err(invalid(&files, vec![unreadable_parent(last, i, &parent, &parent_path, &source)]));
            }
            Err(e) => return Err(e),
        };
        files.push(File { path: parent_path, text });
    }
    let mut merged = tables.last().expect("the root of the chain").clone();
    for child in tables.iter().rev().skip(1) {
        merge(&mut merged, child.clone());
    }
    merged.remove("extends");
    // A `[sweep]` table is read by `pbrsim sweep` (see `experiment::sweep`), not part
    // of the scenario; nor is one inherited through `extends`.
    let has_sweep = merged.remove("sweep").is_some();
    let chain = Chain { files: &files, tables: &tables, merged: &merged };
    let mut nominal = merged.clone();
    let uncertain = uncertain::extract(&mut nominal).map_err(|bad| {
        let problems = bad.into_iter().map(|(path, message)| validate::Problem { path, message, help: None }).collect();
        invalid(&files, chain.diagnostics(problems))
    })?;
    let scenario = if files.len() == 1 && uncertain.is_empty() && !has_sweep {
        // The typed parser locates syntax and type errors most precisely.
        parse_one(&files)?
    } else {
        from_table(&chain, &nominal)?
    };
    let mut files = files.into_iter();
    let main = files.next().expect("the scenario file");
    Ok(Loaded { path: main.path, text: main.text, extends: files.collect(), scenario, table: nominal, uncertain })
}

/// Why a merged TOML tree is not a valid scenario, before locating it in the files.
enum Unlocated {
    Types(Vec<(KeyPath, String)>),
    Values(Vec<validate::Problem>),
}

/// Deserialises and validates a merged TOML tree.
fn typed(table: &toml::Table) -> Result<Scenario, Unlocated> {
    let scenario: Scenario = serde_path_to_error::deserialize(toml::Value::Table(table.clone())).map_err(|e| {
        let first = (collect::key_path(&KeyPath::default(), e.path()), collect::first_line(e.inner()));
        // Every independent structural error, not only the first.
        Unlocated::Types(std::iter::once(first).chain(collect::errors(table)).collect())
    })?;
    let problems = validate::validate(&scenario);
    if problems.is_empty() { Ok(scenario) } else { Err(Unlocated::Values(problems)) }
}

/// [`typed`], with errors located in the chain's files.
fn from_table(chain: &Chain, table: &toml::Table) -> Result<Scenario, ScenarioError> {
    typed(table).map_err(|e| chain.locate_unlocated(e))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// A scenario file, the files it extends and their merge, for locating key paths of
/// the merged scenario in the file that states them.
struct Chain<'a> {
    files: &'a [File],
    tables: &'a [toml::Table],
    merged: &'a toml::Table,
}

impl Chain<'_> {
    /// The file that states `path` (the scenario first, then what it extends), where,
    /// and the path as that file indexes it; failing that, the deepest ancestor of
    /// `path` in the scenario file.
    fn locate(&self, path: &KeyPath) -> (usize, Option<std::ops::Range<usize>>, KeyPath) {
        for (i, (f, t)) in self.files.iter().zip(self.tables).enumerate() {
            let Some(local) = translate(path, self.merged, t) else { continue };
            if let Some(span) = Locator::new(&f.text).span_exact(&local) {
                return (i, Some(span), local);
            }
        }
        let local = translate(path, self.merged, &self.tables[0]).unwrap_or_else(|| path.clone());
        (0, Locator::new(&self.files[0].text).span(&local), local)
    }

    fn locate_unlocated(&self, e: Unlocated) -> ScenarioError {
        match e {
            Unlocated::Types(errors) => {
                let misses = near_misses(self.tables);
                let mut diagnostics: Vec<Diagnostic> = Vec::new();
                let mut reported_misses = Vec::new();
                for (path, message) in errors {
                    let d = match misses.iter().position(|m| m.explains(&path, self.merged)) {
                        Some(k) if reported_misses.contains(&k) => continue,
                        Some(k) => {
                            reported_misses.push(k);
                            misses[k].diagnostic(self.files, &message)
                        }
                        None => {
                            let (source, span, key) = self.locate(&path);
                            let help = suggestion_for(&message);
                            Diagnostic {
                                key: key.to_string(),
                                message: collect::humanize(&message),
                                help,
                                source,
                                span,
                            }
                        }
                    };
                    if !diagnostics.iter().any(|x| x.key == d.key && x.source == d.source) {
                        diagnostics.push(d);
                    }
                }
                invalid(self.files, sorted(diagnostics))
            }
            Unlocated::Values(problems) => invalid(self.files, self.diagnostics(problems)),
        }
    }

    fn diagnostics(&self, problems: Vec<validate::Problem>) -> Vec<Diagnostic> {
        problems
            .into_iter()
            .map(|p| {
                let (source, span, key) = self.locate(&p.path);
                Diagnostic { span, source, key: key.to_string(), message: p.message, help: p.help }
            })
            .collect()
    }
}

/// Rewrites a key path of the merged scenario into the indexes of one file: element
/// `i` of a merged array of tables is found in the file by its name (or line). Keys
/// the file does not have are kept, so the caller's exact lookup fails there.
fn translate(path: &KeyPath, merged: &toml::Table, file: &toml::Table) -> Option<KeyPath> {
    let mut out = Vec::with_capacity(path.0.len());
    let mut m: Option<&toml::Value> = None;
    let mut f: Option<&toml::Value> = None;
    for (depth, seg) in path.0.iter().enumerate() {
        match seg {
            Seg::Key(k) => {
                let (mt, ft) = if depth == 0 {
                    (Some(merged), Some(file))
                } else {
                    (m.and_then(|v| v.as_table()), f.and_then(|v| v.as_table()))
                };
                m = mt.and_then(|t| t.get(k));
                f = ft.and_then(|t| t.get(k));
                out.push(seg.clone());
            }
            Seg::Index(i) => {
                let element = m.and_then(|v| v.as_array()).and_then(|a| a.get(*i))?;
                let local = match (identity(element), f.and_then(|v| v.as_array())) {
                    (Some(id), Some(arr)) => arr.iter().position(|e| identity(e) == Some(id))?,
                    _ => *i,
                };
                m = Some(element);
                f = f.and_then(|v| v.as_array()).and_then(|a| a.get(local));
                out.push(Seg::Index(local));
            }
        }
    }
    Some(KeyPath(out))
}

/// Parses and validates scenario text; `file` names it in messages. (A scenario given
/// as text cannot extend another file.)
pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
    parse_one(&[File { path: PathBuf::from(file), text: text.to_string() }])
}

fn parse_one(files: &[File]) -> Result<Scenario, ScenarioError> {
    let locator = Locator::new(&files[0].text);
    let scenario: Scenario = toml::from_str(&files[0].text).map_err(|e| {
        let mut diagnostics = vec![from_toml_error(&e, &locator, 0)];
        // A syntax error leaves nothing to trust; otherwise look for the other errors.
        if let Ok(table) = toml::from_str::<toml::Table>(&files[0].text) {
            for (path, message) in collect::errors(&table) {
                let key = path.to_string();
                if !diagnostics.iter().any(|d| d.key == key) {
                    let help = suggestion_for(&message);
                    let message = collect::humanize(&message);
                    diagnostics.push(Diagnostic { span: locator.span(&path), source: 0, key, message, help });
                }
            }
        }
        invalid(files, sorted(diagnostics))
    })?;
    check(files, &scenario)?;
    Ok(scenario)
}

/// Diagnostics in file order: by file (the scenario first), then position. A missing
/// key that another diagnostic explains as misspelt ("did you mean `simulation`?") is
/// dropped: the misspelling is the one error.
fn sorted(mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let explained: Vec<String> = diagnostics
        .iter()
        .filter_map(|d| d.help.as_deref()?.strip_prefix("did you mean `")?.strip_suffix("`?").map(str::to_owned))
        .collect();
    diagnostics.retain(|d| {
        !d.message
            .strip_prefix("missing field `")
            .and_then(|m| m.strip_suffix('`'))
            .is_some_and(|k| explained.iter().any(|e| e == k))
    });
    diagnostics.sort_by_key(|d| (d.source, d.span.as_ref().map_or(0, |s| s.start)));
    diagnostics
}

/// A diagnostic for an `extends` whose file cannot be read, in the file that names it,
/// suggesting a scenario file of a similar name in the same folder.
fn unreadable_parent(referrer: &File, source: usize, parent: &str, resolved: &Path, e: &std::io::Error) -> Diagnostic {
    let key = KeyPath(vec![Seg::Key("extends".into())]);
    let why = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    };
    let folder = resolved.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let siblings: Vec<String> = std::fs::read_dir(folder)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".toml"))
                .collect()
        })
        .unwrap_or_default();
    let file_name = resolved.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let help = diagnostic::suggest(&file_name, siblings.iter().map(String::as_str)).map(|s| {
        let suggestion = Path::new(parent).with_file_name(s);
        format!("did you mean `{}`?", suggestion.display())
    });
    Diagnostic {
        key: "extends".into(),
        message: format!(
            "cannot read the scenario this file extends, `{parent}` (looked for {}): {why}",
            resolved.display()
        ),
        help: help.or_else(|| Some("the path is relative to the folder of the file that names it".into())),
        source,
        span: Locator::new(&referrer.text).span(&key),
    }
}

/// The named arrays of tables an extending file may override element by element.
const NAMED_ARRAYS: [(&[&str], &str); 3] =
    [(&["providers"], "provider"), (&["service_lines"], "service line"), (&["practices", "list"], "practice")];

fn array_at<'t>(t: &'t toml::Table, path: &[&str]) -> Option<&'t Vec<toml::Value>> {
    let (last, init) = path.split_last()?;
    let mut t = t;
    for k in init {
        t = t.get(*k)?.as_table()?;
    }
    t.get(*last)?.as_array()
}

/// An element of an extending file whose name is not in what it extends but is close
/// to a name there: probably a misspelt override, which `extends` reads as a new
/// element.
struct NearMiss {
    array: &'static [&'static str],
    what: &'static str,
    name: String,
    suggestion: String,
    /// The file that states it, and its index there.
    file: usize,
    index: usize,
}

fn near_misses(tables: &[toml::Table]) -> Vec<NearMiss> {
    let mut out = Vec::new();
    for i in 0..tables.len().saturating_sub(1) {
        let mut ancestors = tables.last().cloned().unwrap_or_default();
        for t in tables[i + 1..tables.len() - 1].iter().rev() {
            merge(&mut ancestors, t.clone());
        }
        for (array, what) in NAMED_ARRAYS {
            let Some(own) = array_at(&tables[i], array) else { continue };
            let names: Vec<&str> = array_at(&ancestors, array).into_iter().flatten().filter_map(identity).collect();
            for (index, e) in own.iter().enumerate() {
                let Some(name) = identity(e) else { continue };
                if names.contains(&name) {
                    continue;
                }
                if let Some(s) = diagnostic::suggest(name, names.iter().copied()) {
                    out.push(NearMiss {
                        array,
                        what,
                        name: name.to_string(),
                        suggestion: s.to_string(),
                        file: i,
                        index,
                    });
                }
            }
        }
    }
    out
}

impl NearMiss {
    /// Whether an error at `path` of the merged scenario lies in this element.
    fn explains(&self, path: &KeyPath, merged: &toml::Table) -> bool {
        let n = self.array.len();
        if path.0.len() <= n || !self.array.iter().zip(&path.0).all(|(a, s)| *s == Seg::Key((*a).to_string())) {
            return false;
        }
        let Seg::Index(k) = path.0[n] else { return false };
        array_at(merged, self.array).and_then(|a| a.get(k)).and_then(identity) == Some(self.name.as_str())
    }

    fn diagnostic(&self, files: &[File], message: &str) -> Diagnostic {
        let mut key = KeyPath::default();
        for a in self.array {
            key = key.key(a);
        }
        let key = key.index(self.index).key("name");
        let parent = files.get(self.file + 1).map_or_else(String::new, |f| f.path.display().to_string());
        Diagnostic {
            key: key.to_string(),
            message: format!(
                "no {} named `{}` in {parent} to override, so this adds a new {}, which is incomplete: {}",
                self.what,
                self.name,
                self.what,
                collect::humanize(message)
            ),
            help: Some(format!("did you mean `{}`?", self.suggestion)),
            source: self.file,
            span: Locator::new(&files[self.file].text).span(&key),
        }
    }
}

fn check(files: &[File], scenario: &Scenario) -> Result<(), ScenarioError> {
    let problems = validate::validate(scenario);
    if problems.is_empty() { Ok(()) } else { Err(invalid(files, locate(problems, files))) }
}

/// Locates problems of a self-contained scenario in its one file.
fn locate(problems: Vec<validate::Problem>, files: &[File]) -> Vec<Diagnostic> {
    let locator = Locator::new(&files[0].text);
    problems
        .into_iter()
        .map(|p| Diagnostic {
            span: locator.span(&p.path),
            source: 0,
            key: p.path.to_string(),
            message: p.message,
            help: p.help,
        })
        .collect()
}

/// The key that identifies an element of an array of tables when merging: providers,
/// practices and service lines by `name`, a provider's services by `line`.
fn identity(v: &toml::Value) -> Option<&str> {
    let t = v.as_table()?;
    t.get("name").or_else(|| t.get("line")).and_then(|n| n.as_str())
}

/// Overlays `over` on `base`, the rules of `extends`:
///
/// - a table merges key by key, recursively, except a distribution (a table with a
///   `dist` key), which is replaced whole;
/// - an array of tables whose elements all have a `name` (or, for a provider's
///   services, a `line`) merges element by element with the same name; elements with
///   new names are appended;
/// - anything else is replaced.
pub fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) if !o.contains_key("dist") => merge(b, o),
            // An empty array is never a merge: it clears what the parent stated.
            (Some(toml::Value::Array(b)), toml::Value::Array(o))
                if !o.is_empty() && b.iter().chain(o.iter()).all(|e| identity(e).is_some()) =>
            {
                for element in o {
                    let id = identity(&element).map(str::to_owned);
                    match b.iter_mut().find(|e| identity(e).map(str::to_owned) == id) {
                        Some(toml::Value::Table(target)) => {
                            if let toml::Value::Table(e) = element {
                                merge(target, e);
                            }
                        }
                        _ => b.push(element),
                    }
                }
            }
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

impl Loaded {
    /// The model configuration for this scenario.
    pub fn config(&self) -> Result<Config, ScenarioError> {
        self.config_of(&self.scenario)
    }

    /// The checks that need the built model: money that fits in 64-bit pence.
    pub fn preflight(&self, model: &crate::model::Model) -> Result<(), ScenarioError> {
        let problems = preflight::money(model);
        if problems.is_empty() {
            return Ok(());
        }
        let files = self.files();
        if files.len() == 1 {
            return Err(invalid(&files, locate(problems, &files)));
        }
        Err(self.with_chain(|chain| invalid(chain.files, chain.diagnostics(problems))))
    }

    /// The files of the scenario, itself first.
    fn files(&self) -> Vec<File> {
        std::iter::once(File { path: self.path.clone(), text: self.text.clone() })
            .chain(self.extends.iter().cloned())
            .collect()
    }

    /// Runs `f` with the chain of this scenario's files, for locating errors.
    fn with_chain<T>(&self, f: impl FnOnce(&Chain) -> T) -> T {
        let files = self.files();
        let tables: Vec<toml::Table> = files.iter().map(|f| toml::from_str(&f.text).unwrap_or_default()).collect();
        let mut merged = tables.last().cloned().unwrap_or_default();
        for child in tables.iter().rev().skip(1) {
            merge(&mut merged, child.clone());
        }
        f(&Chain { files: &files, tables: &tables, merged: &merged })
    }

    /// This scenario with the values at some key paths replaced (from
    /// [`uncertain::resolve`]): a sweep point. Uncertain parameters that are set
    /// become fixed. Errors are located in the files where the keys are stated.
    pub fn with_values(&self, values: &[(diagnostic::KeyPath, toml::Value)]) -> Result<Loaded, ScenarioError> {
        let mut table = self.table.clone();
        for (at, v) in values {
            uncertain::set(&mut table, at, v.clone());
        }
        let scenario = typed(&table).map_err(|e| self.with_chain(|chain| chain.locate_unlocated(e)))?;
        let uncertain = self.uncertain.iter().filter(|u| !values.iter().any(|(at, _)| *at == u.at)).cloned().collect();
        Ok(Loaded { scenario, table, uncertain, ..self.clone() })
    }

    /// The scenario replication `replication` of an experiment with master `seed`
    /// runs: each uncertain parameter drawn from its own stream. Returns the drawn
    /// values (in the order of [`Loaded::uncertain`]) and the scenario, or why the
    /// draws make no valid scenario (such as a probability drawn above 1).
    pub fn draw(&self, seed: u64, replication: u64) -> (Vec<f64>, Result<Scenario, ScenarioError>) {
        let values: Vec<f64> = self.uncertain.iter().map(|u| u.draw(seed, replication)).collect();
        let mut table = self.table.clone();
        for (u, v) in self.uncertain.iter().zip(&values) {
            uncertain::set(&mut table, &u.at, toml::Value::Float(*v));
        }
        let scenario = typed(&table).map_err(|e| self.with_chain(|chain| chain.locate_unlocated(e)));
        (values, scenario)
    }

    /// The model configuration of `scenario`, a variant of this one (a draw or a
    /// sweep point); errors are located in this scenario's files.
    pub fn config_of(&self, scenario: &Scenario) -> Result<Config, ScenarioError> {
        build::build(scenario).map_err(|problems| {
            let files = self.files();
            if files.len() == 1 {
                return invalid(&files, locate(problems, &files));
            }
            let tables: Vec<toml::Table> = files.iter().map(|f| toml::from_str(&f.text).unwrap_or_default()).collect();
            let mut merged = tables.last().cloned().unwrap_or_default();
            for child in tables.iter().rev().skip(1) {
                merge(&mut merged, child.clone());
            }
            let chain = Chain { files: &files, tables: &tables, merged: &merged };
            invalid(&files, chain.diagnostics(problems))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(s: &str) -> toml::Table {
        toml::from_str(s).unwrap()
    }

    #[test]
    fn an_empty_array_clears_the_parents() {
        let mut base = table("[[p]]\nname = \"one\"\n[[p]]\nname = \"two\"\n");
        merge(&mut base, table("p = []"));
        assert_eq!(base["p"].as_array().map(Vec::len), Some(0));
    }

    #[test]
    fn merge_rules() {
        let mut base = table(
            r#"
            a = 1
            t = { x = 1, y = 2 }
            d = { dist = "gamma", mean = 2.0, cv = 0.5 }
            [[p]]
            name = "one"
            v = 1
            [[p]]
            name = "two"
            v = 2
            "#,
        );
        merge(
            &mut base,
            table(
                r#"
                a = 5
                t = { y = 3 }
                d = { dist = "exponential", mean = 1.0 }
                [[p]]
                name = "two"
                v = 20
                [[p]]
                name = "three"
                v = 3
                "#,
            ),
        );
        let want = table(
            r#"
            a = 5
            t = { x = 1, y = 3 }
            d = { dist = "exponential", mean = 1.0 }
            [[p]]
            name = "one"
            v = 1
            [[p]]
            name = "two"
            v = 20
            [[p]]
            name = "three"
            v = 3
            "#,
        );
        assert_eq!(base, want);
    }
}
