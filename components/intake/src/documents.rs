//! Documents attached to an application: content stored in chunks under keys of its own,
//! metadata (type, size, SHA-256, verification) kept on the application record.
//!
//! | key | value |
//! |---|---|
//! | `document/{application}/{document}/chunk/{n:04}` | bytes `n × CHUNK_BYTES ..` of the content |
//!
//! An upload writes its chunks first, then adds its metadata to the record by one confirmed
//! compare-and-swap (the commit point): a failed upload leaves only unreferenced chunks.
//! Content never appears in logs or answers; it is read back only by its SHA-256 check.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use lendkit::Problem;
use lendkit::idempotency::{Failure, store_problem};
use lendstore::{Change, Kv};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::record::{Event, Record, Submitter, record_key};

/// Largest document, in bytes (decoded): a scanned statement of a few pages.
pub const DOCUMENT_BYTES_MAX: usize = 4 << 20;
/// Bytes per stored chunk: well under any store's value limit (the host's is 1 MiB).
pub const CHUNK_BYTES: usize = 256 << 10;
/// Most documents one application holds.
pub const DOCUMENTS_MAX: usize = 50;
/// Longest rejection reason, in characters.
pub const REASON_MAX_CHARS: usize = 500;
/// Compare-and-swap attempts when changing the record.
const UPDATE_ATTEMPTS: u32 = 16;

/// The kinds of document accepted.
pub const DOCUMENT_TYPES: &[&str] = &[
    "government_id",
    "paystub",
    "bank_statement",
    "tax_return",
    "articles_of_incorporation",
    "other",
];

/// Content types accepted (what underwriters can open).
pub const CONTENT_TYPES: &[&str] = &[
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/tiff",
    "text/plain",
];

/// Where a document is in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Review {
    /// Received, not reviewed.
    Received,
    /// An underwriter accepted it.
    Verified,
    /// An underwriter refused it (with a reason).
    Rejected,
}

/// A document's metadata, kept on the application record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Its id.
    pub id: String,
    /// Its kind (one of [`DOCUMENT_TYPES`]).
    #[serde(rename = "type")]
    pub kind: String,
    /// Its media type.
    pub content_type: String,
    /// Its size in bytes.
    pub size_bytes: u64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// Chunks stored.
    pub chunks: u32,
    /// When it was received.
    pub uploaded_at: DateTime<Utc>,
    /// Who sent it.
    pub uploaded_by: Submitter,
    /// Review state.
    pub status: Review,
    /// Why it was rejected.
    pub reason: Option<String>,
}

