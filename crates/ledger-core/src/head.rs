//! The book head: the one record a post compare-and-swaps.

use serde::{Deserialize, Deserializer, Serialize};

use crate::balances::{Balance, Totals};
use crate::chain::{GENESIS_HASH, StoredEntry, is_hash_hex};
use crate::entry::{ValidEntry, validate_book_id};
use crate::error::LedgerError;
use crate::{BOOK_ACCOUNTS_MAX, BOOK_STATE_MAX_BYTES, MAX_PENDING_ENTRIES};

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
/// point of atomicity: sequence, hash, totals and the newest entries change together or not
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
    /// The newest entries, oldest first, at most [`MAX_PENDING_ENTRIES`], ending with the
    /// entry at `sequence`. They are carried in the head so that committing an entry is the
    /// head's swap alone; their own keys (and id keys) may not be written yet. Invariant:
    /// every entry with a sequence up to `sequence - pending.len()` is written under its
    /// own keys, because the writer that empties the list writes all of them first.
    ///
    /// Stored as a JSON list; heads written when this was a single entry (an object, or
    /// `null`) still decode, as a list of one (or none).
    #[serde(deserialize_with = "pending_list")]
    pub pending: Vec<StoredEntry>,
    /// The state a servicing component keeps with the book (`lending:ledger/book-state`),
    /// at most [`BOOK_STATE_MAX_BYTES`], committed with the newest entry. A book with a
    /// state takes entries only with a new state.
    ///
    /// Stored raw after the head's JSON (see [`BookHead::to_bytes`]), never escaped into
    /// it; heads written with the state as a JSON field still decode.
    #[serde(default, skip_serializing)]
    pub state: Option<String>,
}

/// Ends a stored head's JSON when a state follows it. Compact JSON never holds a raw
/// newline (one inside a string is escaped), so the first one splits the two parts.
const STATE_SEPARATOR: u8 = b'\n';

/// The stored forms of [`BookHead::pending`]: the current list, or the earlier single entry.
#[derive(Deserialize)]
#[serde(untagged)]
enum PendingForm {
    List(Vec<StoredEntry>),
    One(Box<StoredEntry>),
}

