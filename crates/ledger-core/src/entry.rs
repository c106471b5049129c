//! Journal entries as submitted, and their validation into [`ValidEntry`].

use std::collections::BTreeMap;

use chrono::NaiveDate;
use lendmath::money::{Currency, Money};
use serde::{Deserialize, Serialize};

use crate::error::{FieldError, LedgerError};
use crate::{
    ACCOUNT_MAX_CHARS, BOOK_ID_MAX_CHARS, DESCRIPTION_MAX_CHARS, ENTRY_ID_MAX_CHARS,
    FIELD_ERRORS_MAX, LINES_MAX, LINES_MIN,
};

/// Which column of the account a line is written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Increases asset and expense accounts.
    Debit,
    /// Increases liability, income and equity accounts.
    Credit,
}

impl Side {
    /// `"debit"` or `"credit"`, as in the canonical form and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Debit => "debit",
            Side::Credit => "credit",
        }
    }
}

/// One line of a journal entry, as submitted (amount still text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostingLine {
    /// Chart-of-accounts code, lower-case words joined by `-` or `:`.
    pub account: String,
    /// Debit or credit.
    pub side: Side,
    /// Positive decimal in the currency's major unit, at most its minor-unit scale.
    pub amount: String,
    /// ISO 4217 alphabetic code.
    pub currency: String,
}

impl PostingLine {
    /// A line from borrowed parts, handy in tests and examples.
    pub fn new(account: &str, side: Side, amount: &str, currency: &str) -> PostingLine {
        PostingLine {
            account: account.to_string(),
            side,
            amount: amount.to_string(),
            currency: currency.to_string(),
        }
    }
}

/// A journal entry as a client submits it, and (normalised) as it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalEntry {
    /// Idempotency key, unique within the book.
    pub id: String,
    /// Accounting date, `YYYY-MM-DD`.
    pub effective_date: String,
    /// Human-readable reason.
    pub description: String,
    /// Two or more lines, balanced per currency.
    pub lines: Vec<PostingLine>,
}

/// A validated line: the amount is exact money, positive, in a known currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidLine {
    account: String,
    side: Side,
    amount: Money,
}

impl ValidLine {
    /// Chart-of-accounts code.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// Debit or credit.
    pub fn side(&self) -> Side {
        self.side
    }

    /// The amount; always positive.
    pub fn amount(&self) -> Money {
        self.amount
    }

    /// The amount in integer minor units; always positive.
    pub fn amount_minor(&self) -> i64 {
        self.amount.to_minor()
    }

    /// The currency of the line.
    pub fn currency(&self) -> Currency {
        self.amount.currency()
    }
}

/// A journal entry that passed every rule: the only kind a book accepts.
///
/// Obtainable only from [`validate_entry`], so holding one proves the entry is well formed
/// and balanced per currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidEntry {
    id: String,
    effective_date: NaiveDate,
    effective_date_text: String,
    description: String,
    lines: Vec<ValidLine>,
}

/// Version tag at the start of the canonical form; a new encoding gets a new tag, so two
/// encodings can never produce the same bytes for different entries.
const CANONICAL_TAG: &[u8] = b"lendwork-ledger-entry-v1\n";

impl ValidEntry {
    /// The entry's idempotency key.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The accounting date.
    pub fn effective_date(&self) -> NaiveDate {
        self.effective_date
    }

    /// The description.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The lines, in submitted order.
    pub fn lines(&self) -> &[ValidLine] {
        &self.lines
    }

    /// The entry in normalised form: amounts at exactly the currency's scale (`"125.40"`,
    /// never `"125.4"`), as stored and returned.
    pub fn to_journal_entry(&self) -> JournalEntry {
        JournalEntry {
            id: self.id.clone(),
            effective_date: self.effective_date_text.clone(),
            description: self.description.clone(),
            lines: self
                .lines
                .iter()
                .map(|line| PostingLine {
                    account: line.account.clone(),
                    side: line.side,
                    amount: line.amount.to_decimal_string(),
                    currency: line.currency().code().to_string(),
                })
                .collect(),
        }
    }

