//! Credit policy versions on the running host, through the built components and the
//! `lendwork policy` command: a hot swap in the middle of continuous load (no failed
//! request, the new policy's answers afterwards, kept across a restart), rollback,
//! candidates checked before they serve, a backtest whose report matches counts worked out
//! here from the recorded facts, and a shadow challenger recorded but never acted on.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lendwork_e2e::origination::*;
use lendwork_e2e::{Host, HostConfig, RISK_KEY, wasm_sha256};
use serde_json::{Value, json};

/// The test candidate's name (`tests/components/candidate-policy`).
const CANDIDATE: &str = "candidate-consumer";
/// The shipped consumer policy's name.
const CHAMPION: &str = "consumer-installment";
/// The candidate's cut-off, in scorecard points.
const CUT_OFF: i64 = 600;

fn wasm(file: &str) -> String {
    lendwork_e2e::workspace_root()
        .join("target/wasm32-wasip2/release")
        .join(file)
        .display()
        .to_string()
}

/// The candidate's rule, worked out here from a decision's stored facts.
fn candidate_outcome(facts: &Value) -> &'static str {
    if facts["bureau"]["hit"] != true {
        "refer"
    } else if facts["score"]["points"].as_i64().unwrap() < CUT_OFF {
        "decline"
    } else {
        "approve"
    }
}

/// Applications whose bureau files differ: ordinary, thin, delinquent, no file, bankrupt.
fn mixed(n: usize) -> Vec<Value> {
    let names = [
        "Lovelace",
        "Delinquent",
        "Thinfile",
        "Nohit",
        "Byron",
        "Bankrupt",
    ];
    (0..n)
        .map(|i| {
            let mut doc = personal("web");
            doc["applicant"]["last_name"] = json!(names[i % names.len()]);
            doc["applicant"]["annual_income"] = json!(format!("{}.00", 30_000 + 9_000 * i));
            doc["requested_amount"] = json!(format!("{}", 4_000 + 1_500 * i));
            doc
        })
        .collect()
}

fn decide(host: &Host, doc: &Value) -> Value {
    created(&submit(host, APPLICANT_KEY, doc, None))
}

