//! The origination benchmarks: applications through the whole synchronous pipeline over
//! HTTP (intake → screening → decisioning → scoring and the bureau simulator → the credit
//! policy) with a sanctions list of 10,000 entries loaded, against a bare route on the same
//! host in the same run; one party's sanctions screening inside the screening component,
//! and one policy evaluation inside decisioning, in-process.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use bytes::Bytes;
use serde_json::json;

use super::child::ChildHost;
use super::load::{self, Plan, Planned};
use super::report::{Report, Summary, us};
use super::scenarios::PLATFORM_STORES;
use crate::app::{App, HostOptions};
use crate::manifest::Manifest;
use crate::runtime_config::RuntimeConfig;

/// Entries of the synthetic sanctions list (the SDN list holds about 18,000).
pub const LIST_ENTRIES: usize = 10_000;
/// Concurrent connections, as the other HTTP benchmarks use.
const CONNECTIONS: usize = 16;
/// The benchmark hosts' keys (they live for the run only).
pub(super) const ADMIN_KEY: &str = "bench-admin-key";
pub(super) const APPLICANT_KEY: &str = "bench-applicant-key";
pub(super) const HASH_KEY: &str = "bench-identifier-hash-key";

/// Syllables the synthetic names are made of: listed names and applicants' names share
/// them, so a screening finds candidates to score, as real names do.
const SYLLABLES: &[&str] = &[
    "ka", "ri", "mo", "va", "le", "na", "so", "ta", "mi", "ro", "da", "ne", "lu", "sa", "ho", "be",
    "ga", "zi", "fa", "to", "pe", "ju", "ki", "la",
];

/// A name of `parts` syllables from `n`.
fn word(mut n: usize, parts: usize) -> String {
    let mut word = String::new();
    for _ in 0..parts {
        word.push_str(SYLLABLES[n % SYLLABLES.len()]);
        n /= SYLLABLES.len();
    }
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// A synthetic SDN list in the public CSV layout: individuals with a year of birth.
pub fn synthetic_sdn(entries: usize) -> String {
    (0..entries)
        .map(|i| {
            format!(
                "{},\"{}, {}\",\"individual\",\"SDGT\",\"-0-\",\"-0-\",\"-0-\",\"-0-\",\"-0-\",\"-0-\",\"-0-\",\"DOB {}; nationality Testland.\"\n",
                10_000 + i,
                word(i * 7_919, 3).to_ascii_uppercase(),
                word(i * 104_729 + 11, 2),
                1940 + i % 60
            )
        })
        .collect()
}

/// The `i`-th benchmark application: an applicant whose name shares syllables with listed
/// names but is none of them, with identifiers no other application uses.
pub(super) fn application(i: usize) -> Planned {
    let body = json!({
        "product": "personal_installment", "channel": "web", "requested_amount": "12000",
        "term_months": 36, "purpose": "benchmark",
        "applicant": {
            "first_name": word(i * 31 + 5, 2), "last_name": word(i * 17 + 3, 4),
            "date_of_birth": "1990-02-28",
            "national_id": format!("{:03}-{:02}-{:04}", 100 + i % 500, 1 + (i / 500) % 99, 1 + (i / 49_500) % 9_999),
            "email": format!("bench{i}@example.com"), "phone": format!("+1415{:07}", i % 10_000_000),
            "address": { "line1": "1 Main St", "city": "Springfield", "state": "CA",
                         "postal_code": "94105", "country": "US" },
            "annual_income": "85000", "monthly_housing_cost": "1800", "employment_status": "employed"
        },
        "consents": { "credit_pull": true, "esign": true, "terms_version": "2026-10",
                      "accepted_at": "2026-11-01T10:00:00Z" }
    });
    Planned {
        method: http::Method::POST,
        path: "/v1/applications".into(),
        headers: vec![
            ("content-type", "application/json".into()),
            ("authorization", format!("Bearer {APPLICANT_KEY}")),
        ],
        body: Bytes::from(body.to_string()),
    }
}

pub(super) fn list_upload() -> Planned {
    Planned {
        method: http::Method::POST,
        path: "/v1/admin/sanctions".into(),
        headers: vec![
            ("content-type", "application/json".into()),
            ("authorization", format!("Bearer {ADMIN_KEY}")),
        ],
        body: Bytes::from(json!({ "sdn_csv": synthetic_sdn(LIST_ENTRIES) }).to_string()),
    }
}

const RISK_KEY: &str = "bench-risk-key";

fn keys() -> String {
    format!("admin:{ADMIN_KEY};applicant:{APPLICANT_KEY};risk:{RISK_KEY}")
}

fn health() -> Planned {
    Planned {
        method: http::Method::GET,
        path: "/v1/health".into(),
        headers: Vec::new(),
        body: Bytes::new(),
    }
}

/// How far an application goes in a scenario.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Intake and screening (decisioning answered by a trivial route).
    Screening,
    /// The whole pipeline, decisioning and scoring included.
    Decision,
}

