//! The benchmark scenarios. Each measures the real path (built components, the real host)
//! and a baseline in the same run, so ratios stay comparable from run to run.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bytes::Bytes;

use super::child::{ChildHost, start_static_child};
use super::load::{self, LoadResult, Plan, Planned};
use super::report::{Report, Summary, us};
use crate::app::{App, HostOptions};
use crate::manifest::Manifest;
use crate::runtime_config::RuntimeConfig;

/// The application the benchmarks run.
const PLATFORM_MANIFEST: &str = "spin.toml";
/// The math benchmark's component.
const MATH_MANIFEST: &str = "tests/manifests/mathbench.toml";
/// An operations key for the benchmark hosts (they live for the run only).
const BENCH_KEY: &str = "bench-operations-key";
/// Concurrent connections of the HTTP benchmarks: enough to keep both cores busy without
/// queueing (on two cores, more connections only add latency).
const CONNECTIONS: usize = 16;
/// The store labels the platform's manifest uses.
pub(crate) const PLATFORM_STORES: &[&str] = &[
    "default",
    "ledger",
    "applications",
    "screening",
    "scoring",
    "decisions",
    "loans",
];
/// The identifier hashing key the benchmark hosts run with (a required secret).
const BENCH_HASH_KEY: &str = "bench-identifier-hash-key";

/// The platform's environment in a benchmark: its API key and required secrets.
fn platform_env(name: &str, keys: &str) -> Option<String> {
    match name {
        "SPIN_VARIABLE_API_KEYS" => Some(keys.to_string()),
        "SPIN_VARIABLE_IDENTIFIER_HASH_KEY" => Some(BENCH_HASH_KEY.to_string()),
        _ => None,
    }
}

/// Loans the spread-out ledger scenario posts to.
const SPREAD_LOANS: usize = 10_000;

fn manifest_path(path: &str) -> Result<&Path> {
    let path = Path::new(path);
    if !path.exists() {
        anyhow::bail!(
            "{} not found: run the benchmarks from the repository root (`cargo xtask bench`)",
            path.display()
        );
    }
    Ok(path)
}

/// Host options for in-process measurements: components' log lines are discarded.
fn quiet() -> HostOptions {
    HostOptions {
        component_output: false,
        ..HostOptions::default()
    }
}

/// Per-request instantiation, pooling against on-demand allocation.
pub async fn instantiate(report: &mut Report, iterations: usize) -> Result<()> {
    let manifest = Manifest::load(manifest_path(PLATFORM_MANIFEST)?)?;
    let state = tempfile::tempdir()?;
    let stores: String = PLATFORM_STORES
        .iter()
        .map(|label| format!("[key_value_store.{label}]\ntype = \"memory\"\n"))
        .collect();
    let config = RuntimeConfig::parse(&stores, state.path())?;
    let keys = format!("operations:{BENCH_KEY}");
    let env = |name: &str| platform_env(name, &keys);
    for component in ["platform", "ledger-api"] {
        let mut summaries = Vec::new();
        for pooling in [true, false] {
            let options = HostOptions { pooling, ..quiet() };
            let app = App::load(&manifest, &config, state.path(), options, env).await?;
            // Warm-up: fault in the pool's slots and the code.
            app.time_instantiation(component, iterations / 10).await?;
            let mut samples = app.time_instantiation(component, iterations).await?;
            summaries.push(Summary::of(&mut samples));
        }
        let (pooled, on_demand) = (summaries[0], summaries[1]);
        // The whole request in-process (no network): where a request's time goes beyond
        // instantiation.
        let (label, plan): (&str, Plan) = match component {
            "platform" => ("GET /v1/health", get("/v1/health")),
            _ => (
                "POST ledger entry (memory store)",
                Arc::new(|i| posting(format!("loan-{:03}", i % 1000), i)),
            ),
        };
        let app = App::load(&manifest, &config, state.path(), quiet(), env).await?;
        let mut samples = Vec::with_capacity(iterations);
        for i in 0..iterations {
            let planned = plan(i);
            let started = Instant::now();
            planned.invoke(&app, component, 0).await.context(label)?;
            samples.push(started.elapsed());
        }
        let whole = Summary::of(&mut samples);
        report.row(
            "request",
            &format!("{label} in-process (median, p99)"),
            format!("{} / {}", us(whole.median), us(whole.p99)),
            format!("of which instantiation {}", us(pooled.median)),
            Some(whole.median.as_secs_f64() / pooled.median.as_secs_f64()),
        );
        report.row(
            "instantiate",
            &format!("{component} (median, p99)"),
            format!("{} / {}", us(pooled.median), us(pooled.p99)),
            format!("on-demand {} / {}", us(on_demand.median), us(on_demand.p99)),
            Some(pooled.median.as_secs_f64() / on_demand.median.as_secs_f64()),
        );
    }
    report.note(format!(
        "instantiate: {iterations} fresh stores + instantiations per component in-process; `ledger-api` is composed with the ledger (two components, one instance)."
    ));
    Ok(())
}

