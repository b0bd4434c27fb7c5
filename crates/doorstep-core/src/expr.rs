//! The expression language of forms: parsing, name resolution, type checking and evaluation.
//!
//! An expression is parsed and checked once, when a form is loaded ([`compile`]), and evaluated
//! many times against a record's answers ([`Expr::eval`]). Evaluation never panics and never
//! loops: every node costs one step of a budget, and running out is an error, so no form can
//! hang a tablet. The grammar and the functions are documented in `docs/expressions.md`.
//!
//! ```text
//! expr    = or
//! or      = and ("or" and)*
//! and     = not ("and" not)*
//! not     = "not" not | cmp
//! cmp     = sum (("=" | "!=" | "<" | "<=" | ">" | ">=" | "in") sum)?
//! sum     = product (("+" | "-") product)*
//! product = unary (("*" | "/") unary)*
//! unary   = "-" unary | atom
//! atom    = integer | decimal | 'text' | "text" | true | false | null | "." | field
//!         | "@" attribute | name "(" (expr ("," expr)*)? ")" | "[" (expr ("," expr)*)? "]"
//!         | "(" expr ")"
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use jiff::civil::Date;
use serde_json::Value as Json;
use thiserror::Error;

use crate::region::Area;

/// The static type of an expression or of a field's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    /// True or false.
    Bool,
    /// A whole number.
    Integer,
    /// A number that may have a fractional part.
    Decimal,
    /// A string: free text, or a choice code.
    Text,
    /// A calendar date.
    Date,
    /// A list of codes: the answer of a multiple choice.
    List,
    /// The type of `null`: compatible with every other type.
    Null,
}

impl Type {
    fn is_numeric(self) -> bool {
        matches!(self, Type::Integer | Type::Decimal)
    }

    /// Whether a value of type `self` may stand where `want` is expected.
    /// Whether a value of this type may stand where `want` is expected.
    pub fn fits(self, want: Type) -> bool {
        self == Type::Null
            || want == Type::Null
            || self == want
            || (self.is_numeric() && want.is_numeric())
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Type::Bool => "boolean",
            Type::Integer => "integer",
            Type::Decimal => "decimal",
            Type::Text => "text",
            Type::Date => "date",
            Type::List => "list",
            Type::Null => "null",
        })
    }
}

/// A value produced by evaluating an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No answer.
    Null,
    /// True or false.
    Bool(bool),
    /// A whole number.
    Integer(i64),
    /// A number with a fractional part.
    Decimal(f64),
    /// A string.
    Text(String),
    /// A calendar date.
    Date(Date),
    /// A list of codes.
    List(Vec<String>),
}

/// Parses a `YYYY-MM-DD` date; anything else (including impossible dates) is `None`.
pub fn parse_date(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i16> {
        let part = text.get(range)?;
        if !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let year = number(0..4)?;
    let month = i8::try_from(number(5..7)?).ok()?;
    let day = i8::try_from(number(8..10)?).ok()?;
    Date::new(year, month, day).ok()
}

impl Value {
    /// Converts an answer as stored in a record into a value of the field's type. An answer
    /// of the wrong shape reads as no answer; answers are shape-checked elsewhere.
    pub fn from_answer(json: &Json, ty: Type) -> Value {
        match (json, ty) {
            // Blank text and an empty list are no answer, wherever they come from.
            (Json::String(s), _) if s.trim().is_empty() => Value::Null,
            (Json::Array(items), _) if items.is_empty() => Value::Null,
            (Json::String(s), Type::Date) => parse_date(s).map_or(Value::Null, Value::Date),
            (Json::String(s), Type::Text) => Value::Text(s.clone()),
            (Json::Number(n), Type::Integer) => n.as_i64().map_or(Value::Null, Value::Integer),
            (Json::Number(n), Type::Decimal) => n.as_f64().map_or(Value::Null, Value::Decimal),
            (Json::Bool(b), Type::Bool) => Value::Bool(*b),
            (Json::Array(items), Type::List) => {
                let codes: Option<Vec<String>> = items
                    .iter()
                    .map(|i| i.as_str().map(str::to_string))
                    .collect();
                codes.map_or(Value::Null, Value::List)
            }
            _ => Value::Null,
        }
    }

    /// Converts a value back into an answer, for calculated fields.
    pub fn to_answer(&self) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Integer(i) => Json::from(*i),
            Value::Decimal(d) => serde_json::Number::from_f64(*d).map_or(Json::Null, Json::Number),
            Value::Text(s) => Json::String(s.clone()),
            Value::Date(d) => Json::String(d.to_string()),
            Value::List(items) => Json::Array(items.iter().cloned().map(Json::String).collect()),
        }
    }

    /// Whether the value counts as true in a condition: only `true` does.
    pub fn is_true(&self) -> bool {
        matches!(self, Value::Bool(true))
    }

    fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Integer(i) => Some(*i as f64),
            Value::Decimal(d) => Some(*d),
            _ => None,
        }
    }
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `or`
    Or,
    /// `and`
    And,
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `in`: membership of a code in a list.
    In,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

impl BinaryOp {
    fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "=",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }

    /// Binding strength: a higher number binds tighter.
    fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::In => COMPARISON,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div => 6,
        }
    }
}

const COMPARISON: u8 = 4;

