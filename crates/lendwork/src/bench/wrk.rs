//! `wrk` (Debian's package) as the load generator when it is installed: a C event loop
//! leaves more of a two-core machine to the server than the Rust generator does.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// What `wrk --latency` reported.
pub struct WrkResult {
    /// Requests per second over the run.
    pub requests_per_second: f64,
    /// Median latency.
    pub median: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
}

/// Whether `wrk` can be run.
pub fn available() -> bool {
    Command::new("wrk").arg("--version").output().is_ok()
}

/// Runs `wrk` with one thread and `connections` connections against `path` for `seconds`.
pub fn run(address: SocketAddr, path: &str, connections: usize, seconds: u32) -> Result<WrkResult> {
    run_with(address, path, connections, seconds, None)
}

/// A `wrk` script that sends `POST path` with each of `bodies` in turn (round and round),
/// with `headers`.
pub fn post_script(path: &str, headers: &[(&str, String)], bodies: &[String]) -> String {
    let mut script = String::from("local bodies = {\n");
    for body in bodies {
        script.push_str("[==[");
        script.push_str(body);
        script.push_str("]==],\n");
    }
    script.push_str("}\nlocal headers = {\n");
    for (name, value) in headers {
        script.push_str(&format!("[ [==[{name}]==] ] = [==[{value}]==],\n"));
    }
    script.push_str(&format!(
        "}}\nlocal n = 0\nrequest = function()\n  n = n % #bodies + 1\n  return wrk.format(\"POST\", [==[{path}]==], headers, bodies[n])\nend\n"
    ));
    script
}

/// [`run`] with a Lua `script` (e.g. [`post_script`]) making the requests.
pub fn run_script(
    address: SocketAddr,
    script: &str,
    connections: usize,
    seconds: u32,
) -> Result<WrkResult> {
    let file = tempfile::Builder::new().suffix(".lua").tempfile()?;
    std::fs::write(file.path(), script)?;
    run_with(address, "/", connections, seconds, Some(file.path()))
}

fn run_with(
    address: SocketAddr,
    path: &str,
    connections: usize,
    seconds: u32,
    script: Option<&std::path::Path>,
) -> Result<WrkResult> {
    let mut command = Command::new("wrk");
    command
        .args(["-t1", "--latency"])
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"));
    if let Some(script) = script {
        command.arg("-s").arg(script);
    }
    let output = command
        .arg(format!("http://{address}{path}"))
        .output()
        .context("cannot run wrk")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || text.contains("Non-2xx") || text.contains("Socket errors") {
        bail!("wrk reported errors:\n{text}");
    }
    parse(&text)
}

fn parse(text: &str) -> Result<WrkResult> {
    let field = |prefix: &str| -> Result<&str> {
        text.lines()
            .map(str::trim)
            .find_map(|line| line.strip_prefix(prefix))
            .map(str::trim)
            .with_context(|| format!("wrk output has no `{prefix}` line:\n{text}"))
    };
    Ok(WrkResult {
        requests_per_second: field("Requests/sec:")?.parse()?,
        median: duration(field("50%")?)?,
        p99: duration(field("99%")?)?,
    })
}

fn duration(text: &str) -> Result<Duration> {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .context("no unit")?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse()?;
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        other => bail!("unknown wrk unit `{other}`"),
    };
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wrk_latency_output() {
        let text = "Running 5s test @ http://127.0.0.1:3000/v1/health
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.92ms    2.05ms  33.38ms   90.54%
    Req/Sec    10.32k     2.60k   12.92k    78.00%
  Latency Distribution
     50%  380.00us
     75%    1.10ms
     90%    2.00ms
     99%    8.94ms
  51234 requests in 5.00s, 5.00MB read
Requests/sec:  10262.23
Transfer/sec:      1.02MB
";
        let r = parse(text).unwrap();
        assert_eq!(r.requests_per_second, 10262.23);
        assert_eq!(r.median, Duration::from_micros(380));
        assert_eq!(r.p99, Duration::from_micros(8940));
    }
}
