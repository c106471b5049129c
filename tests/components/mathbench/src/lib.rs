//! A bench component: runs one [`mathbench`] workload inside WebAssembly and reports how
//! long it took, so a runner can compare it with the same workload run natively.
//!
//! `GET /mathbench/<workload>?iterations=N` (the first segment is whichever route the
//! manifest gives, `tests/manifests/mathbench.toml`) runs [`mathbench::run`] `N` times,
//! timed with the WASI monotonic clock, and answers
//! `{"workload":"schedule-360","iterations":N,"elapsed_ns":…,"checksum":…}`. The checksum
//! equals the native `mathbench::run(workload, N)`, which shows both ran the same work.
//! A bad workload or iteration count is a 400 with a plain-text reason; another method
//! is a 405.
//!
//! Only the timing of `run` is reported: request parsing and the JSON answer are outside
//! the measured span, and instantiation is the host's business.
#![deny(missing_docs)]

use mathbench::{ITERATIONS_MAX, Workload};

/// A parsed benchmark request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchRequest {
    /// What to run.
    pub workload: Workload,
    /// How many times, `1..=ITERATIONS_MAX`.
    pub iterations: u32,
}

/// Reads `/<route>/<workload>` and `iterations=N` (the only query parameter); the error
/// is the plain-text reason for a 400.
pub fn parse_request(path: &str, query: &str) -> Result<BenchRequest, String> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    // The first segment is whichever route the manifest gave this component.
    let workload = match segments.as_slice() {
        [_route, workload] => workload.parse::<Workload>().map_err(|e| e.to_string())?,
        _ => return Err("expected /mathbench/<workload>?iterations=N".to_string()),
    };
    let mut iterations = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("iterations", value)) if iterations.is_none() => {
                iterations = Some(parse_iterations(value)?);
            }
            Some(("iterations", _)) => return Err("iterations given twice".to_string()),
            _ => return Err(format!("unexpected query parameter {pair:?}")),
        }
    }
    let iterations = iterations.ok_or("missing query parameter iterations=N")?;
    Ok(BenchRequest {
        workload,
        iterations,
    })
}

fn parse_iterations(value: &str) -> Result<u32, String> {
    let out_of_range = || format!("iterations must be an integer from 1 to {ITERATIONS_MAX}");
    // Digits only: u32's parser also takes a leading '+', which no runner sends.
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(out_of_range());
    }
    match value.parse::<u32>() {
        Ok(n) if (1..=ITERATIONS_MAX).contains(&n) => Ok(n),
        _ => Err(out_of_range()),
    }
}

/// The JSON answer for a finished run.
pub fn report(request: BenchRequest, elapsed_ns: u64, checksum: i64) -> String {
    serde_json::json!({
        "workload": request.workload.name(),
        "iterations": request.iterations,
        "elapsed_ns": elapsed_ns,
        "checksum": checksum,
    })
    .to_string()
}

#[cfg(target_arch = "wasm32")]
mod guest {
    use std::time::Instant;

    use spin_sdk::http::{Method, Request, Response};

    fn text(status: u16, body: impl Into<String>) -> Response {
        Response::builder()
            .status(status)
            .header("content-type", "text/plain; charset=utf-8")
            .body(body.into())
            .build()
    }

    #[spin_sdk::http_component]
    fn handle(request: Request) -> Response {
        if *request.method() != Method::Get {
            return text(405, "only GET");
        }
        let bench = match super::parse_request(request.path(), request.query()) {
            Ok(bench) => bench,
            Err(reason) => return text(400, reason),
        };
        // Instant is the wasi:clocks monotonic clock on wasm32-wasip2.
        let started = Instant::now();
        let checksum = mathbench::run(bench.workload, bench.iterations);
        let elapsed = started.elapsed();
        // u64 nanoseconds last 584 years; a run is bounded by ITERATIONS_MAX.
        let elapsed_ns = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(super::report(bench, elapsed_ns, checksum))
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_workload_and_the_iteration_bounds() {
        for workload in Workload::ALL {
            let path = format!("/mathbench/{workload}");
            assert_eq!(
                parse_request(&path, "iterations=1000"),
                Ok(BenchRequest {
                    workload,
                    iterations: 1000
                })
            );
        }
        let max = format!("iterations={ITERATIONS_MAX}");
        assert!(parse_request("/mathbench/allocation", &max).is_ok());
        assert!(parse_request("/mathbench/allocation", "iterations=1").is_ok());
    }

    #[test]
    fn refuses_bad_input() {
        let too_many = format!("iterations={}", ITERATIONS_MAX + 1);
        for (path, query) in [
            ("/mathbench/nope", "iterations=1"),
            ("/mathbench", "iterations=1"),
            ("/mathbench/", "iterations=1"),
            ("/mathbench/allocation/extra", "iterations=1"),
            ("/mathbench/allocation", ""),
            ("/mathbench/allocation", "iterations="),
            ("/mathbench/allocation", "iterations=0"),
            ("/mathbench/allocation", "iterations=-1"),
            ("/mathbench/allocation", "iterations=+5"),
            ("/mathbench/allocation", "iterations=1e3"),
            ("/mathbench/allocation", "iterations=99999999999"),
            ("/mathbench/allocation", too_many.as_str()),
            ("/mathbench/allocation", "iterations=1&iterations=2"),
            ("/mathbench/allocation", "iterations=1&warmup=5"),
        ] {
            assert!(
                parse_request(path, query).is_err(),
                "{path}?{query} should be refused"
            );
        }
    }

    #[test]
    fn reports_json() {
        let request = BenchRequest {
            workload: Workload::DailyAccrual,
            iterations: 3,
        };
        let body: serde_json::Value = serde_json::from_str(&report(request, 1234, 10605)).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "workload": "daily-accrual",
                "iterations": 3,
                "elapsed_ns": 1234,
                "checksum": 10605,
            })
        );
    }
}