/// A built-in function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `if(condition, then, else)`
    If,
    /// `years(from, to)`: whole years from one date to another.
    Years,
    /// `year(date)`
    Year,
    /// `month(date)`
    Month,
    /// `day(date)`
    Day,
    /// `date(text)`: a `YYYY-MM-DD` text as a date, or null; `date(year, month, day)`: the
    /// date with these parts, or null when there is none.
    Date,
    /// `today()`: the current date, from the evaluation context.
    Today,
    /// `reference_date()`: the survey's reference date, from the evaluation context.
    ReferenceDate,
    /// `selected(field, code)`: whether a choice answer includes the code.
    Selected,
    /// `count(list)`: how many codes a multiple-choice answer has.
    Count,
    /// `length(text)`: the number of characters.
    Length,
    /// `matches(text, 'pattern')`: whether the whole text matches a regular expression.
    Matches,
    /// `substr(text, start, length)`: characters from `start` (counted from 0).
    Substr,
    /// `upper(text)`
    Upper,
    /// `int(text)`: digits as an integer, or null.
    Int,
    /// `id_valid(text)`: whether an 18-character ID number passes the GB 11643 check.
    IdValid,
    /// `id_birth(text)`: the birth date in an ID number, or null when it is not a real date.
    IdBirth,
    /// `id_sex(text)`: `'1'` (male) or `'2'` (female) from an ID number's 17th digit.
    IdSex,
    /// `roster_count(region)`: how many persons the roster has in a village, from the
    /// evaluation context; null when no roster is known.
    RosterCount,
    /// `collector()`: the name of the signed-in collector, from the evaluation context.
    Collector,
}

impl Function {
    const ALL: [Function; 20] = [
        Function::If,
        Function::Years,
        Function::Year,
        Function::Month,
        Function::Day,
        Function::Date,
        Function::Today,
        Function::ReferenceDate,
        Function::Selected,
        Function::Count,
        Function::Length,
        Function::Matches,
        Function::Substr,
        Function::Upper,
        Function::Int,
        Function::IdValid,
        Function::IdBirth,
        Function::IdSex,
        Function::RosterCount,
        Function::Collector,
    ];

    /// The name used in expressions.
    pub fn name(self) -> &'static str {
        match self {
            Function::If => "if",
            Function::Years => "years",
            Function::Year => "year",
            Function::Month => "month",
            Function::Day => "day",
            Function::Date => "date",
            Function::Today => "today",
            Function::ReferenceDate => "reference_date",
            Function::Selected => "selected",
            Function::Count => "count",
            Function::Length => "length",
            Function::Matches => "matches",
            Function::Substr => "substr",
            Function::Upper => "upper",
            Function::Int => "int",
            Function::IdValid => "id_valid",
            Function::IdBirth => "id_birth",
            Function::IdSex => "id_sex",
            Function::RosterCount => "roster_count",
            Function::Collector => "collector",
        }
    }

    fn by_name(name: &str) -> Option<Function> {
        Function::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The argument types and the result type; `None` for `if`, which is checked apart.
    fn signature(self) -> Option<(&'static [Type], Type)> {
        use Type::*;
        Some(match self {
            Function::If => return None,
            Function::Years => (&[Date, Date], Integer),
            Function::Year | Function::Month | Function::Day => (&[Date], Integer),
            Function::Date => (&[Text], Date),
            Function::Today | Function::ReferenceDate => (&[], Date),
            Function::Selected => (&[Null, Text], Bool),
            Function::Count => (&[List], Integer),
            Function::Length => (&[Text], Integer),
            Function::Matches => (&[Text, Text], Bool),
            Function::Substr => (&[Text, Integer, Integer], Text),
            Function::Upper => (&[Text], Text),
            Function::Int => (&[Text], Integer),
            Function::IdValid => (&[Text], Bool),
            Function::IdBirth => (&[Text], Date),
            Function::IdSex => (&[Text], Text),
            Function::RosterCount => (&[Text], Integer),
            Function::Collector => (&[], Text),
        })
    }
}

/// A regular expression compiled when the form is loaded, compared by its source.
#[derive(Debug, Clone)]
pub struct Pattern(Arc<regex_lite::Regex>);

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

/// A node of a parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A literal value.
    Literal(Value),
    /// The answer of the field the expression belongs to (`.`).
    Current,
    /// The answer of another field, by its index in the form.
    Field(usize),
    /// An attribute of the option being filtered (`@name`).
    OptionAttribute(String),
    /// `[a, b, c]`
    List(Vec<Node>),
    /// `not x`
    Not(Box<Node>),
    /// `-x`
    Negate(Box<Node>),
    /// `a op b`
    Binary(BinaryOp, Box<Node>, Box<Node>),
    /// A function call.
    Call(Function, Vec<Node>),
    /// `matches(text, 'pattern')` with the pattern compiled once; the source is kept for
    /// printing.
    Matches(Box<Node>, Pattern, String),
}

/// Where an expression's names point to, as known when the form is loaded.
pub trait Scope {
    /// The index and answer type of the field with this id, if the form has one.
    fn field(&self, id: &str) -> Option<(usize, Type)>;
    /// The id of the field with this index, for printing.
    fn field_id(&self, index: usize) -> &str;
}

/// What an expression can read while it is evaluated.
pub trait Answers {
    /// The answer of the field with this index, or `Value::Null` when there is none.
    fn answer(&self, index: usize) -> Value;
}

/// What an evaluation reads besides the answers, supplied by the caller: the core has no
/// clock, no configuration and no roster of its own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// The current date, for `today()`.
    pub today: Option<Date>,
    /// The survey's reference date, for `reference_date()`.
    pub reference_date: Option<Date>,
    /// The villages region answers must be in; any 12-digit code when not given.
    pub area: Option<Arc<Area>>,
    /// How many persons the roster has per village code, for `roster_count(region)`.
    pub roster_sizes: Option<Arc<BTreeMap<String, i64>>>,
    /// The signed-in collector's name, for `collector()`.
    pub collector: Option<Arc<str>>,
}

