//! Harness for end-to-end tests: starts the built `lendwork` binary on a free loopback
//! port with a manifest, a runtime config and variables, and talks to it over HTTP.
//!
//! The binary and the components must be built first (`cargo xtask test` does it); a
//! missing artifact fails the test with the command to run.
#![deny(missing_docs)]

pub mod origination;
pub mod servicing;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a host may take to compile its components and start listening.
pub const START_TIMEOUT: Duration = Duration::from_secs(120);

/// API keys the test hosts accept, one per role.
pub const TEST_API_KEYS: &str = "operations:ops-test-key;risk:risk-test-key;admin:admin-test-key;partner:partner-test-key;applicant:applicant-test-key;applicant:applicant-other-key;broker:broker-test-key;underwriter:underwriter-test-key;collections:collections-test-key";
/// The operations role's key in [`TEST_API_KEYS`].
pub const OPERATIONS_KEY: &str = "ops-test-key";
/// The risk role's key in [`TEST_API_KEYS`].
pub const RISK_KEY: &str = "risk-test-key";

/// A name unique to this test run (`prefix-pid-nanos`): Redis databases outlive a test
/// and are shared by the tests running at once.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// Standard base64 of `bytes` (documents are uploaded as JSON with base64 content).
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// SHA-256 of `bytes`, lower-case hex, as the platform reports document hashes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The repository root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// The `lendwork` binary under test (`LENDWORK_BIN` overrides the default build path).
pub fn host_binary() -> PathBuf {
    let path = std::env::var_os("LENDWORK_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/host/lendwork"));
    assert!(
        path.exists(),
        "{} is missing: run `cargo xtask build` (or `cargo xtask test`) first",
        path.display()
    );
    path
}

/// The Redis server tests should use: `LENDWORK_TEST_REDIS_URL`. When it is unset the
/// Redis tests are skipped with a message, unless `LENDWORK_REQUIRE_REDIS=1` (set by
/// `cargo xtask test`, which starts Redis), which makes a missing Redis a failure.
pub fn redis_url() -> Option<String> {
    match std::env::var("LENDWORK_TEST_REDIS_URL") {
        Ok(url) => Some(url),
        Err(_) if std::env::var("LENDWORK_REQUIRE_REDIS").as_deref() == Ok("1") => {
            panic!("LENDWORK_REQUIRE_REDIS=1 but LENDWORK_TEST_REDIS_URL is not set")
        }
        Err(_) => {
            eprintln!("SKIPPED: LENDWORK_TEST_REDIS_URL is not set");
            None
        }
    }
}

/// `url` with its database number replaced by `database`.
fn redis_database(url: &str, database: usize) -> String {
    let server = match url.rsplit_once('/') {
        Some((server, db)) if db.chars().all(|c| c.is_ascii_digit()) && server.contains("://") => {
            server
        }
        _ => url.trim_end_matches('/'),
    };
    format!("{server}/{database}")
}

/// Where a key-value label lives in a test host.
#[derive(Debug, Clone)]
pub enum Backend {
    /// In process memory.
    Memory,
    /// In a SQLite file in the host's state directory.
    Sqlite,
    /// In the Redis database at this URL.
    Redis(String),
}

/// How to start a test host.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Manifest path, relative to the repository root.
    pub manifest: PathBuf,
    /// Store labels and their backends (written into a runtime config file).
    pub stores: Vec<(String, Backend)>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// Extra command-line arguments after `up`.
    pub args: Vec<String>,
}

/// SHA-256 (hex) of a built component, by its file name (empty when it is not built).
pub fn wasm_sha256(file: &str) -> String {
    std::fs::read(
        workspace_root()
            .join("target/wasm32-wasip2/release")
            .join(file),
    )
    .map(|bytes| sha256_hex(&bytes))
    .unwrap_or_default()
}

impl HostConfig {
    /// The repository's own `spin.toml`, every store in memory, test API keys.
    pub fn platform() -> HostConfig {
        HostConfig {
            manifest: "spin.toml".into(),
            stores: vec![
                ("default".into(), Backend::Memory),
                ("ledger".into(), Backend::Memory),
                ("applications".into(), Backend::Memory),
                ("screening".into(), Backend::Memory),
                ("scoring".into(), Backend::Memory),
                ("decisions".into(), Backend::Memory),
                ("loans".into(), Backend::Memory),
            ],
            env: vec![
                ("SPIN_VARIABLE_API_KEYS".into(), TEST_API_KEYS.into()),
                (
                    "SPIN_VARIABLE_IDENTIFIER_HASH_KEY".into(),
                    "test-identifier-hash-key".into(),
                ),
            ],
            args: Vec::new(),
        }
    }

