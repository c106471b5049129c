//! The ledger component: exports `lending:ledger/ledger` and `lending:ledger/book-state`
//! over `wasi:keyvalue`.
//!
//! Every rule lives in `ledger-core`; this crate only moves bytes between those pure
//! functions and the key-value store labelled `ledger`.
//!
//! # Storage protocol
//!
//! Keys (see `ledger_core::keys`):
//!
//! * `ledger/book/{book}/head` — the [`BookHead`]: sequence, hash, running totals and the
//!   newest entries as `pending` (at most `ledger_core::MAX_PENDING_ENTRIES`), then, for a
//!   book with a state, a newline and the state's raw bytes. Every post
//!   is one compare-and-swap of this key, so a book changes atomically with only per-key
//!   CAS.
//! * `ledger/book/{book}/entry/{sequence:020}` — a [`StoredEntry`].
//! * `ledger/book/{book}/id/{entry_id}` — the sequence posted with that id.
//! * `ledger/registry/{shard:02}` — sorted JSON list of the book ids in that shard, for the
//!   trial balance.
//!
//! A post reads the head through a CAS handle and checks the id for a replay against the
//! head's `pending` entries and the id index. The pending entries are committed (they are
//! in the head) but their entry and id keys may not be written yet. When the list is full,
//! the post first writes all of its entries' missing keys in one `set-many`
//! ("materialises" them: same bytes whoever writes them) and builds the next head with
//! the new entry alone as `pending`; otherwise the new entry is appended. Then it swaps.
//! In steady state a post is one durable write, the swap, plus one batch per
//! `MAX_PENDING_ENTRIES` posts; readers fall back to the pending entries (of their head,
//! or of a newer one) for keys not written yet. `verify` only reads: stored entries are
//! checked as stored, pending ones from the head.
//!
//! Every change goes through `lendstore`, so it holds on Spin's weaker stores too: a
//! book's head (and a registry shard) is created by the one writer its claim key's atomic
//! increment elects, never by a swap from absence; a swap the store reports as failed is
//! checked by reading the head again, and counts as this post's when the head holds the
//! entry with this request's random commit token (another token: a replay).
//!
//! Invariant: every entry with a sequence up to `sequence - pending.len()` is
//! materialised, because the writer that shrinks the pending list materialised those
//! entries against the very head version it swaps. A brand-new book is added to its
//! registry shard before its head is created, so the trial balance never misses a book
//! with entries.
#![deny(missing_docs)]

mod bindings {
    wit_bindgen::generate!({
        world: "lending:ledger/ledger-provider",
        path: ["../../wit/deps/keyvalue", "../../wit/deps/random", "../../wit/ledger.wit"],
        generate_all,
    });
}

mod protocol;

use bindings::exports::lending::ledger::book_state;
use bindings::lending::ledger::types as wit;
use ledger_core::{LedgerError, StoredEntry};
use lendstore::wasi::WasiKv;
pub use protocol::MAX_CAS_ATTEMPTS;

/// Label of the key-value store the ledger keeps its books in (declared in `spin.toml`).
pub const STORE_LABEL: &str = "ledger";

/// Random bytes in a commit token. Tokens only tell apart requests posting the same entry
/// to the same book; 64 bits make a collision negligible, and every byte is carried by
/// each pending entry in the head.
const COMMIT_TOKEN_BYTES: u64 = 8;

/// Opens the store labelled [`STORE_LABEL`].
fn open_store() -> Result<WasiKv, LedgerError> {
    Ok(WasiKv::open(STORE_LABEL)?)
}

/// A fresh random commit token (hex) for one post.
fn commit_token() -> String {
    let bytes = bindings::wasi::random::random::get_random_bytes(COMMIT_TOKEN_BYTES);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The exported `lending:ledger/ledger` interface.
pub struct Ledger;

// Only in the guest: a native cdylib cannot link the export names; natively the crate is
// an rlib whose protocol is tested over an in-memory store.
#[cfg(target_arch = "wasm32")]
bindings::export!(Ledger with_types_in bindings);

impl bindings::exports::lending::ledger::ledger::Guest for Ledger {
    fn post(book: String, entry: wit::JournalEntry) -> Result<wit::Receipt, wit::LedgerError> {
        let posted = open_store()
            .and_then(|kv| protocol::post(&kv, &book, &entry_from_wit(entry), &commit_token()))
            .map_err(error_to_wit)?;
        Ok(receipt(&book, &posted.stored, posted.replayed))
    }

    fn get_entry(book: String, id: String) -> Result<wit::StoredEntry, wit::LedgerError> {
        open_store()
            .and_then(|kv| protocol::get_entry(&kv, &book, &id))
            .map(stored_to_wit)
            .map_err(error_to_wit)
    }

    fn balances(
        book: String,
        as_of: Option<String>,
    ) -> Result<Vec<wit::Balance>, wit::LedgerError> {
        open_store()
            .and_then(|kv| protocol::balances(&kv, &book, as_of.as_deref()))
            .map(|list| list.into_iter().map(balance_to_wit).collect())
            .map_err(error_to_wit)
    }

    fn entries(
        book: String,
        after: Option<u64>,
        limit: u32,
    ) -> Result<wit::EntryPage, wit::LedgerError> {
        open_store()
            .and_then(|kv| protocol::entries(&kv, &book, after, limit))
            .map(|(entries, next_after)| wit::EntryPage {
                entries: entries.into_iter().map(stored_to_wit).collect(),
                next_after,
            })
            .map_err(error_to_wit)
    }

    fn verify(book: String) -> Result<wit::Verification, wit::LedgerError> {
        open_store()
            .and_then(|kv| protocol::verify(&kv, &book))
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
        open_store()
            .and_then(|kv| protocol::trial_balance(&kv))
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

impl bindings::exports::lending::ledger::book_state::Guest for Ledger {
    fn read(book: String) -> Result<book_state::Snapshot, wit::LedgerError> {
        let (sequence, state, balances) = open_store()
            .and_then(|kv| protocol::read_state(&kv, &book))
            .map_err(error_to_wit)?;
        Ok(book_state::Snapshot {
            sequence,
            state,
            balances: balances.into_iter().map(balance_to_wit).collect(),
        })
    }

    fn commit(
        book: String,
        expected_sequence: u64,
        entry: wit::JournalEntry,
        state: String,
    ) -> Result<wit::Receipt, book_state::CommitError> {
        let refused = |error| book_state::CommitError::Refused(error_to_wit(error));
        let kv = open_store().map_err(refused)?;
        let posted = protocol::commit(
            &kv,
            &book,
            expected_sequence,
            &entry_from_wit(entry),
            &state,
            &commit_token(),
        )
        .map_err(|error| match error {
            protocol::CommitError::Stale(sequence) => book_state::CommitError::Stale(sequence),
            protocol::CommitError::Refused(error) => refused(error),
        })?;
        Ok(receipt(&book, &posted.stored, posted.replayed))
    }
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

fn entry_to_wit(entry: ledger_core::JournalEntry) -> wit::JournalEntry {
    wit::JournalEntry {
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
    }
}

fn stored_to_wit(stored: StoredEntry) -> wit::StoredEntry {
    wit::StoredEntry {
        sequence: stored.sequence,
        entry: entry_to_wit(stored.entry),
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
