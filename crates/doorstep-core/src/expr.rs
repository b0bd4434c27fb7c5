//! The expression language of forms: parsing, name resolution, type checking and evaluation.
//!
//! An expression is parsed and checked once, when a form is loaded ([`compile`]), and evaluated
//! many times against a record's answers ([`Expr::eval`]). Evaluation never panics and never
//! loops: every node costs one step of a budget, and running out is an error, so no form can
//! hang a tablet.
//!
//! The grammar, from loosest to tightest binding:
//!
//! ```text
//! expr    = or
//! or      = and ("or" and)*
//! and     = not ("and" not)*
//! not     = "not" not | cmp
//! cmp     = sum (("=" | "!=" | "<" | "<=" | ">" | ">=") sum)?
//! sum     = product (("+" | "-") product)*
//! product = unary (("*" | "/") unary)*
//! unary   = "-" unary | atom
//! atom    = integer | decimal | 'text' | "text" | true | false | null | "." | field | "(" expr ")"
//! ```

use std::fmt;

use serde_json::Value as Json;
use thiserror::Error;

/// The static type of an expression or of a field's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// True or false.
    Bool,
    /// A whole number.
    Integer,
    /// A number that may have a fractional part.
    Decimal,
    /// A string: free text, or a choice code.
    Text,
    /// The type of `null`: compatible with every other type.
    Null,
}

impl Type {
    fn is_numeric(self) -> bool {
        matches!(self, Type::Integer | Type::Decimal)
    }

    /// Whether values of the two types can be compared with `=` or `<`.
    fn comparable(self, other: Type) -> bool {
        self == Type::Null
            || other == Type::Null
            || self == other
            || (self.is_numeric() && other.is_numeric())
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Type::Bool => "boolean",
            Type::Integer => "integer",
            Type::Decimal => "decimal",
            Type::Text => "text",
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
}

impl Value {
    /// Converts an answer as stored in a record into a value. Anything that is not a number,
    /// a string or a boolean is treated as no answer; answers are type-checked elsewhere.
    pub fn from_json(json: &Json) -> Value {
        match json {
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => match n.as_i64() {
                Some(i) => Value::Integer(i),
                None => n.as_f64().map(Value::Decimal).unwrap_or(Value::Null),
            },
            Json::String(s) if s.is_empty() => Value::Null,
            Json::String(s) => Value::Text(s.clone()),
            Json::Null | Json::Array(_) | Json::Object(_) => Value::Null,
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
            | BinaryOp::Ge => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div => 6,
        }
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
    /// `not x`
    Not(Box<Node>),
    /// `-x`
    Negate(Box<Node>),
    /// `a op b`
    Binary(BinaryOp, Box<Node>, Box<Node>),
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
    /// `.` was used where there is no current field.
    #[error("column {column}: `.` is only allowed in a field's constraint")]
    NoCurrentField {
        /// Where the dot is.
        column: usize,
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
    Dot,
    LParen,
    RParen,
    Op(BinaryOp),
    Minus,
    Not,
    True,
    False,
    Null,
    End,
}

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    src: &'a str,
}

impl<'a> Lexer<'a> {
    fn column(&self, byte: usize) -> usize {
        self.src[..byte].chars().count() + 1
    }

