//! Fixture files: a form (in place or by path), the context to check in, and cases of answers
//! with the issues they must give. The core's own tests (`tests/fixtures.rs`) and the
//! `doorstep check` tests of the server both read them through this module, so one corpus
//! proves the rules through both.
//!
//! A case gives its answers whole (`answers`), or as a named base record (`base`) with some
//! answers set (`set`) and some removed (`unset`). A fixture may list the rules it proves
//! (`rules`); then every case names its rule, and every rule needs a case that breaks it (some
//! issue) and one that satisfies it (no issue).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use doorstep_core::expr::{parse_date, Context};
use doorstep_core::region::{Area, RegionList};
use doorstep_core::Answers;
use serde::Deserialize;
use serde_json::Value as Json;

/// One fixture file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    pub description: String,
    #[serde(default)]
    pub form: Option<Json>,
    /// A form file, relative to the fixture file.
    #[serde(default)]
    pub form_file: Option<String>,
    #[serde(default)]
    pub context: ContextSpec,
    #[serde(default)]
    pub rules: Vec<Rule>,
    #[serde(default)]
    pub bases: BTreeMap<String, Answers>,
    #[serde(default)]
    pub cases: Vec<Case>,
    #[serde(default)]
    pub schema_errors: Vec<SchemaErrorCase>,
    /// The file's path, filled in by [`load`].
    #[serde(skip)]
    pub path: PathBuf,
}

/// What the rules read besides the answers.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ContextSpec {
    pub today: Option<String>,
    pub reference_date: Option<String>,
    /// Region list files, relative to the fixture file.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Roster sizes by village code.
    #[serde(default)]
    pub roster_sizes: Option<BTreeMap<String, i64>>,
    pub collector: Option<String>,
}

/// A rule of the specification the fixture proves.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub text: String,
}

/// A case as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    #[serde(default)]
    pub rule: Option<String>,
    #[serde(default)]
    pub base: Option<String>,
    #[serde(default)]
    pub answers: Option<Answers>,
    #[serde(default)]
    pub set: Answers,
    #[serde(default)]
    pub unset: Vec<String>,
    /// `[field, code]` or `[field, code, "warning"]`, in report order.
    pub issues: Vec<Vec<String>>,
    /// The completed record's answers, exactly.
    #[serde(default)]
    pub completed: Option<Answers>,
    /// Answers given that the completed record must not keep (questions not asked).
    #[serde(default)]
    pub dropped: Vec<String>,
}

/// A form that must fail to load.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaErrorCase {
    pub name: String,
    pub form: Json,
    /// Texts the error message must contain.
    pub contains: Vec<String>,
}

/// Reads a fixture file; panics with the file's name when it is malformed.
pub fn load(path: &Path) -> Fixture {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut fixture: Fixture =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    fixture.path = path.to_path_buf();
    fixture
}

/// The `*.json` files of a folder, sorted.
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("folder entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn date(text: &Option<String>) -> Option<jiff::civil::Date> {
    text.as_deref()
        .map(|t| parse_date(t).unwrap_or_else(|| panic!("bad date {t}")))
}

impl Fixture {
    /// The fixture file's name, for messages.
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// A path written in the fixture, relative to its file.
    pub fn resolve(&self, relative: &str) -> PathBuf {
        self.path.parent().unwrap_or(Path::new(".")).join(relative)
    }

    /// The form's JSON text, if the fixture has one.
    pub fn form_text(&self) -> Option<String> {
        match (&self.form, &self.form_file) {
            (Some(form), None) => Some(form.to_string()),
            (None, Some(file)) => Some(
                std::fs::read_to_string(self.resolve(file))
                    .unwrap_or_else(|e| panic!("{}: {file}: {e}", self.name())),
            ),
            (None, None) => None,
            _ => panic!("{}: give at most one of form and form_file", self.name()),
        }
    }

    /// The evaluation context the fixture asks for.
    pub fn context(&self) -> Context {
        let lists: Vec<RegionList> = self
            .context
            .regions
            .iter()
            .map(|file| {
                let text = std::fs::read_to_string(self.resolve(file))
                    .unwrap_or_else(|e| panic!("{}: {file}: {e}", self.name()));
                serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("{}: {file}: {e}", self.name()))
            })
            .collect();
        Context {
            today: date(&self.context.today),
            reference_date: date(&self.context.reference_date),
            area: (!lists.is_empty()).then(|| Arc::new(Area::new(lists))),
            roster_sizes: self.context.roster_sizes.clone().map(Arc::new),
            collector: self.context.collector.as_deref().map(Arc::from),
        }
    }

    /// The answers a case checks: its own, or its base with its changes.
    pub fn answers(&self, case: &Case) -> Answers {
        if let Some(answers) = &case.answers {
            assert!(
                case.base.is_none() && case.set.is_empty() && case.unset.is_empty(),
                "{} / {}: give answers, or a base with set and unset, not both",
                self.name(),
                case.name
            );
            return answers.clone();
        }
        let base = case.base.as_deref().unwrap_or("default");
        let mut answers = self
            .bases
            .get(base)
            .unwrap_or_else(|| panic!("{} / {}: no base `{base}`", self.name(), case.name))
            .clone();
        for field in &case.unset {
            assert!(
                answers.remove(field).is_some(),
                "{} / {}: unset `{field}`, which the base does not answer",
                self.name(),
                case.name
            );
        }
        for (field, value) in &case.set {
            answers.insert(field.clone(), value.clone());
        }
        answers
    }

    /// What is wrong with the fixture's own bookkeeping: cases naming unknown rules, and
    /// rules without a case that breaks them or one that satisfies them.
    pub fn coverage_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.rules.is_empty() {
            return problems;
        }
        for case in &self.cases {
            match &case.rule {
                Some(rule) if self.rules.iter().any(|r| &r.id == rule) => {}
                Some(rule) => problems.push(format!("case `{}`: no rule `{rule}`", case.name)),
                None => problems.push(format!("case `{}` names no rule", case.name)),
            }
        }
        for rule in &self.rules {
            let cases = || {
                self.cases
                    .iter()
                    .filter(|c| c.rule.as_deref() == Some(rule.id.as_str()))
            };
            if !cases().any(|c| !c.issues.is_empty()) {
                problems.push(format!("rule `{}`: no case breaks it", rule.id));
            }
            if !cases().any(|c| c.issues.is_empty()) {
                problems.push(format!("rule `{}`: no case satisfies it", rule.id));
            }
        }
        problems
    }
}
