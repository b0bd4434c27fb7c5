//! `doorstep roster import`: reads the district's roster of certified persons from a CSV file
//! and checks every row before anything is stored.
//!
//! The layout: a header row, then one row per person. The columns `cert_no` (the 20-character
//! 残疾人证号), `name` and `region_code` (the 12-digit code of the person's village) are
//! required; any other column is a field id of the form the roster is for, and its cells are
//! answers filled in beforehand (a multiple choice as codes separated by `|`). A row is
//! refused for a bad certificate number, a village outside the configured area, a certificate
//! number given twice, a missing name, or a prefilled answer the form does not take.

use std::collections::HashMap;
use std::io::Read;

use doorstep_core::expr::id_number_valid;
use doorstep_core::protocol::RosterPerson;
use doorstep_core::region::Area;
use doorstep_core::schema::FieldType;
use doorstep_core::Form;
use serde_json::Value as Json;
use thiserror::Error;

/// Why the file could not be read as a roster at all.
#[derive(Debug, Error)]
pub enum RosterError {
    /// The header lacks a required column.
    #[error(
        "line 1: the header needs the columns cert_no, name and region_code; `{0}` is missing"
    )]
    MissingColumn(&'static str),
    /// A column is neither required nor a field of the form.
    #[error("line 1: column `{column}` is not a question of form `{form}`")]
    UnknownColumn {
        /// The column's name.
        column: String,
        /// The form's id.
        form: String,
    },
    /// The CSV itself is broken.
    #[error("line {line}: {message}")]
    Csv {
        /// The line, from 1.
        line: u64,
        /// What the CSV reader found.
        message: String,
    },
}

/// Why one row was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The line in the file, the header being line 1.
    pub line: u64,
    /// The row's certificate number as written.
    pub cert_no: String,
    /// Why.
    pub reason: String,
}

/// What reading a roster found: the persons of the rows that passed, and the rows refused.
#[derive(Debug, Default)]
pub struct RosterCheck {
    /// The persons, in file order.
    pub persons: Vec<RosterPerson>,
    /// The refused rows, in file order.
    pub refused: Vec<Refusal>,
}

/// Whether a 残疾人证号 is well-formed: an ID number passing GB 11643, then the category digit
/// (1–7) and the level digit (1–4).
pub fn cert_no_problem(cert_no: &str) -> Option<&'static str> {
    let b = cert_no.as_bytes();
    if b.len() != 20 || !cert_no.is_ascii() {
        return Some("a certificate number has 20 characters");
    }
    if !id_number_valid(&cert_no[..18]) {
        return Some("the ID number in it fails the GB 11643 check");
    }
    if !(b'1'..=b'7').contains(&b[18]) {
        return Some("the disability category (19th character) must be 1–7");
    }
    if !(b'1'..=b'4').contains(&b[19]) {
        return Some("the disability level (20th character) must be 1–4");
    }
    None
}

/// A prefilled cell as the answer the field takes.
fn prefill_answer(field_type: FieldType, cell: &str) -> Result<Json, String> {
    match field_type {
        FieldType::Integer => cell
            .parse::<i64>()
            .map(Json::from)
            .map_err(|_| format!("`{cell}` is not a whole number")),
        FieldType::Decimal => cell
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Json::Number)
            .ok_or_else(|| format!("`{cell}` is not a number")),
        FieldType::MultipleChoice => Ok(Json::Array(
            cell.split('|')
                .map(|c| Json::String(c.trim().to_string()))
                .collect(),
        )),
        FieldType::Calculated | FieldType::Repeat => Err("this question is not typed in".into()),
        _ => Ok(Json::String(cell.to_string())),
    }
}

