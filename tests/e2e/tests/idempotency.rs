//! lendkit's `Idempotency-Key` through a real component (`tests/components/idempotent`) on
//! the real host, on every backend, under the host's key-value semantics and Spin 4.0.2's
//! (`--kv-semantics spin`): many clients sending the same new key at once get one run of
//! the handler and its first answer, with its original status; another body is a 422.

use std::collections::BTreeSet;
use std::time::Duration;

use lendwork_e2e::{Backend, Host, HostConfig, Reply};
use serde_json::Value;

/// Clients sending each key at once.
const CLIENTS: usize = 8;
/// Keys, each sent by every client.
const KEYS: usize = 20;
/// Times a client re-sends a request answered 409 (the first one still running) before
/// the test gives up; each wait is [`RETRY_PAUSE`].
const RETRIES_MAX: u32 = 200;
/// Pause before re-sending after a 409.
const RETRY_PAUSE: Duration = Duration::from_millis(10);

fn send(host: &Host, key: &str, body: &str) -> Reply {
    host.request(
        "POST",
        "/idem/runs",
        &[
            ("content-type", "application/json"),
            ("idempotency-key", key),
        ],
        Some(body.as_bytes()),
    )
}

/// Sends until the answer is final (not a retryable 409).
fn send_until_final(host: &Host, key: &str, body: &str) -> Reply {
    for _ in 0..RETRIES_MAX {
        let reply = send(host, key, body);
        if reply.status != 409 {
            return reply;
        }
        let problem = reply.json();
        assert_eq!(problem["retryable"], true, "{problem}");
        assert_eq!(
            problem["type"], "urn:lendwork:problem:idempotency-key-in-flight",
            "{problem}"
        );
        std::thread::sleep(RETRY_PAUSE);
    }
    panic!("key {key} still in flight after {RETRIES_MAX} retries");
}

fn runs(host: &Host, key: &str) -> i64 {
    let reply = host.get(&format!("/idem/runs/{key}"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["runs"].as_i64().unwrap()
}

fn same_key_from_many_clients(config: HostConfig, label: &str) {
    let host = Host::start(config);
    let run = lendwork_e2e::unique("k");
    let key = |k: usize| format!("{run}-{k}");
    let barrier = std::sync::Barrier::new(CLIENTS);
    let replies: Vec<Vec<Reply>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let (host, barrier) = (&host, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    (0..KEYS)
                        .map(|k| send_until_final(host, &key(k), r#"{"amount":"1.00"}"#))
                        .collect()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    for k in 0..KEYS {
        let answers: Vec<&Reply> = replies.iter().map(|r| &r[k]).collect();
        // One run, and every client got its answer: the original status and body.
        assert_eq!(runs(&host, &key(k)), 1, "{label}: key {k} ran once");
        let bodies: BTreeSet<String> = answers.iter().map(|r| r.text()).collect();
        assert_eq!(bodies.len(), 1, "{label}: key {k}: {bodies:?}");
        assert_eq!(
            serde_json::from_str::<Value>(bodies.first().unwrap()).unwrap()["run"],
            1
        );
        assert!(answers.iter().all(|r| r.status == 201), "{label}");
        let first = answers
            .iter()
            .filter(|r| r.header("idempotent-replayed").is_none())
            .count();
        assert_eq!(
            first, 1,
            "{label}: key {k}: one original answer, the rest replays"
        );
    }
    // The same key with another body is refused and runs nothing.
    let reply = send(&host, &key(0), r#"{"amount":"2.00"}"#);
    assert_eq!(reply.status, 422, "{}", reply.text());
    assert_eq!(
        reply.json()["type"],
        "urn:lendwork:problem:idempotency-key-reused"
    );
    assert_eq!(runs(&host, &key(0)), 1);
    println!(
        "{label}: {CLIENTS} clients x {KEYS} keys: {KEYS} runs, {} replays",
        CLIENTS * KEYS - KEYS
    );
}

fn configs(backend: Backend) -> [(HostConfig, &'static str); 2] {
    let config = HostConfig::host_test().with_backend(backend);
    [
        (config.clone(), "host semantics"),
        (config.spin_semantics(), "spin semantics"),
    ]
}

#[test]
fn one_run_per_key_in_memory() {
    for (config, label) in configs(Backend::Memory) {
        same_key_from_many_clients(config, &format!("memory, {label}"));
    }
}

#[test]
fn one_run_per_key_on_sqlite() {
    for (config, label) in configs(Backend::Sqlite) {
        same_key_from_many_clients(config, &format!("sqlite, {label}"));
    }
}

#[test]
fn one_run_per_key_on_redis() {
    let Some(url) = lendwork_e2e::redis_url() else {
        return;
    };
    for (config, label) in configs(Backend::Redis(url)) {
        same_key_from_many_clients(config, &format!("redis, {label}"));
    }
}
