//! Origination intake through the built `intake` component on the real host: applications
//! validated field by field (every failing field in one 422, nothing stored), stored once
//! (idempotent retries), read back masked by their submitter and by reviewers, listed a page
//! at a time, and submitted by partners as signed webhooks — under the host's key-value
//! semantics and Spin 4.0.2's.

use lendwork_e2e::origination::*;
use lendwork_e2e::{Backend, Host, HostConfig, OPERATIONS_KEY, RISK_KEY, Reply};
use serde_json::{Value, json};

const OTHER_APPLICANT_KEY: &str = "applicant-other-key";
const PARTNER_KEY: &str = "partner-test-key";

/// What screening concluded, as the application's history records it (when screening does
/// not decline, the credit decision follows as a third event and sets the status).
fn screened_as(body: &Value) -> &str {
    body["history"][1]["event"].as_str().unwrap_or_default()
}

/// The `field` of every error of a problem, in order.
fn error_fields(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect()
}

fn list(host: &Host, query: &str) -> Value {
    let reply = host.get_as(UNDERWRITER_KEY, &format!("/v1/applications{query}"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

/// How many listed applications carry `reference`, over every page.
fn listed_with_reference(host: &Host, reference: &str) -> usize {
    let mut count = 0;
    let mut after = String::new();
    loop {
        let page = list(host, &format!("?limit=100{after}"));
        count += page["applications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["application"]["external_reference"] == reference)
            .count();
        match page["next_after"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => return count,
        }
    }
}

fn configs() -> Vec<(HostConfig, &'static str)> {
    let mut configs = vec![
        (HostConfig::platform(), "memory"),
        (
            HostConfig::platform()
                .with_backend(Backend::Sqlite)
                .spin_semantics(),
            "sqlite, spin semantics",
        ),
    ];
    if let Some(url) = lendwork_e2e::redis_url() {
        configs.push((
            HostConfig::platform()
                .with_backend(Backend::Redis(url))
                .spin_semantics(),
            "redis, spin semantics",
        ));
    }
    configs
}

#[test]
fn a_valid_application_is_stored_once_and_read_back_masked() {
    for (config, label) in configs() {
        let host = Host::start(config);
        assert_eq!(load_list(&host, &sample_list()).status, 201);
        let reference = lendwork_e2e::unique("read-back");
        let mut doc = personal("web");
        doc["external_reference"] = json!(reference);
        let reply = submit(&host, APPLICANT_KEY, &doc, None);
        let text = reply.text();
        let body = created(&reply);
        let id = body["id"].as_str().unwrap().to_string();
        assert!(id.starts_with("app_"), "{label}: {id}");
        assert_eq!(
            screened_as(&body),
            "screened",
            "{label}: {}",
            body["screening"]
        );
        assert_eq!(
            body["screening"]["sanctions"]["parties"][0]["outcome"],
            "clear"
        );
        let applicant = &body["application"]["applicant"];
        let national_id = doc["applicant"]["national_id"]
            .as_str()
            .unwrap()
            .to_string();
        let last4 = &national_id[national_id.len() - 4..];
        assert_eq!(
            applicant["national_id"],
            format!("***-**-{last4}"),
            "{label}"
        );
        assert_eq!(applicant["date_of_birth"], "1990-**-**");
        assert_eq!(body["application"]["requested_amount"], "12000.00");
        for secret in [
            national_id.clone(),
            national_id.replace('-', ""),
            "1990-02-28".into(),
        ] {
            assert!(!text.contains(&secret), "{label}: {secret} in {text}");
        }
        assert_eq!(body["history"][0]["event"], "received");
        assert_eq!(body["history"][0]["by"]["role"], "applicant");

        // The submitter and reviewers read it; another applicant's key does not see it.
        let path = format!("/v1/applications/{id}");
        for key in [APPLICANT_KEY, UNDERWRITER_KEY, OPERATIONS_KEY] {
            let reply = host.get_as(key, &path);
            assert_eq!(reply.status, 200, "{label} {key}: {}", reply.text());
            let read = reply.json();
            assert_eq!(read["application"], body["application"]);
            assert!(!reply.text().contains(&national_id));
        }
        assert_eq!(host.get_as(OTHER_APPLICANT_KEY, &path).status, 404);
        assert_eq!(host.get_as(RISK_KEY, &path).status, 403);
        assert_eq!(host.get(&path).status, 401);
        assert_eq!(
            host.get_as(UNDERWRITER_KEY, "/v1/applications/app_nope")
                .status,
            404
        );
        assert_eq!(listed_with_reference(&host, &reference), 1, "{label}");
    }
}

#[test]
fn an_invalid_application_lists_every_failing_field_and_stores_nothing() {
    let host = Host::start(HostConfig::platform().spin_semantics());
    let mut doc = personal("web");
    doc["requested_amount"] = json!("999.99");
    doc["term_months"] = json!(120);
    doc["applicant"]["national_id"] = json!("666-12-3456");
    doc["applicant"]["date_of_birth"] = json!("2011-02-30");
    doc["applicant"]["email"] = json!("ada-at-example");
    doc["applicant"]["phone"] = json!("555-0123");
    doc["applicant"]["address"]["state"] = json!("QQ");
    doc["applicant"]["address"]["postal_code"] = json!("9410");
    doc["consents"]["credit_pull"] = json!(false);
    doc["nickname"] = json!("x");
    let reply = submit(&host, APPLICANT_KEY, &doc, None);
    assert_eq!(reply.status, 422, "{}", reply.text());
    let problem = reply.json();
    assert_eq!(problem["type"], "urn:lendwork:problem:validation");
    let fields = error_fields(&problem);
    assert_eq!(
        fields,
        [
            "/requested_amount",
            "/term_months",
            "/applicant/date_of_birth",
            "/applicant/national_id",
            "/applicant/email",
            "/applicant/phone",
            "/applicant/address/state",
            "/applicant/address/postal_code",
            "/consents/credit_pull",
            "/nickname",
        ]
    );
    for secret in ["666-12-3456", "ada-at-example", "555-0123", "QQ", "9410"] {
        assert!(!reply.text().contains(secret), "{secret}");
    }
    // Not JSON at all, and a JSON array: refused the same way, nothing stored.
    let auth = format!("Bearer {APPLICANT_KEY}");
    let headers = [
        ("content-type", "application/json"),
        ("authorization", auth.as_str()),
    ];
    let bad = host.request("POST", "/v1/applications", &headers, Some(b"{nope"));
    assert_eq!(bad.status, 400);
    assert_eq!(submit(&host, APPLICANT_KEY, &json!([1]), None).status, 422);
    assert!(
        list(&host, "")["applications"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn retries_with_an_idempotency_key_answer_the_first_result() {
    for (config, label) in configs() {
        let host = Host::start(config);
        let reference = lendwork_e2e::unique("retried");
        let idempotency_key = lendwork_e2e::unique("broker-app");
        let mut doc = sme();
        doc["external_reference"] = json!(reference);
        let first = created(&submit(&host, BROKER_KEY, &doc, Some(&idempotency_key)));
        assert_eq!(first["application"]["business"]["ein"], "**-***6789");
        let owner_id = doc["owners"][0]["national_id"].as_str().unwrap();
        assert_eq!(
            first["application"]["owners"][0]["national_id"],
            format!("***-**-{}", &owner_id[owner_id.len() - 4..])
        );
        assert_eq!(
            first["application"]["owners"][0]["ownership_percent"],
            "75.00"
        );
        let again = submit(&host, BROKER_KEY, &doc, Some(&idempotency_key));
        assert_eq!(again.status, 201, "{label}: the original status");
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.json()["id"], first["id"]);
        let mut other = doc.clone();
        other["requested_amount"] = json!("300000.00");
        let reused = submit(&host, BROKER_KEY, &other, Some(&idempotency_key));
        assert_eq!(reused.status, 422);
        assert_eq!(
            reused.json()["type"],
            "urn:lendwork:problem:idempotency-key-reused"
        );
        assert_eq!(listed_with_reference(&host, &reference), 1, "{label}");
    }
}

#[test]
fn channels_must_match_the_callers_role() {
    let host = Host::start(HostConfig::platform());
    let reply = submit(&host, APPLICANT_KEY, &personal("broker"), None);
    assert_eq!(reply.status, 422);
    assert_eq!(reply.json()["errors"][0]["field"], "/channel");
    created(&submit(&host, PARTNER_KEY, &personal("partner"), None));
    created(&submit(&host, BROKER_KEY, &personal("broker"), None));
    for channel in ["web", "mobile", "api"] {
        created(&submit(&host, APPLICANT_KEY, &personal(channel), None));
    }
    // Reviewers and other roles do not submit.
    for key in [UNDERWRITER_KEY, OPERATIONS_KEY, RISK_KEY] {
        assert_eq!(submit(&host, key, &personal("web"), None).status, 403);
    }
}

#[test]
fn listing_pages_through_applications_in_submission_order() {
    let host = Host::start(HostConfig::platform().spin_semantics());
    let mut ids = Vec::new();
    for _ in 0..7 {
        ids.push(created(&submit(&host, APPLICANT_KEY, &personal("web"), None))["id"].clone());
    }
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let page = list(&host, &format!("?limit=3{after}"));
        let apps = page["applications"].as_array().unwrap();
        assert!(apps.len() <= 3);
        seen.extend(apps.iter().map(|a| a["id"].clone()));
        match page["next_after"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => break,
        }
    }
    assert_eq!(seen, ids);
    // No list is loaded: screening refers every application, and the policy either refers
    // it too or declines it outright — none is approved, and the filter says so.
    let filtered = |status: &str| {
        list(&host, &format!("?status={status}&limit=100"))["applications"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(filtered("referred") + filtered("declined"), ids.len());
    assert_eq!(filtered("approved") + filtered("screened"), 0);
    for bad in ["?limit=0", "?limit=101", "?status=bogus", "?after=x"] {
        let reply = host.get_as(UNDERWRITER_KEY, &format!("/v1/applications{bad}"));
        assert_eq!(reply.status, 400, "{bad}: {}", reply.text());
    }
    assert_eq!(host.get_as(APPLICANT_KEY, "/v1/applications").status, 403);
}

// ------------------------------------------------------------------ partner webhooks

const ACME_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ACME_NEXT_SECRET: &str = "whsec_bmV3LXNlY3JldC1vZi10aGUtcGFydG5lcg==";
const GLOBEX_SECRET: &str = "whsec_Z2xvYmV4LXNlY3JldC1rZXktbWF0ZXJpYWw=";

fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Sends `body` as `partner`'s webhook `id`, signed at `timestamp` with the signatures
/// `secrets` make (space-separated), or with `signature` as given.
fn webhook(
    host: &Host,
    partner: &str,
    id: &str,
    timestamp: i64,
    body: &[u8],
    secrets: &[&str],
) -> Reply {
    let ts = timestamp.to_string();
    let signature: Vec<String> = secrets
        .iter()
        .map(|secret| lendkit::webhook::sign(secret, id, &ts, body).unwrap())
        .collect();
    let signature = signature.join(" ");
    host.request(
        "POST",
        &format!("/v1/partners/{partner}/applications"),
        &[
            ("content-type", "application/json"),
            ("webhook-id", id),
            ("webhook-timestamp", &ts),
            ("webhook-signature", &signature),
        ],
        Some(body),
    )
}

fn partner_host(config: HostConfig) -> Host {
    // acme is rotating: its old and new secrets are both configured.
    let secrets = format!("acme:{ACME_SECRET};acme:{ACME_NEXT_SECRET};globex:{GLOBEX_SECRET}");
    Host::start(config.env("SPIN_VARIABLE_PARTNER_SECRETS", &secrets))
}

#[test]
fn signed_partner_webhooks_are_processed_once_and_everything_else_is_refused() {
    for (config, label) in configs() {
        let host = partner_host(config);
        let reference = lendwork_e2e::unique("webhook");
        let mut doc = personal("partner");
        doc["external_reference"] = json!(reference);
        let body = doc.to_string();
        let now = now_seconds();
        let id = lendwork_e2e::unique("msg");

        // Refused, nothing stored: another partner's secret, a changed body, stale and
        // future timestamps (10 minutes off: the 5-minute tolerance's edge is tested natively,
        // away from a busy machine's clock), an unknown partner, no signature at all.
        let refusals = [
            webhook(&host, "acme", &id, now, body.as_bytes(), &[GLOBEX_SECRET]),
            webhook(&host, "acme", &id, now, b"{}", &[]),
            webhook(
                &host,
                "acme",
                &id,
                now - 600,
                body.as_bytes(),
                &[ACME_SECRET],
            ),
            webhook(
                &host,
                "acme",
                &id,
                now + 600,
                body.as_bytes(),
                &[ACME_SECRET],
            ),
            webhook(&host, "initech", &id, now, body.as_bytes(), &[ACME_SECRET]),
            webhook(&host, "acme", &id, now, body.as_bytes(), &[]),
        ];
        for refused in &refusals {
            assert_eq!(refused.status, 401, "{label}: {}", refused.text());
        }
        let tampered = {
            let signature =
                lendkit::webhook::sign(ACME_SECRET, &id, &now.to_string(), body.as_bytes())
                    .unwrap();
            host.request(
                "POST",
                "/v1/partners/acme/applications",
                &[
                    ("content-type", "application/json"),
                    ("webhook-id", &id),
                    ("webhook-timestamp", &now.to_string()),
                    ("webhook-signature", &signature),
                ],
                Some(body.replace("12000", "49000").as_bytes()),
            )
        };
        assert_eq!(tampered.status, 401, "{label}");
        assert_eq!(listed_with_reference(&host, &reference), 0, "{label}");

        // Signed with both of a rotating partner's secrets: accepted, once.
        let first = webhook(
            &host,
            "acme",
            &id,
            now,
            body.as_bytes(),
            &[ACME_NEXT_SECRET, ACME_SECRET],
        );
        let first_body = created(&first);
        assert_eq!(first_body["submitted_by"]["role"], "partner");
        assert_eq!(first_body["submitted_by"]["key_id"], "webhook:acme");
        // Redelivered (a new timestamp and signature, the same id): the first result.
        let again = webhook(&host, "acme", &id, now + 5, body.as_bytes(), &[ACME_SECRET]);
        assert_eq!(again.status, 201, "{label}");
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.json()["id"], first_body["id"]);
        assert_eq!(listed_with_reference(&host, &reference), 1, "{label}");

        // A partner webhook submits through the partner channel only.
        let web = personal("web").to_string();
        let wrong = webhook(
            &host,
            "globex",
            &lendwork_e2e::unique("msg"),
            now,
            web.as_bytes(),
            &[GLOBEX_SECRET],
        );
        assert_eq!(wrong.status, 422, "{label}");
        assert_eq!(wrong.json()["errors"][0]["field"], "/channel");
    }
}

// ------------------------------------------------------------------ screening

#[test]
fn every_application_is_screened_against_the_sanctions_list_in_force() {
    for (config, label) in configs() {
        let host = Host::start(config);
        // Before any list: nothing is cleared, a person must look.
        let early = created(&submit(&host, APPLICANT_KEY, &personal("web"), None));
        if early["screening"]["sanctions"]["list"].is_null() {
            // Screening refers it; the policy then refers it too, or declines it on credit
            // grounds — it is never approved unscreened.
            assert_eq!(screened_as(&early), "referred", "{label}: {early}");
            assert_ne!(early["status"], "approved", "{label}: {early}");
            assert_eq!(
                early["screening"]["sanctions"]["parties"][0]["outcome"],
                "not_screened"
            );
        }

        let loaded = load_list(&host, &sample_list());
        assert_eq!(loaded.status, 201, "{label}: {}", loaded.text());
        let info = loaded.json();
        assert_eq!(info["entries"], 8);
        let digest = info["digest"].as_str().unwrap().to_string();
        let status = host.get_as(ADMIN_KEY, "/v1/admin/sanctions");
        assert_eq!(status.json()["digest"], digest.as_str());

        let cases = [
            (named("Ada", "Lovelace", "1990-02-28"), "screened", "clear"),
            (named("Rustam", "Karimov", "1968-03-14"), "declined", "hit"),
            (named("Jurgen", "Muller", "1962-05-01"), "declined", "hit"),
            (
                named("Rustam", "Karimov", "1998-03-14"),
                "referred",
                "possible_match",
            ),
            (
                named("Elena", "Petrov", "1981-09-02"),
                "referred",
                "possible_match",
            ),
        ];
        for (doc, status, outcome) in cases {
            let body = created(&submit(&host, APPLICANT_KEY, &doc, None));
            let who = &doc["applicant"]["last_name"];
            assert_eq!(
                screened_as(&body),
                status,
                "{label} {who}: {}",
                body["screening"]
            );
            let sanctions = &body["screening"]["sanctions"];
            assert_eq!(sanctions["list"]["digest"], digest.as_str());
            assert_eq!(sanctions["parties"][0]["party"], "applicant");
            assert_eq!(sanctions["parties"][0]["outcome"], outcome, "{label} {who}");
            assert!(sanctions["parties"][0]["best_score"].is_number() || outcome == "clear");
            if outcome != "clear" {
                assert!(sanctions["parties"][0]["matched_entry"]["ent_num"].is_u64());
                assert!(!body["screening"]["reasons"].as_array().unwrap().is_empty());
            }
            // The history says who decided what.
            let events: Vec<&str> = body["history"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["event"].as_str().unwrap())
                .collect();
            assert_eq!(events[..2], ["received", status], "{label}");
            // Declined by screening, no credit report is pulled: no decision follows.
            assert_eq!(
                events.len(),
                if status == "declined" { 2 } else { 3 },
                "{label}"
            );
        }

        // A business on the list declines the application it applies with.
        let mut business = sme();
        business["business"]["legal_name"] = json!("North Star Traders");
        let body = created(&submit(&host, BROKER_KEY, &business, None));
        assert_eq!(body["status"], "declined", "{label}");
        let parties = body["screening"]["sanctions"]["parties"]
            .as_array()
            .unwrap();
        assert_eq!(parties.last().unwrap()["party"], "business");
        assert_eq!(parties.last().unwrap()["outcome"], "hit");
        assert_eq!(
            list(&host, "?status=declined&limit=100")["applications"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| a["id"] == body["id"])
                .count(),
            1
        );
    }
}

#[test]
fn only_admins_load_lists_and_bad_lists_change_nothing() {
    let host = Host::start(HostConfig::platform());
    for key in [OPERATIONS_KEY, UNDERWRITER_KEY, RISK_KEY] {
        assert_eq!(
            host.post_json_as(key, "/v1/admin/sanctions", &sample_list())
                .status,
            403
        );
    }
    assert_eq!(host.get_as(ADMIN_KEY, "/v1/admin/sanctions").status, 404);
    let first = load_list(&host, &sample_list()).json();
    let bad = load_list(
        &host,
        &json!({ "sdn_csv": "x,\"NAME\",\"individual\",\"SDGT\"\n" }),
    );
    assert_eq!(bad.status, 422, "{}", bad.text());
    assert_eq!(bad.json()["errors"][0]["field"], "sdn_csv");
    let orphan = load_list(
        &host,
        &json!({ "sdn_csv": sample_list()["sdn_csv"], "alt_csv": "9,1,\"aka\",\"X\",\"-0-\"\n" }),
    );
    assert_eq!(orphan.status, 422);
    assert_eq!(orphan.json()["errors"][0]["field"], "alt_csv");
    let status = host.get_as(ADMIN_KEY, "/v1/admin/sanctions").json();
    assert_eq!(
        status["digest"], first["digest"],
        "the list in force is unchanged"
    );
    // The screening stage itself has no route from outside.
    for path in ["/screen", "/sanctions"] {
        let reply = host.request(
            "POST",
            path,
            &[("content-type", "application/json")],
            Some(b"{}"),
        );
        assert_eq!(reply.status, 404, "{path}");
    }
}

#[test]
fn the_cli_loads_the_list_through_the_admin_api() {
    let host = Host::start(HostConfig::platform());
    let sample = lendwork_e2e::workspace_root().join("data/sanctions/sample");
    let cli = |args: &[&str], key: &str| host.cli(&[&["sanctions"], args].concat(), key);
    let sdn = sample.join("sdn.csv");
    let alt = sample.join("alt.csv");
    let add = sample.join("add.csv");
    let files = [
        "load",
        sdn.to_str().unwrap(),
        "--alt",
        alt.to_str().unwrap(),
        "--add",
        add.to_str().unwrap(),
    ];
    let loaded = cli(&files, ADMIN_KEY);
    let out = String::from_utf8_lossy(&loaded.stdout);
    assert_eq!(
        loaded.status.code(),
        Some(0),
        "{out}{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    let digest = host.get_as(ADMIN_KEY, "/v1/admin/sanctions").json()["digest"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(out.contains(&digest) && out.contains("entries"), "{out}");
    let status = cli(&["status"], ADMIN_KEY);
    assert_eq!(status.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&status.stdout).contains(&digest));
    // Refused by the platform: its problem on stderr, exit 2; a missing file: exit 1.
    let refused = cli(&files, OPERATIONS_KEY);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("urn:lendwork:problem:"));
    assert_eq!(
        cli(&["load", "/nonexistent/sdn.csv"], ADMIN_KEY)
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn identity_verification_refers_what_it_cannot_confirm_and_never_fails_an_application() {
    let host = Host::start(HostConfig::platform());
    assert_eq!(load_list(&host, &sample_list()).status, 201);
    let cases = [
        ("Lovelace", "screened", "verified", None),
        (
            "Unverifiable",
            "referred",
            "failed",
            Some("identity: the applicant could not be verified"),
        ),
        (
            "Mismatch",
            "referred",
            "review",
            Some("identity: the applicant needs review by a person"),
        ),
        // The provider takes longer than identity_timeout_ms (2 s), or fails.
        (
            "Slowpoke",
            "referred",
            "unavailable",
            Some("identity verification unavailable"),
        ),
        (
            "Broken",
            "referred",
            "unavailable",
            Some("identity verification unavailable"),
        ),
    ];
    for (last_name, status, result, reason) in cases {
        let mut doc = personal("web");
        doc["applicant"]["last_name"] = json!(last_name);
        let body = created(&submit(&host, APPLICANT_KEY, &doc, None));
        assert_eq!(
            screened_as(&body),
            status,
            "{last_name}: {}",
            body["screening"]
        );
        assert_eq!(
            body["screening"]["identity"][0]["result"], result,
            "{last_name}"
        );
        assert_eq!(body["screening"]["identity"][0]["party"], "applicant");
        let reasons = body["screening"]["reasons"].as_array().unwrap();
        match reason {
            Some(reason) => assert!(
                reasons.iter().any(|r| r == reason),
                "{last_name}: {reasons:?}"
            ),
            None => assert!(reasons.is_empty(), "{reasons:?}"),
        }
        if result != "unavailable" {
            assert!(
                body["screening"]["identity"][0]["reference"]
                    .as_str()
                    .unwrap()
                    .starts_with("idv_")
            );
        }
    }
}

#[test]
fn repeated_identifiers_are_referred_as_duplicates_and_by_velocity() {
    for (config, label) in configs() {
        let host = Host::start(config);
        assert_eq!(load_list(&host, &sample_list()).status, 201);
        let doc = personal("web");
        let first = created(&submit(&host, APPLICANT_KEY, &doc, None));
        assert_eq!(
            screened_as(&first),
            "screened",
            "{label}: {}",
            first["screening"]
        );
        let checks = first["screening"]["velocity"]["checks"].as_array().unwrap();
        assert_eq!(checks.len(), 3, "national id, e-mail, phone");
        assert!(checks.iter().all(|c| c["applications_in_window"] == 1));

        // The same person again, same product: a duplicate of the open first application.
        let second = created(&submit(&host, APPLICANT_KEY, &doc, None));
        // Screening refers it; the policy then refers it too, or declines it outright.
        assert_eq!(screened_as(&second), "referred", "{label}");
        assert_ne!(second["status"], "approved", "{label}");
        assert_eq!(second["screening"]["velocity"]["duplicate_of"], first["id"]);
        // A third time within 30 days: the velocity limit (3) is reached too.
        let third = created(&submit(&host, APPLICANT_KEY, &doc, None));
        let reasons: Vec<&str> = third["screening"]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert!(
            reasons
                .contains(&"velocity: the national id was used in 3 applications within 30 days"),
            "{label}: {reasons:?}"
        );
        // Identifiers are kept only as HMACs: the raw values never reach the store's keys.
        assert!(!third.to_string().contains("velocity/national_id/"));
    }
}

// ------------------------------------------------------------------ documents

fn upload_json(
    host: &Host,
    key: &str,
    id: &str,
    kind: &str,
    content_type: &str,
    content: &[u8],
) -> Reply {
    let body = json!({
        "type": kind,
        "content_type": content_type,
        "content_base64": lendwork_e2e::base64(content),
    });
    host.post_json_as(key, &format!("/v1/applications/{id}/documents"), &body)
}

fn upload_raw(
    host: &Host,
    key: &str,
    id: &str,
    query: &str,
    content_type: &str,
    content: &[u8],
) -> Reply {
    let auth = format!("Bearer {key}");
    host.request(
        "POST",
        &format!("/v1/applications/{id}/documents{query}"),
        &[("content-type", content_type), ("authorization", &auth)],
        Some(content),
    )
}

#[test]
fn documents_are_stored_with_their_hash_listed_without_content_and_reviewed() {
    for (config, label) in configs() {
        let host = Host::start(config);
        let app = created(&submit(&host, APPLICANT_KEY, &personal("web"), None));
        let id = app["id"].as_str().unwrap();
        // A PDF over JSON, and a 1 MiB scan raw: chunked under the store's value limit.
        let pdf = b"%PDF-1.7 a paystub".to_vec();
        let scan: Vec<u8> = (0..(1u32 << 20) + 17).map(|i| (i % 251) as u8).collect();
        let first = upload_json(&host, APPLICANT_KEY, id, "paystub", "application/pdf", &pdf);
        assert_eq!(first.status, 201, "{label}: {}", first.text());
        let first = first.json();
        assert_eq!(first["size_bytes"], pdf.len());
        assert_eq!(first["sha256"], lendwork_e2e::sha256_hex(&pdf));
        assert_eq!(first["status"], "received");
        let second = upload_raw(
            &host,
            APPLICANT_KEY,
            id,
            "?type=government_id",
            "image/png",
            &scan,
        );
        assert_eq!(second.status, 201, "{label}: {}", second.text());
        let second = second.json();
        assert_eq!(second["chunks"], 5);
        assert_eq!(second["sha256"], lendwork_e2e::sha256_hex(&scan));

        // Listed without content, by the submitter and by reviewers; not by others.
        let path = format!("/v1/applications/{id}/documents");
        let listed = host.get_as(APPLICANT_KEY, &path);
        assert_eq!(listed.status, 200);
        assert!(!listed.text().contains("content_base64") && listed.text().len() < 4096);
        assert_eq!(listed.json()["documents"].as_array().unwrap().len(), 2);
        assert_eq!(host.get_as(OTHER_APPLICANT_KEY, &path).status, 404);
        assert_eq!(
            upload_json(&host, OTHER_APPLICANT_KEY, id, "other", "text/plain", b"x").status,
            404
        );

        // Reviewers download exactly what was sent.
        let content = host.get_as(
            UNDERWRITER_KEY,
            &format!("{path}/{}/content", second["id"].as_str().unwrap()),
        );
        assert_eq!(content.status, 200);
        assert_eq!(content.body, scan, "{label}");
        assert_eq!(content.header("content-type"), Some("image/png"));
        assert_eq!(
            host.get_as(
                APPLICANT_KEY,
                &format!("{path}/{}/content", second["id"].as_str().unwrap())
            )
            .status,
            403
        );

        // An underwriter verifies one and rejects the other, with a reason.
        let review = |doc: &Value, body: Value, key: &str| {
            host.post_json_as(
                key,
                &format!("{path}/{}/verification", doc["id"].as_str().unwrap()),
                &body,
            )
        };
        assert_eq!(
            review(&first, json!({ "status": "verified" }), APPLICANT_KEY).status,
            403
        );
        let refused = review(&first, json!({ "status": "rejected" }), UNDERWRITER_KEY);
        assert_eq!(refused.status, 422);
        assert_eq!(refused.json()["errors"][0]["field"], "/reason");
        assert_eq!(
            review(&first, json!({ "status": "maybe" }), UNDERWRITER_KEY).status,
            422
        );
        let verified = review(&first, json!({ "status": "verified" }), UNDERWRITER_KEY);
        assert_eq!(verified.json()["status"], "verified", "{}", verified.text());
        let rejected = review(
            &second,
            json!({ "status": "rejected", "reason": "expired ID" }),
            UNDERWRITER_KEY,
        );
        assert_eq!(rejected.json()["reason"], "expired ID");
        let missing = host.post_json_as(
            UNDERWRITER_KEY,
            &format!("{path}/doc_nope/verification"),
            &json!({ "status": "verified" }),
        );
        assert_eq!(missing.status, 404);

        // The application's history says who did what.
        let events: Vec<String> = host
            .get_as(UNDERWRITER_KEY, &format!("/v1/applications/{id}"))
            .json()["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                e["event"]
                    .as_str()
                    .unwrap()
                    .split(':')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        // received, screened, the decision; then the documents' events.
        assert_eq!(
            events[3..],
            [
                "document_received",
                "document_received",
                "document_verified",
                "document_rejected"
            ],
            "{label}"
        );
    }
}

#[test]
fn bad_documents_are_refused_and_store_nothing() {
    let host = Host::start(HostConfig::platform());
    let app = created(&submit(&host, APPLICANT_KEY, &personal("web"), None));
    let id = app["id"].as_str().unwrap();
    // At most 4 MiB; a raw upload must name a content type an underwriter can open.
    let paystub = |content_type: &str, content: &[u8]| {
        upload_raw(
            &host,
            APPLICANT_KEY,
            id,
            "?type=paystub",
            content_type,
            content,
        )
        .status
    };
    assert_eq!(paystub("application/pdf", &vec![7u8; (4 << 20) + 1]), 413);
    assert_eq!(paystub("application/pdf", &vec![7u8; 4 << 20]), 201);
    assert_eq!(paystub("application/zip", b"PK"), 415);
    let bad = upload_raw(&host, APPLICANT_KEY, id, "?type=selfie", "image/png", b"");
    assert_eq!(bad.status, 422);
    let problem = bad.json();
    let fields = error_fields(&problem);
    assert_eq!(fields, ["type", "content"]);
    assert_eq!(
        upload_json(
            &host,
            APPLICANT_KEY,
            id,
            "paystub",
            "application/x-msdownload",
            b"MZ"
        )
        .status,
        422
    );
    assert_eq!(
        upload_json(
            &host,
            APPLICANT_KEY,
            "app_nope",
            "paystub",
            "application/pdf",
            b"x"
        )
        .status,
        404
    );
    let listed = host
        .get_as(APPLICANT_KEY, &format!("/v1/applications/{id}/documents"))
        .json();
    assert_eq!(
        listed["documents"].as_array().unwrap().len(),
        1,
        "only the 4 MiB one"
    );
}

// ------------------------------------------------------------------ borrower apps

const TOKEN_SECRET: &[u8] = b"an-identity-provider-secret-of-32-bytes";
const ISSUER: &str = "https://id.lender.test";
const ORIGIN: &str = "https://apply.lender.test";

fn token(sub: &str, exp_in: i64, audience: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let claims = json!({ "sub": sub, "exp": now + exp_in, "iss": ISSUER, "aud": audience });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(TOKEN_SECRET).unwrap(),
    )
    .unwrap()
}

fn edge_host(rate_limit: u32) -> Host {
    let keys = format!("hs256:{}", lendwork_e2e::base64(TOKEN_SECRET));
    Host::start(
        HostConfig::platform()
            .env("SPIN_VARIABLE_APPLICANT_TOKEN_KEYS", &keys)
            .env("SPIN_VARIABLE_APPLICANT_TOKEN_ISSUER", ISSUER)
            .env("SPIN_VARIABLE_CORS_ALLOWED_ORIGINS", ORIGIN)
            .env(
                "SPIN_VARIABLE_APPLICANT_RATE_LIMIT",
                &rate_limit.to_string(),
            ),
    )
}

#[test]
fn borrower_apps_use_bearer_tokens_and_see_only_their_own_applications() {
    let host = edge_host(100);
    let alice = token("alice@example.com", 300, "lendwork");
    let mine = created(&submit(&host, &alice, &personal("mobile"), None));
    assert_eq!(mine["submitted_by"]["role"], "applicant");
    let key_id = mine["submitted_by"]["key_id"].as_str().unwrap();
    assert!(
        key_id.starts_with("sub:") && !key_id.contains("alice"),
        "{key_id}"
    );
    let path = format!("/v1/applications/{}", mine["id"].as_str().unwrap());
    assert_eq!(host.get_as(&alice, &path).status, 200);
    // Another subject does not see it; reviewers do.
    let bob = token("bob@example.com", 300, "lendwork");
    assert_eq!(host.get_as(&bob, &path).status, 404);
    assert_eq!(host.get_as(UNDERWRITER_KEY, &path).status, 200);
    // Expired, for another service, or forged: 401, nothing stored.
    for bad in [
        token("alice@example.com", -120, "lendwork"),
        token("alice@example.com", 300, "another-service"),
        format!("{}x", &alice[..alice.len() - 1]),
    ] {
        assert_eq!(submit(&host, &bad, &personal("web"), None).status, 401);
    }
    // Tokens are for the applicant channel: reviewer routes refuse them.
    assert_eq!(host.get_as(&alice, "/v1/applications").status, 403);
}

#[test]
fn cors_preflights_answer_allowed_origins_only() {
    let host = edge_host(100);
    let preflight = |origin: &str, method: &str, path: &str| {
        host.request(
            "OPTIONS",
            path,
            &[
                ("origin", origin),
                ("access-control-request-method", method),
            ],
            None,
        )
    };
    let ok = preflight(ORIGIN, "POST", "/v1/applications");
    assert_eq!(ok.status, 204, "{}", ok.text());
    assert_eq!(ok.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(ok.header("access-control-allow-methods"), Some("POST"));
    assert!(
        ok.header("access-control-allow-headers")
            .unwrap()
            .contains("authorization")
    );
    assert_eq!(
        preflight("https://evil.test", "POST", "/v1/applications").status,
        403
    );
    assert_eq!(preflight(ORIGIN, "DELETE", "/v1/applications").status, 403);
    // Answers to the allowed origin carry the header, others do not.
    let alice = token("alice@example.com", 300, "lendwork");
    let auth = format!("Bearer {alice}");
    let body = personal("web").to_string();
    let answer = host.request(
        "POST",
        "/v1/applications",
        &[
            ("content-type", "application/json"),
            ("authorization", &auth),
            ("origin", ORIGIN),
        ],
        Some(body.as_bytes()),
    );
    assert_eq!(answer.status, 201);
    assert_eq!(answer.header("access-control-allow-origin"), Some(ORIGIN));
    let other = host.request(
        "GET",
        "/v1/health",
        &[("origin", "https://evil.test")],
        None,
    );
    assert_eq!(other.header("access-control-allow-origin"), None);
}

#[test]
fn token_submissions_are_rate_limited_per_subject_device_and_address() {
    let host = edge_host(3);
    let alice = token("alice@example.com", 300, "lendwork");
    for _ in 0..3 {
        created(&submit(&host, &alice, &personal("web"), None));
    }
    let limited = submit(&host, &alice, &personal("web"), None);
    assert_eq!(limited.status, 429, "{}", limited.text());
    let wait: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=31_536_000).contains(&wait));
    assert_eq!(limited.json()["type"], "urn:lendwork:problem:rate-limited");
    // Another subject from the same address is bounded by the address's count too.
    let bob = token("bob@example.com", 300, "lendwork");
    assert_eq!(submit(&host, &bob, &personal("web"), None).status, 429);
    // A lender's own server, with an API key, is not limited this way.
    created(&submit(&host, APPLICANT_KEY, &personal("api"), None));
}

// ------------------------------------------------------------------ every rule, over HTTP

/// `doc` with the member at `pointer` set to `value` (removed for `None`).
fn replaced(doc: &Value, pointer: &str, value: Option<Value>) -> Value {
    let mut doc = doc.clone();
    let (parent, name) = pointer.rsplit_once('/').unwrap();
    let target = doc.pointer_mut(parent).unwrap();
    match (value, target.as_array_mut()) {
        (Some(v), Some(list)) => list[name.parse::<usize>().unwrap()] = v,
        (Some(v), None) => target[name] = v,
        (None, _) => {
            target.as_object_mut().unwrap().remove(name);
        }
    }
    doc
}

#[test]
fn every_validation_rule_names_exactly_its_field_through_the_component() {
    let host = Host::start(HostConfig::platform());
    // A date of birth about `years` ago (mid-June, so the age is `years` or one less).
    let current_year = 1970
        + std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            / 31_556_952;
    let born = |years: u64| json!(format!("{}-06-15", current_year - years));
    // (pointer, value; None removes the field), on a valid personal_installment application.
    let personal_cases: Vec<(&str, Option<Value>)> = vec![
        ("/product", Some(json!("mortgage"))),
        ("/channel", Some(json!("fax"))),
        ("/requested_amount", Some(json!("999.99"))),
        ("/requested_amount", Some(json!("50000.01"))),
        ("/requested_amount", Some(json!("12000.001"))),
        ("/requested_amount", Some(json!(12000))),
        ("/currency", Some(json!("EUR"))),
        ("/term_months", Some(json!(5))),
        ("/term_months", Some(json!(85))),
        ("/purpose", None),
        ("/applicant/first_name", Some(json!(""))),
        ("/applicant/date_of_birth", Some(json!("1990-02-30"))),
        ("/applicant/date_of_birth", Some(born(17))),
        ("/applicant/national_id", Some(json!("000-12-3456"))),
        ("/applicant/national_id", Some(json!("666-12-3456"))),
        ("/applicant/national_id", Some(json!("900-12-3456"))),
        ("/applicant/national_id", Some(json!("123-00-4567"))),
        ("/applicant/national_id", Some(json!("123-45-0000"))),
        ("/applicant/email", Some(json!("ada@"))),
        ("/applicant/phone", Some(json!("+0123456"))),
        ("/applicant/address/state", Some(json!("XX"))),
        ("/applicant/address/postal_code", Some(json!("9410-1234"))),
        ("/applicant/address/country", Some(json!("MX"))),
        ("/applicant/employment_status", Some(json!("pirate"))),
        ("/applicant/annual_income", None),
        ("/consents/credit_pull", Some(json!(false))),
        ("/consents/esign", Some(json!(false))),
        ("/consents/accepted_at", Some(json!("2999-01-01T00:00:00Z"))),
        ("/consents/terms_version", None),
        ("/unknown_field", Some(json!(true))),
        ("/business", Some(json!({}))),
    ];
    // A person of 19 is of age in California but not in Mississippi (21).
    let mississippi = replaced(
        &replaced(
            &personal("web"),
            "/applicant/address/state",
            Some(json!("MS")),
        ),
        "/applicant/date_of_birth",
        Some(born(19)),
    );
    let sme_cases: Vec<(&str, Option<Value>)> = vec![
        ("/business", None),
        ("/business/ein", Some(json!("07-1234567"))),
        ("/business/formation_date", Some(json!("2999-01-01"))),
        ("/owners", None),
        ("/owners/0/ownership_percent", Some(json!("100.01"))),
        ("/owners/0/national_id", Some(json!("123-45-0000"))),
        ("/requested_amount", Some(json!("9999.99"))),
        ("/term_months", Some(json!(121))),
    ];
    let mut checked = 0;
    for (base, key, cases) in [
        (personal("web"), APPLICANT_KEY, personal_cases),
        (sme(), BROKER_KEY, sme_cases),
    ] {
        for (pointer, value) in cases {
            let reply = submit(&host, key, &replaced(&base, pointer, value.clone()), None);
            assert_eq!(reply.status, 422, "{pointer} = {value:?}: {}", reply.text());
            assert_eq!(
                error_fields(&reply.json()),
                [pointer],
                "{pointer} = {value:?}"
            );
            checked += 1;
        }
    }
    let reply = submit(&host, APPLICANT_KEY, &mississippi, None);
    assert_eq!(error_fields(&reply.json()), ["/applicant/date_of_birth"]);
    let california = replaced(&mississippi, "/applicant/address/state", Some(json!("CA")));
    created(&submit(&host, APPLICANT_KEY, &california, None));
    assert!(checked >= 39);
    // Of all of them, only the Californian was stored.
    assert_eq!(
        list(&host, "?limit=100")["applications"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
