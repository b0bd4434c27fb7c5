//! Fuzzes the expression parser and evaluator: no input may panic, hang or exhaust the stack.
#![no_main]

use doorstep_core::expr::{compile, Allowed, Answers, Context, Env, Scope, Type, Value};
use libfuzzer_sys::fuzz_target;

struct Fields;

const FIELDS: [(&str, Type); 5] = [
    ("n", Type::Integer),
    ("t", Type::Text),
    ("d", Type::Date),
    ("l", Type::List),
    ("x", Type::Decimal),
];

impl Scope for Fields {
    fn field(&self, id: &str) -> Option<(usize, Type)> {
        FIELDS.iter().position(|(n, _)| *n == id).map(|i| (i, FIELDS[i].1))
    }
    fn field_id(&self, index: usize) -> &str {
        FIELDS.get(index).map_or("?", |f| f.0)
    }
}

struct Row;

impl Answers for Row {
    fn answer(&self, index: usize) -> Value {
        match index {
            0 => Value::Integer(i64::MAX),
            1 => Value::Text("11010519491231002X41".into()),
            3 => Value::List(vec!["1".into(), "2".into()]),
            4 => Value::Decimal(-0.0),
            _ => Value::Null,
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let allowed = Allowed {
        current: Some(Type::Text),
        option_attributes: None,
    };
    if let Ok(expr) = compile(source, &Fields, allowed) {
        let context = Context::default();
        let env = Env {
            answers: &Row,
            current: &Value::Text("x".into()),
            context: &context,
            option: None,
        };
        let _ = expr.eval(&env, 10_000);
        let printed = expr.display(&Fields).to_string();
        let again = compile(&printed, &Fields, allowed).expect("a printed expression compiles");
        assert_eq!(expr.root, again.root, "printing changed the expression");
    }
});
