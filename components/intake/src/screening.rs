//! The screening stage, called for every application through local service chaining
//! (`screening_url`, by default `http://screening.spin.internal`, the private `screening`
//! component): sanctions for every party, identity verification for every person,
//! duplicates and velocity for the application's identifiers. Its answer never fails an
//! application: when it cannot be reached in time or answers nonsense, the application is
//! referred to a person with the reason.

use std::time::Duration;

use chrono::{DateTime, Datelike, Utc};
use origination::Application;
use serde_json::{Value, json};

/// How long intake waits for screening, in milliseconds: screening bounds its identity
/// calls to 4 s, and decisioning and the application's write must still fit in the
/// invocation's deadline (10 s by default) after it.
pub const SCREENING_TIMEOUT_MS: u64 = 5_000;

/// The variable naming the screening service's base URL.
pub const URL_VARIABLE: &str = "screening_url";
/// Where screening is when the variable is not set.
pub const DEFAULT_URL: &str = "http://screening.spin.internal";

/// What screening concluded for the whole application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every party is clear.
    Clear,
    /// A person must look: a possible match, no list loaded, or screening unavailable.
    Refer,
    /// A confident sanctions hit.
    Decline,
}

/// Screening's findings as the decision facts carry them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Flags {
    /// A party matches a listed one with confidence.
    pub sanctions_hit: bool,
    /// A party may match a listed one, or could not be screened: a person must clear it.
    pub sanctions_possible_match: bool,
    /// Every person's identity was verified.
    pub identity_verified: bool,
    /// An identifier was used in more applications than the window allows.
    pub velocity_exceeded: bool,
    /// An open application for the same product and national id exists.
    pub duplicate: bool,
}

/// The screening record kept with the application, and its verdict.
pub struct Screened {
    /// What the application stores and answers as `screening`.
    pub record: Value,
    /// The verdict.
    pub verdict: Verdict,
    /// Why, when not clear.
    pub reasons: Vec<String>,
    /// The findings, for decisioning.
    pub flags: Flags,
}

fn base_url() -> String {
    lendkit::vars::text(URL_VARIABLE).unwrap_or_else(|| DEFAULT_URL.to_string())
}

/// The parties to screen: the applicant, the owners, and the business.
fn parties(application: &Application) -> (Vec<Value>, Vec<String>) {
    let mut parties = Vec::new();
    let mut roles = Vec::new();
    for (index, person) in application.people().enumerate() {
        parties.push(json!({
            "name": format!("{} {}", person.first_name, person.last_name),
            "individual": true,
            "birth_year": person.date_of_birth.year(),
            "country": "united states",
        }));
        roles.push(if index == 0 {
            "applicant".to_string()
        } else {
            format!("owner {index}")
        });
    }
    if let Some(business) = &application.business {
        parties.push(
            json!({ "name": business.legal_name, "individual": false, "country": "united states" }),
        );
        roles.push("business".into());
    }
    (parties, roles)
}

fn unavailable(reason: &str) -> Screened {
    Screened {
        record: json!({ "sanctions": { "status": "unavailable" } }),
        verdict: Verdict::Refer,
        reasons: vec![reason.to_string()],
        // Nothing is cleared unscreened: a person must look.
        flags: Flags {
            sanctions_possible_match: true,
            ..Flags::default()
        },
    }
}

/// The people whose identity is verified, and the application's identifiers.
fn identity_and_identifiers(
    application: &Application,
    id: &str,
    now: DateTime<Utc>,
) -> (Vec<Value>, Value) {
    let subjects = application
        .people()
        .map(|person| {
            json!({
                "first_name": person.first_name,
                "last_name": person.last_name,
                "date_of_birth": person.date_of_birth.to_string(),
                "national_id": person.national_id,
                "postal_code": person.address.postal_code,
            })
        })
        .collect();
    let applicant = &application.applicant;
    let mut identifiers = vec![
        json!({ "kind": "national_id", "value": applicant.national_id }),
        json!({ "kind": "email", "value": applicant.email }),
        json!({ "kind": "phone", "value": applicant.phone }),
    ];
    if let Some(device) = &application.device_id {
        identifiers.push(json!({ "kind": "device", "value": device }));
    }
    let submission = json!({
        "id": id,
        "product": application.product,
        "at": now,
        "identifiers": identifiers,
    });
    (subjects, submission)
}

