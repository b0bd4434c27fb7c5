//! The form format: what a form's JSON says ([`FormDefinition`]), and the checked, compiled form
//! that the rest of the engine works with ([`Form`]).
//!
//! Loading a form ([`Form::from_json`]) reads the JSON, resolves shared choice lists, infers the
//! types of calculated fields, compiles and type-checks every expression, and orders the fields
//! so that each is evaluated after everything it reads. Every problem is a [`SchemaError`] that
//! says where it is: a JSON path and line for a malformed document, a field id, the property and
//! the expression's column otherwise. The format is documented in `docs/form-format.md`.

use std::collections::{BTreeMap, HashMap, HashSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use thiserror::Error;

use crate::expr::{self, Allowed, Expr, ExprError, Scope, Type, Value};
use crate::keypad::{self, Keypad};
use crate::message::{self, Part, Piece, Template};

/// A text in several languages, keyed by BCP 47 tag (`zh-CN`, `en`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormDefinition {
    /// A stable identifier, used by records and the server.
    pub id: String,
    /// The version of this form; records remember which version they were made with. Versions
    /// are ordered part by part between the dots, numbers as numbers ("2026.10" comes after
    /// "2026.9"): a draft moves onto a newer version of its form, never onto an older one.
    pub version: String,
    /// The form's title.
    pub title: Localized,
    /// The reference date (`YYYY-MM-DD`) used when the caller supplies none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_date: Option<String>,
    /// Choice lists shared by several fields, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub choices: BTreeMap<String, Vec<ChoiceOption>>,
    /// What a record of this form is about and which fields hold its particulars (whom it
    /// describes, the village, the collection method), for the roster and the record's
    /// metadata. A form without it is filled in freely, record after record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<RecordDefinition>,
    /// The form's sections, in order.
    pub sections: Vec<SectionDefinition>,
}

/// What one record of a form stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordUnit {
    /// One record per person of the roster (and per person added at the door).
    Person,
    /// One record per village.
    Village,
}

/// The fields that tie a form's records to the roster and give their metadata. Every name is
/// a field id of the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordDefinition {
    /// What one record stands for.
    pub unit: RecordUnit,
    /// The field holding the village's region code.
    pub region: String,
    /// For persons: the field holding the roster's key (the certificate number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// For persons: how many leading characters of the key name the person, when what follows
    /// them may be issued anew. A certificate number is an 18-character ID number followed by
    /// the category and the level, and a reassessment reissues it: with 18 here, a person
    /// added at the door under a reissued number is still found on the roster. Without it, two
    /// keys are the same person's only when they are the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub key_prefix: Option<usize>,
    /// The field that names a record in lists (the person's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The field holding the collection method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The method codes that mean a visit in person (入户): with them the device's position is
    /// recorded when it grants it, and they count towards the home-visit share.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub home_visit: Vec<String>,
    /// The method code of the service window (窗口服务), set on records started there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// The field holding the reference date: a record completed before it is flagged for
    /// re-confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_date: Option<String>,
}

impl RecordDefinition {
    /// Whether a collection method code means a visit in person.
    pub fn is_home_visit(&self, method: &str) -> bool {
        self.home_visit.iter().any(|code| code == method)
    }

    /// The field a record started from the roster keeps as the roster gave it (see
    /// [`crate::record::subject_issue`]): the village of a village's record, which is one per
    /// village. A person's certificate number is not kept so: it is issued anew when a
    /// reassessment changes the category or level it ends with, and the collector records the
    /// current one; the record stays the roster line's through `meta.subject`.
    pub fn subject_field(&self) -> Option<&str> {
        match self.unit {
            RecordUnit::Person => None,
            RecordUnit::Village => Some(&self.region),
        }
    }

    /// The part of a key that names the person ([`RecordDefinition::key_prefix`]), without
    /// the spaces around it: the whole key without a prefix, or when it is shorter.
    pub fn key_stem<'a>(&self, key: &'a str) -> &'a str {
        let key = key.trim();
        match self.key_prefix.and_then(|n| key.char_indices().nth(n)) {
            Some((end, _)) => &key[..end],
            None => key,
        }
    }

    /// Whether two keys name the same person: their stems agree, letters in either case (an
    /// ID number's check character X is typed as x too).
    pub fn same_person(&self, a: &str, b: &str) -> bool {
        self.key_stem(a).eq_ignore_ascii_case(self.key_stem(b))
    }
}

/// A section of a form: a page of questions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionDefinition {
    /// A stable identifier.
    pub id: String,
    /// The section's heading.
    pub title: Localized,
    /// When the whole section is asked; every field's own rule is combined with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<String>,
    /// Makes the section a repeat group: its questions are answered once per instance (such
    /// as once per household member), and the answer under the section's id is a list of
    /// objects, one per instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<RepeatDefinition>,
    /// The questions, in order.
    pub fields: Vec<FieldDefinition>,
}

