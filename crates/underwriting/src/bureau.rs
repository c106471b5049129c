//! Credit bureau reports, as the bureau adapter receives them, and the attributes derived
//! from them on the day of an application.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What a tradeline (an account) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TradelineKind {
    /// A credit card or line of credit.
    Revolving,
    /// A loan repaid in installments (auto, student, personal).
    Installment,
    /// A mortgage.
    Mortgage,
}

/// How an account stands today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Paid as agreed.
    Current,
    /// 30 to 59 days late.
    Late30,
    /// 60 to 89 days late.
    Late60,
    /// 90 or more days late.
    Late90,
    /// Written off by the creditor.
    ChargedOff,
    /// Closed (paid or transferred).
    Closed,
}

/// One account on a consumer report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tradeline {
    /// What kind of account.
    pub kind: TradelineKind,
    /// The creditor's name.
    pub creditor: String,
    /// The account number (shown masked to its last four digits).
    pub account_number: String,
    /// When it was opened.
    pub opened: NaiveDate,
    /// Balance owed, money.
    pub balance: Decimal,
    /// Credit limit of a revolving account, money.
    pub credit_limit: Option<Decimal>,
    /// Monthly payment required, money.
    pub monthly_payment: Decimal,
    /// How it stands.
    pub status: AccountStatus,
    /// Payments 30 or more days late in the last 24 months.
    pub late_payments_24_months: u32,
}

/// A request for the person's credit report by a lender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inquiry {
    /// When.
    pub date: NaiveDate,
    /// A hard inquiry (an application for credit), or a soft one (a review).
    pub hard: bool,
}

/// A bankruptcy, judgment or lien.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicRecord {
    /// `bankruptcy`, `judgment` or `lien`.
    pub kind: String,
    /// When it was filed.
    pub filed: NaiveDate,
}

/// A consumer credit report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerReport {
    /// The bureau's reference of the report.
    pub report_id: String,
    /// Whether the bureau holds a file for the person.
    pub hit: bool,
    /// The bureau's risk score (300–850), when the file can be scored.
    pub score: Option<u32>,
    /// The accounts.
    pub tradelines: Vec<Tradeline>,
    /// Inquiries of the last two years.
    pub inquiries: Vec<Inquiry>,
    /// Public records.
    pub public_records: Vec<PublicRecord>,
}

/// A business credit report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessReport {
    /// The bureau's reference of the report.
    pub report_id: String,
    /// Whether the bureau holds a file for the business.
    pub hit: bool,
    /// Business credit score (0–100, higher is better).
    pub score: Option<u32>,
    /// Years in business as the bureau knows it.
    pub years_in_business: Decimal,
    /// Trade payment index (0–100; 80 pays on terms).
    pub trade_payment_index: Option<u32>,
    /// Trade accounts reported.
    pub trade_lines: u32,
}

/// A file with fewer open accounts than this is thin.
pub const THIN_FILE_TRADELINES: u32 = 3;
/// A file whose oldest account is younger than this (months) is thin.
pub const THIN_FILE_MONTHS: u32 = 12;

/// A consumer report's attributes on a day, as scoring and policies read them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerAttributes {
    /// Whether the bureau holds a file.
    pub hit: bool,
    /// Fewer than [`THIN_FILE_TRADELINES`] open accounts, or none older than
    /// [`THIN_FILE_MONTHS`] months.
    pub thin_file: bool,
    /// The bureau's score.
    pub score: Option<u32>,
    /// Open accounts.
    pub open_tradelines: u32,
    /// Revolving balances over revolving limits (4 decimals), without revolving credit `None`.
    pub revolving_utilisation: Option<Decimal>,
    /// Balances of open accounts.
    pub total_balance: Decimal,
    /// Monthly payments of open accounts.
    pub monthly_debt_payments: Decimal,
    /// Late payments in the last 24 months, over every account.
    pub delinquencies_24_months: u32,
    /// Hard inquiries in the last 6 months.
    pub inquiries_6_months: u32,
    /// Public records.
    pub public_records: u32,
    /// Age of the oldest account, whole months.
    pub oldest_tradeline_months: Option<u32>,
}

/// Whole months from `from` to `to` (0 when `to` is earlier).
pub fn months_between(from: NaiveDate, to: NaiveDate) -> u32 {
    let months = (to.year() - from.year()) * 12 + to.month() as i32
        - from.month() as i32
        - i32::from(to.day() < from.day());
    months.max(0) as u32
}

impl ConsumerAttributes {
    /// The attributes of `report` on `as_of`.
    pub fn of(report: &ConsumerReport, as_of: NaiveDate) -> ConsumerAttributes {
        let open: Vec<&Tradeline> = report
            .tradelines
            .iter()
            .filter(|t| t.status != AccountStatus::Closed)
            .collect();
        let revolving: Vec<&&Tradeline> = open
            .iter()
            .filter(|t| t.kind == TradelineKind::Revolving)
            .collect();
        let limits: Decimal = revolving.iter().filter_map(|t| t.credit_limit).sum();
        let revolving_utilisation = (!limits.is_zero())
            .then(|| (revolving.iter().map(|t| t.balance).sum::<Decimal>() / limits).round_dp(4));
        let oldest_tradeline_months = report
            .tradelines
            .iter()
            .map(|t| months_between(t.opened, as_of))
            .max();
        let six_months_ago = as_of
            .checked_sub_months(chrono::Months::new(6))
            .unwrap_or(as_of);
        ConsumerAttributes {
            hit: report.hit,
            thin_file: report.hit
                && ((open.len() as u32) < THIN_FILE_TRADELINES
                    || oldest_tradeline_months.is_none_or(|m| m < THIN_FILE_MONTHS)),
            score: report.score,
            open_tradelines: open.len() as u32,
            revolving_utilisation,
            total_balance: open.iter().map(|t| t.balance).sum(),
            monthly_debt_payments: open.iter().map(|t| t.monthly_payment).sum(),
            delinquencies_24_months: report
                .tradelines
                .iter()
                .map(|t| t.late_payments_24_months)
                .sum(),
            inquiries_6_months: report
                .inquiries
                .iter()
                .filter(|i| i.hard && i.date > six_months_ago && i.date <= as_of)
                .count() as u32,
            public_records: report.public_records.len() as u32,
            oldest_tradeline_months,
        }
    }
}

/// `number` masked to its last four characters (`****1234`).
pub fn mask_account(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    let shown = chars.len().saturating_sub(4);
    format!("****{}", chars[shown..].iter().collect::<String>())
}

impl ConsumerReport {
    /// The report as a reader may see it: every account number masked.
    pub fn masked(&self) -> ConsumerReport {
        let mut report = self.clone();
        for tradeline in &mut report.tradelines {
            tradeline.account_number = mask_account(&tradeline.account_number);
        }
        report
    }
}
