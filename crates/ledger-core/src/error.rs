//! Why the ledger refuses an operation.

use core::fmt;

/// One problem with one field of a request, e.g. `lines[1].amount`: `must be positive`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field: `id`, `effective_date`, `lines[0].currency`, `book`.
    pub field: String,
    /// What is wrong, safe to show a client (never echoes the value in full).
    pub message: String,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        let error = FieldError {
            field: field.into(),
            message: message.into(),
        };
        // The error text is one problem per line, `field: message`.
        debug_assert!(!error.field.contains('\n') && !error.field.contains(": "));
        debug_assert!(!error.message.contains('\n'));
        error
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Why an operation was refused; mirrors `lending:ledger/types.ledger-error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerError {
    /// The request is malformed: one `field: message` problem per line.
    Invalid(String),
    /// Debits differ from credits in a currency: one `CUR: debits X, credits Y` per line.
    Unbalanced(String),
    /// The id was already used in this book for an entry with different content.
    DuplicateId(String),
    /// Concurrent writers kept winning; gave up after this many attempts. Safe to retry.
    Conflict(u32),
    /// No such book or entry.
    NotFound(String),
    /// The key-value store failed or holds data the ledger cannot read.
    Storage(String),
}

impl LedgerError {
    /// An `Invalid` error from field problems, one per line.
    pub fn invalid(errors: &[FieldError]) -> LedgerError {
        assert!(
            !errors.is_empty(),
            "an invalid request names at least one field"
        );
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        LedgerError::Invalid(text.join("\n"))
    }

    /// An `Invalid` error for a single field.
    pub fn invalid_field(field: &str, message: &str) -> LedgerError {
        LedgerError::invalid(&[FieldError::new(field, message)])
    }
}

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerError::Invalid(text) => write!(f, "invalid: {text}"),
            LedgerError::Unbalanced(text) => write!(f, "unbalanced: {text}"),
            LedgerError::DuplicateId(text) => write!(f, "duplicate id: {text}"),
            LedgerError::Conflict(attempts) => {
                write!(f, "conflict: gave up after {attempts} attempts")
            }
            LedgerError::NotFound(text) => write!(f, "not found: {text}"),
            LedgerError::Storage(text) => write!(f, "storage: {text}"),
        }
    }
}

impl std::error::Error for LedgerError {}

/// Splits the text of an `invalid` error back into field problems: one `field: message` per
/// line. A line without `": "` becomes a problem of the field `entry`.
///
/// ```
/// let errors = ledger_core::split_field_errors("id: is empty\nlines[1].amount: must be positive");
/// assert_eq!(errors[1].field, "lines[1].amount");
/// assert_eq!(errors[1].message, "must be positive");
/// ```
pub fn split_field_errors(text: &str) -> Vec<FieldError> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| match line.split_once(": ") {
            Some((field, message)) => FieldError {
                field: field.to_string(),
                message: message.to_string(),
            },
            None => FieldError {
                field: "entry".to_string(),
                message: line.to_string(),
            },
        })
        .collect()
}

impl From<lendstore::StoreError> for LedgerError {
    fn from(error: lendstore::StoreError) -> LedgerError {
        match error {
            lendstore::StoreError::Backend(_) => LedgerError::Storage(error.to_string()),
            // Both say: another writer holds the book right now; a retry can succeed.
            lendstore::StoreError::CreationPending => {
                LedgerError::Conflict(lendstore::CREATE_WAIT_POLLS)
            }
            lendstore::StoreError::Contended(attempts) => LedgerError::Conflict(attempts),
        }
    }
}
