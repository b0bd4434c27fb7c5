//! Tests of validation and of incremental evaluation.

use super::*;
use serde_json::json;

fn demo() -> Form {
    Form::from_json(include_str!("../../../../schemas/demo.json")).expect("demo loads")
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

fn check(form: &Form, value: Json) -> Vec<(String, String)> {
    codes(&validate(form, &answers(value), Context::default()))
}

#[test]
fn a_complete_record_has_no_issues() {
    assert_eq!(
        check(&demo(), json!({"name": "张三", "visited": "1", "age": 40})),
        vec![]
    );
}

#[test]
fn required_questions_are_reported_only_when_asked() {
    let form = demo();
    assert_eq!(
        check(&form, json!({"visited": "1"})),
        vec![
            ("name".into(), "required".into()),
            ("age".into(), "required".into())
        ]
    );
    assert_eq!(
        check(&form, json!({"name": "李四", "visited": "2", "age": 3})),
        vec![("reason".into(), "required".into())]
    );
    assert_eq!(
        check(
            &form,
            json!({"name": " ", "visited": "2", "reason": "", "age": 3})
        ),
        vec![
            ("name".into(), "required".into()),
            ("reason".into(), "required".into())
        ]
    );
}

#[test]
fn range_type_option_and_unknown_field_checks() {
    let form = demo();
    let report = validate(
        &form,
        &answers(json!({"name": 5, "visited": "9", "age": 121, "colour": "red"})),
        Context::default(),
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
    assert_eq!(
        check(&form, json!({"name": "王五", "visited": "1", "age": "12"})),
        vec![("age".into(), "wrong_type".into())]
    );
}

#[test]
fn completing_drops_answers_of_questions_not_asked() {
    let kept = relevant_answers(
        &demo(),
        &answers(json!({"name": "赵六", "visited": "1", "reason": "外出", "age": 50})),
        Context::default(),
    );
    assert_eq!(
        kept,
        answers(json!({"name": "赵六", "visited": "1", "age": 50}))
    );
}

/// A form with calculations, a filtered multiple choice with an exclusive option, dates and
/// a warning, used by the tests below.
fn rich() -> Form {
    Form::from_json(
        &json!({
            "id": "rich", "version": "1", "title": {"zh-CN": "测试"},
            "reference_date": "2026-09-30",
            "sections": [{"id": "s", "title": {"zh-CN": "节"}, "fields": [
                {"id": "cert_no", "type": "text", "label": {"zh-CN": "证号"}, "required": true,
                 "constraints": [{"expr": "id_valid(substr(., 0, 18))", "code": "cert_check",
                                  "message": {"zh-CN": "证号校验位错误", "en": "bad check character"}}]},
                {"id": "birth", "type": "calculated", "label": {"zh-CN": "出生日期"},
                 "calculate": "id_birth(cert_no)"},
                {"id": "age", "type": "calculated", "label": {"zh-CN": "年龄"},
                 "calculate": "years(birth, reference_date())"},
                {"id": "category", "type": "calculated", "label": {"zh-CN": "类别"},
                 "calculate": "substr(cert_no, 18, 1)"},
                {"id": "married", "type": "single_choice", "label": {"zh-CN": "婚姻"},
                 "relevant": "age >= 20", "required": true,
                 "options": [{"code": "10", "label": {"zh-CN": "未婚"}}, {"code": "20", "label": {"zh-CN": "已婚"}}],
                 "constraints": [{"expr": "not (. = '20' and age < 22)", "code": "young_married",
                                  "severity": "warning", "message": {"zh-CN": "请核实"}}]},
                {"id": "aid", "type": "multiple_choice", "label": {"zh-CN": "辅具"},
                 "choice_filter": "category in @categories",
                 "options": [
                    {"code": "1", "label": {"zh-CN": "盲杖"}, "attributes": {"categories": ["1"]}},
                    {"code": "2", "label": {"zh-CN": "轮椅"}, "attributes": {"categories": ["4"]}},
                    {"code": "9", "label": {"zh-CN": "无", "en": "none"}, "exclusive": true,
                     "attributes": {"categories": ["1", "4"]}}
                 ]},
                {"id": "visit_date", "type": "date", "label": {"zh-CN": "日期"}},
                {"id": "weight", "type": "decimal", "label": {"zh-CN": "体重"}},
                {"id": "region", "type": "region", "label": {"zh-CN": "村"}}
            ]}]
        })
        .to_string(),
    )
    .expect("rich form loads")
}

// 11010519491231002X is the GB 11643 example: born 1949-12-31, female.
const CERT: &str = "11010519491231002X41";

#[test]
fn calculations_feed_relevance_filters_and_checks() {
    let form = rich();
    let eval = Evaluation::new(
        &form,
        &answers(json!({"cert_no": CERT})),
        Context::default(),
    );
    let value = |id: &str| {
        eval.state(form.field_index(id).expect("field"))
            .map(|s| s.value.clone())
    };
    assert_eq!(value("age"), Some(Value::Integer(76)));
    assert_eq!(value("category"), Some(Value::Text("4".into())));
    assert!(eval.is_relevant(form.field_index("married").expect("field")));
    let offered = eval
        .state(form.field_index("aid").expect("aid"))
        .and_then(|s| s.offered.clone());
    assert_eq!(offered, Some(vec![false, true, true]));
    assert_eq!(
        codes(&eval.report(&form)),
        vec![("married".into(), "required".into())]
    );
    let done = eval.completed_answers(&form);
    assert_eq!(done.get("birth"), Some(&json!("1949-12-31")));
    assert_eq!(done.get("age"), Some(&json!(76)));
}

#[test]
fn choice_rules_are_checked() {
    let form = rich();
    let base = |extra: Json| {
        let mut a = json!({"cert_no": CERT, "married": "10"});
        for (k, v) in extra.as_object().expect("object") {
            a[k] = v.clone();
        }
        check(&form, a)
    };
    assert_eq!(base(json!({"aid": ["2"]})), vec![]);
    assert_eq!(
        base(json!({"aid": ["1"]})),
        vec![("aid".into(), "option_not_offered".into())]
    );
    assert_eq!(
        base(json!({"aid": ["2", "9"]})),
        vec![("aid".into(), "exclusive".into())]
    );
    assert_eq!(
        base(json!({"aid": ["2", "2"]})),
        vec![("aid".into(), "repeated_option".into())]
    );
    assert_eq!(
        base(json!({"aid": ["7"]})),
        vec![("aid".into(), "unknown_option".into())]
    );
    assert_eq!(
        base(json!({"aid": "2"})),
        vec![("aid".into(), "wrong_type".into())]
    );
    assert_eq!(
        base(json!({"visit_date": "2026-02-30"})),
        vec![("visit_date".into(), "wrong_type".into())]
    );
    assert_eq!(
        base(json!({"visit_date": "2026-02-28", "weight": 61.5})),
        vec![]
    );
    assert_eq!(
        base(json!({"region": "33011010100"})),
        vec![("region".into(), "wrong_type".into())]
    );
    assert_eq!(base(json!({"region": "330110101001"})), vec![]);
}

#[test]
fn warnings_do_not_block() {
    let form = rich();
    // Born 2005-01-01, so 21 on the reference date: married at 21 is a warning.
    let young = "11010520050101001X41";
    let cert = format!("{}{}", &young[..17], check_char(&young[..17]));
    let report = validate(
        &form,
        &answers(json!({"cert_no": format!("{cert}41"), "married": "20"})),
        Context::default(),
    );
    assert_eq!(
        codes(&report),
        vec![("married".into(), "young_married".into())]
    );
    assert!(!report.has_errors());
    assert_eq!(report.warnings().count(), 1);
}

fn check_char(first17: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    "10X98765432"
        .chars()
        .nth((sum % 11) as usize)
        .unwrap_or('?')
}

#[test]
fn a_change_re_evaluates_only_its_dependents() {
    let form = rich();
    let mut eval = Evaluation::new(&form, &Answers::new(), Context::default());
    let names = |changes: &[Change]| -> Vec<String> {
        changes
            .iter()
            .map(|c| form.fields[c.field].def.id.clone())
            .collect()
    };
    let changes = eval
        .set(&form, "cert_no", json!(CERT))
        .expect("known field");
    assert_eq!(
        names(&changes),
        vec!["cert_no", "birth", "age", "category", "married", "aid"]
    );
    let married = changes
        .iter()
        .find(|c| form.fields[c.field].def.id == "married")
        .expect("married");
    assert!(married.relevant && married.required);
    let aid = changes
        .iter()
        .find(|c| form.fields[c.field].def.id == "aid")
        .expect("aid");
    assert!(aid.options && !aid.relevant);

    // A field nothing reads changes only itself.
    let changes = eval.set(&form, "weight", json!(60)).expect("known field");
    assert_eq!(names(&changes), vec!["weight"]);
    // The same answer again changes nothing but still reports the field.
    let changes = eval.set(&form, "weight", json!(60)).expect("known field");
    assert_eq!(changes.len(), 1);
    assert!(!changes[0].value);

    // The incremental state is exactly what a fresh evaluation gives.
    let all = answers(json!({"cert_no": CERT, "weight": 60}));
    assert_eq!(eval, Evaluation::new(&form, &all, Context::default()));
    assert!(
        eval.set(&form, "age", json!(3)).is_none(),
        "calculated fields are not set"
    );
    assert!(eval.set(&form, "nope", json!(3)).is_none());
}

#[test]
fn differences_name_exactly_the_fields_a_change_touched() {
    let form = rich();
    let before = Evaluation::new(&form, &Answers::new(), Context::default());
    let mut after = before.clone();
    let changes = after
        .set(&form, "cert_no", json!(CERT))
        .expect("known field");
    let differs = after.differences(&form, &before).expect("same form");
    let named: Vec<&str> = differs
        .iter()
        .enumerate()
        .filter(|(_, d)| **d)
        .map(|(i, _)| form.fields[i].def.id.as_str())
        .collect();
    // Every field whose answer or state changed, and nothing else: the set's own report, less
    // the fields it visited without changing them.
    let changed: Vec<&str> = changes
        .iter()
        .filter(|c| c.value || c.relevant || c.required || c.issues || c.options)
        .map(|c| form.fields[c.field].def.id.as_str())
        .collect();
    assert_eq!(named, changed);
    assert!(named.contains(&"cert_no") && named.contains(&"age"));
    assert_eq!(
        before.differences(&form, &before),
        Some(vec![false; form.fields.len()])
    );
    // An evaluation of another form has another shape.
    let other_form = demo();
    assert_ne!(other_form.fields.len(), form.fields.len());
    let other = Evaluation::new(&other_form, &Answers::new(), Context::default());
    assert_eq!(after.differences(&form, &other), None);
}

#[test]
fn incremental_and_fresh_evaluation_agree_on_any_sequence() {
    let form = rich();
    let steps = [
        ("cert_no", json!(CERT)),
        ("married", json!("20")),
        ("aid", json!(["9"])),
        ("cert_no", json!("11010520050101001")),
        ("aid", json!(["2", "9"])),
        ("cert_no", json!(CERT)),
        ("married", json!(null)),
        ("visit_date", json!("2026-10-01")),
        ("cert_no", json!("")),
    ];
    let mut eval = Evaluation::new(&form, &Answers::new(), Context::default());
    let mut all = Answers::new();
    for (field, value) in steps {
        eval.set(&form, field, value.clone()).expect("known field");
        if value.is_null() || value == json!("") {
            all.remove(field);
        } else {
            all.insert(field.to_string(), value);
        }
        assert_eq!(
            eval,
            Evaluation::new(&form, &all, Context::default()),
            "after {field}"
        );
    }
}

#[test]
fn a_change_outside_a_group_re_evaluates_its_instances() {
    let fixture: Json = serde_json::from_str(include_str!("../../tests/fixtures/repeats.json"))
        .expect("the repeat fixtures are JSON");
    let form = Form::from_json(&fixture["form"].to_string()).expect("the household form loads");
    let start = answers(
        json!({"household_size": 5, "members": [{"m_name": "张三", "m_birth": "1980-01-01", "m_note": "abcd"}]}),
    );
    let mut eval = Evaluation::new(&form, &start, Context::default());
    assert!(!eval.report(&form).has_errors());
    let changes = eval
        .set(&form, "household_size", json!(2))
        .expect("known field");
    let members = form.field_index("members").expect("group");
    let group = changes
        .iter()
        .find(|c| c.field == members)
        .expect("the group changed");
    assert!(group.issues);
    assert_eq!(
        codes(&eval.report(&form)),
        vec![("members[0].m_note".into(), "note_long".into())]
    );
    let mut all = start.clone();
    all.insert("household_size".into(), json!(2));
    assert_eq!(eval, Evaluation::new(&form, &all, Context::default()));

    // The group is answered as a whole; its members cannot be set one by one.
    assert!(eval.set(&form, "m_name", json!("x")).is_none());
    let changes = eval
        .set(&form, "members", json!([{"m_name": "张三", "m_birth": "1980-01-01"}, {"m_name": "李四", "m_birth": "2015-01-01"}]))
        .expect("group");
    assert!(changes.iter().any(|c| c.field == members && c.value));
    let instances = eval.instances(0);
    assert_eq!(instances.len(), 2);
    let school = form.repeats[0]
        .members
        .iter()
        .position(|&m| form.fields[m].def.id == "m_school")
        .expect("member");
    assert!(!instances[0].states[school].relevant);
    assert!(instances[1].states[school].relevant);
}

/// What an evaluation shows, leaving out how each answer was spelt.
fn observable(
    form: &Form,
    eval: &Evaluation,
) -> (Vec<FieldState>, Vec<Vec<Instance>>, Report, Answers) {
    (
        (0..form.fields.len())
            .filter_map(|i| eval.state(i).cloned())
            .collect(),
        (0..form.repeats.len())
            .map(|r| eval.instances(r).to_vec())
            .collect(),
        eval.report(form),
        eval.completed_answers(form),
    )
}

/// A form where rules read blank answers, group counts and calculations.
fn tricky() -> Form {
    Form::from_json(
        &json!({
            "id": "tricky", "version": "1", "title": {"zh-CN": "t"},
            "sections": [
                {"id": "s", "title": {"zh-CN": "s"}, "fields": [
                    {"id": "name", "type": "text", "label": {"zh-CN": "n"}, "required": true},
                    {"id": "named", "type": "text", "label": {"zh-CN": "d"}, "relevant": "name != null", "required": true,
                     "constraints": [{"expr": ". = 'y'", "code": "y", "message": {"zh-CN": "{picked} {picks}"}}]},
                    {"id": "picks", "type": "multiple_choice", "label": {"zh-CN": "p"},
                     "options": [{"code": "1", "label": {"zh-CN": "1"}}, {"code": "2", "label": {"zh-CN": "2"}}]},
                    {"id": "picked", "type": "calculated", "label": {"zh-CN": "c"}, "calculate": "picks != null"}
                ]},
                {"id": "members", "title": {"zh-CN": "m"}, "repeat": {"max": 3}, "fields": [
                    {"id": "m_name", "type": "text", "label": {"zh-CN": "m"}, "required": true,
                     "constraints": [{"expr": ". != 'a'", "code": "not_a", "message": {"zh-CN": "{name}：{.}"}}]},
                    {"id": "m_more", "type": "text", "label": {"zh-CN": "x"}, "relevant": "members >= 2", "required": true}
                ]}
            ]
        })
        .to_string(),
    )
    .expect("tricky form loads")
}

mod differential {
    use super::*;
    use proptest::prelude::*;

    fn step() -> impl Strategy<Value = (&'static str, Json)> {
        prop_oneof![
            Just(("name", json!("张三"))),
            Just(("name", json!("  "))),
            Just(("name", json!(""))),
            Just(("name", json!(null))),
            Just(("named", json!("x"))),
            Just(("picks", json!(["1"]))),
            Just(("picks", json!([]))),
            Just(("picks", json!(["1", "2"]))),
            Just(("members", json!([{"m_name": "a"}]))),
            Just((
                "members",
                json!([{"m_name": "a"}, {"m_name": " ", "m_more": "y"}])
            )),
            Just(("members", json!(null))),
            Just(("members", json!([]))),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Whatever the order of changes, keeping the evaluation current one answer at a time
        /// shows exactly what evaluating the record afresh shows.
        #[test]
        fn incremental_equals_fresh(steps in proptest::collection::vec(step(), 1..12)) {
            let form = tricky();
            let mut eval = Evaluation::new(&form, &Answers::new(), Context::default());
            let mut record = crate::Record::new("r".into(), &form, 0);
            for (field, value) in steps {
                eval.set(&form, field, value.clone()).expect("settable field");
                record.set_answer(field, value, 1).expect("draft");
                let fresh = Evaluation::new(&form, &record.answers, Context::default());
                prop_assert_eq!(observable(&form, &eval), observable(&form, &fresh), "after {}", field);
            }
        }
    }
}

#[test]
fn a_message_names_the_values_it_holds_as_the_answers_stand() {
    let form = Form::from_json(
        &json!({
            "id": "m", "version": "1", "title": {"zh-CN": "测试"},
            "sections": [{"id": "s", "title": {"zh-CN": "节"}, "fields": [
                {"id": "limit", "type": "integer", "label": {"zh-CN": "上限"}},
                {"id": "count", "type": "integer", "label": {"zh-CN": "人数"},
                 "constraints": [{"expr": ". <= 10", "code": "over",
                                  "message": {"zh-CN": "{.} 超过 10（上限 {limit}），{{请核实}}",
                                              "en": "{.} is over 10 (limit {limit})"}}]}
            ]}]
        })
        .to_string(),
    )
    .expect("the form loads");
    let message = |eval: &Evaluation, locale: &str| -> Vec<String> {
        eval.report(&form)
            .issues
            .iter()
            .map(|i| i.message.get(locale).to_string())
            .collect()
    };
    let mut eval = Evaluation::new(&form, &answers(json!({"count": 12})), Context::default());
    assert_eq!(
        message(&eval, "zh-CN"),
        vec!["12 超过 10（上限 —），{请核实}"]
    );
    assert_eq!(message(&eval, "en"), vec!["12 is over 10 (limit —)"]);
    // The message reads `limit`, which the check does not: a change to it is a change to
    // the message, incrementally as afresh.
    let changes = eval.set(&form, "limit", json!(20)).expect("known field");
    assert!(changes
        .iter()
        .any(|c| form.fields[c.field].def.id == "count" && c.issues));
    assert_eq!(
        message(&eval, "zh-CN"),
        vec!["12 超过 10（上限 20），{请核实}"]
    );
    let all = answers(json!({"count": 12, "limit": 20}));
    assert_eq!(eval, Evaluation::new(&form, &all, Context::default()));
    eval.set(&form, "count", json!(15)).expect("known field");
    assert_eq!(message(&eval, "en"), vec!["15 is over 10 (limit 20)"]);
}