/// Screens application `id` (received `now`): every party, person and identifier.
pub fn screen(application: &Application, id: &str, now: DateTime<Utc>) -> Screened {
    let (parties, roles) = parties(application);
    let (subjects, submission) = identity_and_identifiers(application, id, now);
    let body = json!({ "parties": parties, "identity": subjects, "application": submission });
    let url = format!("{}/screen", base_url());
    let answer = lendkit::outbound::post_json(
        &url,
        body.to_string().as_bytes(),
        Duration::from_millis(SCREENING_TIMEOUT_MS),
    );
    let response = match answer {
        Ok(answer) if answer.status == 200 => answer,
        _ => return unavailable("screening unavailable"),
    };
    let Ok(answer) = serde_json::from_slice::<Value>(&response.body) else {
        return unavailable("sanctions screening answered unreadably");
    };
    let Some(results) = answer["parties"]
        .as_array()
        .filter(|r| r.len() == roles.len())
    else {
        return unavailable("sanctions screening answered unreadably");
    };
    let mut verdict = Verdict::Clear;
    let mut reasons = Vec::new();
    let mut screened = Vec::new();
    let mut flags = Flags {
        identity_verified: true,
        ..Flags::default()
    };
    for (result, role) in results.iter().zip(&roles) {
        let outcome = result["outcome"].as_str().unwrap_or("not_screened");
        match outcome {
            "hit" => {
                verdict = Verdict::Decline;
                flags.sanctions_hit = true;
                reasons.push(format!("sanctions: the {role} matches a listed party"));
            }
            "possible_match" => {
                verdict = verdict_at_least(verdict, Verdict::Refer);
                flags.sanctions_possible_match = true;
                reasons.push(format!("sanctions: the {role} may match a listed party"));
            }
            "clear" => {}
            _ => {
                verdict = verdict_at_least(verdict, Verdict::Refer);
                flags.sanctions_possible_match = true;
                reasons.push(format!(
                    "sanctions: the {role} could not be screened (no list loaded)"
                ));
            }
        }
        let mut kept = result.clone();
        kept["party"] = json!(role);
        if let Some(object) = kept.as_object_mut() {
            object.remove("index");
        }
        screened.push(kept);
    }
    let people: Vec<&String> = roles.iter().filter(|r| r.as_str() != "business").collect();
    let identity = answer["identity"].as_array().cloned().unwrap_or_default();
    let mut verified = Vec::new();
    for (index, role) in people.iter().enumerate() {
        let result = identity
            .get(index)
            .cloned()
            .unwrap_or(json!({ "result": "unavailable" }));
        if result["result"].as_str() != Some("verified") {
            flags.identity_verified = false;
        }
        match result["result"].as_str() {
            Some("verified") => {}
            Some("failed") => {
                verdict = verdict_at_least(verdict, Verdict::Refer);
                reasons.push(format!("identity: the {role} could not be verified"));
            }
            Some("review") => {
                verdict = verdict_at_least(verdict, Verdict::Refer);
                reasons.push(format!("identity: the {role} needs review by a person"));
            }
            _ => {
                verdict = verdict_at_least(verdict, Verdict::Refer);
                reasons.push("identity verification unavailable".to_string());
            }
        }
        let mut kept = result;
        kept["party"] = json!(role);
        verified.push(kept);
    }
    let velocity = answer["velocity"].clone();
    for check in velocity["checks"].as_array().into_iter().flatten() {
        if check["exceeded"] == true {
            verdict = verdict_at_least(verdict, Verdict::Refer);
            flags.velocity_exceeded = true;
            reasons.push(format!(
                "velocity: the {} was used in {} applications within {} days",
                check["kind"]
                    .as_str()
                    .unwrap_or("identifier")
                    .replace('_', " "),
                check["applications_in_window"],
                check["window_days"]
            ));
        }
    }
    if let Some(other) = velocity["duplicate_of"].as_str() {
        verdict = verdict_at_least(verdict, Verdict::Refer);
        flags.duplicate = true;
        reasons.push(format!(
            "duplicate: application {other} for the same product and national id is open"
        ));
    }
    reasons.dedup();
    Screened {
        record: json!({
            "sanctions": { "status": "screened", "list": answer["list"], "threshold": answer["threshold"], "parties": screened },
            "identity": verified,
            "velocity": velocity,
        }),
        verdict,
        reasons,
        flags,
    }
}

fn verdict_at_least(now: Verdict, floor: Verdict) -> Verdict {
    match (now, floor) {
        (Verdict::Decline, _) | (_, Verdict::Decline) => Verdict::Decline,
        (Verdict::Refer, _) | (_, Verdict::Refer) => Verdict::Refer,
        _ => Verdict::Clear,
    }
}

/// Where the screening stage keeps its sanctions list.
pub fn sanctions_url() -> String {
    format!("{}/sanctions", base_url())
}
