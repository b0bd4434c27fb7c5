//! Every form shipped in `schemas/` loads, and is valid against the published JSON Schema of
//! the format, so editors and other tools can rely on that schema.

use std::path::Path;

use doorstep_server::forms::FormRegistry;

fn schemas_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas")
}

#[test]
fn shipped_forms_load_and_match_the_published_json_schema() {
    let dir = schemas_dir();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("form.schema.json")).expect("form.schema.json"),
    )
    .expect("form.schema.json is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let registry = FormRegistry::load_dir(&dir).expect("every shipped form loads");
    let mut checked = 0;
    for (_, path) in registry.iter() {
        let text = std::fs::read_to_string(path).expect("readable");
        let instance: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        checked += 1;
    }
    assert!(checked >= 1);

    // The schema is not vacuous: a form with a misspelt type fails it.
    let bad: serde_json::Value = serde_json::json!({
        "id": "x", "version": "1", "title": {"zh-CN": "x"},
        "sections": [{"id": "s", "title": {}, "fields": [{"id": "a", "type": "txet", "label": {}}]}]
    });
    assert!(!validator.is_valid(&bad));
}