/// Everything one evaluation reads.
pub struct Env<'a> {
    /// The record's answers.
    pub answers: &'a dyn Answers,
    /// The answer of the field being checked, for `.`.
    pub current: &'a Value,
    /// Today and the reference date.
    pub context: &'a Context,
    /// The attributes of the option being filtered, for `@name`.
    pub option: Option<&'a serde_json::Map<String, Json>>,
}

/// What a compiled expression may refer to besides fields.
#[derive(Debug, Clone, Copy, Default)]
pub struct Allowed<'a> {
    /// The type of `.`, when the expression checks a field's answer.
    pub current: Option<Type>,
    /// The option attributes and their types, when the expression filters options.
    pub option_attributes: Option<&'a [(String, Type)]>,
}

/// A compiled expression: parsed, resolved and type-checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// The expression as written in the form.
    pub source: String,
    /// The parsed tree.
    pub root: Node,
    /// The static type of the result.
    pub ty: Type,
    /// The indices of the fields the expression reads, sorted and without repeats.
    pub depends_on: Vec<usize>,
}

/// Why an expression could not be compiled. `column` counts characters from 1.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExprError {
    /// The text is not a well-formed expression.
    #[error("column {column}: {message}")]
    Syntax {
        /// Where the problem starts.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A name does not refer to any field of the form.
    #[error("column {column}: unknown field `{name}`")]
    UnknownField {
        /// Where the name starts.
        column: usize,
        /// The name as written.
        name: String,
    },
    /// A call names no built-in function.
    #[error("column {column}: unknown function `{name}`")]
    UnknownFunction {
        /// Where the name starts.
        column: usize,
        /// The name as written.
        name: String,
    },
    /// An operator is applied to values of the wrong types.
    #[error("column {column}: `{operator}` cannot be applied to {left} and {right}")]
    TypeMismatch {
        /// Where the operator is.
        column: usize,
        /// The operator.
        operator: String,
        /// The type on the left (or the only operand).
        left: Type,
        /// The type on the right (or the only operand).
        right: Type,
    },
    /// A function is called with the wrong number or types of arguments.
    #[error("column {column}: {message}")]
    BadCall {
        /// Where the call starts.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// `.` or `@name` was used where there is nothing for it to mean.
    #[error("column {column}: {message}")]
    NotAllowedHere {
        /// Where it is.
        column: usize,
        /// What is not allowed.
        message: String,
    },
}

/// Why an evaluation stopped without a result.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EvalError {
    /// The expression took more steps than the budget allows.
    #[error("the expression took more than {budget} steps")]
    BudgetExceeded {
        /// The budget that ran out.
        budget: u32,
    },
}

/// The default number of steps one evaluation may take.
pub const DEFAULT_STEP_BUDGET: u32 = 10_000;

/// The longest expression source accepted, in bytes.
pub const MAX_SOURCE_LEN: usize = 4096;

/// The deepest nesting accepted, so that parsing cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Int(i64),
    Dec(f64),
    Str(String),
    Ident(String),
    Attribute(String),
    Dot,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Op(BinaryOp),
    Minus,
    Not,
    True,
    False,
    Null,
    End,
}

fn syntax<T>(column: usize, message: impl Into<String>) -> Result<T, ExprError> {
    Err(ExprError::Syntax {
        column,
        message: message.into(),
    })
}

fn lex(src: &str) -> Result<Vec<(Token, usize)>, ExprError> {
    let mut chars = src.char_indices().peekable();
    let column = |byte: usize| src[..byte].chars().count() + 1;
    let mut out = Vec::new();
    loop {
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let Some((start, c)) = chars.next() else {
            out.push((Token::End, column(src.len())));
            return Ok(out);
        };
        let col = column(start);
        let word = |first_len: usize, chars: &mut std::iter::Peekable<std::str::CharIndices>| {
            let mut end = start + first_len;
            while let Some((i, ch)) = chars.next_if(|(_, ch)| ch.is_alphanumeric() || *ch == '_') {
                end = i + ch.len_utf8();
            }
            &src[start..end]
        };
        let token = match c {
            '(' => Token::LParen,
            ')' => Token::RParen,
            '[' => Token::LBracket,
            ']' => Token::RBracket,
            ',' => Token::Comma,
            '+' => Token::Op(BinaryOp::Add),
            '-' => Token::Minus,
            '*' => Token::Op(BinaryOp::Mul),
            '/' => Token::Op(BinaryOp::Div),
            '=' => {
                chars.next_if(|(_, c)| *c == '=');
                Token::Op(BinaryOp::Eq)
            }
            '!' => match chars.next_if(|(_, c)| *c == '=') {
                Some(_) => Token::Op(BinaryOp::Ne),
                None => return syntax(col, "`!` must be followed by `=`; use `not` to negate"),
            },
            '<' => match chars.next_if(|(_, c)| *c == '=') {
                Some(_) => Token::Op(BinaryOp::Le),
                None => Token::Op(BinaryOp::Lt),
            },
            '>' => match chars.next_if(|(_, c)| *c == '=') {
                Some(_) => Token::Op(BinaryOp::Ge),
                None => Token::Op(BinaryOp::Gt),
            },
            '\'' | '"' => {
                let mut text = String::new();
                loop {
                    match chars.next() {
                        Some((_, ch)) if ch == c => break,
                        Some((_, ch)) => text.push(ch),
                        None => return syntax(col, "unterminated string"),
                    }
                }
                Token::Str(text)
            }
            '@' => {
                let Some((_, first)) = chars.next_if(|(_, ch)| ch.is_alphabetic() || *ch == '_')
                else {
                    return syntax(col, "`@` must be followed by an option attribute's name");
                };
                let name = word(1 + first.len_utf8(), &mut chars);
                Token::Attribute(name[1..].to_string())
            }
            '.' if !chars.peek().is_some_and(|(_, c)| c.is_ascii_digit()) => Token::Dot,
            c if c.is_ascii_digit() || c == '.' => {
                let mut end = start + 1;
                while let Some((i, ch)) = chars.next_if(|(_, ch)| ch.is_ascii_digit() || *ch == '.')
                {
                    end = i + ch.len_utf8();
                }
                let text = &src[start..end];
                if text.contains('.') {
                    match text.parse::<f64>() {
                        Ok(d) if d.is_finite() => Token::Dec(d),
                        _ => return syntax(col, format!("`{text}` is not a number")),
                    }
                } else {
                    match text.parse::<i64>() {
                        Ok(i) => Token::Int(i),
                        Err(_) => return syntax(col, format!("`{text}` is too large")),
                    }
                }
            }
            c if c.is_alphabetic() || c == '_' => match word(c.len_utf8(), &mut chars) {
                "and" => Token::Op(BinaryOp::And),
                "or" => Token::Op(BinaryOp::Or),
                "in" => Token::Op(BinaryOp::In),
                "not" => Token::Not,
                "true" => Token::True,
                "false" => Token::False,
                "null" => Token::Null,
                name => Token::Ident(name.to_string()),
            },
            other => return syntax(col, format!("unexpected character `{other}`")),
        };
        out.push((token, col));
    }
}

