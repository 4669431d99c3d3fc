//! Scenario errors that point at the text: file, line, column, the key path, what was
//! expected, and a suggestion for a misspelt name. Validation works on typed values and
//! key paths; this module maps a key path back to the bytes it came from by walking
//! the spanned TOML tree, so validation code never handles spans itself.

use std::fmt;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One segment of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A key path such as `providers[2].services[0].outpatient.servers`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    /// This path extended by a key.
    pub fn key(&self, k: &str) -> KeyPath {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }

    /// This path extended by an array index.
    pub fn index(&self, i: usize) -> KeyPath {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The key the problem is about (may be empty for a syntax error).
    pub key: String,
    /// What is wrong, including what was expected.
    pub message: String,
    /// A hint, such as the name the user probably meant.
    pub help: Option<String>,
    /// Which of the report's sources the span points into.
    pub source: usize,
    /// Byte range in that source, when known.
    pub span: Option<Range<usize>>,
}

/// A scenario file's name and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub file: String,
    pub text: String,
}

/// All problems found in one scenario (its file, and the files it extends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The scenario file first, then the files it extends.
    pub sources: Vec<Source>,
    pub diagnostics: Vec<Diagnostic>,
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

impl Report {
    /// `(line, column)` of each diagnostic, for tests and tools.
    pub fn positions(&self) -> Vec<Option<(usize, usize)>> {
        self.diagnostics
            .iter()
            .map(|d| d.span.as_ref().map(|s| line_col(&self.sources[d.source].text, s.start)))
            .collect()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            let Source { file, text } = &self.sources[d.source];
            let key = if d.key.is_empty() { String::new() } else { format!("`{}`: ", d.key) };
            writeln!(f, "error: {key}{}", d.message)?;
            match &d.span {
                Some(span) => {
                    let (line, col) = line_col(text, span.start);
                    writeln!(f, "  --> {file}:{line}:{col}")?;
                    let src = text.lines().nth(line - 1).unwrap_or("");
                    let width = line.to_string().len();
                    let len = text[span.clone()].lines().next().map_or(1, |l| l.chars().count()).max(1);
                    let len = len.min(src.chars().count().saturating_sub(col - 1).max(1));
                    writeln!(f, "{:width$} |", "")?;
                    writeln!(f, "{line} | {src}")?;
                    writeln!(f, "{:width$} | {}{}", "", " ".repeat(col - 1), "^".repeat(len))?;
                }
                None => writeln!(f, "  --> {file}")?,
            }
            if let Some(help) = &d.help {
                writeln!(f, "  = help: {help}")?;
            }
        }
        let n = self.diagnostics.len();
        let file = self.sources.first().map_or("", |s| s.file.as_str());
        write!(f, "{} error{} in {}", n, if n == 1 { "" } else { "s" }, file)
    }
}

/// The closest candidate to a misspelt `word`, if any is close enough to be a likely
/// typo (edit distance at most a third of the word, and at least 1 allowed).
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(word, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// The spanned tree of a scenario file, to locate key paths.
pub struct Locator<'i> {
    root: Option<Spanned<DeTable<'i>>>,
}

impl<'i> Locator<'i> {
    pub fn new(text: &'i str) -> Self {
        Self { root: DeTable::parse(text).ok() }
    }

    /// Byte range of the value at `path` if the whole path is present in this file.
    pub fn span_exact(&self, path: &KeyPath) -> Option<Range<usize>> {
        let (span, depth) = self.deepest(path)?;
        (depth == path.0.len()).then_some(span)
    }

    /// Byte range of the value at `path`; if it is absent (a default was used), the
    /// range of its deepest present ancestor.
    pub fn span(&self, path: &KeyPath) -> Option<Range<usize>> {
        self.deepest(path).map(|(span, _)| span)
    }

