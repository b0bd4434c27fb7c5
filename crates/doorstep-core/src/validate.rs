//! Checking a record's answers against a form: which questions are asked, which are required,
//! what calculated fields come to, and what is wrong.
//!
//! An [`Evaluation`] holds the state of every field of one record. It is built once
//! ([`Evaluation::new`]) and then kept current one answer at a time ([`Evaluation::set`]):
//! a change re-evaluates only the fields that read the changed field, directly or through
//! calculations and relevance, and reports what changed so the app redraws only that.
//! The app and the server both call this code, so a record the tablet accepts is a record the
//! server accepts.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::chunked::Chunked;
use crate::expr::{self, Context, Env, Value};
use crate::record::Answers;
use crate::schema::{Field, FieldType, Form, Localized, RequiredRule, Severity};

/// One problem with one answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    /// The id of the field at fault.
    pub field: String,
    /// Whether it blocks completion.
    pub severity: Severity,
    /// A stable code: `required`, `wrong_type`, `unknown_region`, `unknown_option`,
    /// `option_not_offered`, `repeated_option`, `exclusive`, `unknown_field`, `evaluation`,
    /// `repeat_min`, `repeat_max`, or the code of one of the
    /// form's own constraints.
    pub code: String,
    /// What the collector is told.
    pub message: Localized,
}

/// What checking a record found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Every issue, in the order of the form's fields.
    pub issues: Vec<Issue>,
}

impl Report {
    /// Whether any issue blocks completion.
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }

    /// The issues that block completion.
    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(|i| i.severity == Severity::Error)
    }

    /// The issues that need confirming.
    pub fn warnings(&self) -> impl Iterator<Item = &Issue> {
        self.issues
            .iter()
            .filter(|i| i.severity == Severity::Warning)
    }

    /// The issues about one field.
    pub fn for_field<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a Issue> {
        self.issues.iter().filter(move |i| i.field == field)
    }
}

/// The state of one field of one record.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldState {
    /// Whether the question is asked.
    pub relevant: bool,
    /// Whether it must be answered now.
    pub required: bool,
    /// Its value as expressions see it: null when not asked or not answered.
    pub value: Value,
    /// What is wrong with its answer.
    pub issues: Vec<Issue>,
    /// For a choice field with a filter, which of its options are offered.
    pub offered: Option<Vec<bool>>,
}

impl Default for FieldState {
    fn default() -> Self {
        FieldState {
            relevant: true,
            required: false,
            value: Value::Null,
            issues: Vec::new(),
            offered: None,
        }
    }
}

/// What one change did to one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Change {
    /// The field's index.
    pub field: usize,
    /// Whether it became asked or not asked.
    pub relevant: bool,
    /// Whether it became required or optional.
    pub required: bool,
    /// Whether its value changed.
    pub value: bool,
    /// Whether its issues changed.
    pub issues: bool,
    /// Whether the options it offers changed.
    pub options: bool,
}

/// One answered instance of a repeat group.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Instance {
    /// The answers of the group's members, by position in [`Repeat::members`].
    ///
    /// [`Repeat::members`]: crate::schema::Repeat::members
    pub raw: Vec<Option<Json>>,
    /// The state of each member, by the same position.
    pub states: Vec<FieldState>,
}

/// The state of every field of one record, kept current answer by answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    context: Context,
    raw: Chunked<Option<Json>>,
    values: Chunked<Value>,
    states: Chunked<FieldState>,
    unknown: Vec<String>,
    instances: Vec<Vec<Instance>>,
}

struct Values<'a>(&'a Chunked<Value>);

impl expr::Answers for Values<'_> {
    fn answer(&self, index: usize) -> Value {
        self.0.get(index).cloned().unwrap_or(Value::Null)
    }
}

fn is_empty(answer: Option<&Json>) -> bool {
    match answer {
        None | Some(Json::Null) => true,
        Some(Json::String(s)) => s.trim().is_empty(),
        Some(Json::Array(items)) => items.is_empty(),
        Some(_) => false,
    }
}

fn issue(field: &Field, severity: Severity, code: &str, message: Localized) -> Issue {
    Issue {
        field: field.def.id.clone(),
        severity,
        code: code.to_string(),
        message,
    }
}

