//! The book head: the one record a post compare-and-swaps.

use serde::{Deserialize, Serialize};

use crate::BOOK_ACCOUNTS_MAX;
use crate::balances::{Balance, Totals};
use crate::chain::{GENESIS_HASH, StoredEntry, is_hash_hex};
use crate::entry::{ValidEntry, validate_book_id};
use crate::error::LedgerError;

/// Running totals of one account in one currency, in integer minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountTotal {
    /// Chart-of-accounts code.
    pub account: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Sum of debit lines, minor units, never negative.
    pub debits_minor: i64,
    /// Sum of credit lines, minor units, never negative.
    pub credits_minor: i64,
}

/// The head of a book (`ledger/book/{book}/head`): where the chain ends and what it sums to.
///
/// Every post replaces the head with compare-and-swap, so the head is the book's single
/// point of atomicity: sequence, hash, totals and the newest entry change together or not
/// at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookHead {
    /// The book this head belongs to.
    pub book: String,
    /// Sequence of the newest entry; 0 before the first.
    pub sequence: u64,
    /// Hash of the newest entry; [`GENESIS_HASH`] before the first.
    pub hash: String,
    /// Number of entries in the book (equal to `sequence`: entries are never removed).
    pub entry_count: u64,
    /// Running totals, sorted by account then currency, balanced per currency.
    pub totals: Vec<AccountTotal>,
    /// The newest entry, carried in the head so that committing it is the head's swap
    /// alone. Its own key (and its id key) may not be written yet: whoever reads the head
    /// next writes them (they are the same bytes whoever writes them).
    pub pending: Option<StoredEntry>,
}

impl BookHead {
    /// The head of a book without entries.
    pub fn genesis(book: &str) -> BookHead {
        BookHead {
            book: book.to_string(),
            sequence: 0,
            hash: GENESIS_HASH.to_string(),
            entry_count: 0,
            totals: Vec::new(),
            pending: None,
        }
    }

    /// Appends `entry`: returns the new head (with the entry as `pending`) and the stored
    /// entry. Refuses, changing nothing, when a running total would overflow or the book
    /// would hold more than [`BOOK_ACCOUNTS_MAX`] (account, currency) pairs.
    pub fn apply(&self, entry: &ValidEntry) -> Result<(BookHead, StoredEntry), LedgerError> {
        let before = self.running_totals().map_err(LedgerError::Storage)?;
        assert!(before.is_balanced(), "a head is balanced before a post");
        let sequence = self
            .sequence
            .checked_add(1)
            .ok_or_else(|| LedgerError::Storage("book sequence exhausted".to_string()))?;
        let mut after = before;
        after
            .add_entry(entry)
            .map_err(|problem| LedgerError::invalid_field("lines", &problem))?;
        if after.len() > BOOK_ACCOUNTS_MAX {
            return Err(LedgerError::invalid_field(
                "lines",
                &format!(
                    "the book would hold more than {BOOK_ACCOUNTS_MAX} account and currency pairs"
                ),
            ));
        }
        assert!(after.is_balanced(), "a head is balanced after a post");
        let stored = StoredEntry::seal(sequence, entry, &self.hash);
        let head = BookHead {
            book: self.book.clone(),
            sequence,
            hash: stored.hash.clone(),
            entry_count: self.entry_count + 1,
            totals: after.to_account_totals(),
            pending: Some(stored.clone()),
        };
        debug_assert_eq!(head.check(), Ok(()));
        Ok((head, stored))
    }

    /// The running totals as [`Totals`].
    pub fn running_totals(&self) -> Result<Totals, String> {
        let mut totals = Totals::new();
        totals.add_account_totals(&self.totals)?;
        Ok(totals)
    }

    /// Balances from the running totals, sorted by account then currency.
    pub fn balances(&self) -> Result<Vec<Balance>, LedgerError> {
        let totals = self.running_totals().map_err(LedgerError::Storage)?;
        Ok(totals.balances())
    }

    /// The id of the pending (newest) entry, if any.
    pub fn pending_id(&self) -> Option<&str> {
        self.pending.as_ref().map(|stored| stored.entry.id.as_str())
    }

    /// Checks the head's own invariants: a valid book id, count equal to sequence, a hash of
    /// the right shape, sorted non-negative totals that balance per currency, at most
    /// [`BOOK_ACCOUNTS_MAX`] of them, and a pending entry that is the newest entry and
    /// re-hashes to the head's hash.
    pub fn check(&self) -> Result<(), String> {
        validate_book_id(&self.book).map_err(|e| format!("head names a bad book: {e}"))?;
        if self.entry_count != self.sequence {
            return Err("head entry count differs from its sequence".to_string());
        }
        if !is_hash_hex(&self.hash) {
            return Err("head hash is not 64 lower-case hex digits".to_string());
        }
        let totals = self.running_totals()?;
        if totals.to_account_totals() != self.totals {
            return Err("head totals are negative, unsorted or repeated".to_string());
        }
        if totals.len() > BOOK_ACCOUNTS_MAX {
            return Err("head holds too many totals".to_string());
        }
        if !totals.is_balanced() {
            return Err("head totals do not balance".to_string());
        }
        if self.sequence == 0 {
            let empty = self.hash == GENESIS_HASH && self.totals.is_empty();
            if !empty || self.pending.is_some() {
                return Err("head without entries has a hash, totals or a pending entry".into());
            }
        }
        if let Some(pending) = &self.pending {
            if pending.sequence != self.sequence || pending.hash != self.hash {
                return Err("head pending entry is not its newest entry".to_string());
            }
            pending.check(self.sequence, &pending.previous_hash)?;
        }
        Ok(())
    }

    /// The bytes kept in the store (compact JSON).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a head always serialises")
    }

    /// Decodes the stored head of `book` and checks its invariants; anything unreadable
    /// is a [`LedgerError::Storage`] error, never a panic.
    pub fn decode(book: &str, bytes: &[u8]) -> Result<BookHead, LedgerError> {
        let head: BookHead = serde_json::from_slice(bytes).map_err(|error| {
            LedgerError::Storage(format!("unreadable head of book {book}: {error}"))
        })?;
        if head.book != book {
            return Err(LedgerError::Storage(format!(
                "the head stored for book {book} belongs to another book"
            )));
        }
        head.check()
            .map_err(|problem| LedgerError::Storage(format!("book {book}: {problem}")))?;
        Ok(head)
    }
}
