//! Checking a record's answers against a form: which questions are asked, and what is wrong.
//!
//! The app and the server call exactly this code, so a record that the tablet accepts is a
//! record that the server accepts. The result is a [`Report`] of [`Issue`]s, each naming the
//! field, the severity, a stable code and a message in every language the form has.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::expr::{self, Answers as _, Value};
use crate::record::Answers;
use crate::schema::{FieldType, Form, Localized, RequiredRule, Severity};

/// One problem with one answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    /// The id of the field at fault.
    pub field: String,
    /// Whether it blocks completion.
    pub severity: Severity,
    /// A stable code: `required`, `wrong_type`, `unknown_option`, `unknown_field`,
    /// `evaluation`, or the code of the form's own constraint.
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

/// A record's answers laid out by field index, with the answers of questions that are not
/// asked blanked out.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    values: Vec<Value>,
    /// Whether each field (by index) is asked.
    pub relevant: Vec<bool>,
}

/// Answers by field index, borrowed while relevance is still being worked out.
struct Row<'a>(&'a [Value]);

impl expr::Answers for Row<'_> {
    fn answer(&self, index: usize) -> Value {
        self.0.get(index).cloned().unwrap_or(Value::Null)
    }
}

impl expr::Answers for Evaluation {
    fn answer(&self, index: usize) -> Value {
        self.values.get(index).cloned().unwrap_or(Value::Null)
    }
}

impl Evaluation {
    /// Works out which questions are asked, in form order: a question that is not asked
    /// counts as unanswered for every expression evaluated after it.
    pub fn new(form: &Form, answers: &Answers) -> Evaluation {
        let mut values: Vec<Value> = form
            .fields
            .iter()
            .map(|f| answers.get(&f.def.id).map_or(Value::Null, Value::from_json))
            .collect();
        let mut relevant = vec![true; form.fields.len()];
        for (i, field) in form.fields.iter().enumerate() {
            let asked = match &field.relevant {
                None => true,
                // A relevance rule that runs out of steps shows the question: asking too
                // much is safer than losing an answer.
                Some(expr) => expr
                    .test(&Row(&values), &Value::Null, expr::DEFAULT_STEP_BUDGET)
                    .unwrap_or(true),
            };
            if !asked {
                relevant[i] = false;
                values[i] = Value::Null;
            }
        }
        Evaluation { values, relevant }
    }

    /// Whether the field with this index must be answered: it is asked, and its required
    /// rule holds. A rule that runs out of steps is an error.
    pub fn is_required(&self, form: &Form, index: usize) -> Result<bool, expr::EvalError> {
        let Some(field) = form.fields.get(index) else {
            return Ok(false);
        };
        if !self.is_relevant(index) {
            return Ok(false);
        }
        match (&field.def.required, &field.required_when) {
            (RequiredRule::Always(always), _) => Ok(*always),
            (RequiredRule::When(_), Some(expr)) => {
                expr.test(self, &Value::Null, expr::DEFAULT_STEP_BUDGET)
            }
            (RequiredRule::When(_), None) => Ok(false),
        }
    }

    /// Whether the field with this index is asked.
    pub fn is_relevant(&self, index: usize) -> bool {
        self.relevant.get(index).copied().unwrap_or(false)
    }
}

fn issue(field: &str, severity: Severity, code: &str, message: Localized) -> Issue {
    Issue {
        field: field.to_string(),
        severity,
        code: code.to_string(),
        message,
    }
}

/// Whether a JSON answer has the shape its field takes.
fn shape_issue(field_type: FieldType, answer: &Json) -> Option<Localized> {
    let ok = match field_type {
        FieldType::Text | FieldType::SingleChoice => answer.is_string(),
        FieldType::Integer => answer.as_i64().is_some(),
    };
    if ok {
        return None;
    }
    Some(match field_type {
        FieldType::Text => Localized::zh_en("应为文本", "must be text"),
        FieldType::SingleChoice => Localized::zh_en("应为选项代码", "must be an option code"),
        FieldType::Integer => Localized::zh_en("应为整数", "must be a whole number"),
    })
}

fn is_empty(answer: Option<&Json>) -> bool {
    match answer {
        None | Some(Json::Null) => true,
        Some(Json::String(s)) => s.trim().is_empty(),
        Some(_) => false,
    }
}

