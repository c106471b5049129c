//! The ledger component: exports `lending:ledger/ledger` over `wasi:keyvalue`.
//!
//! Every rule lives in `ledger-core`; this crate only moves bytes between those pure
//! functions and the key-value store labelled `ledger`.
//!
//! # Storage protocol
//!
//! Keys (see `ledger_core::keys`):
//!
//! * `ledger/book/{book}/head` — the [`BookHead`]: sequence, hash, running totals and the
//!   newest entry as `pending`. Every post is one compare-and-swap of this key, so a book
//!   changes atomically with only per-key CAS.
//! * `ledger/book/{book}/entry/{sequence:020}` — a [`StoredEntry`].
//! * `ledger/book/{book}/id/{entry_id}` — the sequence posted with that id.
//! * `ledger/registry/{shard:02}` — sorted JSON list of the book ids in that shard, for the
//!   trial balance.
//!
//! A post reads the head through a CAS handle. The head's `pending` entry is committed (it
//! is in the head) but its entry and id keys may not be written yet, so the post writes
//! them first ("materialises" them: same bytes whoever writes them). Then it checks the id
//! for a replay, builds the next head with the new entry as `pending`, and swaps. After a
//! successful swap it materialises the new entry too, but nothing depends on that write:
//! the next writer, or any reader, falls back to `pending`.
//!
//! Invariant: every entry below the head's sequence is materialised, because the writer
//! that moves the head past an entry materialised it against the very head version it
//! swaps. A brand-new book is added to its registry shard before its first head is
//! swapped in, so the trial balance never misses a book with entries.
#![deny(missing_docs)]

mod bindings {
    wit_bindgen::generate!({
        world: "ledger-provider",
        path: "../../wit",
        generate_all,
    });
}

use bindings::exports::lending::ledger::ledger::Guest;
use bindings::lending::ledger::types as wit;
use bindings::wasi::keyvalue::atomics::{self, Cas, CasError};
use bindings::wasi::keyvalue::batch;
use bindings::wasi::keyvalue::store::{self, Bucket};
use ledger_core::keys;
use ledger_core::{
    BookHead, FieldError, LedgerError, PAGE_LIMIT_MAX, REGISTRY_SHARDS, StoredEntry, Totals,
    TrialBalanceFolder, ValidEntry, Verifier, decode_stored_entry, parse_date, validate_book_id,
    validate_entry, validate_entry_id,
};

/// Label of the key-value store the ledger keeps its books in (declared in `spin.toml`).
const STORE_LABEL: &str = "ledger";

/// Most compare-and-swap attempts for one post (or one registry update) before giving up
/// with `conflict`. Each lost race means another entry of the same book was committed, so
/// 64 losses in a row means a pathological hot book; the caller may retry.
const MAX_CAS_ATTEMPTS: u32 = 64;

/// Entries read per `get-many` when walking a book (verify, balances as of a date): large
/// enough to amortise a round trip, small enough (~100 KB) for a guest's memory.
const ENTRY_READ_CHUNK: u64 = 100;

/// Heads read per `get-many` in the trial balance; a head is a few KB at most.
const HEAD_READ_CHUNK: usize = 100;

struct Ledger;

bindings::export!(Ledger with_types_in bindings);

impl Guest for Ledger {
    fn post(book: String, entry: wit::JournalEntry) -> Result<wit::Receipt, wit::LedgerError> {
        post(&book, &entry_from_wit(entry)).map_err(error_to_wit)
    }

    fn get_entry(book: String, id: String) -> Result<wit::StoredEntry, wit::LedgerError> {
        get_entry(&book, &id)
            .map(stored_to_wit)
            .map_err(error_to_wit)
    }

    fn balances(
        book: String,
        as_of: Option<String>,
    ) -> Result<Vec<wit::Balance>, wit::LedgerError> {
        balances(&book, as_of.as_deref())
            .map(|list| list.into_iter().map(balance_to_wit).collect())
            .map_err(error_to_wit)
    }