fn throughput(result: &LoadResult) -> f64 {
    result.latencies.len() as f64 / result.elapsed.as_secs_f64()
}

fn get(path: &str) -> Plan {
    let path = path.to_string();
    Arc::new(move |_| Planned {
        method: http::Method::GET,
        path: path.clone(),
        headers: Vec::new(),
        body: Bytes::new(),
    })
}

/// One load run's figures, whichever generator produced them.
struct Measured {
    requests_per_second: f64,
    latency: Summary,
}

/// Seconds each `wrk` run lasts.
const WRK_SECONDS: u32 = 10;

/// Loads `path` on `address` with `wrk` when installed, else the Rust generator.
async fn measure(
    address: std::net::SocketAddr,
    path: &str,
    requests: usize,
    label: &str,
) -> Result<Measured> {
    if super::wrk::available() {
        let address_path = path.to_string();
        let result = tokio::task::spawn_blocking(move || {
            super::wrk::run(address, &address_path, CONNECTIONS, WRK_SECONDS)
        })
        .await??;
        return Ok(Measured {
            requests_per_second: result.requests_per_second,
            latency: Summary {
                count: 0,
                median: result.median,
                p99: result.p99,
            },
        });
    }
    load::run(address, CONNECTIONS, requests / 10, "warm-up", get(path)).await?;
    let mut result = load::run(address, CONNECTIONS, requests, label, get(path)).await?;
    Ok(Measured {
        requests_per_second: throughput(&result),
        latency: Summary::of(&mut result.latencies),
    })
}

/// A trivial route over loopback against a server without WebAssembly.
pub async fn http(report: &mut Report, requests: usize) -> Result<()> {
    let host = ChildHost::start(
        manifest_path(PLATFORM_MANIFEST)?,
        PLATFORM_STORES,
        "memory",
        &[
            ("SPIN_VARIABLE_API_KEYS", &format!("operations:{BENCH_KEY}")),
            ("SPIN_VARIABLE_IDENTIFIER_HASH_KEY", BENCH_HASH_KEY),
        ],
    )?;
    let wasm = measure(host.address, "/v1/health", requests, "GET /v1/health").await?;
    drop(host);

    let (mut baseline_child, baseline_address) = start_static_child()?;
    let baseline = measure(baseline_address, "/", requests, "bare hyper").await;
    let _ = baseline_child.kill();
    let _ = baseline_child.wait();
    let baseline = baseline?;

    let (s, b) = (wasm.latency, baseline.latency);
    report.row(
        "http",
        &format!("GET /v1/health, {CONNECTIONS} connections"),
        format!(
            "{:.0} req/s, {} / {}",
            wasm.requests_per_second,
            us(s.median),
            us(s.p99)
        ),
        format!(
            "bare hyper {:.0} req/s, {} / {}",
            baseline.requests_per_second,
            us(b.median),
            us(b.p99)
        ),
        Some(wasm.requests_per_second / baseline.requests_per_second),
    );
    report.note(if super::wrk::available() {
        format!("http: wrk (1 thread, {CONNECTIONS} connections, {WRK_SECONDS} s) against a separate `lendwork up` process and against the bare hyper baseline; latencies median / p99.")
    } else {
        format!("http: {requests} requests from the closed-loop Rust load generator in the benchmark process (wrk not installed); the host is a separate `lendwork up` process; latencies median / p99.")
    });
    Ok(())
}

