//! The `doorstep` binary's `check` and `export` subcommands, run as a user would.

use std::path::{Path, PathBuf};
use std::process::Command;

fn doorstep() -> Command {
    Command::new(env!("CARGO_BIN_EXE_doorstep"))
}

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/demo.json")
}

/// Runs `doorstep serve` on a folder used as schemas, app and data folder at once, where it
/// must refuse to start. A server that starts anyway is stopped after 10 s, and the test fails
/// on its exit status.
fn serve_once(dir: &Path) -> std::process::Output {
    std::fs::write(dir.join("index.html"), "x").expect("write");
    let mut child = doorstep()
        .args(["serve", "--port", "0", "--schemas"])
        .arg(dir)
        .arg("--app")
        .arg(dir)
        .arg("--data")
        .arg(dir.join("data"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while child.try_wait().expect("waits").is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    child.wait_with_output().expect("output")
}

#[test]
fn check_reports_each_line_and_exits_1_on_an_invalid_record() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("records.jsonl");
    std::fs::write(
        &input,
        concat!(
            r#"{"form": "demo", "id": "a", "answers": {"name": "张三", "visited": "1", "age": 30}}"#, "\n",
            r#"{"form": "demo", "id": "b", "answers": {"name": "李四", "visited": "2", "age": 130}}"#, "\n",
        ),
    )
    .expect("write");
    let out = doorstep()
        .args(["check", "--locale", "en", "--form"])
        .arg(demo())
        .arg(&input)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["valid"], true);
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[1]["id"], "b");
    assert_eq!(lines[1]["valid"], false);
    let fields: Vec<&str> = lines[1]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, vec!["reason", "age"]);
    assert_eq!(
        lines[1]["errors"][1]["message"],
        "Age must be between 0 and 120"
    );
}

#[test]
fn check_names_file_and_line_when_input_is_unusable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("broken.jsonl");
    std::fs::write(&input, "{\"form\": \"demo\", \"answers\": {}}\n{not json\n").expect("write");
    let out = doorstep()
        .args(["check", "--form"])
        .arg(demo())
        .arg(&input)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.jsonl:2:"), "{stderr}");
}

#[test]
fn a_malformed_form_is_named_with_its_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    let form = dir.path().join("bad-form.json");
    let text =
        std::fs::read_to_string(demo())
            .expect("demo")
            .replacen("\"integer\"", "\"integr\"", 1);
    std::fs::write(&form, text).expect("write");
    let out = doorstep()
        .args(["check", "--form"])
        .arg(&form)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad-form.json"), "{stderr}");
    assert!(stderr.contains("sections[0].fields[3].type"), "{stderr}");
    assert!(stderr.contains("line "), "{stderr}");

    let ok = doorstep()
        .args(["check", "--form"])
        .arg(demo())
        .output()
        .expect("runs");
    assert_eq!(ok.status.code(), Some(0));
}

#[test]
fn serve_refuses_a_broken_schemas_folder_and_says_which_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("oops.json"), "{\"id\": 1}").expect("write");
    let out = serve_once(dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("oops.json"));
}

#[test]
fn serve_refuses_a_form_whose_file_is_not_named_by_its_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(demo(), dir.path().join("other.json")).expect("copy");
    let out = serve_once(dir.path());
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("other.json") && stderr.contains("demo.json"),
        "{stderr}"
    );
}

/// A compressed copy of the app that is not its file any more would send browsers the old
/// app: the server refuses to start and names it.
#[test]
fn serve_refuses_a_stale_compressed_copy_of_the_app() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(demo(), dir.path().join("demo.json")).expect("copy");
    // serve_once writes index.html as "x"; its gzip copy is of an older page.
    let mut old = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut old, b"<!doctype html><title>old</title>").expect("gzip");
    std::fs::write(
        dir.path().join("index.html.gz"),
        old.finish().expect("gzip"),
    )
    .expect("write");
    let out = serve_once(dir.path());
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("index.html.gz") && stderr.contains("build-app"),
        "{stderr}"
    );
}

#[test]
fn import_regions_writes_one_county_and_refuses_bad_input() {
    let dir = tempfile::tempdir().expect("temp dir");
    let villages = dir.path().join("villages.csv");
    std::fs::write(
        &villages,
        "code,name,streetCode,provinceCode,cityCode,areaCode\n\
         330110005001,\"顾家桥社区\",330110005,33,3301,330110\n\
         330106001001,\"别的区\",330106001,33,3301,330106\n",
    )
    .expect("write");
    let out_file = dir.path().join("330110.json");
    let out = doorstep()
        .args(["import-regions", "--prefix", "330110", "--out"])
        .arg(&out_file)
        .arg(&villages)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: doorstep_core::region::RegionList =
        serde_json::from_str(&std::fs::read_to_string(&out_file).expect("written"))
            .expect("a region list");
    assert_eq!(list.towns.len(), 1);
    assert_eq!(list.towns[0].villages[0].name, "顾家桥社区");

    std::fs::write(&villages, "code,name\n3301100050,\"短\"\n").expect("write");
    let out = doorstep()
        .args(["import-regions", "--prefix", "330110"])
        .arg(&villages)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("villages.csv: line 2"));
}

