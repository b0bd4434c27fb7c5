//! The survey forms' fixture corpus (`tests/forms/` at the workspace root) run through the
//! real `doorstep check` binary: every case becomes one input line, and the errors and warnings
//! it prints must be the ones the fixture expects. The core's own tests run the same corpus
//! through the engine directly.

#[path = "../../doorstep-core/tests/support/fixture.rs"]
mod fixture;

use std::io::Write;
use std::path::Path;
use std::process::Command;

use serde_json::Value as Json;

/// A valid, distinct certificate number for the `serial`-th person of a made-up roster: an ID
/// number whose check character is found by trying each, then category 4, level 2.
fn cert_no(serial: usize) -> String {
    let first17 = format!("33011019800101{serial:03}");
    let id = "0123456789X"
        .chars()
        .map(|check| format!("{first17}{check}"))
        .find(|id| doorstep_core::expr::id_number_valid(id))
        .expect("one check character fits");
    format!("{id}42")
}

/// The `[field, code]` / `[field, code, "warning"]` rows of one output line, errors first.
fn rows(line: &Json) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (key, suffix) in [("errors", None), ("warnings", Some("warning"))] {
        for problem in line[key].as_array().into_iter().flatten() {
            let mut row = vec![
                problem["field"].as_str().unwrap_or("?").to_string(),
                problem["code"].as_str().unwrap_or("?").to_string(),
            ];
            row.extend(suffix.map(String::from));
            out.push(row);
        }
    }
    out
}

#[test]
fn doorstep_check_gives_every_fixture_its_issues() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/forms");
    let scratch = tempfile::tempdir().expect("temp dir");
    let mut checked = 0;
    let mut failures = Vec::new();
    for file in fixture::files_in(&dir) {
        let fixture = fixture::load(&file);
        let Some(form_file) = &fixture.form_file else {
            continue;
        };
        let name = fixture.name();
        let records = scratch.path().join(format!("{name}.jsonl"));
        let mut input = std::fs::File::create(&records).expect("create");
        let form_id = serde_json::from_str::<Json>(&fixture.form_text().expect("form"))
            .expect("form JSON")["id"]
            .as_str()
            .expect("form id")
            .to_string();
        for (n, case) in fixture.cases.iter().enumerate() {
            let line =
                serde_json::json!({"form": form_id, "id": n, "answers": fixture.answers(case)});
            writeln!(input, "{line}").expect("write");
        }
        drop(input);

        let mut command = Command::new(env!("CARGO_BIN_EXE_doorstep"));
        command
            .args(["check", "--locale", "en", "--form"])
            .arg(fixture.resolve(form_file));
        let spec = &fixture.context;
        if let Some(today) = &spec.today {
            command.args(["--today", today]);
        }
        if let Some(date) = &spec.reference_date {
            command.args(["--reference-date", date]);
        }
        for regions in &spec.regions {
            command.arg("--regions").arg(fixture.resolve(regions));
        }
        if let Some(sizes) = &spec.roster_sizes {
            // A roster in the layout `doorstep roster import` reads, with as many persons per
            // village as the fixture says.
            let roster = scratch.path().join(format!("{name}.roster.csv"));
            let mut csv = String::from("cert_no,name,region_code\n");
            let mut serial = 0;
            for (code, &count) in sizes {
                for _ in 0..count {
                    serial += 1;
                    csv.push_str(&format!("{},某人,{code}\n", cert_no(serial)));
                }
            }
            std::fs::write(&roster, csv).expect("write roster");
            command.arg("--roster").arg(roster);
        }
        if let Some(collector) = &spec.collector {
            command.args(["--collector", collector]);
        }
        let output = command.arg(&records).output().expect("doorstep runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{name}: doorstep check failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let lines: Vec<Json> = stdout
            .lines()
            .map(|l| serde_json::from_str(l).expect("output is JSON lines"))
            .collect();
        assert_eq!(
            lines.len(),
            fixture.cases.len(),
            "{name}: one line per case"
        );
        let mut any_invalid = false;
        for (case, line) in fixture.cases.iter().zip(&lines) {
            checked += 1;
            let mut expected: Vec<Vec<String>> = case
                .issues
                .iter()
                .filter(|i| i.len() == 2)
                .cloned()
                .collect();
            expected.extend(case.issues.iter().filter(|i| i.len() == 3).cloned());
            let got = rows(line);
            if got != expected {
                failures.push(format!(
                    "{name} / {}: expected {expected:?}, got {got:?}",
                    case.name
                ));
            }
            let valid = line["valid"].as_bool().unwrap_or(false);
            any_invalid |= !valid;
            if valid == case.issues.iter().any(|i| i.len() == 2) {
                failures.push(format!("{name} / {}: valid is {valid}", case.name));
            }
        }
        // The exit status says whether every record was valid.
        assert_eq!(output.status.code(), Some(i32::from(any_invalid)), "{name}");
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked >= 800, "only {checked} cases found");
}
