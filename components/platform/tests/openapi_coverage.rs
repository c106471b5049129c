//! Keeps `api/openapi.json` true: it must be OpenAPI 3.1 shaped with every `$ref`
//! resolving, document every route `spin.toml` sends to a component, and agree with each
//! component's `ROUTES` table (method, path, roles) — in both directions.

use lendkit::{Access, Route};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// The route tables checked against the document, by `spin.toml` component name.
///
/// Adding a component is one line here plus a `[dev-dependencies]` line in this crate's
/// Cargo.toml. Operations served by a component not listed are still checked for shape,
/// only not against a table.
const COMPONENTS: &[(&str, &[Route])] = &[
    ("platform", platform::ROUTES),
    ("calculators", calculators::ROUTES),
    ("ledger-api", ledger_api::ROUTES),
    ("intake", intake::ROUTES),
    ("onboarding", onboarding::ROUTES),
    ("payments", payments::ROUTES),
    ("loans", loans::ROUTES),
    ("close-of-business", close_of_business::ROUTES),
    ("accrual", accrual::ROUTES),
];

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn repo_file(relative: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "..", relative]
        .iter()
        .collect();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {relative}: {e}"))
}

fn document() -> Value {
    serde_json::from_str(&repo_file("api/openapi.json")).expect("api/openapi.json is JSON")
}

/// `(route, component)` for every `[[trigger.http]]` in `spin.toml`.
fn spin_routes() -> Vec<(String, String)> {
    let manifest: toml::Table = repo_file("spin.toml").parse().expect("spin.toml is TOML");
    let triggers = manifest["trigger"]["http"]
        .as_array()
        .expect("spin.toml has [[trigger.http]]");
    triggers
        .iter()
        // Private routes (`{ private = true }`) are reachable only by service chaining.
        .filter(|t| t["route"].is_str())
        .map(|t| {
            let route = t["route"].as_str().expect("trigger route").to_owned();
            let component = t["component"]
                .as_str()
                .expect("trigger component")
                .to_owned();
            (route, component)
        })
        .collect()
}

/// The segments of a route or a documented path, with parameters (`:id`, `{id}`) as `*`.
fn segments(path: &str) -> Vec<&str> {
    path.trim_start_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.starts_with(':') || s.starts_with('{') {
                "*"
            } else {
                s
            }
        })
        .collect()
}

/// Whether `route` (Spin's syntax) matches the documented `path`: literals equal, a
/// parameter matches any one segment, a trailing `...` everything under its prefix. The
/// route's literal segments, when it matches.
fn route_matches(route: &str, path: &str) -> Option<usize> {
    let (route, wildcard) = match route.strip_suffix("/...") {
        Some(prefix) => (prefix, true),
        None => (route, false),
    };
    let (route, path) = (segments(route), segments(path));
    let fits = if wildcard {
        path.len() >= route.len()
    } else {
        path.len() == route.len()
    };
    let each = route
        .iter()
        .zip(&path)
        .all(|(r, p)| *r == "*" || (*p != "*" && r == p));
    (fits && each).then(|| route.iter().filter(|s| **s != "*").count())
}

/// The component Spin sends `path` to: an exact route beats a wildcard, and among matches
/// the route with more literal segments wins (`/v1/loans/:id/payments` over
/// `/v1/loans/...`).
fn owner(routes: &[(String, String)], path: &str) -> Option<String> {
    routes
        .iter()
        .filter_map(|(route, component)| {
            let literal = route_matches(route, path)?;
            Some(((!route.ends_with("/..."), literal), component))
        })
        .max_by_key(|(rank, _)| *rank)
        .map(|(_, component)| component.clone())
}

/// Every operation: `(path, method, operation)`.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths is an object") {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                out.push((path.clone(), method.to_owned(), operation.clone()));
            }
        }
    }
    out
}

/// Resolve a local JSON pointer reference (`#/components/...`).
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    doc.pointer(pointer)
}

/// Follow `$ref`s until a non-reference value.
fn deref<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                value = resolve(doc, reference).unwrap_or_else(|| panic!("{reference} resolves"))
            }
            None => return value,
        }
    }
    panic!("$ref chain too long")
}

fn x_roles(operation: &Value) -> BTreeSet<String> {
    operation["x-roles"]
        .as_array()
        .expect("x-roles is an array")
        .iter()
        .map(|r| r.as_str().expect("x-roles are strings").to_owned())
        .collect()
}

fn table_roles(access: &Access) -> BTreeSet<String> {
    access
        .effective_roles()
        .iter()
        .map(|r| r.as_str().to_owned())
        .collect()
}

