//! `lendwork accrue --as-of DATE`: drives the daily accrual through a day to its end,
//! through `POST /v1/servicing/accruals` (role `operations`).
//!
//! ```text
//! $ LENDWORK_API_KEY=… lendwork accrue --as-of 2026-12-01 [--concurrency 4]
//! ```
//!
//! `--concurrency` clients post slices at once (each slice works for the platform's
//! `accrual_slice_ms`, on partitions spread over the portfolio), until every partition is
//! done, with a progress bar: partitions done, loans and loan-days accrued, the rate and the
//! time left. A slice the platform could not take (busy, unreachable) is sent again — a
//! slice done twice accrues nothing twice. Then the run's summary is printed; the command
//! exits with [`EXIT_REFUSED`] when the platform refused the run or any loan failed (each
//! one listed with its reason).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use crate::api_client::{ApiArgs, Client, EXIT_IO, EXIT_OK, EXIT_REFUSED};

/// Arguments of `lendwork accrue`.
#[derive(Args)]
pub struct AccrueArgs {
    /// The day to accrue through (not after the business date).
    #[arg(long)]
    as_of: NaiveDate,
    /// Slices in flight at once (their durable writes overlap).
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    #[command(flatten)]
    api: ApiArgs,
}

/// What the workers share: the furthest run seen, or why they stopped.
#[derive(Default)]
struct Progress {
    run: Option<Value>,
    error: Option<(i32, String)>,
}

fn count(run: &Value, field: &str) -> u64 {
    run[field].as_u64().unwrap_or(0)
}

/// Posts slices until the run is finished, the platform refuses, or another worker stopped.
fn work(client: &Client, as_of: NaiveDate, progress: &Mutex<Progress>, bar: &ProgressBar) {
    let body = json!({ "as_of": as_of });
    loop {
        if progress.lock().map_or(true, |p| p.error.is_some()) {
            return;
        }
        let answer = client.post_retrying("/v1/servicing/accruals", &body);
        let Ok(mut progress) = progress.lock() else {
            return;
        };
        let run = match answer {
            Ok((200 | 202, text)) => match serde_json::from_str::<Value>(&text) {
                Ok(run) => run,
                Err(_) => {
                    progress.error = Some((EXIT_IO, "the platform answered no JSON".into()));
                    return;
                }
            },
            Ok((_, text)) => {
                progress.error = Some((EXIT_REFUSED, text));
                return;
            }
            Err(error) => {
                progress.error = Some((EXIT_IO, error));
                return;
            }
        };
        let newer = progress
            .run
            .as_ref()
            .is_none_or(|seen| count(&run, "partitions_done") >= count(seen, "partitions_done"));
        if newer {
            bar.set_position(count(&run, "partitions_done"));
            let seconds = bar.elapsed().as_secs_f64().max(0.001);
            bar.set_message(format!(
                "{} loans, {} loan-days ({:.0}/s)",
                count(&run, "loans"),
                count(&run, "loan_days"),
                count(&run, "loan_days") as f64 / seconds
            ));
            progress.run = Some(run);
        }
        if progress.run.as_ref().is_some_and(|r| r["finished"] == true) {
            return;
        }
    }
}

/// Runs `lendwork accrue`; the process exit code.
pub fn run(args: &AccrueArgs) -> i32 {
    let client = match args.api.client("an operations") {
        Ok(client) => client,
        Err(code) => return code,
    };
    let bar = ProgressBar::new(4_096);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30} {pos}/{len} partitions · {msg} [{elapsed_precise}, {eta} left]",
        )
        .expect("a valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let began = Instant::now();
    let progress = Arc::new(Mutex::new(Progress::default()));
    let workers: Vec<_> = (0..args.concurrency.clamp(1, 64))
        .map(|_| {
            let (client, progress, bar) = (client.clone(), progress.clone(), bar.clone());
            let as_of = args.as_of;
            std::thread::spawn(move || work(&client, as_of, &progress, &bar))
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    bar.finish_and_clear();
    let progress = std::mem::take(&mut *progress.lock().expect("workers joined"));
    if let Some((code, why)) = progress.error {
        eprintln!("{why}");
        return code;
    }
    let Some(run) = progress.run else {
        eprintln!("error: the platform answered no run");
        return EXIT_IO;
    };
    print_summary(&run, began.elapsed());
    if count(&run, "failed") > 0 {
        EXIT_REFUSED
    } else {
        EXIT_OK
    }
}

fn print_summary(run: &Value, took: Duration) {
    let loan_days = count(run, "loan_days");
    println!(
        "accrued through {}: {} loans, {} loan-days in {:.1} s ({:.0} loan-days/s)",
        run["as_of"].as_str().unwrap_or("?"),
        count(run, "loans"),
        loan_days,
        took.as_secs_f64(),
        loan_days as f64 / took.as_secs_f64().max(0.001)
    );
    if let Some(interest) = run["interest"].as_object() {
        for (currency, amount) in interest {
            let adjusted = run["adjustments"][currency].as_str().unwrap_or("0");
            println!(
                "interest {currency} {} (of which adjustments {adjusted})",
                amount.as_str().unwrap_or("?")
            );
        }
    }
    println!(
        "books advanced to a calendar date: {}",
        count(run, "advanced")
    );
    let failed = count(run, "failed");
    if failed > 0 {
        eprintln!("{failed} loans failed (they catch up with the next run):");
        for failure in run["failures"].as_array().into_iter().flatten() {
            eprintln!(
                "  {}: {}",
                failure["loan"].as_str().unwrap_or("?"),
                failure["reason"].as_str().unwrap_or("?")
            );
        }
    }
}
