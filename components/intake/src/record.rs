//! The application aggregate as stored, and how it is shown to callers.
//!
//! Keys in the store labelled `applications`:
//!
//! | key | value |
//! |---|---|
//! | `application/{id}` | the [`Record`] (JSON), created once by claim, changed by confirmed CAS |
//! | `application/{id}/claim` | its creation claim |
//! | `application/log-seq` | the counter of the submission log |
//! | `application/log/{seq:012}` | the id submitted as number `seq` (written before the record) |
//!
//! The log entry is written before the record it names, so a listing never misses an
//! application that exists; a log entry whose record was never created (its request
//! failed in between) is skipped.

use chrono::{DateTime, Utc};
use origination::{Application, Person};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Where an application is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Accepted by intake; screening has not concluded (older records only).
    Received,
    /// Screened clear, waiting for a decision.
    Screened,
    /// Screening needs a person: a possible match, or screening was unavailable.
    Referred,
    /// Declined by screening (a confident sanctions match) or by the credit policy.
    Declined,
    /// Approved by the credit policy, with offers.
    Approved,
    /// An offer was accepted (signed); the loan is being booked.
    Accepted,
    /// The accepted offer's loan is booked.
    Booked,
}

/// Every status, as queries name them.
pub const STATUS_NAMES: &[(&str, Status)] = &[
    ("received", Status::Received),
    ("screened", Status::Screened),
    ("referred", Status::Referred),
    ("declined", Status::Declined),
    ("approved", Status::Approved),
    ("accepted", Status::Accepted),
    ("booked", Status::Booked),
];

impl Status {
    /// The status named `name` in queries.
    pub fn from_name(name: &str) -> Option<Status> {
        STATUS_NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| *s)
    }
}

/// Who submitted an application: their role and API key id (never the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submitter {
    /// The role of the key.
    pub role: String,
    /// The key's id (a hash prefix).
    pub key_id: String,
}

/// One change of an application: when, by whom, what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (role and key id).
    pub by: Submitter,
    /// What happened (`received`, …).
    pub event: String,
}

/// The stored application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The application id.
    pub id: String,
    /// Its number in the submission log.
    pub log_sequence: u64,
    /// Where it is.
    pub status: Status,
    /// When it was received.
    pub created_at: DateTime<Utc>,
    /// Who submitted it.
    pub submitted_by: Submitter,
    /// What was submitted, validated.
    pub application: Application,
    /// What screening found (sanctions: list digest, per party the outcome, best score and
    /// matched entry), and why the application was referred or declined.
    #[serde(default)]
    pub screening: Value,
    /// The credit decision (`decision_id`, `outcome`, `reasons`, `offers`,
    /// `counter_offer`, `policy`); null when screening declined before any.
    #[serde(default)]
    pub decision: Value,
    /// Documents attached (metadata; content under keys of their own).
    #[serde(default)]
    pub documents: Vec<crate::documents::Document>,
    /// Every change, oldest first.
    pub history: Vec<Event>,
    /// The borrower's e-signature of an offer, once accepted.
    #[serde(default)]
    pub acceptance: Option<crate::offers::Acceptance>,
    /// The loan booked from the accepted offer.
    #[serde(default)]
    pub loan_id: Option<String>,
}

/// The key of an application's record.
pub fn record_key(id: &str) -> String {
    format!("application/{id}")
}

/// A US taxpayer number for display: `***-**-1234`.
fn mask_taxpayer_number(digits: &str) -> String {
    let last4 = digits.get(digits.len().saturating_sub(4)..).unwrap_or("");
    format!("***-**-{last4}")
}

/// A person with personal data masked: national id to its last four digits, date of
/// birth to its year.
fn masked_person(person: &Person) -> Value {
    let mut value = serde_json::to_value(person).unwrap_or(Value::Null);
    value["national_id"] = json!(mask_taxpayer_number(&person.national_id));
    value["date_of_birth"] = json!(lendkit::mask_date_of_birth(
        &person.date_of_birth.to_string()
    ));
    value
}

impl Record {
    /// The record as callers see it, personal data masked.
    pub fn masked_view(&self) -> Value {
        let mut application = serde_json::to_value(&self.application).unwrap_or(Value::Null);
        application["applicant"] = masked_person(&self.application.applicant);
        if let Some(business) = &self.application.business {
            application["business"]["ein"] =
                json!(format!("**-***{}", business.ein.get(5..).unwrap_or("")));
        }
        application["owners"] = Value::Array(
            self.application
                .owners
                .iter()
                .map(|owner| {
                    let mut value = masked_person(&owner.person);
                    value["ownership_percent"] = json!(owner.ownership_percent);
                    value
                })
                .collect(),
        );
        json!({
            "id": self.id,
            "status": self.status,
            "created_at": self.created_at,
            "submitted_by": self.submitted_by,
            "application": application,
            "screening": self.screening,
            "decision": self.decision,
            "documents": self.documents,
            "history": self.history,
            // The client's address and user agent stay in the record, for audit.
            "acceptance": self.acceptance.as_ref().map(|a| json!({
                "offer_id": a.offer_id,
                "typed_name": a.typed_name,
                "consent": a.consent,
                "accepted_at": a.accepted_at,
                "disclosure_sha256": a.disclosure_sha256,
                "disbursement_date": a.disbursement_date,
            })),
            "loan_id": self.loan_id,
        })
    }
}
