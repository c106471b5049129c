//! `lendwork policy`: credit policy versions on a running lendwork host, through the
//! platform's HTTP API with a risk (or admin) key.
//!
//! ```text
//! $ LENDWORK_API_KEY=… lendwork policy swap --component decisioning --policy new.wasm
//! $ LENDWORK_API_KEY=… lendwork policy swap --component decisioning --rollback
//! $ LENDWORK_API_KEY=… lendwork policy list
//! $ LENDWORK_API_KEY=… lendwork policy backtest --policy new.wasm --from 2026-11-01
//! ```
//!
//! `swap` uploads the candidate and follows the host's job as it builds the new version
//! beside the serving one (at low priority), tries it on recorded decisions (the
//! differences are printed) and swaps it in; `--dry-run` stops after the differences.
//! `backtest` follows the host's job with a progress bar and prints the report side by
//! side with what was decided.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use comfy_table::{Table, presets};
use serde_json::{Value, json};

use crate::api_client::{ApiArgs, Client, EXIT_IO, EXIT_OK, EXIT_REFUSED};

/// How often `backtest` reads its job's progress.
const POLL: Duration = Duration::from_millis(200);
/// Applications that moved printed after a report (the report holds up to 100).
const MOVED_PRINTED: usize = 20;

/// Arguments of `lendwork policy`.
#[derive(Args)]
pub struct PolicyArgs {
    #[command(subcommand)]
    command: PolicyCommand,
    #[command(flatten)]
    api: ApiArgs,
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Shows what serves, what a rollback would bring back, and the history.
    List,
    /// Swaps a candidate policy in (after a dry run), or rolls back.
    Swap {
        /// The component whose policy changes.
        #[arg(long, default_value = "decisioning")]
        component: String,
        /// The candidate's `.wasm`.
        #[arg(
            long,
            required_unless_present = "rollback",
            conflicts_with = "rollback"
        )]
        policy: Option<PathBuf>,
        /// Return to the version served before instead.
        #[arg(long)]
        rollback: bool,
        /// The dependency to change (`lending:policy/consumer`), when several could be meant.
        #[arg(long)]
        dependency: Option<String>,
        /// Only show the differences on recorded decisions; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Recorded decisions (the latest) to try the candidate on first (at most 200).
        #[arg(long)]
        sample: Option<u64>,
    },
    /// Re-decides recorded decisions with a candidate and compares.
    Backtest {
        /// The candidate's `.wasm`.
        #[arg(long)]
        policy: PathBuf,
        /// The component whose decisions are re-decided.
        #[arg(long, default_value = "decisioning")]
        component: String,
        /// First day (UTC) of decisions included, `YYYY-MM-DD`.
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
        /// Last day (UTC) of decisions included.
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
    },
}

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

fn version(v: &Value) -> String {
    let digest = v["sha256"].as_str().unwrap_or("");
    format!(
        "{} {} ({})",
        text(&v["name"]),
        text(&v["version"]),
        &digest[..digest.len().min(12)]
    )
}

/// Uploads `path` as a candidate; its digest.
fn stage(client: &Client, path: &PathBuf) -> Result<String, i32> {
    let bytes = std::fs::read(path).map_err(|e| {
        eprintln!("error: cannot read {}: {e}", path.display());
        EXIT_IO
    })?;
    let staged = client.post("/v1/admin/policies/candidates", "application/wasm", &bytes)?;
    Ok(text(&staged["sha256"]))
}

/// Prints a comparison report (`backtest::Report` as JSON) side by side.
pub fn print_report(report: &Value, champion: &str, challenger: &str) {
    let mut sides = Table::new();
    sides.load_style(presets::UTF8_FULL_CONDENSED);
    sides.set_header(["", champion, challenger]);
    for (row, field) in [
        ("approve", "approve"),
        ("refer", "refer"),
        ("decline", "decline"),
        ("approval rate", "approval_rate"),
        ("average rate", "average_rate"),
        ("average amount", "average_amount"),
    ] {
        sides.add_row([
            row.to_string(),
            text(&report["champion"][field]),
            text(&report["challenger"][field]),
        ]);
    }
    println!(
        "{} decisions, {} identical, {} moved",
        text(&report["decisions"]),
        text(&report["identical"]),
        text(&report["moved_total"])
    );
    println!("{sides}");
    let mut matrix = Table::new();
    matrix.load_style(presets::UTF8_FULL_CONDENSED);
    matrix.set_header(["was \\ now", "approve", "refer", "decline"]);
    for from in backtest::OUTCOMES {
        let mut row = vec![from.to_string()];
        for to in backtest::OUTCOMES {
            let count = report["swap_matrix"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|s| s["from"] == from && s["to"] == to)
                .map(|s| text(&s["count"]))
                .unwrap_or_else(|| "0".into());
            row.push(count);
        }
        matrix.add_row(row);
    }
    println!("{matrix}");
    if let Some(reasons) = report["reasons_changed"]
        .as_array()
        .filter(|r| !r.is_empty())
    {
        let mut table = Table::new();
        table.load_style(presets::UTF8_FULL_CONDENSED);
        table.set_header(["reason", champion, challenger, "change"]);
        for r in reasons {
            table.add_row([
                text(&r["code"]),
                text(&r["champion"]),
                text(&r["challenger"]),
                text(&r["change"]),
            ]);
        }
        println!("{table}");
    }
    for moved in report["moved"]
        .as_array()
        .into_iter()
        .flatten()
        .take(MOVED_PRINTED)
    {
        println!(
            "  {}  {} → {}  {}",
            text(&moved["application_id"]),
            text(&moved["from"]),
            text(&moved["to"]),
            moved["reason"].as_str().unwrap_or("")
        );
    }
}