fn budget_issue(field: &Field) -> Issue {
    issue(
        field,
        Severity::Error,
        "evaluation",
        Localized::zh_en(
            "规则过于复杂，无法检查",
            "The rule is too complex to evaluate",
        ),
    )
}

/// Whether an answer has the shape its field takes; the message says what it should be.
fn shape_issue(field_type: FieldType, answer: &Json) -> Option<Localized> {
    let ok = match field_type {
        FieldType::Text | FieldType::SingleChoice => answer.is_string(),
        FieldType::Region => answer.as_str().is_some_and(crate::region::is_village_code),
        FieldType::Integer => answer.as_i64().is_some(),
        FieldType::Decimal => answer.is_number(),
        FieldType::Date => answer.as_str().and_then(expr::parse_date).is_some(),
        FieldType::MultipleChoice => answer
            .as_array()
            .is_some_and(|items| items.iter().all(Json::is_string)),
        FieldType::Calculated | FieldType::Repeat => true,
    };
    if ok {
        return None;
    }
    Some(match field_type {
        FieldType::Text => Localized::zh_en("应为文本", "Must be text"),
        FieldType::SingleChoice => Localized::zh_en("应为选项代码", "Must be an option code"),
        FieldType::MultipleChoice => {
            Localized::zh_en("应为选项代码列表", "Must be a list of option codes")
        }
        FieldType::Region => Localized::zh_en("应为12位区划代码", "Must be a 12-digit region code"),
        FieldType::Integer => Localized::zh_en("应为整数", "Must be a whole number"),
        FieldType::Decimal => Localized::zh_en("应为数字", "Must be a number"),
        FieldType::Date => Localized::zh_en(
            "应为有效日期（年-月-日）",
            "Must be a real date, YYYY-MM-DD",
        ),
        FieldType::Calculated | FieldType::Repeat => Localized::default(),
    })
}

impl Evaluation {
    /// Evaluates every field of a record. The context's reference date falls back to the
    /// form's own.
    pub fn new(form: &Form, answers: &Answers, context: Context) -> Evaluation {
        let context = Context {
            reference_date: context.reference_date.or(form.reference_date),
            ..context
        };
        let raw = form
            .fields
            .iter()
            .map(|f| answers.get(&f.def.id).cloned())
            .collect();
        // A member of a repeat group is answered inside its instances, never at the top.
        let unknown = answers
            .keys()
            .filter(|k| form.field_by_id(k).is_none_or(|f| f.repeat.is_some()))
            .cloned()
            .collect();
        let mut evaluation = Evaluation {
            context,
            raw,
            values: Chunked::filled(Value::Null, form.fields.len()),
            states: Chunked::filled(FieldState::default(), form.fields.len()),
            unknown,
            instances: vec![Vec::new(); form.repeats.len()],
        };
        for &i in &form.evaluation_order {
            let (state, instances) = evaluation.compute_top(form, i);
            if let (Some(r), Some(instances)) = (repeat_index(form, i), instances) {
                evaluation.instances[r] = instances;
            }
            evaluation.values.set(i, state.value.clone());
            evaluation.states.set(i, state);
        }
        evaluation
    }

    /// Changes one answer (null, an empty text or an empty list clears it) and re-evaluates
    /// what depends on it. Returns what changed, field by field; `None` when the form has no
    /// such field, or the field is calculated or inside a repeat group. A repeat group is
    /// answered as a whole, by its id, with the list of its instances.
    pub fn set(&mut self, form: &Form, field: &str, answer: Json) -> Option<Vec<Change>> {
        let index = form.field_index(field)?;
        let target = &form.fields[index];
        if target.def.field_type == FieldType::Calculated || target.repeat.is_some() {
            return None;
        }
        self.raw
            .set(index, (!is_empty(Some(&answer))).then_some(answer));
        let mut dirty = vec![false; form.fields.len()];
        dirty[index] = true;
        let mut changes = Vec::new();
        for &i in &form.evaluation_order {
            if !dirty[i] {
                continue;
            }
            let (new, instances) = self.compute_top(form, i);
            let old = &self.states[i];
            let instances_changed = match (repeat_index(form, i), &instances) {
                (Some(r), Some(instances)) => self.instances[r] != *instances,
                _ => false,
            };
            let change = Change {
                field: i,
                relevant: new.relevant != old.relevant,
                required: new.required != old.required,
                value: new.value != old.value || instances_changed,
                issues: new.issues != old.issues,
                options: new.offered != old.offered,
            };
            if change.value || change.relevant {
                for &d in &form.dependents[i] {
                    dirty[d] = true;
                }
            }
            if change.relevant
                || change.required
                || change.value
                || change.issues
                || change.options
                || i == index
            {
                changes.push(change);
            }
            if let (Some(r), Some(instances)) = (repeat_index(form, i), instances) {
                self.instances[r] = instances;
            }
            self.values.set(i, new.value.clone());
            self.states.set(i, new);
        }
        Some(changes)
    }

