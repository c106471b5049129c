//! The storage protocol, generic over the key-value store so it runs natively in tests.
//!
//! The guest runs it over `wasi:keyvalue` (`lendstore::wasi::WasiKv`); the tests below run it over
//! `lendstore`'s simulator, with the `lendwork` host's semantics and with Spin 4's SQLite
//! and Redis semantics, losing writes and interleaving rival writers on demand. Every
//! change goes through `lendstore`: a book head and a registry shard are created by a
//! claim (never by a swap from absence) and changed by swaps confirmed by reading back.

use ledger_core::keys;
use ledger_core::{
    Balance, BookHead, FieldError, LedgerError, PAGE_LIMIT_MAX, REGISTRY_SHARDS, StoredEntry,
    Totals, TrialBalance, TrialBalanceFolder, ValidEntry, Verification, Verifier,
    decode_stored_entry, parse_date, validate_book_id, validate_entry, validate_entry_id,
};
use lendstore::{Change, Kv, get_many};

/// Most compare-and-swap attempts for one post (or one registry update) before giving up
/// with `conflict`. Each lost race means another entry of the same book was committed, so
/// 64 losses in a row means a pathological hot book; the caller may retry.
pub const MAX_CAS_ATTEMPTS: u32 = 64;

/// Entries read per `get-many` when walking a book (verify, balances as of a date): large
/// enough to amortise a round trip, small enough (~100 KB) for a guest's memory.
const ENTRY_READ_CHUNK: u64 = 100;

/// Heads read per `get-many` in the trial balance; a head is a few KB at most.
const HEAD_READ_CHUNK: usize = 100;

/// A receipt: the stored entry and whether this call replayed it.
#[derive(Debug)]
pub struct Posted {
    /// The entry as stored.
    pub stored: StoredEntry,
    /// True when the same id and content was posted before.
    pub replayed: bool,
}

fn invalid(error: FieldError) -> LedgerError {
    LedgerError::invalid(&[error])
}

/// `post`: validate, then the CAS loop on the book head, committed under the request's
/// random `commit` token.
///
/// One durable write per post in steady state, the swap; every
/// [`ledger_core::MAX_PENDING_ENTRIES`] posts one more, the batch that writes the full
/// pending list under its entries' own keys before the swap that empties it. The first
/// post of a book also claims its creation (an atomic increment) and registers it.
pub fn post<K: Kv>(
    kv: &K,
    book: &str,
    entry: &ledger_core::JournalEntry,
    commit: &str,
) -> Result<Posted, LedgerError> {
    // Everything is validated before the store is touched: a refusal writes nothing.
    validate_book_id(book).map_err(invalid)?;
    let valid = validate_entry(entry)?;
    lendstore::update(kv, &keys::head_key(book), MAX_CAS_ATTEMPTS, |current| {
        let head = match read_current(kv, book, current, &valid, commit)? {
            Current::Posted(posted) => return Ok(Change::Keep(posted)),
            Current::Head(head) => head,
        };
        if head.as_ref().is_some_and(|h| h.state.is_some()) {
            return Err(invalid(FieldError {
                field: "book".to_string(),
                message: format!(
                    "book {book} keeps a servicing state: its entries are committed with it (book-state.commit)"
                ),
            }));
        }
        let base = head.unwrap_or_else(|| BookHead::genesis(book));
        append(kv, book, &base, &valid, commit, None)
    })
}

/// Why a [`commit`] was refused; nothing is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitError {
    /// The book's newest entry is at this sequence, not the one expected.
    Stale(u64),
    /// The ledger refused the entry or the state.
    Refused(LedgerError),
}

impl From<LedgerError> for CommitError {
    fn from(error: LedgerError) -> Self {
        CommitError::Refused(error)
    }
}

impl From<lendstore::StoreError> for CommitError {
    fn from(error: lendstore::StoreError) -> Self {
        CommitError::Refused(error.into())
    }
}

/// A book's head as `book-state.read` answers it: the sequence, the state, the balances.
pub fn read_state<K: Kv>(
    kv: &K,
    book: &str,
) -> Result<(u64, Option<String>, Vec<Balance>), LedgerError> {
    validate_book_id(book).map_err(invalid)?;
    match kv.get(&keys::head_key(book))? {
        Some(bytes) => {
            let head = decode_and_remember(book, &bytes)?;
            let balances = head.balances()?;
            Ok((head.sequence, head.state, balances))
        }
        None => Ok((0, None, Vec::new())),
    }
}

/// `book-state.commit`: [`post`]'s protocol, with the new head also carrying `state`, and
/// refused as [`CommitError::Stale`] unless the head is still at `expected` — the caller
/// computed the entry and the state from that version. A replay of the same entry is
/// answered whatever the head's sequence, and leaves the state as it is.
pub fn commit<K: Kv>(
    kv: &K,
    book: &str,
    expected: u64,
    entry: &ledger_core::JournalEntry,
    state: &str,
    commit: &str,
) -> Result<Posted, CommitError> {
    validate_book_id(book).map_err(invalid)?;
    let valid = validate_entry(entry)?;
    if state.len() > ledger_core::BOOK_STATE_MAX_BYTES {
        return Err(invalid(FieldError {
            field: "state".to_string(),
            message: format!(
                "a book's state may be at most {} bytes",
                ledger_core::BOOK_STATE_MAX_BYTES
            ),
        })
        .into());
    }
    lendstore::update(kv, &keys::head_key(book), MAX_CAS_ATTEMPTS, |current| {
        let head = match read_current(kv, book, current, &valid, commit)? {
            Current::Posted(posted) => return Ok(Change::Keep(posted)),
            Current::Head(head) => head,
        };
        let base = head.unwrap_or_else(|| BookHead::genesis(book));
        if base.sequence != expected {
            return Err(CommitError::Stale(base.sequence));
        }
        Ok(append(kv, book, &base, &valid, commit, Some(state))?)
    })
}

