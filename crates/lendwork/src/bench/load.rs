//! A small closed-loop HTTP load generator: `connections` keep-alive connections, each
//! sending its next request as soon as the previous answer is read, until a fixed number
//! of requests is done (bounded: it always stops by itself).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use indicatif::ProgressBar;

/// Retries of one request before the run fails (a retryable conflict answered again and
/// again means the scenario is broken, not slow).
const MAX_RETRIES: u32 = 100;

/// One request to send.
#[derive(Clone)]
pub struct Planned {
    /// HTTP method.
    pub method: http::Method,
    /// Path and query.
    pub path: String,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// Body bytes.
    pub body: Bytes,
}

impl Planned {
    /// Sends the request to `component` of `app` in-process (no network), checks that it
    /// was answered with a success, and hands back the answer's body.
    pub async fn invoke(self, app: &crate::app::App, component: &str, depth: u32) -> Result<Bytes> {
        let mut request = hyper::Request::builder()
            .method(self.method)
            .uri(format!("http://localhost{}", self.path));
        for (name, value) in self.headers {
            request = request.header(name, value);
        }
        let request = request.body(crate::app::full_body(self.body))?;
        let response = app.invoke_http(component, request, depth).await?;
        let status = response.status();
        let body = crate::app::collect_body(response.into_body()).await?;
        anyhow::ensure!(status.is_success(), "{component} answered {status}");
        Ok(body)
    }
}

/// Sends one request on a fresh connection; the status and body.
pub async fn once(address: SocketAddr, planned: Planned) -> Result<(u16, Bytes)> {
    let stream = tokio::net::TcpStream::connect(address).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let mut request = hyper::Request::builder()
        .method(planned.method)
        .uri(&planned.path)
        .header(http::header::HOST, address.to_string());
    for (name, value) in &planned.headers {
        request = request.header(*name, value);
    }
    let response = sender
        .send_request(request.body(Full::new(planned.body))?)
        .await?;
    let status = response.status().as_u16();
    Ok((status, response.into_body().collect().await?.to_bytes()))
}

/// Makes the `i`-th request of a run.
pub type Plan = Arc<dyn Fn(usize) -> Planned + Send + Sync>;

/// What a run measured.
pub struct LoadResult {
    /// Latency of every successful request (including its retries).
    pub latencies: Vec<Duration>,
    /// When each of them was sent (after [`LoadResult::started`]), in the same order.
    pub sent: Vec<Duration>,
    /// When the run started.
    pub started: Instant,
    /// Wall-clock time of the whole run.
    pub elapsed: Duration,
    /// Retries after a retryable 409 or 503.
    pub retries: u64,
}

/// Sends `total` requests made by `plan(i)` over `connections` connections to `address`.
/// A 2xx answer counts; a 409/503 problem marked retryable is retried; anything else
/// fails the run.
pub async fn run(
    address: SocketAddr,
    connections: usize,
    total: usize,
    label: &str,
    plan: Plan,
) -> Result<LoadResult> {
    let next = Arc::new(AtomicUsize::new(0));
    let progress = ProgressBar::new(total as u64).with_message(label.to_string());
    progress.set_style(
        indicatif::ProgressStyle::with_template("{msg:>28} {bar:30} {pos}/{len} {per_sec}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let (next, plan, progress) = (next.clone(), plan.clone(), progress.clone());
        workers.spawn(async move { worker(address, total, next, plan, progress).await });
    }
    let mut latencies = Vec::with_capacity(total);
    let mut sent = Vec::with_capacity(total);
    let mut retries = 0;
    while let Some(outcome) = workers.join_next().await {
        let (samples, worker_retries) = outcome??;
        for (at, latency) in samples {
            sent.push(at.saturating_duration_since(started));
            latencies.push(latency);
        }
        retries += worker_retries;
    }
    progress.finish_and_clear();
    Ok(LoadResult {
        latencies,
        sent,
        started,
        elapsed: started.elapsed(),
        retries,
    })
}

async fn worker(
    address: SocketAddr,
    total: usize,
    next: Arc<AtomicUsize>,
    plan: Plan,
    progress: ProgressBar,
) -> Result<(Vec<(Instant, Duration)>, u64)> {
    let stream = tokio::net::TcpStream::connect(address).await?;
    stream.set_nodelay(true)?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let mut samples = Vec::new();
    let mut retries = 0;
    loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        if index >= total {
            return Ok((samples, retries));
        }
        let planned = plan(index);
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            // A connection must be ready before the next request is written on it.
            sender.ready().await.context("connection closed")?;
            let mut request = hyper::Request::builder()
                .method(planned.method.clone())
                .uri(&planned.path)
                .header(http::header::HOST, address.to_string());
            for (name, value) in &planned.headers {
                request = request.header(*name, value);
            }
            let request = request.body(Full::new(planned.body.clone()))?;
            let response = sender.send_request(request).await?;
            let status = response.status().as_u16();
            let body = response.into_body().collect().await?.to_bytes();
            if (200..300).contains(&status) {
                break;
            }
            let retryable = matches!(status, 409 | 503)
                && serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v.get("retryable").and_then(|r| r.as_bool()))
                    .unwrap_or(status == 503);
            attempt += 1;
            if !retryable || attempt > MAX_RETRIES {
                bail!(
                    "{} {} answered {status}: {}",
                    planned.method,
                    planned.path,
                    String::from_utf8_lossy(&body)
                );
            }
            retries += 1;
        }
        samples.push((started, started.elapsed()));
        progress.inc(1);
    }
}
