//! The forms the server knows: every form definition in the schemas folder, loaded and checked,
//! and the area they collect in: the region lists in its `regions/` folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use doorstep_core::region::{Area, RegionList};
use doorstep_core::{Form, SchemaError};
use thiserror::Error;

/// Why the schemas folder could not be loaded.
#[derive(Debug, Error)]
pub enum FormsError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A form is not valid; the error says where in the file.
    #[error("{path}: {source}")]
    Schema {
        /// The file.
        path: PathBuf,
        /// What is wrong and where.
        source: Box<SchemaError>,
    },
    /// A file's name is not its form's id, so the app could not find it at `/schemas/ID.json`.
    #[error("{path}: the form's id is `{id}`, so the file must be named `{id}.json`")]
    MisnamedFile {
        /// The file.
        path: PathBuf,
        /// The form's id.
        id: String,
    },
    /// A region list is not one `doorstep import-regions` writes.
    #[error("{path}: not a region list: {source}")]
    Regions {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column.
        source: serde_json::Error,
    },
    /// Two files define the same form id.
    #[error("{path}: form id `{id}` is already defined by {other}")]
    DuplicateId {
        /// The second file.
        path: PathBuf,
        /// The id.
        id: String,
        /// The first file.
        other: PathBuf,
    },
}

/// Reads and checks one form file.
pub fn load_form(path: &Path) -> Result<Form, FormsError> {
    let text = std::fs::read_to_string(path).map_err(|source| FormsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Form::from_json(&text).map_err(|source| FormsError::Schema {
        path: path.to_path_buf(),
        source: Box::new(source),
    })
}

/// The `*.json` files of a folder, sorted; none when the folder does not exist.
fn json_files(dir: &Path) -> Result<Vec<PathBuf>, FormsError> {
    let read_err = |source| FormsError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(read_err(e)),
    };
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry.map_err(read_err)?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_file() && name.ends_with(".json") && !name.ends_with(".schema.json") {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

/// Reads region lists: the given files, or when none is given every list in the `regions/`
/// folder beside the forms. `None` when there is none, and region codes are then only checked
/// for their shape.
pub fn load_area(files: &[PathBuf], forms_dir: &Path) -> Result<Option<Area>, FormsError> {
    let files = if files.is_empty() {
        json_files(&forms_dir.join("regions"))?
    } else {
        files.to_vec()
    };
    let mut lists = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(|source| FormsError::Read {
            path: path.clone(),
            source,
        })?;
        let list: RegionList =
            serde_json::from_str(&text).map_err(|source| FormsError::Regions { path, source })?;
        lists.push(list);
    }
    Ok((!lists.is_empty()).then(|| Area::new(lists)))
}

/// The loaded forms, by id, with the file each came from, and the area they collect in.
#[derive(Debug, Default)]
pub struct FormRegistry {
    forms: BTreeMap<String, (Form, PathBuf)>,
    area: Option<Arc<Area>>,
}

impl FormRegistry {
    /// Loads every `*.json` file of the folder except JSON Schemas (`*.schema.json`), and the
    /// region lists of its `regions/` folder.
    pub fn load_dir(dir: &Path) -> Result<FormRegistry, FormsError> {
        if !dir.is_dir() {
            return Err(FormsError::Read {
                path: dir.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such folder"),
            });
        }
        let paths = json_files(dir)?;
        let mut registry = FormRegistry {
            area: load_area(&[], dir)?.map(Arc::new),
            ..FormRegistry::default()
        };
        for path in paths {
            let form = load_form(&path)?;
            if path.file_stem().and_then(|s| s.to_str()) != Some(form.def.id.as_str()) {
                return Err(FormsError::MisnamedFile {
                    id: form.def.id.clone(),
                    path,
                });
            }
            if let Some((_, other)) = registry.forms.get(&form.def.id) {
                return Err(FormsError::DuplicateId {
                    id: form.def.id.clone(),
                    other: other.clone(),
                    path,
                });
            }
            registry.forms.insert(form.def.id.clone(), (form, path));
        }
        Ok(registry)
    }

    /// The form with this id.
    pub fn get(&self, id: &str) -> Option<&Form> {
        self.forms.get(id).map(|(form, _)| form)
    }

    /// The villages records may name, when region lists are configured.
    pub fn area(&self) -> Option<&Arc<Area>> {
        self.area.as_ref()
    }

    /// Every form with the name of its file.
    pub fn iter(&self) -> impl Iterator<Item = (&Form, &Path)> {
        self.forms
            .values()
            .map(|(form, path)| (form, path.as_path()))
    }
}
