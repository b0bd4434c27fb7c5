//! Data-driven tests: each file in `tests/fixtures/` (this crate's small forms) and in the
//! workspace's `tests/forms/` (the survey's real forms) holds a form, or names one, and cases of
//! answers with the issues they must give, or forms that must fail to load with a given error.
//! Adding a case is adding JSON, not Rust. The file format is described in `support/fixture.rs`.

mod support;

use std::path::Path;

use doorstep_core::{Evaluation, Form, Severity};
use support::fixture::{self, Fixture};

/// Runs every case of one fixture; returns the number of cases and the failures.
fn run(fixture: &Fixture) -> (usize, Vec<String>) {
    let name = fixture.name();
    let mut cases = 0;
    let mut failures: Vec<String> = fixture
        .coverage_problems()
        .into_iter()
        .map(|p| format!("{name}: {p}"))
        .collect();
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
    let Some(text) = fixture.form_text() else {
        assert!(fixture.cases.is_empty(), "{name}: cases but no form");
        return (cases, failures);
    };
    let form = Form::from_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let context = fixture.context();
    for case in &fixture.cases {
        cases += 1;
        let answers = fixture.answers(case);
        let evaluation = Evaluation::new(&form, &answers, context.clone());
        let got: Vec<Vec<String>> = evaluation
            .report(&form)
            .issues
            .iter()
            .map(|i| {
                let mut row = vec![i.field.clone(), i.code.clone()];
                if i.severity == Severity::Warning {
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
        let completed = evaluation.completed_answers(&form);
        if let Some(expected) = &case.completed {
            if &completed != expected {
                failures.push(format!("{name} / {}: completed {completed:?}", case.name));
            }
        }
        for field in &case.dropped {
            if !answers.contains_key(field) {
                failures.push(format!(
                    "{name} / {}: `{field}` is listed as dropped but not answered",
                    case.name
                ));
            } else if completed.contains_key(field) {
                failures.push(format!(
                    "{name} / {}: the completed record keeps `{field}`",
                    case.name
                ));
            }
        }
    }
    (cases, failures)
}

/// Runs every fixture of a folder and fails with every failed case, or when the folder holds
/// fewer cases than expected (a corpus that went missing must not pass).
fn assert_folder_holds(dir: &Path, at_least: usize) {
    let mut cases = 0;
    let mut failures = Vec::new();
    for file in fixture::files_in(dir) {
        let (count, mut problems) = run(&fixture::load(&file));
        cases += count;
        failures.append(&mut problems);
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} fixture cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        cases >= at_least,
        "only {cases} fixture cases in {}",
        dir.display()
    );
}

#[test]
fn every_engine_fixture_holds() {
    assert_folder_holds(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
        40,
    );
}

#[test]
fn every_survey_form_fixture_holds() {
    assert_folder_holds(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/forms"),
        800,
    );
}