/// How many times a repeat group may be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepeatDefinition {
    /// The fewest instances a completed record has.
    #[serde(default)]
    pub min: u32,
    /// The most instances, if limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
}

/// A repeat group of a loaded form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    /// The index of the group's own field: the section id, whose value is the number of
    /// instances.
    pub field: usize,
    /// The indices of the fields answered once per instance, in form order.
    pub members: Vec<usize>,
    /// The count limits.
    pub limits: RepeatDefinition,
}

/// The kind of answer a field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Free text.
    Text,
    /// A whole number.
    Integer,
    /// A number that may have a fractional part.
    Decimal,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// One code out of the field's options.
    SingleChoice,
    /// Several codes out of the field's options.
    MultipleChoice,
    /// A 12-digit statistical region code (统计用区划代码).
    Region,
    /// Computed from other answers by the field's `calculate` expression; never typed in.
    Calculated,
    /// A repeat group's own field, made from its section: never written in a form.
    #[serde(skip)]
    Repeat,
}

impl FieldType {
    /// Whether the field takes its answer from a list of options.
    pub fn has_options(self) -> bool {
        matches!(self, FieldType::SingleChoice | FieldType::MultipleChoice)
    }
}

/// One option of a choice field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    /// The code stored in the record.
    pub code: String,
    /// What the collector sees.
    pub label: Localized,
    /// Whether choosing it excludes every other option (such as 无 "none").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exclusive: bool,
    /// Values an option filter can read as `@name`: text, numbers, booleans or lists of text.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    #[schemars(with = "BTreeMap<String, Json>")]
    pub attributes: serde_json::Map<String, Json>,
}

/// When a field must be answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Lets the record complete once the collector confirms it.
    Warning,
    /// Blocks completing the record.
    Error,
}

/// A check on a field's answer, written as an expression that must hold (`.` is the answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConstraintDefinition {
    /// The condition the answer must meet.
    pub expr: String,
    /// A stable code for the check, reported with the issue.
    pub code: String,
    /// What the collector is told when the check fails. It may name values: an expression
    /// in braces, read as the check reads (`.` is the answer), is shown as it stands, such as
    /// `与花名册人数（{roster_count(region_code)}）不一致`; `{{` and `}}` are braces.
    pub message: Localized,
    /// Error or warning; error when not given.
    #[serde(default = "default_severity")]
    pub severity: Severity,
}

fn default_severity() -> Severity {
    Severity::Error
}

/// A question as written in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
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
    /// The options of a choice field, written in place.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<ChoiceOption>,
    /// The name of a shared choice list of the form, instead of `options`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choices: Option<String>,
    /// Which options are offered: an expression over the answers and the option's attributes
    /// (`@name`); options for which it is not true are hidden and refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice_filter: Option<String>,
    /// The expression a calculated field's value comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calculate: Option<String>,
    /// When the question is asked at all; always when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<String>,
    /// When the question must be answered.
    #[serde(default)]
    pub required: RequiredRule,
    /// What the collector is told when a required question is not answered, instead of the
    /// general message; for rules such as "give at least one of two numbers".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_message: Option<Localized>,
    /// The answer a new record starts with: an expression evaluated once, before anything is
    /// answered, such as `'1'`, `year(reference_date())`, `today()` or `collector()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Checks on the answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<ConstraintDefinition>,
    /// For text: letters are kept in capitals whatever was typed, as in an ID number, whose
    /// check character X may be typed as x ([`FieldDefinition::normalised`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub upper_case: bool,
    /// The answer comes from the `default` (the configuration: 调查年度 from the reference
    /// date), and the app shows it without letting the collector change it while it stands
    /// without an error; one missing or wrong is the collector's to put right. Only a field
    /// with a default may say so. Checking a record does not look at it: a record checked or
    /// imported keeps its own answer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
}

impl FieldDefinition {
    /// An answer as this question keeps it: in capitals when it says `upper_case`.
    pub fn normalised(&self, answer: Json) -> Json {
        match answer {
            Json::String(text) if self.upper_case => Json::String(text.to_uppercase()),
            other => other,
        }
    }
}

