//! Pure double-entry ledger rules: validation, balancing, hash chain, book head.
//!
//! Everything the `lending:ledger` component decides is decided here, without I/O, so it
//! can be tested natively and exhaustively. The component only moves bytes between these
//! functions and the key-value store.
//!
//! The life of a journal entry:
//!
//! 1. [`validate_entry`] turns what a client submitted ([`JournalEntry`]) into a
//!    [`ValidEntry`]: ids, date, description, accounts and amounts checked, amounts parsed
//!    to integer minor units, debits equal to credits in every currency. A refusal names
//!    every offending field.
//! 2. [`BookHead::apply`] appends it to a book: the next sequence, the SHA-256 chain hash
//!    over the entry's [canonical form](ValidEntry::canonical_bytes), the running totals.
//!    The result is a new head (to compare-and-swap in) and the [`StoredEntry`] to keep.
//! 3. [`Verifier`] walks stored entries again, re-hashes and re-balances them, and compares
//!    the result with the head; [`Totals`] folds entries into balances as of a date, and
//!    [`TrialBalanceFolder`] sums every book's head.
//!
//! ```
//! use ledger_core::{BookHead, JournalEntry, PostingLine, Side, validate_entry};
//!
//! let entry = JournalEntry {
//!     id: "disburse-1".into(),
//!     effective_date: "2026-03-01".into(),
//!     description: "Loan disbursement".into(),
//!     lines: vec![
//!         PostingLine::new("loan-principal", Side::Debit, "1000", "USD"),
//!         PostingLine::new("cash", Side::Credit, "1000.00", "USD"),
//!     ],
//! };
//! let valid = validate_entry(&entry).unwrap();
//! let head = BookHead::genesis("loan-0042");
//! let (head, stored) = head.apply(&valid, None).unwrap();
//! assert_eq!(head.sequence, 1);
//! assert_eq!(stored.entry.lines[0].amount, "1000.00"); // normalised to the scale
//! assert_eq!(head.hash, stored.hash);
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod balances;
mod chain;
mod entry;
mod error;
mod head;
pub mod keys;
mod verify;

pub use balances::{Balance, CurrencyTotal, Totals, TrialBalance, TrialBalanceFolder};
pub use chain::{GENESIS_HASH, StoredEntry, chain_hash, decode_stored_entry};
pub use entry::{
    JournalEntry, PostingLine, Side, ValidEntry, ValidLine, parse_date, validate_book_id,
    validate_entry, validate_entry_id,
};
pub use error::{FieldError, LedgerError, split_field_errors};
pub use head::{AccountTotal, BookHead};
pub use verify::{Verification, Verifier};

/// Longest entry id, in characters. Fixed by the `lending:ledger` contract (1–128): long
/// enough for a UUID plus a prefix naming the job that posted it.
pub const ENTRY_ID_MAX_CHARS: usize = 128;

/// Longest book id, in characters. Book ids share the entry-id alphabet and are part of
/// storage keys, so they are bounded the same way.
pub const BOOK_ID_MAX_CHARS: usize = 128;

/// Longest description, in characters. Fixed by the contract (at most 256): a reason, not
/// a document.
pub const DESCRIPTION_MAX_CHARS: usize = 256;

/// Fewest lines in an entry: one debit and one credit.
pub const LINES_MIN: usize = 2;

/// Most lines in one entry. A disbursement net of several fees, or a payment allocated
/// over fees, interest and principal, takes a handful; 64 leaves room for unusual splits
/// while keeping one entry a few kilobytes.
pub const LINES_MAX: usize = 64;

/// Most entries a book head carries as `pending` (committed, their own keys perhaps not
/// written yet). A post that finds the list full writes all of its entries in one batch
/// before its swap, so the entries' own keys cost one durable write per this many posts
/// instead of one per post, besides the swap. Every post rewrites the head and readers
/// overlay the list, so it stays short: 8 typical entries keep the head a few KiB (even 8
/// entries of [`LINES_MAX`] lines stay far below a store's value limit).
pub const MAX_PENDING_ENTRIES: usize = 8;

/// Longest chart-of-accounts code, in characters: `loan-principal-past-due-90` is 26, but
/// hierarchical codes (`assets:loans:consumer:principal:past-due-90`) grow; 128 matches
/// the OpenAPI document.
pub const ACCOUNT_MAX_CHARS: usize = 128;

/// Most distinct (account, currency) pairs one book may hold. The head carries a running
/// total for each and is rewritten on every post, so this bounds the cost of a post; a
/// loan uses a few dozen accounts at most.
pub const BOOK_ACCOUNTS_MAX: usize = 256;

/// Most field errors reported for one refused entry; past this the caller has enough to
/// fix and the error text stays small.
pub const FIELD_ERRORS_MAX: usize = 16;

/// Largest page of entries one `entries` call returns (contract: limit 1–500).
pub const PAGE_LIMIT_MAX: u32 = 500;

/// Number of registry shards listing the books, for the trial balance and the portfolio
/// jobs (a shard is the daily accrual's partition). Sharding keeps each registry value
/// small and spreads the compare-and-swap traffic of new books: a million books are ~250
/// per shard (8 KiB), so a booking rewrites little and two bookings rarely meet.
pub const REGISTRY_SHARDS: u32 = 4096;

/// Largest state a book keeps (`lending:ledger/book-state`), in bytes: it is carried in the
/// head, which every commit rewrites, so it is meant for a loan's terms, events and
/// position (2,000 events of a long loan fit), not for documents.
pub const BOOK_STATE_MAX_BYTES: usize = 256 * 1024;
