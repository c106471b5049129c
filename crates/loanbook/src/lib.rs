//! A loan's book on the ledger, for the servicing components (onboarding, payments, loans).
//!
//! A loan is one ledger book whose state — the loan's terms, events and position
//! ([`servicing::Loan`]) — is committed with each of its entries in one step, through
//! `lending:ledger/book-state`: the loan and its entries can never disagree. [`change`]
//! is the one way to change a loan: read the book, let the caller change the loan, post
//! the difference between the book and the loan's new position as one entry, commit both
//! against the version read, and start again from a fresh read when another change got
//! there first.
#![deny(missing_docs)]

mod bindings {
    spin_sdk::wit_bindgen::generate!({
        world: "lending:ledger/servicing-client",
        path: ["../../wit/deps/keyvalue", "../../wit/deps/random", "../../wit/ledger.wit"],
        runtime_path: "::spin_sdk::wit_bindgen::rt",
    });
}

use bindings::lending::ledger::book_state::{self, CommitError};
use bindings::lending::ledger::ledger;
use bindings::lending::ledger::types as wit;
use chrono::NaiveDate;
use lendkit::Problem;
use lendmath::money::Money;
use servicing::Loan;
use servicing::accounts;

pub mod accrual;
pub mod books;
pub mod calendar;
pub mod views;

pub use bindings::lending::ledger::types::{Side, StoredEntry};

/// Most times a change is computed again because another change committed first.
pub const ATTEMPTS_MAX: u32 = 32;

/// A loan's book as read.
#[derive(Debug, Clone)]
pub struct Book {
    /// The loan.
    pub loan: Loan,
    /// The book's newest entry.
    pub sequence: u64,
    /// The book's accounts: (account, net in minor units).
    pub balances: Vec<(String, i64)>,
}

/// What a change wants written.
pub struct Entry {
    /// The entry's id: the idempotency of the change (a retried change posts the same id).
    pub id: String,
    /// Its effective date.
    pub date: NaiveDate,
    /// What it is, for a reader of the book; never personal data.
    pub description: String,
}

/// What the caller of [`change`] decided.
pub enum Decision<T> {
    /// Commit the loan as changed, with this entry.
    Write(Box<Loan>, Entry, T),
    /// Commit the loan as changed, with this entry, if the change moves money on its book;
    /// when it moves none, write nothing and answer the changed loan (`written` false) —
    /// for a change any later event replays the same, such as advancing to a calendar date.
    WriteIfMoving(Box<Loan>, Entry, T),
    /// Nothing to write (the change was made before): answer this.
    Keep(T),
}

/// What a change did.
pub struct Changed<T> {
    /// What the caller answered.
    pub value: T,
    /// The loan after the change.
    pub loan: Loan,
    /// False when nothing was written (the change was there already, or moved no money).
    pub written: bool,
    /// The book's newest entry after the change.
    pub sequence: u64,
}

fn storage_problem(error: &wit::LedgerError) -> Problem {
    match error {
        wit::LedgerError::Conflict(_) => {
            Problem::unavailable("the loan is busy; retry the request").retryable(true)
        }
        wit::LedgerError::NotFound(_) => Problem::not_found("no such loan"),
        wit::LedgerError::Invalid(text) | wit::LedgerError::Unbalanced(text) => {
            Problem::internal(format!("the ledger refused a servicing entry: {text}"))
        }
        wit::LedgerError::DuplicateId(_) => {
            Problem::conflict("this request's id was used before for another change of the loan")
        }
        wit::LedgerError::Storage(_) => {
            Problem::unavailable("the ledger's storage is unavailable").retryable(true)
        }
    }
}

/// The net (debits minus credits) of a ledger balance, in minor units.
fn net_minor(balance: &wit::Balance) -> Result<i64, Problem> {
    let currency = lendmath::money::Currency::from_code(&balance.currency)
        .map_err(|_| Problem::internal("a loan's book holds an unknown currency"))?;
    Money::parse(&balance.net, currency)
        .map(|m| m.to_minor())
        .map_err(|_| Problem::internal("a loan's book holds an unreadable balance"))
}

/// A book as read: its loan (none for a new book), its sequence, its balances.
type Snapshot = (Option<Loan>, u64, Vec<(String, i64)>);

