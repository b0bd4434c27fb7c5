//! `cargo xtask`: the project's set-up, build and test commands, so that a fresh Debian machine
//! needs exactly two commands: `cargo xtask run` and `cargo xtask test`.
//!
//! Each step installs what is missing (the wasm target, Trunk, wasm-bindgen, npm tools,
//! Chromium) and skips what is already installed at the right version. Only the standard
//! library is used, so this builds in seconds before anything else.

use std::collections::hash_map::DefaultHasher;
use std::env;
use std::ffi::OsStr;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

/// The Trunk version known to work here (see ../shared/toolchain.md).
const TRUNK_VERSION: &str = "0.22.1";
/// The pinned nightly Rust that builds the app's release wasm. It rebuilds the standard library
/// for size (`-Zbuild-std`) and makes a panic abort at once instead of formatting a message no
/// one reads (a panic in wasm already ends the app). Measured on this app's wasm: 395 KB gzip
/// with stable Rust, 341 KB with this (the whole shell: 400 and 349 KB). Everything else (the
/// server, clippy, the tests) uses stable. When this toolchain cannot be installed or cannot
/// build, the app is built with stable Rust and a warning.
const LEAN_TOOLCHAIN: &str = "nightly-2026-05-20";
/// The port `cargo xtask run` serves on unless `--port` says otherwise.
const DEFAULT_PORT: u16 = 8080;
/// The port the end-to-end tests' server listens on.
const E2E_PORT: u16 = 8765;

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let started = Instant::now();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("test") => test(),
        Some("setup") => setup(true),
        Some("build-app") => setup(false).and_then(|()| build_app()),
        Some("bench") => bench(),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n  run [--port N] [--data DIR]  install what is missing, build the app in release mode, serve it\n  test                         install what is missing and run every test\n  setup                        only install what is missing\n  build-app                    only build the app into dist/\n  bench                        build the app and the server, run the browser benchmark (tests/bench/app.js)"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => {
            eprintln!("xtask: done in {:.0?}", started.elapsed());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The PATH with cargo's and npm's tool folders first, so installed tools are found.
fn tool_path() -> String {
    let mut parts = vec![root().join("node_modules/.bin")];
    let cargo_home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")));
    if let Some(home) = cargo_home {
        parts.push(home.join("bin"));
    }
    let mut path = env::join_paths(parts)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(existing) = env::var_os("PATH") {
        path.push(':');
        path.push_str(&existing.to_string_lossy());
    }
    path
}

fn cmd(program: &str) -> Command {
    let mut command = Command::new(program);
    command.current_dir(root()).env("PATH", tool_path());
    command
}

fn step(title: &str) {
    eprintln!("\nxtask: == {title}");
}