fn posting(book: String, index: usize) -> Planned {
    let cents = 100 + (index % 9_900);
    let amount = format!("{}.{:02}", cents / 100, cents % 100);
    let id = format!("bench-{index}");
    let body = serde_json::json!({
        "id": id,
        "effective_date": "2026-11-27",
        "description": "benchmark repayment",
        "lines": [
            {"account": "cash", "side": "debit", "amount": amount, "currency": "USD"},
            {"account": "loan-principal", "side": "credit", "amount": amount, "currency": "USD"},
        ],
    });
    Planned {
        method: http::Method::POST,
        path: format!("/v1/ledger/books/{book}/entries"),
        headers: vec![
            ("content-type", "application/json".into()),
            ("authorization", format!("Bearer {BENCH_KEY}")),
        ],
        body: Bytes::from(body.to_string()),
    }
}

/// The SQLite store alone: durable writes per second from as many concurrent writers as
/// the HTTP benchmarks use, to see how much of a posting's time is the store's.
pub async fn kv(report: &mut Report, writes: usize) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = Arc::new(crate::kv::sqlite::SqliteStore::open(
        &dir.path().join("kv.db"),
    )?);
    let started = Instant::now();
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..CONNECTIONS {
        let store = store.clone();
        writers.spawn(async move {
            let mut samples = Vec::with_capacity(writes / CONNECTIONS);
            for i in 0..writes / CONNECTIONS {
                let key = format!("ledger/book/loan-{writer:02}/entry/{i:020}");
                let t = Instant::now();
                crate::kv::KvStore::set(&*store, &key, &[7u8; 400]).await?;
                samples.push(t.elapsed());
            }
            Ok::<_, crate::kv::KvError>(samples)
        });
    }
    let mut samples = Vec::with_capacity(writes);
    while let Some(done) = writers.join_next().await {
        samples.extend(done??);
    }
    let rate = samples.len() as f64 / started.elapsed().as_secs_f64();
    let s = Summary::of(&mut samples);
    report.row(
        "kv",
        &format!("SQLite durable set, {CONNECTIONS} writers"),
        format!("{rate:.0} writes/s, {} / {}", us(s.median), us(s.p99)),
        String::new(),
        None,
    );
    Ok(())
}

