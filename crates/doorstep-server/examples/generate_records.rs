//! Generates plausible records for a form, as JSON lines `doorstep check` reads, to measure
//! how fast records are checked: `cargo run --release -p doorstep-server --example
//! generate_records -- schemas/individual.json 10000 > records.jsonl`.
//!
//! Every question that is asked gets an answer: a random offered option, a number, a date in
//! the survey's collection window, or a text. Text fields the survey's forms check closely
//! (names, certificate and ID numbers, phone numbers) get well-formed values by field id;
//! a few records get a mistake on purpose, so the checker has errors to report too.

use std::path::PathBuf;

use doorstep_core::schema::FieldType;
use doorstep_core::{Context, Evaluation};
use serde_json::{json, Value as Json};

/// A small deterministic generator (xorshift64*), so runs are repeatable without a crate.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// A valid 18-character ID number for a birth date and sex digit.
fn id_number(random: &mut Random, year: u64, month: u64, day: u64) -> String {
    let body = format!("330110{year:04}{month:02}{day:02}{:03}", random.below(1000));
    let sum: u32 = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

fn text_answer(random: &mut Random, id: &str, n: usize) -> Json {
    const SURNAMES: [&str; 8] = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄"];
    const GIVEN: [&str; 8] = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇"];
    let name = |r: &mut Random| {
        format!(
            "{}{}{}",
            SURNAMES[r.below(8) as usize],
            GIVEN[r.below(8) as usize],
            GIVEN[r.below(8) as usize]
        )
    };
    match id {
        "name" | "guardian_name" | "head_name" | "collector" | "filled_by" | "liaison_name" => {
            json!(name(random))
        }
        "cert_no" => {
            let year = 1930 + random.below(90);
            let (month, day) = (1 + random.below(12), 1 + random.below(28));
            let id = id_number(random, year, month, day);
            // One record in fifty has a wrong check character.
            let id = if n % 50 == 7 {
                let last = if id.ends_with('0') { '1' } else { '0' };
                format!("{}{last}", &id[..17])
            } else {
                id
            };
            json!(format!(
                "{id}{}{}",
                1 + random.below(7),
                1 + random.below(4)
            ))
        }
        "head_id_no" => json!(id_number(random, 1960, 3, 3)),
        "phone_mobile" | "liaison_phone" => json!(format!("13{:09}", random.below(1_000_000_000))),
        "phone_fixed" => json!(format!("0571-{:08}", random.below(100_000_000))),
        _ => json!("情况已核实"),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(form_path), Some(count)) = (args.next(), args.next()) else {
        eprintln!("usage: generate_records FORM.json COUNT [SEED]");
        std::process::exit(2);
    };
    let form_path = PathBuf::from(form_path);
    let count: usize = count.parse().unwrap_or_else(|_| {
        eprintln!("COUNT must be a number");
        std::process::exit(2)
    });
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(42);
    let form = doorstep_server::forms::load_form(&form_path).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let forms_dir = form_path.parent().unwrap_or(std::path::Path::new("."));
    let area = doorstep_server::forms::load_area(&[], forms_dir)
        .unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(2)
        })
        .map(std::sync::Arc::new);
    let villages: Vec<String> = area
        .iter()
        .flat_map(|a| a.towns())
        .flat_map(|t| t.villages.iter().map(|v| v.code.clone()))
        .collect();
    let context = Context {
        today: doorstep_core::expr::parse_date("2026-10-05"),
        area,
        ..Context::default()
    };
    let mut random = Random(seed | 1);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for n in 0..count {
        let mut evaluation = Evaluation::new(&form, &form.defaults(&context), context.clone());
        for &i in &form.evaluation_order {
            let field = &form.fields[i];
            let Some(state) = evaluation.state(i) else {
                continue;
            };
            if !state.relevant
                || field.repeat.is_some()
                || matches!(
                    field.def.field_type,
                    FieldType::Calculated | FieldType::Repeat
                )
            {
                continue;
            }
            let offered: Vec<&doorstep_core::schema::ChoiceOption> = field
                .options
                .iter()
                .enumerate()
                .filter(|(k, _)| {
                    state
                        .offered
                        .as_ref()
                        .is_none_or(|o| o.get(*k).copied().unwrap_or(true))
                })
                .map(|(_, o)| o)
                .collect();
            let answer = match field.def.field_type {
                FieldType::SingleChoice if !offered.is_empty() => {
                    // Mostly the first option (正常, 入户调查), so most records are ordinary.
                    let k = if random.below(4) == 0 {
                        random.below(offered.len() as u64) as usize
                    } else {
                        0
                    };
                    json!(offered[k].code)
                }
                FieldType::MultipleChoice if !offered.is_empty() => {
                    json!([offered[random.below(offered.len() as u64) as usize].code])
                }
                FieldType::Integer if field.def.id == "survey_year" => json!(2026),
                FieldType::Integer => json!(random.below(50)),
                FieldType::Decimal => json!(random.below(1000) as f64 / 10.0),
                FieldType::Date => json!(format!("2026-10-{:02}", 1 + random.below(5))),
                FieldType::Region if !villages.is_empty() => {
                    json!(villages[random.below(villages.len() as u64) as usize])
                }
                FieldType::Text | FieldType::Region => text_answer(&mut random, &field.def.id, n),
                _ => continue,
            };
            if evaluation
                .state(i)
                .is_some_and(|s| s.value.to_answer().is_null())
            {
                evaluation.set(&form, &field.def.id, answer);
            }
        }
        let answers = evaluation.completed_answers(&form);
        let line = json!({"form": form.def.id, "id": n, "answers": answers});
        use std::io::Write;
        if writeln!(out, "{line}").is_err() {
            std::process::exit(1);
        }
    }
}