/// An upload, as either body form gives it.
pub struct Upload {
    /// Kind.
    pub kind: String,
    /// Media type.
    pub content_type: String,
    /// The content.
    pub content: Vec<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonUpload {
    #[serde(rename = "type")]
    kind: String,
    content_type: String,
    content_base64: String,
}

fn too_large() -> Problem {
    Problem::new(413, "payload-too-large", "Payload too large").with_detail(format!(
        "a document may be at most {} MiB",
        DOCUMENT_BYTES_MAX >> 20
    ))
}

/// Reads an upload: JSON `{"type", "content_type", "content_base64"}`, or the raw content
/// with its `Content-Type` and `?type=`. Checks every field at once; 413 past the limit.
pub fn parse_upload(
    content_type: Option<&str>,
    kind_query: Option<&str>,
    body: &[u8],
) -> Result<Upload, Problem> {
    let media = content_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let upload = if media == "application/json" {
        // Base64 is 4/3 of the content: refuse before decoding anything larger.
        if body.len() > DOCUMENT_BYTES_MAX / 3 * 4 + 1024 {
            return Err(too_large());
        }
        let parsed: JsonUpload = serde_json::from_slice(body).map_err(|_| {
            Problem::bad_request("the body is not a document upload").with_error(
                "body",
                "expected {\"type\", \"content_type\", \"content_base64\"}",
            )
        })?;
        let content = base64::engine::general_purpose::STANDARD
            .decode(parsed.content_base64.as_bytes())
            .map_err(|_| {
                Problem::validation(Vec::new()).with_error("/content_base64", "must be base64")
            })?;
        Upload {
            kind: parsed.kind,
            content_type: parsed.content_type,
            content,
        }
    } else {
        if !CONTENT_TYPES.contains(&media.as_str()) {
            return Err(
                Problem::new(415, "unsupported-media-type", "Unsupported media type").with_detail(
                    format!(
                        "send JSON, or the content as one of {}",
                        CONTENT_TYPES.join(", ")
                    ),
                ),
            );
        }
        Upload {
            kind: kind_query.unwrap_or("").to_string(),
            content_type: media,
            content: body.to_vec(),
        }
    };
    if upload.content.len() > DOCUMENT_BYTES_MAX {
        return Err(too_large());
    }
    let mut problem = Problem::validation(Vec::new());
    let mut invalid = false;
    if !DOCUMENT_TYPES.contains(&upload.kind.as_str()) {
        problem = problem.with_error(
            "type",
            format!("must be one of {}", DOCUMENT_TYPES.join(", ")),
        );
        invalid = true;
    }
    if !CONTENT_TYPES.contains(&upload.content_type.as_str()) {
        problem = problem.with_error(
            "content_type",
            format!("must be one of {}", CONTENT_TYPES.join(", ")),
        );
        invalid = true;
    }
    if upload.content.is_empty() {
        problem = problem.with_error("content", "must not be empty");
        invalid = true;
    }
    if invalid { Err(problem) } else { Ok(upload) }
}

fn chunk_key(application: &str, document: &str, n: usize) -> String {
    format!("document/{application}/{document}/chunk/{n:04}")
}

fn unreadable() -> Problem {
    Problem::internal("a stored application is unreadable")
}

/// Changes the record of `id` by `change` (which may refuse with a problem), by one
/// confirmed compare-and-swap.
pub fn change_record<K: Kv, T>(
    kv: &K,
    id: &str,
    mut change: impl FnMut(&mut Record) -> Result<T, Problem>,
) -> Result<T, Problem> {
    lendstore::update(kv, &record_key(id), UPDATE_ATTEMPTS, |current| {
        let Some(bytes) = current else {
            return Err(Failure::from(Problem::not_found("no such application")));
        };
        let mut record: Record = serde_json::from_slice(bytes).map_err(|_| unreadable())?;
        let result = change(&mut record)?;
        let bytes = serde_json::to_vec(&record).map_err(|_| unreadable())?;
        Ok(Change::Write(bytes, result))
    })
    .map_err(Problem::from)
}

/// Stores `upload` for application `id`: the chunks, then the metadata on the record.
pub fn attach<K: Kv>(
    kv: &K,
    id: &str,
    upload: Upload,
    by: Submitter,
    now: DateTime<Utc>,
) -> Result<Document, Problem> {
    let document_id = format!("doc_{}", lendkit::random_token());
    let pairs: Vec<(String, Vec<u8>)> = upload
        .content
        .chunks(CHUNK_BYTES)
        .enumerate()
        .map(|(n, chunk)| (chunk_key(id, &document_id, n), chunk.to_vec()))
        .collect();
    for pair in pairs.chunks(4) {
        kv.set_many(pair).map_err(store_problem)?;
    }
    let document = Document {
        id: document_id,
        kind: upload.kind,
        content_type: upload.content_type,
        size_bytes: upload.content.len() as u64,
        sha256: hex::encode(Sha256::digest(&upload.content)),
        chunks: pairs.len() as u32,
        uploaded_at: now,
        uploaded_by: by.clone(),
        status: Review::Received,
        reason: None,
    };
    change_record(kv, id, |record| {
        if record.documents.len() >= DOCUMENTS_MAX {
            return Err(Problem::conflict(format!(
                "an application holds at most {DOCUMENTS_MAX} documents"
            )));
        }
        record.documents.push(document.clone());
        record.history.push(Event {
            at: now,
            by: by.clone(),
            event: format!("document_received:{}", document.id),
        });
        Ok(())
    })?;
    Ok(document)
}

/// The stored content of `document` of application `id`, checked against its SHA-256.
pub fn content<K: Kv>(kv: &K, id: &str, document: &Document) -> Result<Vec<u8>, Problem> {
    let keys: Vec<String> = (0..document.chunks as usize)
        .map(|n| chunk_key(id, &document.id, n))
        .collect();
    let mut bytes = Vec::with_capacity(document.size_bytes as usize);
    for key in keys {
        bytes.extend(
            kv.get(&key)
                .map_err(store_problem)?
                .ok_or_else(unreadable)?,
        );
    }
    if hex::encode(Sha256::digest(&bytes)) != document.sha256 {
        return Err(Problem::internal(
            "a stored document does not match its hash",
        ));
    }
    Ok(bytes)
}
