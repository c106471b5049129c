//! Servicing over HTTP, on SQLite (every write durable before it is acknowledged): the
//! import of a portfolio, payment postings spread over 10,000 loans and to one loan, and
//! offers accepted and booked.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use serde_json::{Value, json};

use super::child::ChildHost;
use super::load::{self, Plan, Planned};
use super::origination::{self, APPLICANT_KEY, HASH_KEY};
use super::report::{Report, Summary, us};
use super::scenarios::PLATFORM_STORES;

/// Most times one request is sent when the platform answers 503.
const RETRIES_MAX: u32 = 6;
/// Connections of every scenario.
const CONNECTIONS: usize = 16;
/// Operations key of the benchmark host.
pub(super) const OPERATIONS_KEY: &str = "bench-operations-key";
/// The business date the host runs on; payments are dated on or before it.
const TODAY: &str = "2026-06-30";
/// Rows per import request (the route takes up to 500).
const CHUNK: usize = 250;
/// Loans the spread-out payments go to.
const SPREAD_LOANS: usize = 10_000;
/// Payments to the one loan (it holds its first 24 installments' worth and more).
const ONE_LOAN_MAX: usize = 1_500;

fn keys() -> String {
    format!(
        "operations:{OPERATIONS_KEY};applicant:{APPLICANT_KEY};admin:{}",
        origination::ADMIN_KEY
    )
}

