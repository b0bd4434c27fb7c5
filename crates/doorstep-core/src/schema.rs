//! The form format: what a form's JSON says ([`FormDefinition`]), and the checked, compiled form
//! that the rest of the engine works with ([`Form`]).
//!
//! Loading a form ([`Form::from_json`]) reads the JSON, then resolves and type-checks every
//! expression. Every problem is a [`SchemaError`] that says where it is: a JSON path and line
//! for a malformed document, a field id, the property and the expression's column otherwise.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::expr::{self, Expr, ExprError, Scope, Type};

/// A text in several languages, keyed by BCP 47 tag (`zh-CN`, `en`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Localized(pub BTreeMap<String, String>);

/// The language shown when a text has no translation for the one asked for.
pub const DEFAULT_LOCALE: &str = "zh-CN";

impl Localized {
    /// The text in `locale`, else in the default language, else in any language it has.
    pub fn get(&self, locale: &str) -> &str {
        self.0
            .get(locale)
            .or_else(|| self.0.get(DEFAULT_LOCALE))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
            .unwrap_or("")
    }

    /// A text with a Chinese and an English version.
    pub fn zh_en(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Localized(BTreeMap::from([
            (DEFAULT_LOCALE.to_string(), zh.into()),
            ("en".to_string(), en.into()),
        ]))
    }
}

/// A form as written in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormDefinition {
    /// A stable identifier, used by records and the server.
    pub id: String,
    /// The version of this form; records remember which version they were made with.
    pub version: String,
    /// The form's title.
    pub title: Localized,
    /// The form's sections, in order.
    pub sections: Vec<SectionDefinition>,
}

/// A section of a form: a page of questions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionDefinition {
    /// A stable identifier.
    pub id: String,
    /// The section's heading.
    pub title: Localized,
    /// The questions, in order.
    pub fields: Vec<FieldDefinition>,
}

/// The kind of answer a field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Free text.
    Text,
    /// A whole number.
    Integer,
    /// One code out of the field's options.
    SingleChoice,
}

impl FieldType {
    /// The type an expression sees when it reads this field.
    pub fn value_type(self) -> Type {
        match self {
            FieldType::Text | FieldType::SingleChoice => Type::Text,
            FieldType::Integer => Type::Integer,
        }
    }
}

/// One option of a choice field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    /// The code stored in the record.
    pub code: String,
    /// What the collector sees.
    pub label: Localized,
}

/// When a field must be answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RequiredRule {
    /// Always (`true`) or never (`false`).
    Always(bool),
    /// When the expression is true.
    When(String),
}

impl Default for RequiredRule {
    fn default() -> Self {
        RequiredRule::Always(false)
    }
}

/// How serious a failed check is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Lets the record complete once the collector confirms it.
    Warning,
    /// Blocks completing the record.
    Error,
}

/// A check on a field's answer, written as an expression that must hold (`.` is the answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstraintDefinition {
    /// The condition the answer must meet.
    pub expr: String,
    /// A stable code for the check, reported with the issue.
    pub code: String,
    /// What the collector is told when the check fails.
    pub message: Localized,
    /// Error or warning; error when not given.
    #[serde(default = "default_severity")]
    pub severity: Severity,
}

fn default_severity() -> Severity {
    Severity::Error
}

/// A question as written in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDefinition {
    /// A stable identifier: the key of the answer in records.
    pub id: String,
    /// The kind of answer.
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// The question's label.
    pub label: Localized,
    /// A longer explanation shown under the label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<Localized>,
    /// The options of a choice field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<ChoiceOption>,
    /// When the question is asked at all; always when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<String>,
    /// When the question must be answered.
    #[serde(default)]
    pub required: RequiredRule,
    /// Checks on the answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<ConstraintDefinition>,
}

/// Where in a form a problem is.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SchemaError {
    /// The document is not valid JSON, or does not have the form's shape.
    #[error("{path}: line {line}, column {column}: {message}")]
    Malformed {
        /// The JSON path of the value at fault, such as `sections[0].fields[2].type`.
        path: String,
        /// The line in the document, from 1.
        line: usize,
        /// The column in the document, from 1.
        column: usize,
        /// What serde found wrong.
        message: String,
    },
    /// A field's expression does not compile.
    #[error("field `{field}`, {property} `{expr}`: {error}")]
    Expression {
        /// The id of the field the expression belongs to.
        field: String,
        /// `relevant`, `required` or `constraints[N]`.
        property: String,
        /// The expression as written.
        expr: String,
        /// What is wrong, with its column.
        error: ExprError,
    },
    /// Something about the form's structure is wrong.
    #[error("{place}: {message}")]
    Invalid {
        /// The form, section or field at fault.
        place: String,
        /// What is wrong.
        message: String,
    },
}

