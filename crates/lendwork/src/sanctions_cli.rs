//! `lendwork sanctions`: the sanctions list, driven through the platform's HTTP API (the
//! command is a client: it sends what `POST /v1/admin/sanctions` takes, with an admin key).
//!
//! ```text
//! $ LENDWORK_API_KEY=… lendwork sanctions load sdn.csv --alt alt.csv --add add.csv
//! $ LENDWORK_API_KEY=… lendwork sanctions status
//! ```
//!
//! A refusal prints the platform's RFC 9457 problem on stderr and exits with
//! [`EXIT_REFUSED`]; a file that cannot be read or a platform that cannot be reached exits
//! with [`EXIT_IO`].

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use comfy_table::{Table, presets};
use serde_json::{Value, json};

/// Exit code of a list loaded (or shown).
pub const EXIT_OK: i32 = 0;
/// Exit code when a file cannot be read or the platform cannot be reached.
pub const EXIT_IO: i32 = 1;
/// Exit code when the platform refuses the request (its problem is on stderr).
pub const EXIT_REFUSED: i32 = 2;
/// Largest list file read, in bytes (the route takes 16 MiB in all).
pub const FILE_BYTES_MAX: u64 = 16 << 20;

/// Arguments of `lendwork sanctions`.
#[derive(Args)]
pub struct SanctionsArgs {
    #[command(subcommand)]
    command: SanctionsCommand,
    /// The platform's base URL.
    #[arg(
        long,
        global = true,
        default_value = "http://127.0.0.1:3000",
        env = "LENDWORK_URL"
    )]
    url: String,
    /// An admin API key.
    #[arg(long, global = true, env = "LENDWORK_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
}

#[derive(Subcommand)]
enum SanctionsCommand {
    /// Loads the OFAC SDN list (its public CSV files), replacing the list in force.
    Load {
        /// `sdn.csv`: the entries.
        sdn: PathBuf,
        /// `alt.csv`: their aliases.
        #[arg(long)]
        alt: Option<PathBuf>,
        /// `add.csv`: their addresses.
        #[arg(long)]
        add: Option<PathBuf>,
    },
    /// Shows the list in force.
    Status,
}

fn read(path: &Path) -> Result<String, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .len();
    if size > FILE_BYTES_MAX {
        return Err(format!("{} is larger than 16 MiB", path.display()));
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Runs `lendwork sanctions`; the process exit code.
pub fn run(args: &SanctionsArgs) -> i32 {
    let Some(key) = args.api_key.as_deref() else {
        eprintln!("error: an admin API key is needed: --api-key or LENDWORK_API_KEY");
        return EXIT_IO;
    };
    let url = format!("{}/v1/admin/sanctions", args.url.trim_end_matches('/'));
    let body = match &args.command {
        SanctionsCommand::Status => None,
        SanctionsCommand::Load { sdn, alt, add } => {
            let files = (|| -> Result<Value, String> {
                let mut body = json!({ "sdn_csv": read(sdn)? });
                if let Some(alt) = alt {
                    body["alt_csv"] = json!(read(alt)?);
                }
                if let Some(add) = add {
                    body["add_csv"] = json!(read(add)?);
                }
                Ok(body)
            })();
            match files {
                Ok(body) => Some(body),
                Err(why) => {
                    eprintln!("error: {why}");
                    return EXIT_IO;
                }
            }
        }
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let auth = format!("Bearer {key}");
    let sent = match &body {
        Some(body) => agent
            .post(&url)
            .header("authorization", &auth)
            .header("content-type", "application/json")
            .send(body.to_string().as_bytes()),
        None => agent.get(&url).header("authorization", &auth).call(),
    };
    let mut response = match sent {
        Ok(response) => response,
        Err(e) => {
            eprintln!("error: cannot reach {url}: {e}");
            return EXIT_IO;
        }
    };
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    if !(200..300).contains(&status) {
        eprintln!("{text}");
        return EXIT_REFUSED;
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(info) => {
            println!("{}", table(&info));
            EXIT_OK
        }
        Err(_) => {
            eprintln!("error: the platform answered {status} with a body that is not JSON");
            EXIT_IO
        }
    }
}

/// The list's facts as a two-column table.
fn table(info: &Value) -> Table {
    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED);
    table.set_header(["sanctions list", ""]);
    for field in ["digest", "loaded_at", "entries", "blocks", "version"] {
        let value = match &info[field] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        table.add_row([field.to_string(), value]);
    }
    table
}