    /// The answered instances of the repeat group with this index in [`Form::repeats`].
    pub fn instances(&self, repeat: usize) -> &[Instance] {
        self.instances.get(repeat).map_or(&[], Vec::as_slice)
    }

    /// The fields whose answer or state differs from those of `before`, an evaluation of the
    /// same form: by index, true where something differs. A repeat group differs when any of its
    /// instances does. `None` when `before` is of another shape, so everything may differ.
    pub fn differences(&self, form: &Form, before: &Evaluation) -> Option<Vec<bool>> {
        if self.states.len() != before.states.len()
            || self.raw.len() != before.raw.len()
            || self.instances.len() != before.instances.len()
        {
            return None;
        }
        let mut differs: Vec<bool> = (0..self.states.len())
            .map(|i| self.raw[i] != before.raw[i] || self.states[i] != before.states[i])
            .collect();
        for (group, repeat) in form.repeats.iter().enumerate() {
            if self.instances[group] != before.instances[group] {
                if let Some(field) = differs.get_mut(repeat.field) {
                    *field = true;
                }
            }
        }
        Some(differs)
    }

    /// The answer given to the top-level field with this index, as the record holds it.
    pub fn answer(&self, index: usize) -> Option<&Json> {
        self.raw.get(index).and_then(Option::as_ref)
    }

    /// The state of the field with this index.
    pub fn state(&self, index: usize) -> Option<&FieldState> {
        self.states.get(index)
    }

    /// Whether the field with this index is asked.
    pub fn is_relevant(&self, index: usize) -> bool {
        self.states.get(index).is_some_and(|s| s.relevant)
    }

    /// Whether the field with this index must be answered now.
    pub fn is_required(&self, index: usize) -> bool {
        self.states.get(index).is_some_and(|s| s.required)
    }

    /// Every issue, answers the form does not know first, then in form order.
    pub fn report(&self, form: &Form) -> Report {
        let mut issues: Vec<Issue> = self
            .unknown
            .iter()
            .map(|key| Issue {
                field: key.clone(),
                severity: Severity::Error,
                code: "unknown_field".into(),
                message: Localized::zh_en("表单中没有这个问题", "The form has no such question"),
            })
            .collect();
        for (i, _) in form.fields.iter().enumerate() {
            if let Some(state) = self.states.get(i) {
                issues.extend(state.issues.iter().cloned());
            }
        }
        Report { issues }
    }

    /// The issues of the form's fields, in form order, without copying them: the report
    /// without the answers the form does not know.
    pub fn field_issues(&self) -> impl Iterator<Item = &Issue> {
        self.states.iter().flat_map(|s| s.issues.iter())
    }

    /// The answers of a completed record: those of questions that are asked and answered,
    /// with calculated fields filled in.
    pub fn completed_answers(&self, form: &Form) -> Answers {
        let mut out = Answers::new();
        for (i, field) in form.fields.iter().enumerate() {
            if !self.states[i].relevant || field.repeat.is_some() {
                continue;
            }
            if let Some(r) = repeat_index(form, i) {
                let instances: Vec<Json> = self.instances[r]
                    .iter()
                    .map(|instance| Json::Object(completed_instance(form, r, instance)))
                    .collect();
                if !instances.is_empty() {
                    out.insert(field.def.id.clone(), Json::Array(instances));
                }
                continue;
            }
            let answer = if field.calculate.is_some() {
                Some(self.values[i].to_answer())
            } else {
                self.raw[i].clone()
            };
            if let Some(answer) = answer.filter(|a| !is_empty(Some(a))) {
                out.insert(field.def.id.clone(), answer);
            }
        }
        out
    }