    fn tokens(mut self) -> Result<Vec<(Token, usize)>, ExprError> {
        let mut out = Vec::new();
        loop {
            while self.chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
            let Some((start, c)) = self.chars.next() else {
                out.push((Token::End, self.column(self.src.len())));
                return Ok(out);
            };
            let column = self.column(start);
            let token = match c {
                '(' => Token::LParen,
                ')' => Token::RParen,
                '+' => Token::Op(BinaryOp::Add),
                '-' => Token::Minus,
                '*' => Token::Op(BinaryOp::Mul),
                '/' => Token::Op(BinaryOp::Div),
                '=' => {
                    self.chars.next_if(|(_, c)| *c == '=');
                    Token::Op(BinaryOp::Eq)
                }
                '!' => match self.chars.next_if(|(_, c)| *c == '=') {
                    Some(_) => Token::Op(BinaryOp::Ne),
                    None => {
                        return Err(ExprError::Syntax {
                            column,
                            message: "`!` must be followed by `=`; use `not` to negate".into(),
                        })
                    }
                },
                '<' => match self.chars.next_if(|(_, c)| *c == '=') {
                    Some(_) => Token::Op(BinaryOp::Le),
                    None => Token::Op(BinaryOp::Lt),
                },
                '>' => match self.chars.next_if(|(_, c)| *c == '=') {
                    Some(_) => Token::Op(BinaryOp::Ge),
                    None => Token::Op(BinaryOp::Gt),
                },
                '\'' | '"' => {
                    let mut text = String::new();
                    loop {
                        match self.chars.next() {
                            Some((_, ch)) if ch == c => break,
                            Some((_, ch)) => text.push(ch),
                            None => {
                                return Err(ExprError::Syntax {
                                    column,
                                    message: "unterminated string".into(),
                                })
                            }
                        }
                    }
                    Token::Str(text)
                }
                '.' if !self.chars.peek().is_some_and(|(_, c)| c.is_ascii_digit()) => Token::Dot,
                c if c.is_ascii_digit() || c == '.' => {
                    let mut end = start + c.len_utf8();
                    while let Some((i, ch)) = self
                        .chars
                        .next_if(|(_, ch)| ch.is_ascii_digit() || *ch == '.')
                    {
                        end = i + ch.len_utf8();
                    }
                    let text = &self.src[start..end];
                    if text.contains('.') {
                        match text.parse::<f64>() {
                            Ok(d) => Token::Dec(d),
                            Err(_) => {
                                return Err(ExprError::Syntax {
                                    column,
                                    message: format!("`{text}` is not a number"),
                                })
                            }
                        }
                    } else {
                        match text.parse::<i64>() {
                            Ok(i) => Token::Int(i),
                            Err(_) => {
                                return Err(ExprError::Syntax {
                                    column,
                                    message: format!("`{text}` is too large"),
                                })
                            }
                        }
                    }
                }
                c if c.is_alphabetic() || c == '_' => {
                    let mut end = start + c.len_utf8();
                    while let Some((i, ch)) = self
                        .chars
                        .next_if(|(_, ch)| ch.is_alphanumeric() || *ch == '_')
                    {
                        end = i + ch.len_utf8();
                    }
                    match &self.src[start..end] {
                        "and" => Token::Op(BinaryOp::And),
                        "or" => Token::Op(BinaryOp::Or),
                        "not" => Token::Not,
                        "true" => Token::True,
                        "false" => Token::False,
                        "null" => Token::Null,
                        name => Token::Ident(name.to_string()),
                    }
                }
                other => {
                    return Err(ExprError::Syntax {
                        column,
                        message: format!("unexpected character `{other}`"),
                    })
                }
            };
            out.push((token, column));
        }
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
    current: Option<Type>,
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

    fn syntax<T>(&self, message: impl Into<String>) -> Result<T, ExprError> {
        Err(ExprError::Syntax {
            column: self.column(),
            message: message.into(),
        })
    }

    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.syntax(format!("nested more than {MAX_DEPTH} levels deep"));
        }
        Ok(())
    }

    fn expression(&mut self, min_precedence: u8) -> Result<Typed, ExprError> {
        self.enter()?;
        let mut left = self.prefix()?;
        loop {
            let op = match self.peek() {
                Token::Op(op) => *op,
                Token::Minus => BinaryOp::Sub,
                _ => break,
            };
            let precedence = op.precedence();
            if precedence < min_precedence {
                break;
            }
            let (_, column) = self.advance();
            let right = self.expression(precedence + 1)?;
            left = self.binary(op, column, left, right)?;
            // Comparisons do not chain: `a < b < c` is an error rather than a surprise.
            if precedence == 4 && matches!(self.peek(), Token::Op(next) if next.precedence() == 4) {
                return self.syntax("comparisons cannot be chained; join them with `and`");
            }
        }
        self.depth -= 1;
        Ok(left)
    }

