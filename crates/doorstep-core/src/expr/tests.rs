//! Tests of the expression language: parsing, typing, evaluation, printing and the budget.

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
        ("born", Type::Date),
        ("aids", Type::List),
        ("id_no", Type::Text),
    ])
}

fn date(text: &str) -> Date {
    parse_date(text).expect("a valid date")
}

fn context() -> Context {
    Context {
        today: Some(date("2026-11-28")),
        reference_date: Some(date("2026-09-30")),
        ..Context::default()
    }
}

const CONSTRAINT: Allowed<'static> = Allowed {
    current: Some(Type::Integer),
    option_attributes: None,
};

fn eval(src: &str, row: &[Value]) -> Value {
    let expr = compile(src, &scope(), CONSTRAINT).unwrap_or_else(|e| panic!("{src}: {e}"));
    let answers = Row(row.to_vec());
    let env = Env {
        answers: &answers,
        current: &Value::Integer(7),
        context: &context(),
        option: None,
    };
    expr.eval(&env, DEFAULT_STEP_BUDGET).expect("evaluates")
}

fn err(src: &str) -> ExprError {
    compile(src, &scope(), Allowed::default()).expect_err(src)
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
fn membership_and_choices() {
    let row = [
        Value::Null,
        Value::Text("5".into()),
        Value::Null,
        Value::Null,
        Value::List(vec!["2".into(), "6".into()]),
    ];
    assert_eq!(eval("visited in ['5', '6', '7']", &row), Value::Bool(true));
    assert_eq!(eval("visited in []", &row), Value::Bool(false));
    assert_eq!(eval("'6' in aids", &row), Value::Bool(true));
    assert_eq!(eval("selected(aids, '2')", &row), Value::Bool(true));
    assert_eq!(eval("selected(aids, '3')", &row), Value::Bool(false));
    assert_eq!(eval("selected(visited, '5')", &row), Value::Bool(true));
    assert_eq!(eval("count(aids)", &row), Value::Integer(2));
    assert_eq!(eval("count(aids)", &[]), Value::Integer(0));
}

#[test]
fn dates_come_from_answers_and_the_context() {
    let row = [
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Date(date("2004-09-30")),
    ];
    assert_eq!(
        eval("years(born, reference_date())", &row),
        Value::Integer(22)
    );
    assert_eq!(
        eval("years(born, date('2026-09-29'))", &row),
        Value::Integer(21)
    );
    assert_eq!(
        eval("years(date('2000-02-29'), date('2001-02-28'))", &row),
        Value::Integer(0)
    );
    assert_eq!(
        eval("years(date('2000-02-29'), date('2001-03-01'))", &row),
        Value::Integer(1)
    );
    assert_eq!(
        eval("year(today()) * 100 + month(today())", &row),
        Value::Integer(202_611)
    );
    assert_eq!(eval("day(born)", &row), Value::Integer(30));
    assert_eq!(eval("born < reference_date()", &row), Value::Bool(true));
    assert_eq!(eval("date('2026-02-30')", &row), Value::Null);
    assert_eq!(eval("years(born, date('nonsense'))", &row), Value::Null);
}

#[test]
fn text_functions() {
    assert_eq!(eval("length('残疾人证')", &[]), Value::Integer(4));
    assert_eq!(
        eval("substr('abcdef', 2, 3)", &[]),
        Value::Text("cde".into())
    );
    assert_eq!(eval("substr('abc', 5, 3)", &[]), Value::Text(String::new()));
    assert_eq!(eval("upper('x')", &[]), Value::Text("X".into()));
    assert_eq!(eval("int('042')", &[]), Value::Integer(42));
    assert_eq!(eval("int('4a')", &[]), Value::Null);
    assert_eq!(
        eval("matches('13812345678', '1[3-9][0-9]{9}')", &[]),
        Value::Bool(true)
    );
    assert_eq!(
        eval("matches('138123456789', '1[3-9][0-9]{9}')", &[]),
        Value::Bool(false)
    );
    assert_eq!(eval("if(1 > 2, 'a', 'b')", &[]), Value::Text("b".into()));
    let mixed = compile("if(true, 1, 2.5)", &scope(), Allowed::default()).expect("compiles");
    assert_eq!(mixed.ty, Type::Decimal);
}

#[test]
fn id_number_helpers() {
    // 11010519491231002X is the standard's own example; the check character is X.
    let ok = "11010519491231002X";
    assert_eq!(eval(&format!("id_valid('{ok}')"), &[]), Value::Bool(true));
    assert_eq!(
        eval("id_valid('11010519491231002x')", &[]),
        Value::Bool(true)
    );
    assert_eq!(
        eval("id_valid('110105194912310021')", &[]),
        Value::Bool(false)
    );
    assert_eq!(
        eval("id_valid('11010519491331002X')", &[]),
        Value::Bool(false),
        "month 13"
    );
    assert_eq!(
        eval("id_valid('1101051949123100')", &[]),
        Value::Bool(false)
    );
    assert_eq!(
        eval(&format!("id_birth('{ok}')"), &[]),
        Value::Date(date("1949-12-31"))
    );
    assert_eq!(
        eval(&format!("id_sex('{ok}')"), &[]),
        Value::Text("2".into())
    );
    assert_eq!(
        eval("id_sex('110105194912310011')", &[]),
        Value::Text("1".into())
    );
    assert_eq!(eval("id_birth('短')", &[]), Value::Null);
}

#[test]
fn option_attributes_only_in_filters() {
    let attributes = vec![("categories".to_string(), Type::List)];
    let allowed = Allowed {
        current: None,
        option_attributes: Some(&attributes),
    };
    let expr = compile("visited in @categories", &scope(), allowed).expect("compiles");
    let option: serde_json::Map<String, Json> =
        serde_json::from_str(r#"{"categories": ["1", "5"]}"#).expect("json");
    let answers = Row(vec![Value::Null, Value::Text("5".into())]);
    let env = Env {
        answers: &answers,
        current: &Value::Null,
        context: &Context::default(),
        option: Some(&option),
    };
    assert_eq!(expr.eval(&env, 100), Ok(Value::Bool(true)));
    assert!(matches!(
        err("@categories = 1"),
        ExprError::NotAllowedHere { column: 1, .. }
    ));
    assert!(matches!(
        compile("@nope = '1'", &scope(), allowed),
        Err(ExprError::NotAllowedHere { column: 1, .. })
    ));
}

#[test]
fn dependencies_are_collected_once_and_sorted() {
    let expr = compile(
        "weight > 1 and age > 2 and age < 9",
        &scope(),
        Allowed::default(),
    )
    .expect("compiles");
    assert_eq!(expr.depends_on, vec![0, 2]);
}

#[test]
fn errors_name_the_column() {
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
    assert!(matches!(err("age @ 1"), ExprError::Syntax { .. }));
    assert!(matches!(err("'open"), ExprError::Syntax { column: 1, .. }));
    assert!(matches!(err("1 < age < 3"), ExprError::Syntax { .. }));
    assert!(matches!(
        err(". > 1"),
        ExprError::NotAllowedHere { column: 1, .. }
    ));
    assert!(matches!(err("visited + 1"), ExprError::TypeMismatch { .. }));
    assert!(matches!(
        err("age in ['1']"),
        ExprError::TypeMismatch { column: 5, .. }
    ));
    assert!(matches!(
        err("frob(1)"),
        ExprError::UnknownFunction { column: 1, .. }
    ));
    assert!(matches!(
        err("years(born)"),
        ExprError::BadCall { column: 1, .. }
    ));
    assert!(matches!(
        err("age = years(born, 'x')"),
        ExprError::BadCall { column: 7, .. }
    ));
    assert!(matches!(
        err("matches(visited, id_no)"),
        ExprError::BadCall { .. }
    ));
    assert!(matches!(
        err("matches(visited, '(')"),
        ExprError::BadCall { .. }
    ));
    assert!(matches!(
        err("matches(visited, 'a)|(b')"),
        ExprError::BadCall { .. }
    ));
    assert!(matches!(err("if(age, 1, 2)"), ExprError::BadCall { .. }));
    assert!(matches!(err(&"(".repeat(1000)), ExprError::Syntax { .. }));
    assert!(matches!(
        err(&"f(".repeat(1000)),
        ExprError::UnknownFunction { .. }
    ));
    assert!(matches!(err(&"[".repeat(1000)), ExprError::Syntax { .. }));
}

#[test]
fn printing_then_parsing_gives_the_same_tree() {
    let s = scope();
    for src in [
        "1 + 2 * -3 >= age",
        "not (visited = 'a' or age != 3) and true",
        "weight / 2.5 < 1",
        "visited in ['1', \"it's\"] and selected(aids, '6')",
        "years(born, reference_date()) >= 18 and matches(id_no, '[0-9]{17}[0-9X]')",
        "if(count(aids) > 0, substr(id_no, 0, 6), null) = '110105'",
    ] {
        let expr = compile(src, &s, Allowed::default()).expect("compiles");
        let printed = expr.display(&s).to_string();
        let again = compile(&printed, &s, Allowed::default()).expect("reparses");
        assert_eq!(expr.root, again.root, "{src} printed as {printed}");
    }
}

#[test]
fn long_chains_print_flat_enough_to_parse_again() {
    // Found by the fuzzer: a chain of 100 subtractions printed fully parenthesised nested
    // deeper than the parser allows.
    let s = Fields(vec![("x", Type::Integer)]);
    for src in [
        vec!["x"; 100].join(" - "),
        format!("{}1", "-".repeat(20)),
        vec!["x > 1"; 60].join(" and "),
        format!("{}true", "not ".repeat(20)),
        "100000000000000000000000.0 + 0.000001".to_string(),
    ] {
        let expr = compile(&src, &s, Allowed::default()).unwrap_or_else(|e| panic!("{src}: {e}"));
        let printed = expr.display(&s).to_string();
        let again =
            compile(&printed, &s, Allowed::default()).unwrap_or_else(|e| panic!("{printed}: {e}"));
        assert_eq!(expr.root, again.root, "{src} printed as {printed}");
    }
}

#[test]
fn the_step_budget_stops_evaluation() {
    let src = vec!["age"; 200].join(" + ");
    let expr = compile(&src, &scope(), Allowed::default()).expect("compiles");
    let answers = Row(vec![Value::Integer(1)]);
    let env = Env {
        answers: &answers,
        current: &Value::Null,
        context: &Context::default(),
        option: None,
    };
    assert_eq!(
        expr.eval(&env, 50),
        Err(EvalError::BudgetExceeded { budget: 50 })
    );
    assert_eq!(expr.eval(&env, 1000), Ok(Value::Integer(200)));
}