fn decision(host: &Host, id: &str) -> Value {
    let reply = host.get_as(RISK_KEY, &format!("/v1/decisions/{id}"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

/// Every automated decision made by a consumer policy, as stored.
fn consumer_decisions(host: &Host) -> Vec<Value> {
    let listed = host.get_as(RISK_KEY, "/v1/decisions?limit=100").json();
    listed["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "automated" && d["pending"] == false && !d["policy"].is_null())
        .map(|d| decision(host, d["id"].as_str().unwrap()))
        .filter(|d| d["facts"]["kind"] == "consumer")
        .collect()
}

fn policy_of(body: &Value) -> String {
    body["decision"]["policy"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn run(host: &Host, args: &[&str]) -> (i32, String, String) {
    let output = host.cli(args, RISK_KEY);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Continuous submissions from `threads` clients until `stop` (or `max` each): every
/// reply's status and the policy that decided, in each client's order.
fn load(
    host: &Arc<Host>,
    threads: usize,
    max: usize,
    stop: &Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<Vec<(u16, String)>>> {
    (0..threads)
        .map(|_| {
            let (host, stop) = (host.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                while !stop.load(Ordering::Relaxed) && seen.len() < max {
                    let reply = submit(&host, APPLICANT_KEY, &personal("web"), None);
                    let policy = if reply.status == 201 {
                        policy_of(&reply.json())
                    } else {
                        reply.text()
                    };
                    seen.push((reply.status, policy));
                }
                seen
            })
        })
        .collect()
}

/// `lendwork policy swap --component decisioning --policy <file>`.
fn swap(host: &Host, file: &str) -> (i32, String, String) {
    run(
        host,
        &[
            "policy",
            "swap",
            "--component",
            "decisioning",
            "--policy",
            &wasm(file),
        ],
    )
}

#[test]
fn a_policy_swapped_under_load_fails_no_request_serves_at_once_survives_a_restart_and_rolls_back() {
    let host = Arc::new(Host::start(HostConfig::platform()));
    assert_eq!(load_list(&host, &sample_list()).status, 201);
    for doc in mixed(6) {
        decide(&host, &doc);
    }
    let champion_digest = wasm_sha256("consumer_installment.wasm");
    let candidate_digest = wasm_sha256("candidate_policy.wasm");

    let stop = Arc::new(AtomicBool::new(false));
    let clients = load(&host, 3, 3_000, &stop);
    std::thread::sleep(Duration::from_millis(700));
    let (code, out, err) = swap(&host, "candidate_policy.wasm");
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("swapped lending:policy/consumer"), "{out}");
    assert!(out.contains(&format!("{CANDIDATE} test.1")), "{out}");
    // Decisions answered just after the switch come from the candidate.
    std::thread::sleep(Duration::from_millis(700));
    stop.store(true, Ordering::Relaxed);
    let mut answered = 0;
    for client in clients {
        let seen = client.join().unwrap();
        answered += seen.len();
        for (status, _) in &seen {
            assert_eq!(*status, 201, "a request failed during the swap: {seen:?}");
        }
        // Each client's requests are sequential: once one met the candidate, every later
        // one does (the switch is atomic and never goes back).
        let first = seen
            .iter()
            .position(|(_, p)| p == CANDIDATE)
            .unwrap_or(seen.len());
        assert!(seen[..first].iter().all(|(_, p)| p == CHAMPION), "{seen:?}");
        assert!(
            seen[first..].iter().all(|(_, p)| p == CANDIDATE),
            "{seen:?}"
        );
        assert!(
            first < seen.len(),
            "a client never met the candidate: {seen:?}"
        );
    }
    assert!(
        answered >= 6,
        "the load was too thin to prove anything: {answered}"
    );

    // The candidate's answers, its name and its digest recorded with every decision.
    for doc in mixed(4) {
        let body = decide(&host, &doc);
        let stored = decision(&host, body["decision"]["decision_id"].as_str().unwrap());
        assert_eq!(stored["policy"]["name"], CANDIDATE);
        assert_eq!(stored["policy"]["wasm_sha256"], candidate_digest.as_str());
        assert_eq!(
            stored["outcome"],
            candidate_outcome(&stored["facts"]["facts"])
        );
    }

    // A decision the champion made replays exactly, through the champion's bytes the host
    // kept, while the candidate serves.
    let before = consumer_decisions(&host)
        .into_iter()
        .find(|d| d["policy"]["name"] == CHAMPION)
        .expect("a decision by the champion");
    let id = before["id"].as_str().unwrap();
    let replayed = host
        .post_json_as(RISK_KEY, &format!("/v1/decisions/{id}/replay"), &json!({}))
        .json();
    assert_eq!(replayed["identical"], true, "{replayed}");
    assert_eq!(replayed["same_policy"], true, "{replayed}");
    assert_eq!(
        replayed["replayed"]["policy"]["wasm_sha256"],
        champion_digest.as_str()
    );
    let (code, out, err) = run(&host, &["decisions", "replay", id]);
    assert_eq!(code, 0, "{out}\n{err}");

    // The history names both digests and who swapped; a rollback would bring back the champion.
    let listed = host.get_as(RISK_KEY, "/v1/admin/policies").json();
    let change = &listed["history"][0];
    assert_eq!(change["action"], "swap");
    assert_eq!(change["dependency"], "lending:policy/consumer");
    assert_eq!(change["from"]["sha256"], champion_digest.as_str());
    assert_eq!(change["from"]["name"], CHAMPION);
    assert_eq!(change["to"]["sha256"], candidate_digest.as_str());
    assert!(
        change["actor"].as_str().unwrap().starts_with("risk:"),
        "{change}"
    );
    assert!(
        change["dry_run"]["decisions"].as_u64().unwrap() >= 1,
        "{change}"
    );
    let (code, out, _) = run(&host, &["policy", "list"]);
    assert_eq!(code, 0);
    assert!(
        out.contains(&candidate_digest[..12]) && out.contains(&champion_digest[..12]),
        "{out}"
    );

    // A restart keeps serving the version swapped in.
    let host = Arc::into_inner(host).unwrap().restart();
    let after_restart = decide(&host, &personal("web"));
    assert_eq!(policy_of(&after_restart), CANDIDATE);

    // Rollback: the champion again, with its digest; then nothing left to roll back.
    let (code, out, err) = run(
        &host,
        &["policy", "swap", "--component", "decisioning", "--rollback"],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let body = decide(&host, &personal("web"));
    assert_eq!(policy_of(&body), CHAMPION);
    assert_eq!(
        body["decision"]["policy"]["wasm_sha256"],
        champion_digest.as_str()
    );
    let (code, _, err) = run(
        &host,
        &["policy", "swap", "--component", "decisioning", "--rollback"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nothing-to-roll-back"), "{err}");
    // And the candidate's decisions replay through the candidate's bytes after it left.
    let id = after_restart["decision"]["decision_id"].as_str().unwrap();
    let replayed = host
        .post_json_as(RISK_KEY, &format!("/v1/decisions/{id}/replay"), &json!({}))
        .json();
    assert_eq!(replayed["identical"], true, "{replayed}");
    assert_eq!(
        replayed["replayed"]["policy"]["wasm_sha256"],
        candidate_digest.as_str()
    );
    let listed = host.get_as(RISK_KEY, "/v1/admin/policies").json();
    assert_eq!(listed["history"][0]["action"], "rollback");
    assert_eq!(
        listed["history"][0]["to"]["sha256"],
        champion_digest.as_str()
    );
}

fn stage(host: &Host, key: &str, bytes: &[u8]) -> lendwork_e2e::Reply {
    let auth = format!("Bearer {key}");
    host.request(
        "POST",
        "/v1/admin/policies/candidates",
        &[
            ("authorization", &auth),
            ("content-type", "application/wasm"),
        ],
        Some(bytes),
    )
}

#[test]
fn candidates_are_checked_and_tried_on_recorded_decisions_before_they_serve() {
    let host = Host::start(HostConfig::platform());
    assert_eq!(load_list(&host, &sample_list()).status, 201);
    // A recorded application the rogue policy traps on when it re-decides it.
    let mut trap = personal("web");
    trap["purpose"] = json!("trap");
    assert_eq!(policy_of(&decide(&host, &trap)), CHAMPION);

    // Not a component; a component that reaches for host capabilities; a policy of a kind
    // decisioning does not import from this dependency.
    assert_eq!(stage(&host, RISK_KEY, b"not wasm").status, 422);
    let bureau = std::fs::read(wasm("bureau_simulator.wasm")).unwrap();
    let refused = stage(&host, RISK_KEY, &bureau);
    assert_eq!(refused.status, 422);
    assert!(
        refused.text().contains("host capabilities"),
        "{}",
        refused.text()
    );
    // Only risk and admin stage candidates.
    let candidate = std::fs::read(wasm("candidate_policy.wasm")).unwrap();
    assert_eq!(stage(&host, UNDERWRITER_KEY, &candidate).status, 403);
    assert_eq!(stage(&host, "", &candidate).status, 401);
    let wrong = host.post_json_as(
        RISK_KEY,
        "/v1/admin/policies/swap",
        &json!({ "component": "decisioning", "candidate": "ab".repeat(32) }),
    );
    assert_eq!(wrong.status, 404, "{}", wrong.text());

    // The rogue policy traps on a recorded decision: refused, nothing changes.
    let (code, _, err) = swap(&host, "rogue_policy.wasm");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("candidate-rejected"), "{err}");
    assert_eq!(policy_of(&decide(&host, &personal("web"))), CHAMPION);

    // A dry run shows the differences and changes nothing.
    let (code, out, err) = run(
        &host,
        &[
            "policy",
            "swap",
            "--dry-run",
            "--policy",
            &wasm("candidate_policy.wasm"),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("would swap lending:policy/consumer"), "{out}");
    assert!(out.contains("decisions,"), "{out}");
    assert_eq!(policy_of(&decide(&host, &personal("web"))), CHAMPION);
    let listed = host.get_as(RISK_KEY, "/v1/admin/policies").json();
    assert_eq!(listed["history"], json!([]));
}

/// What a backtest of the candidate must report, worked out from the stored decisions.
struct Expected {
    decisions: u64,
    cells: std::collections::BTreeMap<(String, String), u64>,
    champion_approvals: u64,
    candidate_approvals: u64,
    moved: std::collections::BTreeSet<String>,
}

fn expected(decisions: &[Value]) -> Expected {
    let mut e = Expected {
        decisions: 0,
        cells: Default::default(),
        champion_approvals: 0,
        candidate_approvals: 0,
        moved: Default::default(),
    };
    for d in decisions {
        let from = d["outcome"].as_str().unwrap().to_string();
        let to = candidate_outcome(&d["facts"]["facts"]).to_string();
        e.decisions += 1;
        e.champion_approvals += u64::from(from == "approve");
        e.candidate_approvals += u64::from(to == "approve");
        if from != to {
            e.moved
                .insert(d["application_id"].as_str().unwrap().to_string());
        }
        *e.cells.entry((from, to)).or_default() += 1;
    }
    e
}

fn fraction(part: u64, whole: u64) -> String {
    format!("{:.4}", part as f64 / whole as f64)
}

fn check_report(report: &Value, e: &Expected) {
    assert_eq!(report["decisions"], e.decisions, "{report}");
    for cell in report["swap_matrix"].as_array().unwrap() {
        let key = (
            cell["from"].as_str().unwrap().to_string(),
            cell["to"].as_str().unwrap().to_string(),
        );
        assert_eq!(
            cell["count"],
            e.cells.get(&key).copied().unwrap_or(0),
            "{key:?}: {report}"
        );
    }
    assert_eq!(report["champion"]["approve"], e.champion_approvals);
    assert_eq!(report["challenger"]["approve"], e.candidate_approvals);
    assert_eq!(
        report["champion"]["approval_rate"],
        fraction(e.champion_approvals, e.decisions)
    );
    assert_eq!(
        report["challenger"]["approval_rate"],
        fraction(e.candidate_approvals, e.decisions)
    );
    assert_eq!(report["moved_total"], e.moved.len() as u64);
    let moved: std::collections::BTreeSet<String> = report["moved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["application_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(moved, e.moved);
    // Every candidate approval offers 9.99 %.
    if e.candidate_approvals > 0 {
        assert_eq!(report["challenger"]["average_rate"], "0.0999");
    }
}

#[test]
fn a_backtest_reports_what_the_candidate_would_have_decided() {
    let host = Host::start(HostConfig::platform());
    assert_eq!(load_list(&host, &sample_list()).status, 201);
    for doc in mixed(12) {
        decide(&host, &doc);
    }
    // A business decision: not the consumer candidate's to re-decide.
    created(&submit(&host, BROKER_KEY, &sme(), None));
    let decisions = consumer_decisions(&host);
    let e = expected(&decisions);
    assert_eq!(e.decisions, 12);
    assert!(!e.moved.is_empty(), "the sample should move someone");

    // Through the route: stage, start, follow the job.
    let candidate = std::fs::read(wasm("candidate_policy.wasm")).unwrap();
    let staged = stage(&host, RISK_KEY, &candidate);
    assert_eq!(staged.status, 201, "{}", staged.text());
    let digest = staged.json()["sha256"].as_str().unwrap().to_string();
    assert_eq!(digest, wasm_sha256("candidate_policy.wasm"));
    let started = host.post_json_as(
        RISK_KEY,
        "/v1/admin/policies/backtests",
        &json!({ "candidate": digest }),
    );
    assert_eq!(started.status, 202, "{}", started.text());
    let path = format!(
        "/v1/admin/policies/backtests/{}",
        started.json()["id"].as_str().unwrap()
    );
    let mut job = Value::Null;
    host.wait_until("the backtest", Duration::from_secs(30), |host| {
        job = host.get_as(RISK_KEY, &path).json();
        job["status"] != "running"
    });
    assert_eq!(job["status"], "done", "{job}");
    check_report(&job["report"], &e);
    // Underwriters may not run backtests.
    let refused = host.post_json_as(
        UNDERWRITER_KEY,
        "/v1/admin/policies/backtests",
        &json!({ "candidate": digest }),
    );
    assert_eq!(refused.status, 403);

    // Through the command: the same figures, printed side by side.
    let (code, out, err) = run(
        &host,
        &[
            "policy",
            "backtest",
            "--policy",
            &wasm("candidate_policy.wasm"),
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains(&format!("{} decisions", e.decisions)), "{out}");
    assert!(out.contains(&format!("{} moved", e.moved.len())), "{out}");
    // A period with no decisions compares none.
    let (code, out, _) = run(
        &host,
        &[
            "policy",
            "backtest",
            "--policy",
            &wasm("candidate_policy.wasm"),
            "--from",
            "2999-01-01",
        ],
    );
    assert_eq!(code, 0);
    assert!(out.contains("0 decisions"), "{out}");
}

/// The platform's manifest with the challenger composed with the candidate consumer policy
/// and given every application.
fn challenger_manifest() -> HostConfig {
    let root = lendwork_e2e::workspace_root();
    let manifest = std::fs::read_to_string(root.join("spin.toml")).unwrap();
    let marker = "[component.decisioning-challenger.dependencies]\n\"lending:policy/consumer\" = { path = \"target/wasm32-wasip2/release/consumer_installment.wasm\" }";
    assert!(manifest.contains(marker));
    let changed = manifest
        .replace(
            marker,
            &marker.replace("consumer_installment.wasm", "candidate_policy.wasm"),
        )
        .replace("\"target/", &format!("\"{}/target/", root.display()));
    let dir = root
        .join("target/tmp")
        .join(lendwork_e2e::unique("challenger-manifest"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("spin.toml"), changed).unwrap();
    HostConfig {
        manifest: dir.join("spin.toml"),
        ..HostConfig::platform()
    }
    .env("SPIN_VARIABLE_CHALLENGER_SHARE", "100")
}

#[test]
fn a_shadow_challenger_decides_beside_the_champion_and_is_never_acted_on() {
    let host = Host::start(challenger_manifest());
    assert_eq!(load_list(&host, &sample_list()).status, 201);
    for doc in mixed(8) {
        let body = decide(&host, &doc);
        // The champion decides; the application's status follows it alone.
        assert_eq!(policy_of(&body), CHAMPION);
        let stored = decision(&host, body["decision"]["decision_id"].as_str().unwrap());
        let expected_status = match stored["outcome"].as_str().unwrap() {
            "approve" => "approved",
            "decline" => "declined",
            _ => "referred",
        };
        assert_eq!(body["status"], expected_status);
        let shadow = &stored["shadow"];
        if stored["policy"].is_null() {
            // Referred before any policy ran (the bureau had no answer): nothing to shadow.
            assert!(shadow.is_null());
            continue;
        }
        assert_eq!(shadow["policy"]["name"], CANDIDATE, "{stored}");
        assert_eq!(
            shadow["policy"]["wasm_sha256"],
            wasm_sha256("candidate_policy.wasm").as_str()
        );
        assert_eq!(
            shadow["outcome"],
            candidate_outcome(&stored["facts"]["facts"])
        );
    }
    let e = expected(&consumer_decisions(&host));
    let report = host.get_as(RISK_KEY, "/v1/admin/policies/challenger-report");
    assert_eq!(report.status, 200, "{}", report.text());
    check_report(&report.json()["report"], &e);
    assert_eq!(
        host.get_as(UNDERWRITER_KEY, "/v1/admin/policies/challenger-report")
            .status,
        403
    );
}