    /// The host's test application (`tests/manifests/host.toml`).
    pub fn host_test() -> HostConfig {
        HostConfig {
            manifest: "tests/manifests/host.toml".into(),
            stores: vec![
                ("default".into(), Backend::Memory),
                ("scratch".into(), Backend::Memory),
            ],
            env: vec![("SPIN_VARIABLE_TOKEN".into(), "t0ken".into())],
            args: Vec::new(),
        }
    }

    /// Replaces the backend of every store.
    /// On Redis each label gets its own database (`/0`, `/1`, …), so labels stay separate
    /// stores as they are on the other backends.
    pub fn with_backend(mut self, backend: Backend) -> HostConfig {
        for (index, (_, b)) in self.stores.iter_mut().enumerate() {
            *b = match &backend {
                Backend::Redis(url) => Backend::Redis(redis_database(url, index)),
                other => other.clone(),
            };
        }
        self
    }

    /// Adds an environment variable.
    pub fn env(mut self, name: &str, value: &str) -> HostConfig {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Guests see Spin 4.0.2's key-value semantics (`--kv-semantics spin`): SQLite's on
    /// memory and SQLite stores, Redis's on Redis stores.
    pub fn spin_semantics(self) -> HostConfig {
        self.args(&["--kv-semantics", "spin"])
    }

    /// Adds command-line arguments.
    pub fn args(mut self, args: &[&str]) -> HostConfig {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// Runs `component`'s cron handler once (`lendwork trigger cron`) over the stores a
    /// stopped host of this configuration left in `state_dir`.
    pub fn cron_once(&self, state_dir: &Path, component: &str) -> std::process::Output {
        let root = workspace_root();
        let mut command = Command::new(host_binary());
        command
            .current_dir(&root)
            .args(["trigger", "cron", component, "--from"])
            .arg(root.join(&self.manifest))
            .arg("--state-dir")
            .arg(state_dir)
            .arg("--runtime-config-file")
            .arg(state_dir.join("runtime-config.toml"))
            .env("LENDWORK_CACHE_DIR", root.join("target").join("compiled"));
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command.output().expect("the lendwork binary runs")
    }
}

/// A running test host. Dropping it kills the process.
pub struct Host {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// The host's state directory (kept between restarts of the same `Host`).
    pub state_dir: tempfile::TempDir,
    config: HostConfig,
    agent: ureq::Agent,
    /// Everything the host wrote to stderr so far is collected here.
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

/// An HTTP reply.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON (panics with the body when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The first header named `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl Host {
    /// Starts a host and waits until it serves.
    pub fn start(config: HostConfig) -> Host {
        let state_dir = tempfile::tempdir().expect("state dir");
        Host::start_in(config, state_dir)
    }

    /// Starts a host on an existing state directory, for example the one [`Host::stop`]
    /// returned after a test changed the stored data while no host was running.
    pub fn start_on(config: HostConfig, state_dir: tempfile::TempDir) -> Host {
        Host::start_in(config, state_dir)
    }

    fn start_in(config: HostConfig, state_dir: tempfile::TempDir) -> Host {
        let root = workspace_root();
        let runtime_config = state_dir.path().join("runtime-config.toml");
        let mut text = String::new();
        for (label, backend) in &config.stores {
            text.push_str(&format!("[key_value_store.{label}]\n"));
            match backend {
                Backend::Memory => text.push_str("type = \"memory\"\n"),
                Backend::Sqlite => {
                    text.push_str(&format!("type = \"spin\"\npath = \"{label}.db\"\n"))
                }
                Backend::Redis(url) => {
                    text.push_str(&format!("type = \"redis\"\nurl = \"{url}\"\n"))
                }
            }
        }
        std::fs::write(&runtime_config, text).expect("runtime config");
        let mut command = Command::new(host_binary());
        command
            .current_dir(&root)
            .arg("up")
            .arg("--from")
            .arg(root.join(&config.manifest))
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--state-dir")
            .arg(state_dir.path())
            .arg("--runtime-config-file")
            .arg(&runtime_config)
            .args(&config.args)
            .env("LENDWORK_LOG", "info")
            // Every test's host loads what the first one compiled.
            .env("LENDWORK_CACHE_DIR", root.join("target").join("compiled"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in &config.env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("spawn lendwork");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = stderr.clone();
        let err_pipe = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(err_pipe).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap_or_else(|p| p.into_inner());
                s.push_str(&line);
                s.push('\n');
            }
        });
        let (tx, rx) = mpsc::channel();
        let out_pipe = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(out_pipe).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("Serving ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let base_url = match rx.recv_timeout(START_TIMEOUT) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "lendwork did not start within {START_TIMEOUT:?}; stderr:\n{}",
                    stderr.lock().unwrap_or_else(|p| p.into_inner())
                );
            }
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Host {
            child,
            base_url,
            state_dir,
            config,
            agent,
            stderr,
        }
    }

