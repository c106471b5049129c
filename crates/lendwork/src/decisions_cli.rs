//! `lendwork decisions`: stored credit decisions, driven through the platform's HTTP API
//! with a risk (or underwriter) key.
//!
//! ```text
//! $ LENDWORK_API_KEY=… lendwork decisions show dec_app_…
//! $ LENDWORK_API_KEY=… lendwork decisions replay dec_app_…
//! ```
//!
//! `replay` re-runs the decision's stored facts through the policy and prints the recorded
//! and replayed answers side by side; it exits with [`EXIT_OK`] when they are identical and
//! [`EXIT_DIFFERENT`] when they are not (a refusal or an unreachable platform exits as
//! every product command does, [`crate::api_client`]).

use clap::{Args, Subcommand};
use comfy_table::{Table, presets};
use serde_json::Value;

use crate::api_client::{ApiArgs, EXIT_OK};

/// Exit code of a replay whose answer differs from the one recorded.
pub const EXIT_DIFFERENT: i32 = 3;

/// Arguments of `lendwork decisions`.
#[derive(Args)]
pub struct DecisionsArgs {
    #[command(subcommand)]
    command: DecisionsCommand,
    #[command(flatten)]
    api: ApiArgs,
}

#[derive(Subcommand)]
enum DecisionsCommand {
    /// Shows a decision: the policy, the outcome, the reasons and the offers.
    Show {
        /// The decision's id (`dec_…` or `rev_…`).
        id: String,
    },
    /// Re-runs a decision's stored facts through the policy and compares.
    Replay {
        /// The decision's id.
        id: String,
    },
}

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

/// Reasons as `code; code`, offers as `amount × term @ rate (+fee)`.
fn summary(answer: &Value) -> [String; 4] {
    let reasons = answer["reasons"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|r| text(&r["code"]))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    let offers = answer["offers"]
        .as_array()
        .map(|o| {
            o.iter()
                .map(|o| {
                    format!(
                        "{} × {} mo @ {} (+{})",
                        text(&o["amount"]),
                        text(&o["term_months"]),
                        text(&o["annual_rate"]),
                        text(&o["origination_fee"])
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    let policy = &answer["policy"];
    let policy = format!(
        "{} {} ({})",
        text(&policy["name"]),
        text(&policy["version"]),
        text(&policy["wasm_sha256"])
    );
    [policy, text(&answer["outcome"]), reasons, offers]
}

/// Runs `lendwork decisions`; the process exit code.
pub fn run(args: &DecisionsArgs) -> i32 {
    let client = match args.api.client("a risk or underwriter") {
        Ok(client) => client,
        Err(code) => return code,
    };
    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED);
    let rows = ["policy", "outcome", "reasons", "offers"];
    match &args.command {
        DecisionsCommand::Show { id } => {
            let decision = match client.send(&format!("/v1/decisions/{id}"), None) {
                Ok(decision) => decision,
                Err(code) => return code,
            };
            table.set_header([format!("decision {id}"), text(&decision["kind"])]);
            for (row, value) in rows.iter().zip(summary(&decision)) {
                table.add_row([row.to_string(), value]);
            }
            table.add_row(["facts sha256".to_string(), text(&decision["facts_sha256"])]);
            println!("{table}");
            EXIT_OK
        }
        DecisionsCommand::Replay { id } => {
            let path = format!("/v1/decisions/{id}/replay");
            let replay = match client.send(&path, Some(&Value::Object(Default::default()))) {
                Ok(replay) => replay,
                Err(code) => return code,
            };
            table.set_header(["", "recorded", "replayed"]);
            for ((row, recorded), replayed) in rows
                .iter()
                .zip(summary(&replay["recorded"]))
                .zip(summary(&replay["replayed"]))
            {
                table.add_row([row.to_string(), recorded, replayed]);
            }
            println!("{table}");
            let identical = replay["identical"] == true;
            println!(
                "{} — same policy: {}, facts unchanged: {}",
                if identical { "identical" } else { "DIFFERENT" },
                text(&replay["same_policy"]),
                text(&replay["facts_unchanged"]),
            );
            if identical { EXIT_OK } else { EXIT_DIFFERENT }
        }
    }
}
