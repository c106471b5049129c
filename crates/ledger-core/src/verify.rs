//! Re-computing a book's chain and balances from its stored entries.

use crate::balances::Totals;
use crate::chain::{GENESIS_HASH, StoredEntry};
use crate::head::BookHead;

/// The outcome of re-computing a book's hash chain and balances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The book checked.
    pub book: String,
    /// How many entries were re-hashed.
    pub entries_checked: u64,
    /// The hash the book's head records.
    pub head_hash: String,
    /// True when every entry re-hashes, links, balances, and the recomputed balances
    /// equal the head's.
    pub intact: bool,
    /// The first sequence found broken, when not intact.
    pub first_broken_sequence: Option<u64>,
    /// What was wrong, when not intact.
    pub problem: Option<String>,
}

/// Walks a book's stored entries in sequence order and checks them against the head.
///
/// Entries are fed one at a time, so a book of any length is verified in constant memory
/// (apart from its totals). After the first broken entry the rest are ignored.
///
/// ```
/// use ledger_core::{BookHead, JournalEntry, PostingLine, Side, Verifier, validate_entry};
/// let entry = JournalEntry {
///     id: "a".into(),
///     effective_date: "2026-01-31".into(),
///     description: String::new(),
///     lines: vec![
///         PostingLine::new("cash", Side::Debit, "5", "USD"),
///         PostingLine::new("equity", Side::Credit, "5", "USD"),
///     ],
/// };
/// let (head, stored) = BookHead::genesis("b").apply(&validate_entry(&entry).unwrap(), None).unwrap();
/// let mut verifier = Verifier::new("b");
/// verifier.push(1, Ok(stored));
/// assert!(verifier.finish(&head).intact);
/// ```
#[derive(Debug, Clone)]
pub struct Verifier {
    book: String,
    next_sequence: u64,
    previous_hash: String,
    totals: Totals,
    checked: u64,
    broken: Option<(u64, String)>,
}

impl Verifier {
    /// Starts at sequence 1 after the genesis hash.
    pub fn new(book: &str) -> Verifier {
        Verifier {
            book: book.to_string(),
            next_sequence: 1,
            previous_hash: GENESIS_HASH.to_string(),
            totals: Totals::new(),
            checked: 0,
            broken: None,
        }
    }

    /// True once an entry was found broken; further entries need not be read.
    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    /// The next sequence [`Verifier::push`] expects.
    pub fn next_sequence(&self) -> u64 {
        self.next_sequence
    }

    /// Feeds the entry stored at `sequence`, or why it could not be read. Sequences must
    /// be fed in order from 1.
    pub fn push(&mut self, sequence: u64, stored: Result<StoredEntry, String>) {
        if self.broken.is_some() {
            return;
        }
        assert_eq!(
            sequence, self.next_sequence,
            "entries are verified in order"
        );
        self.next_sequence += 1;
        self.checked += 1;
        let stored = match stored {
            Ok(stored) => stored,
            Err(problem) => {
                self.broken = Some((sequence, problem));
                return;
            }
        };
        let valid = match stored.check(sequence, &self.previous_hash) {
            Ok(valid) => valid,
            Err(problem) => {
                self.broken = Some((sequence, problem));
                return;
            }
        };
        if let Err(problem) = self.totals.add_entry(&valid) {
            self.broken = Some((sequence, problem));
            return;
        }
        // A valid entry balances, so the running totals must still balance.
        assert!(self.totals.is_balanced());
        self.previous_hash = stored.hash;
    }

    /// Compares what was walked with the head and reports.
    pub fn finish(self, head: &BookHead) -> Verification {
        let broken = self.broken.or_else(|| {
            let walked = self.next_sequence - 1;
            if walked != head.sequence {
                Some((
                    walked + 1,
                    format!(
                        "walked {walked} entries but the head is at {}",
                        head.sequence
                    ),
                ))
            } else if self.previous_hash != head.hash {
                Some((
                    head.sequence,
                    "the head hash differs from the last entry".into(),
                ))
            } else if self.totals.to_account_totals() != head.totals {
                Some((
                    head.sequence,
                    "recomputed balances differ from the head's running balances".into(),
                ))
            } else {
                None
            }
        });
        Verification {
            book: self.book,
            entries_checked: self.checked,
            head_hash: head.hash.clone(),
            intact: broken.is_none(),
            first_broken_sequence: broken.as_ref().map(|(sequence, _)| *sequence),
            problem: broken.map(|(_, problem)| problem),
        }
    }
}