    /// Stops the host with SIGTERM (graceful) and starts it again on the same state.
    pub fn restart(mut self) -> Host {
        terminate(&mut self.child);
        let fresh = tempfile::tempdir().expect("state dir");
        let state_dir = std::mem::replace(&mut self.state_dir, fresh);
        Host::start_in(self.config.clone(), state_dir)
    }

    /// Kills the host process at once (SIGKILL), leaving this handle to reap it
    /// ([`Host::crash`]) once nothing else uses it.
    pub fn kill(&self) {
        // SAFETY: `kill` with a pid we spawned and still own (not yet waited for).
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGKILL);
        }
    }

    /// Kills the host at once (SIGKILL: no shutdown of any kind, as a power cut), and
    /// hands back its state directory.
    pub fn crash(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let fresh = tempfile::tempdir().expect("state dir");
        std::mem::replace(&mut self.state_dir, fresh)
    }

    /// Sends SIGTERM and waits for the process to exit; returns its exit status and the
    /// state directory, which lives on until the caller drops it.
    pub fn stop(mut self) -> (std::process::ExitStatus, tempfile::TempDir) {
        let status = terminate(&mut self.child);
        let fresh = tempfile::tempdir().expect("state dir");
        (status, std::mem::replace(&mut self.state_dir, fresh))
    }

    /// What the host logged to stderr so far.
    pub fn logs(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Sends a request with optional body and headers; panics (with the host's logs) when
    /// no answer comes.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Reply {
        self.try_request(method, path, headers, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}\nhost logs:\n{}", self.logs()))
    }

    /// Sends a request; the transport's error when no whole answer comes (the host is
    /// down, or died while answering).
    pub fn try_request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Reply, String> {
        let url = format!("{}{}", self.base_url, path);
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder
            .body(body.unwrap_or_default().to_vec())
            .expect("request");
        let response = self.agent.run(request).map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let body = response
            .into_body()
            .read_to_vec()
            .map_err(|e| e.to_string())?;
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Reply {
        self.request("GET", path, &[], None)
    }

    /// `GET path` with the given API key.
    pub fn get_as(&self, key: &str, path: &str) -> Reply {
        let auth = format!("Bearer {key}");
        self.request("GET", path, &[("authorization", &auth)], None)
    }

    /// `POST path` with a JSON body and the given API key (none when empty).
    pub fn post_json_as(&self, key: &str, path: &str, body: &serde_json::Value) -> Reply {
        let auth = format!("Bearer {key}");
        let mut headers = vec![("content-type", "application/json")];
        if !key.is_empty() {
            headers.push(("authorization", &auth));
        }
        self.request("POST", path, &headers, Some(body.to_string().as_bytes()))
    }

    /// Runs `lendwork <args>` as a client of this host (`--url` set, `key` in
    /// `LENDWORK_API_KEY`), as an operator would.
    pub fn cli(&self, args: &[&str], key: &str) -> std::process::Output {
        Command::new(host_binary())
            .args(args)
            .args(["--url", &self.base_url])
            .env("LENDWORK_API_KEY", key)
            .output()
            .expect("the lendwork binary runs")
    }

    /// Waits until `check` holds, polling; panics with `what` after `timeout`.
    pub fn wait_until(&self, what: &str, timeout: Duration, mut check: impl FnMut(&Host) -> bool) {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if check(self) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "timed out after {timeout:?} waiting for {what}; host logs:\n{}",
            self.logs()
        );
    }
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    // SAFETY: `kill` with a pid we spawned and still own (not yet waited for).
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return status;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            return child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
