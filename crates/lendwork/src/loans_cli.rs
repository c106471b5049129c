//! `lendwork loans import FILE.csv|.jsonl`: loans bought or migrated, booked through
//! `POST /v1/loans/import` (role `operations`).
//!
//! ```text
//! $ LENDWORK_API_KEY=… lendwork loans import portfolio.csv [--chunk 250] [--concurrency 8]
//! ```
//!
//! The file is streamed, never read whole: rows go in chunks of `--chunk` (the route takes
//! at most 500), `--concurrency` chunks at a time, with a progress bar. A chunk the
//! platform could not take (unreachable, busy, a 5xx) is sent again — an import is
//! idempotent, so a chunk sent twice books nothing twice. Refused rows are listed with
//! their file row number and every failing field; the command exits with
//! [`EXIT_REFUSED`] when any row was refused.
//!
//! A CSV file has a header row naming the fields of `POST /v1/loans/import`; the
//! borrower's are `borrower.first_name`, `borrower.email`, …; empty cells are absent. A
//! JSON-lines file holds one row object per line.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Map, Value, json};

use crate::api_client::{ApiArgs, Client};
pub use crate::api_client::{EXIT_IO, EXIT_OK, EXIT_REFUSED};

/// Most rows the route takes in one request.
pub const CHUNK_MAX: usize = 500;
/// Refused rows printed in full (all are counted).
pub const REFUSALS_SHOWN: usize = 50;
/// Fields that are whole numbers in a CSV file.
const INTEGER_FIELDS: [&str; 2] = ["remaining_installments", "days_past_due"];

/// Arguments of `lendwork loans`.
#[derive(Args)]
pub struct LoansArgs {
    #[command(subcommand)]
    command: LoansCommand,
    #[command(flatten)]
    api: ApiArgs,
}

#[derive(Subcommand)]
enum LoansCommand {
    /// Imports loans with their balances from a CSV or JSON-lines file.
    Import {
        /// The file: `.csv` (a header row of field names) or `.jsonl` (a row per line).
        file: PathBuf,
        /// Rows per request (at most 500).
        #[arg(long, default_value_t = 250)]
        chunk: usize,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
    },
}

/// A CSV record as a row: cells by header, `borrower.x` nested, whole-number fields as
/// numbers, empty cells left out.
fn csv_row(headers: &csv::StringRecord, record: &csv::StringRecord) -> Value {
    let mut row = Map::new();
    for (header, cell) in headers.iter().zip(record.iter()) {
        let cell = cell.trim();
        if cell.is_empty() {
            continue;
        }
        let value = match cell.parse::<i64>() {
            Ok(n) if INTEGER_FIELDS.contains(&header) => json!(n),
            _ => json!(cell),
        };
        match header.split_once('.') {
            Some((outer, inner)) => {
                let nested = row
                    .entry(outer.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Some(nested) = nested.as_object_mut() {
                    nested.insert(inner.to_string(), value);
                }
            }
            None => {
                row.insert(header.to_string(), value);
            }
        }
    }
    Value::Object(row)
}

/// The file's rows, one at a time.
fn rows(path: &Path) -> Result<Box<dyn Iterator<Item = Result<Value, String>> + Send>, String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let at = path.display().to_string();
    match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => {
            let mut reader = csv::Reader::from_reader(std::io::BufReader::new(file));
            let headers = reader
                .headers()
                .map_err(|e| format!("{at}: no header row: {e}"))?
                .clone();
            Ok(Box::new(reader.into_records().map(move |record| {
                record
                    .map(|r| csv_row(&headers, &r))
                    .map_err(|e| format!("{at}: {e}"))
            })))
        }
        Some("jsonl") | Some("ndjson") => Ok(Box::new(
            std::io::BufReader::new(file)
                .lines()
                .enumerate()
                .filter(|(_, line)| line.as_ref().map_or(true, |l| !l.trim().is_empty()))
                .map(move |(n, line)| {
                    let line = line.map_err(|e| format!("{at}: {e}"))?;
                    serde_json::from_str(&line).map_err(|e| format!("{at}, line {}: {e}", n + 1))
                }),
        )),
        _ => Err(format!("{at}: expected a .csv or .jsonl file")),
    }
}

/// What one chunk came to: its first row's number, and the route's answer.
struct Done {
    first: usize,
    rows: usize,
    answer: Result<Value, String>,
}