/// Where in a form a problem is.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SchemaError {
    /// The document is not valid JSON, or does not have the form's shape.
    #[error("{}line {line}, column {column}: {message}", path_prefix(.path))]
    Malformed {
        /// The JSON path of the value at fault, such as `sections[0].fields[2].type`; empty
        /// for the document as a whole, or when it is not known (without the `json-paths`
        /// feature).
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
        /// The id of the field (or section) the expression belongs to.
        field: String,
        /// `relevant`, `required`, `calculate`, `choice_filter`, `constraints[N]`, or
        /// `constraints[N].message.<locale>` for a value a check's message names.
        property: String,
        /// The expression as written.
        expr: String,
        /// What is wrong, with its column.
        error: ExprError,
    },
    /// Fields depend on each other in a circle.
    #[error("these fields depend on each other in a cycle (through their rules, calculations, checks or the values their checks' messages name), or on such a cycle: {}", .fields.join(", "))]
    Cycle {
        /// The fields in the cycle.
        fields: Vec<String>,
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
    /// The type expressions see when they read this field.
    pub value_type: Type,
    /// The options offered, shared lists resolved.
    pub options: Vec<ChoiceOption>,
    /// When the field is asked (the section's rule and the field's own); `None` means always.
    pub relevant: Vec<Expr>,
    /// When the field must be answered, if that depends on other answers.
    pub required_when: Option<Expr>,
    /// The calculation of a calculated field.
    pub calculate: Option<Expr>,
    /// Which options are offered.
    pub choice_filter: Option<Expr>,
    /// The field's checks, in the order written.
    pub constraints: Vec<Expr>,
    /// For each check, its message when it names values (`{expression}`); `None` when the
    /// message is shown as written.
    pub constraint_messages: Vec<Option<Template>>,
    /// The answer a new record starts with; it reads no field.
    pub default: Option<Expr>,
    /// Every field any of these expressions reads.
    pub depends_on: Vec<usize>,
    /// The repeat group the field belongs to, as an index into [`Form::repeats`].
    pub repeat: Option<usize>,
    /// The keypad a text question's error checks allow, when smaller than the full keyboard.
    pub keypad: Option<Keypad>,
}

/// A loaded form: every expression compiled and checked, fields indexed and ordered.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    /// The form as written.
    pub def: FormDefinition,
    /// Every field of every section, in order.
    pub fields: Vec<Field>,
    /// The field indices in an order where each comes after every field it reads.
    pub evaluation_order: Vec<usize>,
    /// For each field, the fields that read it.
    pub dependents: Vec<Vec<usize>>,
    /// The default reference date, parsed.
    pub reference_date: Option<jiff::civil::Date>,
    /// The repeat groups.
    pub repeats: Vec<Repeat>,
    index: HashMap<String, usize>,
}

/// Field types known so far while a form loads; calculated fields get theirs in rounds.
struct Types<'a> {
    index: &'a HashMap<String, usize>,
    ids: &'a [String],
    types: &'a [Option<Type>],
}

impl Scope for Types<'_> {
    fn field(&self, id: &str) -> Option<(usize, Type)> {
        let &i = self.index.get(id)?;
        self.types[i].map(|ty| (i, ty))
    }

    fn field_id(&self, index: usize) -> &str {
        self.ids.get(index).map_or("?", String::as_str)
    }
}

impl Scope for Form {
    fn field(&self, id: &str) -> Option<(usize, Type)> {
        self.index.get(id).map(|&i| (i, self.fields[i].value_type))
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
        && !matches!(id, "and" | "or" | "not" | "in" | "true" | "false" | "null")
}

fn invalid(place: String, message: impl Into<String>) -> SchemaError {
    SchemaError::Invalid {
        place,
        message: message.into(),
    }
}

fn input_type(field_type: FieldType) -> Option<Type> {
    match field_type {
        FieldType::Text | FieldType::SingleChoice | FieldType::Region => Some(Type::Text),
        FieldType::Integer | FieldType::Repeat => Some(Type::Integer),
        FieldType::Decimal => Some(Type::Decimal),
        FieldType::Date => Some(Type::Date),
        FieldType::MultipleChoice => Some(Type::List),
        FieldType::Calculated => None,
    }
}

/// The type of each option attribute, from the JSON values the options give it.
fn attribute_types(
    place: &str,
    options: &[ChoiceOption],
) -> Result<Vec<(String, Type)>, SchemaError> {
    let mut types: Vec<(String, Type)> = Vec::new();
    for option in options {
        for (name, value) in &option.attributes {
            let ty = match value {
                Json::String(_) => Type::Text,
                Json::Number(n) if n.is_i64() => Type::Integer,
                Json::Number(_) => Type::Decimal,
                Json::Bool(_) => Type::Bool,
                Json::Array(items) if items.iter().all(Json::is_string) => Type::List,
                _ => {
                    return Err(invalid(
                        place.to_string(),
                        format!("option `{}`: attribute `{name}` must be text, a number, a boolean or a list of text", option.code),
                    ))
                }
            };
            match types.iter().find(|(n, _)| n == name) {
                Some((_, known)) if *known != ty => {
                    return Err(invalid(
                        place.to_string(),
                        format!("attribute `{name}` is {known} in one option and {ty} in another"),
                    ))
                }
                Some(_) => {}
                None => types.push((name.clone(), ty)),
            }
        }
    }
    Ok(types)
}

impl Form {
    /// Reads and checks a form from its JSON text.
    pub fn from_json(text: &str) -> Result<Form, SchemaError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let def = read_definition(&mut de)?;
        de.end().map_err(|e| SchemaError::Malformed {
            // Something after the form: the document as a whole.
            path: String::new(),
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        })?;
        Form::from_definition(def)
    }