/// A parsed and typed subtree, before it is assembled into an [`Expr`].
struct Typed {
    node: Node,
    ty: Type,
}

struct Parser<'s, S: Scope> {
    tokens: Vec<(Token, usize)>,
    pos: usize,
    scope: &'s S,
    allowed: Allowed<'s>,
    depends_on: Vec<usize>,
    depth: usize,
}

impl<S: Scope> Parser<'_, S> {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos.min(self.tokens.len() - 1)].0
    }

    fn column(&self) -> usize {
        self.tokens[self.pos.min(self.tokens.len() - 1)].1
    }

    fn advance(&mut self) -> (Token, usize) {
        let item = self.tokens[self.pos.min(self.tokens.len() - 1)].clone();
        self.pos += 1;
        item
    }

    fn expect(&mut self, token: Token, what: &str) -> Result<(), ExprError> {
        if self.peek() == &token {
            self.advance();
            Ok(())
        } else {
            syntax(
                self.column(),
                format!("expected {what}, found {}", describe(self.peek())),
            )
        }
    }

    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, ExprError>,
    ) -> Result<T, ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return syntax(
                self.column(),
                format!("nested more than {MAX_DEPTH} levels deep"),
            );
        }
        let result = f(self);
        self.depth -= 1;
        result
    }

    fn expression(&mut self, min_precedence: u8) -> Result<Typed, ExprError> {
        self.nested(|p| {
            let mut left = p.prefix()?;
            loop {
                let op = match p.peek() {
                    Token::Op(op) => *op,
                    Token::Minus => BinaryOp::Sub,
                    _ => break,
                };
                let precedence = op.precedence();
                if precedence < min_precedence {
                    break;
                }
                let (_, column) = p.advance();
                let right = p.expression(precedence + 1)?;
                left = binary(op, column, left, right)?;
                // Comparisons do not chain: `a < b < c` is an error rather than a surprise.
                if precedence == COMPARISON
                    && matches!(p.peek(), Token::Op(next) if next.precedence() == COMPARISON)
                {
                    return syntax(
                        p.column(),
                        "comparisons cannot be chained; join them with `and`",
                    );
                }
            }
            Ok(left)
        })
    }

    fn arguments(&mut self, close: Token, what: &str) -> Result<Vec<Typed>, ExprError> {
        let mut args = Vec::new();
        if self.peek() == &close {
            self.advance();
            return Ok(args);
        }
        loop {
            args.push(self.expression(0)?);
            if self.peek() == &Token::Comma {
                self.advance();
            } else {
                self.expect(close, what)?;
                return Ok(args);
            }
        }
    }

    fn prefix(&mut self) -> Result<Typed, ExprError> {
        let (token, column) = self.advance();
        let typed = |node, ty| Ok(Typed { node, ty });
        match token {
            Token::Int(i) => typed(Node::Literal(Value::Integer(i)), Type::Integer),
            Token::Dec(d) => typed(Node::Literal(Value::Decimal(d)), Type::Decimal),
            Token::Str(s) => typed(Node::Literal(Value::Text(s)), Type::Text),
            Token::True | Token::False => {
                typed(Node::Literal(Value::Bool(token == Token::True)), Type::Bool)
            }
            Token::Null => typed(Node::Literal(Value::Null), Type::Null),
            Token::Dot => match self.allowed.current {
                Some(ty) => typed(Node::Current, ty),
                None => Err(ExprError::NotAllowedHere {
                    column,
                    message: "`.` is only allowed in a field's constraint".into(),
                }),
            },
            Token::Attribute(name) => {
                let Some(attributes) = self.allowed.option_attributes else {
                    return Err(ExprError::NotAllowedHere {
                        column,
                        message: format!("`@{name}` is only allowed in an option filter"),
                    });
                };
                match attributes.iter().find(|(n, _)| *n == name) {
                    Some((_, ty)) => typed(Node::OptionAttribute(name), *ty),
                    None => Err(ExprError::NotAllowedHere {
                        column,
                        message: format!("no option of this field has the attribute `{name}`"),
                    }),
                }
            }
            Token::Ident(name) if self.peek() == &Token::LParen => {
                self.advance();
                let Some(function) = Function::by_name(&name) else {
                    return Err(ExprError::UnknownFunction { column, name });
                };
                let args = self.nested(|p| p.arguments(Token::RParen, "`,` or `)`"))?;
                call(function, column, args)
            }
            Token::Ident(name) => match self.scope.field(&name) {
                Some((index, ty)) => {
                    if let Err(at) = self.depends_on.binary_search(&index) {
                        self.depends_on.insert(at, index);
                    }
                    typed(Node::Field(index), ty)
                }
                None => Err(ExprError::UnknownField { column, name }),
            },
            Token::LParen => {
                let inner = self.expression(0)?;
                self.expect(Token::RParen, "`)`")?;
                Ok(inner)
            }
            Token::LBracket => {
                let items = self.nested(|p| p.arguments(Token::RBracket, "`,` or `]`"))?;
                if let Some(bad) = items.iter().find(|i| !i.ty.fits(Type::Text)) {
                    return Err(ExprError::TypeMismatch {
                        column,
                        operator: "[…]".into(),
                        left: bad.ty,
                        right: Type::Text,
                    });
                }
                typed(
                    Node::List(items.into_iter().map(|i| i.node).collect()),
                    Type::List,
                )
            }
            Token::Not => {
                let inner = self.nested(|p| p.expression(COMPARISON - 1))?;
                if !inner.ty.fits(Type::Bool) {
                    return Err(ExprError::TypeMismatch {
                        column,
                        operator: "not".into(),
                        left: inner.ty,
                        right: inner.ty,
                    });
                }
                typed(Node::Not(Box::new(inner.node)), Type::Bool)
            }
            Token::Minus => {
                let inner = self.nested(|p| p.expression(7))?;
                if !inner.ty.is_numeric() && inner.ty != Type::Null {
                    return Err(ExprError::TypeMismatch {
                        column,
                        operator: "-".into(),
                        left: inner.ty,
                        right: inner.ty,
                    });
                }
                typed(Node::Negate(Box::new(inner.node)), inner.ty)
            }
            Token::End => {
                self.pos -= 1;
                syntax(column, "unexpected end of expression")
            }
            other => {
                self.pos -= 1;
                syntax(column, format!("unexpected {}", describe(&other)))
            }
        }
    }
}