    fn env<'a>(&'a self, values: &'a Values<'a>, current: &'a Value) -> Env<'a> {
        Env {
            answers: values,
            current,
            context: &self.context,
            option: None,
        }
    }

    /// Works out the state of a field outside any repeat group; for a group, also the state
    /// of every instance. Members of groups have no state of their own outside an instance.
    fn compute_top(&self, form: &Form, i: usize) -> (FieldState, Option<Vec<Instance>>) {
        let field = &form.fields[i];
        if field.repeat.is_some() {
            return (
                FieldState {
                    relevant: false,
                    ..FieldState::default()
                },
                None,
            );
        }
        match repeat_index(form, i) {
            Some(r) => {
                let (state, instances) = self.compute_group(form, r);
                (state, Some(instances))
            }
            None => (
                self.compute(form, i, &self.values, self.raw[i].as_ref()),
                None,
            ),
        }
    }

    /// Evaluates a repeat group: the shape of its answer, its count limits, and every
    /// instance with the group's members reading their own instance's answers.
    fn compute_group(&self, form: &Form, r: usize) -> (FieldState, Vec<Instance>) {
        let repeat = &form.repeats[r];
        let field = &form.fields[repeat.field];
        let values = Values(&self.values);
        let relevant = self.asks(field, &values);
        if !relevant {
            return (
                FieldState {
                    relevant: false,
                    ..FieldState::default()
                },
                Vec::new(),
            );
        }
        let group = field.def.id.as_str();
        let mut issues = Vec::new();
        let items: &[Json] = match self.raw[repeat.field].as_ref() {
            None | Some(Json::Null) => &[],
            Some(Json::Array(items)) if items.iter().all(Json::is_object) => items,
            Some(_) => {
                issues.push(issue(
                    field,
                    Severity::Error,
                    "wrong_type",
                    Localized::zh_en("应为多条记录的列表", "Must be a list of instances"),
                ));
                &[]
            }
        };
        let empty = serde_json::Map::new();
        let mut instances = Vec::with_capacity(items.len());
        for (k, item) in items.iter().enumerate() {
            let object = item.as_object().unwrap_or(&empty);
            let mut instance = Instance {
                raw: repeat
                    .members
                    .iter()
                    .map(|&m| object.get(&form.fields[m].def.id).cloned())
                    .collect(),
                states: vec![FieldState::default(); repeat.members.len()],
            };
            for key in object.keys() {
                if !repeat
                    .members
                    .iter()
                    .any(|&m| form.fields[m].def.id == *key)
                {
                    issues.push(Issue {
                        field: format!("{group}[{k}].{key}"),
                        severity: Severity::Error,
                        code: "unknown_field".into(),
                        message: Localized::zh_en(
                            "表单中没有这个问题",
                            "The form has no such question",
                        ),
                    });
                }
            }
            let mut values = self.values.clone();
            // Members that read the group's id see the number of instances being evaluated.
            values.set(
                repeat.field,
                Value::Integer(i64::try_from(items.len()).unwrap_or(i64::MAX)),
            );
            for &m in form
                .evaluation_order
                .iter()
                .filter(|&&m| form.fields[m].repeat == Some(r))
            {
                let Some(position) = repeat.members.iter().position(|&x| x == m) else {
                    continue;
                };
                let mut state = self.compute(form, m, &values, instance.raw[position].as_ref());
                for problem in &mut state.issues {
                    problem.field = format!("{group}[{k}].{}", problem.field);
                }
                values.set(m, state.value.clone());
                instance.states[position] = state;
            }
            for state in &instance.states {
                issues.extend(state.issues.iter().cloned());
            }
            instances.push(instance);
        }
        let count = instances.len();
        let limits = repeat.limits;
        let malformed = issues
            .iter()
            .any(|i| i.code == "wrong_type" && i.field == group);
        if count < limits.min as usize && !malformed {
            issues.insert(
                0,
                issue(
                    field,
                    Severity::Error,
                    "repeat_min",
                    Localized::zh_en(
                        format!("至少应填写 {} 条", limits.min),
                        format!("At least {} needed", limits.min),
                    ),
                ),
            );
        }
        if let Some(max) = limits.max.filter(|&max| count > max as usize) {
            issues.insert(
                0,
                issue(
                    field,
                    Severity::Error,
                    "repeat_max",
                    Localized::zh_en(format!("最多 {max} 条"), format!("At most {max} allowed")),
                ),
            );
        }
        let state = FieldState {
            relevant: true,
            required: limits.min > 0,
            value: Value::Integer(i64::try_from(count).unwrap_or(i64::MAX)),
            issues,
            offered: None,
        };
        (state, instances)
    }