/// A checked field with its compiled expressions.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The field as written.
    pub def: FieldDefinition,
    /// The index of the section the field is in.
    pub section: usize,
    /// When the field is asked; `None` means always.
    pub relevant: Option<Expr>,
    /// When the field must be answered, if that depends on other answers.
    pub required_when: Option<Expr>,
    /// The field's checks, in the order written.
    pub constraints: Vec<Expr>,
}

/// A loaded form: every expression compiled and checked, fields indexed.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    /// The form as written.
    pub def: FormDefinition,
    /// Every field of every section, in order.
    pub fields: Vec<Field>,
    index: HashMap<String, usize>,
}

struct FieldTypes<'a> {
    index: &'a HashMap<String, usize>,
    types: &'a [(String, Type)],
}

impl Scope for FieldTypes<'_> {
    fn field(&self, id: &str) -> Option<(usize, Type)> {
        self.index.get(id).map(|&i| (i, self.types[i].1))
    }

    fn field_id(&self, index: usize) -> &str {
        self.types.get(index).map_or("?", |(id, _)| id.as_str())
    }
}

impl Scope for Form {
    fn field(&self, id: &str) -> Option<(usize, Type)> {
        self.index
            .get(id)
            .map(|&i| (i, self.fields[i].def.field_type.value_type()))
    }

    fn field_id(&self, index: usize) -> &str {
        self.fields.get(index).map_or("?", |f| f.def.id.as_str())
    }
}

fn is_identifier(id: &str) -> bool {
    let mut chars = id.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !matches!(id, "and" | "or" | "not" | "true" | "false" | "null")
}

impl Form {
    /// Reads and checks a form from its JSON text.
    pub fn from_json(text: &str) -> Result<Form, SchemaError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let def: FormDefinition = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            SchemaError::Malformed {
                path: if path == "." {
                    "(document)".into()
                } else {
                    path
                },
                line: inner.line(),
                column: inner.column(),
                message: strip_position(&inner.to_string()),
            }
        })?;
        de.end().map_err(|e| SchemaError::Malformed {
            path: "(document)".into(),
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        })?;
        Form::from_definition(def)
    }

    /// Checks a form definition and compiles its expressions.
    pub fn from_definition(def: FormDefinition) -> Result<Form, SchemaError> {
        let invalid = |place: String, message: &str| SchemaError::Invalid {
            place,
            message: message.to_string(),
        };
        if def.id.is_empty() {
            return Err(invalid("form".into(), "the form id is empty"));
        }
        if def.version.is_empty() {
            return Err(invalid(
                format!("form `{}`", def.id),
                "the version is empty",
            ));
        }
        let mut index = HashMap::new();
        let mut types = Vec::new();
        for section in &def.sections {
            for field in &section.fields {
                let place = format!("field `{}`", field.id);
                if !is_identifier(&field.id) {
                    return Err(invalid(
                        place,
                        "a field id must be lower-case ASCII letters, digits and `_`, start with a letter, and not be a keyword",
                    ));
                }
                if index.insert(field.id.clone(), types.len()).is_some() {
                    return Err(invalid(place, "this id is used by more than one field"));
                }
                if field.label.0.is_empty() {
                    return Err(invalid(place, "the label is empty"));
                }
                let is_choice = field.field_type == FieldType::SingleChoice;
                if is_choice && field.options.is_empty() {
                    return Err(invalid(place, "a choice field needs at least one option"));
                }
                if !is_choice && !field.options.is_empty() {
                    return Err(invalid(place, "only choice fields have options"));
                }
                let mut codes = std::collections::HashSet::new();
                for option in &field.options {
                    if option.code.is_empty() || !codes.insert(option.code.as_str()) {
                        return Err(invalid(
                            place,
                            &format!("option code `{}` is empty or repeated", option.code),
                        ));
                    }
                }
                types.push((field.id.clone(), field.field_type.value_type()));
            }
        }
        let scope = FieldTypes {
            index: &index,
            types: &types,
        };
        let mut fields = Vec::with_capacity(types.len());
        for (section_index, section) in def.sections.iter().enumerate() {
            for field in &section.fields {
                let compile = |property: String, source: &str, current: Option<Type>| {
                    let compiled = expr::compile(source, &scope, current).map_err(|error| {
                        SchemaError::Expression {
                            field: field.id.clone(),
                            property: property.clone(),
                            expr: source.to_string(),
                            error,
                        }
                    })?;
                    if !matches!(compiled.ty, Type::Bool | Type::Null) {
                        return Err(SchemaError::Invalid {
                            place: format!("field `{}`, {property} `{source}`", field.id),
                            message: format!("is {}, but a condition must be boolean", compiled.ty),
                        });
                    }
                    Ok(compiled)
                };
                let relevant = field
                    .relevant
                    .as_deref()
                    .map(|src| compile("relevant".into(), src, None))
                    .transpose()?;
                let required_when = match &field.required {
                    RequiredRule::When(src) => Some(compile("required".into(), src, None)?),
                    RequiredRule::Always(_) => None,
                };
                let value_type = Some(field.field_type.value_type());
                let constraints = field
                    .constraints
                    .iter()
                    .enumerate()
                    .map(|(i, c)| compile(format!("constraints[{i}]"), &c.expr, value_type))
                    .collect::<Result<Vec<_>, _>>()?;
                fields.push(Field {
                    def: field.clone(),
                    section: section_index,
                    relevant,
                    required_when,
                    constraints,
                });
            }
        }
        Ok(Form { def, fields, index })
    }

    /// The index of the field with this id.
    pub fn field_index(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The field with this id.
    pub fn field_by_id(&self, id: &str) -> Option<&Field> {
        self.field_index(id).map(|i| &self.fields[i])
    }
}