    fn prefix(&mut self) -> Result<Typed, ExprError> {
        let (token, column) = self.advance();
        Ok(match token {
            Token::Int(i) => Typed {
                node: Node::Literal(Value::Integer(i)),
                ty: Type::Integer,
            },
            Token::Dec(d) => Typed {
                node: Node::Literal(Value::Decimal(d)),
                ty: Type::Decimal,
            },
            Token::Str(s) => Typed {
                node: Node::Literal(Value::Text(s)),
                ty: Type::Text,
            },
            Token::True | Token::False => Typed {
                node: Node::Literal(Value::Bool(token == Token::True)),
                ty: Type::Bool,
            },
            Token::Null => Typed {
                node: Node::Literal(Value::Null),
                ty: Type::Null,
            },
            Token::Dot => match self.current {
                Some(ty) => Typed {
                    node: Node::Current,
                    ty,
                },
                None => return Err(ExprError::NoCurrentField { column }),
            },
            Token::Ident(name) => match self.scope.field(&name) {
                Some((index, ty)) => {
                    if let Err(at) = self.depends_on.binary_search(&index) {
                        self.depends_on.insert(at, index);
                    }
                    Typed {
                        node: Node::Field(index),
                        ty,
                    }
                }
                None => return Err(ExprError::UnknownField { column, name }),
            },
            Token::LParen => {
                let inner = self.expression(0)?;
                if self.peek() != &Token::RParen {
                    return self.syntax("expected `)`");
                }
                self.advance();
                inner
            }
            Token::Not => {
                self.enter()?;
                let inner = self.expression(3)?;
                self.depth -= 1;
                if !matches!(inner.ty, Type::Bool | Type::Null) {
                    return Err(ExprError::TypeMismatch {
                        column,
                        operator: "not".into(),
                        left: inner.ty,
                        right: inner.ty,
                    });
                }
                Typed {
                    node: Node::Not(Box::new(inner.node)),
                    ty: Type::Bool,
                }
            }
            Token::Minus => {
                self.enter()?;
                let inner = self.expression(7)?;
                self.depth -= 1;
                if !inner.ty.is_numeric() && inner.ty != Type::Null {
                    return Err(ExprError::TypeMismatch {
                        column,
                        operator: "-".into(),
                        left: inner.ty,
                        right: inner.ty,
                    });
                }
                Typed {
                    ty: inner.ty,
                    node: Node::Negate(Box::new(inner.node)),
                }
            }
            Token::End => {
                self.pos -= 1;
                return self.syntax("unexpected end of expression");
            }
            other => {
                self.pos -= 1;
                return self.syntax(format!("unexpected {}", describe(&other)));
            }
        })
    }

