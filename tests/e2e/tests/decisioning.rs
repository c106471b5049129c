//! The synchronous origination pipeline through the built components on the real host:
//! intake → screening → decisioning → scoring (and the bureau simulator) → the credit
//! policy composed into decisioning. Every decision the tests make is checked against the
//! policy's own rules run natively on the facts the component stored, replayed through the
//! component, and read back by the roles that may.

use lendwork_e2e::origination::*;
use lendwork_e2e::{Host, HostConfig, RISK_KEY};
use serde_json::{Value, json};

/// The decision stored for `body`'s application, as risk reads it.
fn stored_decision(host: &Host, body: &Value) -> Value {
    let id = body["decision"]["decision_id"]
        .as_str()
        .expect("a decision id");
    let reply = host.get_as(RISK_KEY, &format!("/v1/decisions/{id}"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

/// The status an outcome gives an application.
fn status_of(outcome: &str) -> &'static str {
    match outcome {
        "approve" => "approved",
        "decline" => "declined",
        _ => "referred",
    }
}

/// The policy's own rules, run natively on the facts the component stored, give the
/// decision the component made; and the component's replay says so too.
fn check_against_the_rules(host: &Host, decision: &Value) {
    let facts = &decision["facts"];
    let native = match facts["kind"].as_str().unwrap() {
        "consumer" => {
            let facts: policykit::wit::ConsumerFacts =
                serde_json::from_value(facts["facts"].clone()).unwrap();
            consumer_installment::rules::decide(&facts)
        }
        _ => {
            let facts: policykit::wit::BusinessFacts =
                serde_json::from_value(facts["facts"].clone()).unwrap();
            sme_term::rules::decide(&facts)
        }
    };
    assert_eq!(decision["outcome"], policykit::outcome_name(native.outcome));
    assert_eq!(
        decision["reasons"],
        serde_json::to_value(&native.reasons).unwrap()
    );
    assert_eq!(
        decision["offers"],
        serde_json::to_value(&native.offers).unwrap()
    );
    assert_eq!(
        decision["counter_offer"],
        serde_json::to_value(&native.counter_offer).unwrap()
    );
    let digest = lendwork_e2e::sha256_hex(lendkit::json::canonical(facts).as_bytes());
    assert_eq!(
        decision["facts_sha256"],
        digest.as_str(),
        "the digest is of the facts as stored"
    );
    let id = decision["id"].as_str().unwrap();
    let replay = host.post_json_as(RISK_KEY, &format!("/v1/decisions/{id}/replay"), &json!({}));
    assert_eq!(replay.status, 200, "{}", replay.text());
    let replay = replay.json();
    assert_eq!(
        (
            &replay["identical"],
            &replay["same_policy"],
            &replay["facts_unchanged"]
        ),
        (&json!(true), &json!(true), &json!(true)),
        "{replay}"
    );
}

#[test]
fn applications_are_decided_by_the_policy_on_facts_without_identifiers() {
    for config in [
        HostConfig::platform(),
        HostConfig::platform().spin_semantics(),
    ] {
        let host = Host::start(config);
        assert_eq!(load_list(&host, &sample_list()).status, 201);
        // Different people, different bureau files: every outcome the policy reaches is
        // the one its rules give.
        let mut outcomes = std::collections::BTreeSet::new();
        let mut decided = Vec::new();
        for _ in 0..12 {
            let doc = personal("web");
            let body = created(&submit(&host, APPLICANT_KEY, &doc, None));
            let outcome = body["decision"]["outcome"].as_str().unwrap().to_string();
            assert_eq!(body["status"], status_of(&outcome), "{body}");
            let events: Vec<&str> = body["history"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["event"].as_str().unwrap())
                .collect();
            assert_eq!(events, ["received", "screened", status_of(&outcome)]);
            decided.push(body["decision"]["decision_id"].clone());
            if outcome == "approve" {
                assert!(!body["decision"]["offers"].as_array().unwrap().is_empty());
            }
            let decision = stored_decision(&host, &body);
            assert_eq!(decision["policy"]["name"], "consumer-installment");
            assert_eq!(
                decision["policy"]["wasm_sha256"],
                lendwork_e2e::wasm_sha256("consumer_installment.wasm").as_str()
            );
            assert_eq!(decision["application_id"], body["id"]);
            for stage in ["screening_ms", "scoring_ms", "policy_us"] {
                assert!(
                    decision["timings"][stage].is_u64(),
                    "{stage}: {}",
                    decision["timings"]
                );
            }
            check_against_the_rules(&host, &decision);
            // The policy saw no name, national id, date of birth or contact detail.
            let facts = decision["facts"].to_string();
            for field in ["national_id", "first_name", "last_name", "email", "phone"] {
                let value = doc["applicant"][field].as_str().unwrap();
                assert!(!facts.contains(value), "{field} reached the policy");
            }
            assert!(!facts.contains("1990-02-28"));
            // Nor the national id as stored (digits only) or the phone's digits.
            let digits = |v: &Value| v.as_str().unwrap().replace(['-', '+'], "");
            assert!(!facts.contains(&digits(&doc["applicant"]["national_id"])));
            assert!(!facts.contains(&digits(&doc["applicant"]["phone"])));
            outcomes.insert(outcome);
        }
        assert!(!outcomes.is_empty());
        // Risk lists every decision, oldest first, a page at a time.
        let mut listed = Vec::new();
        let mut after = String::new();
        loop {
            let page = host.get_as(RISK_KEY, &format!("/v1/decisions?limit=5{after}"));
            assert_eq!(page.status, 200, "{}", page.text());
            let page = page.json();
            listed.extend(
                page["decisions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d["id"].clone()),
            );
            match page["next_after"].as_str() {
                Some(next) => after = format!("&after={next}"),
                None => break,
            }
        }
        assert_eq!(listed, decided);
        assert_eq!(host.get_as(APPLICANT_KEY, "/v1/decisions").status, 403);
    }
}

#[test]
fn operators_show_and_replay_decisions_from_the_cli() {
    let host = Host::start(HostConfig::platform());
    assert_eq!(load_list(&host, &sample_list()).status, 201);
    let body = created(&submit(&host, APPLICANT_KEY, &personal("web"), None));
    let id = body["decision"]["decision_id"].as_str().unwrap();
    let shown = host.cli(&["decisions", "show", id], RISK_KEY);
    let out = String::from_utf8_lossy(&shown.stdout);
    assert_eq!(
        shown.status.code(),
        Some(0),
        "{out}{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    assert!(
        out.contains("consumer-installment")
            && out.contains(body["decision"]["outcome"].as_str().unwrap()),
        "{out}"
    );
    let replayed = host.cli(&["decisions", "replay", id], RISK_KEY);
    let out = String::from_utf8_lossy(&replayed.stdout);
    assert_eq!(replayed.status.code(), Some(0), "{out}");
    assert!(
        out.contains("identical — same policy: true, facts unchanged: true"),
        "{out}"
    );
    // Refusals are the platform's problem on stderr, exit 2: an unknown decision, a role
    // that may not read decisions.
    let unknown = host.cli(&["decisions", "replay", "dec_nothing"], RISK_KEY);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("404"));
    assert_eq!(
        host.cli(&["decisions", "show", id], APPLICANT_KEY)
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn special_files_decline_or_refer_for_their_reasons() {
    let host = Host::start(HostConfig::platform());
    assert_eq!(load_list(&host, &sample_list()).status, 201);
    let cases = [
        ("Delinquent", "decline", "serious-delinquency"),
        ("Bankrupt", "decline", "public-record"),
        ("Nohit", "refer", "insufficient-credit-history"),
        ("Thinfile", "refer", "insufficient-credit-history"),
    ];
    for (last_name, outcome, reason) in cases {
        let mut doc = personal("web");
        doc["applicant"]["last_name"] = json!(last_name);
        let body = created(&submit(&host, APPLICANT_KEY, &doc, None));
        let decision = &body["decision"];
        assert_eq!(decision["outcome"], outcome, "{last_name}: {decision}");
        let codes: Vec<&str> = decision["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["code"].as_str().unwrap())
            .collect();
        assert!(codes.contains(&reason), "{last_name}: {codes:?}");
        check_against_the_rules(&host, &stored_decision(&host, &body));
    }
    // A bureau that fails refers without asking the policy, and says why.
    let mut doc = personal("web");
    doc["applicant"]["last_name"] = json!("Broken");
    let body = created(&submit(&host, APPLICANT_KEY, &doc, None));
    assert_eq!(body["status"], "referred");
    assert_eq!(body["decision"]["reasons"][0]["code"], "bureau-unavailable");
    let decision = stored_decision(&host, &body);
    assert_eq!(
        (&decision["policy"], &decision["facts"]),
        (&Value::Null, &Value::Null)
    );
    let replay = host.post_json_as(
        RISK_KEY,
        &format!("/v1/decisions/{}/replay", decision["id"].as_str().unwrap()),
        &json!({}),
    );
    assert_eq!(replay.status, 409, "{}", replay.text());
}

#[test]
fn business_applications_are_decided_by_the_business_policy() {
    let host = Host::start(HostConfig::platform());
    assert_eq!(load_list(&host, &sample_list()).status, 201);
    let body = created(&submit(&host, BROKER_KEY, &sme(), None));
    let decision = stored_decision(&host, &body);
    assert_eq!(decision["policy"]["name"], "sme-term");
    let facts = &decision["facts"]["facts"];
    assert_eq!(facts["owners"], 1);
    assert_eq!(facts["owned_share"], "0.7500");
    assert_eq!(facts["principal_owner"]["ownership"], "0.7500");
    // Formed 2015-06-01: more than ten years in business.
    assert!(
        facts["affordability"]["months_in_business"]
            .as_u64()
            .unwrap()
            > 120
    );
    assert!(
        facts["score"]["scorecard"]
            .as_str()
            .unwrap()
            .starts_with("sme-v1@")
    );
    check_against_the_rules(&host, &decision);
    // A business on the sanctions list is declined by screening: no report is pulled.
    let mut listed = sme();
    listed["business"]["legal_name"] = json!("North Star Traders");
    let body = created(&submit(&host, BROKER_KEY, &listed, None));
    assert_eq!(
        (&body["status"], &body["decision"]),
        (&json!("declined"), &Value::Null)
    );
    let reports = host.get_as(
        UNDERWRITER_KEY,
        &format!(
            "/v1/applications/{}/credit-reports",
            body["id"].as_str().unwrap()
        ),
    );
    assert_eq!(reports.status, 404, "{}", reports.text());
}

#[test]
fn credit_reports_are_kept_masked_and_reused_within_the_window() {
    let host = Host::start(HostConfig::platform());
    assert_eq!(load_list(&host, &sample_list()).status, 201);
    let first_doc = personal("web");
    let first = created(&submit(&host, APPLICANT_KEY, &first_doc, None));
    let id = first["id"].as_str().unwrap();
    let reply = host.get_as(
        UNDERWRITER_KEY,
        &format!("/v1/applications/{id}/credit-reports"),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let reports = reply.json();
    let report = &reports["reports"][0];
    assert_eq!(report["kind"], "consumer");
    for tradeline in report["report"]["tradelines"].as_array().unwrap() {
        let number = tradeline["account_number"].as_str().unwrap();
        assert!(number.starts_with("****") && number.len() == 8, "{number}");
    }
    assert_eq!(
        host.get_as(
            APPLICANT_KEY,
            &format!("/v1/applications/{id}/credit-reports")
        )
        .status,
        403
    );
    // The same person again (new contact details) within 30 days: the report is reused.
    let mut again = personal("web");
    again["applicant"]["national_id"] = first_doc["applicant"]["national_id"].clone();
    let second = created(&submit(&host, APPLICANT_KEY, &again, None));
    let (one, two) = (
        stored_decision(&host, &first),
        stored_decision(&host, &second),
    );
    assert_eq!(one["scoring"]["bureau"]["reused"], false);
    assert_eq!(two["scoring"]["bureau"]["reused"], true);
    assert_eq!(
        one["scoring"]["bureau"]["report_id"],
        two["scoring"]["bureau"]["report_id"]
    );
}

#[test]
fn risk_loads_scorecards_versioned_by_digest() {
    let host = Host::start(HostConfig::platform());
    assert_eq!(load_list(&host, &sample_list()).status, 201);
    let before = created(&submit(&host, APPLICANT_KEY, &personal("web"), None));
    let before = stored_decision(&host, &before);
    let file = std::fs::read_to_string(
        lendwork_e2e::workspace_root().join("data/scorecards/consumer-v1.json"),
    )
    .unwrap();
    let mut card: Value = serde_json::from_str(&file).unwrap();
    card["name"] = json!("consumer-v2");
    card["base_points"] = json!(300);
    let auth = format!("Bearer {RISK_KEY}");
    let headers = [
        ("content-type", "application/json"),
        ("authorization", auth.as_str()),
    ];
    let reply = host.request(
        "POST",
        "/v1/admin/scorecards",
        &headers,
        Some(card.to_string().as_bytes()),
    );
    assert_eq!(reply.status, 201, "{}", reply.text());
    let loaded = reply.json();
    let id = loaded["id"].as_str().unwrap().to_string();
    let digest = lendwork_e2e::sha256_hex(card.to_string().as_bytes());
    assert_eq!(id, format!("consumer-v2@{}", &digest[..12]));
    let after = created(&submit(&host, APPLICANT_KEY, &personal("web"), None));
    let after = stored_decision(&host, &after);
    assert_eq!(after["facts"]["facts"]["score"]["scorecard"], id.as_str());
    assert!(
        before["facts"]["facts"]["score"]["scorecard"]
            .as_str()
            .unwrap()
            .starts_with("consumer-v1@")
    );
    // A scorecard whose bins leave a gap changes nothing; nor may anyone but risk load one.
    card["attributes"][0]["bins"][2]["min"] = json!("590");
    let bad = host.request(
        "POST",
        "/v1/admin/scorecards",
        &headers,
        Some(card.to_string().as_bytes()),
    );
    assert_eq!(bad.status, 422, "{}", bad.text());
    let listed = host.get_as(RISK_KEY, "/v1/admin/scorecards").json();
    assert_eq!(listed["scorecards"][0]["scorecard"], id.as_str());
    assert_eq!(
        host.get_as(UNDERWRITER_KEY, "/v1/admin/scorecards").status,
        403
    );
    assert_eq!(
        host.get_as(
            APPLICANT_KEY,
            &format!("/v1/decisions/{}", after["id"].as_str().unwrap())
        )
        .status,
        403
    );
}

/// The platform's manifest with decisioning's consumer policy replaced by the rogue test
/// policy (paths made absolute, since the copy lives elsewhere).
fn rogue_manifest() -> HostConfig {
    let root = lendwork_e2e::workspace_root();
    let manifest = std::fs::read_to_string(root.join("spin.toml")).unwrap();
    let target = format!("\"{}/target/", root.display());
    let rogue = manifest
        .replace(
            "target/wasm32-wasip2/release/consumer_installment.wasm",
            "target/wasm32-wasip2/release/rogue_policy.wasm",
        )
        .replace("\"target/", &target);
    assert!(rogue.contains("rogue_policy.wasm"));
    let dir = root
        .join("target/tmp")
        .join(lendwork_e2e::unique("rogue-manifest"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("spin.toml"), rogue).unwrap();
    HostConfig {
        manifest: dir.join("spin.toml"),
        ..HostConfig::platform()
    }
}

#[test]
fn a_policy_that_traps_loops_or_exhausts_memory_is_contained_and_the_application_kept() {
    let host = Host::start(rogue_manifest());
    assert_eq!(load_list(&host, &sample_list()).status, 201);
    for purpose in ["trap", "memory", "loop"] {
        let mut doc = personal("web");
        doc["purpose"] = json!(purpose);
        let started = std::time::Instant::now();
        let body = created(&submit(&host, APPLICANT_KEY, &doc, None));
        assert_eq!(body["status"], "referred", "{purpose}: {body}");
        assert_eq!(
            body["decision"]["reasons"][0]["code"], "policy-unavailable",
            "{purpose}"
        );
        // Stored, never lost: the application reads back as referred.
        let id = body["id"].as_str().unwrap();
        let read = host.get_as(UNDERWRITER_KEY, &format!("/v1/applications/{id}"));
        assert_eq!(read.json()["status"], "referred", "{purpose}");
        // The decision's inputs were stored before the policy ran.
        let decision = stored_decision(&host, &body);
        assert_eq!(decision["pending"], true, "{purpose}");
        assert_eq!(decision["policy"]["name"], "rogue", "{purpose}");
        assert!(decision["facts"]["facts"]["request"]["purpose"] == purpose);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{purpose}"
        );
        // And the platform still serves: the same policy's ordinary answer comes through.
        let ordinary = created(&submit(&host, APPLICANT_KEY, &personal("web"), None));
        assert_eq!(
            ordinary["decision"]["reasons"][0]["code"], "rogue-policy",
            "after {purpose}"
        );
    }
}

/// A referred application: the bureau holds no file for a `Nohit` applicant.
fn referred(host: &Host) -> Value {
    let mut doc = personal("web");
    doc["applicant"]["last_name"] = json!("Nohit");
    let body = created(&submit(host, APPLICANT_KEY, &doc, None));
    assert_eq!(body["status"], "referred", "{body}");
    body
}

fn review(host: &Host, key: &str, id: &str, body: &Value) -> lendwork_e2e::Reply {
    host.post_json_as(key, &format!("/v1/applications/{id}/review"), body)
}

#[test]
fn underwriters_work_the_review_queue_oldest_first_once_per_application() {
    let host = Host::start(HostConfig::platform().spin_semantics());
    assert_eq!(load_list(&host, &sample_list()).status, 201);
    let (first, second, third) = (referred(&host), referred(&host), referred(&host));
    let queue = host.get_as(UNDERWRITER_KEY, "/v1/review-queue?limit=10");
    assert_eq!(queue.status, 200, "{}", queue.text());
    let queue = queue.json();
    let ids: Vec<&Value> = queue["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["id"])
        .collect();
    assert_eq!(
        ids,
        [&first["id"], &second["id"], &third["id"]],
        "oldest first"
    );
    assert_eq!(
        queue["applications"][0]["reasons"][0]["code"],
        "insufficient-credit-history"
    );
    assert_eq!(host.get_as(APPLICANT_KEY, "/v1/review-queue").status, 403);

    // Approve the first with an adjusted offer: stored as a review decision, applied once.
    let id = first["id"].as_str().unwrap();
    let offer = json!({ "amount": "8000.00", "term_months": 36, "annual_rate": "0.1899", "origination_fee": "160.00" });
    let approved = review(
        &host,
        UNDERWRITER_KEY,
        id,
        &json!({ "outcome": "approve", "offer": offer, "notes": "verified income by paystub" }),
    );
    assert_eq!(approved.status, 200, "{}", approved.text());
    let approved = approved.json();
    assert_eq!(approved["status"], "approved");
    // The reviewer's terms, with the offer's id, expiry and disclosure beside them.
    let stored = &approved["decision"]["offers"][0];
    for field in ["amount", "term_months", "annual_rate", "origination_fee"] {
        assert_eq!(stored[field], offer[field], "{field}");
    }
    assert_eq!(stored["offer_id"], "o1");
    assert_eq!(stored["disclosure"]["amount_financed"], "7840.00");
    assert_eq!(stored["disclosure"]["number_of_payments"], 36);
    assert_eq!(
        approved["history"].as_array().unwrap().last().unwrap()["event"],
        "review_approve"
    );
    let decision = host
        .get_as(RISK_KEY, &format!("/v1/decisions/rev_{id}"))
        .json();
    assert_eq!(
        (&decision["kind"], &decision["outcome"]),
        (&json!("review"), &json!("approve"))
    );
    assert_eq!(decision["decided_by"]["role"], "underwriter");
    assert_eq!(decision["notes"], "verified income by paystub");
    // Reviewed already: a second review is refused, and the queue moves on.
    let again = review(&host, UNDERWRITER_KEY, id, &json!({ "outcome": "decline" }));
    assert_eq!(again.status, 409, "{}", again.text());
    let queue = host.get_as(UNDERWRITER_KEY, "/v1/review-queue").json();
    assert_eq!(queue["applications"][0]["id"], second["id"]);

    // Bad reviews change nothing.
    let second_id = second["id"].as_str().unwrap();
    for (bad, field) in [
        (json!({ "outcome": "approve" }), "/offer"),
        (json!({ "outcome": "maybe" }), "/outcome"),
        (
            json!({ "outcome": "approve", "offer": { "amount": "999999.00", "term_months": 36, "annual_rate": "0.1", "origination_fee": "0" } }),
            "/offer/amount",
        ),
        // Money is exact: a fee in fractions of a cent is refused, never rounded.
        (
            json!({ "outcome": "approve", "offer": { "amount": "8000.00", "term_months": 36, "annual_rate": "0.1899", "origination_fee": "160.005" } }),
            "/offer/origination_fee",
        ),
        (
            json!({ "outcome": "decline", "reasons": [{ "code": "", "text": "x" }] }),
            "/reasons",
        ),
    ] {
        let reply = review(&host, UNDERWRITER_KEY, second_id, &bad);
        assert_eq!(reply.status, 422, "{bad}: {}", reply.text());
        let problem = reply.json();
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap_or_default())
            .collect();
        assert!(fields.contains(&field), "{bad}: {fields:?}");
    }
    assert_eq!(
        review(
            &host,
            APPLICANT_KEY,
            second_id,
            &json!({ "outcome": "decline" })
        )
        .status,
        403
    );
    let still = host
        .get_as(UNDERWRITER_KEY, &format!("/v1/applications/{second_id}"))
        .json();
    assert_eq!(still["status"], "referred");

    // Two reviewers at once: exactly one review is recorded.
    let third_id = third["id"].as_str().unwrap().to_string();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let reviews = [UNDERWRITER_KEY, ADMIN_KEY].map(|key| {
            let (host, id) = (&host, third_id.clone());
            scope.spawn(move || {
                review(
                    host,
                    key,
                    &id,
                    &json!({ "outcome": "decline", "notes": key }),
                )
                .status
            })
        });
        reviews.map(|r| r.join().unwrap()).to_vec()
    });
    let mut sorted = statuses.clone();
    sorted.sort();
    assert_eq!(sorted, [200, 409], "{statuses:?}");
    let declined = host
        .get_as(UNDERWRITER_KEY, &format!("/v1/applications/{third_id}"))
        .json();
    assert_eq!(declined["status"], "declined");
    assert_eq!(
        declined["decision"]["reasons"][0]["code"],
        "underwriter-decline"
    );
}
