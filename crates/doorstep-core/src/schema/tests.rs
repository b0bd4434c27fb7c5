//! Tests of loading forms: the demo form, and each kind of mistake a form can have.

use super::*;

const DEMO: &str = include_str!("../../../../schemas/demo.json");

fn minimal(fields: serde_json::Value) -> String {
    serde_json::json!({
        "id": "t", "version": "1", "title": {"zh-CN": "测试"},
        "choices": {"yes_no": [
            {"code": "1", "label": {"zh-CN": "是"}},
            {"code": "2", "label": {"zh-CN": "否"}}
        ]},
        "sections": [{"id": "s", "title": {"zh-CN": "节"}, "fields": fields}]
    })
    .to_string()
}

fn field(id: &str, ty: &str) -> serde_json::Value {
    serde_json::json!({"id": id, "type": ty, "label": {"zh-CN": id}})
}

#[test]
fn the_demo_form_loads() {
    let form = Form::from_json(DEMO).expect("demo form loads");
    assert_eq!(form.def.id, "demo");
    assert!(form.fields.len() >= 4);
    assert!(form.fields.iter().any(|f| !f.relevant.is_empty()));
}

/// The demo form with one field's type misspelt, and the line of the misspelling.
fn misspelt_type() -> (String, usize) {
    let text = DEMO.replacen("\"integer\"", "\"integr\"", 1);
    let line = text
        .lines()
        .position(|l| l.contains("\"integr\""))
        .expect("replaced")
        + 1;
    (text, line)
}