    fn entries(
        book: String,
        after: Option<u64>,
        limit: u32,
    ) -> Result<wit::EntryPage, wit::LedgerError> {
        entries(&book, after, limit)
            .map(|(entries, next_after)| wit::EntryPage {
                entries: entries.into_iter().map(stored_to_wit).collect(),
                next_after,
            })
            .map_err(error_to_wit)
    }

    fn verify(book: String) -> Result<wit::Verification, wit::LedgerError> {
        verify(&book)
            .map(|v| wit::Verification {
                book: v.book,
                entries_checked: v.entries_checked,
                head_hash: v.head_hash,
                intact: v.intact,
                first_broken_sequence: v.first_broken_sequence,
                problem: v.problem,
            })
            .map_err(error_to_wit)
    }

    fn trial_balance() -> Result<wit::TrialBalance, wit::LedgerError> {
        trial_balance()
            .map(|t| wit::TrialBalance {
                books: t.books,
                entries: t.entries,
                currencies: t
                    .currencies
                    .into_iter()
                    .map(|c| wit::CurrencyTotal {
                        currency: c.currency,
                        debits: c.debits,
                        credits: c.credits,
                    })
                    .collect(),
                accounts: t.accounts.into_iter().map(balance_to_wit).collect(),
                balanced: t.balanced,
            })
            .map_err(error_to_wit)
    }
}

// ------------------------------------------------------------------ operations

fn post(book: &str, entry: &ledger_core::JournalEntry) -> Result<wit::Receipt, LedgerError> {
    // Everything is validated before the store is touched: a refusal writes nothing.
    validate_book_id(book).map_err(invalid)?;
    let valid = validate_entry(entry)?;
    let bucket = open()?;
    let mut cas = Cas::new(&bucket, &keys::head_key(book)).map_err(store_error)?;
    for _ in 0..MAX_CAS_ATTEMPTS {
        let current = cas.current().map_err(store_error)?;
        let head = match current {
            Some(bytes) => Some(BookHead::decode(book, &bytes)?),
            None => None,
        };
        if let Some(head) = &head {
            materialise_pending(&bucket, head)?;
            if let Some(receipt) = replay(&bucket, head, &valid)? {
                return Ok(receipt);
            }
        }
        let base = head.unwrap_or_else(|| BookHead::genesis(book));
        let (next, stored) = base.apply(&valid)?;
        if base.sequence == 0 {
            register(&bucket, book)?;
        }
        match atomics::swap(cas, &next.to_bytes()) {
            Ok(()) => {
                // Committed. Writing the entry's own keys now only saves the next reader
                // the work; a failure here is repaired by whoever reads the head next.
                let _ = materialise(&bucket, book, &stored);
                return Ok(receipt(book, &stored, false));
            }
            Err(CasError::CasFailed(fresh)) => cas = fresh,
            Err(CasError::StoreError(error)) => return Err(store_error(error)),
        }
    }
    Err(LedgerError::Conflict(MAX_CAS_ATTEMPTS))
}

fn get_entry(book: &str, id: &str) -> Result<StoredEntry, LedgerError> {
    validate_book_id(book).map_err(invalid)?;
    validate_entry_id(id).map_err(invalid)?;
    let bucket = open()?;
    let head = load_head(&bucket, book)?;
    find_by_id(&bucket, &head, id)?
        .ok_or_else(|| LedgerError::NotFound(format!("no entry {id} in book {book}")))
}

