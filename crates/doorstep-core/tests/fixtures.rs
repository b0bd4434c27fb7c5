//! Data-driven tests: each file in `tests/fixtures/` holds a form (or names one) and cases of
//! answers with the issues they must give, or forms that must fail to load with a given error.
//! Adding a case is adding JSON, not Rust.

use std::path::{Path, PathBuf};

use doorstep_core::expr::{parse_date, Context};
use doorstep_core::{Answers, Evaluation, Form};
use serde::Deserialize;
use serde_json::Value as Json;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    #[allow(dead_code)]
    description: String,
    #[serde(default)]
    form: Option<Json>,
    #[serde(default)]
    form_file: Option<String>,
    #[serde(default)]
    context: ContextSpec,
    #[serde(default)]
    cases: Vec<Case>,
    #[serde(default)]
    schema_errors: Vec<SchemaErrorCase>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ContextSpec {
    today: Option<String>,
    reference_date: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    answers: Answers,
    /// `[field, code]` or `[field, code, "warning"]`, in report order.
    issues: Vec<Vec<String>>,
    #[serde(default)]
    completed: Option<Answers>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemaErrorCase {
    name: String,
    form: Json,
    /// Texts the error message must contain.
    contains: Vec<String>,
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn date(text: &Option<String>) -> Option<jiff::civil::Date> {
    text.as_deref()
        .map(|t| parse_date(t).unwrap_or_else(|| panic!("bad date {t}")))
}

#[test]
fn every_fixture_holds() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut cases = 0;
    let mut failures = Vec::new();
    for file in &files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let fixture: Fixture =
            serde_json::from_str(&std::fs::read_to_string(file).expect("readable"))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        for case in &fixture.schema_errors {
            cases += 1;
            match Form::from_json(&case.form.to_string()) {
                Ok(_) => failures.push(format!("{name} / {}: the form loaded", case.name)),
                Err(e) => {
                    let message = e.to_string();
                    for part in &case.contains {
                        if !message.contains(part.as_str()) {
                            failures.push(format!(
                                "{name} / {}: `{message}` lacks `{part}`",
                                case.name
                            ));
                        }
                    }
                }
            }
        }
        let text = match (&fixture.form, &fixture.form_file) {
            (Some(form), None) => form.to_string(),
            (None, Some(path)) => {
                std::fs::read_to_string(fixtures_dir().join(path)).expect("form file")
            }
            (None, None) if fixture.cases.is_empty() => continue,
            _ => panic!("{name}: give exactly one of form and form_file"),
        };
        let form = Form::from_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let context = Context {
            today: date(&fixture.context.today),
            reference_date: date(&fixture.context.reference_date),
        };
        for case in &fixture.cases {
            cases += 1;
            let evaluation = Evaluation::new(&form, &case.answers, context);
            let got: Vec<Vec<String>> = evaluation
                .report(&form)
                .issues
                .iter()
                .map(|i| {
                    let mut row = vec![i.field.clone(), i.code.clone()];
                    if i.severity == doorstep_core::Severity::Warning {
                        row.push("warning".into());
                    }
                    row
                })
                .collect();
            if got != case.issues {
                failures.push(format!(
                    "{name} / {}: expected {:?}, got {got:?}",
                    case.name, case.issues
                ));
            }
            if let Some(expected) = &case.completed {
                let completed = evaluation.completed_answers(&form);
                if &completed != expected {
                    failures.push(format!("{name} / {}: completed {completed:?}", case.name));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} fixture cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(cases >= 40, "only {cases} fixture cases found");
}
