//! The `lendwork` host running the host's test application: routing, variables,
//! key-value, outbound rules, service chaining, schedules, limits, restarts.

use std::time::Duration;

use lendwork_e2e::{Backend, Host, HostConfig, host_binary, workspace_root};

#[test]
fn wildcard_and_exact_routes_get_spin_headers() {
    let host = Host::start(HostConfig::host_test());
    let reply = host.get("/probe/headers?x=1");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let h = reply.json();
    assert_eq!(h["spin-matched-route"], "/probe/...");
    assert_eq!(h["spin-component-route"], "/probe");
    assert_eq!(h["spin-path-info"], "/headers");
    assert_eq!(h["spin-base-path"], "/");
    assert_eq!(
        h["spin-full-url"],
        format!("{}/probe/headers?x=1", host.base_url)
    );
    assert!(
        h["spin-client-addr"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );

    // The exact route wins over the wildcard and routes to its own component.
    let exact = host.get("/probe/exact").json();
    assert_eq!(exact["spin-matched-route"], "/probe/exact");
    assert_eq!(exact["spin-path-info"], "");

    // A path no route claims gets the host's problem-details 404.
    let missing = host.get("/nowhere");
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(missing.json()["status"], 404);
}

#[test]
fn variables_resolve_templates_and_environment_overrides() {
    let host = Host::start(HostConfig::host_test().env("SPIN_VARIABLE_GREETING", "bonjour"));
    assert_eq!(host.get("/probe/var/token").text(), "t0ken");
    assert_eq!(host.get("/probe/var/greeting").text(), "bonjour");
    assert_eq!(host.get("/probe/var/composite").text(), "x-bonjour-y");
    // Defined from an unset optional variable, or not declared: undefined.
    assert_eq!(host.get("/probe/var/maybe").status, 404);
    assert_eq!(host.get("/probe/var/nope").status, 404);
    // Another component does not see this component's variables.
    assert_eq!(host.get("/chain/var/greeting").status, 404);

    let defaults = Host::start(HostConfig::host_test().args(&["--variable", "greeting=hola"]));
    assert_eq!(defaults.get("/probe/var/greeting").text(), "hola");
    drop(defaults);
    let defaults = Host::start(HostConfig::host_test());
    assert_eq!(defaults.get("/probe/var/greeting").text(), "hello");
}

#[test]
fn a_missing_required_variable_stops_start_up_with_its_name() {
    let output = std::process::Command::new(host_binary())
        .current_dir(workspace_root())
        .args([
            "up",
            "--from",
            "tests/manifests/host.toml",
            "--listen",
            "127.0.0.1:0",
        ])
        .env_remove("SPIN_VARIABLE_TOKEN")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SPIN_VARIABLE_TOKEN"), "{stderr}");
}

fn key_value_round_trip(backend: Backend) {
    let host = Host::start(HostConfig::host_test().with_backend(backend));
    let put = |key: &str, value: &str| {
        host.request(
            "PUT",
            &format!("/probe/kv/default/{key}"),
            &[],
            Some(value.as_bytes()),
        )
    };
    assert_eq!(put("loan-1", "42").status, 204);
    assert_eq!(host.get("/probe/kv/default/loan-1").text(), "42");
    assert_eq!(put("loan-1", "43").status, 204);
    assert_eq!(host.get("/probe/kv/default/loan-1").text(), "43");
    assert_eq!(
        host.request("DELETE", "/probe/kv/default/loan-1", &[], None)
            .status,
        204
    );
    assert_eq!(host.get("/probe/kv/default/loan-1").status, 404);
    // Labels are separate stores.
    assert_eq!(put("shared", "d").status, 204);
    assert_eq!(host.get("/probe/kv/scratch/shared").status, 404);
    // A label the component does not list is refused, as in Spin.
    assert_eq!(host.get("/probe/kv/ledger/x").status, 403);
    // A component without stores cannot open any.
    assert_eq!(host.get("/chain/kv/default/shared").status, 403);
}

#[test]
fn key_value_in_memory() {
    key_value_round_trip(Backend::Memory);
}

#[test]
fn key_value_in_sqlite() {
    key_value_round_trip(Backend::Sqlite);
}

#[test]
fn key_value_in_redis() {
    let Some(url) = lendwork_e2e::redis_url() else {
        return;
    };
    key_value_round_trip(Backend::Redis(url));
}

#[test]
fn sqlite_data_survives_a_restart() {
    let host = Host::start(HostConfig::host_test().with_backend(Backend::Sqlite));
    let reply = host.request("PUT", "/probe/kv/default/durable", &[], Some(b"kept"));
    assert_eq!(reply.status, 204);
    let host = host.restart();
    assert_eq!(host.get("/probe/kv/default/durable").text(), "kept");
}

#[test]
fn outbound_requests_follow_allowed_hosts() {
    let host = Host::start(HostConfig::host_test());
    // The probe has no allowed hosts: everything is denied, including chaining.
    let denied = host.get("/probe/outbound?url=http://probe.spin.internal/probe/var/greeting");
    assert_eq!(denied.status, 502, "{}", denied.text());
    assert!(
        denied.text().contains("denied-or-failed"),
        "{}",
        denied.text()
    );
    let denied = host.get(&format!(
        "/probe/outbound?url={}/probe/headers",
        host.base_url
    ));
    assert_eq!(denied.status, 502, "{}", denied.text());

    // The chainer may call other components in-process by id.
    let chained = host.get("/chain/outbound?url=http://probe.spin.internal/probe/var/greeting");
    assert_eq!(chained.status, 200, "{}", chained.text());
    assert_eq!(chained.text(), "status=200 body=hello");
    // ...but not the network.
    let outside = host.get(&format!(
        "/chain/outbound?url={}/probe/headers",
        host.base_url
    ));
    assert_eq!(outside.status, 502, "{}", outside.text());
    // A chained call to an unknown component fails cleanly.
    let unknown = host.get("/chain/outbound?url=http://nobody.spin.internal/");
    assert_eq!(unknown.status, 502, "{}", unknown.text());
    // A private endpoint answers chained calls only; from outside there is no route to it.
    let private = host.get("/chain/outbound?url=http://hidden.spin.internal/any/method");
    assert_eq!(private.status, 200, "{}", private.text());
    assert!(private.text().contains("status=200"), "{}", private.text());
    for path in ["/hidden", "/hidden/any/method", "/"] {
        assert_eq!(host.get(path).status, 404, "{path}");
    }
    // A component without an HTTP trigger (the cron ticker) cannot be chained to.
    let cron_only = host.get("/chain/outbound?url=http://ticker.spin.internal/");
    assert_eq!(cron_only.status, 502, "{}", cron_only.text());
    // Every host allowed by wildcard reaches chained components, not the host's control
    // plane: only a component that names it does.
    let wide = host.get("/wide/outbound?url=http://probe.spin.internal/probe/var/greeting");
    assert_eq!(wide.status, 200, "{}", wide.text());
    let control = host.get("/wide/outbound?url=http://control.lendwork.internal/policies");
    assert_eq!(control.status, 502, "{}", control.text());
    assert!(
        control.text().contains("denied-or-failed"),
        "{}",
        control.text()
    );
}

#[test]
fn cron_schedule_runs_and_can_be_triggered_by_hand() {
    let host = Host::start(HostConfig::host_test().with_backend(Backend::Sqlite));
    host.wait_until("two scheduled runs", Duration::from_secs(10), |h| {
        h.get("/probe/kv/default/ticks")
            .text()
            .parse::<u64>()
            .unwrap_or(0)
            >= 2
    });
    let (status, state) = host.stop();
    let state_dir = state.path();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");

    let runtime_config = state_dir.join("runtime-config.toml");
    let before = read_ticks(state_dir);
    let output = std::process::Command::new(host_binary())
        .current_dir(workspace_root())
        .args([
            "trigger",
            "cron",
            "ticker",
            "--from",
            "tests/manifests/host.toml",
        ])
        .arg("--state-dir")
        .arg(state_dir)
        .arg("--runtime-config-file")
        .arg(&runtime_config)
        .env("SPIN_VARIABLE_TOKEN", "t")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(read_ticks(state_dir), before + 1);
}

/// Reads the ticker's counter straight from the SQLite file, with no host running.
fn read_ticks(state_dir: &std::path::Path) -> u64 {
    let db = rusqlite::Connection::open(state_dir.join("default.db")).unwrap();
    let value: Vec<u8> = db
        .query_row("SELECT value FROM kv WHERE key = 'ticks'", [], |r| r.get(0))
        .unwrap();
    String::from_utf8(value).unwrap().parse().unwrap()
}

#[test]
fn misbehaving_components_are_stopped_while_others_keep_serving() {
    let host = Host::start(HostConfig::host_test().args(&[
        "--deadline-ms",
        "500",
        "--memory-limit-mib",
        "32",
    ]));
    std::thread::scope(|scope| {
        let looping = scope.spawn(|| host.get("/misbehave/loop"));
        let bomb = scope.spawn(|| host.get("/misbehave/alloc"));
        // While those run, healthy requests are answered (speed is the benchmarks' job).
        for _ in 0..20 {
            assert_eq!(host.get("/misbehave/ok").status, 200);
            assert_eq!(host.get("/probe/var/greeting").status, 200);
        }
        let looping = looping.join().unwrap();
        assert_eq!(looping.status, 503, "{}", looping.text());
        assert_eq!(
            looping.header("content-type"),
            Some("application/problem+json")
        );
        let bomb = bomb.join().unwrap();
        assert_eq!(bomb.status, 500, "{}", bomb.text());
        assert_eq!(bomb.json()["title"], "Memory Limit Exceeded");
    });
    let panic = host.get("/misbehave/panic");
    assert_eq!(panic.status, 500);
    assert_eq!(
        panic.header("content-type"),
        Some("application/problem+json")
    );
    // The trap's message stays in the host's log, not in the response.
    assert!(!panic.text().contains("on purpose"));
    assert_eq!(host.get("/misbehave/ok").status, 200);
}

/// Runs `lendwork up` on a manifest written into a temporary directory and returns its
/// stderr; the host must refuse to start.
fn refused_start(manifest: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let root = workspace_root();
    let manifest = manifest.replace(
        "@TARGET@",
        &root
            .join("target/wasm32-wasip2/release")
            .display()
            .to_string(),
    );
    let path = dir.path().join("spin.toml");
    std::fs::write(&path, manifest).unwrap();
    let output = std::process::Command::new(host_binary())
        .args(["up", "--listen", "127.0.0.1:0", "--from"])
        .arg(&path)
        .arg("--state-dir")
        .arg(dir.path())
        .env("SPIN_VARIABLE_API_KEYS", "operations:k")
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "the host started on a bad manifest"
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const BAD_MANIFEST_HEAD: &str = r#"
spin_manifest_version = 2
[application]
name = "bad"
[variables]
api_keys = { required = true, secret = true }
[[trigger.http]]
route = "/..."
component = "api"
"#;

#[test]
fn bad_manifests_are_refused_with_the_reason() {
    let missing = refused_start(&format!(
        "{BAD_MANIFEST_HEAD}[component.api]\nsource = \"@TARGET@/nothing-here.wasm\"\n"
    ));
    assert!(
        missing.contains("component `api`") && missing.contains("nothing-here.wasm"),
        "{missing}"
    );

    let unknown_label = refused_start(&format!(
        "{BAD_MANIFEST_HEAD}[component.api]\nsource = \"@TARGET@/probe.wasm\"\nkey_value_stores = [\"vault\"]\n"
    ));
    assert!(
        unknown_label.contains("`vault`") && unknown_label.contains("[key_value_store.vault]"),
        "{unknown_label}"
    );

    // The probe imports no ledger: the dependency satisfies nothing.
    let no_import = refused_start(&format!(
        "{BAD_MANIFEST_HEAD}[component.api]\nsource = \"@TARGET@/probe.wasm\"\n[component.api.dependencies]\n\"lending:ledger/ledger\" = {{ path = \"@TARGET@/ledger.wasm\", inherit_configuration = true }}\n"
    ));
    assert!(
        no_import.contains("no import matching `lending:ledger/ledger`"),
        "{no_import}"
    );

    // A dependency that does not export what the import needs.
    let wrong_export = refused_start(&format!(
        "{BAD_MANIFEST_HEAD}[component.api]\nsource = \"@TARGET@/ledger_api.wasm\"\nkey_value_stores = [\"default\"]\n[component.api.variables]\napi_keys = \"{{{{ api_keys }}}}\"\n[component.api.dependencies]\n\"lending:ledger/ledger\" = {{ path = \"@TARGET@/platform.wasm\", inherit_configuration = true }}\n"
    ));
    assert!(
        wrong_export.contains("does not export `lending:ledger/ledger"),
        "{wrong_export}"
    );

    // The ledger needs the component's stores: without inheritance Spin 4 refuses too.
    let not_inherited = refused_start(&format!(
        "{BAD_MANIFEST_HEAD}[component.api]\nsource = \"@TARGET@/ledger_api.wasm\"\nkey_value_stores = [\"default\"]\n[component.api.variables]\napi_keys = \"{{{{ api_keys }}}}\"\n[component.api.dependencies]\n\"lending:ledger/ledger\" = {{ path = \"@TARGET@/ledger.wasm\" }}\n"
    ));
    assert!(
        not_inherited.contains("inherit_configuration = true"),
        "{not_inherited}"
    );

    let typo = refused_start(&format!(
        "{BAD_MANIFEST_HEAD}[component.api]\nsource = \"@TARGET@/probe.wasm\"\nkey_value_store = [\"default\"]\n"
    ));
    assert!(
        typo.contains("[component.api]") && typo.contains("key_value_store"),
        "{typo}"
    );
}