#[test]
fn the_committed_region_list_is_one_whole_county() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/regions/330110.json");
    let list: doorstep_core::region::RegionList =
        serde_json::from_str(&std::fs::read_to_string(path).expect("committed"))
            .expect("a region list");
    assert_eq!(list.county, "330110");
    let villages: Vec<&str> = list
        .towns
        .iter()
        .flat_map(|t| t.villages.iter().map(|v| v.code.as_str()))
        .collect();
    assert!(villages.len() > 100, "{} villages", villages.len());
    assert!(list
        .towns
        .iter()
        .all(|t| t.name.is_some() && t.code.starts_with("330110")));
    assert!(villages
        .iter()
        .all(|c| c.len() == 12 && c.starts_with("330110")));
}

fn schemas() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas")
}

/// Runs `doorstep` with some standard input.
fn run_with_input(args: &[&str], data: &Path, input: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = doorstep()
        .args(args)
        .arg("--data")
        .arg(data)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("writes");
    child.wait_with_output().expect("output")
}

#[test]
fn users_add_takes_the_password_from_stdin_and_expands_towns() {
    let dir = tempfile::tempdir().expect("temp dir");
    let schemas = schemas();
    let schemas = schemas.to_str().expect("utf-8 path");
    let out = run_with_input(
        &[
            "users",
            "add",
            "王五",
            "--villages",
            "330110005,330110009001",
            "--schemas",
            schemas,
        ],
        dir.path(),
        "a long password\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = run_with_input(&["users", "list"], dir.path(), "");
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(listed.starts_with("王五\t330110005001,"), "{listed}");
    assert!(listed.contains("330110009001"), "{listed}");

    let short = run_with_input(
        &[
            "users",
            "add",
            "赵六",
            "--villages",
            "330110005001",
            "--schemas",
            schemas,
        ],
        dir.path(),
        "short\n",
    );
    assert_eq!(short.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8 characters"));
    let outside = run_with_input(
        &[
            "users",
            "add",
            "赵六",
            "--villages",
            "330106001001",
            "--schemas",
            schemas,
        ],
        dir.path(),
        "a long password\n",
    );
    assert_eq!(outside.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&outside.stderr).contains("330106001001"));
}

#[test]
fn roster_import_is_all_or_nothing_and_reports_each_refused_row() {
    let dir = tempfile::tempdir().expect("temp dir");
    let schemas = schemas();
    let schemas = schemas.to_str().expect("utf-8 path");
    let file = dir.path().join("roster.csv");
    std::fs::write(
        &file,
        "cert_no,name,region_code,hukou_type\n\
         33011019800515002642,李四,330110005001,1\n\
         33011019800515002142,错校验,330110005001,\n\
         33011019900101001211,外区,330106001001,\n",
    )
    .expect("write");
    let file_arg = file.to_str().expect("utf-8 path");
    let out = run_with_input(
        &["roster", "import", file_arg, "--schemas", schemas],
        dir.path(),
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(
        report.contains("roster.csv:3: 33011019800515002142: bad certificate number"),
        "{report}"
    );
    assert!(
        report.contains("roster.csv:4: 33011019900101001211: unknown village"),
        "{report}"
    );
    assert!(
        report.contains("2 row(s) refused, 1 fine; nothing was imported"),
        "{report}"
    );
    let mut store = doorstep_server::store::Store::open(dir.path()).expect("store");
    assert!(store
        .roster(&["330110005001".into()])
        .expect("roster")
        .is_empty());
    drop(store);

    std::fs::write(
        &file,
        "cert_no,name,region_code,hukou_type\n33011019800515002642,李四,330110005001,1\n",
    )
    .expect("write");
    let out = run_with_input(
        &["roster", "import", file_arg, "--schemas", schemas],
        dir.path(),
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "imported 1 person(s)"
    );
    let mut store = doorstep_server::store::Store::open(dir.path()).expect("store");
    let persons = store.roster(&["330110005001".into()]).expect("roster");
    assert_eq!(persons.len(), 1);
    assert_eq!(persons[0].prefill["hukou_type"], "1");
}
