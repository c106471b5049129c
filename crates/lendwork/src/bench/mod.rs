//! `lendwork bench`: the platform's benchmarks. Each prints medians and tails, and a ratio
//! against a baseline measured in the same run, and can write them to `BENCHMARKS.md`.
//!
//! * `instantiate` — per-request instantiation of a component, pooling allocator against
//!   on-demand allocation;
//! * `http` — a trivial route over loopback against a bare hyper server answering the same
//!   bytes without any WebAssembly;
//! * `ledger` — postings per second through `POST /v1/ledger/books/{book}/entries`, to one
//!   loan and spread over 10,000 loans, on the memory and SQLite stores;
//! * `origination` — the whole synchronous pipeline over HTTP, sanctions screening and
//!   policy evaluation in-process;
//! * `swap` — a policy hot swap in the middle of the pipeline's load;
//! * `servicing` — importing a portfolio, payments spread over 10,000 loans and to one
//!   loan, offers accepted and booked, on SQLite;
//! * `accrual` — the daily accrual of portfolios of 100,000, 300,000 and 1,000,000
//!   imported loans on SQLite (the first run, then the nightly one);
//! * `math` — lending math natively against the same code inside a component.

mod accrual;
mod child;
mod load;
mod origination;
mod report;
mod scenarios;
mod servicing;
mod wrk;

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

pub use child::{ChildHost, serve_static};

/// What `/v1/health` answers; the baseline server answers the same bytes.
pub const HEALTH_BODY: &str = "{\"status\":\"ok\",\"version\":\"0.1.0\"}";
pub use report::{Report, Summary};

/// Arguments of `lendwork bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Benchmarks to run: instantiate, http, kv, ledger, origination, swap, servicing,
    /// accrual, math (default: all).
    #[arg(value_delimiter = ',')]
    pub only: Vec<String>,
    /// Write the figures as Markdown to this file (e.g. BENCHMARKS.md).
    #[arg(long)]
    pub write: Option<PathBuf>,
    /// Smaller runs, for a quick look (figures are noisier).
    #[arg(long)]
    pub quick: bool,
    /// Portfolio sizes of the accrual benchmark (divided by 10 with `--quick`).
    #[arg(long, value_delimiter = ',', default_values_t = [100_000, 300_000, 1_000_000])]
    pub accrual_loans: Vec<usize>,
}

/// Runs the selected benchmarks and prints (and optionally writes) the report.
pub async fn run(args: &BenchArgs) -> Result<()> {
    let wants = |name: &str| args.only.is_empty() || args.only.iter().any(|o| o == name);
    let scale = if args.quick { 10 } else { 1 };
    let mut report = Report::new();
    if wants("instantiate") {
        scenarios::instantiate(&mut report, 20_000 / scale).await?;
    }
    if wants("http") {
        scenarios::http(&mut report, 100_000 / scale).await?;
    }
    if wants("kv") {
        scenarios::kv(&mut report, 40_000 / scale).await?;
    }
    if wants("ledger") {
        scenarios::ledger(&mut report, 20_000 / scale).await?;
    }
    if wants("origination") {
        origination::screening(&mut report, 2_000 / scale).await?;
        origination::intake(&mut report, 10_000 / scale).await?;
    }
    if wants("swap") {
        origination::swap(&mut report, 10_000 / scale).await?;
    }
    if wants("servicing") {
        servicing::run(&mut report, 20_000 / scale, 100_000 / scale).await?;
    }
    if wants("accrual") {
        let sizes: Vec<usize> = args.accrual_loans.iter().map(|n| n / scale).collect();
        accrual::run(&mut report, &sizes).await?;
    }
    if wants("math") {
        scenarios::math(&mut report, 2_000 / scale as u32).await?;
    }
    println!("{}", report.table());
    if let Some(path) = &args.write {
        report.write_into(path)?;
        println!("figures written to {}", path.display());
    }
    Ok(())
}