/// Ledger postings per second over HTTP: the first postings of new loans (each creates
/// its book), then to one loan and spread over many, on memory and SQLite, under the
/// host's key-value semantics and under Spin 4.0.2's (`--kv-semantics spin`).
pub async fn ledger(report: &mut Report, postings: usize) -> Result<()> {
    for (store, semantics) in [
        ("memory", "lendwork"),
        ("spin", "lendwork"),
        ("memory", "spin"),
        ("spin", "spin"),
    ] {
        let keys = format!("operations:{BENCH_KEY}");
        let host = ChildHost::start(
            manifest_path(PLATFORM_MANIFEST)?,
            PLATFORM_STORES,
            store,
            &[
                ("SPIN_VARIABLE_API_KEYS", &keys),
                ("SPIN_VARIABLE_IDENTIFIER_HASH_KEY", BENCH_HASH_KEY),
                ("LENDWORK_KV_SEMANTICS", semantics),
            ],
        )?;
        let backend = match (store, semantics) {
            ("spin", "spin") => "SQLite, Spin semantics",
            ("spin", _) => "SQLite",
            (_, "spin") => "memory, Spin semantics",
            _ => "memory",
        };
        // The loans exist before the steady-state scenarios, as in a servicing book: the
        // first posting to a book also claims its creation and registers it.
        let scenarios: [(&str, usize, Plan); 3] = [
            (
                "10,000 new loans",
                SPREAD_LOANS,
                Arc::new(|i| posting(format!("loan-{i:05}"), 2_000_000 + i)),
            ),
            (
                "one loan",
                postings / 4,
                Arc::new(|i| posting("loan-hot".into(), i)),
            ),
            (
                "10,000 loans",
                postings,
                Arc::new(|i| posting(format!("loan-{:05}", i % SPREAD_LOANS), 1_000_000 + i)),
            ),
        ];
        for (scenario, count, plan) in scenarios {
            let label = format!("{backend}, {scenario}");
            let mut result = load::run(host.address, CONNECTIONS, count, &label, plan).await?;
            let rate = throughput(&result);
            let retries = result.retries;
            let s = Summary::of(&mut result.latencies);
            report.row(
                "ledger",
                &label,
                format!("{rate:.0} postings/s, {} / {}", us(s.median), us(s.p99)),
                format!("{retries} conflict retries"),
                None,
            );
        }
    }
    report.note(format!(
        "ledger: POST /v1/ledger/books/{{book}}/entries (ledger-api composed with the ledger, CAS per book) from {CONNECTIONS} connections; {SPREAD_LOANS} first postings of new loans, then {} postings to one loan and {postings} spread over those loans; SQLite is WAL with synchronous=FULL and group commit; \"Spin semantics\" runs the same components under `--kv-semantics spin`.",
        postings / 4
    ));
    Ok(())
}

/// Lending math natively against the same workloads inside a component.
pub async fn math(report: &mut Report, iterations: u32) -> Result<()> {
    let host = ChildHost::start(manifest_path(MATH_MANIFEST)?, &[], "memory", &[])?;
    let stream = tokio::net::TcpStream::connect(host.address).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    for workload in mathbench::Workload::ALL {
        // A 360-month schedule (with its APR) takes milliseconds; the others nanoseconds.
        let iterations = match workload {
            mathbench::Workload::Schedule360 => (iterations / 100).max(5),
            _ => iterations * 10,
        };
        // Natively: the same function, same iterations, best of three.
        let mut native = Duration::MAX;
        let mut checksum = 0;
        for _ in 0..3 {
            let started = Instant::now();
            checksum = std::hint::black_box(mathbench::run(workload, iterations));
            native = native.min(started.elapsed());
        }
        let mut wasm = Duration::MAX;
        for _ in 0..3 {
            sender.ready().await?;
            let request =
                hyper::Request::get(format!("/mathbench/{workload}?iterations={iterations}"))
                    .header(http::header::HOST, host.address.to_string())
                    .body(http_body_util::Empty::<Bytes>::new())?;
            let response = sender.send_request(request).await?;
            let body = http_body_util::BodyExt::collect(response.into_body())
                .await?
                .to_bytes();
            let answer: serde_json::Value =
                serde_json::from_slice(&body).context("mathbench answer")?;
            anyhow::ensure!(
                answer["checksum"].as_i64() == Some(checksum),
                "wasm and native disagree on {workload}: {answer}"
            );
            let nanos = answer["elapsed_ns"].as_u64().context("elapsed_ns")?;
            wasm = wasm.min(Duration::from_nanos(nanos));
        }
        // Nanoseconds: the small operations take a fraction of a microsecond.
        let per = |d: Duration| format!("{:.0} ns", d.as_nanos() as f64 / f64::from(iterations));
        report.row(
            "math",
            &format!("{workload} (per operation)"),
            format!("wasm {}", per(wasm)),
            format!("native {}", per(native)),
            Some(wasm.as_secs_f64() / native.as_secs_f64()),
        );
    }
    report.note(format!(
        "math: {} iterations of the schedule and {} of the others, best of three; wasm time is measured inside the component (wasi monotonic clock), so it excludes HTTP and instantiation; checksums must match native.",
        (iterations / 100).max(5),
        iterations * 10
    ));
    Ok(())
}
