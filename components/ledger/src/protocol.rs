//! The storage protocol, generic over the key-value store so it runs natively in tests.
//!
//! The guest runs it over `wasi:keyvalue` ([`crate::WasiKv`]); the tests below run it over
//! an in-memory store that can lose writes and interleave a rival writer between a
//! post's read and its swap.

use ledger_core::keys;
use ledger_core::{
    Balance, BookHead, FieldError, LedgerError, PAGE_LIMIT_MAX, REGISTRY_SHARDS, StoredEntry,
    Totals, TrialBalance, TrialBalanceFolder, ValidEntry, Verification, Verifier,
    decode_stored_entry, parse_date, validate_book_id, validate_entry, validate_entry_id,
};

/// Most compare-and-swap attempts for one post (or one registry update) before giving up
/// with `conflict`. Each lost race means another entry of the same book was committed, so
/// 64 losses in a row means a pathological hot book; the caller may retry.
pub const MAX_CAS_ATTEMPTS: u32 = 64;

/// Entries read per `get-many` when walking a book (verify, balances as of a date): large
/// enough to amortise a round trip, small enough (~100 KB) for a guest's memory.
const ENTRY_READ_CHUNK: u64 = 100;

/// Heads read per `get-many` in the trial balance; a head is a few KB at most.
const HEAD_READ_CHUNK: usize = 100;

/// The outcome of a compare-and-swap.
pub enum Swap<C> {
    /// The value was written.
    Done,
    /// Someone wrote the key since it was read; a fresh handle on the latest version.
    Lost(C),
}

/// The key-value operations the protocol needs: `wasi:keyvalue` store, batch and atomics.
pub trait Kv {
    /// A compare-and-swap handle: remembers the version it read.
    type Cas;
    /// The value of `key`.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, LedgerError>;
    /// The values of `keys`, in the same order.
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, LedgerError>;
    /// Writes every pair (not atomically).
    fn set_many(&self, pairs: &[(String, Vec<u8>)]) -> Result<(), LedgerError>;
    /// Starts a compare-and-swap on `key`.
    fn cas(&self, key: &str) -> Result<Self::Cas, LedgerError>;
    /// The value the handle read.
    fn current(&self, cas: &Self::Cas) -> Result<Option<Vec<u8>>, LedgerError>;
    /// Writes `value` if the key is unchanged since the handle read it.
    fn swap(&self, cas: Self::Cas, value: &[u8]) -> Result<Swap<Self::Cas>, LedgerError>;
}

/// A receipt: the stored entry and whether this call replayed it.
pub struct Posted {
    /// The entry as stored.
    pub stored: StoredEntry,
    /// True when the same id and content was posted before.
    pub replayed: bool,
}

fn invalid(error: FieldError) -> LedgerError {
    LedgerError::invalid(&[error])
}

/// `post`: validate, then the CAS loop on the book head.
pub fn post<K: Kv>(
    kv: &K,
    book: &str,
    entry: &ledger_core::JournalEntry,
) -> Result<Posted, LedgerError> {
    // Everything is validated before the store is touched: a refusal writes nothing.
    validate_book_id(book).map_err(invalid)?;
    let valid = validate_entry(entry)?;
    let mut cas = kv.cas(&keys::head_key(book))?;
    for _ in 0..MAX_CAS_ATTEMPTS {
        let head = match kv.current(&cas)? {
            Some(bytes) => Some(BookHead::decode(book, &bytes)?),
            None => None,
        };
        if let Some(head) = &head {
            materialise_pending(kv, head)?;
            if let Some(stored) = replay(kv, head, &valid)? {
                return Ok(Posted {
                    stored,
                    replayed: true,
                });
            }
        }
        let base = head.unwrap_or_else(|| BookHead::genesis(book));
        let (next, stored) = base.apply(&valid)?;
        if base.sequence == 0 {
            register(kv, book)?;
        }
        match kv.swap(cas, &next.to_bytes())? {
            Swap::Done => {
                // Committed. Writing the entry's own keys now only saves the next reader
                // the work; a failure here is repaired by whoever reads the head next.
                let _ = materialise(kv, book, &stored);
                return Ok(Posted {
                    stored,
                    replayed: false,
                });
            }
            Swap::Lost(fresh) => cas = fresh,
        }
    }
    Err(LedgerError::Conflict(MAX_CAS_ATTEMPTS))
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
    for (key, value) in shard_keys.iter().zip(kv.get_many(&shard_keys)?) {
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
        for (book, value) in chunk.iter().zip(kv.get_many(&head_keys)?) {
            // A registered book whose first post never committed has no head.
            if let Some(bytes) = value {
                folder.add_head(&BookHead::decode(book, &bytes)?)?;
            }
        }
    }
    folder.finish()
}

// ------------------------------------------------------------------ steps

/// The head of `book`, or `not-found` when the book has no entries.
fn load_head<K: Kv>(kv: &K, book: &str) -> Result<BookHead, LedgerError> {
    match kv.get(&keys::head_key(book))? {
        Some(bytes) => BookHead::decode(book, &bytes),
        None => Err(LedgerError::NotFound(format!("book {book} has no entries"))),
    }
}