    /// Whether a field (or group) is asked, given the values it reads. A relevance rule that
    /// runs out of steps asks the question: asking too much is safer than losing an answer.
    fn asks(&self, field: &Field, values: &Values<'_>) -> bool {
        field.relevant.iter().all(|e| {
            e.test(&self.env(values, &Value::Null), expr::DEFAULT_STEP_BUDGET)
                .unwrap_or(true)
        })
    }

    /// Works out one field's state from the values of the fields it reads and its answer.
    fn compute(
        &self,
        form: &Form,
        i: usize,
        values: &Chunked<Value>,
        raw: Option<&Json>,
    ) -> FieldState {
        let field = &form.fields[i];
        let values = Values(values);
        let budget = expr::DEFAULT_STEP_BUDGET;
        let mut issues = Vec::new();
        let relevant = self.asks(field, &values);
        if !relevant {
            return FieldState {
                relevant: false,
                ..FieldState::default()
            };
        }
        let value = match &field.calculate {
            Some(calc) => match calc.eval(&self.env(&values, &Value::Null), budget) {
                Ok(v) => v,
                Err(_) => {
                    issues.push(budget_issue(field));
                    Value::Null
                }
            },
            None => raw.map_or(Value::Null, |json| {
                Value::from_answer(json, field.value_type)
            }),
        };
        let required = match (&field.def.required, &field.required_when) {
            (RequiredRule::Always(always), _) => *always,
            (RequiredRule::When(_), Some(expr)) => {
                match expr.test(&self.env(&values, &Value::Null), budget) {
                    Ok(b) => b,
                    Err(_) => {
                        issues.push(budget_issue(field));
                        true
                    }
                }
            }
            (RequiredRule::When(_), None) => false,
        };
        let offered = field.choice_filter.as_ref().map(|filter| {
            field
                .options
                .iter()
                .map(|option| {
                    let env = Env {
                        option: Some(&option.attributes),
                        ..self.env(&values, &Value::Null)
                    };
                    filter.test(&env, budget).unwrap_or(true)
                })
                .collect::<Vec<bool>>()
        });
        let answered = if field.calculate.is_some() {
            value != Value::Null
        } else {
            !is_empty(raw)
        };
        if !answered {
            if required {
                let message = field.def.required_message.clone().unwrap_or_else(|| {
                    Localized::zh_en("此项必填", "This question must be answered")
                });
                issues.push(issue(field, Severity::Error, "required", message));
            }
        } else if let Some(message) = raw
            .filter(|_| field.calculate.is_none())
            .and_then(|json| shape_issue(field.def.field_type, json))
        {
            issues.push(issue(field, Severity::Error, "wrong_type", message));
        } else if let Some(problem) = self.region_issue(field, raw) {
            issues.push(problem);
        } else if let Some(problem) = self.option_issue(field, raw, offered.as_deref()) {
            issues.push(problem);
        } else {
            let checks = field
                .constraints
                .iter()
                .zip(&field.def.constraints)
                .zip(&field.constraint_messages);
            // Every check reads the same answers: one environment for them all.
            let env = self.env(&values, &value);
            for ((expr, def), template) in checks {
                match expr.test(&env, budget) {
                    Ok(true) => {}
                    Ok(false) => {
                        // The message with the values it names, as the answers stand.
                        let message = match template {
                            Some(template) => template.render(&env, budget),
                            None => def.message.clone(),
                        };
                        issues.push(issue(field, def.severity, &def.code, message))
                    }
                    Err(_) => issues.push(budget_issue(field)),
                }
            }
        }
        FieldState {
            relevant,
            required,
            value,
            issues,
            offered,
        }
    }

