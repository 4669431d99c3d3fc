//! Scenario files: TOML → typed [`Scenario`] → validated → model [`Config`].
//!
//! Every problem is reported with the file, line and column, the key path, what was
//! expected and, for a misspelt name, the likely intended one. Syntax and type errors
//! come from the TOML parser (one at a time, since the rest of the file cannot be
//! trusted after one); value errors are all reported together.

pub mod build;
pub mod diagnostic;
pub mod schema;
pub mod validate;

use std::path::{Path, PathBuf};

pub use diagnostic::{Diagnostic, Report};
pub use schema::Scenario;

use crate::model::Config;
use diagnostic::{Locator, from_toml_error};

/// Why a scenario could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Invalid(Box<Report>),
}

/// A scenario read from a file, with its exact bytes for hashing and error reports.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: PathBuf,
    pub text: String,
    pub scenario: Scenario,
}

/// Reads and checks a scenario file.
pub fn load(path: &Path) -> Result<Loaded, ScenarioError> {
    let bytes = std::fs::read(path).map_err(|source| ScenarioError::Read { path: path.to_path_buf(), source })?;
    let text = String::from_utf8(bytes).map_err(|e| ScenarioError::Read {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, format!("not UTF-8 text: {e}")),
    })?;
    let scenario = parse(&text, &path.display().to_string())?;
    Ok(Loaded { path: path.to_path_buf(), text, scenario })
}

/// Parses and validates scenario text; `file` names it in messages.
pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
    let locator = Locator::new(text);
    let report =
        |diagnostics| ScenarioError::Invalid(Box::new(Report { file: file.into(), text: text.into(), diagnostics }));
    let scenario: Scenario = toml::from_str(text).map_err(|e| report(vec![from_toml_error(&e, &locator)]))?;
    let problems = validate::validate(&scenario);
    if !problems.is_empty() {
        return Err(report(locate(problems, &locator)));
    }
    Ok(scenario)
}

fn locate(problems: Vec<validate::Problem>, locator: &Locator) -> Vec<Diagnostic> {
    problems
        .into_iter()
        .map(|p| Diagnostic { span: locator.span(&p.path), key: p.path.to_string(), message: p.message, help: p.help })
        .collect()
}

impl Loaded {
    /// The model configuration for this scenario.
    pub fn config(&self) -> Result<Config, ScenarioError> {
        build::build(&self.scenario).map_err(|problems| {
            let locator = Locator::new(&self.text);
            ScenarioError::Invalid(Box::new(Report {
                file: self.path.display().to_string(),
                text: self.text.clone(),
                diagnostics: locate(problems, &locator),
            }))
        })
    }
}
