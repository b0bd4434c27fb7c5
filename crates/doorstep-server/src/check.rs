//! `doorstep check`: runs the form engine over a file of records, one JSON object per line.
//!
//! Each input line `{"form": ID, "answers": {...}, "id": ...}` gives one output line
//! `{"line", "id", "valid", "errors", "warnings"}`. Input that cannot be used at all (a bad
//! form, an unreadable file, a line that is not JSON) is a [`CheckError`] naming the file and
//! the line.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use doorstep_core::{validate, Answers, Area, Context, Form};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::forms::{self, FormsError};
use crate::roster::{self, RosterError};

/// Why the records could not be checked at all.
#[derive(Debug, Error)]
pub enum CheckError {
    /// The form is missing or invalid.
    #[error(transparent)]
    Form(#[from] FormsError),
    /// The records file could not be read or the output not written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not a record.
    #[error("{path}:{line}: {message}")]
    BadLine {
        /// The file.
        path: PathBuf,
        /// The line number, from 1.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InputRecord {
    form: String,
    #[serde(default)]
    id: Option<serde_json::Value>,
    answers: Answers,
}

#[derive(Serialize)]
struct Problem {
    field: String,
    code: String,
    message: String,
}

#[derive(Serialize)]
struct OutputLine {
    line: usize,
    id: Option<serde_json::Value>,
    valid: bool,
    errors: Vec<Problem>,
    warnings: Vec<Problem>,
}

/// Counts a roster's persons per village, reading it as `doorstep roster import` does
/// ([`roster::read`]), so the counts are those the server would hold. A roster with a refused
/// row is an error naming the row, as it would not be imported.
pub fn roster_sizes(
    path: &Path,
    area: Option<&Area>,
    form: &Form,
) -> Result<BTreeMap<String, i64>, CheckError> {
    let file = std::fs::File::open(path).map_err(|source| CheckError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |line: u64, message: String| CheckError::BadLine {
        path: path.to_path_buf(),
        line: usize::try_from(line).unwrap_or(usize::MAX),
        message,
    };
    let checked = roster::read(std::io::BufReader::new(file), area, form).map_err(|e| match e {
        RosterError::Csv { line, message } => bad(line, message),
        other => bad(1, other.to_string()),
    })?;
    if let Some(refusal) = checked.refused.first() {
        return Err(bad(
            refusal.line,
            format!("{}: {}", refusal.cert_no, refusal.reason),
        ));
    }
    let mut sizes = BTreeMap::new();
    for person in checked.persons {
        *sizes.entry(person.region_code).or_insert(0) += 1;
    }
    Ok(sizes)
}

/// Loads the form; the caller reports errors with the file's name.
pub fn load(form_path: &Path) -> Result<Form, CheckError> {
    Ok(forms::load_form(form_path)?)
}

/// Checks every record of `input` against `form` and writes one result line per record.
/// Returns whether every record was valid.
pub fn check_records(
    form: &Form,
    input: impl BufRead,
    input_name: &Path,
    mut output: impl Write,
    locale: &str,
    context: &Context,
) -> Result<bool, CheckError> {
    let io_err = |source| CheckError::Io {
        path: input_name.to_path_buf(),
        source,
    };
    let mut all_valid = true;
    for (n, line) in input.lines().enumerate() {
        let line_no = n + 1;
        let line = line.map_err(io_err)?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| CheckError::BadLine {
            path: input_name.to_path_buf(),
            line: line_no,
            message,
        };
        let record: InputRecord = serde_json::from_str(&line).map_err(|e| bad(e.to_string()))?;
        if record.form != form.def.id {
            return Err(bad(format!(
                "the record is for form `{}`, but the form given is `{}`",
                record.form, form.def.id
            )));
        }
        let report = validate(form, &record.answers, context.clone());
        let problems = |issues: &mut dyn Iterator<Item = &doorstep_core::Issue>| {
            issues
                .map(|i| Problem {
                    field: i.field.clone(),
                    code: i.code.clone(),
                    message: i.message.get(locale).to_string(),
                })
                .collect::<Vec<_>>()
        };
        let errors = problems(&mut report.errors());
        let warnings = problems(&mut report.warnings());
        all_valid &= errors.is_empty();
        let out = OutputLine {
            line: line_no,
            id: record.id,
            valid: errors.is_empty(),
            errors,
            warnings,
        };
        serde_json::to_writer(&mut output, &out).map_err(|e| io_err(e.into()))?;
        output.write_all(b"\n").map_err(io_err)?;
    }
    output.flush().map_err(io_err)?;
    Ok(all_valid)
}
