//! The daily accrual at portfolio scale, on SQLite: a portfolio imported, then a day's run
//! driven through `POST /v1/servicing/accruals` by two clients at once (as `lendwork
//! accrue` drives it) — first the run that takes every loan's record from its book (three
//! days caught up), then the next day's, from the records alone: the nightly cost.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};

use super::load;
use super::report::Report;
use super::servicing::{OPERATIONS_KEY, import, post, start_host};

/// The business date of the benchmark host (the portfolio's balances are as of March 1).
const TODAY: &str = "2026-03-05";
/// Clients posting slices at once.
const CLIENTS: usize = 2;
/// The target: a million loans' day in 30 s.
const TARGET_LOAN_DAYS_PER_SEC: f64 = 30_000.0;

/// Posts slices of the run through `as_of` from [`CLIENTS`] clients until it is finished;
/// the finished run and how long it took.
async fn drive(address: SocketAddr, as_of: &str) -> Result<(Value, Duration)> {
    let began = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..CLIENTS {
        let as_of = as_of.to_string();
        clients.spawn(async move {
            loop {
                let slice = post(
                    "/v1/servicing/accruals".into(),
                    OPERATIONS_KEY,
                    json!({ "as_of": as_of }),
                    None,
                );
                let (status, body) = load::once(address, slice).await?;
                match status {
                    200 => return Ok::<Value, anyhow::Error>(serde_json::from_slice(&body)?),
                    202 | 503 => continue,
                    _ => bail!("answered {status}: {}", String::from_utf8_lossy(&body)),
                }
            }
        });
    }
    let mut run = Value::Null;
    while let Some(done) = clients.join_next().await {
        run = done??;
    }
    Ok((run, began.elapsed()))
}

fn count(run: &Value, field: &str) -> Result<u64> {
    run[field]
        .as_u64()
        .with_context(|| format!("{field} in {run}"))
}

/// The accrual over portfolios of each of `sizes` loans.
pub async fn run(report: &mut Report, sizes: &[usize]) -> Result<()> {
    let mut rates = Vec::new();
    for &size in sizes {
        let host = start_host(TODAY)?;
        let (_, imported) = import(host.address, size).await?;
        let (first, first_took) = drive(host.address, "2026-03-03").await?;
        ensure!(count(&first, "loan_days")? == 3 * size as u64, "{first}");
        ensure!(count(&first, "failed")? == 0, "{first}");
        let (day, took) = drive(host.address, "2026-03-04").await?;
        ensure!(count(&day, "loan_days")? == size as u64, "{day}");
        ensure!(count(&day, "failed")? == 0, "{day}");
        drop(host);
        let rate = size as f64 / took.as_secs_f64();
        rates.push((size, rate));
        report.row(
            "accrual",
            &format!("one business day over {size} loans, SQLite ({CLIENTS} clients)"),
            format!("{:.1} s, {rate:.0} loan-days/s", took.as_secs_f64()),
            format!(
                "1,000,000 would take {:.0} s; target 1,000,000 in 30 s",
                1_000_000.0 / rate
            ),
            Some(rate / TARGET_LOAN_DAYS_PER_SEC),
        );
        report.row(
            "accrual",
            &format!("first run over {size} loans (records taken from every book, 3 days)"),
            format!(
                "{:.1} s, {:.0} loans/s",
                first_took.as_secs_f64(),
                size as f64 / first_took.as_secs_f64()
            ),
            format!("after an import of {:.1} s", imported.as_secs_f64()),
            None,
        );
    }
    let linear = rates
        .iter()
        .map(|(size, rate)| format!("{size}: {rate:.0}/s"))
        .collect::<Vec<_>>()
        .join(", ");
    report.note(format!(
        "accrual: a lendwork host on SQLite (WAL, synchronous=FULL), business date {TODAY}; each portfolio imported through POST /v1/loans/import (balances as of 2026-03-01, next due 2026-04-01), then the run through March 3 (every record taken from its loan's book, three days each) and the run through March 4 (the nightly run: one day per loan from the records, each partition's block read and written once), each driven by {CLIENTS} clients posting slices of accrual_slice_ms (4 s) until every one of the 4,096 partitions is done. Loan-days/s by portfolio size (linear when flat): {linear}."
    ));
    Ok(())
}