fn balances(book: &str, as_of: Option<&str>) -> Result<Vec<ledger_core::Balance>, LedgerError> {
    validate_book_id(book).map_err(invalid)?;
    let as_of = match as_of {
        Some(text) => Some(parse_date(text).map_err(|m| invalid(FieldError::new("as_of", m)))?),
        None => None,
    };
    let bucket = open()?;
    let head = load_head(&bucket, book)?;
    let Some(as_of) = as_of else {
        return head.balances();
    };
    let mut totals = Totals::new();
    let mut failure = None;
    walk(&bucket, &head, |sequence, stored| {
        let folded = stored.and_then(|stored| {
            let valid = validate_entry(&stored.entry)
                .map_err(|e| format!("entry {sequence} is unreadable: {e}"))?;
            if valid.effective_date() <= as_of {
                totals.add_entry(&valid)?;
            }
            Ok(())
        });
        match folded {
            Ok(()) => true,
            Err(problem) => {
                failure = Some(problem);
                false
            }
        }
    })?;
    if let Some(problem) = failure {
        return Err(LedgerError::Storage(format!("book {book}: {problem}")));
    }
    assert!(totals.is_balanced(), "balances of valid entries balance");
    Ok(totals.balances())
}

fn entries(
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
    let bucket = open()?;
    let head = load_head(&bucket, book)?;
    let after = after.unwrap_or(0);
    if after >= head.sequence {
        return Ok((Vec::new(), None));
    }
    let last = head.sequence.min(after.saturating_add(u64::from(limit)));
    let mut page = Vec::with_capacity(usize::try_from(last - after).unwrap_or(0));
    let mut failure = None;
    walk_range(&bucket, &head, after + 1, last, |sequence, stored| {
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

fn verify(book: &str) -> Result<ledger_core::Verification, LedgerError> {
    validate_book_id(book).map_err(invalid)?;
    let bucket = open()?;
    let head = load_head(&bucket, book)?;
    let mut verifier = Verifier::new(book);
    walk(&bucket, &head, |sequence, stored| {
        verifier.push(sequence, stored);
        !verifier.is_broken()
    })?;
    Ok(verifier.finish(&head))
}

fn trial_balance() -> Result<ledger_core::TrialBalance, LedgerError> {
    let bucket = open()?;
    let shard_keys: Vec<String> = (0..REGISTRY_SHARDS).map(keys::registry_key).collect();
    let mut books = Vec::new();
    for (key, value) in batch::get_many(&bucket, &shard_keys).map_err(store_error)? {
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
        let values = batch::get_many(&bucket, &head_keys).map_err(store_error)?;
        if values.len() != chunk.len() {
            return Err(LedgerError::Storage(
                "get-many answered the wrong keys".into(),
            ));
        }
        for (book, (_, value)) in chunk.iter().zip(values) {
            // A registered book whose first post never committed has no head.
            if let Some(bytes) = value {
                folder.add_head(&BookHead::decode(book, &bytes)?)?;
            }
        }
    }
    folder.finish()
}

// ------------------------------------------------------------------ storage steps

fn open() -> Result<Bucket, LedgerError> {
    store::open(STORE_LABEL).map_err(store_error)
}

/// The head of `book`, or `not-found` when the book has no entries.
fn load_head(bucket: &Bucket, book: &str) -> Result<BookHead, LedgerError> {
    match bucket.get(&keys::head_key(book)).map_err(store_error)? {
        Some(bytes) => BookHead::decode(book, &bytes),
        None => Err(LedgerError::NotFound(format!("book {book} has no entries"))),
    }
}

/// Writes the entry and id keys of `stored` (idempotent: same bytes whoever writes).
fn materialise(bucket: &Bucket, book: &str, stored: &StoredEntry) -> Result<(), LedgerError> {
    let pairs = vec![
        (keys::entry_key(book, stored.sequence), stored.to_bytes()),
        (
            keys::id_key(book, &stored.entry.id),
            keys::encode_sequence(stored.sequence),
        ),
    ];
    batch::set_many(bucket, &pairs).map_err(store_error)
}

/// Materialises the head's pending entry unless both its keys are already there.
fn materialise_pending(bucket: &Bucket, head: &BookHead) -> Result<(), LedgerError> {
    let Some(pending) = &head.pending else {
        return Ok(());
    };
    let wanted = vec![
        keys::entry_key(&head.book, pending.sequence),
        keys::id_key(&head.book, &pending.entry.id),
    ];
    let present = batch::get_many(bucket, &wanted).map_err(store_error)?;
    if present.len() == 2 && present.iter().all(|(_, value)| value.is_some()) {
        return Ok(());
    }
    materialise(bucket, &head.book, pending)
}

/// The original receipt when `valid` was already posted with the same content;
/// `duplicate-id` when its id was used for something else; `None` when the id is new.
fn replay(
    bucket: &Bucket,
    head: &BookHead,
    valid: &ValidEntry,
) -> Result<Option<wit::Receipt>, LedgerError> {
    let Some(existing) = find_by_id(bucket, head, valid.id())? else {
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
    Ok(Some(receipt(&head.book, &existing, true)))
}

/// The entry posted with `id`, looking at the head's pending entry first.
fn find_by_id(
    bucket: &Bucket,
    head: &BookHead,
    id: &str,
) -> Result<Option<StoredEntry>, LedgerError> {
    if let Some(pending) = &head.pending
        && pending.entry.id == id
    {
        return Ok(Some(pending.clone()));
    }
    let Some(bytes) = bucket
        .get(&keys::id_key(&head.book, id))
        .map_err(store_error)?
    else {
        return Ok(None);
    };
    let sequence = keys::decode_sequence(&bytes).ok_or_else(|| {
        LedgerError::Storage(format!("unreadable id key {id} in book {}", head.book))
    })?;
    let stored = read_entry(bucket, head, sequence)?;
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
fn read_entry(bucket: &Bucket, head: &BookHead, sequence: u64) -> Result<StoredEntry, LedgerError> {
    let key = keys::entry_key(&head.book, sequence);
    if let Some(bytes) = bucket.get(&key).map_err(store_error)? {
        return decode_stored_entry(&bytes);
    }
    pending_at(bucket, head, sequence)?.ok_or_else(|| {
        LedgerError::Storage(format!("entry {sequence} of book {} is missing", head.book))
    })
}

/// The pending entry at `sequence` of `head`, or of the book's current head when another
/// writer moved it on since `head` was read.
fn pending_at(
    bucket: &Bucket,
    head: &BookHead,
    sequence: u64,
) -> Result<Option<StoredEntry>, LedgerError> {
    if let Some(pending) = head.pending.as_ref().filter(|p| p.sequence == sequence) {
        return Ok(Some(pending.clone()));
    }
    let fresh = load_head(bucket, &head.book)?;
    Ok(fresh.pending.filter(|p| p.sequence == sequence))
}

/// Feeds entries 1..=head.sequence to `visit` in order, `Err` for one that is missing or
/// cannot be decoded, until `visit` returns false.
fn walk(
    bucket: &Bucket,
    head: &BookHead,
    visit: impl FnMut(u64, Result<StoredEntry, String>) -> bool,
) -> Result<(), LedgerError> {
    walk_range(bucket, head, 1, head.sequence, visit)
}

/// Feeds entries `first..=last` (within the head) to `visit` in order, reading them in
/// chunks of [`ENTRY_READ_CHUNK`], until `visit` returns false. Fails only when the store
/// itself fails.
fn walk_range(
    bucket: &Bucket,
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
        let values = batch::get_many(bucket, &wanted).map_err(store_error)?;
        if values.len() != wanted.len() {
            return Err(LedgerError::Storage(
                "get-many answered the wrong keys".into(),
            ));
        }
        for (sequence, (_, value)) in (start..=end).zip(values) {
            let stored = match value {
                Some(bytes) => decode_stored_entry(&bytes).map_err(|e| e.to_string()),
                None => match pending_at(bucket, head, sequence)? {
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
fn register(bucket: &Bucket, book: &str) -> Result<(), LedgerError> {
    let key = keys::registry_key(keys::registry_shard(book));
    let mut cas = Cas::new(bucket, &key).map_err(store_error)?;
    for _ in 0..MAX_CAS_ATTEMPTS {
        let mut books = match cas.current().map_err(store_error)? {
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
        match atomics::swap(cas, &keys::encode_registry(&books)) {
            Ok(()) => return Ok(()),
            Err(CasError::CasFailed(fresh)) => cas = fresh,
            Err(CasError::StoreError(error)) => return Err(store_error(error)),
        }
    }
    Err(LedgerError::Conflict(MAX_CAS_ATTEMPTS))
}

// ------------------------------------------------------------------ conversions

fn receipt(book: &str, stored: &StoredEntry, replayed: bool) -> wit::Receipt {
    wit::Receipt {
        book: book.to_string(),
        id: stored.entry.id.clone(),
        sequence: stored.sequence,
        hash: stored.hash.clone(),
        replayed,
    }
}

fn invalid(error: FieldError) -> LedgerError {
    LedgerError::invalid(&[error])
}

fn store_error(error: store::Error) -> LedgerError {
    LedgerError::Storage(match error {
        store::Error::NoSuchStore => format!("no key-value store labelled {STORE_LABEL}"),
        store::Error::AccessDenied => format!("access to key-value store {STORE_LABEL} denied"),
        store::Error::Other(text) => format!("key-value store: {text}"),
    })
}

fn error_to_wit(error: LedgerError) -> wit::LedgerError {
    match error {
        LedgerError::Invalid(text) => wit::LedgerError::Invalid(text),
        LedgerError::Unbalanced(text) => wit::LedgerError::Unbalanced(text),
        LedgerError::DuplicateId(text) => wit::LedgerError::DuplicateId(text),
        LedgerError::Conflict(attempts) => wit::LedgerError::Conflict(attempts),
        LedgerError::NotFound(text) => wit::LedgerError::NotFound(text),
        LedgerError::Storage(text) => wit::LedgerError::Storage(text),
    }
}

fn side_from_wit(side: wit::Side) -> ledger_core::Side {
    match side {
        wit::Side::Debit => ledger_core::Side::Debit,
        wit::Side::Credit => ledger_core::Side::Credit,
    }
}

fn side_to_wit(side: ledger_core::Side) -> wit::Side {
    match side {
        ledger_core::Side::Debit => wit::Side::Debit,
        ledger_core::Side::Credit => wit::Side::Credit,
    }
}

fn entry_from_wit(entry: wit::JournalEntry) -> ledger_core::JournalEntry {
    ledger_core::JournalEntry {
        id: entry.id,
        effective_date: entry.effective_date,
        description: entry.description,
        lines: entry
            .lines
            .into_iter()
            .map(|line| ledger_core::PostingLine {
                account: line.account,
                side: side_from_wit(line.side),
                amount: line.amount,
                currency: line.currency,
            })
            .collect(),
    }
}

fn stored_to_wit(stored: StoredEntry) -> wit::StoredEntry {
    let entry = stored.entry;
    wit::StoredEntry {
        sequence: stored.sequence,
        entry: wit::JournalEntry {
            id: entry.id,
            effective_date: entry.effective_date,
            description: entry.description,
            lines: entry
                .lines
                .into_iter()
                .map(|line| wit::PostingLine {
                    account: line.account,
                    side: side_to_wit(line.side),
                    amount: line.amount,
                    currency: line.currency,
                })
                .collect(),
        },
        previous_hash: stored.previous_hash,
        hash: stored.hash,
    }
}

fn balance_to_wit(balance: ledger_core::Balance) -> wit::Balance {
    wit::Balance {
        account: balance.account,
        currency: balance.currency,
        debits: balance.debits,
        credits: balance.credits,
        net: balance.net,
    }
}