#[cfg(feature = "json-paths")]
#[test]
fn a_wrong_type_names_its_path_and_line() {
    let (text, line) = misspelt_type();
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

/// The app's build: no path, and the message starts with the line.
#[cfg(not(feature = "json-paths"))]
#[test]
fn without_paths_a_wrong_type_names_its_line() {
    let (text, line) = misspelt_type();
    let error = Form::from_json(&text).expect_err("misspelt");
    match &error {
        SchemaError::Malformed {
            path,
            line: l,
            message,
            ..
        } => {
            assert_eq!(path, "");
            assert_eq!(*l, line);
            assert!(message.contains("integr"), "{message}");
        }
        other => panic!("expected a malformed error, got {other:?}"),
    }
    assert!(
        error
            .to_string()
            .starts_with(&format!("line {line}, column ")),
        "{error}"
    );
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
            assert_eq!(field, "reason");
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
    let mut choice = field("c", "single_choice");
    choice["choices"] = "nope".into();
    assert!(matches!(
        Form::from_json(&minimal(serde_json::json!([choice]))),
        Err(SchemaError::Invalid { .. })
    ));
    let mut calc = field("c", "text");
    calc["calculate"] = "1".into();
    assert!(matches!(
        Form::from_json(&minimal(serde_json::json!([calc]))),
        Err(SchemaError::Invalid { .. })
    ));
}

#[test]
fn calculated_fields_get_their_types_in_any_order() {
    let mut age = field("age", "calculated");
    age["calculate"] = "years(birth, reference_date())".into();
    let mut birth = field("birth", "calculated");
    birth["calculate"] = "id_birth(id_no)".into();
    let mut adult = field("adult", "calculated");
    adult["calculate"] = "age >= 18".into();
    let form = Form::from_json(&minimal(serde_json::json!([
        age,
        adult,
        birth,
        field("id_no", "text")
    ])))
    .expect("loads");
    assert_eq!(
        form.field_by_id("age").map(|f| f.value_type),
        Some(Type::Integer)
    );
    assert_eq!(
        form.field_by_id("birth").map(|f| f.value_type),
        Some(Type::Date)
    );
    assert_eq!(
        form.field_by_id("adult").map(|f| f.value_type),
        Some(Type::Bool)
    );
    let position = |id: &str| {
        form.evaluation_order
            .iter()
            .position(|&i| form.fields[i].def.id == id)
    };
    assert!(position("id_no") < position("birth"));
    assert!(position("birth") < position("age"));
    assert!(position("age") < position("adult"));
}

#[test]
fn a_cycle_among_calculations_names_its_fields() {
    let mut a = field("a", "calculated");
    a["calculate"] = "b + 1".into();
    let mut b = field("b", "calculated");
    b["calculate"] = "a + 1".into();
    match Form::from_json(&minimal(serde_json::json!([a, b, field("c", "integer")]))) {
        Err(SchemaError::Cycle { fields }) => {
            assert_eq!(fields, vec!["a".to_string(), "b".to_string()])
        }
        other => panic!("expected a cycle, got {other:?}"),
    }
    let mut x = field("x", "integer");
    x["relevant"] = "y > 1".into();
    let mut y = field("y", "integer");
    y["relevant"] = "x > 1".into();
    assert!(matches!(
        Form::from_json(&minimal(serde_json::json!([x, y]))),
        Err(SchemaError::Cycle { .. })
    ));
}

#[test]
fn option_filters_see_option_attributes() {
    let mut aid = field("aid", "multiple_choice");
    aid["options"] = serde_json::json!([
        {"code": "1", "label": {"zh-CN": "盲杖"}, "attributes": {"categories": ["1"]}},
        {"code": "9", "label": {"zh-CN": "无"}, "exclusive": true, "attributes": {"categories": ["1", "4"]}}
    ]);
    aid["choice_filter"] = "category in @categories".into();
    let form = Form::from_json(&minimal(serde_json::json!([
        field("category", "text"),
        aid.clone()
    ])))
    .expect("loads");
    assert!(form
        .field_by_id("aid")
        .and_then(|f| f.choice_filter.as_ref())
        .is_some());
    aid["choice_filter"] = "category in @kinds".into();
    let err = Form::from_json(&minimal(serde_json::json!([
        field("category", "text"),
        aid
    ])))
    .expect_err("unknown attribute");
    assert!(err.to_string().contains("kinds"), "{err}");
}

#[test]
fn shared_choice_lists_are_resolved() {
    let mut q = field("q", "single_choice");
    q["choices"] = "yes_no".into();
    let form = Form::from_json(&minimal(serde_json::json!([q]))).expect("loads");
    assert_eq!(form.fields[0].options.len(), 2);
}

#[test]
fn the_published_json_schema_is_current() {
    let published: Json =
        serde_json::from_str(include_str!("../../../../schemas/form.schema.json"))
            .expect("schemas/form.schema.json is JSON");
    assert!(
        published == json_schema(),
        "schemas/form.schema.json is out of date: run `cargo run -p doorstep-server -- form-schema > schemas/form.schema.json`"
    );
}

#[test]
fn defaults_come_from_the_context_and_skip_what_comes_to_nothing() {
    let form = Form::from_json(&minimal(serde_json::json!([
        {"id": "year", "type": "integer", "label": {"zh-CN": "年度"}, "default": "year(reference_date())"},
        {"id": "method", "type": "single_choice", "label": {"zh-CN": "方式"}, "choices": "yes_no", "default": "'1'"},
        {"id": "who", "type": "text", "label": {"zh-CN": "采集员"}, "default": "collector()"},
        {"id": "when", "type": "date", "label": {"zh-CN": "日期"}, "default": "today()"},
        field("other", "text")
    ])))
    .expect("loads");
    let today = expr::parse_date("2026-10-02");
    let context = expr::Context {
        today,
        reference_date: expr::parse_date("2026-09-30"),
        collector: Some("王五".into()),
        ..expr::Context::default()
    };
    let defaults = form.defaults(&context);
    assert_eq!(
        serde_json::to_value(&defaults).expect("json"),
        serde_json::json!({"year": 2026, "method": "1", "who": "王五", "when": "2026-10-02"})
    );
    // Without a collector or a clock, those defaults are simply absent.
    let bare = form.defaults(&expr::Context::default());
    assert_eq!(bare.keys().collect::<Vec<_>>(), vec!["method"]);
}

#[test]
fn a_text_question_gets_the_keypad_its_error_checks_allow() {
    let check = |expr: &str, severity: &str| serde_json::json!([{"expr": expr, "code": "c", "message": {"zh-CN": "错"}, "severity": severity}]);
    let mut mobile = field("mobile", "text");
    mobile["constraints"] = check("matches(., '1[3-9][0-9]{9}')", "error");
    let mut landline = field("landline", "text");
    landline["constraints"] = check(
        "mobile != null and matches(., '0[0-9]{2,3}-[0-9]{7,8}')",
        "error",
    );
    let mut certificate = field("certificate", "text");
    certificate["constraints"] = check("matches(., '[0-9]{17}[0-9Xx][0-9]{2}')", "error");
    // A warning may be confirmed with any answer, so it pins nothing down.
    let mut warned = field("warned", "text");
    warned["constraints"] = check("matches(., '[0-9]+')", "warning");
    // Either of two shapes: not every answer is digits.
    let mut either = field("either", "text");
    either["constraints"] = check("matches(., '[0-9]+') or . = 'none'", "error");
    let fields = serde_json::json!([mobile, landline, certificate, warned, either]);
    let form = Form::from_json(&minimal(fields)).expect("form loads");
    let keypads: Vec<_> = form.fields.iter().map(|f| f.keypad).collect();
    assert_eq!(
        keypads,
        [
            Some(Keypad::Numeric),
            Some(Keypad::Telephone),
            None,
            None,
            None
        ]
    );
}

#[test]
fn an_upper_case_question_keeps_its_letters_in_capitals() {
    let form = Form::from_json(&minimal(serde_json::json!([
        {"id": "id_no", "type": "text", "label": {"zh-CN": "身份证号"}, "upper_case": true},
        {"id": "name", "type": "text", "label": {"zh-CN": "姓名"}}
    ])))
    .expect("loads");
    assert_eq!(
        form.normalised("id_no", serde_json::json!("11010519491231002x")),
        serde_json::json!("11010519491231002X")
    );
    assert_eq!(
        form.normalised("name", serde_json::json!("abc")),
        serde_json::json!("abc")
    );
    assert_eq!(
        form.normalised("id_no", serde_json::Value::Null),
        serde_json::Value::Null
    );
    // Not in a repeat group, whose answers are one list.
    let grouped = serde_json::json!({
        "id": "t", "version": "1", "title": {"zh-CN": "测试"},
        "sections": [{"id": "members", "title": {"zh-CN": "成员"}, "repeat": {"min": 0, "max": 5},
            "fields": [{"id": "member_id", "type": "text", "label": {"zh-CN": "身份证号"}, "upper_case": true}]}]
    });
    match Form::from_json(&grouped.to_string()) {
        Err(e) => assert!(e.to_string().contains("repeat group"), "{e}"),
        Ok(_) => panic!("upper_case was allowed in a repeat group"),
    }
    // Only text has letters to keep in capitals.
    match Form::from_json(&minimal(serde_json::json!([
        {"id": "n", "type": "integer", "label": {"zh-CN": "数"}, "upper_case": true}
    ]))) {
        Err(e) => assert!(e.to_string().contains("upper_case"), "{e}"),
        Ok(_) => panic!("an integer field was allowed upper_case"),
    }
}

/// A form of one record per person, keyed by `cert`, with these extra record properties.
fn person_form(record: serde_json::Value) -> String {
    let mut form: Json = serde_json::from_str(&minimal(serde_json::json!([
        field("cert", "text"),
        field("village", "region")
    ])))
    .expect("minimal form");
    let mut def = serde_json::json!({"unit": "person", "key": "cert", "region": "village"});
    if let (Some(def), Some(extra)) = (def.as_object_mut(), record.as_object()) {
        def.extend(extra.clone());
    }
    form["record"] = def;
    form.to_string()
}

#[test]
fn a_key_prefix_names_the_person_whatever_follows_it() {
    let form = Form::from_json(&person_form(serde_json::json!({"key_prefix": 18}))).expect("form");
    let def = form.def.record.as_ref().expect("record");
    // A certificate reissued with another category or level; the X typed in either case.
    assert_eq!(def.key_stem(" 33011019800101001X11 "), "33011019800101001X");
    assert!(def.same_person("33011019800101001X11", "33011019800101001x42"));
    assert!(!def.same_person("33011019800101001X11", "33011019800101002X11"));
    // A key shorter than the prefix is compared whole.
    assert!(!def.same_person("3301", "33011"));
    assert!(!def.same_person("3301", "33011019800101001X11"));
    // Without a prefix the whole key names the person.
    let whole = Form::from_json(&person_form(serde_json::json!({}))).expect("form");
    let def = whole.def.record.as_ref().expect("record");
    assert!(def.same_person("33011019800101001x11", "33011019800101001X11"));
    assert!(!def.same_person("33011019800101001X11", "33011019800101001X12"));
}

#[test]
fn a_key_prefix_is_refused_when_it_names_nothing() {
    let invalid_at = |record: serde_json::Value| match Form::from_json(&person_form(record)) {
        Err(SchemaError::Invalid { place, .. }) => place,
        other => panic!("expected an invalid form, got {other:?}"),
    };
    assert_eq!(
        invalid_at(serde_json::json!({"key_prefix": 0})),
        "record.key_prefix"
    );
    assert_eq!(
        invalid_at(serde_json::json!({"unit": "village", "key_prefix": 18})),
        "record.key_prefix"
    );
}

#[test]
fn a_read_only_question_needs_a_default() {
    let form = Form::from_json(&minimal(serde_json::json!([
        {"id": "year", "type": "integer", "label": {"zh-CN": "调查年度"},
            "default": "year(reference_date())", "read_only": true},
        {"id": "name", "type": "text", "label": {"zh-CN": "姓名"}}
    ])))
    .expect("loads");
    assert!(form.field_by_id("year").is_some_and(|f| f.def.read_only));
    assert!(form.field_by_id("name").is_some_and(|f| !f.def.read_only));
    match Form::from_json(&minimal(serde_json::json!([
        {"id": "year", "type": "integer", "label": {"zh-CN": "调查年度"}, "read_only": true}
    ]))) {
        Err(e) => assert!(e.to_string().contains("read_only"), "{e}"),
        Ok(_) => panic!("a read-only field without a default was allowed"),
    }
}

#[test]
fn a_messages_values_are_checked_with_the_form() {
    let with_message = |zh: &str| {
        let mut count = field("count", "integer");
        count["constraints"] = serde_json::json!([
            {"expr": ". <= 10", "code": "over", "message": {"zh-CN": zh, "en": "over"}}
        ]);
        Form::from_json(&minimal(serde_json::json!([
            field("limit", "integer"),
            count
        ])))
    };
    let form = with_message("超过上限 {limit}").expect("a message naming a field loads");
    let count = &form.fields[1];
    assert!(count.constraint_messages[0].is_some());
    assert_eq!(count.depends_on, vec![0], "the message reads `limit`");
    // A message with no braces is shown as written, with nothing to evaluate.
    let plain = with_message("超过上限").expect("loads");
    assert_eq!(plain.fields[1].constraint_messages, vec![None]);
    assert!(plain.fields[1].depends_on.is_empty());

    let err = with_message("超过上限 {limt}").expect_err("an unknown field");
    assert!(
        matches!(&err, SchemaError::Expression { field, property, expr, .. }
            if field == "count" && property == "constraints[0].message.zh-CN" && expr == "limt"),
        "{err:?}"
    );
    // A message naming a value worked out from its own field is a cycle, refused as such.
    let mut count = field("count", "integer");
    count["constraints"] = serde_json::json!([
        {"expr": ". <= 10", "code": "over", "message": {"zh-CN": "两倍为 {double}"}}
    ]);
    let mut double = field("double", "calculated");
    double["calculate"] = "count * 2".into();
    let err = Form::from_json(&minimal(serde_json::json!([count, double])))
        .expect_err("a cycle through a message");
    assert!(matches!(&err, SchemaError::Cycle { fields } if fields.contains(&"count".to_string())));
    assert!(
        err.to_string()
            .contains("the values their checks' messages name"),
        "{err}"
    );
    let err = with_message("超过 {count}").expect_err("its own field by name");
    assert!(
        err.to_string().starts_with(
            "field `count`, constraints[0].message.zh-CN `count`: refers to its own field"
        ),
        "{err}"
    );
    let err = with_message("超过上限 {limit").expect_err("an unclosed brace");
    assert_eq!(
        err.to_string(),
        "field `count`, constraints[0].message.zh-CN: the `{` at character 6 is not closed (write `{{` for a brace)"
    );
}
