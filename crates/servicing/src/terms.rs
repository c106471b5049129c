//! What a loan is booked with: its money terms, its schedule and the product's servicing
//! rules (grace, fees, waterfall, overpayments).

use chrono::NaiveDate;
use lendmath::allocation::{Bucket, OverpaymentPolicy, Waterfall};
use lendmath::daycount::DayCount;
use lendmath::money::{Currency, Money};
use lendmath::rate::AnnualRate;
use serde::{Deserialize, Serialize};

use crate::ServicingError;

/// Most installments a loan may have (30 years of monthly payments).
pub const INSTALLMENTS_MAX: usize = 360;

/// Longest grace period after a due date before a late fee, in days.
pub const GRACE_DAYS_MAX: u32 = lendmath::delinquency::GRACE_DAYS_MAX;

/// One scheduled installment: when it falls due and the payment asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scheduled {
    /// Due date.
    pub due_date: NaiveDate,
    /// The scheduled payment, minor units. The last installment asks whatever is left.
    pub payment: i64,
}

/// The product's servicing rules, fixed when the loan is booked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    /// Days after a due date during which no late fee is charged.
    pub grace_days: u32,
    /// Charged once per installment still unpaid when its grace period ends, minor units.
    pub late_fee: i64,
    /// Charged when a payment is returned unpaid (`nsf`), minor units.
    pub nsf_fee: i64,
    /// The order in which a payment pays what is owed.
    pub waterfall: Vec<Bucket>,
    /// What a payment beyond everything owed does.
    pub overpayment: OverpaymentPolicy,
}

impl Rules {
    /// The waterfall as the money library takes it.
    pub fn waterfall(&self) -> Result<Waterfall, ServicingError> {
        let order: [Bucket; 6] = self
            .waterfall
            .clone()
            .try_into()
            .map_err(|_| ServicingError::Terms("the waterfall must list each bucket once"))?;
        Waterfall::new(order).ok_or(ServicingError::Terms(
            "the waterfall must list each bucket once",
        ))
    }
}

/// How the loan came to be serviced here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Originated here: an accepted offer, disbursed.
    #[default]
    Originated,
    /// Bought or migrated with its balances (an import).
    Imported,
}

/// What an imported loan owed when it arrived, besides its principal (minor units).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    /// Interest accrued and unpaid.
    pub interest: i64,
    /// Fees owed.
    pub fees: i64,
    /// Of the principal, the part past due.
    pub past_due_principal: i64,
    /// Since when what is past due has been owed (the import date less the days past due);
    /// none when the loan was current.
    pub past_due_since: Option<NaiveDate>,
}

/// A loan's terms as booked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    /// How the loan came here.
    #[serde(default)]
    pub origin: Origin,
    /// What an imported loan owed besides principal; zero for an originated loan.
    #[serde(default)]
    pub opening: Opening,
    /// The loan's currency.
    pub currency: Currency,
    /// What the borrower owes at booking (the note amount), minor units.
    pub principal: i64,
    /// Paid out to the borrower (or on their behalf), minor units.
    pub disbursed: i64,
    /// Origination fee withheld or financed: `principal` − `disbursed`, minor units.
    pub origination_fee: i64,
    /// Nominal annual rate, percent (`"9.99"`).
    pub annual_rate_percent: rust_decimal::Decimal,
    /// How interest days are counted.
    pub day_count: DayCount,
    /// Disbursement date: interest accrues from this day.
    pub start_date: NaiveDate,
    /// The installments, in due order.
    pub schedule: Vec<Scheduled>,
    /// The product's servicing rules.
    pub rules: Rules,
}

impl Terms {
    /// Checks the terms: positive principal equal to disbursed plus fee, a rate, one to
    /// [`INSTALLMENTS_MAX`] installments due after the start in increasing order, fees
    /// not negative, a grace period within bounds, a valid waterfall.
    pub fn check(&self) -> Result<(), ServicingError> {
        let bad = ServicingError::Terms;
        if self.principal <= 0 || self.disbursed <= 0 || self.origination_fee < 0 {
            return Err(bad("principal and disbursement must be positive"));
        }
        if self.disbursed.checked_add(self.origination_fee) != Some(self.principal) {
            return Err(bad(
                "principal must be the disbursement plus the origination fee",
            ));
        }
        self.rate()?;
        if self.schedule.is_empty() || self.schedule.len() > INSTALLMENTS_MAX {
            return Err(bad("a loan has from 1 to 360 installments"));
        }
        let mut previous = self.start_date;
        for installment in &self.schedule {
            if installment.due_date <= previous || installment.payment <= 0 {
                return Err(bad(
                    "installments fall due after the start, in order, each asking a payment",
                ));
            }
            previous = installment.due_date;
        }
        let opening = &self.opening;
        if opening.interest < 0
            || opening.fees < 0
            || opening.past_due_principal < 0
            || opening.past_due_principal > self.principal
        {
            return Err(bad(
                "opening balances must be zero or more, within the principal",
            ));
        }
        let past_due = opening.past_due_principal > 0 || opening.past_due_since.is_some();
        if past_due
            && (opening
                .past_due_since
                .is_none_or(|since| since >= self.start_date)
                || opening.past_due_principal + opening.interest == 0)
        {
            return Err(bad(
                "a loan past due owes past-due principal or interest since before the import",
            ));
        }
        if self.rules.late_fee < 0 || self.rules.nsf_fee < 0 {
            return Err(bad("fees must not be negative"));
        }
        if self.rules.grace_days > GRACE_DAYS_MAX {
            return Err(bad("the grace period is too long"));
        }
        self.rules.waterfall()?;
        Ok(())
    }

    /// The annual rate.
    pub fn rate(&self) -> Result<AnnualRate, ServicingError> {
        AnnualRate::from_percent(self.annual_rate_percent)
            .map_err(|_| ServicingError::Terms("the annual rate is not a valid percent"))
    }

    /// `minor` units of the loan's currency as money.
    pub fn money(&self, minor: i64) -> Money {
        Money::from_minor(minor, self.currency)
    }

    /// The last due date.
    pub fn maturity(&self) -> NaiveDate {
        self.schedule.last().map_or(self.start_date, |s| s.due_date)
    }
}