/// serde_json appends " at line L column C" to its messages; the error carries them apart.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEMO: &str = include_str!("../../../schemas/demo.json");

    #[test]
    fn the_demo_form_loads() {
        let form = Form::from_json(DEMO).expect("demo form loads");
        assert_eq!(form.def.id, "demo");
        assert!(form.fields.len() >= 4);
        assert!(form.fields.iter().any(|f| f.relevant.is_some()));
    }

    #[test]
    fn a_wrong_type_names_its_path_and_line() {
        let text = DEMO.replacen("\"integer\"", "\"integr\"", 1);
        let line = text
            .lines()
            .position(|l| l.contains("\"integr\""))
            .expect("replaced")
            + 1;
        match Form::from_json(&text) {
            Err(SchemaError::Malformed {
                path,
                line: l,
                message,
                ..
            }) => {
                assert!(path.starts_with("sections[0].fields["), "{path}");
                assert!(path.ends_with("].type"), "{path}");
                assert_eq!(l, line);
                assert!(message.contains("integr"), "{message}");
            }
            other => panic!("expected a malformed error, got {other:?}"),
        }
    }

    #[test]
    fn broken_json_names_the_line() {
        match Form::from_json("{\n  \"id\": \"x\",\n  \"version\" \"1\"\n}") {
            Err(SchemaError::Malformed { line, .. }) => assert_eq!(line, 3),
            other => panic!("expected a malformed error, got {other:?}"),
        }
    }

    #[test]
    fn an_unknown_reference_names_field_and_column() {
        let text = DEMO.replacen("visited = '2'", "visitd = '2'", 1);
        let err = Form::from_json(&text).expect_err("unknown field");
        match &err {
            SchemaError::Expression {
                field,
                property,
                error,
                ..
            } => {
                assert_eq!(property, "relevant");
                assert!(!field.is_empty());
                assert!(
                    matches!(error, ExprError::UnknownField { column: 1, name } if name == "visitd")
                );
            }
            other => panic!("expected an expression error, got {other:?}"),
        }
        assert!(err.to_string().contains("column 1"), "{err}");
    }

    #[test]
    fn structural_mistakes_are_refused() {
        let dup = DEMO.replacen("\"id\": \"age\"", "\"id\": \"name\"", 1);
        assert!(matches!(
            Form::from_json(&dup),
            Err(SchemaError::Invalid { .. })
        ));
        let not_bool = DEMO.replacen("visited = '2'", "1 + 1", 1);
        assert!(matches!(
            Form::from_json(&not_bool),
            Err(SchemaError::Invalid { .. })
        ));
    }
}
