//! Hosts the benchmarks measure: a real `lendwork up` child process (the shape production
//! runs in), and the no-WebAssembly baseline server.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

/// How long a child host may take to compile its components and listen.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// A `lendwork up` process started by the benchmark, killed when dropped.
pub struct ChildHost {
    child: Child,
    /// Where it listens.
    pub address: SocketAddr,
    _state: tempfile::TempDir,
}

impl ChildHost {
    /// Starts `lendwork up -f manifest` with every listed store label on `store_type`
    /// (`memory`, `spin` = SQLite in a fresh directory, or `redis:<url>`).
    pub fn start(
        manifest: &Path,
        labels: &[&str],
        store_type: &str,
        env: &[(&str, &str)],
    ) -> Result<ChildHost> {
        let state = tempfile::tempdir()?;
        let mut config = String::new();
        for label in labels {
            config.push_str(&format!("[key_value_store.{label}]\n"));
            match store_type {
                "spin" => config.push_str(&format!("type = \"spin\"\npath = \"{label}.db\"\n")),
                t if t.starts_with("redis:") => {
                    config.push_str(&format!("type = \"redis\"\nurl = \"{}\"\n", &t[6..]))
                }
                _ => config.push_str("type = \"memory\"\n"),
            }
        }
        let config_path = state.path().join("runtime-config.toml");
        std::fs::write(&config_path, config)?;
        let mut command = Command::new(std::env::current_exe()?);
        command
            .arg("up")
            .arg("--from")
            .arg(manifest)
            .args(["--listen", "127.0.0.1:0"])
            .arg("--runtime-config-file")
            .arg(&config_path)
            .arg("--state-dir")
            .arg(state.path())
            .env("LENDWORK_LOG", "warn")
            .stdout(Stdio::piped())
            // Components log a line per request; the benchmark measures serving, and a
            // failed request fails the run anyway.
            .stderr(Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().context("cannot start lendwork up")?;
        let address = read_serving_line(&mut child)?;
        Ok(ChildHost {
            child,
            address,
            _state: state,
        })
    }
}

fn read_serving_line(child: &mut Child) -> Result<SocketAddr> {
    let stdout = child.stdout.take().context("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("Serving http://") {
                let _ = tx.send(url.trim().to_string());
            }
        }
    });
    match rx.recv_timeout(START_TIMEOUT) {
        Ok(address) => Ok(address.parse()?),
        Err(_) => {
            let _ = child.kill();
            bail!("the host did not start within {START_TIMEOUT:?}")
        }
    }
}

impl Drop for ChildHost {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The baseline: a bare hyper server answering every request with `body`, no WebAssembly.
/// Runs until the process exits (the benchmark starts it as its own child process).
pub async fn serve_static(listen: SocketAddr, body: &'static str) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("Serving http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = service_fn(move |_request| async move {
                let mut response =
                    hyper::Response::new(Full::new(Bytes::from_static(body.as_bytes())));
                response.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/json"),
                );
                Ok::<_, std::convert::Infallible>(response)
            });
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Starts the baseline server as a child process (`lendwork bench-static-server`).
pub fn start_static_child() -> Result<(Child, SocketAddr)> {
    let mut child = Command::new(std::env::current_exe()?)
        .args(["bench-static-server", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let address = read_serving_line(&mut child)?;
    Ok((child, address))
}
