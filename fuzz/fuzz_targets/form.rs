//! Fuzzes the form loader and the evaluation of a record against what it loads.
#![no_main]

use doorstep_core::{Context, Evaluation, Form};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Input: a form, optionally followed by a line `---` and a record's answers.
    let (form_text, answers_text) = text.split_once("\n---\n").unwrap_or((text, "{}"));
    if let Ok(form) = Form::from_json(form_text) {
        if let Ok(answers) = serde_json::from_str(answers_text) {
            let evaluation = Evaluation::new(&form, &answers, Context::default());
            let _ = evaluation.report(&form);
            let _ = evaluation.completed_answers(&form);
        }
    }
});