fn binary(op: BinaryOp, column: usize, left: Typed, right: Typed) -> Result<Typed, ExprError> {
    let mismatch = || ExprError::TypeMismatch {
        column,
        operator: op.symbol().into(),
        left: left.ty,
        right: right.ty,
    };
    let ty = match op {
        BinaryOp::Or | BinaryOp::And => {
            if !left.ty.fits(Type::Bool) || !right.ty.fits(Type::Bool) {
                return Err(mismatch());
            }
            Type::Bool
        }
        BinaryOp::Eq | BinaryOp::Ne => {
            if !left.ty.fits(right.ty) {
                return Err(mismatch());
            }
            Type::Bool
        }
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            let ordered =
                |t: Type| t.is_numeric() || matches!(t, Type::Text | Type::Date | Type::Null);
            if !ordered(left.ty) || !ordered(right.ty) || !left.ty.fits(right.ty) {
                return Err(mismatch());
            }
            Type::Bool
        }
        BinaryOp::In => {
            if !left.ty.fits(Type::Text) || !right.ty.fits(Type::List) {
                return Err(mismatch());
            }
            Type::Bool
        }
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
            let ok = |t: Type| t.is_numeric() || t == Type::Null;
            if !ok(left.ty) || !ok(right.ty) {
                return Err(mismatch());
            }
            if op == BinaryOp::Div || left.ty == Type::Decimal || right.ty == Type::Decimal {
                Type::Decimal
            } else {
                Type::Integer
            }
        }
    };
    Ok(Typed {
        node: Node::Binary(op, Box::new(left.node), Box::new(right.node)),
        ty,
    })
}

fn call(function: Function, column: usize, args: Vec<Typed>) -> Result<Typed, ExprError> {
    let bad = |message: String| Err(ExprError::BadCall { column, message });
    let name = function.name();
    let Some((params, result)) = function.signature() else {
        // if(condition, then, else): both branches must have one type.
        if args.len() != 3 {
            return bad(format!("`if` takes 3 arguments, not {}", args.len()));
        }
        if !args[0].ty.fits(Type::Bool) || !args[1].ty.fits(args[2].ty) {
            return bad(format!(
                "`if` needs a boolean and two values of one type, not {}, {} and {}",
                args[0].ty, args[1].ty, args[2].ty
            ));
        }
        let ty = match (args[1].ty, args[2].ty) {
            (Type::Null, other) => other,
            (Type::Integer, Type::Decimal) | (Type::Decimal, Type::Integer) => Type::Decimal,
            (one, _) => one,
        };
        return Ok(Typed {
            node: Node::Call(function, args.into_iter().map(|a| a.node).collect()),
            ty,
        });
    };
    if function == Function::Date && args.len() == 3 {
        if let Some(arg) = args.iter().position(|a| !a.ty.fits(Type::Integer)) {
            return bad(format!(
                "argument {} of `date(year, month, day)` must be integer, not {}",
                arg + 1,
                args[arg].ty
            ));
        }
        return Ok(Typed {
            node: Node::Call(function, args.into_iter().map(|a| a.node).collect()),
            ty: Type::Date,
        });
    }
    if args.len() != params.len() {
        return bad(format!(
            "`{name}` takes {} argument(s), not {}",
            params.len(),
            args.len()
        ));
    }
    for (i, (arg, want)) in args.iter().zip(params).enumerate() {
        let ok = match (function, i) {
            (Function::Selected, 0) => matches!(arg.ty, Type::List | Type::Text | Type::Null),
            _ => arg.ty.fits(*want),
        };
        if !ok {
            return bad(format!(
                "argument {} of `{name}` must be {want}, not {}",
                i + 1,
                arg.ty
            ));
        }
    }
    if function == Function::Matches {
        let mut args = args.into_iter();
        let (Some(text), Some(pattern)) = (args.next(), args.next()) else {
            return bad("`matches` takes 2 arguments".into());
        };
        let Node::Literal(Value::Text(source)) = pattern.node else {
            return bad("the pattern of `matches` must be a text literal".into());
        };
        // Checked alone first, so an unbalanced `)` cannot escape the anchoring below.
        let regex = regex_lite::Regex::new(&source)
            .and_then(|_| regex_lite::Regex::new(&format!("^(?:{source})$")))
            .map_err(|e| ExprError::BadCall {
                column,
                message: format!("the pattern '{source}' is not a valid regular expression: {e}"),
            })?;
        return Ok(Typed {
            node: Node::Matches(Box::new(text.node), Pattern(Arc::new(regex)), source),
            ty: Type::Bool,
        });
    }
    Ok(Typed {
        node: Node::Call(function, args.into_iter().map(|a| a.node).collect()),
        ty: result,
    })
}