    /// The deterministic bytes the hash chain is computed over.
    ///
    /// A version tag line, then each field as `name=<byte length>:<bytes>\n`: `id`,
    /// `effective_date`, `description`, `lines` (the count), and per line `account`, `side`,
    /// `currency`, `amount` (normalised decimal). Length prefixes make the encoding
    /// unambiguous whatever the description contains; normalised amounts make `"125.4"`
    /// and `"125.40"` the same entry.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + self.lines.len() * 64);
        out.extend_from_slice(CANONICAL_TAG);
        put_field(&mut out, "id", &self.id);
        put_field(&mut out, "effective_date", &self.effective_date_text);
        put_field(&mut out, "description", &self.description);
        put_field(&mut out, "lines", &self.lines.len().to_string());
        for line in &self.lines {
            put_field(&mut out, "account", &line.account);
            put_field(&mut out, "side", line.side.as_str());
            put_field(&mut out, "currency", line.currency().code());
            put_field(&mut out, "amount", &line.amount.to_decimal_string());
        }
        out
    }

    /// Sum of debit lines and of credit lines per currency, in minor units. Equal for every
    /// currency of a valid entry.
    pub fn currency_sums(&self) -> BTreeMap<&'static str, (i64, i64)> {
        let sums = sum_by_currency(&self.lines);
        sums.into_iter()
            .map(|(code, sum)| {
                // Validation refused sums that do not fit i64.
                let debits = i64::try_from(sum.debits_minor).expect("validated sum fits i64");
                let credits = i64::try_from(sum.credits_minor).expect("validated sum fits i64");
                (code, (debits, credits))
            })
            .collect()
    }
}

fn put_field(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.push(b'=');
    out.extend_from_slice(value.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(value.as_bytes());
    out.push(b'\n');
}

struct CurrencySum {
    currency: Currency,
    debits_minor: i128,
    credits_minor: i128,
}

/// Debits and credits per currency, in i128 so that 64 lines of any i64 amount cannot
/// overflow.
fn sum_by_currency(lines: &[ValidLine]) -> BTreeMap<&'static str, CurrencySum> {
    let mut sums: BTreeMap<&'static str, CurrencySum> = BTreeMap::new();
    for line in lines {
        let currency = line.currency();
        let sum = sums.entry(currency.code()).or_insert(CurrencySum {
            currency,
            debits_minor: 0,
            credits_minor: 0,
        });
        match line.side {
            Side::Debit => sum.debits_minor += i128::from(line.amount_minor()),
            Side::Credit => sum.credits_minor += i128::from(line.amount_minor()),
        }
    }
    sums
}