    /// Checks a form definition and compiles its expressions.
    pub fn from_definition(def: FormDefinition) -> Result<Form, SchemaError> {
        if def.id.is_empty() {
            return Err(invalid("form".into(), "the form id is empty"));
        }
        if def.version.is_empty() {
            return Err(invalid(
                format!("form `{}`", def.id),
                "the version is empty",
            ));
        }
        let reference_date = match &def.reference_date {
            None => None,
            Some(text) => Some(expr::parse_date(text).ok_or_else(|| {
                invalid(
                    format!("form `{}`", def.id),
                    format!("reference_date `{text}` is not a YYYY-MM-DD date"),
                )
            })?),
        };
        for (name, list) in &def.choices {
            check_options(&format!("choice list `{name}`"), list)?;
        }
        if let Some(record) = &def.record {
            if record.unit == RecordUnit::Person && record.key.is_none() {
                return Err(invalid(
                    "record".into(),
                    "a form with one record per person needs `key`, the field of the roster's key",
                ));
            }
            let prefix_trouble = match (record.key_prefix, record.unit) {
                (None, _) => None,
                (Some(0), _) => Some(
                    "must be at least 1: the count of the key's characters that name the person",
                ),
                (Some(_), RecordUnit::Village) => {
                    Some("names a person by a part of `key`: a form for villages has none")
                }
                (Some(_), RecordUnit::Person) => None,
            };
            if let Some(message) = prefix_trouble {
                return Err(invalid("record.key_prefix".into(), message));
            }
        }

        // First pass: ids, options and the types of fields that are typed in.
        let mut index = HashMap::new();
        let mut ids = Vec::new();
        let mut types = Vec::new();
        let mut options = Vec::new();
        let mut section_ids = HashSet::new();
        let mut all_fields: Vec<FieldDefinition> = Vec::new();
        let mut field_sections = Vec::new();
        let mut repeat_of: Vec<Option<usize>> = Vec::new();
        let mut repeats: Vec<Repeat> = Vec::new();
        for (section_index, section) in def.sections.iter().enumerate() {
            if !section_ids.insert(section.id.as_str()) {
                return Err(invalid(
                    format!("section `{}`", section.id),
                    "this id is used by more than one section",
                ));
            }
            let repeat = match section.repeat {
                Some(limits) => {
                    let place = format!("repeat group `{}`", section.id);
                    if !is_identifier(&section.id) {
                        return Err(invalid(place, "the id of a repeat group is the key of its answers: lower-case ASCII letters, digits and `_`"));
                    }
                    if limits.max.is_some_and(|max| max < limits.min.max(1)) {
                        return Err(invalid(place, "max must be at least min, and at least 1"));
                    }
                    if section.fields.is_empty() {
                        return Err(invalid(place, "a repeat group needs fields"));
                    }
                    repeats.push(Repeat {
                        field: all_fields.len(),
                        members: Vec::new(),
                        limits,
                    });
                    all_fields.push(FieldDefinition {
                        id: section.id.clone(),
                        field_type: FieldType::Repeat,
                        label: section.title.clone(),
                        hint: None,
                        options: Vec::new(),
                        choices: None,
                        choice_filter: None,
                        calculate: None,
                        relevant: None,
                        required: RequiredRule::Always(false),
                        required_message: None,
                        default: None,
                        constraints: Vec::new(),
                        upper_case: false,
                        read_only: false,
                    });
                    field_sections.push(section_index);
                    repeat_of.push(None);
                    Some(repeats.len() - 1)
                }
                None => None,
            };
            for field in &section.fields {
                if let Some(r) = repeat {
                    repeats[r].members.push(all_fields.len());
                }
                all_fields.push(field.clone());
                field_sections.push(section_index);
                repeat_of.push(repeat);
            }
        }
        for field in &all_fields {
            {
                let place = format!("field `{}`", field.id);
                if !is_identifier(&field.id) {
                    return Err(invalid(
                        place,
                        "a field id must be lower-case ASCII letters, digits and `_`, start with a letter or `_`, and not be a keyword",
                    ));
                }
                if index.insert(field.id.clone(), ids.len()).is_some() {
                    return Err(invalid(place, "this id is used by more than one field"));
                }
                if field.label.0.is_empty() {
                    return Err(invalid(place, "the label is empty"));
                }
                let resolved = match (&field.choices, field.options.is_empty()) {
                    (Some(_), false) => {
                        return Err(invalid(
                            place,
                            "give either `options` or `choices`, not both",
                        ))
                    }
                    (Some(name), true) => def.choices.get(name).cloned().ok_or_else(|| {
                        invalid(
                            place.clone(),
                            format!("there is no choice list named `{name}`"),
                        )
                    })?,
                    (None, _) => field.options.clone(),
                };
                if field.field_type.has_options() {
                    if resolved.is_empty() {
                        return Err(invalid(place, "a choice field needs options"));
                    }
                    check_options(&place, &resolved)?;
                } else if field.field_type == FieldType::Calculated && field.choice_filter.is_none()
                {
                    // A calculated code (such as sex from an ID number) is shown by its label.
                    check_options(&place, &resolved)?;
                } else if !resolved.is_empty() || field.choice_filter.is_some() {
                    return Err(invalid(
                        place,
                        "only choice fields (and calculated codes, to show their labels) have options",
                    ));
                }
                if field.default.is_some()
                    && matches!(field.field_type, FieldType::Calculated | FieldType::Repeat)
                {
                    return Err(invalid(
                        place,
                        "a calculated field or repeat group cannot have a default",
                    ));
                }
                if (field.field_type == FieldType::Calculated) != field.calculate.is_some() {
                    return Err(invalid(
                        place,
                        "a calculated field needs `calculate`, and only it may have one",
                    ));
                }
                if field.upper_case && field.field_type != FieldType::Text {
                    return Err(invalid(place, "only a text field can be `upper_case`"));
                }
                if field.read_only && field.default.is_none() {
                    return Err(invalid(
                        place,
                        "a `read_only` field needs a `default`: its answer comes from nowhere else",
                    ));
                }
                ids.push(field.id.clone());
                types.push(input_type(field.field_type));
                options.push(resolved);
            }
        }

        // Second pass: calculated fields, in rounds. A calculation compiles once every field it
        // reads has a type; a round without progress means the rest depend on each other.
        let mut calculations: Vec<Option<Expr>> = vec![None; ids.len()];
        let mut pending: Vec<usize> = (0..ids.len()).filter(|&i| types[i].is_none()).collect();
        while !pending.is_empty() {
            let mut still = Vec::new();
            for &i in &pending {
                let field = &all_fields[i];
                let source = field.calculate.as_deref().unwrap_or_default();
                let scope = Types {
                    index: &index,
                    ids: &ids,
                    types: &types,
                };
                match expr::compile(source, &scope, Allowed::default()) {
                    Ok(compiled) => {
                        check_visibility(&ids, &repeat_of, i, "calculate", &compiled)?;
                        if compiled.ty == Type::Null {
                            return Err(invalid(
                                format!("field `{}`", field.id),
                                "the calculation is always null",
                            ));
                        }
                        types[i] = Some(compiled.ty);
                        calculations[i] = Some(compiled);
                    }
                    Err(ExprError::UnknownField { ref name, .. })
                        if index.get(name).is_some_and(|&j| types[j].is_none()) =>
                    {
                        still.push(i)
                    }
                    Err(error) => {
                        return Err(SchemaError::Expression {
                            field: field.id.clone(),
                            property: "calculate".into(),
                            expr: source.to_string(),
                            error,
                        })
                    }
                }
            }
            if still.len() == pending.len() {
                return Err(SchemaError::Cycle {
                    fields: still.iter().map(|&i| ids[i].clone()).collect(),
                });
            }
            pending = still;
        }
        let types: Vec<Type> = types.into_iter().map(|t| t.unwrap_or(Type::Null)).collect();
        let known: Vec<Option<Type>> = types.iter().copied().map(Some).collect();
        let scope = Types {
            index: &index,
            ids: &ids,
            types: &known,
        };

        // Third pass: every other expression.
        let mut section_relevance = Vec::with_capacity(def.sections.len());
        for section in &def.sections {
            section_relevance.push(
                section
                    .relevant
                    .as_deref()
                    .map(|src| condition(&scope, &section.id, "relevant", src, Allowed::default()))
                    .transpose()?,
            );
        }
        let mut fields = Vec::with_capacity(ids.len());
        for (i, field) in all_fields.iter().enumerate() {
            let id = &field.id;
            let section_index = field_sections[i];
            let mut relevant: Vec<Expr> =
                section_relevance[section_index].iter().cloned().collect();
            if let Some(src) = &field.relevant {
                relevant.push(condition(&scope, id, "relevant", src, Allowed::default())?);
            }
            let required_when = match &field.required {
                RequiredRule::When(src) => {
                    Some(condition(&scope, id, "required", src, Allowed::default())?)
                }
                RequiredRule::Always(_) => None,
            };
            let attributes = attribute_types(&format!("field `{id}`"), &options[i])?;
            let choice_filter = field
                .choice_filter
                .as_deref()
                .map(|src| {
                    let allowed = Allowed {
                        current: None,
                        option_attributes: Some(&attributes),
                    };
                    condition(&scope, id, "choice_filter", src, allowed)
                })
                .transpose()?;
            let current = Allowed {
                current: Some(types[i]),
                option_attributes: None,
            };
            let constraints = field
                .constraints
                .iter()
                .enumerate()
                .map(|(n, c)| condition(&scope, id, &format!("constraints[{n}]"), &c.expr, current))
                .collect::<Result<Vec<_>, _>>()?;
            let constraint_messages = field
                .constraints
                .iter()
                .enumerate()
                .map(|(n, c)| template(&scope, id, n, &c.message, current))
                .collect::<Result<Vec<_>, _>>()?;
            let default = field
                .default
                .as_deref()
                .map(|src| default_value(&scope, field, types[i], &options[i], src))
                .transpose()?;
            let calculate = calculations[i].take();
            let message_values: Vec<(String, &Expr)> = constraint_messages
                .iter()
                .enumerate()
                .filter_map(|(n, template)| Some((n, template.as_ref()?)))
                .flat_map(|(n, template)| {
                    template.texts.iter().flat_map(move |(locale, parts)| {
                        parts.iter().filter_map(move |part| match part {
                            Part::Value(e) => {
                                Some((format!("constraints[{n}].message.{locale}"), e))
                            }
                            Part::Text(_) => None,
                        })
                    })
                })
                .collect();
            let properties = relevant
                .iter()
                .map(|e| ("relevant", e))
                .chain(required_when.iter().map(|e| ("required", e)))
                .chain(choice_filter.iter().map(|e| ("choice_filter", e)))
                .chain(constraints.iter().map(|e| ("constraints", e)))
                .chain(
                    message_values
                        .iter()
                        .map(|(property, e)| (property.as_str(), *e)),
                );
            for (property, expr) in properties {
                check_visibility(&ids, &repeat_of, i, property, expr)?;
            }
            let mut depends_on: Vec<usize> = relevant
                .iter()
                .chain(&required_when)
                .chain(&calculate)
                .chain(&choice_filter)
                .chain(&constraints)
                .chain(message_values.iter().map(|(_, e)| *e))
                .flat_map(|e| e.depends_on.iter().copied())
                .filter(|&d| d != i)
                .collect();
            depends_on.sort_unstable();
            depends_on.dedup();
            let keypad = if field.field_type == FieldType::Text {
                let errors = field.constraints.iter().zip(&constraints);
                keypad::for_checks(
                    errors
                        .filter(|(written, _)| written.severity == Severity::Error)
                        .map(|(_, compiled)| &compiled.root),
                )
            } else {
                None
            };
            fields.push(Field {
                def: field.clone(),
                section: section_index,
                value_type: types[i],
                options: std::mem::take(&mut options[i]),
                relevant,
                required_when,
                calculate,
                choice_filter,
                constraints,
                constraint_messages,
                default,
                depends_on,
                repeat: repeat_of[i],
                keypad,
            });
        }
        // A group is evaluated together with its instances, so it reads whatever its members
        // read outside the group.
        for repeat in &repeats {
            let mut outside: Vec<usize> = repeat
                .members
                .iter()
                .flat_map(|&m| fields[m].depends_on.iter().copied())
                .filter(|d| !repeat.members.contains(d) && *d != repeat.field)
                .chain(fields[repeat.field].depends_on.iter().copied())
                .collect();
            outside.sort_unstable();
            outside.dedup();
            fields[repeat.field].depends_on = outside;
        }

        // Capitals are kept answer by answer; a repeat group's answers are one list.
        for repeat in &repeats {
            if let Some(&i) = repeat.members.iter().find(|&&i| fields[i].def.upper_case) {
                return Err(invalid(
                    format!("field `{}`", fields[i].def.id),
                    "a question in a repeat group cannot be `upper_case`",
                ));
            }
        }

        if let Some(record) = &def.record {
            let named = [
                ("region", Some(&record.region)),
                ("key", record.key.as_ref()),
                ("title", record.title.as_ref()),
                ("method", record.method.as_ref()),
                ("reference_date", record.reference_date.as_ref()),
            ];
            for (property, id) in named {
                if let Some(id) = id {
                    if !index.contains_key(id.as_str()) {
                        return Err(invalid(
                            format!("record.{property}"),
                            format!("`{id}` is not a field of the form"),
                        ));
                    }
                }
            }
            // The field a record of the roster keeps as the roster gave it must be one the
            // collector answers, always, once per record.
            if let Some(&i) = record.subject_field().and_then(|id| index.get(id)) {
                let field = &fields[i];
                if field.def.field_type == FieldType::Calculated
                    || !field.relevant.is_empty()
                    || repeats.iter().any(|r| r.members.contains(&i))
                {
                    return Err(invalid(
                        "record.region".into(),
                        format!(
                            "`{}` holds the village a record is about: it must be asked always, outside repeat groups, and not be calculated",
                            field.def.id
                        ),
                    ));
                }
            }
            let method_options = record
                .method
                .as_ref()
                .and_then(|id| index.get(id.as_str()))
                .map(|&i| &fields[i].options);
            for code in record.home_visit.iter().chain(&record.window) {
                if !method_options.is_some_and(|options| options.iter().any(|o| &o.code == code)) {
                    return Err(invalid(
                        "record".into(),
                        format!("method code `{code}` is not an option of the method field"),
                    ));
                }
            }
        }

        let (evaluation_order, dependents) = order(&fields)?;
        Ok(Form {
            def,
            fields,
            evaluation_order,
            dependents,
            reference_date,
            repeats,
            index,
        })
    }