/// Writes the entry and id keys of `stored` (idempotent: same bytes whoever writes).
fn materialise<K: Kv>(kv: &K, book: &str, stored: &StoredEntry) -> Result<(), LedgerError> {
    kv.set_many(&[
        (keys::entry_key(book, stored.sequence), stored.to_bytes()),
        (
            keys::id_key(book, &stored.entry.id),
            keys::encode_sequence(stored.sequence),
        ),
    ])
}

/// Materialises the head's pending entry unless both its keys are already there.
fn materialise_pending<K: Kv>(kv: &K, head: &BookHead) -> Result<(), LedgerError> {
    let Some(pending) = &head.pending else {
        return Ok(());
    };
    let wanted = [
        keys::entry_key(&head.book, pending.sequence),
        keys::id_key(&head.book, &pending.entry.id),
    ];
    if kv.get_many(&wanted)?.iter().all(Option::is_some) {
        return Ok(());
    }
    materialise(kv, &head.book, pending)
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

/// The entry posted with `id`, looking at the head's pending entry first.
fn find_by_id<K: Kv>(
    kv: &K,
    head: &BookHead,
    id: &str,
) -> Result<Option<StoredEntry>, LedgerError> {
    if let Some(pending) = &head.pending
        && pending.entry.id == id
    {
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
/// materialised, which is then the pending entry of this head or of a newer one.
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
    if let Some(pending) = head.pending.as_ref().filter(|p| p.sequence == sequence) {
        return Ok(Some(pending.clone()));
    }
    let fresh = load_head(kv, &head.book)?;
    Ok(fresh.pending.filter(|p| p.sequence == sequence))
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
        let values = kv.get_many(&wanted)?;
        if values.len() != wanted.len() {
            return Err(LedgerError::Storage(
                "get-many answered the wrong keys".into(),
            ));
        }
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

/// Adds `book` to its registry shard unless it is there (CAS loop on the shard key).
fn register<K: Kv>(kv: &K, book: &str) -> Result<(), LedgerError> {
    let key = keys::registry_key(keys::registry_shard(book));
    let mut cas = kv.cas(&key)?;
    for _ in 0..MAX_CAS_ATTEMPTS {
        let mut books = match kv.current(&cas)? {
            Some(bytes) => keys::decode_registry(&bytes)
                .ok_or_else(|| LedgerError::Storage(format!("unreadable registry {key}")))?,
            None => Vec::new(),
        };
        books.sort();
        books.dedup();
        match books.binary_search_by(|known| known.as_str().cmp(book)) {
            Ok(_) => return Ok(()),
            Err(at) => books.insert(at, book.to_string()),
        }
        match kv.swap(cas, &keys::encode_registry(&books))? {
            Swap::Done => return Ok(()),
            Swap::Lost(fresh) => cas = fresh,
        }
    }
    Err(LedgerError::Conflict(MAX_CAS_ATTEMPTS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger_core::{JournalEntry, PostingLine, Side};
    use std::cell::{Cell, RefCell};
    use std::collections::BTreeMap;

    type Hook = Box<dyn FnOnce(&MemoryKv)>;

    /// An in-memory store with monotonic versions, and faults on demand.
    #[derive(Default)]
    struct MemoryKv {
        data: RefCell<BTreeMap<String, (u64, Vec<u8>)>>,
        version: Cell<u64>,
        /// `set-many` fails (writes nothing) while set.
        fail_set_many: Cell<bool>,
        /// Every swap loses while set.
        always_lose: Cell<bool>,
        /// Runs once, just before the next swap: a rival writer.
        before_swap: RefCell<Option<Hook>>,
    }

    /// Remembers the version and value it read, as a host's handle does.
    struct MemCas {
        key: String,
        version: Option<u64>,
        value: Option<Vec<u8>>,
    }

    impl MemoryKv {
        fn version_of(&self, key: &str) -> Option<u64> {
            self.data.borrow().get(key).map(|(v, _)| *v)
        }
        fn put(&self, key: &str, value: Vec<u8>) {
            self.version.set(self.version.get() + 1);
            self.data
                .borrow_mut()
                .insert(key.to_string(), (self.version.get(), value));
        }
        fn raw(&self, key: &str) -> Option<Vec<u8>> {
            self.data.borrow().get(key).map(|(_, v)| v.clone())
        }
        fn len(&self) -> usize {
            self.data.borrow().len()
        }
    }

    impl Kv for MemoryKv {
        type Cas = MemCas;
        fn get(&self, key: &str) -> Result<Option<Vec<u8>>, LedgerError> {
            Ok(self.raw(key))
        }
        fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, LedgerError> {
            Ok(keys.iter().map(|k| self.raw(k)).collect())
        }
        fn set_many(&self, pairs: &[(String, Vec<u8>)]) -> Result<(), LedgerError> {
            if self.fail_set_many.get() {
                return Err(LedgerError::Storage("injected set-many failure".into()));
            }
            for (key, value) in pairs {
                self.put(key, value.clone());
            }
            Ok(())
        }
        fn cas(&self, key: &str) -> Result<MemCas, LedgerError> {
            Ok(MemCas {
                key: key.to_string(),
                version: self.version_of(key),
                value: self.raw(key),
            })
        }
        fn current(&self, cas: &MemCas) -> Result<Option<Vec<u8>>, LedgerError> {
            Ok(cas.value.clone())
        }
        fn swap(&self, cas: MemCas, value: &[u8]) -> Result<Swap<MemCas>, LedgerError> {
            let hook = self.before_swap.borrow_mut().take();
            if let Some(hook) = hook {
                hook(self);
            }
            let now = self.version_of(&cas.key);
            if self.always_lose.get() || now != cas.version {
                return Ok(Swap::Lost(self.cas(&cas.key)?));
            }
            self.put(&cas.key, value.to_vec());
            Ok(Swap::Done)
        }
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
        let kv = MemoryKv::default();
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
        let kv = MemoryKv::default();
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
        let kv = MemoryKv::default();
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

    #[test]
    fn a_lost_materialisation_is_repaired_and_never_seen() {
        let kv = MemoryKv::default();
        post(&kv, "b", &entry("a", "2026-01-01", "1")).unwrap();
        kv.fail_set_many.set(true);
        let second = post(&kv, "b", &entry("b", "2026-01-02", "2")).unwrap();
        assert_eq!(second.stored.sequence, 2);
        assert!(kv.raw(&keys::entry_key("b", 2)).is_none());
        // Readers overlay the pending entry.
        assert_eq!(get_entry(&kv, "b", "b").unwrap(), second.stored);
        let (page, next) = entries(&kv, "b", None, 10).unwrap();
        assert_eq!((page.len(), next), (2, None));
        assert!(verify(&kv, "b").unwrap().intact);
        // The next writer materialises it before moving the head on.
        kv.fail_set_many.set(false);
        post(&kv, "b", &entry("c", "2026-01-03", "3")).unwrap();
        assert!(kv.raw(&keys::entry_key("b", 2)).is_some());
        assert!(kv.raw(&keys::id_key("b", "b")).is_some());
        assert!(verify(&kv, "b").unwrap().intact);
    }

    #[test]
    fn a_post_that_cannot_materialise_the_previous_entry_moves_nothing() {
        let kv = MemoryKv::default();
        kv.fail_set_many.set(true);
        post(&kv, "b", &entry("a", "2026-01-01", "1")).unwrap();
        // Entry 1 is only in the head; posting 2 must first write it, and cannot.
        assert!(matches!(
            post(&kv, "b", &entry("b", "2026-01-01", "1")),
            Err(LedgerError::Storage(_))
        ));
        assert_eq!(load_head(&kv, "b").unwrap().sequence, 1);
    }

    #[test]
    fn a_rival_writer_between_read_and_swap_is_retried() {
        let kv = MemoryKv::default();
        post(&kv, "b", &entry("a", "2026-01-01", "1")).unwrap();
        *kv.before_swap.borrow_mut() = Some(Box::new(|kv: &MemoryKv| {
            post(kv, "b", &entry("rival", "2026-01-01", "5")).unwrap();
        }));
        let mine = post(&kv, "b", &entry("mine", "2026-01-01", "2")).unwrap();
        assert_eq!(mine.stored.sequence, 3);
        assert_eq!(get_entry(&kv, "b", "rival").unwrap().sequence, 2);
        let verification = verify(&kv, "b").unwrap();
        assert!(verification.intact);
        assert_eq!(verification.entries_checked, 3);
    }

    #[test]
    fn a_rival_posting_the_same_id_turns_the_post_into_a_replay() {
        let kv = MemoryKv::default();
        *kv.before_swap.borrow_mut() = Some(Box::new(|kv: &MemoryKv| {
            post(kv, "new-book", &entry("a", "2026-01-01", "1")).unwrap();
        }));
        let mine = post(&kv, "new-book", &entry("a", "2026-01-01", "1.00")).unwrap();
        assert!(mine.replayed);
        assert_eq!(mine.stored.sequence, 1);
        assert_eq!(trial_balance(&kv).unwrap().books, 1);
    }

    #[test]
    fn endless_losses_give_up_with_conflict() {
        let kv = MemoryKv::default();
        post(&kv, "b", &entry("a", "2026-01-01", "1")).unwrap();
        kv.always_lose.set(true);
        assert_eq!(
            post(&kv, "b", &entry("b", "2026-01-01", "1")).err(),
            Some(LedgerError::Conflict(MAX_CAS_ATTEMPTS))
        );
    }

    #[test]
    fn pages() {
        let kv = MemoryKv::default();
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
        let kv = MemoryKv::default();
        for n in 0..3 {
            post(&kv, "b", &entry(&format!("e{n}"), "2026-01-01", "1")).unwrap();
        }
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