fn describe(token: &Token) -> String {
    match token {
        Token::Int(i) => format!("number `{i}`"),
        Token::Dec(d) => format!("number `{d}`"),
        Token::Str(s) => format!("text '{s}'"),
        Token::Ident(name) => format!("name `{name}`"),
        Token::Attribute(name) => format!("`@{name}`"),
        Token::Dot => "`.`".into(),
        Token::LParen => "`(`".into(),
        Token::RParen => "`)`".into(),
        Token::LBracket => "`[`".into(),
        Token::RBracket => "`]`".into(),
        Token::Comma => "`,`".into(),
        Token::Op(op) => format!("`{}`", op.symbol()),
        Token::Minus => "`-`".into(),
        Token::Not => "`not`".into(),
        Token::True => "`true`".into(),
        Token::False => "`false`".into(),
        Token::Null => "`null`".into(),
        Token::End => "the end of the expression".into(),
    }
}

/// Parses, resolves and type-checks an expression.
pub fn compile<S: Scope>(source: &str, scope: &S, allowed: Allowed<'_>) -> Result<Expr, ExprError> {
    if source.len() > MAX_SOURCE_LEN {
        return syntax(1, format!("longer than {MAX_SOURCE_LEN} bytes"));
    }
    let tokens = lex(source)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        scope,
        allowed,
        depends_on: Vec::new(),
        depth: 0,
    };
    let typed = parser.expression(0)?;
    if parser.peek() != &Token::End {
        let token = parser.peek().clone();
        return syntax(parser.column(), format!("unexpected {}", describe(&token)));
    }
    Ok(Expr {
        source: source.to_string(),
        root: typed.node,
        ty: typed.ty,
        depends_on: parser.depends_on,
    })
}

impl Expr {
    /// Evaluates the expression.
    pub fn eval(&self, env: &Env<'_>, budget: u32) -> Result<Value, EvalError> {
        let mut steps = budget;
        eval_node(&self.root, env, &mut steps)
            .map_err(|OutOfSteps| EvalError::BudgetExceeded { budget })
    }

    /// Evaluates a condition: anything but `true` (including no answer) is false.
    pub fn test(&self, env: &Env<'_>, budget: u32) -> Result<bool, EvalError> {
        self.eval(env, budget).map(|v| v.is_true())
    }

    /// Prints the expression back in the language's syntax, with the parentheses it needs.
    pub fn display<'a, S: Scope>(&'a self, scope: &'a S) -> impl fmt::Display + 'a {
        Printed {
            node: &self.root,
            scope,
        }
    }
}

struct Printed<'a, S: Scope> {
    node: &'a Node,
    scope: &'a S,
}

fn quote(text: &str) -> String {
    if text.contains('\'') {
        format!("\"{text}\"")
    } else {
        format!("'{text}'")
    }
}

impl<'a, S: Scope> fmt::Display for Printed<'a, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sub = |node| Printed {
            node,
            scope: self.scope,
        };
        let list = |f: &mut fmt::Formatter<'_>, nodes: &'a [Node]| -> fmt::Result {
            for (i, node) in nodes.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{}", sub(node))?;
            }
            Ok(())
        };
        match self.node {
            Node::Literal(Value::Null) => f.write_str("null"),
            Node::Literal(Value::Bool(b)) => write!(f, "{b}"),
            Node::Literal(Value::Integer(i)) => write!(f, "{i}"),
            // Plain notation with a decimal point, never an exponent: the lexer reads that back.
            Node::Literal(Value::Decimal(d)) => {
                let text = format!("{d}");
                if text.contains('.') {
                    f.write_str(&text)
                } else {
                    write!(f, "{text}.0")
                }
            }
            Node::Literal(Value::Text(s)) => f.write_str(&quote(s)),
            Node::Literal(Value::Date(d)) => write!(f, "date('{d}')"),
            Node::Literal(Value::List(items)) => {
                let quoted: Vec<String> = items.iter().map(|i| quote(i)).collect();
                write!(f, "[{}]", quoted.join(", "))
            }
            Node::Current => f.write_str("."),
            Node::Field(index) => f.write_str(self.scope.field_id(*index)),
            Node::OptionAttribute(name) => write!(f, "@{name}"),
            Node::List(items) => {
                f.write_str("[")?;
                list(f, items)?;
                f.write_str("]")
            }
            // Parentheses only where precedence needs them, so long chains print flat and the
            // printed text nests no deeper than the source did.
            Node::Not(inner) => {
                f.write_str("not ")?;
                parenthesized(f, sub(inner), binding(inner) < COMPARISON - 1)
            }
            Node::Negate(inner) => {
                f.write_str("-")?;
                parenthesized(f, sub(inner), binding(inner) < UNARY)
            }
            Node::Binary(op, l, r) => {
                let p = op.precedence();
                // Operators group to the left; comparisons do not chain at all.
                let left_needs = binding(l) < p || (p == COMPARISON && binding(l) == p);
                parenthesized(f, sub(l), left_needs)?;
                write!(f, " {} ", op.symbol())?;
                parenthesized(f, sub(r), binding(r) <= p)
            }
            Node::Call(function, args) => {
                write!(f, "{}(", function.name())?;
                list(f, args)?;
                f.write_str(")")
            }
            Node::Matches(text, _, source) => {
                write!(f, "matches({}, {})", sub(text), quote(source))
            }
        }
    }
}