fn pending_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<StoredEntry>, D::Error> {
    Ok(match Option::<PendingForm>::deserialize(deserializer)? {
        None => Vec::new(),
        Some(PendingForm::One(stored)) => vec![*stored],
        Some(PendingForm::List(list)) => list,
    })
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
            pending: Vec::new(),
            state: None,
        }
    }

    /// The pending entries the next post must write under their own keys before it swaps
    /// in the head [`BookHead::apply`] builds from this one: all of them when the list is
    /// full (that head keeps only the new entry), none otherwise.
    pub fn to_materialise(&self) -> &[StoredEntry] {
        if self.pending.len() >= MAX_PENDING_ENTRIES {
            &self.pending
        } else {
            &[]
        }
    }

    /// Appends `entry`, committed by the request holding `commit`: returns the new head
    /// and the stored entry. The new head's pending
    /// list is this head's with the entry appended or, when this head's list is full, the
    /// entry alone: the caller must then have written every entry of
    /// [`BookHead::to_materialise`] under its own keys, and swap the new head in against
    /// this very head's version. Refuses, changing nothing, when a running total would
    /// overflow or the book would hold more than [`BOOK_ACCOUNTS_MAX`] (account, currency)
    /// pairs.
    pub fn apply(
        &self,
        entry: &ValidEntry,
        commit: Option<&str>,
    ) -> Result<(BookHead, StoredEntry), LedgerError> {
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
        let stored = StoredEntry::seal(sequence, entry, &self.hash, commit);
        let mut pending = if self.pending.len() >= MAX_PENDING_ENTRIES {
            Vec::with_capacity(1)
        } else {
            self.pending.clone()
        };
        pending.push(stored.clone());
        let head = BookHead {
            book: self.book.clone(),
            sequence,
            hash: stored.hash.clone(),
            entry_count: self.entry_count + 1,
            totals: after.to_account_totals(),
            pending,
            state: self.state.clone(),
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

    /// The pending entry posted with `id`, if any.
    pub fn pending_with_id(&self, id: &str) -> Option<&StoredEntry> {
        self.pending.iter().find(|stored| stored.entry.id == id)
    }

    /// The pending entry at `sequence`, if any.
    pub fn pending_at(&self, sequence: u64) -> Option<&StoredEntry> {
        let first = self.pending.first()?.sequence;
        let index = usize::try_from(sequence.checked_sub(first)?).ok()?;
        self.pending.get(index)
    }

    /// Checks the head's own invariants: a valid book id, count equal to sequence, a hash of
    /// the right shape, sorted non-negative totals that balance per currency, at most
    /// [`BOOK_ACCOUNTS_MAX`] of them, and at most [`MAX_PENDING_ENTRIES`] pending entries
    /// with consecutive sequences ending at the head's, each re-hashing and linking to the
    /// one before, the last to the head's hash.
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
            if !empty || !self.pending.is_empty() {
                return Err("head without entries has a hash, totals or a pending entry".into());
            }
        }
        if self.pending.len() > MAX_PENDING_ENTRIES {
            return Err("head holds too many pending entries".to_string());
        }
        if let Some(state) = &self.state {
            if self.sequence == 0 {
                return Err("head without entries has a state".to_string());
            }
            if state.len() > BOOK_STATE_MAX_BYTES {
                return Err("head state is too large".to_string());
            }
        }
        let Some(last) = self.pending.last() else {
            return Ok(());
        };
        if last.sequence != self.sequence || last.hash != self.hash {
            return Err("head pending entries do not end with its newest entry".to_string());
        }
        // Consecutive sequences ending at the head's: the first is sequence - len + 1 >= 1.
        let count = self.pending.len() as u64;
        if count > self.sequence {
            return Err("head holds more pending entries than entries".to_string());
        }
        let mut previous_hash = self.pending[0].previous_hash.clone();
        if self.sequence == count && previous_hash != GENESIS_HASH {
            return Err("head pending entry 1 does not follow the genesis hash".to_string());
        }
        for (stored, sequence) in self.pending.iter().zip(self.sequence - count + 1..) {
            stored.check(sequence, &previous_hash)?;
            previous_hash.clone_from(&stored.hash);
        }
        Ok(())
    }

    /// The bytes kept in the store: the head as compact JSON and, when the book keeps a
    /// state, a newline and the state's own bytes. The state is neither escaped on the
    /// way in nor parsed on the way out: a commit copies it, whatever its size.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(1024 + self.state.as_ref().map_or(0, String::len));
        serde_json::to_writer(&mut bytes, self).expect("a head always serialises");
        if let Some(state) = &self.state {
            bytes.push(STATE_SEPARATOR);
            bytes.extend_from_slice(state.as_bytes());
        }
        bytes
    }

    /// Decodes the stored head of `book` and checks its invariants; anything unreadable
    /// is a [`LedgerError::Storage`] error, never a panic.
    pub fn decode(book: &str, bytes: &[u8]) -> Result<BookHead, LedgerError> {
        let unreadable = |error: &dyn std::fmt::Display| {
            LedgerError::Storage(format!("unreadable head of book {book}: {error}"))
        };
        let (json, state) = match bytes.iter().position(|b| *b == STATE_SEPARATOR) {
            Some(at) => (&bytes[..at], Some(&bytes[at + 1..])),
            None => (bytes, None),
        };
        let mut head: BookHead = serde_json::from_slice(json).map_err(|e| unreadable(&e))?;
        if let Some(state) = state {
            if head.state.is_some() {
                return Err(unreadable(&"a state both inside and after the head"));
            }
            let state = std::str::from_utf8(state).map_err(|e| unreadable(&e))?;
            head.state = Some(state.to_string());
        }
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