/// How long wrk drives the pipeline: about as long as `applications` distinct bodies last.
fn wrk_seconds(applications: usize) -> u32 {
    (applications / 1_000).clamp(2, 10) as u32
}

/// Applications per second through the pipeline on `address`, and a bare route's, with
/// wrk when it is installed (a C event loop leaves the server more of the two cores) and
/// the Rust load generator otherwise.
async fn pipeline(
    address: std::net::SocketAddr,
    applications: usize,
    label: &str,
) -> Result<(f64, Summary, f64, Summary)> {
    if super::wrk::available() {
        let seconds = wrk_seconds(applications);
        let bare = super::wrk::run(address, "/v1/health", CONNECTIONS, seconds)?;
        let first = application(0);
        let bodies: Vec<String> = (0..applications)
            .map(|i| String::from_utf8_lossy(&application(i).body).into_owned())
            .collect();
        let script = super::wrk::post_script(&first.path, &first.headers, &bodies);
        let run = super::wrk::run_script(address, &script, CONNECTIONS, seconds)?;
        let summary = |r: &super::wrk::WrkResult| Summary {
            count: (r.requests_per_second * f64::from(seconds)) as usize,
            median: r.median,
            p99: r.p99,
        };
        return Ok((
            run.requests_per_second,
            summary(&run),
            bare.requests_per_second,
            summary(&bare),
        ));
    }
    let bare: Plan = Arc::new(|_| health());
    let mut baseline = load::run(address, CONNECTIONS, applications, "bare route", bare).await?;
    let bare_rate = baseline.latencies.len() as f64 / baseline.elapsed.as_secs_f64();
    let plan: Plan = Arc::new(application);
    let mut result = load::run(address, CONNECTIONS, applications, label, plan).await?;
    let rate = result.latencies.len() as f64 / result.elapsed.as_secs_f64();
    Ok((
        rate,
        Summary::of(&mut result.latencies),
        bare_rate,
        Summary::of(&mut baseline.latencies),
    ))
}

/// Applications per second through intake and screening, on memory and SQLite.
pub async fn intake(report: &mut Report, applications: usize) -> Result<()> {
    // Intake and screening alone: decisioning's URL points at a trivial route (the
    // platform's 404), which intake takes as "decisioning unavailable" and refers — one
    // cheap chained call more than intake and screening need.
    let scenarios = [
        ("memory", "memory", Stage::Screening),
        ("memory", "memory", Stage::Decision),
        ("spin", "SQLite", Stage::Decision),
    ];
    for (store, backend, stage) in scenarios {
        let keys = keys();
        let mut env = vec![
            ("SPIN_VARIABLE_API_KEYS", keys.as_str()),
            ("SPIN_VARIABLE_IDENTIFIER_HASH_KEY", HASH_KEY),
        ];
        if stage == Stage::Screening {
            env.push((
                "SPIN_VARIABLE_DECISIONING_URL",
                "http://platform.spin.internal",
            ));
        }
        let host = ChildHost::start(
            std::path::Path::new("spin.toml"),
            PLATFORM_STORES,
            store,
            &env,
        )?;
        let upload: Plan = Arc::new(|_| list_upload());
        load::run(host.address, 1, 1, "loading 10,000 entries", upload).await?;
        let label = format!("{backend}, {LIST_ENTRIES} SDN entries");
        let (rate, s, bare_rate, b) = pipeline(host.address, applications, &label).await?;
        let (what, unit, target) = match stage {
            Stage::Screening => (
                "intake and screening (decisioning a trivial route)",
                "applications/s",
                2000.0,
            ),
            Stage::Decision => ("whole pipeline", "decisions/s", 1500.0),
        };
        report.row(
            "origination",
            &format!("POST /v1/applications, {what}, {label}"),
            format!("{rate:.0} {unit}, {} / {}", us(s.median), us(s.p99)),
            format!(
                "GET /v1/health {bare_rate:.0} req/s, {} / {}; target {target:.0} {unit}, p99 {} ms",
                us(b.median),
                us(b.p99),
                if stage == Stage::Screening { 15 } else { 20 }
            ),
            Some(rate / target),
        );
    }
    let generator = if super::wrk::available() {
        format!(
            "wrk (1 thread) cycling through {applications} distinct applications for {} s",
            wrk_seconds(applications)
        )
    } else {
        format!("{applications} applications from the Rust load generator (wrk not installed)")
    };
    report.note(format!(
        "origination: {generator}, {CONNECTIONS} connections, each application validated, screened (sanctions against {LIST_ENTRIES} synthetic SDN entries, identity through the simulator component, duplicates and velocity on three identifiers), decided (scoring with a bureau pull from the simulator component, the consumer policy composed into decisioning, the decision stored) and stored; GET /v1/health on the same host first (the baseline); ratio against the issue's target (2,000 applications/s through intake and screening, 1,500 decisions/s through the whole pipeline)."
    ));
    Ok(())
}