/// Precedence of prefix operators, above every binary operator.
const UNARY: u8 = 7;

/// How tightly a node's own top operator binds when printed.
fn binding(node: &Node) -> u8 {
    match node {
        Node::Binary(op, _, _) => op.precedence(),
        Node::Not(_) => COMPARISON - 1,
        Node::Negate(_) => UNARY,
        _ => UNARY + 1,
    }
}

fn parenthesized(
    f: &mut fmt::Formatter<'_>,
    inner: impl fmt::Display,
    needed: bool,
) -> fmt::Result {
    if needed {
        write!(f, "({inner})")
    } else {
        write!(f, "{inner}")
    }
}

/// The step budget ran out.
struct OutOfSteps;

fn eval_node(node: &Node, env: &Env<'_>, steps: &mut u32) -> Result<Value, OutOfSteps> {
    *steps = steps.checked_sub(1).ok_or(OutOfSteps)?;
    Ok(match node {
        Node::Literal(v) => v.clone(),
        Node::Current => env.current.clone(),
        Node::Field(index) => env.answers.answer(*index),
        Node::OptionAttribute(name) => {
            env.option
                .and_then(|o| o.get(name))
                .map_or(Value::Null, |json| match json {
                    Json::Array(_) => Value::from_answer(json, Type::List),
                    Json::Number(n) if n.is_i64() => Value::from_answer(json, Type::Integer),
                    Json::Number(_) => Value::from_answer(json, Type::Decimal),
                    Json::Bool(_) => Value::from_answer(json, Type::Bool),
                    _ => Value::from_answer(json, Type::Text),
                })
        }
        Node::List(items) => {
            let mut codes = Vec::with_capacity(items.len());
            for item in items {
                if let Value::Text(code) = eval_node(item, env, steps)? {
                    codes.push(code);
                }
            }
            Value::List(codes)
        }
        Node::Not(inner) => Value::Bool(!eval_node(inner, env, steps)?.is_true()),
        Node::Negate(inner) => match eval_node(inner, env, steps)? {
            Value::Integer(i) => i.checked_neg().map_or(Value::Null, Value::Integer),
            Value::Decimal(d) => Value::Decimal(-d),
            _ => Value::Null,
        },
        Node::Binary(BinaryOp::And, l, r) => {
            Value::Bool(eval_node(l, env, steps)?.is_true() && eval_node(r, env, steps)?.is_true())
        }
        Node::Binary(BinaryOp::Or, l, r) => {
            Value::Bool(eval_node(l, env, steps)?.is_true() || eval_node(r, env, steps)?.is_true())
        }
        Node::Binary(op, l, r) => {
            let l = eval_node(l, env, steps)?;
            let r = eval_node(r, env, steps)?;
            apply(*op, &l, &r)
        }
        Node::Call(Function::If, args) => match args.as_slice() {
            [condition, then, otherwise] => {
                if eval_node(condition, env, steps)?.is_true() {
                    eval_node(then, env, steps)?
                } else {
                    eval_node(otherwise, env, steps)?
                }
            }
            _ => Value::Null,
        },
        Node::Call(function, args) => {
            let mut values = Vec::with_capacity(args.len());
            for arg in args {
                values.push(eval_node(arg, env, steps)?);
            }
            call_function(*function, &values, env.context)
        }
        Node::Matches(text, pattern, _) => match eval_node(text, env, steps)? {
            Value::Text(text) => Value::Bool(pattern.0.is_match(&text)),
            _ => Value::Null,
        },
    })
}

/// The GB 11643 check character of the first 17 digits of an ID number.
fn id_check_char(first17: &[u8]) -> Option<u8> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    if first17.len() != 17 || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK.get((sum % 11) as usize).copied()
}

/// Whether an 18-character 公民身份号码 passes the GB 11643 check (a lower-case x is accepted)
/// and its birth date is a real date: what `id_valid(text)` gives.
pub fn id_number_valid(text: &str) -> bool {
    let upper = text.to_ascii_uppercase();
    let b = upper.as_bytes();
    b.len() == 18 && id_check_char(&b[..17]) == Some(b[17]) && id_birth(&upper).is_some()
}

fn id_birth(id: &str) -> Option<Date> {
    let b = id.as_bytes();
    if b.len() < 14 {
        return None;
    }
    let text = id.get(6..14)?;
    parse_date(&format!(
        "{}-{}-{}",
        text.get(0..4)?,
        text.get(4..6)?,
        text.get(6..8)?
    ))
}