/// Reads and checks a roster. File-level problems are errors; row-level ones are refusals.
/// Without an area (no region lists configured), a village code is only checked for its shape,
/// as the form engine checks it.
pub fn read(
    input: impl Read,
    area: Option<&Area>,
    form: &Form,
) -> Result<RosterCheck, RosterError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(input);
    let headers = csv
        .headers()
        .map_err(|e| RosterError::Csv {
            line: 1,
            message: e.to_string(),
        })?
        .clone();
    let position = |name: &'static str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or(RosterError::MissingColumn(name))
    };
    let (cert_col, name_col, region_col) = (
        position("cert_no")?,
        position("name")?,
        position("region_code")?,
    );
    let mut prefill_cols = Vec::new();
    for (i, header) in headers.iter().enumerate() {
        if [cert_col, name_col, region_col].contains(&i) {
            continue;
        }
        let field = form
            .field_by_id(header.trim())
            .filter(|f| f.repeat.is_none())
            .ok_or_else(|| RosterError::UnknownColumn {
                column: header.to_string(),
                form: form.def.id.clone(),
            })?;
        prefill_cols.push((i, field.def.id.clone(), field.def.field_type));
    }
    let mut check = RosterCheck::default();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for row in csv.records() {
        let row = row.map_err(|e| RosterError::Csv {
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        })?;
        let line = row.position().map_or(0, |p| p.line());
        let cell = |i: usize| row.get(i).unwrap_or_default().trim();
        let cert_no = cell(cert_col).to_ascii_uppercase();
        let mut refuse = |reason: String| {
            check.refused.push(Refusal {
                line,
                cert_no: cell(cert_col).to_string(),
                reason,
            })
        };
        if let Some(problem) = cert_no_problem(&cert_no) {
            refuse(format!("bad certificate number: {problem}"));
            continue;
        }
        if let Some(first) = seen.get(&cert_no) {
            refuse(format!(
                "duplicate: the same certificate number is on line {first}"
            ));
            continue;
        }
        seen.insert(cert_no.clone(), line);
        let region = cell(region_col);
        let known = match area {
            Some(area) => area.contains(region),
            None => doorstep_core::region::is_village_code(region),
        };
        if !known {
            refuse(format!(
                "unknown village: `{region}` is not a village of the configured area"
            ));
            continue;
        }
        let name = cell(name_col);
        if name.is_empty() {
            refuse("the name is empty".into());
            continue;
        }
        let mut prefill = doorstep_core::Answers::new();
        let mut bad = None;
        for (i, id, field_type) in &prefill_cols {
            let value = cell(*i);
            if value.is_empty() {
                continue;
            }
            match prefill_answer(*field_type, value) {
                Ok(answer) => {
                    prefill.insert(id.clone(), answer);
                }
                Err(message) => {
                    bad = Some(format!("column `{id}`: {message}"));
                    break;
                }
            }
        }
        if let Some(reason) = bad {
            refuse(reason);
            continue;
        }
        check.persons.push(RosterPerson {
            cert_no,
            name: name.to_string(),
            region_code: region.to_string(),
            prefill,
        });
    }
    Ok(check)
}

#[cfg(test)]
mod tests {
    use super::*;
    use doorstep_core::region::{RegionList, Town, Village};

    fn area() -> Area {
        Area::new(vec![RegionList {
            county: "330110".into(),
            source: "test".into(),
            towns: vec![Town {
                code: "330110005".into(),
                name: Some("五常街道".into()),
                villages: vec![Village {
                    code: "330110005001".into(),
                    name: "顾家桥社区".into(),
                }],
            }],
        }])
    }

    fn form() -> Form {
        Form::from_json(include_str!("../../../schemas/individual.json")).expect("form")
    }

    #[test]
    fn every_bad_row_is_refused_with_its_line_and_reason() {
        let csv = "cert_no,name,region_code,hukou_type,rehab_need\n\
            33011019800515002642,李四,330110005001,1,1|2\n\
            33011019800515002142,错校验,330110005001,,\n\
            33011019800515002682,类别八,330110005001,,\n\
            33011019800515002642,重复,330110005001,,\n\
            33011019720815003x43,小写,330106001001,,\n\
            33011019900101001211,,330110005001,,\n";
        let check = read(csv.as_bytes(), Some(&area()), &form()).expect("reads");
        assert_eq!(check.persons.len(), 1);
        assert_eq!(
            check.persons[0].prefill["rehab_need"],
            serde_json::json!(["1", "2"])
        );
        let refused: Vec<(u64, &str)> = check
            .refused
            .iter()
            .map(|r| (r.line, r.reason.split(':').next().unwrap_or_default()))
            .collect();
        assert_eq!(
            refused,
            vec![
                (3, "bad certificate number"),
                (4, "bad certificate number"),
                (5, "duplicate"),
                (6, "unknown village"),
                (7, "the name is empty"),
            ]
        );
    }

    #[test]
    fn a_header_without_the_required_columns_or_with_unknown_ones_is_an_error() {
        let err = read("cert_no,name\n".as_bytes(), Some(&area()), &form()).expect_err("no region");
        assert!(err.to_string().contains("region_code"), "{err}");
        let err = read(
            "cert_no,name,region_code,favourite_colour\n".as_bytes(),
            Some(&area()),
            &form(),
        )
        .expect_err("unknown column");
        assert!(err.to_string().contains("favourite_colour"), "{err}");
    }
}
