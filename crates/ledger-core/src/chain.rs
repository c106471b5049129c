//! The SHA-256 hash chain and the stored form of an entry.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::entry::{JournalEntry, ValidEntry, validate_entry};
use crate::error::LedgerError;

/// The `previous_hash` of a book's first entry: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Length of a hash in lower-case hex characters.
const HASH_HEX_CHARS: usize = 64;

/// `sha256(previous_hash_hex || canonical_entry)` as lower-case hex.
///
/// The previous hash enters as its 64 ASCII hex characters, so the chain can be re-computed
/// from the stored text alone.
///
/// ```
/// let hash = ledger_core::chain_hash(ledger_core::GENESIS_HASH, b"entry");
/// assert_eq!(hash.len(), 64);
/// assert_ne!(hash, ledger_core::chain_hash(&hash, b"entry"));
/// ```
pub fn chain_hash(previous_hash_hex: &str, canonical_entry: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(previous_hash_hex.as_bytes());
    hasher.update(canonical_entry);
    lower_hex(&hasher.finalize())
}

fn lower_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// True for exactly 64 lower-case hex characters.
pub(crate) fn is_hash_hex(text: &str) -> bool {
    text.len() == HASH_HEX_CHARS
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// An entry as stored in a book's chain (`ledger/book/{book}/entry/{sequence}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredEntry {
    /// 1-based position in the book.
    pub sequence: u64,
    /// The entry, normalised (amounts at exactly the currency's scale).
    pub entry: JournalEntry,
    /// Hash of the previous entry; [`GENESIS_HASH`] for the first.
    pub previous_hash: String,
    /// [`chain_hash`] of `previous_hash` and the entry's canonical form.
    pub hash: String,
    /// The random token of the request that committed this entry (not covered by the
    /// hash): a writer whose swap outcome the store left ambiguous finds its own commit by
    /// it, and tells it from an identical entry another request committed (a replay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

impl StoredEntry {
    /// Builds the stored form of `entry` at `sequence`, chained to `previous_hash`, as
    /// committed by the request holding `commit`.
    pub fn seal(
        sequence: u64,
        entry: &ValidEntry,
        previous_hash: &str,
        commit: Option<&str>,
    ) -> StoredEntry {
        assert!(sequence >= 1, "sequences start at 1");
        assert!(is_hash_hex(previous_hash), "previous hash is 64 hex digits");
        StoredEntry {
            sequence,
            entry: entry.to_journal_entry(),
            previous_hash: previous_hash.to_string(),
            hash: chain_hash(previous_hash, &entry.canonical_bytes()),
            commit: commit.map(str::to_string),
        }
    }

    /// Re-checks a stored entry expected at `sequence` after `previous_hash`: position,
    /// link, validity, normal form and hash. Returns the validated entry, or what is wrong.
    pub fn check(&self, sequence: u64, previous_hash: &str) -> Result<ValidEntry, String> {
        if self.sequence != sequence {
            return Err(format!(
                "entry stored at sequence {sequence} says it is sequence {}",
                self.sequence
            ));
        }
        if self.previous_hash != previous_hash {
            return Err(format!(
                "entry {sequence} does not link to the hash of entry {}",
                sequence - 1
            ));
        }
        let valid = match validate_entry(&self.entry) {
            Ok(valid) => valid,
            Err(error) => return Err(format!("entry {sequence} is no longer valid: {error}")),
        };
        if valid.to_journal_entry() != self.entry {
            return Err(format!("entry {sequence} is not in normal form"));
        }
        if chain_hash(previous_hash, &valid.canonical_bytes()) != self.hash {
            return Err(format!("entry {sequence} does not match its hash"));
        }
        Ok(valid)
    }

    /// The bytes kept in the store (compact JSON; the hash covers the canonical form, not
    /// these bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a stored entry always serialises")
    }
}

/// Decodes stored bytes into a [`StoredEntry`], or says why they cannot be read.
pub fn decode_stored_entry(bytes: &[u8]) -> Result<StoredEntry, LedgerError> {
    serde_json::from_slice(bytes)
        .map_err(|error| LedgerError::Storage(format!("unreadable stored entry: {error}")))
}