/// Follows the swap or rollback job `id` with a spinner naming its stage; the finished job.
fn follow_change(client: &Client, id: &str) -> Result<Value, i32> {
    let spinner = indicatif::ProgressBar::new_spinner();
    let path = format!("/v1/admin/policies/changes/{id}");
    loop {
        let job = client
            .send(&path, None)
            .inspect_err(|_| spinner.abandon())?;
        spinner.set_message(text(&job["stage"]));
        spinner.tick();
        if job["status"] != "running" {
            spinner.finish_and_clear();
            return Ok(job);
        }
        std::thread::sleep(POLL);
    }
}

fn list(client: &Client) -> i32 {
    let listed = match client.send("/v1/admin/policies", None) {
        Ok(listed) => listed,
        Err(code) => return code,
    };
    let mut serving = Table::new();
    serving.load_style(presets::UTF8_FULL_CONDENSED);
    serving.set_header(["component", "dependency", "serving", "rollback to"]);
    for component in listed["components"].as_array().into_iter().flatten() {
        for d in component["dependencies"].as_array().into_iter().flatten() {
            serving.add_row([
                text(&component["component"]),
                text(&d["import"]),
                version(&d["serving"]),
                if d["rollback_to"].is_null() {
                    "—".into()
                } else {
                    version(&d["rollback_to"])
                },
            ]);
        }
    }
    println!("{serving}");
    let mut history = Table::new();
    history.load_style(presets::UTF8_FULL_CONDENSED);
    history.set_header([
        "#",
        "at",
        "component",
        "dependency",
        "action",
        "from",
        "to",
        "by",
    ]);
    for c in listed["history"].as_array().into_iter().flatten() {
        history.add_row([
            text(&c["seq"]),
            text(&c["at"]),
            text(&c["component"]),
            text(&c["dependency"]),
            text(&c["action"]),
            version(&c["from"]),
            version(&c["to"]),
            text(&c["actor"]),
        ]);
    }
    println!("{history}");
    EXIT_OK
}

fn backtest(
    client: &Client,
    component: &str,
    policy: &PathBuf,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> i32 {
    let candidate = match stage(client, policy) {
        Ok(candidate) => candidate,
        Err(code) => return code,
    };
    let started = match client.send(
        "/v1/admin/policies/backtests",
        Some(&json!({ "component": component, "candidate": candidate, "from": from, "to": to })),
    ) {
        Ok(job) => job,
        Err(code) => return code,
    };
    let path = format!("/v1/admin/policies/backtests/{}", text(&started["id"]));
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} log entries · {msg} · {per_sec} · {eta} left",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let job = loop {
        let job = match client.send(&path, None) {
            Ok(job) => job,
            Err(code) => {
                bar.abandon();
                return code;
            }
        };
        bar.set_length(job["log_length"].as_u64().unwrap_or(0));
        bar.set_position(job["position"].as_u64().unwrap_or(0));
        bar.set_message(match job["stage"].as_str() {
            Some("building") => "building the candidate".to_string(),
            _ => format!("{} decisions", text(&job["report"]["decisions"])),
        });
        if job["status"] != "running" {
            break job;
        }
        std::thread::sleep(POLL);
    };
    bar.finish();
    print_report(&job["report"], "decided", "candidate");
    if job["status"] == "done" {
        EXIT_OK
    } else {
        eprintln!("backtest failed: {}", text(&job["error"]));
        EXIT_REFUSED
    }
}

/// Runs `lendwork policy`; the process exit code.
pub fn run(args: &PolicyArgs) -> i32 {
    let client = match args.api.client("a risk or admin") {
        Ok(client) => client,
        Err(code) => return code,
    };
    match &args.command {
        PolicyCommand::List => list(&client),
        PolicyCommand::Backtest {
            policy,
            component,
            from,
            to,
        } => backtest(&client, component, policy, *from, *to),
        PolicyCommand::Swap {
            component,
            policy,
            rollback,
            dependency,
            dry_run,
            sample,
        } => {
            let mut request = json!({
                "component": component, "dependency": dependency,
                "dry_run": dry_run, "sample": sample,
            });
            let route = if *rollback {
                "/v1/admin/policies/rollback"
            } else {
                let Some(policy) = policy else {
                    eprintln!("error: --policy FILE.wasm or --rollback");
                    return EXIT_IO;
                };
                match stage(&client, policy) {
                    Ok(candidate) => request["candidate"] = json!(candidate),
                    Err(code) => return code,
                }
                "/v1/admin/policies/swap"
            };
            let started = match client.send(route, Some(&request)) {
                Ok(job) => job,
                Err(code) => return code,
            };
            let job = match follow_change(&client, &text(&started["id"])) {
                Ok(job) => job,
                Err(code) => return code,
            };
            if job["status"] != "done" {
                eprintln!("{}", job["problem"]);
                return EXIT_REFUSED;
            }
            let answer = &job["outcome"];
            println!("dry run on the latest recorded decisions:");
            print_report(&answer["dry_run"], "serving", "candidate");
            for change in answer["changes"].as_array().into_iter().flatten() {
                println!(
                    "{} {}: {} → {}",
                    if answer["changed"] == true {
                        "swapped"
                    } else {
                        "would swap"
                    },
                    text(&change["dependency"]),
                    version(&change["from"]),
                    version(&change["to"]),
                );
            }
            EXIT_OK
        }
    }
}