/// The write that appends `valid` to `base` under `commit` (and, given, replaces the
/// book's state): the full pending list materialised first, a new book registered.
fn append<K: Kv>(
    kv: &K,
    book: &str,
    base: &BookHead,
    valid: &ValidEntry,
    commit: &str,
    state: Option<&str>,
) -> Result<Change<Posted>, LedgerError> {
    // The next head drops a full pending list: write its entries first, against the head
    // version just read, which the swap compares with. If the swap is lost, the bytes
    // written are committed entries' own bytes anyway.
    materialise(kv, book, base.to_materialise())?;
    let (mut next, stored) = base.apply(valid, Some(commit))?;
    // The invariant: the only entries the new head stops carrying are the ones just
    // materialised.
    debug_assert!(
        next.pending.len() == base.pending.len() + 1
            || base.to_materialise() == base.pending.as_slice(),
        "the pending list only shrinks after it was materialised"
    );
    if let Some(state) = state {
        next.state = Some(state.to_string());
    }
    if base.sequence == 0 {
        register(kv, book)?;
    }
    Ok(Change::Write(
        next.to_bytes(),
        Posted {
            stored,
            replayed: false,
        },
    ))
}

/// What a post or commit finds in the head it read.
enum Current {
    /// The entry was posted before: its receipt.
    Posted(Posted),
    /// The head (none for a new book), to post on.
    Head(Option<BookHead>),
}

/// Decodes the head read (`current`) and checks whether `valid` is already in it.
fn read_current<K: Kv>(
    kv: &K,
    book: &str,
    current: Option<&[u8]>,
    valid: &ValidEntry,
    commit: &str,
) -> Result<Current, LedgerError> {
    let head = match current {
        Some(bytes) => Some(decode_head(book, bytes)?),
        None => None,
    };
    if let Some(head) = &head
        && let Some(stored) = replay(kv, head, valid)?
    {
        // Our own commit, found after a swap whose outcome the store left unsaid, is the
        // original post, not a replay.
        let replayed = stored.commit.as_deref() != Some(commit);
        return Ok(Current::Posted(Posted { stored, replayed }));
    }
    Ok(Current::Head(head))
}

/// `get-entry`.
pub fn get_entry<K: Kv>(kv: &K, book: &str, id: &str) -> Result<StoredEntry, LedgerError> {
    validate_book_id(book).map_err(invalid)?;
    validate_entry_id(id).map_err(invalid)?;
    let head = load_head(kv, book)?;
    find_by_id(kv, &head, id)?
        .ok_or_else(|| LedgerError::NotFound(format!("no entry {id} in book {book}")))
}

/// `balances`: from the head, or folded from the entries as of a date.
pub fn balances<K: Kv>(
    kv: &K,
    book: &str,
    as_of: Option<&str>,
) -> Result<Vec<Balance>, LedgerError> {
    validate_book_id(book).map_err(invalid)?;
    let as_of = match as_of {
        Some(text) => Some(parse_date(text).map_err(|m| invalid(FieldError::new("as_of", m)))?),
        None => None,
    };
    let head = load_head(kv, book)?;
    let Some(as_of) = as_of else {
        return head.balances();
    };
    let mut totals = Totals::new();
    let mut failure = None;
    walk(kv, &head, 1, head.sequence, |sequence, stored| {
        let folded = stored.and_then(|stored| {
            let valid = validate_entry(&stored.entry)
                .map_err(|e| format!("entry {sequence} is unreadable: {e}"))?;
            if valid.effective_date() <= as_of {
                totals.add_entry(&valid)?;
            }
            Ok(())
        });
        failure = folded.err();
        failure.is_none()
    })?;
    if let Some(problem) = failure {
        return Err(LedgerError::Storage(format!("book {book}: {problem}")));
    }
    assert!(totals.is_balanced(), "balances of valid entries balance");
    Ok(totals.balances())
}

/// `entries`: one page after the cursor.
pub fn entries<K: Kv>(
    kv: &K,
    book: &str,
    after: Option<u64>,
    limit: u32,
) -> Result<(Vec<StoredEntry>, Option<u64>), LedgerError> {
    validate_book_id(book).map_err(invalid)?;
    if !(1..=PAGE_LIMIT_MAX).contains(&limit) {
        return Err(invalid(FieldError::new(
            "limit",
            format!("must be between 1 and {PAGE_LIMIT_MAX}"),
        )));
    }
    let head = load_head(kv, book)?;
    let after = after.unwrap_or(0);
    if after >= head.sequence {
        return Ok((Vec::new(), None));
    }
    let last = head.sequence.min(after.saturating_add(u64::from(limit)));
    let mut page = Vec::new();
    let mut failure = None;
    walk(kv, &head, after + 1, last, |sequence, stored| {
        match stored {
            Ok(stored) => page.push(stored),
            Err(problem) => failure = Some(format!("entry {sequence}: {problem}")),
        }
        failure.is_none()
    })?;
    if let Some(problem) = failure {
        return Err(LedgerError::Storage(format!("book {book}: {problem}")));
    }
    let next_after = (last < head.sequence).then_some(last);
    Ok((page, next_after))
}

/// `verify`: re-hash and re-balance every entry, compare with the head.
pub fn verify<K: Kv>(kv: &K, book: &str) -> Result<Verification, LedgerError> {
    validate_book_id(book).map_err(invalid)?;
    let head = load_head(kv, book)?;
    // Read-only: entries under their own keys are checked as stored; the head's pending
    // entries (not yet written under their keys) are checked from the head, whose decode
    // already re-hashed and linked them.
    let mut verifier = Verifier::new(book);
    walk(kv, &head, 1, head.sequence, |sequence, stored| {
        verifier.push(sequence, stored);
        !verifier.is_broken()
    })?;
    Ok(verifier.finish(&head))
}

/// `trial-balance`: every registered book's head, summed.
pub fn trial_balance<K: Kv>(kv: &K) -> Result<TrialBalance, LedgerError> {
    let shard_keys: Vec<String> = (0..REGISTRY_SHARDS).map(keys::registry_key).collect();
    let mut books = Vec::new();
    for (key, value) in shard_keys.iter().zip(get_many(kv, &shard_keys)?) {
        if let Some(bytes) = value {
            let shard = keys::decode_registry(&bytes)
                .ok_or_else(|| LedgerError::Storage(format!("unreadable registry {key}")))?;
            books.extend(shard);
        }
    }
    books.sort();
    books.dedup();
    let mut folder = TrialBalanceFolder::new();
    for chunk in books.chunks(HEAD_READ_CHUNK) {
        let head_keys: Vec<String> = chunk.iter().map(|book| keys::head_key(book)).collect();
        for (book, value) in chunk.iter().zip(get_many(kv, &head_keys)?) {
            // A registered book whose first post never committed has no head.
            if let Some(bytes) = value {
                folder.add_head(&BookHead::decode(book, &bytes)?)?;
            }
        }
    }
    folder.finish()
}

