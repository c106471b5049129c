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
//! with [`EXIT_IO`] ([`crate::api_client`]).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use comfy_table::{Table, presets};
use serde_json::{Value, json};

use crate::api_client::ApiArgs;
pub use crate::api_client::{EXIT_IO, EXIT_OK, EXIT_REFUSED};
/// Largest list file read, in bytes (the route takes 16 MiB in all).
pub const FILE_BYTES_MAX: u64 = 16 << 20;

/// Arguments of `lendwork sanctions`.
#[derive(Args)]
pub struct SanctionsArgs {
    #[command(subcommand)]
    command: SanctionsCommand,
    #[command(flatten)]
    api: ApiArgs,
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
    let client = match args.api.client("an admin") {
        Ok(client) => client,
        Err(code) => return code,
    };
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
    match client.send("/v1/admin/sanctions", body.as_ref()) {
        Ok(info) => {
            println!("{}", table(&info));
            EXIT_OK
        }
        Err(code) => code,
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
