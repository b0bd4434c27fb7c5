//! Benchmarks of the form engine: loading a form, evaluating a whole record, and the
//! incremental update after one answer changes.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use doorstep_core::{Answers, Context, Evaluation, Form};
use serde_json::{json, Value as Json};

/// A form of `n` integer questions: every fourth is asked only when the one before is above 5,
/// every tenth is calculated from the two before it, and every answer has a range check.
fn generated_form(n: usize) -> String {
    let fields: Vec<Json> = (0..n)
        .map(|i| {
            let id = format!("f{i}");
            if i >= 2 && i % 10 == 0 {
                return json!({"id": id, "type": "calculated", "label": {"zh-CN": id},
                              "calculate": format!("f{} + f{}", i - 1, i - 2)});
            }
            let mut field = json!({"id": id, "type": "integer", "label": {"zh-CN": id}, "required": true,
                "constraints": [{"expr": ". >= 0 and . <= 100", "code": "range", "message": {"zh-CN": "范围"}}]});
            if i > 0 && i % 4 == 0 {
                field["relevant"] = json!(format!("f{} > 5", i - 1));
            }
            field
        })
        .collect();
    json!({"id": "bench", "version": "1", "title": {"zh-CN": "基准"},
           "sections": [{"id": "s", "title": {"zh-CN": "节"}, "fields": fields}]})
    .to_string()
}

fn answers(n: usize) -> Answers {
    (0..n)
        .filter(|i| !(i >= &2 && i % 10 == 0))
        .map(|i| (format!("f{i}"), json!(i % 50)))
        .collect()
}

/// The survey's individual form with a complete record from its fixtures, checked against
/// the committed county's villages.
fn individual(c: &mut Criterion) {
    let text = include_str!("../../../schemas/individual.json");
    c.bench_function("load individual form", |b| {
        b.iter(|| Form::from_json(black_box(text)))
    });
    let form = Form::from_json(text).expect("individual form loads");
    let fixtures: Json = serde_json::from_str(include_str!("../../../tests/forms/individual.json"))
        .expect("fixtures");
    let record: Answers =
        serde_json::from_value(fixtures["bases"]["default"].clone()).expect("a base record");
    let lists = serde_json::from_str(include_str!("../../../schemas/regions/330110.json"))
        .expect("region list");
    let context = Context {
        today: doorstep_core::expr::parse_date("2026-10-05"),
        area: Some(std::sync::Arc::new(doorstep_core::Area::new(vec![lists]))),
        ..Context::default()
    };
    c.bench_function("evaluate individual record", |b| {
        b.iter(|| Evaluation::new(&form, black_box(&record), context.clone()))
    });
    // The certificate number is what most of the form depends on (age, category, level).
    let mut evaluation = Evaluation::new(&form, &record, context.clone());
    let cert = record["cert_no"].clone();
    let mut flip = false;
    c.bench_function(
        "change the certificate number of an individual record",
        |b| {
            b.iter(|| {
                flip = !flip;
                let value = if flip {
                    json!("33011020160412035X41")
                } else {
                    cert.clone()
                };
                evaluation.set(&form, "cert_no", value)
            })
        },
    );
}

fn benches(c: &mut Criterion) {
    let demo = include_str!("../../../schemas/demo.json");
    c.bench_function("load demo form", |b| {
        b.iter(|| Form::from_json(black_box(demo)))
    });
    for n in [100, 1000] {
        let text = generated_form(n);
        let form = Form::from_json(&text).expect("generated form loads");
        let record = answers(n);
        c.bench_function(&format!("load {n}-field form"), |b| {
            b.iter(|| Form::from_json(black_box(&text)))
        });
        c.bench_function(&format!("evaluate {n}-field record"), |b| {
            b.iter(|| Evaluation::new(&form, black_box(&record), Context::default()))
        });
        let mut evaluation = Evaluation::new(&form, &record, Context::default());
        let mut flip = false;
        c.bench_function(&format!("change one answer of {n} (3 dependents)"), |b| {
            b.iter(|| {
                flip = !flip;
                evaluation.set(&form, "f3", json!(if flip { 2 } else { 9 }))
            })
        });
    }
}

criterion_group!(engine, benches, individual);
criterion_main!(engine);