// ------------------------------------------------------------------ steps

std::thread_local! {
    /// The head `book-state.read` decoded last in this instance, with its bytes.
    static LAST_READ: std::cell::RefCell<Option<(Vec<u8>, BookHead)>> =
        const { std::cell::RefCell::new(None) };
}

/// [`BookHead::decode`] for `book-state.read`, remembered for the commit that follows it
/// in the same instance (see [`decode_head`]).
fn decode_and_remember(book: &str, bytes: &[u8]) -> Result<BookHead, LedgerError> {
    let head = BookHead::decode(book, bytes)?;
    LAST_READ.set(Some((bytes.to_vec(), head.clone())));
    Ok(head)
}

/// [`BookHead::decode`], served from the head `book-state.read` remembered when the bytes
/// are the same: a servicing change reads the book and then commits against the head it
/// finds, usually the very bytes read, which are then decoded (and their pending entries
/// re-hashed) once, not twice. Decoding is a pure function of the book and the bytes,
/// which are compared in full, so a hit is always the head a decode would give.
fn decode_head(book: &str, bytes: &[u8]) -> Result<BookHead, LedgerError> {
    let hit = LAST_READ.with_borrow(|last| match last {
        Some((seen, head)) if head.book == book && seen.as_slice() == bytes => Some(head.clone()),
        _ => None,
    });
    match hit {
        Some(head) => Ok(head),
        None => BookHead::decode(book, bytes),
    }
}

/// The head of `book`, or `not-found` when the book has no entries.
fn load_head<K: Kv>(kv: &K, book: &str) -> Result<BookHead, LedgerError> {
    match kv.get(&keys::head_key(book))? {
        Some(bytes) => BookHead::decode(book, &bytes),
        None => Err(LedgerError::NotFound(format!("book {book} has no entries"))),
    }
}

/// Writes the entry and id keys of every entry of `pending` that are not there yet, in one
/// `set-many` (idempotent: the same bytes whoever writes them). Keys already written are
/// left as they are, so a changed stored entry stays for `verify` to find.
fn materialise<K: Kv>(kv: &K, book: &str, pending: &[StoredEntry]) -> Result<(), LedgerError> {
    if pending.is_empty() {
        return Ok(());
    }
    let wanted: Vec<String> = pending
        .iter()
        .flat_map(|stored| {
            [
                keys::entry_key(book, stored.sequence),
                keys::id_key(book, &stored.entry.id),
            ]
        })
        .collect();
    let present = get_many(kv, &wanted)?;
    let missing: Vec<(String, Vec<u8>)> = pending
        .iter()
        .flat_map(|stored| {
            [
                (keys::entry_key(book, stored.sequence), stored.to_bytes()),
                (
                    keys::id_key(book, &stored.entry.id),
                    keys::encode_sequence(stored.sequence),
                ),
            ]
        })
        .zip(present)
        .filter(|(_, value)| value.is_none())
        .map(|(pair, _)| pair)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Ok(kv.set_many(&missing)?)
}

/// The original entry when `valid` was already posted with the same content;
/// `duplicate-id` when its id was used for something else; `None` when the id is new.
fn replay<K: Kv>(
    kv: &K,
    head: &BookHead,
    valid: &ValidEntry,
) -> Result<Option<StoredEntry>, LedgerError> {
    let Some(existing) = find_by_id(kv, head, valid.id())? else {
        return Ok(None);
    };
    if existing.entry != valid.to_journal_entry() {
        return Err(LedgerError::DuplicateId(format!(
            "entry {} was already posted to book {} (sequence {}) with different content",
            valid.id(),
            head.book,
            existing.sequence
        )));
    }
    Ok(Some(existing))
}

/// The entry posted with `id`, looking at the head's pending entries first.
fn find_by_id<K: Kv>(
    kv: &K,
    head: &BookHead,
    id: &str,
) -> Result<Option<StoredEntry>, LedgerError> {
    if let Some(pending) = head.pending_with_id(id) {
        return Ok(Some(pending.clone()));
    }
    let Some(bytes) = kv.get(&keys::id_key(&head.book, id))? else {
        return Ok(None);
    };
    let sequence = keys::decode_sequence(&bytes).ok_or_else(|| {
        LedgerError::Storage(format!("unreadable id key {id} in book {}", head.book))
    })?;
    let stored = read_entry(kv, head, sequence)?;
    if stored.entry.id != id || stored.sequence != sequence {
        return Err(LedgerError::Storage(format!(
            "id key {id} of book {} points at another entry",
            head.book
        )));
    }
    Ok(Some(stored))
}

/// Reads one entry. A missing key is only legitimate for a committed entry not yet
/// materialised, which is then a pending entry of this head or of a newer one.
fn read_entry<K: Kv>(kv: &K, head: &BookHead, sequence: u64) -> Result<StoredEntry, LedgerError> {
    if let Some(bytes) = kv.get(&keys::entry_key(&head.book, sequence))? {
        return decode_stored_entry(&bytes);
    }
    pending_at(kv, head, sequence)?.ok_or_else(|| {
        LedgerError::Storage(format!("entry {sequence} of book {} is missing", head.book))
    })
}

/// The pending entry at `sequence` of `head`, or of the book's current head when another
/// writer moved it on since `head` was read.
fn pending_at<K: Kv>(
    kv: &K,
    head: &BookHead,
    sequence: u64,
) -> Result<Option<StoredEntry>, LedgerError> {
    if let Some(pending) = head.pending_at(sequence) {
        return Ok(Some(pending.clone()));
    }
    let fresh = load_head(kv, &head.book)?;
    Ok(fresh.pending_at(sequence).cloned())
}

/// Feeds entries `first..=last` (within the head) to `visit` in order, reading them in
/// chunks of [`ENTRY_READ_CHUNK`], `Err` for one that is missing or cannot be decoded,
/// until `visit` returns false. Fails only when the store itself fails.
fn walk<K: Kv>(
    kv: &K,
    head: &BookHead,
    first: u64,
    last: u64,
    mut visit: impl FnMut(u64, Result<StoredEntry, String>) -> bool,
) -> Result<(), LedgerError> {
    assert!(last <= head.sequence);
    let mut start = first;
    while start <= last {
        let end = last.min(start + ENTRY_READ_CHUNK - 1);
        let wanted: Vec<String> = (start..=end)
            .map(|sequence| keys::entry_key(&head.book, sequence))
            .collect();
        let values = get_many(kv, &wanted)?;
        for (sequence, value) in (start..=end).zip(values) {
            let stored = match value {
                Some(bytes) => decode_stored_entry(&bytes).map_err(|e| e.to_string()),
                None => match pending_at(kv, head, sequence)? {
                    Some(pending) => Ok(pending),
                    None => Err(format!("entry {sequence} is missing")),
                },
            };
            if !visit(sequence, stored) {
                return Ok(());
            }
        }
        start = end + 1;
    }
    Ok(())
}