#[test]
fn document_is_openapi_3_1() {
    let doc = document();
    let version = doc["openapi"].as_str().expect("openapi is a string");
    assert!(
        version.starts_with("3.1."),
        "openapi is {version}, expected 3.1.x"
    );
    assert!(doc["info"]["title"].is_string());
    assert!(doc["info"]["version"].is_string());
    assert_eq!(doc["info"]["version"], platform::VERSION);
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearerAuth"]["type"], "http");
    assert_eq!(schemes["bearerAuth"]["scheme"], "bearer");
    assert_eq!(schemes["apiKeyAuth"]["type"], "apiKey");
    assert_eq!(schemes["apiKeyAuth"]["in"], "header");
    assert_eq!(schemes["apiKeyAuth"]["name"], "X-Api-Key");
    let problem = &doc["components"]["schemas"]["Problem"];
    for field in [
        "type",
        "title",
        "status",
        "detail",
        "instance",
        "errors",
        "retryable",
    ] {
        assert!(
            problem["properties"].get(field).is_some(),
            "Problem.{field}"
        );
    }
}

#[test]
fn every_ref_resolves() {
    fn walk(doc: &Value, value: &Value, at: &str, broken: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(reference) = map.get("$ref") {
                    let reference = reference.as_str().unwrap_or_default();
                    if !reference.starts_with("#/") || resolve(doc, reference).is_none() {
                        broken.push(format!("{at}: {reference}"));
                    }
                }
                for (key, child) in map {
                    walk(doc, child, &format!("{at}/{key}"), broken);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(doc, child, &format!("{at}/{i}"), broken);
                }
            }
            _ => {}
        }
    }
    let doc = document();
    let mut broken = Vec::new();
    walk(&doc, &doc, "#", &mut broken);
    assert!(
        broken.is_empty(),
        "unresolved $refs:\n{}",
        broken.join("\n")
    );
}

#[test]
fn every_operation_is_well_formed() {
    let doc = document();
    let mut ids = BTreeSet::new();
    let mut faults = Vec::new();
    for (path, method, op) in operations(&doc) {
        let at = format!("{} {path}", method.to_uppercase());
        let mut fault = |what: &str| faults.push(format!("{at}: {what}"));
        match op["operationId"].as_str() {
            Some(id) if ids.insert(id.to_owned()) => {}
            _ => fault("missing or duplicate operationId"),
        }
        if !op["summary"].is_string() {
            fault("no summary");
        }
        if !op["x-roles"].is_array() {
            fault("no x-roles array");
            continue;
        }
        let roles = x_roles(&op);
        if let Some(unknown) = roles.iter().find(|r| {
            !lendkit::Role::ALL
                .iter()
                .any(|known| known.as_str() == r.as_str())
        }) {
            fault(&format!("unknown role {unknown}"));
        }
        let security: Vec<String> = op["security"]
            .as_array()
            .map(|reqs| {
                reqs.iter()
                    .filter_map(|r| r.as_object())
                    .flat_map(|r| r.keys().cloned())
                    .collect()
            })
            .unwrap_or_else(|| {
                fault("no security (use [] for public operations)");
                Vec::new()
            });
        let responses = op["responses"].as_object().cloned().unwrap_or_default();
        if roles.is_empty() {
            if !security.is_empty() {
                fault("public (x-roles []) but has a security requirement");
            }
        } else if security == ["webhookSignature"] {
            // Signed partner webhooks: the signer is the partner, no API key or admin.
            if roles.iter().collect::<Vec<_>>() != ["partner"] {
                fault("a signed webhook is called by the partner alone: x-roles [partner]");
            }
        } else {
            if !roles.contains("admin") {
                fault("admin is accepted wherever any role is: list it in x-roles");
            }
            if !(security.contains(&"bearerAuth".to_owned())
                && security.contains(&"apiKeyAuth".to_owned()))
            {
                fault("protected but security lacks bearerAuth or apiKeyAuth");
            }
            for status in ["401", "403"] {
                if !responses.contains_key(status) {
                    fault(&format!("protected but no {status} response"));
                }
            }
        }
        if op.get("requestBody").is_some() {
            for status in ["413", "415"] {
                if !responses.contains_key(status) {
                    fault(&format!("takes a body but has no {status} response"));
                }
            }
        }
        if !responses.keys().any(|s| s.starts_with('2')) {
            fault("no 2xx response");
        }
        let mut problems = 0;
        for (status, response) in &responses {
            if !(status.starts_with('4') || status.starts_with('5')) {
                continue;
            }
            problems += 1;
            let response = deref(&doc, response);
            let schema = &response["content"]["application/problem+json"]["schema"];
            if schema["$ref"] != "#/components/schemas/Problem" {
                fault(&format!("{status} is not application/problem+json Problem"));
            }
        }
        if problems == 0 {
            fault("no problem-details error response");
        }
        // Every {param} in the path is declared as a path parameter.
        let item = &doc["paths"][&path];
        let declared: BTreeSet<String> = [&item["parameters"], &op["parameters"]]
            .into_iter()
            .filter_map(Value::as_array)
            .flatten()
            .map(|p| deref(&doc, p))
            .filter(|p| p["in"] == "path")
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect();
        let in_template: BTreeSet<String> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .map(str::to_owned)
            .collect();
        if declared != in_template {
            fault(&format!(
                "path parameters {declared:?} != template {in_template:?}"
            ));
        }
    }
    assert!(
        faults.is_empty(),
        "malformed operations:\n{}",
        faults.join("\n")
    );
}