    /// Checks a region answer against the configured area, when there is one.
    fn region_issue(&self, field: &Field, raw: Option<&Json>) -> Option<Issue> {
        if field.def.field_type != FieldType::Region {
            return None;
        }
        let code = raw?.as_str()?;
        let area = self.context.area.as_ref()?;
        if area.contains(code) {
            return None;
        }
        Some(issue(
            field,
            Severity::Error,
            "unknown_region",
            Localized::zh_en(
                format!("{code} 不是本地区的村（社区）代码"),
                format!("{code} is not a village or community of this area"),
            ),
        ))
    }

    /// Checks the codes of a choice answer: known, offered, not repeated, exclusive alone.
    fn option_issue(
        &self,
        field: &Field,
        raw: Option<&Json>,
        offered: Option<&[bool]>,
    ) -> Option<Issue> {
        if !field.def.field_type.has_options() {
            return None;
        }
        let codes: Vec<&str> = match raw? {
            Json::String(code) => vec![code.as_str()],
            Json::Array(items) => items.iter().filter_map(Json::as_str).collect(),
            _ => return None,
        };
        for (n, code) in codes.iter().enumerate() {
            let Some(at) = field.options.iter().position(|o| o.code == *code) else {
                return Some(issue(
                    field,
                    Severity::Error,
                    "unknown_option",
                    Localized::zh_en(
                        format!("选项代码 {code} 不存在"),
                        format!("There is no option with code {code}"),
                    ),
                ));
            };
            if offered.is_some_and(|o| !o.get(at).copied().unwrap_or(true)) {
                let label = &field.options[at].label;
                return Some(issue(
                    field,
                    Severity::Error,
                    "option_not_offered",
                    Localized::zh_en(
                        format!("“{}”不适用于本条记录", label.get("zh-CN")),
                        format!("“{}” does not apply to this record", label.get("en")),
                    ),
                ));
            }
            if codes[..n].contains(code) {
                return Some(issue(
                    field,
                    Severity::Error,
                    "repeated_option",
                    Localized::zh_en(
                        format!("选项 {code} 重复"),
                        format!("Option {code} is chosen twice"),
                    ),
                ));
            }
            if field.options[at].exclusive && codes.len() > 1 {
                let label = &field.options[at].label;
                return Some(issue(
                    field,
                    Severity::Error,
                    "exclusive",
                    Localized::zh_en(
                        format!("“{}”不能与其他选项同时选择", label.get("zh-CN")),
                        format!(
                            "“{}” cannot be chosen together with other options",
                            label.get("en")
                        ),
                    ),
                ));
            }
        }
        None
    }
}

/// The index in [`Form::repeats`] of the group whose own field has this index.
fn repeat_index(form: &Form, field: usize) -> Option<usize> {
    if form.fields[field].def.field_type != FieldType::Repeat {
        return None;
    }
    form.repeats.iter().position(|r| r.field == field)
}

/// The answers an instance keeps when the record is completed.
fn completed_instance(form: &Form, r: usize, instance: &Instance) -> serde_json::Map<String, Json> {
    let mut out = serde_json::Map::new();
    for (position, &m) in form.repeats[r].members.iter().enumerate() {
        let field = &form.fields[m];
        let state = &instance.states[position];
        if !state.relevant {
            continue;
        }
        let answer = if field.calculate.is_some() {
            Some(state.value.to_answer())
        } else {
            instance.raw[position].clone()
        };
        if let Some(answer) = answer.filter(|a| !is_empty(Some(a))) {
            out.insert(field.def.id.clone(), answer);
        }
    }
    out
}

/// Checks answers against a form.
pub fn validate(form: &Form, answers: &Answers, context: Context) -> Report {
    Evaluation::new(form, answers, context).report(form)
}

/// The answers of a completed record: answers of questions that are not asked are dropped,
/// empty answers too, and calculated fields are filled in.
pub fn relevant_answers(form: &Form, answers: &Answers, context: Context) -> Answers {
    Evaluation::new(form, answers, context).completed_answers(form)
}

#[cfg(test)]
mod tests;
