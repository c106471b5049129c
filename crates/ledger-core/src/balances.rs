//! Running totals per account and currency, balances, and the trial balance.

use std::collections::BTreeMap;

use lendmath::money::{Currency, Money};

use crate::entry::{Side, ValidEntry};
use crate::error::LedgerError;
use crate::head::{AccountTotal, BookHead};

/// Totals of one account in one currency, as decimal text at the currency's scale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    /// Chart-of-accounts code.
    pub account: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Sum of debit lines.
    pub debits: String,
    /// Sum of credit lines.
    pub credits: String,
    /// `debits - credits`, negative for credit-normal balances.
    pub net: String,
}

/// Totals of one currency over everything folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyTotal {
    /// ISO 4217 code.
    pub currency: String,
    /// Sum of every debit line.
    pub debits: String,
    /// Sum of every credit line.
    pub credits: String,
}

/// Debits against credits over every book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialBalance {
    /// Number of books with at least one entry.
    pub books: u64,
    /// Number of entries over all books.
    pub entries: u64,
    /// Per-currency totals, by currency code.
    pub currencies: Vec<CurrencyTotal>,
    /// Per account and currency, summed over every book, by account then currency.
    pub accounts: Vec<Balance>,
    /// True when debits equal credits in every currency.
    pub balanced: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cell {
    currency: Currency,
    debits_minor: i64,
    credits_minor: i64,
}

/// Debit and credit totals per (account, currency), in integer minor units.
///
/// Every addition is checked: a total that would leave `i64` is refused, never wrapped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    cells: BTreeMap<(String, &'static str), Cell>,
}

impl Totals {
    /// No totals yet.
    pub fn new() -> Totals {
        Totals::default()
    }

    /// Number of (account, currency) pairs.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Adds non-negative debit and credit minor units to one account in one currency.
    pub fn add(
        &mut self,
        account: &str,
        currency: Currency,
        debits_minor: i64,
        credits_minor: i64,
    ) -> Result<(), String> {
        if debits_minor < 0 || credits_minor < 0 {
            return Err(format!("negative total for account {account}"));
        }
        let cell = self
            .cells
            .entry((account.to_string(), currency.code()))
            .or_insert(Cell {
                currency,
                debits_minor: 0,
                credits_minor: 0,
            });
        let overflow = || format!("the {} total of {account} is out of range", currency.code());
        let debits = cell
            .debits_minor
            .checked_add(debits_minor)
            .ok_or_else(overflow)?;
        let credits = cell
            .credits_minor
            .checked_add(credits_minor)
            .ok_or_else(overflow)?;
        cell.debits_minor = debits;
        cell.credits_minor = credits;
        Ok(())
    }

    /// Adds every line of a valid entry.
    pub fn add_entry(&mut self, entry: &ValidEntry) -> Result<(), String> {
        for line in entry.lines() {
            let (debits, credits) = match line.side() {
                Side::Debit => (line.amount_minor(), 0),
                Side::Credit => (0, line.amount_minor()),
            };
            self.add(line.account(), line.currency(), debits, credits)?;
        }
        Ok(())
    }

    /// Adds every total of a book head.
    pub fn add_account_totals(&mut self, totals: &[AccountTotal]) -> Result<(), String> {
        for total in totals {
            let currency = Currency::from_code(&total.currency).map_err(|e| e.to_string())?;
            self.add(
                &total.account,
                currency,
                total.debits_minor,
                total.credits_minor,
            )?;
        }
        Ok(())
    }

    /// Sum of debits and of credits per currency (in i128: a sum over accounts may exceed
    /// any one account's range).
    fn currency_sums(&self) -> BTreeMap<&'static str, (Currency, i128, i128)> {
        let mut sums: BTreeMap<&'static str, (Currency, i128, i128)> = BTreeMap::new();
        for ((_, code), cell) in &self.cells {
            let sum = sums.entry(code).or_insert((cell.currency, 0, 0));
            sum.1 += i128::from(cell.debits_minor);
            sum.2 += i128::from(cell.credits_minor);
        }
        sums
    }

    /// True when debits equal credits in every currency (the double-entry invariant).
    pub fn is_balanced(&self) -> bool {
        self.currency_sums()
            .values()
            .all(|(_, debits, credits)| debits == credits)
    }

    /// The totals as head records, sorted by account then currency.
    pub fn to_account_totals(&self) -> Vec<AccountTotal> {
        self.cells
            .iter()
            .map(|((account, code), cell)| AccountTotal {
                account: account.clone(),
                currency: (*code).to_string(),
                debits_minor: cell.debits_minor,
                credits_minor: cell.credits_minor,
            })
            .collect()
    }

    /// The totals as decimal balances, sorted by account then currency.
    pub fn balances(&self) -> Vec<Balance> {
        self.cells
            .iter()
            .map(|((account, code), cell)| {
                let text = |minor| Money::from_minor(minor, cell.currency).to_decimal_string();
                // Both totals are non-negative i64, so their difference fits i64.
                let net = cell.debits_minor - cell.credits_minor;
                Balance {
                    account: account.clone(),
                    currency: (*code).to_string(),
                    debits: text(cell.debits_minor),
                    credits: text(cell.credits_minor),
                    net: text(net),
                }
            })
            .collect()
    }

    /// Per-currency totals as decimal text, sorted by currency code.
    pub fn currency_totals(&self) -> Result<Vec<CurrencyTotal>, String> {
        self.currency_sums()
            .into_iter()
            .map(|(code, (currency, debits, credits))| {
                let text = |minor: i128| {
                    i64::try_from(minor)
                        .map(|minor| Money::from_minor(minor, currency).to_decimal_string())
                        .map_err(|_| format!("the {code} total is out of range"))
                };
                Ok(CurrencyTotal {
                    currency: code.to_string(),
                    debits: text(debits)?,
                    credits: text(credits)?,
                })
            })
            .collect()
    }
}

/// Sums book heads into a [`TrialBalance`].
#[derive(Debug, Clone, Default)]
pub struct TrialBalanceFolder {
    books: u64,
    entries: u64,
    totals: Totals,
}

impl TrialBalanceFolder {
    /// Nothing summed yet.
    pub fn new() -> TrialBalanceFolder {
        TrialBalanceFolder::default()
    }

    /// Adds one book's head; a head without entries counts for nothing.
    pub fn add_head(&mut self, head: &BookHead) -> Result<(), LedgerError> {
        if head.sequence == 0 {
            return Ok(());
        }
        self.books += 1;
        self.entries = self.entries.saturating_add(head.entry_count);
        self.totals
            .add_account_totals(&head.totals)
            .map_err(|problem| LedgerError::Storage(format!("trial balance: {problem}")))
    }

    /// The trial balance of everything added.
    pub fn finish(self) -> Result<TrialBalance, LedgerError> {
        let currencies = self
            .totals
            .currency_totals()
            .map_err(|problem| LedgerError::Storage(format!("trial balance: {problem}")))?;
        Ok(TrialBalance {
            books: self.books,
            entries: self.entries,
            balanced: self.totals.is_balanced(),
            accounts: self.totals.balances(),
            currencies,
        })
    }
}
