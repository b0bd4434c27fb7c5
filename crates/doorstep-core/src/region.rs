//! Region lists: the towns (乡镇街道) and villages (村/社区) of a county, as written by
//! `doorstep import-regions` into `schemas/regions/COUNTY.json`, and the configured [`Area`]
//! that region answers are checked against.
//!
//! A region field's answer must be a 12-digit statistical region code (统计用区划代码); when the
//! evaluation context carries an area, it must also be one of the area's villages.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Whether a text has the shape of a village's statistical region code: 12 digits.
pub fn is_village_code(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// One county's towns and their villages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionList {
    /// The 6-digit county code.
    pub county: String,
    /// Where the list came from.
    pub source: String,
    /// The towns, by code.
    pub towns: Vec<Town>,
}

/// A town and its villages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Town {
    /// The 9-digit town code.
    pub code: String,
    /// The town's name, when a list of towns was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The villages, by code.
    pub villages: Vec<Village>,
}

/// A village or community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Village {
    /// The 12-digit code.
    pub code: String,
    /// The name.
    pub name: String,
}

/// The villages a deployment collects in: one or more counties' lists, indexed by code.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Area {
    lists: Vec<RegionList>,
    /// Village code to (list, town, village) positions.
    index: HashMap<String, (usize, usize, usize)>,
}

impl Area {
    /// Joins region lists into one area. A village listed twice is kept once (the first).
    pub fn new(lists: Vec<RegionList>) -> Area {
        let mut index = HashMap::new();
        for (l, list) in lists.iter().enumerate() {
            for (t, town) in list.towns.iter().enumerate() {
                for (v, village) in town.villages.iter().enumerate() {
                    index.entry(village.code.clone()).or_insert((l, t, v));
                }
            }
        }
        Area { lists, index }
    }

    /// Whether the code is a village of the area.
    pub fn contains(&self, code: &str) -> bool {
        self.index.contains_key(code)
    }

    /// The town and village a code names.
    pub fn village(&self, code: &str) -> Option<(&Town, &Village)> {
        let &(l, t, v) = self.index.get(code)?;
        let town = &self.lists[l].towns[t];
        Some((town, &town.villages[v]))
    }

    /// Every town of the area, county by county.
    pub fn towns(&self) -> impl Iterator<Item = &Town> {
        self.lists.iter().flat_map(|list| list.towns.iter())
    }

    /// The region lists the area was made of.
    pub fn lists(&self) -> &[RegionList] {
        &self.lists
    }

    /// The part of the area made of these villages (such as a collector's), keeping towns
    /// and counties that have any of them.
    pub fn restricted_to(&self, villages: &[String]) -> Area {
        let lists = self
            .lists
            .iter()
            .map(|list| RegionList {
                towns: list
                    .towns
                    .iter()
                    .map(|town| Town {
                        villages: town
                            .villages
                            .iter()
                            .filter(|v| villages.contains(&v.code))
                            .cloned()
                            .collect(),
                        ..town.clone()
                    })
                    .filter(|town| !town.villages.is_empty())
                    .collect(),
                ..list.clone()
            })
            .filter(|list| !list.towns.is_empty())
            .collect();
        Area::new(lists)
    }

    /// The number of villages.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the area has no village.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(county: &str, villages: &[(&str, &str)]) -> RegionList {
        RegionList {
            county: county.into(),
            source: "test".into(),
            towns: vec![Town {
                code: format!("{county}001"),
                name: Some("镇".into()),
                villages: villages
                    .iter()
                    .map(|(code, name)| Village {
                        code: (*code).into(),
                        name: (*name).into(),
                    })
                    .collect(),
            }],
        }
    }

    #[test]
    fn joins_counties_and_finds_villages_by_code() {
        let area = Area::new(vec![
            list(
                "330110",
                &[("330110001001", "甲村"), ("330110001002", "乙村")],
            ),
            list(
                "330106",
                &[("330106001001", "丙社区"), ("330110001001", "重复")],
            ),
        ]);
        assert_eq!(area.len(), 3);
        assert!(area.contains("330106001001"));
        assert!(!area.contains("330106001002"));
        let (town, village) = area.village("330110001001").expect("known");
        assert_eq!(
            (town.code.as_str(), village.name.as_str()),
            ("330110001", "甲村")
        );
        assert_eq!(area.towns().count(), 2);
        let mine = area.restricted_to(&["330110001002".into(), "999999999999".into()]);
        assert_eq!(mine.len(), 1);
        assert!(mine.contains("330110001002") && !mine.contains("330110001001"));
        assert_eq!(mine.towns().count(), 1);
    }
}