/// Adds `book` to its registry shard unless it is there. Lists only grow, so two writers
/// adding the same book write the same bytes, and either finding it is done.
fn register<K: Kv>(kv: &K, book: &str) -> Result<(), LedgerError> {
    let key = keys::registry_key(keys::registry_shard(book));
    lendstore::update(kv, &key, MAX_CAS_ATTEMPTS, |current| {
        let mut books = match current {
            Some(bytes) => keys::decode_registry(bytes)
                .ok_or_else(|| LedgerError::Storage(format!("unreadable registry {key}")))?,
            None => Vec::new(),
        };
        books.sort();
        books.dedup();
        match books.binary_search_by(|known| known.as_str().cmp(book)) {
            Ok(_) => Ok(Change::Keep(())),
            Err(at) => {
                books.insert(at, book.to_string());
                Ok(Change::Write(keys::encode_registry(&books), ()))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger_core::{JournalEntry, MAX_PENDING_ENTRIES, PostingLine, Side};
    use lendstore::sim::{Semantics, SimKv, Step};
    use std::cell::Cell;

    const RUNTIMES: [Semantics; 3] = [
        Semantics::Strict,
        Semantics::SpinSqlite,
        Semantics::SpinRedis,
    ];

    thread_local! {
        static COMMITS: Cell<u64> = const { Cell::new(0) };
    }

    /// A post with a fresh commit token, as every request of the component has.
    fn post(kv: &SimKv, book: &str, entry: &JournalEntry) -> Result<Posted, LedgerError> {
        let commit = COMMITS.with(|n| {
            n.set(n.get() + 1);
            format!("commit-{}", n.get())
        });
        super::post(kv, book, entry, &commit)
    }

    /// A store with the `lendwork` host's semantics.
    fn strict() -> SimKv {
        SimKv::new(Semantics::Strict)
    }

    fn entry(id: &str, date: &str, amount: &str) -> JournalEntry {
        JournalEntry {
            id: id.into(),
            effective_date: date.into(),
            description: "test".into(),
            lines: vec![
                PostingLine::new("loan-principal", Side::Debit, amount, "USD"),
                PostingLine::new("cash", Side::Credit, amount, "USD"),
            ],
        }
    }

    fn net(balances: &[Balance], account: &str) -> String {
        balances
            .iter()
            .find(|b| b.account == account)
            .map(|b| b.net.clone())
            .unwrap_or_default()
    }

    #[test]
    fn post_read_verify_and_trial_balance() {
        let kv = strict();
        let first = post(&kv, "loan-1", &entry("a", "2026-01-10", "100")).unwrap();
        assert_eq!((first.stored.sequence, first.replayed), (1, false));
        let second = post(&kv, "loan-1", &entry("b", "2026-01-05", "0.5")).unwrap();
        assert_eq!(second.stored.previous_hash, first.stored.hash);
        post(&kv, "loan-2", &entry("a", "2026-01-01", "7")).unwrap();

        assert_eq!(get_entry(&kv, "loan-1", "b").unwrap(), second.stored);
        let balances = balances(&kv, "loan-1", None).unwrap();
        assert_eq!(net(&balances, "loan-principal"), "100.50");
        assert_eq!(net(&balances, "cash"), "-100.50");
        // Backdated entry b counts as of 2026-01-05, a does not.
        let early = super::balances(&kv, "loan-1", Some("2026-01-05")).unwrap();
        assert_eq!(net(&early, "loan-principal"), "0.50");

        assert!(verify(&kv, "loan-1").unwrap().intact);
        let trial = trial_balance(&kv).unwrap();
        assert_eq!((trial.books, trial.entries, trial.balanced), (2, 3, true));
        assert_eq!(trial.currencies[0].debits, "107.50");

        assert!(matches!(
            get_entry(&kv, "loan-1", "zzz"),
            Err(LedgerError::NotFound(_))
        ));
        assert!(matches!(
            verify(&kv, "loan-9"),
            Err(LedgerError::NotFound(_))
        ));
    }

    #[test]
    fn replays_and_duplicate_ids() {
        let kv = strict();
        let original = post(&kv, "b", &entry("a", "2026-01-01", "125.4")).unwrap();
        post(&kv, "b", &entry("b", "2026-01-01", "1")).unwrap();
        post(&kv, "b", &entry("c", "2026-01-01", "1")).unwrap();
        // Same content, written differently: a replay of the original receipt.
        let again = post(&kv, "b", &entry("a", "2026-01-01", "125.40")).unwrap();
        assert!(again.replayed);
        assert_eq!(again.stored, original.stored);
        // The pending (newest) entry replays too.
        assert!(
            post(&kv, "b", &entry("c", "2026-01-01", "1"))
                .unwrap()
                .replayed
        );
        for id in ["a", "c"] {
            assert!(matches!(
                post(&kv, "b", &entry(id, "2026-01-01", "2")),
                Err(LedgerError::DuplicateId(_))
            ));
        }
        assert_eq!(load_head(&kv, "b").unwrap().sequence, 3);
    }

    #[test]
    fn refusals_write_nothing() {
        let kv = strict();
        let mut unbalanced = entry("a", "2026-01-01", "1");
        unbalanced.lines[1].amount = "2".into();
        assert!(matches!(
            post(&kv, "b", &unbalanced),
            Err(LedgerError::Unbalanced(_))
        ));
        assert!(matches!(
            post(&kv, "b/x", &entry("a", "2026-01-01", "1")),
            Err(LedgerError::Invalid(_))
        ));
        assert!(matches!(
            post(&kv, "b", &entry("a", "2026-13-01", "1")),
            Err(LedgerError::Invalid(_))
        ));
        assert_eq!(kv.len(), 0);
    }

    /// Posts `e1..=en` (dated 2026-01-{n}, amount n) to book `b`.
    fn post_n(kv: &SimKv, n: u64) -> Vec<StoredEntry> {
        (1..=n)
            .map(|i| {
                let day = format!("2026-01-{:02}", (i - 1) % 28 + 1);
                post(kv, "b", &entry(&format!("e{i}"), &day, &i.to_string()))
                    .unwrap()
                    .stored
            })
            .collect()
    }

    /// The protocol's invariant: every entry up to `sequence - pending.len()` is written
    /// under its own keys, with the bytes of the entry committed at that sequence.
    fn assert_invariant(kv: &SimKv, book: &str) {
        let head = load_head(kv, book).unwrap();
        assert!(head.pending.len() <= MAX_PENDING_ENTRIES);
        let materialised = head.sequence - head.pending.len() as u64;
        for sequence in 1..=materialised {
            let bytes = kv
                .raw(&keys::entry_key(book, sequence))
                .unwrap_or_else(|| panic!("entry {sequence} is not materialised"));
            let stored = decode_stored_entry(&bytes).unwrap();
            assert_eq!(stored.sequence, sequence);
            let id = kv.raw(&keys::id_key(book, &stored.entry.id)).unwrap();
            assert_eq!(keys::decode_sequence(&id), Some(sequence));
        }
    }

    fn entry_keys_written(kv: &SimKv, book: &str, last: u64) -> Vec<u64> {
        (1..=last)
            .filter(|&sequence| kv.raw(&keys::entry_key(book, sequence)).is_some())
            .collect()
    }

    #[test]
    fn a_full_ring_is_materialised_in_one_batch_and_steady_state_writes_only_the_head() {
        let kv = strict();
        let stored = post_n(&kv, MAX_PENDING_ENTRIES as u64);
        // Eight posts: the head and the registry (with their creation claims) only, no
        // set-many at all.
        assert!(kv.batches.borrow().is_empty());
        assert_eq!(kv.len(), 4);
        let head = load_head(&kv, "b").unwrap();
        assert_eq!(head.pending, stored);
        assert_eq!(head.to_materialise(), &stored[..]);
        assert_invariant(&kv, "b");

        // The ninth writes all eight (entry and id keys) in one batch, then empties the list.
        post_n_from(&kv, 9, 9);
        assert_eq!(*kv.batches.borrow(), vec![2 * MAX_PENDING_ENTRIES]);
        let head = load_head(&kv, "b").unwrap();
        assert_eq!(head.pending.len(), 1);
        assert_eq!(head.pending[0].sequence, 9);
        assert_eq!(entry_keys_written(&kv, "b", 9), (1..=8).collect::<Vec<_>>());
        assert_invariant(&kv, "b");

        // One batch per eight posts from then on.
        post_n_from(&kv, 10, 25);
        assert_eq!(kv.batches.borrow().len(), 3);
        assert_eq!(load_head(&kv, "b").unwrap().pending.len(), 1);
        assert_invariant(&kv, "b");
        assert!(verify(&kv, "b").unwrap().intact);
    }

    /// Posts `e{from}..=e{to}` to book `b`, as [`post_n`] numbers them.
    fn post_n_from(kv: &SimKv, from: u64, to: u64) {
        for i in from..=to {
            let day = format!("2026-01-{:02}", (i - 1) % 28 + 1);
            let posted = post(kv, "b", &entry(&format!("e{i}"), &day, &i.to_string())).unwrap();
            assert_eq!((posted.stored.sequence, posted.replayed), (i, false));
        }
    }

    #[test]
    fn replays_from_deep_in_the_ring_and_from_the_id_index() {
        let kv = strict();
        let stored = post_n(&kv, 8);
        let keys_before = kv.len();
        // The oldest pending entry, the deepest in the ring: replayed, nothing written.
        for (i, original) in stored.iter().enumerate() {
            let n = i as u64 + 1;
            let day = format!("2026-01-{n:02}");
            let again = post(&kv, "b", &entry(&format!("e{n}"), &day, &format!("{n}.00")));
            let again = again.unwrap();
            assert!(again.replayed);
            assert_eq!(&again.stored, original);
        }
        assert_eq!(kv.len(), keys_before);
        assert!(kv.batches.borrow().is_empty());
        assert_eq!(load_head(&kv, "b").unwrap().sequence, 8);

        // After the batch, the same entries replay from the id index.
        post_n_from(&kv, 9, 9);
        let again = post(&kv, "b", &entry("e3", "2026-01-03", "3")).unwrap();
        assert!(again.replayed);
        assert_eq!(again.stored, stored[2]);
        assert_eq!(load_head(&kv, "b").unwrap().sequence, 9);
    }

    #[test]
    fn a_duplicate_id_inside_the_ring_is_refused_and_moves_nothing() {
        let kv = strict();
        post_n(&kv, 6);
        let head = kv.raw(&keys::head_key("b"));
        for id in ["e1", "e3", "e6"] {
            assert!(matches!(
                post(&kv, "b", &entry(id, "2026-01-01", "99")),
                Err(LedgerError::DuplicateId(_))
            ));
        }
        assert_eq!(kv.raw(&keys::head_key("b")), head);
        // And once materialised, through the id index.
        post_n_from(&kv, 7, 9);
        assert!(matches!(
            post(&kv, "b", &entry("e2", "2026-01-02", "99")),
            Err(LedgerError::DuplicateId(_))
        ));
        assert_eq!(load_head(&kv, "b").unwrap().sequence, 9);
    }

    #[test]
    fn readers_overlay_several_pending_entries() {
        let kv = strict();
        post_n(&kv, 3);
        post_n_from(&kv, 4, 13);
        // Entries 1..=8 are stored, 9..=13 only in the head.
        assert_eq!(load_head(&kv, "b").unwrap().pending.len(), 5);
        assert_eq!(
            entry_keys_written(&kv, "b", 13),
            (1..=8).collect::<Vec<_>>()
        );
        for n in 1..=13u64 {
            let found = get_entry(&kv, "b", &format!("e{n}")).unwrap();
            assert_eq!(found.sequence, n);
        }
        // Pages across the boundary between stored and pending entries.
        let mut after = None;
        let mut seen = Vec::new();
        loop {
            let (page, next) = entries(&kv, "b", after, 3).unwrap();
            seen.extend(page.iter().map(|s| s.sequence));
            match next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        assert_eq!(seen, (1..=13).collect::<Vec<_>>());
        // As of 2026-01-10: entries 1..=10 (amounts 1..=10), two of them pending.
        let early = balances(&kv, "b", Some("2026-01-10")).unwrap();
        assert_eq!(net(&early, "loan-principal"), "55.00");
        let all = balances(&kv, "b", None).unwrap();
        assert_eq!(net(&all, "loan-principal"), "91.00");
        let trial = trial_balance(&kv).unwrap();
        assert_eq!((trial.books, trial.entries), (1, 13));
        // Verify only reads: the pending entries are checked from the head.
        let verification = verify(&kv, "b").unwrap();
        assert_eq!(
            (verification.intact, verification.entries_checked),
            (true, 13)
        );
        assert_eq!(entry_keys_written(&kv, "b", 13).len(), 8);
        // The next full ring (9..=16) is written in one batch when entry 17 arrives.
        post_n_from(&kv, 14, 17);
        assert_eq!(*kv.batches.borrow().last().unwrap(), 2 * 8);
        assert_invariant(&kv, "b");
        assert!(verify(&kv, "b").unwrap().intact);
    }

    #[test]
    fn a_reader_with_an_old_head_finds_entries_in_the_newer_head() {
        let kv = strict();
        post_n(&kv, 8);
        let old = load_head(&kv, "b").unwrap();
        post_n_from(&kv, 9, 10);
        // Entry 9's keys were never written: a reader holding the old head would not find
        // it there, but finds it in the current head.
        assert_eq!(pending_at(&kv, &old, 9).unwrap().unwrap().sequence, 9);
        assert!(pending_at(&kv, &old, 11).unwrap().is_none());
    }

    #[test]
    fn a_lost_write_of_the_materialising_batch_is_never_visible() {
        for partial in [false, true] {
            let kv = strict();
            let stored = post_n(&kv, 8);
            let head = kv.raw(&keys::head_key("b"));
            kv.fail_set_many.set(!partial);
            kv.partial_set_many.set(partial);
            // Entries 1..=8 are only in the head; posting 9 must first write them, and cannot.
            assert!(matches!(
                post(&kv, "b", &entry("e9", "2026-01-09", "9")),
                Err(LedgerError::Storage(_))
            ));
            assert_eq!(kv.raw(&keys::head_key("b")), head);
            kv.partial_set_many.set(false);
            // Readers see the eight committed entries and nothing of the ninth.
            assert!(matches!(
                get_entry(&kv, "b", "e9"),
                Err(LedgerError::NotFound(_))
            ));
            let (page, next) = entries(&kv, "b", None, 500).unwrap();
            assert_eq!((page, next), (stored.clone(), None));
            let verification = verify(&kv, "b").unwrap();
            assert_eq!(
                (verification.intact, verification.entries_checked),
                (true, 8)
            );
            assert_eq!(trial_balance(&kv).unwrap().entries, 8);
            // Once the store writes again, the post goes through.
            kv.fail_set_many.set(false);
            post_n_from(&kv, 9, 9);
            assert_invariant(&kv, "b");
            assert!(verify(&kv, "b").unwrap().intact);
        }
    }

    #[test]
    fn a_head_of_the_single_pending_format_is_read_and_continued() {
        // A book as the earlier protocol left it: entries 1..=4 under their own keys, the
        // head carrying entry 5 alone as `pending` (an object, not a list).
        let kv = strict();
        let stored = post_n(&kv, 5);
        for earlier in &stored[..4] {
            kv.put(&keys::entry_key("b", earlier.sequence), earlier.to_bytes());
            kv.put(
                &keys::id_key("b", &earlier.entry.id),
                keys::encode_sequence(earlier.sequence),
            );
        }
        let mut head = load_head(&kv, "b").unwrap();
        head.pending = vec![stored[4].clone()];
        let one = String::from_utf8(stored[4].to_bytes()).unwrap();
        let old = String::from_utf8(head.to_bytes()).unwrap().replace(
            &format!("\"pending\":[{one}]"),
            &format!("\"pending\":{one}"),
        );
        assert!(old.contains("\"pending\":{\"sequence\":5"));
        kv.put(&keys::head_key("b"), old.into_bytes());
        assert_eq!(load_head(&kv, "b").unwrap(), head);
        assert_invariant(&kv, "b");

        assert_eq!(get_entry(&kv, "b", "e5").unwrap(), stored[4]);
        assert!(verify(&kv, "b").unwrap().intact);
        assert!(
            post(&kv, "b", &entry("e5", "2026-01-05", "5"))
                .unwrap()
                .replayed
        );
        post_n_from(&kv, 6, 20);
        assert_invariant(&kv, "b");
        let verification = verify(&kv, "b").unwrap();
        assert_eq!(
            (verification.intact, verification.entries_checked),
            (true, 20)
        );
    }

    /// A small deterministic generator for the property test below (no extra dependency).
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            // xorshift64*
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
        }
    }

    #[test]
    fn random_posts_keep_the_invariant_and_verify() {
        for (seed, semantics) in (1..=64u64).flat_map(|seed| RUNTIMES.map(|r| (seed, r))) {
            let kv = SimKv::new(semantics);
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
            let mut committed: Vec<(String, String)> = Vec::new();
            for _ in 0..rng.below(60) + 1 {
                let (id, amount) = match rng.below(10) {
                    // A replay of an earlier entry, or the same id with other content.
                    0 | 1 if !committed.is_empty() => {
                        let (id, amount) =
                            committed[rng.below(committed.len() as u64) as usize].clone();
                        if rng.below(2) == 0 {
                            (id, amount)
                        } else {
                            (id, format!("{}.01", amount))
                        }
                    }
                    _ => (
                        format!("p{}", committed.len() + 1),
                        (rng.below(999) + 1).to_string(),
                    ),
                };
                let fault = rng.below(12);
                kv.fail_set_many.set(fault == 0);
                kv.partial_set_many.set(fault == 1);
                if fault == 2 {
                    let rival = format!("r{}", committed.len() + 1);
                    kv.before(Step::Swap, move |kv| {
                        let _ = post(kv, "b", &entry(&rival, "2026-01-01", "3"));
                    });
                }
                let result = post(&kv, "b", &entry(&id, "2026-01-01", &amount));
                kv.clear_hooks();
                kv.fail_set_many.set(false);
                kv.partial_set_many.set(false);
                match result {
                    Ok(posted) if !posted.replayed => committed.push((id, amount)),
                    Ok(_) | Err(LedgerError::DuplicateId(_) | LedgerError::Storage(_)) => {}
                    Err(other) => panic!("seed {seed} {semantics:?}: {other:?}"),
                }
                if kv.raw(&keys::head_key("b")).is_some() {
                    assert_invariant(&kv, "b");
                }
            }
            let Ok(head) = load_head(&kv, "b") else {
                continue;
            };
            // Every committed post is in the book, under its sequence.
            for (id, _) in &committed {
                assert_eq!(get_entry(&kv, "b", id).unwrap().entry.id, *id);
            }
            let verification = verify(&kv, "b").unwrap();
            assert!(
                verification.intact,
                "seed {seed} {semantics:?}: {verification:?}"
            );
            assert_eq!(verification.entries_checked, head.sequence);
            assert_eq!(trial_balance(&kv).unwrap().entries, head.sequence);
        }
    }

    /// A commit with a fresh commit token.
    fn commit_with(
        kv: &SimKv,
        book: &str,
        expected: u64,
        entry: &JournalEntry,
        state: &str,
    ) -> Result<Posted, CommitError> {
        let token = COMMITS.with(|n| {
            n.set(n.get() + 1);
            format!("commit-{}", n.get())
        });
        super::commit(kv, book, expected, entry, state, &token)
    }

    #[test]
    fn a_state_is_committed_with_its_entry_and_only_from_the_version_it_was_computed_on() {
        for semantics in RUNTIMES {
            let kv = SimKv::new(semantics);
            assert_eq!(read_state(&kv, "loan-1").unwrap(), (0, None, Vec::new()));
            // A new book: expected sequence 0.
            let first =
                commit_with(&kv, "loan-1", 0, &entry("book", "2026-01-01", "100"), "s1").unwrap();
            assert_eq!((first.stored.sequence, first.replayed), (1, false));
            let (sequence, state, balances) = read_state(&kv, "loan-1").unwrap();
            assert_eq!((sequence, state.as_deref()), (1, Some("s1")));
            assert_eq!(net(&balances, "loan-principal"), "100.00");
            // Computed on sequence 0 again: stale, nothing written.
            assert_eq!(
                commit_with(&kv, "loan-1", 0, &entry("pay", "2026-01-02", "5"), "s2")
                    .err()
                    .unwrap(),
                CommitError::Stale(1)
            );
            assert_eq!(read_state(&kv, "loan-1").unwrap().1.as_deref(), Some("s1"));
            commit_with(&kv, "loan-1", 1, &entry("pay", "2026-01-02", "5"), "s2").unwrap();
            // The same entry again is a replay, whatever the sequence, and keeps the state.
            let again =
                commit_with(&kv, "loan-1", 1, &entry("pay", "2026-01-02", "5"), "s3").unwrap();
            assert!(again.replayed, "{semantics:?}");
            assert_eq!(again.stored.sequence, 2);
            let (sequence, state, balances) = read_state(&kv, "loan-1").unwrap();
            assert_eq!((sequence, state.as_deref()), (2, Some("s2")));
            assert_eq!(net(&balances, "loan-principal"), "105.00");
            // The same id with other content is refused.
            assert!(matches!(
                commit_with(&kv, "loan-1", 2, &entry("pay", "2026-01-02", "6"), "s4"),
                Err(CommitError::Refused(LedgerError::DuplicateId(_)))
            ));
            assert!(verify(&kv, "loan-1").unwrap().intact);
        }
    }

    #[test]
    fn a_book_with_a_state_takes_no_plain_post_and_states_are_bounded() {
        let kv = strict();
        commit_with(&kv, "loan-1", 0, &entry("book", "2026-01-01", "100"), "s").unwrap();
        let refused = post(&kv, "loan-1", &entry("other", "2026-01-02", "1")).unwrap_err();
        assert!(
            matches!(refused, LedgerError::Invalid(ref text) if text.contains("servicing state"))
        );
        let huge = "x".repeat(ledger_core::BOOK_STATE_MAX_BYTES + 1);
        assert!(matches!(
            commit_with(&kv, "loan-1", 1, &entry("big", "2026-01-02", "1"), &huge),
            Err(CommitError::Refused(LedgerError::Invalid(_)))
        ));
        assert_eq!(read_state(&kv, "loan-1").unwrap().0, 1);
        // A plain book cannot be read as having a state, and keeps taking posts.
        post(&kv, "suspense", &entry("a", "2026-01-01", "1")).unwrap();
        assert_eq!(read_state(&kv, "suspense").unwrap().1, None);
    }

    #[test]
    fn many_commits_keep_the_state_through_the_pending_ring() {
        for semantics in RUNTIMES {
            let kv = SimKv::new(semantics);
            let n = 3 * MAX_PENDING_ENTRIES as u64 + 2;
            for i in 0..n {
                let state = format!("state-{i}");
                commit_with(
                    &kv,
                    "loan",
                    i,
                    &entry(&format!("e{i}"), "2026-01-01", "1"),
                    &state,
                )
                .unwrap();
            }
            let (sequence, state, _) = read_state(&kv, "loan").unwrap();
            assert_eq!(sequence, n);
            assert_eq!(state, Some(format!("state-{}", n - 1)));
            assert_invariant(&kv, "loan");
        }
    }

    #[test]
    fn of_two_commits_from_the_same_version_one_wins_and_the_other_is_stale() {
        for semantics in RUNTIMES {
            let kv = SimKv::new(semantics);
            commit_with(&kv, "loan", 0, &entry("book", "2026-01-01", "100"), "s0").unwrap();
            kv.before(Step::Swap, |kv| {
                commit_with(kv, "loan", 1, &entry("rival", "2026-01-02", "3"), "rival").unwrap();
            });
            assert_eq!(
                commit_with(&kv, "loan", 1, &entry("mine", "2026-01-02", "4"), "mine")
                    .err()
                    .unwrap(),
                CommitError::Stale(2),
                "{semantics:?}"
            );
            let (sequence, state, balances) = read_state(&kv, "loan").unwrap();
            assert_eq!((sequence, state.as_deref()), (2, Some("rival")));
            assert_eq!(net(&balances, "loan-principal"), "103.00");
        }
    }

    #[test]
    fn a_rival_writer_between_read_and_swap_is_retried() {
        for semantics in RUNTIMES {
            let kv = SimKv::new(semantics);
            post(&kv, "b", &entry("a", "2026-01-01", "1")).unwrap();
            kv.before(Step::Swap, |kv| {
                post(kv, "b", &entry("rival", "2026-01-01", "5")).unwrap();
            });
            let mine = post(&kv, "b", &entry("mine", "2026-01-01", "2")).unwrap();
            assert_eq!(mine.stored.sequence, 3);
            assert_eq!(get_entry(&kv, "b", "rival").unwrap().sequence, 2);
            let verification = verify(&kv, "b").unwrap();
            assert!(verification.intact);
            assert_eq!(verification.entries_checked, 3);
        }
    }

    #[test]
    fn a_rival_posting_the_same_id_turns_the_post_into_a_replay() {
        for semantics in RUNTIMES {
            let kv = SimKv::new(semantics);
            // The rival posts the same entry just before our first claim (the registry's).
            kv.before(Step::Increment, |kv| {
                post(kv, "new-book", &entry("a", "2026-01-01", "1")).unwrap();
            });
            let mine = post(&kv, "new-book", &entry("a", "2026-01-01", "1.00")).unwrap();
            assert!(mine.replayed);
            assert_eq!(mine.stored.sequence, 1);
            assert_eq!(trial_balance(&kv).unwrap().books, 1);
        }
    }

    #[test]
    fn first_posts_racing_to_a_new_book_are_all_kept_on_every_runtime() {
        // A rival posts another entry to the same new book at each step of our post: before
        // a claim, between a claim and its write, before a swap, while we wait.
        for semantics in RUNTIMES {
            for step in [Step::Increment, Step::Set, Step::Swap, Step::Poll] {
                let kv = SimKv::new(semantics);
                kv.before(step, |kv| {
                    let rival = post(kv, "new", &entry("rival", "2026-01-01", "5"));
                    // Between our claim and our write the rival can only wait, and says so.
                    match rival {
                        Ok(posted) => assert!(!posted.replayed),
                        Err(error) => {
                            assert_eq!(error, LedgerError::Conflict(lendstore::CREATE_WAIT_POLLS))
                        }
                    }
                });
                let mine = post(&kv, "new", &entry("mine", "2026-01-01", "2")).unwrap();
                assert!(!mine.replayed, "{semantics:?} {step:?}");
                let head = load_head(&kv, "new").unwrap();
                let rival_kept = get_entry(&kv, "new", "rival").is_ok();
                assert_eq!(
                    head.sequence,
                    1 + u64::from(rival_kept),
                    "{semantics:?} {step:?}"
                );
                assert_eq!(get_entry(&kv, "new", "mine").unwrap(), mine.stored);
                assert!(verify(&kv, "new").unwrap().intact);
                assert_eq!(trial_balance(&kv).unwrap().entries, head.sequence);
            }
        }
    }

    #[test]
    fn every_post_is_acknowledged_once_on_spin_redis_where_every_swap_reports_failure() {
        let kv = SimKv::new(Semantics::SpinRedis);
        for n in 1..=20u64 {
            let posted = post(&kv, "b", &entry(&format!("e{n}"), "2026-01-01", "1")).unwrap();
            assert_eq!((posted.stored.sequence, posted.replayed), (n, false));
        }
        let again = post(&kv, "b", &entry("e3", "2026-01-01", "1")).unwrap();
        assert!(again.replayed);
        assert_invariant(&kv, "b");
        assert_eq!(verify(&kv, "b").unwrap().entries_checked, 20);
    }

    #[test]
    fn endless_losses_give_up_with_conflict() {
        let kv = strict();
        post(&kv, "b", &entry("a", "2026-01-01", "1")).unwrap();
        kv.lose_every_swap.set(true);
        assert_eq!(
            post(&kv, "b", &entry("b", "2026-01-01", "1")).err(),
            Some(LedgerError::Conflict(MAX_CAS_ATTEMPTS))
        );
    }

    #[test]
    fn pages() {
        let kv = strict();
        for n in 0..5 {
            post(&kv, "b", &entry(&format!("e{n}"), "2026-01-01", "1")).unwrap();
        }
        let (page, next) = entries(&kv, "b", None, 2).unwrap();
        assert_eq!((page[0].sequence, page[1].sequence, next), (1, 2, Some(2)));
        let (page, next) = entries(&kv, "b", Some(4), 2).unwrap();
        assert_eq!((page.len(), page[0].sequence, next), (1, 5, None));
        assert!(entries(&kv, "b", Some(5), 2).unwrap().0.is_empty());
        for bad in [0, PAGE_LIMIT_MAX + 1] {
            assert!(matches!(
                entries(&kv, "b", None, bad),
                Err(LedgerError::Invalid(_))
            ));
        }
    }

    #[test]
    fn corrupt_data_is_a_storage_error_or_a_broken_chain_never_a_panic() {
        let kv = strict();
        // Nine posts: the first eight are then written under their own keys.
        for n in 0..9 {
            post(&kv, "b", &entry(&format!("e{n}"), "2026-01-01", "1")).unwrap();
        }
        assert!(verify(&kv, "b").unwrap().intact);
        // Tamper with entry 2: verify names it.
        let key = keys::entry_key("b", 2);
        let tampered = String::from_utf8(kv.raw(&key).unwrap())
            .unwrap()
            .replace("\"1.00\"", "\"9.00\"");
        kv.put(&key, tampered.into_bytes());
        let verification = verify(&kv, "b").unwrap();
        assert_eq!(
            (verification.intact, verification.first_broken_sequence),
            (false, Some(2))
        );
        // Garbage in an entry: verify reports it, reads refuse it.
        kv.put(&key, b"\xff garbage".to_vec());
        assert_eq!(verify(&kv, "b").unwrap().first_broken_sequence, Some(2));
        assert!(matches!(
            entries(&kv, "b", None, 10),
            Err(LedgerError::Storage(_))
        ));
        // Garbage in the head: every operation on the book is a storage error.
        kv.put(&keys::head_key("b"), b"{".to_vec());
        assert!(matches!(
            post(&kv, "b", &entry("x", "2026-01-01", "1")),
            Err(LedgerError::Storage(_))
        ));
        assert!(matches!(
            balances(&kv, "b", None),
            Err(LedgerError::Storage(_))
        ));
        assert!(matches!(trial_balance(&kv), Err(LedgerError::Storage(_))));
    }
}