fn read_snapshot(loan_id: &str) -> Result<Snapshot, Problem> {
    let snapshot = book_state::read(loan_id).map_err(|e| match e {
        wit::LedgerError::Invalid(_) => Problem::not_found("no such loan"),
        other => storage_problem(&other),
    })?;
    let loan = match &snapshot.state {
        Some(state) => Some(Loan::from_state(state).map_err(|e| Problem::internal(e.to_string()))?),
        None if snapshot.sequence > 0 => {
            return Err(Problem::not_found("no such loan"));
        }
        None => None,
    };
    let balances = snapshot
        .balances
        .iter()
        .map(|b| Ok((b.account.clone(), net_minor(b)?)))
        .collect::<Result<_, Problem>>()?;
    Ok((loan, snapshot.sequence, balances))
}

/// The loan `loan_id` and its book; `None` when there is no such loan.
pub fn read(loan_id: &str) -> Result<Option<Book>, Problem> {
    let (loan, sequence, balances) = read_snapshot(loan_id)?;
    Ok(loan.map(|loan| Book {
        loan,
        sequence,
        balances,
    }))
}

/// Changes loan `loan_id`: `decide` gets the loan as read (`None` for a new book) and
/// says what to write; the entry moving the book to the loan's new position is committed
/// with the loan's state, against the version read. When another change committed first,
/// `decide` runs again on the fresh loan (at most [`ATTEMPTS_MAX`] times).
pub fn change<T>(
    loan_id: &str,
    mut decide: impl FnMut(Option<Loan>) -> Result<Decision<T>, Problem>,
) -> Result<Changed<T>, Problem> {
    let kv = lendkit::idempotency::open(calendar::STORE)?;
    for _ in 0..ATTEMPTS_MAX {
        let (loan, sequence, balances) = read_snapshot(loan_id)?;
        let booked = loan.is_some();
        let (loan, entry, value, moving_only) = match decide(loan.clone())? {
            Decision::Keep(value) => {
                let loan = loan.ok_or_else(|| Problem::not_found("no such loan"))?;
                return Ok(Changed {
                    value,
                    loan,
                    written: false,
                    sequence,
                });
            }
            Decision::Write(loan, entry, value) => (*loan, entry, value, false),
            Decision::WriteIfMoving(loan, entry, value) => (*loan, entry, value, true),
        };
        let targets = accounts::targets(&loan.terms, &loan.position)
            .map_err(|e| Problem::internal(e.to_string()))?;
        let lines = accounts::lines(&loan.terms, &targets, &balances);
        if moving_only && lines.is_empty() {
            return Ok(Changed {
                value,
                loan,
                written: false,
                sequence,
            });
        }
        let journal = wit::JournalEntry {
            id: entry.id,
            effective_date: entry.date.to_string(),
            description: entry.description,
            lines: lines
                .iter()
                .map(|line| wit::PostingLine {
                    account: line.account.to_string(),
                    side: match line.side {
                        accounts::Side::Debit => wit::Side::Debit,
                        accounts::Side::Credit => wit::Side::Credit,
                    },
                    amount: line.amount.to_decimal_string(),
                    currency: line.amount.currency().code().to_string(),
                })
                .collect(),
        };
        // A change of a booked loan is counted before it commits, so the daily accrual
        // never misses one (see `portfolio::accrual`); a booking needs no count: the accrual
        // reads a loan's book when it first meets it.
        if booked {
            lendstore::Kv::increment(&kv, &portfolio::partition::moved_key(loan_id), 1)?;
        }
        match book_state::commit(loan_id, sequence, &journal, &loan.to_state()) {
            Ok(receipt) => {
                return Ok(Changed {
                    value,
                    loan,
                    written: !receipt.replayed,
                    sequence: receipt.sequence,
                });
            }
            Err(CommitError::Stale(_)) => continue,
            Err(CommitError::Refused(error)) => return Err(storage_problem(&error)),
        }
    }
    Err(Problem::unavailable("the loan is busy; retry the request").retryable(true))
}

/// A page of the loan's entries, oldest first, after sequence `after`.
pub fn entries(
    loan_id: &str,
    after: Option<u64>,
    limit: u32,
) -> Result<(Vec<StoredEntry>, Option<u64>), Problem> {
    let page = ledger::entries(loan_id, after, limit).map_err(|e| storage_problem(&e))?;
    Ok((page.entries, page.next_after))
}

/// The signed amount of an entry line on the net (debits minus credits) of its account,
/// in minor units.
pub fn signed_minor(line: &wit::PostingLine) -> Result<i64, Problem> {
    let currency = lendmath::money::Currency::from_code(&line.currency)
        .map_err(|_| Problem::internal("a loan's entry holds an unknown currency"))?;
    let amount = Money::parse(&line.amount, currency)
        .map_err(|_| Problem::internal("a loan's entry holds an unreadable amount"))?
        .to_minor();
    Ok(match line.side {
        wit::Side::Debit => amount,
        wit::Side::Credit => -amount,
    })
}
