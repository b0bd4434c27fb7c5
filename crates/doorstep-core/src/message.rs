//! Messages that name values. A constraint's message may hold expressions in braces, evaluated
//! when the check fails, so that the collector reads the figure to compare with, not only that
//! something differs: `与花名册人数（{roster_count(region_code)} 人）不一致`. `{{` and `}}` are
//! braces outside an expression's quoted strings. A message is split here once, when the form
//! is compiled; its expressions are compiled with the form's other expressions, and they are
//! evaluated by the same engine. A choice shows its codes, a decimal six places at most.

use thiserror::Error;

use crate::expr::{Env, Expr, Value};
use crate::schema::Localized;

/// One piece of a message as written: text shown as it is, or the source of a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Text, with `{{` and `}}` already made single braces.
    Text(String),
    /// The expression between braces.
    Value(&'a str),
}

/// What is wrong with a message's braces; the position counts characters from 1.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TemplateError {
    /// An opening brace with no closing one.
    #[error("the `{{` at character {0} is not closed (write `{{{{` for a brace)")]
    Unclosed(usize),
    /// A closing brace with no opening one.
    #[error("the `}}` at character {0} closes nothing (write `}}}}` for a brace)")]
    Unopened(usize),
    /// Braces with nothing between them.
    #[error("the braces at character {0} hold no expression")]
    Empty(usize),
}

/// Splits a message into its text and the sources of its values, in order.
pub fn split(text: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut chars = text.char_indices().enumerate().peekable();
    while let Some((position, (at, c))) = chars.next() {
        match c {
            '{' if chars.peek().is_some_and(|(_, (_, next))| *next == '{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek().is_some_and(|(_, (_, next))| *next == '}') => {
                chars.next();
                literal.push('}');
            }
            '}' => return Err(TemplateError::Unopened(position + 1)),
            '{' => {
                let start = at + 1;
                // The expression ends at the first `}` outside its quoted strings, which may
                // hold braces as the expression language reads them: `{matches(., '[0-9]{9}')}`.
                let mut quote = None;
                let end = loop {
                    match (chars.next(), quote) {
                        (Some((_, (_, c))), Some(q)) if c == q => quote = None,
                        (Some(_), Some(_)) => {}
                        (Some((_, (_, c @ ('\'' | '"')))), None) => quote = Some(c),
                        (Some((_, (end, '}'))), None) => break end,
                        (Some(_), None) => {}
                        (None, _) => return Err(TemplateError::Unclosed(position + 1)),
                    }
                };
                let source = text[start..end].trim();
                if source.is_empty() {
                    return Err(TemplateError::Empty(position + 1));
                }
                if !literal.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut literal)));
                }
                pieces.push(Piece::Value(source));
            }
            other => literal.push(other),
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Text(literal));
    }
    Ok(pieces)
}

/// A compiled piece of a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Text shown as it is.
    Text(String),
    /// A value, evaluated when the message is given.
    Value(Expr),
}

/// A message that names values, in each language it is written in.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// Each language's tag with its parts.
    pub texts: Vec<(String, Vec<Part>)>,
}

impl Template {
    /// The message with its values, as the answers stand. A value that cannot be worked out
    /// (no answer, or too long to evaluate) is shown as a dash.
    pub fn render(&self, env: &Env<'_>, budget: u32) -> Localized {
        Localized(
            self.texts
                .iter()
                .map(|(locale, parts)| {
                    let text = parts
                        .iter()
                        .map(|part| match part {
                            Part::Text(text) => text.clone(),
                            Part::Value(expr) => match expr.eval(env, budget) {
                                Ok(value) => shown(&value, locale),
                                Err(_) => DASH.to_string(),
                            },
                        })
                        .collect();
                    (locale.clone(), text)
                })
                .collect(),
        )
    }
}

/// What stands for a value there is none of.
const DASH: &str = "—";

/// A value as a message shows it, in `locale`.
fn shown(value: &Value, locale: &str) -> String {
    let english = locale.starts_with("en");
    match value {
        Value::Null => DASH.to_string(),
        Value::Bool(true) => if english { "yes" } else { "是" }.to_string(),
        Value::Bool(false) => if english { "no" } else { "否" }.to_string(),
        Value::Integer(n) => n.to_string(),
        // Six decimals at most, without trailing zeros: 0.1 + 0.2 shows as 0.3.
        Value::Decimal(n) => {
            let text = format!("{n:.6}");
            let trimmed = text.trim_end_matches('0').trim_end_matches('.');
            match trimmed {
                "-0" => "0".to_string(),
                _ => trimmed.to_string(),
            }
        }
        Value::Text(text) => text.clone(),
        Value::Date(date) => date.to_string(),
        Value::List(codes) => codes.join(if english { ", " } else { "、" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_splits_into_text_and_values() {
        // Text, one value, text.
        let around = |before: &str, value, after: &str| {
            Ok(vec![
                Piece::Text(before.into()),
                Piece::Value(value),
                Piece::Text(after.into()),
            ])
        };
        assert_eq!(
            split("与花名册人数（{roster_count(region_code)} 人）不一致"),
            around("与花名册人数（", "roster_count(region_code)", " 人）不一致")
        );
        assert_eq!(split("{ . }"), Ok(vec![Piece::Value(".")]));
        assert_eq!(split("a {{b}} c"), Ok(vec![Piece::Text("a {b} c".into())]));
        assert_eq!(split("plain"), Ok(vec![Piece::Text("plain".into())]));
        // A brace in a quoted string belongs to the expression.
        assert_eq!(
            split("应为 {matches(., '[0-9]{9}')} 位"),
            around("应为 ", "matches(., '[0-9]{9}')", " 位")
        );
        assert_eq!(split("{\"}\"}"), Ok(vec![Piece::Value("\"}\"")]));
        assert_eq!(split("{'}"), Err(TemplateError::Unclosed(1)));
        assert_eq!(split(""), Ok(vec![]));
    }

    #[test]
    fn unmatched_or_empty_braces_are_named_by_their_place() {
        assert_eq!(split("人数（{.）"), Err(TemplateError::Unclosed(4)));
        assert_eq!(split("人数} 不一致"), Err(TemplateError::Unopened(3)));
        assert_eq!(split("ab{ }"), Err(TemplateError::Empty(3)));
        assert_eq!(
            TemplateError::Unclosed(4).to_string(),
            "the `{` at character 4 is not closed (write `{{` for a brace)"
        );
    }

    #[test]
    fn values_are_shown_in_the_messages_language() {
        assert_eq!(shown(&Value::Integer(12), "zh-CN"), "12");
        assert_eq!(shown(&Value::Decimal(1.5), "en"), "1.5");
        assert_eq!(shown(&Value::Decimal(0.1 + 0.2), "en"), "0.3");
        assert_eq!(shown(&Value::Decimal(2.0), "en"), "2");
        assert_eq!(shown(&Value::Decimal(-0.0000001), "en"), "0");
        assert_eq!(shown(&Value::Null, "zh-CN"), "—");
        assert_eq!(shown(&Value::Bool(true), "zh-CN"), "是");
        assert_eq!(shown(&Value::Bool(false), "en"), "no");
        assert_eq!(shown(&Value::Text("王五".into()), "en"), "王五");
        let codes = Value::List(vec!["1".into(), "3".into()]);
        assert_eq!(shown(&codes, "zh-CN"), "1、3");
        assert_eq!(shown(&codes, "en"), "1, 3");
    }
}
