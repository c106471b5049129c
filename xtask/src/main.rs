//! Project automation, run as `cargo xtask <command>`:
//!
//! * `build` — installs the `wasm32-wasip2` target if missing, builds every component
//!   (release, size-tuned) and the `lendwork` host (profile `host`, speed-tuned);
//! * `up` — builds, then starts the platform on 127.0.0.1:3000 with the SQLite store
//!   (extra arguments go to `lendwork up`);
//! * `test` — builds, starts a Redis on loopback (installing `redis-server` if missing),
//!   and runs every test of the workspace;
//! * `lint` — `cargo fmt --check` and clippy with `-D warnings`, natively and for wasm;
//! * `bench` — builds and runs the benchmarks, writing their figures into BENCHMARKS.md.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// Packages built for `wasm32-wasip2`.
const GUESTS: &[&str] = &[
    "platform",
    "ledger",
    "ledger-api",
    "intake",
    "screening",
    "identity-simulator",
    "decisioning",
    "scoring",
    "bureau-simulator",
    "calculators",
    "onboarding",
    "payments",
    "loans",
    "close-of-business",
    "accrual",
    "consumer-installment",
    "sme-term",
    "probe",
    "idempotent",
    "misbehave",
    "rogue-policy",
    "candidate-policy",
    "ticker",
    "mathbench-component",
];
/// The target the components are built for.
const GUEST_TARGET: &str = "wasm32-wasip2";
/// Where `cargo xtask up` keeps generated development API keys (git-ignored).
const DEV_KEYS_FILE: &str = ".lendwork/dev-api-keys";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("build") => build(),
        Some("up") => up(&args[1..]),
        Some("test") => test(&args[1..]),
        Some("lint") => lint(),
        Some("bench") => bench(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <build | up [lendwork up args] | test [cargo test args] | lint | bench>"
            );
            std::process::exit(2);
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn run(command: &mut Command) -> Result<()> {
    // Program and arguments only: the environment may carry secrets (API keys).
    let shown: Vec<String> = std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    eprintln!("$ {}", shown.join(" "));
    let status = command
        .status()
        .with_context(|| format!("cannot run `{}`", shown[0]))?;
    if !status.success() {
        bail!("`{}` failed with {status}", shown.join(" "));
    }
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn ensure_guest_target() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("rustup is needed to install the wasm32-wasip2 target")?;
    if !String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l.trim() == GUEST_TARGET)
    {
        run(Command::new("rustup").args(["target", "add", GUEST_TARGET]))?;
    }
    Ok(())
}

fn build() -> Result<()> {
    ensure_guest_target()?;
    let mut guests = cargo();
    guests.args(["build", "--release", "--target", GUEST_TARGET]);
    for guest in GUESTS {
        guests.args(["-p", guest]);
    }
    run(&mut guests)?;
    run(cargo().args(["build", "--profile", "host", "-p", "lendwork"]))
}

fn up(extra: &[String]) -> Result<()> {
    build()?;
    let mut command = Command::new("target/host/lendwork");
    command.args(["up", "--runtime-config-file", "runtime-config.toml"]);
    if std::env::var_os("SPIN_VARIABLE_API_KEYS").is_none() {
        let keys = dev_api_keys()?;
        eprintln!(
            "Development API keys (from {DEV_KEYS_FILE}; set SPIN_VARIABLE_API_KEYS to use your own):"
        );
        for pair in keys.split(';') {
            eprintln!("  {pair}");
        }
        command.env("SPIN_VARIABLE_API_KEYS", keys);
    }
    if std::env::var_os("SPIN_VARIABLE_IDENTIFIER_HASH_KEY").is_none() {
        command.env(
            "SPIN_VARIABLE_IDENTIFIER_HASH_KEY",
            dev_secret(DEV_HASH_KEY_FILE)?,
        );
    }
    command.args(extra);
    run(&mut command)
}

/// Where `cargo xtask up` keeps the generated development identifier hashing key.
const DEV_HASH_KEY_FILE: &str = ".lendwork/dev-identifier-hash-key";

