//! The storage keys of the ledger, in one place.
//!
//! ```text
//! ledger/book/{book}/head                  the book head (JSON BookHead), swapped by CAS
//! ledger/book/{book}/entry/{sequence:020}  a stored entry (JSON StoredEntry)
//! ledger/book/{book}/id/{entry_id}         the sequence of that id (decimal text)
//! ledger/registry/{shard:02}               JSON list of book ids in that shard
//! ```
//!
//! Book and entry ids never contain `/` (see [`crate::validate_book_id`]), so keys of
//! different kinds or books can never collide. Sequences are zero-padded to 20 digits so
//! keys sort in sequence order.

use sha2::{Digest, Sha256};

use crate::REGISTRY_SHARDS;

/// Key of a book's head.
pub fn head_key(book: &str) -> String {
    format!("ledger/book/{book}/head")
}

/// Key of the entry at `sequence` of a book.
///
/// ```
/// assert_eq!(ledger_core::keys::entry_key("b", 7), "ledger/book/b/entry/00000000000000000007");
/// ```
pub fn entry_key(book: &str, sequence: u64) -> String {
    format!("ledger/book/{book}/entry/{sequence:020}")
}

/// Key holding the sequence of the entry posted with `id` in a book.
pub fn id_key(book: &str, id: &str) -> String {
    format!("ledger/book/{book}/id/{id}")
}

/// The registry shard of a book: the first 8 bytes of `sha256(book)`, big-endian, modulo
/// [`REGISTRY_SHARDS`]; the same on every platform and in every version.
pub fn registry_shard(book: &str) -> u32 {
    let digest = Sha256::digest(book.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let shard = u64::from_be_bytes(first) % u64::from(REGISTRY_SHARDS);
    u32::try_from(shard).expect("shard is below REGISTRY_SHARDS")
}

/// Key of registry shard `shard`.
///
/// ```
/// assert_eq!(ledger_core::keys::registry_key(3), "ledger/registry/03");
/// ```
pub fn registry_key(shard: u32) -> String {
    assert!(shard < REGISTRY_SHARDS);
    format!("ledger/registry/{shard:02}")
}

/// Encodes the sequence kept under an id key.
pub fn encode_sequence(sequence: u64) -> Vec<u8> {
    sequence.to_string().into_bytes()
}

/// Decodes the sequence kept under an id key; `None` when it is not a positive decimal.
pub fn decode_sequence(bytes: &[u8]) -> Option<u64> {
    let text = core::str::from_utf8(bytes).ok()?;
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|&sequence| sequence >= 1)
}

/// Decodes a registry shard (a JSON list of book ids); `None` when unreadable.
pub fn decode_registry(bytes: &[u8]) -> Option<Vec<String>> {
    serde_json::from_slice(bytes).ok()
}

/// Encodes a registry shard; books are kept sorted so the bytes are deterministic.
pub fn encode_registry(books: &[String]) -> Vec<u8> {
    debug_assert!(books.windows(2).all(|w| w[0] < w[1]));
    serde_json::to_vec(books).expect("a list of strings always serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_stable_and_spread() {
        let mut seen = vec![0u32; REGISTRY_SHARDS as usize];
        for n in 0..409_600 {
            seen[registry_shard(&format!("loan-{n:06}")) as usize] += 1;
        }
        // About a hundred each.
        assert!(
            seen.iter().all(|&count| (50..200).contains(&count)),
            "{seen:?}"
        );
        assert_eq!(registry_shard("loan-0042"), registry_shard("loan-0042"));
    }

    #[test]
    fn sequences() {
        assert_eq!(decode_sequence(&encode_sequence(42)), Some(42));
        for bad in [&b""[..], b"0", b"-1", b"1a", b" 1", b"\xff"] {
            assert_eq!(decode_sequence(bad), None);
        }
    }
}
