//! Property tests of the expression language: the parser never panics on any input, and
//! printing a compiled expression then compiling the text gives the same tree back.

use doorstep_core::expr::{compile, Allowed, Answers, Context, Env, Scope, Type, Value};
use proptest::prelude::*;

struct Fields;

const FIELDS: [(&str, Type); 6] = [
    ("n", Type::Integer),
    ("x", Type::Decimal),
    ("t", Type::Text),
    ("d", Type::Date),
    ("l", Type::List),
    ("b", Type::Bool),
];

impl Scope for Fields {
    fn field(&self, id: &str) -> Option<(usize, Type)> {
        FIELDS
            .iter()
            .position(|(n, _)| *n == id)
            .map(|i| (i, FIELDS[i].1))
    }
    fn field_id(&self, index: usize) -> &str {
        FIELDS.get(index).map_or("?", |f| f.0)
    }
}

struct Row;

impl Answers for Row {
    fn answer(&self, index: usize) -> Value {
        match index {
            0 => Value::Integer(7),
            1 => Value::Decimal(2.5),
            2 => Value::Text("abc".into()),
            4 => Value::List(vec!["1".into()]),
            5 => Value::Bool(true),
            _ => Value::Null,
        }
    }
}

const ALLOWED: Allowed<'static> = Allowed {
    current: Some(Type::Integer),
    option_attributes: None,
};

/// Well-typed integer expressions.
fn integer() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (0i64..1000).prop_map(|i| i.to_string()),
        Just("n".to_string()),
        Just(".".to_string()),
        Just("length(t)".to_string()),
        Just("count(l)".to_string()),
        Just("year(d)".to_string()),
    ];
    leaf.prop_recursive(4, 32, 3, |inner| {
        prop_oneof![
            (
                inner.clone(),
                inner.clone(),
                prop_oneof![Just("+"), Just("-"), Just("*")]
            )
                .prop_map(|(a, b, op)| format!("({a} {op} {b})")),
            inner.clone().prop_map(|a| format!("-{a}")),
            (boolean_leaf(), inner.clone(), inner)
                .prop_map(|(c, a, b)| format!("if({c}, {a}, {b})")),
        ]
    })
}

fn boolean_leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("b".to_string()),
        Just("true".to_string()),
        Just("t in ['a', 'b']".to_string()),
        Just("selected(l, '1')".to_string()),
        Just("matches(t, '[a-c]+')".to_string()),
        Just("id_valid(t)".to_string()),
    ]
}

/// Well-typed boolean expressions.
fn boolean() -> impl Strategy<Value = String> {
    let comparison = (
        integer(),
        integer(),
        prop_oneof![
            Just("="),
            Just("!="),
            Just("<"),
            Just("<="),
            Just(">"),
            Just(">=")
        ],
    )
        .prop_map(|(a, b, op)| format!("{a} {op} {b}"));
    prop_oneof![boolean_leaf(), comparison].prop_recursive(3, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_parser_never_panics_on_any_text(source in "\\PC{0,80}") {
        let _ = compile(&source, &Fields, ALLOWED);
    }

    #[test]
    fn the_parser_never_panics_on_token_soup(
        tokens in proptest::collection::vec(
            prop_oneof![
                Just("("), Just(")"), Just("["), Just("]"), Just(","), Just("not"), Just("and"),
                Just("or"), Just("in"), Just("="), Just("<"), Just("-"), Just("*"), Just("/"),
                Just("n"), Just("t"), Just("l"), Just("."), Just("@a"), Just("'x'"), Just("1"),
                Just("2.5"), Just("null"), Just("if"), Just("years"), Just("substr"), Just("9999999999999999999"),
            ],
            0..40,
        )
    ) {
        let _ = compile(&tokens.join(" "), &Fields, ALLOWED);
    }

    #[test]
    fn printing_then_parsing_gives_the_same_tree(source in boolean()) {
        let expr = compile(&source, &Fields, ALLOWED).map_err(|e| TestCaseError::fail(format!("{source}: {e}")))?;
        let printed = expr.display(&Fields).to_string();
        let again = compile(&printed, &Fields, ALLOWED).map_err(|e| TestCaseError::fail(format!("{printed}: {e}")))?;
        prop_assert_eq!(&expr.root, &again.root, "{} printed as {}", source, printed);
        // Evaluating any well-typed expression finishes without panicking.
        let context = Context::default();
        let env = Env { answers: &Row, current: &Value::Integer(3), context: &context, option: None };
        prop_assert!(expr.eval(&env, 100_000).is_ok());
    }
}