/// A random development secret kept in `path` (created on first use).
fn dev_secret(path: &str) -> Result<String> {
    let path = Path::new(path);
    if let Ok(secret) = std::fs::read_to_string(path) {
        return Ok(secret.trim().to_string());
    }
    let mut bytes = [0u8; 32];
    let mut random =
        std::fs::File::open("/dev/urandom").context("no /dev/urandom for key generation")?;
    std::io::Read::read_exact(&mut random, &mut bytes)?;
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::create_dir_all(path.parent().expect("has a parent"))?;
    std::fs::write(path, &secret)?;
    Ok(secret)
}

/// Roles that get a development key.
const DEV_ROLES: [&str; 8] = [
    "applicant",
    "partner",
    "broker",
    "underwriter",
    "operations",
    "collections",
    "risk",
    "admin",
];

/// Reads the development keys, creating random ones on first use (and for roles added
/// since the file was written).
fn dev_api_keys() -> Result<String> {
    let path = Path::new(DEV_KEYS_FILE);
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    let mut pairs: Vec<String> = existing
        .trim()
        .split(';')
        .filter(|pair| !pair.is_empty())
        .map(str::to_string)
        .collect();
    let has =
        |pairs: &[String], role: &str| pairs.iter().any(|p| p.starts_with(&format!("{role}:")));
    if DEV_ROLES.iter().all(|role| has(&pairs, role)) {
        return Ok(pairs.join(";"));
    }
    let mut random =
        std::fs::File::open("/dev/urandom").context("no /dev/urandom for key generation")?;
    for role in DEV_ROLES {
        if has(&pairs, role) {
            continue;
        }
        let mut bytes = [0u8; 16];
        std::io::Read::read_exact(&mut random, &mut bytes)?;
        let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        pairs.push(format!("{role}:lw_{role}_{key}"));
    }
    let keys = pairs.join(";");
    std::fs::create_dir_all(path.parent().expect("has a parent"))?;
    std::fs::write(path, &keys)?;
    Ok(keys)
}

fn test(extra: &[String]) -> Result<()> {
    build()?;
    let redis = Redis::start()?;
    let mut command = cargo();
    command
        .args(["test", "--profile", "host", "--workspace"])
        .args(extra)
        .env("LENDWORK_TEST_REDIS_URL", redis.url())
        .env("LENDWORK_REQUIRE_REDIS", "1");
    let result = run(&mut command);
    drop(redis);
    result
}

fn lint() -> Result<()> {
    ensure_guest_target()?;
    run(cargo().args(["fmt", "--all", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    let mut wasm = cargo();
    wasm.args(["clippy", "--target", GUEST_TARGET, "--all-targets"]);
    for guest in GUESTS {
        wasm.args(["-p", guest]);
    }
    run(wasm.args(["--", "-D", "warnings"]))
}

fn bench(extra: &[String]) -> Result<()> {
    build()?;
    // wrk leaves more of the CPU to the server than the built-in load generator.
    ensure_package("wrk", "wrk")?;
    run(Command::new("target/host/lendwork")
        .args(["bench", "--write", "BENCHMARKS.md"])
        .args(extra))
}

/// A throw-away Redis server on a loopback port, stopped when dropped.
struct Redis {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Redis {
    fn start() -> Result<Redis> {
        ensure_package("redis-server", "redis-server").context("Redis is needed by the tests")?;
        let port = free_port()?;
        let dir = TempDir::new()?;
        let child = Command::new("redis-server")
            .args([
                "--bind",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(&dir.0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start redis-server")?;
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(10) {
                bail!("redis-server did not start on port {port}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Redis {
            child,
            port,
            _dir: dir,
        })
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Installs Debian's `package` when `binary` is not on the PATH.
fn ensure_package(binary: &str, package: &str) -> Result<()> {
    if Command::new(binary).arg("--version").output().is_ok() {
        return Ok(());
    }
    eprintln!("{binary} is missing; installing the Debian package {package}");
    let install = || {
        run(Command::new("apt-get")
            .args(["install", "-y", "-q", package])
            .env("DEBIAN_FRONTEND", "noninteractive"))
    };
    install()
        .or_else(|_| {
            run(Command::new("apt-get").args(["update", "-q"]))?;
            install()
        })
        .with_context(|| format!("cannot install {package}"))
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A temporary directory removed when dropped (xtask keeps its dependencies to `anyhow`).
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_nanos();
        let path =
            std::env::temp_dir().join(format!("lendwork-xtask-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