/// Checks an id against the contract: 1–`max_chars` characters of `A-Za-z0-9._:-`.
fn check_id(field: &str, id: &str, max_chars: usize) -> Result<(), FieldError> {
    if id.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if id.len() > max_chars {
        return Err(FieldError::new(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-');
    if !id.bytes().all(allowed) {
        return Err(FieldError::new(
            field,
            "may contain only letters, digits and . _ : -",
        ));
    }
    Ok(())
}

/// Checks an entry id: 1–128 characters of `A-Za-z0-9._:-`.
///
/// ```
/// assert!(ledger_core::validate_entry_id("disburse-2026-03-01").is_ok());
/// assert!(ledger_core::validate_entry_id("no spaces").is_err());
/// ```
pub fn validate_entry_id(id: &str) -> Result<(), FieldError> {
    check_id("id", id, ENTRY_ID_MAX_CHARS)
}

/// Checks a book id: 1–128 characters of `A-Za-z0-9._:-` (so it can never contain the
/// `/` that separates storage key segments).
pub fn validate_book_id(book: &str) -> Result<(), FieldError> {
    check_id("book", book, BOOK_ID_MAX_CHARS)
}

/// Parses a calendar date written exactly `YYYY-MM-DD` (no signs, no time, no spaces).
///
/// ```
/// assert!(ledger_core::parse_date("2024-02-29").is_ok());
/// assert!(ledger_core::parse_date("2023-02-29").is_err());
/// assert!(ledger_core::parse_date("2024-2-9").is_err());
/// ```
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shape_ok {
        return Err("must be a date written YYYY-MM-DD".to_string());
    }
    let number = |range: core::ops::Range<usize>| -> u32 {
        bytes[range]
            .iter()
            .fold(0, |n, b| n * 10 + u32::from(b - b'0'))
    };
    let year = i32::try_from(number(0..4)).expect("four digits fit i32");
    NaiveDate::from_ymd_opt(year, number(5..7), number(8..10))
        .ok_or_else(|| "is not a calendar date".to_string())
}

/// Checks a chart-of-accounts code: lower-case letters and digits in words joined by single
/// `-` or `:` (`loan-principal`, `assets:cash`), at most [`ACCOUNT_MAX_CHARS`].
fn check_account(account: &str) -> Result<(), String> {
    if account.is_empty() {
        return Err("must not be empty".into());
    }
    if account.len() > ACCOUNT_MAX_CHARS {
        return Err(format!("must be at most {ACCOUNT_MAX_CHARS} characters"));
    }
    let word = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let separator = |b: u8| b == b'-' || b == b':';
    let bytes = account.as_bytes();
    if !bytes.iter().all(|&b| word(b) || separator(b)) {
        return Err("may contain only lower-case letters, digits, '-' and ':'".into());
    }
    let ends_ok = word(bytes[0]) && word(bytes[bytes.len() - 1]);
    let no_double = !bytes.windows(2).any(|w| separator(w[0]) && separator(w[1]));
    if !ends_ok || !no_double {
        return Err("must be words joined by single '-' or ':'".into());
    }
    Ok(())
}

/// Validates a submitted entry: every field, then balance per currency.
///
/// Refusals are [`LedgerError::Invalid`] naming each offending field (up to
/// [`FIELD_ERRORS_MAX`], one `field: message` per line), or [`LedgerError::Unbalanced`]
/// giving both sums of each unbalanced currency.
pub fn validate_entry(entry: &JournalEntry) -> Result<ValidEntry, LedgerError> {
    let mut errors: Vec<FieldError> = Vec::new();
    if let Err(error) = validate_entry_id(&entry.id) {
        errors.push(error);
    }
    let effective_date = match parse_date(&entry.effective_date) {
        Ok(date) => Some(date),
        Err(message) => {
            errors.push(FieldError::new("effective_date", message));
            None
        }
    };
    if entry.description.chars().count() > DESCRIPTION_MAX_CHARS {
        errors.push(FieldError::new(
            "description",
            format!("must be at most {DESCRIPTION_MAX_CHARS} characters"),
        ));
    }
    let mut lines = Vec::with_capacity(entry.lines.len().min(LINES_MAX));
    if entry.lines.len() < LINES_MIN {
        errors.push(FieldError::new(
            "lines",
            format!("at least {LINES_MIN} lines are required"),
        ));
    } else if entry.lines.len() > LINES_MAX {
        // Not looked at line by line: the entry is refused whatever they hold.
        errors.push(FieldError::new(
            "lines",
            format!("at most {LINES_MAX} lines are allowed"),
        ));
    } else {
        for (index, line) in entry.lines.iter().enumerate() {
            match validate_line(index, line) {
                Ok(valid) => lines.push(valid),
                Err(line_errors) => errors.extend(line_errors),
            }
        }
    }
    if !errors.is_empty() {
        errors.truncate(FIELD_ERRORS_MAX);
        return Err(LedgerError::invalid(&errors));
    }
    let effective_date = effective_date.expect("no errors means the date parsed");
    assert_eq!(lines.len(), entry.lines.len());

    let sums = sum_by_currency(&lines);
    let mut unbalanced: Vec<String> = Vec::new();
    for (code, sum) in &sums {
        let (Ok(debits), Ok(credits)) = (
            i64::try_from(sum.debits_minor),
            i64::try_from(sum.credits_minor),
        ) else {
            return Err(LedgerError::invalid_field(
                "lines",
                &format!("the {code} total is out of the supported range"),
            ));
        };
        if debits != credits {
            unbalanced.push(format!(
                "{code}: debits {}, credits {}",
                Money::from_minor(debits, sum.currency).to_decimal_string(),
                Money::from_minor(credits, sum.currency).to_decimal_string(),
            ));
        }
    }
    if !unbalanced.is_empty() {
        return Err(LedgerError::Unbalanced(unbalanced.join("\n")));
    }
    Ok(ValidEntry {
        id: entry.id.clone(),
        effective_date,
        effective_date_text: entry.effective_date.clone(),
        description: entry.description.clone(),
        lines,
    })
}

fn validate_line(index: usize, line: &PostingLine) -> Result<ValidLine, Vec<FieldError>> {
    let field = |name: &str| format!("lines[{index}].{name}");
    let mut errors = Vec::new();
    if let Err(message) = check_account(&line.account) {
        errors.push(FieldError::new(field("account"), message));
    }
    let currency = match Currency::from_code(&line.currency) {
        Ok(currency) => Some(currency),
        Err(error) => {
            errors.push(FieldError::new(field("currency"), error.to_string()));
            None
        }
    };
    let mut amount = None;
    if let Some(currency) = currency {
        match Money::parse(&line.amount, currency) {
            Ok(money) if money.is_positive() => amount = Some(money),
            Ok(_) => errors.push(FieldError::new(
                field("amount"),
                "must be positive (greater than zero)",
            )),
            Err(error) => errors.push(FieldError::new(field("amount"), error.to_string())),
        }
    }
    match amount {
        Some(amount) if errors.is_empty() => Ok(ValidLine {
            account: line.account.clone(),
            side: line.side,
            amount,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(lines: Vec<PostingLine>) -> JournalEntry {
        JournalEntry {
            id: "e-1".into(),
            effective_date: "2026-03-01".into(),
            description: "test".into(),
            lines,
        }
    }

    fn ok_lines() -> Vec<PostingLine> {
        vec![
            PostingLine::new("loan-principal", Side::Debit, "100.5", "USD"),
            PostingLine::new("cash", Side::Credit, "100.50", "USD"),
        ]
    }

    fn invalid_fields(entry: &JournalEntry) -> Vec<String> {
        match validate_entry(entry) {
            Err(LedgerError::Invalid(text)) => crate::split_field_errors(&text)
                .into_iter()
                .map(|e| e.field)
                .collect(),
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn accepts_and_normalises() {
        let valid = validate_entry(&entry(ok_lines())).unwrap();
        let normal = valid.to_journal_entry();
        assert_eq!(normal.lines[0].amount, "100.50");
        assert_eq!(normal.lines[1].amount, "100.50");
        assert_eq!(valid.lines()[0].amount_minor(), 10050);
        assert_eq!(valid.currency_sums()["USD"], (10050, 10050));
        // The normalised form validates to the same canonical bytes.
        let again = validate_entry(&normal).unwrap();
        assert_eq!(again.canonical_bytes(), valid.canonical_bytes());
    }

    #[test]
    fn canonical_form_is_exact() {
        let valid = validate_entry(&entry(ok_lines())).unwrap();
        let text = String::from_utf8(valid.canonical_bytes()).unwrap();
        assert_eq!(
            text,
            "lendwork-ledger-entry-v1\nid=3:e-1\neffective_date=10:2026-03-01\n\
             description=4:test\nlines=1:2\naccount=14:loan-principal\nside=5:debit\n\
             currency=3:USD\namount=6:100.50\naccount=4:cash\nside=6:credit\n\
             currency=3:USD\namount=6:100.50\n"
        );
    }

    #[test]
    fn refuses_bad_fields_naming_each() {
        let mut bad = entry(vec![
            PostingLine::new("Loan Principal", Side::Debit, "1.005", "USD"),
            PostingLine::new("cash", Side::Credit, "-1", "USD"),
            PostingLine::new("cash", Side::Credit, "1", "usd"),
            PostingLine::new("cash", Side::Credit, "0", "JPY"),
        ]);
        bad.id = "has space".into();
        bad.effective_date = "2026-02-30".into();
        bad.description = "x".repeat(257);
        assert_eq!(
            invalid_fields(&bad),
            [
                "id",
                "effective_date",
                "description",
                "lines[0].account",
                "lines[0].amount",
                "lines[1].amount",
                "lines[2].currency",
                "lines[3].amount",
            ]
        );
    }

    #[test]
    fn refuses_line_counts() {
        assert_eq!(invalid_fields(&entry(ok_lines()[..1].to_vec())), ["lines"]);
        let many = (0..65)
            .map(|_| PostingLine::new("cash", Side::Debit, "1", "USD"))
            .collect();
        assert_eq!(invalid_fields(&entry(many)), ["lines"]);
    }

    #[test]
    fn refuses_unbalanced_with_both_sums() {
        let lines = vec![
            PostingLine::new("loan-principal", Side::Debit, "100", "USD"),
            PostingLine::new("cash", Side::Credit, "99.99", "USD"),
            PostingLine::new("fx", Side::Debit, "5", "JPY"),
            PostingLine::new("fx", Side::Credit, "5", "JPY"),
        ];
        assert_eq!(
            validate_entry(&entry(lines)),
            Err(LedgerError::Unbalanced(
                "USD: debits 100.00, credits 99.99".into()
            ))
        );
    }

    #[test]
    fn account_syntax() {
        for good in ["cash", "loan-principal", "assets:loans:principal", "fee-2"] {
            assert!(check_account(good).is_ok(), "{good}");
        }
        let long = "a".repeat(129);
        for bad in [
            "", "Cash", "-cash", "cash-", "a--b", "a-:b", "a b", "a/b", &long,
        ] {
            assert!(check_account(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ids() {
        assert!(validate_entry_id(&"a".repeat(128)).is_ok());
        assert!(validate_entry_id(&"a".repeat(129)).is_err());
        assert!(validate_entry_id("").is_err());
        assert!(validate_entry_id("a/b").is_err());
        assert!(validate_book_id("loan-0042").is_ok());
        assert!(validate_book_id("loan/0042").is_err());
    }

    #[test]
    fn dates() {
        for bad in [
            "",
            "2026-1-01",
            "2026-01-1",
            "+026-01-01",
            "2026/01/01",
            "2026-13-01",
        ] {
            assert!(parse_date(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_date("0001-01-01").unwrap(),
            NaiveDate::from_ymd_opt(1, 1, 1).unwrap()
        );
    }
}