fn call_function(function: Function, args: &[Value], context: &Context) -> Value {
    use Value as V;
    match (function, args) {
        (Function::Years, [V::Date(from), V::Date(to)]) => {
            let mut years = i64::from(to.year()) - i64::from(from.year());
            if (to.month(), to.day()) < (from.month(), from.day()) {
                years -= 1;
            }
            V::Integer(years)
        }
        (Function::Year, [V::Date(d)]) => V::Integer(d.year().into()),
        (Function::Month, [V::Date(d)]) => V::Integer(d.month().into()),
        (Function::Day, [V::Date(d)]) => V::Integer(d.day().into()),
        (Function::Date, [V::Text(t)]) => parse_date(t).map_or(V::Null, V::Date),
        (Function::Date, [V::Integer(y), V::Integer(m), V::Integer(d)]) => {
            match (i16::try_from(*y), i8::try_from(*m), i8::try_from(*d)) {
                (Ok(y), Ok(m), Ok(d)) => Date::new(y, m, d).map_or(V::Null, V::Date),
                _ => V::Null,
            }
        }
        (Function::Today, []) => context.today.map_or(V::Null, V::Date),
        (Function::ReferenceDate, []) => context.reference_date.map_or(V::Null, V::Date),
        (Function::Selected, [V::List(items), V::Text(code)]) => V::Bool(items.contains(code)),
        (Function::Selected, [V::Text(answer), V::Text(code)]) => V::Bool(answer == code),
        (Function::Selected, [_, _]) => V::Bool(false),
        (Function::Count, [V::List(items)]) => V::Integer(items.len() as i64),
        (Function::Count, [V::Null]) => V::Integer(0),
        (Function::Length, [V::Text(t)]) => V::Integer(t.chars().count() as i64),
        (Function::Length, [V::Null]) => V::Integer(0),
        (Function::Substr, [V::Text(t), V::Integer(start), V::Integer(len)]) => {
            let start = usize::try_from(*start).unwrap_or(0);
            let len = usize::try_from(*len).unwrap_or(0);
            V::Text(t.chars().skip(start).take(len).collect())
        }
        (Function::Upper, [V::Text(t)]) => V::Text(t.to_uppercase()),
        (Function::Int, [V::Text(t)]) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => {
            t.parse().map_or(V::Null, V::Integer)
        }
        (Function::IdValid, [V::Text(t)]) => V::Bool(id_number_valid(t)),
        (Function::IdBirth, [V::Text(t)]) => id_birth(t).map_or(V::Null, V::Date),
        (Function::RosterCount, [V::Text(code)]) => {
            context.roster_sizes.as_ref().map_or(V::Null, |sizes| {
                V::Integer(sizes.get(code).copied().unwrap_or(0))
            })
        }
        (Function::Collector, []) => context
            .collector
            .as_ref()
            .map_or(V::Null, |name| V::Text(name.to_string())),
        (Function::IdSex, [V::Text(t)]) => match t.as_bytes().get(16) {
            Some(d) if d.is_ascii_digit() => {
                V::Text(if (d - b'0') % 2 == 1 { "1" } else { "2" }.into())
            }
            _ => V::Null,
        },
        _ => V::Null,
    }
}

/// Applies a comparison, membership or arithmetic operator. An operand without an answer
/// makes every ordering comparison false and every arithmetic result null.
fn apply(op: BinaryOp, l: &Value, r: &Value) -> Value {
    use std::cmp::Ordering;
    let ordering = match (l, r) {
        (Value::Text(a), Value::Text(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Value::Integer(a), Value::Integer(b)) => Some(a.cmp(b)),
        (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
        (Value::List(a), Value::List(b)) => (a == b).then_some(Ordering::Equal),
        (Value::Null, Value::Null) => Some(Ordering::Equal),
        _ => match (l.as_f64(), r.as_f64()) {
            (Some(a), Some(b)) => a.partial_cmp(&b),
            _ => None,
        },
    };
    match op {
        BinaryOp::Eq => Value::Bool(ordering == Some(Ordering::Equal)),
        BinaryOp::Ne => Value::Bool(ordering != Some(Ordering::Equal)),
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            if matches!(l, Value::Null) || matches!(r, Value::Null) {
                return Value::Bool(false);
            }
            Value::Bool(match (op, ordering) {
                (_, None) => false,
                (BinaryOp::Lt, Some(o)) => o == Ordering::Less,
                (BinaryOp::Le, Some(o)) => o != Ordering::Greater,
                (BinaryOp::Gt, Some(o)) => o == Ordering::Greater,
                (_, Some(o)) => o != Ordering::Less,
            })
        }
        BinaryOp::In => match (l, r) {
            (Value::Text(code), Value::List(items)) => Value::Bool(items.contains(code)),
            _ => Value::Bool(false),
        },
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul => match (l, r) {
            (Value::Integer(a), Value::Integer(b)) => {
                let result = match op {
                    BinaryOp::Add => a.checked_add(*b),
                    BinaryOp::Sub => a.checked_sub(*b),
                    _ => a.checked_mul(*b),
                };
                result.map_or(Value::Null, Value::Integer)
            }
            _ => match (l.as_f64(), r.as_f64()) {
                (Some(a), Some(b)) => Value::Decimal(match op {
                    BinaryOp::Add => a + b,
                    BinaryOp::Sub => a - b,
                    _ => a * b,
                }),
                _ => Value::Null,
            },
        },
        BinaryOp::Div => match (l.as_f64(), r.as_f64()) {
            (Some(a), Some(b)) if b != 0.0 => Value::Decimal(a / b),
            _ => Value::Null,
        },
        BinaryOp::And => Value::Bool(l.is_true() && r.is_true()),
        BinaryOp::Or => Value::Bool(l.is_true() || r.is_true()),
    }
}

#[cfg(test)]
mod tests;