#[test]
fn every_spin_route_is_documented() {
    let doc = document();
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    let mut missing = Vec::new();
    for (route, component) in spin_routes() {
        if route == "/..." {
            continue; // The platform's problem-details 404 for everything else.
        }
        let documented = paths.iter().any(|p| route_matches(&route, p).is_some());
        if !documented {
            missing.push(format!("{route} ({component})"));
        }
    }
    assert!(
        missing.is_empty(),
        "spin.toml routes with no path in api/openapi.json:\n{}",
        missing.join("\n")
    );
}

#[test]
fn route_tables_match_the_document() {
    let doc = document();
    let spin = spin_routes();
    let mut faults = Vec::new();
    let mut in_tables: BTreeMap<(String, String), &str> = BTreeMap::new();

    for (component, routes) in COMPONENTS {
        assert!(
            spin.iter().any(|(_, c)| c == component),
            "{component} is not a component in spin.toml"
        );
        for route in *routes {
            // Paths outside /v1/ are private endpoints, reached by service chaining only.
            if !route.path.starts_with("/v1/") {
                continue;
            }
            let method = route.method.openapi_key();
            let at = format!("{component}: {} {}", route.method, route.path);
            if in_tables
                .insert((route.path.to_owned(), method.to_owned()), component)
                .is_some()
            {
                faults.push(format!("{at}: declared twice"));
            }
            match owner(&spin, route.path) {
                Some(owner) if owner == *component => {}
                other => faults.push(format!("{at}: spin.toml sends this path to {other:?}")),
            }
            let Some(op) = doc["paths"]
                .get(route.path)
                .and_then(|item| item.get(method))
            else {
                faults.push(format!("{at}: not in api/openapi.json"));
                continue;
            };
            let documented = x_roles(op);
            let declared = table_roles(&route.access);
            if documented != declared {
                faults.push(format!(
                    "{at}: x-roles {documented:?} but ROUTES says {declared:?}"
                ));
            }
        }
    }

    // The other direction: every documented operation that spin.toml sends to a checked
    // component is in that component's table.
    let checked: BTreeSet<&str> = COMPONENTS.iter().map(|(c, _)| *c).collect();
    let mut unchecked = Vec::new();
    for (path, method, _) in operations(&doc) {
        let Some(component) = owner(&spin, &path) else {
            faults.push(format!(
                "{} {path}: no spin.toml route reaches it",
                method.to_uppercase()
            ));
            continue;
        };
        if !checked.contains(component.as_str()) {
            unchecked.push(format!("{} {path} ({component})", method.to_uppercase()));
        } else if !in_tables.contains_key(&(path.clone(), method.clone())) {
            faults.push(format!(
                "{} {path}: documented but not in {component}'s ROUTES",
                method.to_uppercase()
            ));
        }
    }
    if !unchecked.is_empty() {
        eprintln!(
            "documented operations of components without a checked ROUTES table:\n{}",
            unchecked.join("\n")
        );
    }
    assert!(
        faults.is_empty(),
        "ROUTES and api/openapi.json disagree:\n{}",
        faults.join("\n")
    );
}

#[test]
fn ownership_follows_spin_precedence() {
    let routes = vec![
        ("/v1/health".to_owned(), "platform".to_owned()),
        ("/v1/ledger/...".to_owned(), "ledger-api".to_owned()),
        ("/...".to_owned(), "platform".to_owned()),
    ];
    assert_eq!(owner(&routes, "/v1/health").as_deref(), Some("platform"));
    assert_eq!(
        owner(&routes, "/v1/ledger/books/x").as_deref(),
        Some("ledger-api")
    );
    assert_eq!(owner(&routes, "/v1/ledger").as_deref(), Some("ledger-api"));
    assert_eq!(owner(&routes, "/v1/ledgers").as_deref(), Some("platform"));
    let routes = vec![
        ("/v1/loans/import".to_owned(), "onboarding".to_owned()),
        ("/v1/loans/:id/payments".to_owned(), "payments".to_owned()),
        (
            "/v1/loans/:id/payments/...".to_owned(),
            "payments".to_owned(),
        ),
        ("/v1/loans/...".to_owned(), "loans".to_owned()),
    ];
    let at = |path| owner(&routes, path);
    assert_eq!(at("/v1/loans/import").as_deref(), Some("onboarding"));
    assert_eq!(at("/v1/loans/{id}").as_deref(), Some("loans"));
    assert_eq!(at("/v1/loans/{id}/payments").as_deref(), Some("payments"));
    assert_eq!(
        at("/v1/loans/{id}/payments/{p}/reversal").as_deref(),
        Some("payments")
    );
    assert_eq!(at("/v1/loans/{id}/payoff").as_deref(), Some("loans"));
}