/// Runs a command to completion; a failure names the command.
fn exec(command: &mut Command) -> Result {
    let shown = format!(
        "{} {}",
        command.get_program().to_string_lossy(),
        command
            .get_args()
            .map(OsStr::to_string_lossy)
            .collect::<Vec<_>>()
            .join(" ")
    );
    eprintln!("xtask: $ {shown}");
    let status = command
        .status()
        .map_err(|e| format!("cannot start `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// What a command prints, or `None` when it is missing or fails.
fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let out = cmd(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The version of a package pinned in Cargo.lock.
fn locked_version(package: &str) -> Result<String> {
    let lock =
        fs::read_to_string(root().join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    let needle = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == needle {
            if let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(version.trim_end_matches('"').to_string());
            }
        }
    }
    Err(format!("Cargo.lock has no package {package}"))
}

fn is_root() -> bool {
    output_of("id", &["-u"]).as_deref() == Some("0")
}

fn apt_install(packages: &[&str]) -> Result {
    let mut prefix: Vec<&str> = Vec::new();
    if !is_root() {
        prefix.push("sudo");
    }
    let run = |args: &[&str]| {
        let all: Vec<&str> = prefix.iter().copied().chain(args.iter().copied()).collect();
        exec(
            cmd(all[0])
                .args(&all[1..])
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )
    };
    run(&["apt-get", "update", "-qq"])?;
    let mut args = vec!["apt-get", "install", "-y", "-qq"];
    args.extend_from_slice(packages);
    run(&args)
}

/// Installs what building and serving the app needs.
fn setup_build() -> Result {
    step("tools for the app build");
    let targets = output_of("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if targets.lines().any(|t| t == "wasm32-unknown-unknown") {
        eprintln!("xtask: wasm32-unknown-unknown target: installed");
    } else {
        exec(cmd("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }

    if lean_toolchain_sysroot().is_some() {
        eprintln!("xtask: {LEAN_TOOLCHAIN} with rust-src: installed");
    } else if let Err(e) = exec(cmd("rustup").args([
        "toolchain",
        "install",
        LEAN_TOOLCHAIN,
        "--profile",
        "minimal",
        "--component",
        "rust-src",
        "--target",
        "wasm32-unknown-unknown",
    ])) {
        eprintln!("xtask: warning: {e}; the app will be built with stable Rust (larger)");
    }
    if let Some(sysroot) = lean_toolchain_sysroot() {
        // The build runs offline: the standard library's own dependencies must be fetched.
        let library = sysroot.join("lib/rustlib/src/rust/library/Cargo.toml");
        let fetched = exec(
            cmd("cargo")
                .arg(format!("+{LEAN_TOOLCHAIN}"))
                .arg("fetch")
                .arg("--manifest-path")
                .arg(library),
        );
        if let Err(e) = fetched {
            // The lean build will then fail offline, and the app is built with stable Rust.
            eprintln!("xtask: warning: {e}");
        }
    }

    let trunk = output_of("trunk", &["--version"]).unwrap_or_default();
    if trunk == format!("trunk {TRUNK_VERSION}") {
        eprintln!("xtask: {trunk}: installed");
    } else {
        // Trunk 0.22 declares a newer rustc than this machine has, but builds and runs on it.
        // A debug build of Trunk compiles in a fraction of the time and is fast enough: the
        // heavy work (cargo, wasm-bindgen, wasm-opt) runs in other programs.
        exec(cmd("cargo").args([
            "install",
            "trunk",
            "--locked",
            "--debug",
            "--version",
            TRUNK_VERSION,
            "--ignore-rust-version",
        ]))?;
    }

    let wbg_version = locked_version("wasm-bindgen")?;
    let wbg = output_of("wasm-bindgen", &["--version"]).unwrap_or_default();
    if wbg == format!("wasm-bindgen {wbg_version}") {
        eprintln!("xtask: {wbg}: installed");
    } else {
        // Not --locked: its lock file pins a crate release the registry here does not have.
        exec(cmd("cargo").args(["install", "wasm-bindgen-cli", "--version", &wbg_version]))?;
    }

    npm_install()?;
    exec(cmd("cargo").args(["fetch"]))
}

/// The sysroot of [`LEAN_TOOLCHAIN`] when it is installed with the standard library's source
/// and the wasm target, which the lean build needs.
fn lean_toolchain_sysroot() -> Option<PathBuf> {
    let toolchains = output_of("rustup", &["toolchain", "list"])?;
    if !toolchains.lines().any(|t| t.starts_with(LEAN_TOOLCHAIN)) {
        return None;
    }
    let sysroot = PathBuf::from(output_of(
        "rustc",
        &[&format!("+{LEAN_TOOLCHAIN}"), "--print", "sysroot"],
    )?);
    let rustlib = sysroot.join("lib/rustlib");
    (rustlib.join("src/rust/library/Cargo.toml").is_file()
        && rustlib.join("wasm32-unknown-unknown/lib").is_dir())
    .then_some(sysroot)
}

/// Installs the npm tools (wasm-opt, Playwright) unless package-lock.json is unchanged since
/// the last install.
fn npm_install() -> Result {
    if output_of("npm", &["--version"]).is_none() {
        apt_install(&["nodejs", "npm"])?;
    }
    let lock = fs::read(root().join("package-lock.json"))
        .map_err(|e| format!("package-lock.json: {e}"))?;
    let mut hasher = DefaultHasher::new();
    lock.hash(&mut hasher);
    let stamp = format!("{:x}", hasher.finish());
    let stamp_file = root().join("node_modules/.doorstep-installed");
    if fs::read_to_string(&stamp_file).ok().as_deref() == Some(stamp.as_str()) {
        eprintln!("xtask: npm packages: installed");
        return Ok(());
    }
    // Playwright must never download its own browser: Debian's Chromium is used.
    exec(
        cmd("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"),
    )?;
    fs::write(&stamp_file, stamp).map_err(|e| format!("{}: {e}", stamp_file.display()))
}

/// Installs the browser the tests drive.
fn setup_browser() -> Result {
    step("browser for the tests");
    let have = |p: &str| Path::new(p).exists();
    if have("/usr/bin/chromium") && have("/usr/bin/chromedriver") {
        eprintln!("xtask: chromium and chromedriver: installed");
        Ok(())
    } else {
        apt_install(&["chromium", "chromium-driver"])
    }
}

/// The test database's role, password and name (a local, throw-away database).
const PG_TEST: &str = "doorstep_test";
const PG_TEST_PASSWORD: &str = "doorstep-test";

/// Installs Debian's PostgreSQL when missing, starts its cluster, makes the test role and
/// database when missing, and returns the database's URL.
fn setup_postgres() -> Result<String> {
    step("PostgreSQL for the storage tests");
    if output_of("pg_lsclusters", &["-h"]).is_none() {
        apt_install(&["postgresql"])?;
    }
    let as_postgres = |args: &[&str]| {
        let mut all = if is_root() {
            vec!["runuser", "-u", "postgres", "--"]
        } else {
            vec!["sudo", "-u", "postgres"]
        };
        all.extend_from_slice(args);
        all.iter().map(|s| s.to_string()).collect::<Vec<String>>()
    };
    let clusters = || output_of("pg_lsclusters", &["-h"]).unwrap_or_default();
    if clusters().trim().is_empty() {
        // A container may install the server without making a cluster.
        let version = fs::read_dir("/usr/lib/postgresql")
            .map_err(|e| format!("/usr/lib/postgresql: {e}"))?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .max()
            .ok_or("no PostgreSQL version in /usr/lib/postgresql")?;
        exec(cmd("pg_createcluster").args([version.as_str(), "main"]))?;
    }
    let line = clusters();
    let fields: Vec<&str> = line
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let (Some(version), Some(name), Some(port), Some(status)) =
        (fields.first(), fields.get(1), fields.get(2), fields.get(3))
    else {
        return Err(format!("cannot read pg_lsclusters: {line}"));
    };
    if *status != "online" {
        exec(cmd("pg_ctlcluster").args([*version, *name, "start"]))?;
    } else {
        eprintln!("xtask: PostgreSQL {version}/{name} on port {port}: running");
    }
    let psql = |sql: &str| -> Result<String> {
        let args = as_postgres(&["psql", "-p", port, "-tAc", sql]);
        let out = cmd(&args[0])
            .args(&args[1..])
            .output()
            .map_err(|e| format!("psql: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "psql `{sql}`: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    if psql(&format!(
        "SELECT 1 FROM pg_roles WHERE rolname = '{PG_TEST}'"
    ))?
    .is_empty()
    {
        psql(&format!(
            "CREATE ROLE {PG_TEST} LOGIN PASSWORD '{PG_TEST_PASSWORD}'"
        ))?;
    }
    if psql(&format!(
        "SELECT 1 FROM pg_database WHERE datname = '{PG_TEST}'"
    ))?
    .is_empty()
    {
        psql(&format!("CREATE DATABASE {PG_TEST} OWNER {PG_TEST}"))?;
    }
    Ok(format!(
        "postgres://{PG_TEST}:{PG_TEST_PASSWORD}@127.0.0.1:{port}/{PG_TEST}"
    ))
}

fn setup(for_tests: bool) -> Result {
    setup_build()?;
    if for_tests {
        setup_browser()?;
    }
    Ok(())
}

/// Builds the app in release mode into dist/ and writes the service worker's precache list.
fn build_app() -> Result {
    step("build the app (trunk build --release)");
    let lean = if lean_toolchain_sysroot().is_some() {
        eprintln!(
            "xtask: building the app with {LEAN_TOOLCHAIN}, the standard library rebuilt for size"
        );
        exec(
            cmd("trunk")
                .args(["build", "--release"])
                .env("RUSTUP_TOOLCHAIN", LEAN_TOOLCHAIN)
                .env("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort")
                .env("CARGO_UNSTABLE_BUILD_STD_FEATURES", "optimize_for_size")
                .env("CARGO_PROFILE_RELEASE_PANIC", "abort")
                .env(
                    "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
                    "-Zunstable-options -Cpanic=immediate-abort",
                ),
        )
    } else {
        Err(format!("{LEAN_TOOLCHAIN} is missing"))
    };
    if let Err(e) = lean {
        // A nightly that cannot build (missing, or its standard library's crates not fetched)
        // must not keep the app from being built: stable Rust builds it, larger.
        eprintln!("xtask: warning: {e}: building the app with stable Rust (larger)");
        exec(cmd("trunk").args(["build", "--release"]))?;
    }
    let dist = root().join("dist");
    write_precache(&dist)?;
    // After the precache list, which names the plain files only.
    step("compress the app (Brotli and gzip copies beside each file)");
    exec(cmd("node").arg("xtask/compress.js").arg(&dist))
}

/// The files of `dist/` the service worker does not keep for offline use.
const NOT_PRECACHED: [&str; 2] = ["/sw.js", "/embed-example.html"];

/// Fills in the service worker's list of files and its version (a hash of their contents).
fn write_precache(dist: &Path) -> Result {
    let mut files = Vec::new();
    collect_files(dist, dist, &mut files)?;
    // The worker itself is not cached by itself; compressed copies are the server's business;
    // the example page of an embedding host is not part of the app a tablet keeps.
    files.retain(|f| {
        !NOT_PRECACHED.contains(&f.as_str()) && !f.ends_with(".br") && !f.ends_with(".gz")
    });
    files.sort();
    let mut hasher = DefaultHasher::new();
    for file in &files {
        file.hash(&mut hasher);
        let path = dist.join(file.trim_start_matches('/'));
        fs::read(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .hash(&mut hasher);
    }
    let version = format!("{:016x}", hasher.finish());
    let sw_path = dist.join("sw.js");
    let sw = fs::read_to_string(&sw_path).map_err(|e| format!("{}: {e}", sw_path.display()))?;
    let list = files
        .iter()
        .map(|f| format!("{f:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut replaced = 0;
    let sw: String = sw
        .lines()
        .map(|line| {
            if line.starts_with("const VERSION = ") {
                replaced += 1;
                format!("const VERSION = \"{version}\";")
            } else if line.starts_with("const PRECACHE = ") {
                replaced += 1;
                format!("const PRECACHE = [{list}];")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    if replaced != 2 {
        return Err(format!(
            "{}: the VERSION and PRECACHE lines are missing",
            sw_path.display()
        ));
    }
    fs::write(&sw_path, sw + "\n").map_err(|e| format!("{}: {e}", sw_path.display()))?;
    eprintln!(
        "xtask: service worker precaches {} files, version {version}",
        files.len()
    );
    Ok(())
}

fn collect_files(base: &Path, dir: &Path, out: &mut Vec<String>) -> Result {
    for entry in fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        } else if path.is_dir() {
            collect_files(base, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(base) {
            out.push(format!("/{}", rel.to_string_lossy()));
        }
    }
    Ok(())
}

fn build_server() -> Result {
    step("build the server (release)");
    exec(cmd("cargo").args(["build", "--release", "-p", "doorstep-server"]))
}

/// The collector `cargo xtask run` makes on a fresh database, so the app can be tried at once.
const DEMO_COLLECTOR: &str = "demo";
const DEMO_PASSWORD: &str = "demo-password";

fn run(args: &[String]) -> Result {
    let mut port = DEFAULT_PORT.to_string();
    let mut data = "data".to_string();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--port" => port = it.next().ok_or("--port needs a number")?.clone(),
            "--data" => data = it.next().ok_or("--data needs a folder")?.clone(),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    setup(false)?;
    build_app()?;
    build_server()?;
    let server = root().join("target/release/doorstep");
    let server = server.to_string_lossy();
    // A fresh database has no collector, and the app asks to sign in: make a demo one for the
    // whole committed county, and say how to sign in. Real collectors are added with
    // `doorstep users add`.
    let users = output_of(&server, &["users", "list", "--data", &data]).unwrap_or_default();
    if users.is_empty() {
        step("demo collector");
        let mut add = cmd(&server);
        add.args([
            "users",
            "add",
            DEMO_COLLECTOR,
            "--villages",
            "330110",
            "--data",
            &data,
        ])
        .stdin(std::process::Stdio::piped());
        eprintln!("xtask: $ doorstep users add {DEMO_COLLECTOR} --villages 330110 --data {data}");
        let mut child = add
            .spawn()
            .map_err(|e| format!("doorstep users add: {e}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write;
            writeln!(stdin, "{DEMO_PASSWORD}").map_err(|e| format!("doorstep users add: {e}"))?;
        }
        let status = child
            .wait()
            .map_err(|e| format!("doorstep users add: {e}"))?;
        if !status.success() {
            return Err(format!("doorstep users add failed: {status}"));
        }
        eprintln!(
            "xtask: sign in as `{DEMO_COLLECTOR}` with password `{DEMO_PASSWORD}` (a demo account; replace it with `doorstep users add`)"
        );
    }
    step("serve");
    exec(cmd(&server).args(["serve", "--port", &port, "--data", &data]))
}

/// The browser benchmark of the app (tests/bench/app.js): it starts its own server on a fresh
/// data folder and prints its figures.
fn bench() -> Result {
    setup(false)?;
    build_app()?;
    build_server()?;
    step("browser benchmark (headless Chromium, CPU slowed 4x)");
    exec(cmd("node").args([
        "tests/bench/app.js",
        &root().join("target/release/doorstep").to_string_lossy(),
    ]))
}

fn test() -> Result {
    setup(true)?;
    step("format");
    exec(cmd("cargo").args(["fmt", "--all", "--check"]))?;
    step("lint (native crates, then the app for wasm32)");
    exec(cmd("cargo").args([
        "clippy",
        "--workspace",
        "--exclude",
        "doorstep-app",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    exec(cmd("cargo").args([
        "clippy",
        "-p",
        "doorstep-app",
        "--target",
        "wasm32-unknown-unknown",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    let database_url = setup_postgres()?;
    step("native tests (core, server with SQLite and PostgreSQL, app reducer)");
    exec(
        cmd("cargo")
            .args(["test", "--workspace"])
            .env("DOORSTEP_TEST_DATABASE_URL", &database_url),
    )?;
    step("core unit tests as the app builds the core (without `json-paths`)");
    exec(cmd("cargo").args([
        "test",
        "-p",
        "doorstep-core",
        "--no-default-features",
        "--lib",
    ]))?;
    step("browser tests (wasm-bindgen-test in headless Chromium)");
    exec(
        cmd("cargo")
            .args([
                "test",
                "-p",
                "doorstep-app",
                "--target",
                "wasm32-unknown-unknown",
                "--test",
                "store_browser",
            ])
            .env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                "wasm-bindgen-test-runner",
            )
            .env("CHROMEDRIVER", "/usr/bin/chromedriver"),
    )?;
    build_app()?;
    build_server()?;
    step("end-to-end tests (Playwright, headless Chromium)");
    let data = root().join("target/e2e-data");
    if data.exists() {
        fs::remove_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
    }
    exec(
        cmd("npx")
            .args(["playwright", "test"])
            .env("DOORSTEP_E2E_PORT", E2E_PORT.to_string())
            .env("DOORSTEP_E2E_DATA", &data),
    )
}