/// Checks answers against a form.
pub fn validate(form: &Form, answers: &Answers) -> Report {
    let eval = Evaluation::new(form, answers);
    let mut issues = Vec::new();
    for key in answers.keys() {
        if form.field_index(key).is_none() {
            issues.push(issue(
                key,
                Severity::Error,
                "unknown_field",
                Localized::zh_en("表单中没有这个问题", "the form has no such question"),
            ));
        }
    }
    let budget_message = || {
        Localized::zh_en(
            "规则过于复杂，无法检查",
            "the rule is too complex to evaluate",
        )
    };
    for (i, field) in form.fields.iter().enumerate() {
        if !eval.is_relevant(i) {
            continue;
        }
        let id = field.def.id.as_str();
        let answer = answers.get(id);
        if is_empty(answer) {
            match eval.is_required(form, i) {
                Ok(true) => issues.push(issue(
                    id,
                    Severity::Error,
                    "required",
                    Localized::zh_en("此项必填", "this question must be answered"),
                )),
                Ok(false) => {}
                Err(_) => issues.push(issue(id, Severity::Error, "evaluation", budget_message())),
            }
            continue;
        }
        let Some(answer) = answer else { continue };
        if let Some(message) = shape_issue(field.def.field_type, answer) {
            issues.push(issue(id, Severity::Error, "wrong_type", message));
            continue;
        }
        if field.def.field_type == FieldType::SingleChoice {
            let code = answer.as_str().unwrap_or_default();
            if !field.def.options.iter().any(|o| o.code == code) {
                issues.push(issue(
                    id,
                    Severity::Error,
                    "unknown_option",
                    Localized::zh_en(
                        format!("选项代码 {code} 不存在"),
                        format!("there is no option with code {code}"),
                    ),
                ));
                continue;
            }
        }
        let current = eval.answer(i);
        for (expr, def) in field.constraints.iter().zip(&field.def.constraints) {
            match expr.test(&eval, &current, expr::DEFAULT_STEP_BUDGET) {
                Ok(true) => {}
                Ok(false) => issues.push(issue(id, def.severity, &def.code, def.message.clone())),
                Err(_) => issues.push(issue(id, Severity::Error, "evaluation", budget_message())),
            }
        }
    }
    Report { issues }
}

/// The answers of a completed record: those of questions that are not asked are dropped,
/// and so are empty answers.
pub fn relevant_answers(form: &Form, answers: &Answers) -> Answers {
    let eval = Evaluation::new(form, answers);
    answers
        .iter()
        .filter(|(key, value)| {
            form.field_index(key)
                .is_some_and(|i| eval.is_relevant(i) && !is_empty(Some(value)))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn demo() -> Form {
        Form::from_json(include_str!("../../../schemas/demo.json")).expect("demo loads")
    }

    fn answers(value: Json) -> Answers {
        serde_json::from_value(value).expect("an object")
    }

    fn codes(report: &Report) -> Vec<(String, String)> {
        report
            .issues
            .iter()
            .map(|i| (i.field.clone(), i.code.clone()))
            .collect()
    }

    #[test]
    fn a_complete_record_has_no_issues() {
        let report = validate(
            &demo(),
            &answers(json!({"name": "张三", "visited": "1", "age": 40})),
        );
        assert_eq!(report.issues, vec![]);
    }

    #[test]
    fn required_questions_are_reported_only_when_asked() {
        let form = demo();
        let report = validate(&form, &answers(json!({"visited": "1"})));
        assert_eq!(
            codes(&report),
            vec![
                ("name".into(), "required".into()),
                ("age".into(), "required".into())
            ]
        );
        let report = validate(
            &form,
            &answers(json!({"name": "李四", "visited": "2", "age": 3})),
        );
        assert_eq!(codes(&report), vec![("reason".into(), "required".into())]);
        let report = validate(
            &form,
            &answers(json!({"name": " ", "visited": "2", "reason": "", "age": 3})),
        );
        assert_eq!(
            codes(&report),
            vec![
                ("name".into(), "required".into()),
                ("reason".into(), "required".into())
            ]
        );
    }

    #[test]
    fn range_type_option_and_unknown_field_checks() {
        let report = validate(
            &demo(),
            &answers(json!({"name": 5, "visited": "9", "age": 121, "colour": "red"})),
        );
        assert_eq!(
            codes(&report),
            vec![
                ("colour".into(), "unknown_field".into()),
                ("name".into(), "wrong_type".into()),
                ("visited".into(), "unknown_option".into()),
                ("age".into(), "age_range".into()),
            ]
        );
        assert!(report.has_errors());
        let age = report.for_field("age").next().expect("age issue");
        assert_eq!(age.message.get("en"), "Age must be between 0 and 120");
        let report = validate(
            &demo(),
            &answers(json!({"name": "王五", "visited": "1", "age": "12"})),
        );
        assert_eq!(codes(&report), vec![("age".into(), "wrong_type".into())]);
    }

    #[test]
    fn completing_drops_answers_of_questions_not_asked() {
        let kept = relevant_answers(
            &demo(),
            &answers(json!({"name": "赵六", "visited": "1", "reason": "外出", "age": 50})),
        );
        assert_eq!(
            kept,
            answers(json!({"name": "赵六", "visited": "1", "age": 50}))
        );
    }
}