    /// The index of the field with this id.
    pub fn field_index(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The field with this id.
    pub fn field_by_id(&self, id: &str) -> Option<&Field> {
        self.field_index(id).map(|i| &self.fields[i])
    }

    /// An answer as the question `id` keeps it ([`FieldDefinition::normalised`]). A repeat
    /// group's questions cannot be `upper_case`, so an answer at a path into one (or to no
    /// question) is kept as it is.
    pub fn normalised(&self, id: &str, answer: Json) -> Json {
        match self.field_by_id(id) {
            Some(field) => field.def.normalised(answer),
            None => answer,
        }
    }

    /// The answers a new record starts with: each field's `default`, evaluated in the context
    /// (the reference date falling back to the form's own). Defaults that come to null, or that
    /// name an option the field does not have, are left out.
    pub fn defaults(&self, context: &expr::Context) -> crate::Answers {
        struct Nothing;
        impl expr::Answers for Nothing {
            fn answer(&self, _: usize) -> Value {
                Value::Null
            }
        }
        let context = expr::Context {
            reference_date: context.reference_date.or(self.reference_date),
            ..context.clone()
        };
        let env = expr::Env {
            answers: &Nothing,
            current: &Value::Null,
            context: &context,
            option: None,
        };
        let mut out = crate::Answers::new();
        for field in &self.fields {
            let Some(default) = &field.default else {
                continue;
            };
            let value = default
                .eval(&env, expr::DEFAULT_STEP_BUDGET)
                .unwrap_or(Value::Null);
            if value == Value::Null {
                continue;
            }
            let answer = value.to_answer();
            let known = match &answer {
                Json::String(code) if field.def.field_type.has_options() => {
                    field.options.iter().any(|o| &o.code == code)
                }
                _ => true,
            };
            if known {
                out.insert(field.def.id.clone(), answer);
            }
        }
        out
    }
}

/// Compiles a field's default: it reads no field, and has the type of the field's answer.
fn default_value<S: Scope>(
    scope: &S,
    field: &FieldDefinition,
    field_type: Type,
    options: &[ChoiceOption],
    source: &str,
) -> Result<Expr, SchemaError> {
    let compiled = expr::compile(source, scope, Allowed::default()).map_err(|error| {
        SchemaError::Expression {
            field: field.id.clone(),
            property: "default".into(),
            expr: source.to_string(),
            error,
        }
    })?;
    let place = || format!("field `{}`, default `{source}`", field.id);
    if !compiled.depends_on.is_empty() {
        return Err(invalid(
            place(),
            "a default is set before anything is answered, so it cannot read other fields",
        ));
    }
    let fits = match field.field_type {
        FieldType::Region => compiled.ty.fits(Type::Text),
        _ => compiled.ty.fits(field_type),
    };
    if !fits || compiled.ty == Type::Bool {
        return Err(invalid(
            place(),
            format!("is {}, but the field's answer is {field_type}", compiled.ty),
        ));
    }
    if let expr::Node::Literal(Value::Text(code)) = &compiled.root {
        if field.field_type.has_options() && !options.iter().any(|o| &o.code == code) {
            return Err(invalid(
                place(),
                format!("there is no option with code `{code}`"),
            ));
        }
    }
    Ok(compiled)
}

/// Refuses an expression that names its own field (a constraint says `.` for its answer; any
/// other rule would read a value that is being worked out), and one outside a repeat group
/// that reads a field inside it: which instance would it mean? (The group's own id, its
/// number of instances, may be read anywhere.)
fn check_visibility(
    ids: &[String],
    repeat_of: &[Option<usize>],
    owner: usize,
    property: &str,
    expr: &Expr,
) -> Result<(), SchemaError> {
    if expr.depends_on.contains(&owner) {
        return Err(invalid(
            format!("field `{}`, {property} `{}`", ids[owner], expr.source),
            "refers to its own field; in a constraint, write `.` for the field's answer",
        ));
    }
    for &d in &expr.depends_on {
        if let Some(group) = repeat_of[d] {
            if repeat_of[owner] != Some(group) {
                return Err(invalid(
                    format!("field `{}`, {property} `{}`", ids[owner], expr.source),
                    format!(
                        "reads `{}`, which is inside a repeat group; only fields of that group may read it",
                        ids[d]
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn check_options(place: &str, options: &[ChoiceOption]) -> Result<(), SchemaError> {
    let mut codes = HashSet::new();
    for option in options {
        if option.code.is_empty() || !codes.insert(option.code.as_str()) {
            return Err(invalid(
                place.to_string(),
                format!("option code `{}` is empty or repeated", option.code),
            ));
        }
    }
    Ok(())
}

/// Compiles a condition and checks that it is boolean.
fn condition<S: Scope>(
    scope: &S,
    owner: &str,
    property: &str,
    source: &str,
    allowed: Allowed<'_>,
) -> Result<Expr, SchemaError> {
    let compiled =
        expr::compile(source, scope, allowed).map_err(|error| SchemaError::Expression {
            field: owner.to_string(),
            property: property.to_string(),
            expr: source.to_string(),
            error,
        })?;
    if !matches!(compiled.ty, Type::Bool | Type::Null) {
        return Err(invalid(
            format!("field `{owner}`, {property} `{source}`"),
            format!("is {}, but a condition must be boolean", compiled.ty),
        ));
    }
    Ok(compiled)
}

/// Compiles the values a constraint's message names (`{expression}`, see [`crate::message`]),
/// as the constraint's own expression is compiled (`.` is the answer); `None` when it names
/// none.
fn template<S: Scope>(
    scope: &S,
    owner: &str,
    n: usize,
    message: &Localized,
    allowed: Allowed<'_>,
) -> Result<Option<Template>, SchemaError> {
    let mut texts = Vec::with_capacity(message.0.len());
    let mut named = false;
    for (locale, text) in &message.0 {
        let property = format!("constraints[{n}].message.{locale}");
        let pieces = message::split(text)
            .map_err(|e| invalid(format!("field `{owner}`, {property}"), e.to_string()))?;
        let mut parts = Vec::with_capacity(pieces.len());
        for piece in pieces {
            parts.push(match piece {
                Piece::Text(text) => Part::Text(text),
                Piece::Value(source) => {
                    named = true;
                    let compiled = expr::compile(source, scope, allowed).map_err(|error| {
                        SchemaError::Expression {
                            field: owner.to_string(),
                            property: property.clone(),
                            expr: source.to_string(),
                            error,
                        }
                    })?;
                    Part::Value(compiled)
                }
            });
        }
        texts.push((locale.clone(), parts));
    }
    Ok(named.then_some(Template { texts }))
}

/// Orders fields so each comes after every field it reads (form order among equals), and
/// lists each field's readers. A cycle through any rule is an error naming its fields.
fn order(fields: &[Field]) -> Result<(Vec<usize>, Vec<Vec<usize>>), SchemaError> {
    let n = fields.len();
    let mut dependents = vec![Vec::new(); n];
    let mut waiting_on = vec![0usize; n];
    for (i, field) in fields.iter().enumerate() {
        for &d in &field.depends_on {
            dependents[d].push(i);
            waiting_on[i] += 1;
        }
    }
    let mut ready: std::collections::BTreeSet<usize> =
        (0..n).filter(|&i| waiting_on[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = ready.pop_first() {
        order.push(i);
        for &j in &dependents[i] {
            waiting_on[j] -= 1;
            if waiting_on[j] == 0 {
                ready.insert(j);
            }
        }
    }
    if order.len() < n {
        let fields = (0..n)
            .filter(|&i| waiting_on[i] > 0)
            .map(|i| fields[i].def.id.clone())
            .collect();
        return Err(SchemaError::Cycle { fields });
    }
    Ok((order, dependents))
}

/// Reads a form definition, naming the JSON path of a value that does not fit.
#[cfg(feature = "json-paths")]
fn read_definition(
    de: &mut serde_json::Deserializer<serde_json::de::StrRead<'_>>,
) -> Result<FormDefinition, SchemaError> {
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        SchemaError::Malformed {
            // The document as a whole has no path to name.
            path: if path == "." { String::new() } else { path },
            line: inner.line(),
            column: inner.column(),
            message: strip_position(&inner.to_string()),
        }
    })
}

/// Reads a form definition, placing a value that does not fit by its line and column only.
/// Without the `json-paths` feature (the app's build, which reads forms the server has already
/// checked) this saves the code that tracks the path, about a twentieth of the app.
#[cfg(not(feature = "json-paths"))]
fn read_definition(
    de: &mut serde_json::Deserializer<serde_json::de::StrRead<'_>>,
) -> Result<FormDefinition, SchemaError> {
    use serde::Deserialize;
    FormDefinition::deserialize(de).map_err(|e| SchemaError::Malformed {
        path: String::new(),
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })
}

/// The path of a malformed value and a colon before its line and column, when it is known.
fn path_prefix(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}: ")
    }
}

/// serde_json appends " at line L column C" to its messages; the error carries them apart.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

/// Orders two versions of a form: part by part between the dots, numbers as numbers ("2026.10"
/// after "2026.9"), other parts as text, and a version before any longer one it begins ("2026"
/// before "2026.1").
pub fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (mut a, mut b) = (a.split('.'), b.split('.'));
    loop {
        let (p, q) = match (a.next(), b.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) => (p, q),
        };
        let order = match (p.parse::<u64>(), q.parse::<u64>()) {
            (Ok(m), Ok(n)) => m.cmp(&n),
            _ => p.cmp(q),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
}

/// The JSON Schema of the form format, as published in `schemas/form.schema.json`.
pub fn json_schema() -> Json {
    serde_json::to_value(schemars::schema_for!(FormDefinition)).unwrap_or(Json::Null)
}

#[cfg(test)]
mod tests;