pub(super) fn post(
    path: String,
    key: &str,
    body: Value,
    extra: Option<(&'static str, String)>,
) -> Planned {
    let mut headers = vec![
        ("content-type", "application/json".to_string()),
        ("authorization", format!("Bearer {key}")),
    ];
    headers.extend(extra);
    Planned {
        method: http::Method::POST,
        path,
        headers,
        body: Bytes::from(body.to_string()),
    }
}

/// The `i`-th loan of the portfolio: 6,000.00 at 11.5 % with 24 monthly payments left.
fn row(i: usize) -> Value {
    json!({
        "external_id": format!("bench-{i:06}"),
        "product": "personal_installment",
        "annual_rate": "11.5",
        "original_principal": "8000.00",
        "current_principal": "6000.00",
        "accrued_interest": "12.30",
        "payment_amount": "281.10",
        "remaining_installments": 24,
        "next_due_date": "2026-04-01",
        "paid_to_date": "2026-03-01",
        "days_past_due": 0,
        "balances_as_of": "2026-03-01",
        "borrower": { "first_name": "Ada", "last_name": "Lovelace", "email": format!("b{i}@example.com") },
    })
}

/// Sends `plans` (each answered with a JSON body) over `connections` at once; the bodies,
/// in order, and how long it took.
async fn all(
    address: SocketAddr,
    plans: Vec<Planned>,
    connections: usize,
) -> Result<(Vec<Value>, std::time::Duration)> {
    let count = plans.len();
    let plans = Arc::new(std::sync::Mutex::new(
        plans.into_iter().enumerate().collect::<Vec<_>>(),
    ));
    let answers = Arc::new(std::sync::Mutex::new(vec![Value::Null; count]));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let (plans, answers) = (plans.clone(), answers.clone());
        workers.spawn(async move {
            loop {
                let next = plans.lock().map(|mut p| p.pop()).ok().flatten();
                let Some((index, planned)) = next else {
                    return Ok::<_, anyhow::Error>(());
                };
                // A request the platform could not finish in time is sent again, as
                // `lendwork loans import` does (an import books nothing twice).
                let mut attempts = 0;
                let (status, body) = loop {
                    let (status, body) = load::once(address, planned.clone()).await?;
                    attempts += 1;
                    if status != 503 || attempts == RETRIES_MAX {
                        break (status, body);
                    }
                };
                if !(200..300).contains(&status) {
                    bail!("answered {status}: {}", String::from_utf8_lossy(&body));
                }
                let body: Value = serde_json::from_slice(&body)?;
                if let Ok(mut answers) = answers.lock() {
                    answers[index] = body;
                }
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done??;
    }
    let elapsed = started.elapsed();
    let answers = std::mem::take(&mut *answers.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    Ok((answers, elapsed))
}

fn payment(loan: &str, key: String) -> Planned {
    post(
        format!("/v1/loans/{loan}/payments"),
        OPERATIONS_KEY,
        json!({ "amount": "5.00", "effective_date": "2026-03-15", "channel": "ach" }),
        Some(("idempotency-key", key)),
    )
}

/// A benchmark host of the repository's `spin.toml` on SQLite, its business date `today`.
pub(super) fn start_host(today: &str) -> Result<ChildHost> {
    let keys = keys();
    ChildHost::start(
        std::path::Path::new("spin.toml"),
        PLATFORM_STORES,
        "spin",
        &[
            ("SPIN_VARIABLE_API_KEYS", keys.as_str()),
            ("SPIN_VARIABLE_IDENTIFIER_HASH_KEY", HASH_KEY),
            ("SPIN_VARIABLE_BUSINESS_DATE", today),
        ],
    )
}

/// Imports the portfolio's first `portfolio` loans ([`row`]) in chunks of [`CHUNK`] rows,
/// [`CONNECTIONS`] requests at once (as `lendwork loans import` sends a file); the loans'
/// ids and how long it took.
pub(super) async fn import(
    address: SocketAddr,
    portfolio: usize,
) -> Result<(Vec<String>, std::time::Duration)> {
    let chunks: Vec<Planned> = (0..portfolio)
        .step_by(CHUNK)
        .map(|first| {
            let rows: Vec<Value> = (first..(first + CHUNK).min(portfolio)).map(row).collect();
            post(
                "/v1/loans/import".into(),
                OPERATIONS_KEY,
                json!({ "loans": rows }),
                None,
            )
        })
        .collect();
    let (answers, took) = all(address, chunks, CONNECTIONS).await.context("import")?;
    let mut loans = Vec::with_capacity(portfolio);
    for answer in &answers {
        anyhow::ensure!(
            answer["refused"] == 0,
            "an import row was refused: {answer}"
        );
        for row in answer["loans"].as_array().into_iter().flatten() {
            loans.push(row["loan_id"].as_str().context("loan_id")?.to_string());
        }
    }
    anyhow::ensure!(
        loans.len() == portfolio,
        "{} loans booked of {portfolio}",
        loans.len()
    );
    Ok((loans, took))
}

/// The servicing scenarios; `payments` spread postings (a quarter of them to one loan),
/// `portfolio` loans imported.
pub async fn run(report: &mut Report, payments: usize, portfolio: usize) -> Result<()> {
    let host = start_host(TODAY)?;
    let address = host.address;

    let (loans, took) = import(address, portfolio).await?;
    report.row(
        "servicing",
        &format!("import of {portfolio} loans, SQLite ({CHUNK} a request, {CONNECTIONS} at once)"),
        format!(
            "{:.1} s, {:.0} loans/s",
            took.as_secs_f64(),
            portfolio as f64 / took.as_secs_f64()
        ),
        format!(
            "100,000 would take {:.0} s; target 100,000 in 60 s",
            took.as_secs_f64() * 100_000.0 / portfolio as f64
        ),
        // Against the target's rate (100,000 in 60 s).
        Some(portfolio as f64 / took.as_secs_f64() / (100_000.0 / 60.0)),
    );

    let loans = Arc::new(loans);
    let spread = SPREAD_LOANS.min(loans.len());
    let scenarios: [(&str, usize, Plan); 2] = [
        ("spread over 10,000 loans", payments, {
            let loans = loans.clone();
            Arc::new(move |i| payment(&loans[i % spread], format!("spread-{i}")))
        }),
        // A loan keeps at most 2,000 events (servicing::loan::EVENTS_MAX).
        ("to one loan", (payments / 4).min(ONE_LOAN_MAX), {
            let loans = loans.clone();
            Arc::new(move |i| payment(&loans[0], format!("hot-{i}")))
        }),
    ];
    for (scenario, count, plan) in scenarios {
        let label = format!("POST …/payments {scenario}, SQLite");
        let mut result = load::run(address, CONNECTIONS, count, &label, plan).await?;
        let rate = result.latencies.len() as f64 / result.elapsed.as_secs_f64();
        let retries = result.retries;
        let s = Summary::of(&mut result.latencies);
        report.row(
            "servicing",
            &label,
            format!("{rate:.0} payments/s, {} / {}", us(s.median), us(s.p99)),
            format!("{retries} retries; target 3,000/s spread, p99 20 ms"),
            (scenario != "to one loan").then_some(rate / 3_000.0),
        );
    }

    booking(report, address, payments / 10).await?;
    drop(host);
    report.note(format!(
        "servicing: a lendwork host on SQLite (WAL, synchronous=FULL, group commit), business date {TODAY}; the portfolio imported through POST /v1/loans/import ({CHUNK} rows a request, {CONNECTIONS} requests at once, each loan its own commit of its book with its opening entry); then {payments} payments of 5.00 spread over the first {SPREAD_LOANS} loans and {} to one loan from {CONNECTIONS} connections (each a read of the loan's book, the allocation, one commit of the entry with the loan's state); then offers accepted (disclosure checked, e-signature recorded, loan booked through onboarding, application marked booked).",
        (payments / 4).min(ONE_LOAN_MAX)
    ));
    Ok(())
}

/// Offers accepted and booked per second: approved applications first (submitted until
/// enough are approved), their disclosures read, then the acceptances measured.
async fn booking(report: &mut Report, address: SocketAddr, wanted: usize) -> Result<()> {
    let upload: Plan = Arc::new(|_| origination::list_upload());
    load::run(address, 1, 1, "loading the SDN list", upload).await?;
    let next = Arc::new(AtomicUsize::new(0));
    // (application, the applicant's last name: a signature names the applicant).
    let mut approved: Vec<(String, String)> = Vec::new();
    while approved.len() < wanted && next.load(Ordering::Relaxed) < wanted * 4 {
        let plans: Vec<Planned> = (0..CONNECTIONS * 8)
            .map(|_| origination::application(1_000_000 + next.fetch_add(1, Ordering::Relaxed)))
            .collect();
        let (answers, _) = all(address, plans, CONNECTIONS)
            .await
            .context("applications")?;
        approved.extend(
            answers
                .iter()
                .filter(|a| a["status"] == "approved")
                .filter_map(|a| {
                    let name = a["application"]["applicant"]["last_name"].as_str()?;
                    Some((a["id"].as_str()?.to_string(), name.to_string()))
                }),
        );
    }
    approved.truncate(wanted);
    let disclosures: Vec<Planned> = approved
        .iter()
        .map(|(id, _)| Planned {
            method: http::Method::GET,
            path: format!("/v1/applications/{id}/offers/o1/disclosure"),
            headers: vec![("authorization", format!("Bearer {APPLICANT_KEY}"))],
            body: Bytes::new(),
        })
        .collect();
    let (read, _) = all(address, disclosures, CONNECTIONS)
        .await
        .context("disclosures")?;
    let signed: Arc<Vec<(String, String, String)>> = Arc::new(
        approved
            .iter()
            .zip(&read)
            .map(|((id, name), d)| {
                let sha = d["document_sha256"].as_str().unwrap_or("").to_string();
                (id.clone(), name.clone(), sha)
            })
            .collect(),
    );
    let plan: Plan = Arc::new(move |i| {
        let (id, name, sha) = &signed[i];
        post(
            format!("/v1/applications/{id}/offers/o1/accept"),
            APPLICANT_KEY,
            json!({ "typed_name": format!("A. {name}"), "consent": true, "disclosure_sha256": sha }),
            None,
        )
    });
    let count = approved.len();
    let label = "POST …/offers/o1/accept, SQLite";
    let mut result = load::run(address, CONNECTIONS, count, label, plan).await?;
    let rate = result.latencies.len() as f64 / result.elapsed.as_secs_f64();
    let s = Summary::of(&mut result.latencies);
    report.row(
        "servicing",
        &format!("{label} (accepted and booked)"),
        format!("{rate:.0} bookings/s, {} / {}", us(s.median), us(s.p99)),
        format!("{count} approved applications"),
        None,
    );
    Ok(())
}