/// Sends one chunk until the platform takes it (or refuses it for good).
fn send(client: &Client, rows: &[Value]) -> Result<Value, String> {
    match client.post_retrying("/v1/loans/import", &json!({ "loans": rows }))? {
        (200, text) => serde_json::from_str(&text).map_err(|e| e.to_string()),
        (_, text) => Err(text),
    }
}

/// Runs `lendwork loans`; the process exit code.
pub fn run(args: &LoansArgs) -> i32 {
    let LoansCommand::Import {
        file,
        chunk,
        concurrency,
    } = &args.command;
    let client = match args.api.client("an operations") {
        Ok(client) => client,
        Err(code) => return code,
    };
    let chunk = (*chunk).clamp(1, CHUNK_MAX);
    let concurrency = (*concurrency).clamp(1, 64);
    let rows = match rows(file) {
        Ok(rows) => rows,
        Err(error) => {
            eprintln!("error: {error}");
            return EXIT_IO;
        }
    };
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {pos} loans sent, {msg} [{elapsed_precise}, {per_sec}]",
        )
        .expect("a valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let (work, chunks) = mpsc::sync_channel::<(usize, Vec<Value>)>(concurrency * 2);
    let chunks = std::sync::Arc::new(std::sync::Mutex::new(chunks));
    let (report, done) = mpsc::channel::<Done>();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, chunks, report) = (client.clone(), chunks.clone(), report.clone());
            std::thread::spawn(move || {
                loop {
                    let next = chunks.lock().map(|c| c.recv());
                    let Ok(Ok((first, rows))) = next else { return };
                    let answer = send(&client, &rows);
                    if report
                        .send(Done {
                            first,
                            rows: rows.len(),
                            answer,
                        })
                        .is_err()
                    {
                        return;
                    }
                }
            })
        })
        .collect();
    drop(report);
    // The reader feeds the workers from its own thread; this one counts what comes back.
    let reader = std::thread::spawn(move || -> Result<usize, String> {
        let mut sent = 0;
        let mut batch = Vec::with_capacity(chunk);
        for row in rows {
            batch.push(row?);
            if batch.len() == chunk {
                let first = sent;
                sent += batch.len();
                if work.send((first, std::mem::take(&mut batch))).is_err() {
                    break;
                }
            }
        }
        if !batch.is_empty() {
            let first = sent;
            sent += batch.len();
            let _ = work.send((first, batch));
        }
        Ok(sent)
    });
    let (mut booked, mut already, mut refused, mut failed) = (0u64, 0u64, 0u64, 0usize);
    let mut shown = 0;
    for result in done {
        bar.inc(result.rows as u64);
        match result.answer {
            Ok(answer) => {
                booked += answer["booked"].as_u64().unwrap_or(0);
                already += answer["already_booked"].as_u64().unwrap_or(0);
                refused += answer["refused"].as_u64().unwrap_or(0);
                for row in answer["loans"].as_array().into_iter().flatten() {
                    if row["status"] != "refused" || shown >= REFUSALS_SHOWN {
                        continue;
                    }
                    shown += 1;
                    let number = result.first + row["index"].as_u64().unwrap_or(0) as usize + 1;
                    let errors: Vec<String> = row["errors"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|e| {
                            let field = e["pointer"]
                                .as_str()
                                .unwrap_or("")
                                .splitn(4, '/')
                                .nth(3)
                                .unwrap_or("row")
                                .to_string();
                            format!("{field}: {}", e["message"].as_str().unwrap_or(""))
                        })
                        .collect();
                    bar.suspend(|| println!("row {number}: refused — {}", errors.join("; ")));
                }
            }
            Err(error) => {
                failed += result.rows;
                bar.suspend(|| {
                    eprintln!(
                        "rows {}–{}: not imported: {error}",
                        result.first + 1,
                        result.first + result.rows
                    )
                });
            }
        }
        bar.set_message(format!(
            "{booked} booked, {already} already booked, {refused} refused"
        ));
    }
    for worker in workers {
        let _ = worker.join();
    }
    bar.finish_and_clear();
    let read = reader
        .join()
        .unwrap_or_else(|_| Err("the reader stopped".into()));
    println!("{booked} booked, {already} already booked, {refused} refused");
    match read {
        Err(error) => {
            eprintln!("error: {error}");
            EXIT_IO
        }
        Ok(_) if failed > 0 => {
            eprintln!(
                "error: {failed} rows could not be sent; run the import again (what was booked stays booked once)"
            );
            EXIT_IO
        }
        Ok(_) if refused > 0 => EXIT_REFUSED,
        Ok(_) => EXIT_OK,
    }
}