    fn binary(
        &self,
        op: BinaryOp,
        column: usize,
        left: Typed,
        right: Typed,
    ) -> Result<Typed, ExprError> {
        let mismatch = || ExprError::TypeMismatch {
            column,
            operator: op.symbol().into(),
            left: left.ty,
            right: right.ty,
        };
        let ty = match op {
            BinaryOp::Or | BinaryOp::And => {
                let ok = |t: Type| matches!(t, Type::Bool | Type::Null);
                if !ok(left.ty) || !ok(right.ty) {
                    return Err(mismatch());
                }
                Type::Bool
            }
            BinaryOp::Eq | BinaryOp::Ne => {
                if !left.ty.comparable(right.ty) {
                    return Err(mismatch());
                }
                Type::Bool
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let ok = |t: Type| t.is_numeric() || t == Type::Text || t == Type::Null;
                if !ok(left.ty) || !ok(right.ty) || !left.ty.comparable(right.ty) {
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
}

fn describe(token: &Token) -> String {
    match token {
        Token::Int(i) => format!("number `{i}`"),
        Token::Dec(d) => format!("number `{d}`"),
        Token::Str(s) => format!("text '{s}'"),
        Token::Ident(name) => format!("name `{name}`"),
        Token::Dot => "`.`".into(),
        Token::LParen => "`(`".into(),
        Token::RParen => "`)`".into(),
        Token::Op(op) => format!("`{}`", op.symbol()),
        Token::Minus => "`-`".into(),
        Token::Not => "`not`".into(),
        Token::True => "`true`".into(),
        Token::False => "`false`".into(),
        Token::Null => "`null`".into(),
        Token::End => "end of expression".into(),
    }
}

/// Parses, resolves and type-checks an expression.
///
/// `current` is the answer type of the field the expression checks, when `.` is allowed.
pub fn compile<S: Scope>(
    source: &str,
    scope: &S,
    current: Option<Type>,
) -> Result<Expr, ExprError> {
    if source.len() > MAX_SOURCE_LEN {
        return Err(ExprError::Syntax {
            column: 1,
            message: format!("longer than {MAX_SOURCE_LEN} bytes"),
        });
    }
    let tokens = Lexer {
        chars: source.char_indices().peekable(),
        src: source,
    }
    .tokens()?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        scope,
        current,
        depends_on: Vec::new(),
        depth: 0,
    };
    let typed = parser.expression(0)?;
    if parser.peek() != &Token::End {
        let token = parser.peek().clone();
        return parser.syntax(format!("unexpected {}", describe(&token)));
    }
    Ok(Expr {
        source: source.to_string(),
        root: typed.node,
        ty: typed.ty,
        depends_on: parser.depends_on,
    })
}

impl Expr {
    /// Evaluates the expression. `current` is the answer of the field the expression checks.
    pub fn eval(
        &self,
        answers: &dyn Answers,
        current: &Value,
        budget: u32,
    ) -> Result<Value, EvalError> {
        let mut steps = budget;
        eval_node(&self.root, answers, current, &mut steps)
            .map_err(|()| EvalError::BudgetExceeded { budget })
    }

    /// Evaluates a condition: anything but `true` (including no answer) is false.
    pub fn test(
        &self,
        answers: &dyn Answers,
        current: &Value,
        budget: u32,
    ) -> Result<bool, EvalError> {
        self.eval(answers, current, budget).map(|v| v.is_true())
    }

    /// Prints the expression back in the language's syntax, fully parenthesised.
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

impl<S: Scope> fmt::Display for Printed<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sub = |node| Printed {
            node,
            scope: self.scope,
        };
        match self.node {
            Node::Literal(Value::Null) => f.write_str("null"),
            Node::Literal(Value::Bool(b)) => write!(f, "{b}"),
            Node::Literal(Value::Integer(i)) => write!(f, "{i}"),
            Node::Literal(Value::Decimal(d)) => write!(f, "{d:?}"),
            Node::Literal(Value::Text(s)) if s.contains('\'') => write!(f, "\"{s}\""),
            Node::Literal(Value::Text(s)) => write!(f, "'{s}'"),
            Node::Current => f.write_str("."),
            Node::Field(index) => f.write_str(self.scope.field_id(*index)),
            Node::Not(inner) => write!(f, "(not {})", sub(inner)),
            Node::Negate(inner) => write!(f, "(-{})", sub(inner)),
            Node::Binary(op, l, r) => write!(f, "({} {} {})", sub(l), op.symbol(), sub(r)),
        }
    }
}

fn eval_node(
    node: &Node,
    answers: &dyn Answers,
    current: &Value,
    steps: &mut u32,
) -> Result<Value, ()> {
    *steps = steps.checked_sub(1).ok_or(())?;
    Ok(match node {
        Node::Literal(v) => v.clone(),
        Node::Current => current.clone(),
        Node::Field(index) => answers.answer(*index),
        Node::Not(inner) => Value::Bool(!eval_node(inner, answers, current, steps)?.is_true()),
        Node::Negate(inner) => match eval_node(inner, answers, current, steps)? {
            Value::Integer(i) => i.checked_neg().map_or(Value::Null, Value::Integer),
            Value::Decimal(d) => Value::Decimal(-d),
            _ => Value::Null,
        },
        Node::Binary(BinaryOp::And, l, r) => Value::Bool(
            eval_node(l, answers, current, steps)?.is_true()
                && eval_node(r, answers, current, steps)?.is_true(),
        ),
        Node::Binary(BinaryOp::Or, l, r) => Value::Bool(
            eval_node(l, answers, current, steps)?.is_true()
                || eval_node(r, answers, current, steps)?.is_true(),
        ),
        Node::Binary(op, l, r) => {
            let l = eval_node(l, answers, current, steps)?;
            let r = eval_node(r, answers, current, steps)?;
            apply(*op, &l, &r)
        }
    })
}

/// Applies a comparison or arithmetic operator. An operand without an answer makes every
/// comparison but `=`/`!=` false and every arithmetic result null.
fn apply(op: BinaryOp, l: &Value, r: &Value) -> Value {
    use std::cmp::Ordering;
    let ordering = match (l, r) {
        (Value::Text(a), Value::Text(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Value::Integer(a), Value::Integer(b)) => Some(a.cmp(b)),
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
mod tests {
    use super::*;

    struct Fields(Vec<(&'static str, Type)>);

    impl Scope for Fields {
        fn field(&self, id: &str) -> Option<(usize, Type)> {
            self.0
                .iter()
                .position(|(n, _)| *n == id)
                .map(|i| (i, self.0[i].1))
        }
        fn field_id(&self, index: usize) -> &str {
            self.0[index].0
        }
    }

    struct Row(Vec<Value>);

    impl Answers for Row {
        fn answer(&self, index: usize) -> Value {
            self.0.get(index).cloned().unwrap_or(Value::Null)
        }
    }

    fn scope() -> Fields {
        Fields(vec![
            ("age", Type::Integer),
            ("visited", Type::Text),
            ("weight", Type::Decimal),
        ])
    }

    fn eval(src: &str, row: &[Value]) -> Value {
        let expr = compile(src, &scope(), Some(Type::Integer)).expect("compiles");
        expr.eval(&Row(row.to_vec()), &Value::Integer(7), DEFAULT_STEP_BUDGET)
            .expect("evaluates")
    }

    #[test]
    fn precedence_and_arithmetic() {
        assert_eq!(eval("1 + 2 * 3", &[]), Value::Integer(7));
        assert_eq!(eval("(1 + 2) * 3", &[]), Value::Integer(9));
        assert_eq!(eval("7 - 2 - 1", &[]), Value::Integer(4));
        assert_eq!(eval("-2 * 3", &[]), Value::Integer(-6));
        assert_eq!(eval("7 / 2", &[]), Value::Decimal(3.5));
        assert_eq!(eval("1 / 0", &[]), Value::Null);
        assert_eq!(eval("9223372036854775807 + 1", &[]), Value::Null);
    }

    #[test]
    fn conditions_over_answers() {
        let row = [Value::Integer(30), Value::Text("2".into()), Value::Null];
        assert_eq!(eval("age >= 18 and visited = '2'", &row), Value::Bool(true));
        assert_eq!(eval("age < 18 or visited != '2'", &row), Value::Bool(false));
        assert_eq!(eval("not (age < 18)", &row), Value::Bool(true));
        assert_eq!(eval(". >= 0 and . <= 120", &row), Value::Bool(true));
        // An unanswered field makes ordering comparisons false and equals null.
        assert_eq!(eval("weight > 1", &row), Value::Bool(false));
        assert_eq!(eval("weight = null", &row), Value::Bool(true));
        assert_eq!(eval("weight + 1", &row), Value::Null);
    }

    #[test]
    fn dependencies_are_collected_once_and_sorted() {
        let expr = compile("weight > 1 and age > 2 and age < 9", &scope(), None).expect("compiles");
        assert_eq!(expr.depends_on, vec![0, 2]);
    }

    #[test]
    fn errors_name_the_column() {
        let err = |src: &str| compile(src, &scope(), None).expect_err(src);
        assert_eq!(
            err("age > 1 and agee < 3"),
            ExprError::UnknownField {
                column: 13,
                name: "agee".into()
            }
        );
        assert!(matches!(
            err("age > 'x'"),
            ExprError::TypeMismatch { column: 5, .. }
        ));
        assert!(matches!(err("age >"), ExprError::Syntax { column: 6, .. }));
        assert!(matches!(
            err("(age > 1"),
            ExprError::Syntax { column: 9, .. }
        ));
        assert!(matches!(
            err("age @ 1"),
            ExprError::Syntax { column: 5, .. }
        ));
        assert!(matches!(err("'open"), ExprError::Syntax { column: 1, .. }));
        assert!(matches!(err("1 < age < 3"), ExprError::Syntax { .. }));
        assert!(matches!(
            err(". > 1"),
            ExprError::NoCurrentField { column: 1 }
        ));
        assert!(matches!(err("visited + 1"), ExprError::TypeMismatch { .. }));
        assert!(matches!(err(&"(".repeat(1000)), ExprError::Syntax { .. }));
    }

    #[test]
    fn printing_then_parsing_gives_the_same_tree() {
        let s = scope();
        for src in [
            "1 + 2 * -3 >= age",
            "not (visited = 'a' or age != 3) and true",
            "weight / 2.5 < 1",
        ] {
            let expr = compile(src, &s, None).expect("compiles");
            let printed = expr.display(&s).to_string();
            let again = compile(&printed, &s, None).expect("reparses");
            assert_eq!(expr.root, again.root, "{src} printed as {printed}");
        }
    }

    #[test]
    fn the_step_budget_stops_evaluation() {
        let src = vec!["age"; 200].join(" + ");
        let expr = compile(&src, &scope(), None).expect("compiles");
        let row = Row(vec![Value::Integer(1)]);
        assert_eq!(
            expr.eval(&row, &Value::Null, 50),
            Err(EvalError::BudgetExceeded { budget: 50 })
        );
        assert_eq!(expr.eval(&row, &Value::Null, 1000), Ok(Value::Integer(200)));
    }
}