    /// The span of the deepest present prefix of `path`, and its length.
    fn deepest(&self, path: &KeyPath) -> Option<(Range<usize>, usize)> {
        let root = self.root.as_ref()?;
        let mut best = None;
        let mut depth = 0;
        let mut table: Option<&DeTable> = Some(root.get_ref());
        let mut value: Option<&Spanned<DeValue>> = None;
        for seg in &path.0 {
            let next = match (seg, table, value) {
                (Seg::Key(k), Some(t), _) => t.get(k.as_str()),
                (Seg::Index(i), _, Some(v)) => match v.get_ref() {
                    DeValue::Array(a) => a.get(*i),
                    _ => None,
                },
                _ => None,
            };
            let Some(v) = next else { break };
            best = Some(v.span());
            depth += 1;
            value = Some(v);
            table = match v.get_ref() {
                DeValue::Table(t) => Some(t),
                _ => None,
            };
        }
        best.map(|b| (b, depth))
    }

    /// The deepest key path whose key or value contains byte `offset`. The whole tree
    /// is searched: a table's span covers only its `[header]`, not its contents.
    pub fn path_at(&self, offset: usize) -> KeyPath {
        let mut best = KeyPath::default();
        if let Some(root) = &self.root {
            search_table(root.get_ref(), offset, &mut KeyPath::default(), &mut best);
        }
        best
    }
}

fn search_table(t: &DeTable, offset: usize, path: &mut KeyPath, best: &mut KeyPath) {
    for (k, child) in t.iter() {
        visit(Seg::Key(k.get_ref().to_string()), k.span().contains(&offset), child, offset, path, best);
    }
}

fn visit(seg: Seg, key_hit: bool, child: &Spanned<DeValue>, offset: usize, path: &mut KeyPath, best: &mut KeyPath) {
    path.0.push(seg);
    if (key_hit || child.span().contains(&offset)) && path.0.len() > best.0.len() {
        *best = path.clone();
    }
    match child.get_ref() {
        DeValue::Table(t) => search_table(t, offset, path, best),
        DeValue::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                visit(Seg::Index(i), false, c, offset, path, best);
            }
        }
        _ => {}
    }
    path.0.pop();
}

/// A suggestion for an "unknown field" or "unknown variant" message from serde, whose
/// backquoted words are the bad name followed by the expected ones.
pub fn suggestion_for(message: &str) -> Option<String> {
    if !(message.starts_with("unknown field") || message.starts_with("unknown variant")) {
        return None;
    }
    let quoted: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    let (bad, candidates) = quoted.split_first()?;
    match suggest(bad, candidates.iter().copied()) {
        Some(s) => Some(format!("did you mean `{s}`?")),
        None if !candidates.is_empty() => Some(format!("expected one of: {}", candidates.join(", "))),
        None => None,
    }
}

/// Turns a `toml` parse or type error in source `source` into a diagnostic.
pub fn from_toml_error(err: &toml::de::Error, locator: &Locator, source: usize) -> Diagnostic {
    let message = err.message().trim().to_string();
    let span = err.span();
    let key = span.as_ref().map(|s| locator.path_at(s.start).to_string()).unwrap_or_default();
    let help = suggestion_for(&message);
    let message = super::collect::humanize(&message);
    Diagnostic { key, message, help, source, span }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "[a]\nx = 1\n\n[[b]]\ny = 2\n[[b]]\ny = 3\nz = { w = 4 }\n";

    #[test]
    fn locates_paths() {
        let l = Locator::new(DOC);
        let p = KeyPath::default().key("b").index(1).key("z").key("w");
        let span = l.span(&p).unwrap();
        assert_eq!(&DOC[span.clone()], "4");
        assert_eq!(line_col(DOC, span.start), (8, 11));
        assert_eq!(l.path_at(span.start).to_string(), "b[1].z.w");
        // Absent key: falls back to the deepest present ancestor.
        let missing = KeyPath::default().key("a").key("nope");
        assert_eq!(l.span(&missing), l.span(&KeyPath::default().key("a")));
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("servrs", ["servers", "service_days"]), Some("servers"));
        assert_eq!(suggest("zzzzzz", ["servers"]), None);
        assert_eq!(suggest("istcc", ["nhs_trust", "istc"]), Some("istc"));
    }
}