/// The test candidate policy the swap benchmark swaps in (built with the components).
const CANDIDATE_WASM: &str = "target/wasm32-wasip2/release/candidate_policy.wasm";

/// A policy hot swap in the middle of the pipeline's load, on memory: the latencies of the
/// applications answered before the swap began, while it ran (staging aside: composing and
/// compiling the candidate beside the serving version, its dry run on 200 recorded
/// decisions, the switch) and after it, and how long it took. Any failed request fails the
/// benchmark.
pub async fn swap(report: &mut Report, applications: usize) -> Result<()> {
    let keys = keys();
    let host = ChildHost::start(
        std::path::Path::new("spin.toml"),
        PLATFORM_STORES,
        "memory",
        &[
            ("SPIN_VARIABLE_API_KEYS", &keys),
            ("SPIN_VARIABLE_IDENTIFIER_HASH_KEY", HASH_KEY),
        ],
    )?;
    let upload: Plan = Arc::new(|_| list_upload());
    load::run(host.address, 1, 1, "loading 10,000 entries", upload).await?;
    // Recorded decisions for the dry run (identifiers no later application shares).
    let recorded: Plan = Arc::new(|i| application(i + 900_000));
    load::run(
        host.address,
        CONNECTIONS,
        400,
        "recording decisions",
        recorded,
    )
    .await?;
    let candidate = std::fs::read(CANDIDATE_WASM)
        .map_err(|e| anyhow::anyhow!("{CANDIDATE_WASM}: {e} (cargo xtask build)"))?;
    let risk = |path: &str, content_type: &str, body: Bytes| Planned {
        method: http::Method::POST,
        path: path.into(),
        headers: vec![
            ("content-type", content_type.into()),
            ("authorization", format!("Bearer {RISK_KEY}")),
        ],
        body,
    };
    let (status, staged) = load::once(
        host.address,
        risk(
            "/v1/admin/policies/candidates",
            "application/wasm",
            candidate.into(),
        ),
    )
    .await?;
    anyhow::ensure!(status == 201, "staging answered {status}");
    let digest = serde_json::from_slice::<serde_json::Value>(&staged)?["sha256"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    let plan: Plan = Arc::new(application);
    let address = host.address;
    let running = tokio::spawn(async move {
        load::run(
            address,
            CONNECTIONS,
            applications,
            "hot swap under load",
            plan,
        )
        .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    let swap_started = Instant::now();
    let body = json!({ "component": "decisioning", "candidate": digest }).to_string();
    let (status, answer) = load::once(
        host.address,
        risk(
            "/v1/admin/policies/swap",
            "application/json",
            Bytes::from(body),
        ),
    )
    .await?;
    anyhow::ensure!(
        status == 202,
        "the swap answered {status}: {}",
        String::from_utf8_lossy(&answer)
    );
    let job = serde_json::from_slice::<serde_json::Value>(&answer)?["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let finished = loop {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let read = Planned {
            method: http::Method::GET,
            path: format!("/v1/admin/policies/changes/{job}"),
            headers: vec![("authorization", format!("Bearer {RISK_KEY}"))],
            body: Bytes::new(),
        };
        let (_, job) = load::once(host.address, read).await?;
        let job: serde_json::Value = serde_json::from_slice(&job)?;
        if job["status"] != "running" {
            break job;
        }
    };
    let swap_ended = Instant::now();
    anyhow::ensure!(finished["status"] == "done", "the swap failed: {finished}");
    let result = running.await??;
    let (begin, end) = (
        swap_started.saturating_duration_since(result.started),
        swap_ended.saturating_duration_since(result.started),
    );
    let (mut before, mut during, mut after) = (Vec::new(), Vec::new(), Vec::new());
    for (sent, latency) in result.sent.iter().zip(&result.latencies) {
        if *sent + *latency < begin {
            before.push(*latency);
        } else if *sent >= end {
            after.push(*latency);
        } else {
            during.push(*latency);
        }
    }
    anyhow::ensure!(
        !before.is_empty() && !during.is_empty() && !after.is_empty(),
        "the swap did not fall inside the load ({} / {} / {} requests)",
        before.len(),
        during.len(),
        after.len()
    );
    let during_count = during.len();
    let (b, d, a) = (
        Summary::of(&mut before),
        Summary::of(&mut during),
        Summary::of(&mut after),
    );
    report.row(
        "origination",
        "hot swap of the consumer policy under the pipeline's load, memory",
        format!(
            "before {} / {} · during {} / {} · after {} / {}",
            us(b.median),
            us(b.p99),
            us(d.median),
            us(d.p99),
            us(a.median),
            us(a.p99)
        ),
        format!(
            "swap {} ms (compose, compile at nice {}, dry run of 200 decisions, switch); {during_count} requests during it, none failed, {} retries",
            (swap_ended - swap_started).as_millis(),
            crate::app::BUILD_NICE,
            result.retries
        ),
        Some(d.p99.as_secs_f64() / b.p99.as_secs_f64().max(1e-9)),
    );
    report.note(format!(
        "origination: hot swap — {applications} applications from {CONNECTIONS} connections; 1.5 s in, the consumer policy is swapped for the test candidate through POST /v1/admin/policies/swap; latencies median / p99 of the applications answered before it began, sent or answered while it ran, and sent after it; ratio: p99 during against p99 before."
    ));
    Ok(())
}

/// One party's sanctions screening inside the screening component, and one policy
/// evaluation inside decisioning (its replay of a stored decision times the policy call
/// alone), in-process.
pub async fn screening(report: &mut Report, iterations: usize) -> Result<()> {
    let manifest = Manifest::load(std::path::Path::new("spin.toml"))?;
    let state = tempfile::tempdir()?;
    let stores: String = PLATFORM_STORES
        .iter()
        .map(|label| format!("[key_value_store.{label}]\ntype = \"memory\"\n"))
        .collect();
    let config = RuntimeConfig::parse(&stores, state.path())?;
    let keys = keys();
    let env = |name: &str| match name {
        "SPIN_VARIABLE_API_KEYS" => Some(keys.clone()),
        "SPIN_VARIABLE_IDENTIFIER_HASH_KEY" => Some(HASH_KEY.to_string()),
        _ => None,
    };
    let options = HostOptions {
        component_output: false,
        ..HostOptions::default()
    };
    let app = App::load(&manifest, &config, state.path(), options, env).await?;
    list_upload().invoke(&app, "intake", 0).await?;
    let mut samples = Vec::with_capacity(iterations);
    for i in 0..iterations {
        let body = json!({ "parties": [{
            "name": format!("{} {}", word(i * 31 + 5, 2), word(i * 17 + 3, 4)),
            "individual": true, "birth_year": 1990, "country": "united states"
        }] });
        let screen = Planned {
            method: http::Method::POST,
            path: "/screen".into(),
            headers: vec![("content-type", "application/json".into())],
            body: Bytes::from(body.to_string()),
        };
        let started = Instant::now();
        // Depth 1: as intake's chained call reaches it.
        screen.invoke(&app, "screening", 1).await?;
        samples.push(started.elapsed());
    }
    let s = Summary::of(&mut samples);
    report.row(
        "origination",
        &format!("sanctions screening of one party, {LIST_ENTRIES} entries, in-process"),
        format!("{} / {}", us(s.median), us(s.p99)),
        String::new(),
        None,
    );
    policy_evaluation(report, &app, iterations).await
}

/// The consumer policy's evaluation inside decisioning: one application decided, then its
/// decision replayed `iterations` times; each replay reports the policy call's time.
async fn policy_evaluation(report: &mut Report, app: &App, iterations: usize) -> Result<()> {
    let answer = application(7).invoke(app, "intake", 0).await?;
    let answer: serde_json::Value = serde_json::from_slice(&answer)?;
    let decision = answer["decision"]["decision_id"]
        .as_str()
        .filter(|_| answer["decision"]["policy"].is_object())
        .ok_or_else(|| anyhow::anyhow!("the application was not decided by a policy: {answer}"))?
        .to_string();
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let replay = Planned {
            method: http::Method::POST,
            path: format!("/decisions/{decision}/replay"),
            headers: Vec::new(),
            body: Bytes::new(),
        };
        let body: serde_json::Value =
            serde_json::from_slice(&replay.invoke(app, "decisioning", 1).await?)?;
        anyhow::ensure!(body["identical"] == true, "a replay differed: {body}");
        let micros = body["replayed"]["policy_us"].as_u64().unwrap_or_default();
        samples.push(std::time::Duration::from_micros(micros));
    }
    let s = Summary::of(&mut samples);
    let per_core = 1.0 / s.median.as_secs_f64().max(1e-9);
    report.row(
        "origination",
        "consumer policy evaluation inside decisioning, in-process",
        format!("{} / {}", us(s.median), us(s.p99)),
        format!("{per_core:.0} evaluations/s per core at the median"),
        None,
    );
    Ok(())
}
