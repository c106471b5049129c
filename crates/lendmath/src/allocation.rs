//! Payment allocation: configurable waterfalls, overpayment handling, and reversal of a
//! payment by replaying a loan's transactions in date order. Money is conserved: every
//! cent received is applied to a bucket, reduces principal, is held as pay-ahead credit,
//! or is held unapplied, and [`replay`] asserts it after every transaction.

use chrono::NaiveDate;

use crate::money::{Currency, Money, MoneyError};

/// Most transactions replayed at once: 30 years of weekly payments, charges and
/// agings with room to spare. Bounds the work of one reversal.
pub const TRANSACTIONS_MAX: usize = 20_000;

/// A kind of amount owed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    /// Fees from earlier periods.
    FeesPastDue,
    /// Interest from earlier periods.
    InterestPastDue,
    /// Principal from earlier periods.
    PrincipalPastDue,
    /// Fees of the current period.
    FeesCurrent,
    /// Interest of the current period.
    InterestCurrent,
    /// Principal of the current period.
    PrincipalCurrent,
}

impl Bucket {
    /// Every bucket, in the order of the default waterfall.
    pub const ALL: [Bucket; 6] = [
        Bucket::FeesPastDue,
        Bucket::InterestPastDue,
        Bucket::PrincipalPastDue,
        Bucket::FeesCurrent,
        Bucket::InterestCurrent,
        Bucket::PrincipalCurrent,
    ];

    fn index(self) -> usize {
        self as usize
    }

    /// The past-due bucket a current bucket ages into (past-due buckets stay).
    pub fn aged(self) -> Bucket {
        match self {
            Bucket::FeesCurrent => Bucket::FeesPastDue,
            Bucket::InterestCurrent => Bucket::InterestPastDue,
            Bucket::PrincipalCurrent => Bucket::PrincipalPastDue,
            past_due => past_due,
        }
    }
}

/// Amounts owed per bucket, all in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dues {
    amounts: [Money; 6],
}

impl Dues {
    /// Nothing owed.
    pub fn zero(currency: Currency) -> Dues {
        Dues {
            amounts: [Money::zero(currency); 6],
        }
    }

    /// Owed in `bucket`.
    pub fn get(&self, bucket: Bucket) -> Money {
        self.amounts[bucket.index()]
    }

    /// Adds `amount` to `bucket`.
    pub fn add(&mut self, bucket: Bucket, amount: Money) -> Result<(), MoneyError> {
        let slot = &mut self.amounts[bucket.index()];
        *slot = slot.checked_add(&amount)?;
        Ok(())
    }

    /// Total owed.
    pub fn total(&self) -> Result<Money, MoneyError> {
        let mut total = Money::zero(self.amounts[0].currency());
        for amount in &self.amounts {
            total = total.checked_add(amount)?;
        }
        Ok(total)
    }
}

/// An order of buckets to pay. Every bucket appears exactly once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waterfall {
    order: [Bucket; 6],
}

impl Waterfall {
    /// The common order: past-due fees, interest, principal, then current fees,
    /// interest, principal.
    pub fn standard() -> Waterfall {
        Waterfall { order: Bucket::ALL }
    }

    /// A custom order; `None` unless it lists each bucket exactly once.
    pub fn new(order: [Bucket; 6]) -> Option<Waterfall> {
        let mut seen = [false; 6];
        for bucket in order {
            if std::mem::replace(&mut seen[bucket.index()], true) {
                return None;
            }
        }
        Some(Waterfall { order })
    }

    /// The buckets in payment order.
    pub fn order(&self) -> &[Bucket; 6] {
        &self.order
    }
}

/// What happens to money left after every bucket is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverpaymentPolicy {
    /// Prepay principal not yet due.
    ReducePrincipal,
    /// Hold as credit that pays the next amounts falling due.
    PayAhead,
    /// Hold unapplied, for an operator to decide.
    HoldUnapplied,
}

/// How one payment was split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// Amount applied to each bucket, in waterfall order (buckets left untouched omitted).
    pub applied: Vec<(Bucket, Money)>,
    /// Left after every bucket; treated by `policy`.
    pub excess: Money,
    /// What the excess is.
    pub policy: OverpaymentPolicy,
    /// What is still owed after the payment.
    pub dues_after: Dues,
}

/// Why an allocation or replay failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    /// A payment or charge amount is negative.
    #[error("amounts must not be negative")]
    NegativeAmount,
    /// More than [`TRANSACTIONS_MAX`] transactions.
    #[error("more than {TRANSACTIONS_MAX} transactions")]
    TooManyTransactions,
    /// No payment with the id to reverse.
    #[error("no payment {id} to reverse")]
    UnknownPayment {
        /// The id asked for.
        id: u64,
    },
    /// Money arithmetic failed (currency mismatch, overflow).
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// Splits `payment` over `dues` in waterfall order; whatever is left is the excess.
pub fn allocate(
    payment: Money,
    dues: &Dues,
    waterfall: &Waterfall,
    policy: OverpaymentPolicy,
) -> Result<Allocation, AllocationError> {
    if payment.is_negative() {
        return Err(AllocationError::NegativeAmount);
    }
    let mut remaining = payment;
    let mut dues_after = *dues;
    let mut applied = Vec::new();
    for &bucket in waterfall.order() {
        let owed = dues_after.get(bucket);
        let paid = remaining.checked_min(&owed)?;
        if paid.is_positive() {
            remaining = remaining.checked_sub(&paid)?;
            dues_after.amounts[bucket.index()] = owed.checked_sub(&paid)?;
            applied.push((bucket, paid));
        }
    }
    Ok(Allocation {
        applied,
        excess: remaining,
        policy,
        dues_after,
    })
}

/// A loan transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionKind {
    /// An amount falls due in a bucket (installment interest and principal, a late fee).
    Charge {
        /// Where it is owed.
        bucket: Bucket,
        /// How much.
        amount: Money,
    },
    /// The current buckets become past due (the grace period of a due date ended).
    AgeToPastDue,
    /// Money received.
    Payment {
        /// The payment's id, for reversal.
        id: u64,
        /// How much.
        amount: Money,
    },
}

/// A transaction with its effective date and its order of entry (tie-breaker).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transaction {
    /// Effective date; a backdated transaction has an earlier date than ones entered before.
    pub date: NaiveDate,
    /// Order of entry, breaking ties within a date.
    pub sequence: u64,
    /// What happened.
    pub kind: TransactionKind,
}

/// The state of a loan after replaying its transactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanPosition {
    /// Still owed per bucket.
    pub dues: Dues,
    /// Credit that pays the next charges.
    pub pay_ahead: Money,
    /// Held unapplied.
    pub unapplied: Money,
    /// Principal prepaid beyond what fell due.
    pub principal_prepaid: Money,
    /// Everything charged.
    pub charged_total: Money,
    /// Everything received.
    pub received_total: Money,
    /// Everything applied to buckets (directly or from pay-ahead credit).
    pub applied_total: Money,
}

impl LoanPosition {
    fn check_conservation(&self) -> Result<(), AllocationError> {
        let held = self
            .applied_total
            .checked_add(&self.pay_ahead)?
            .checked_add(&self.unapplied)?
            .checked_add(&self.principal_prepaid)?;
        assert_eq!(
            held, self.received_total,
            "every cent received is accounted for"
        );
        let owed = self.dues.total()?.checked_add(&self.applied_total)?;
        assert_eq!(
            owed, self.charged_total,
            "every cent charged is owed or paid"
        );
        Ok(())
    }
}

/// Replays `transactions` in (date, sequence) order, whatever order they are given in.
pub fn replay(
    transactions: &[Transaction],
    currency: Currency,
    waterfall: &Waterfall,
    policy: OverpaymentPolicy,
) -> Result<LoanPosition, AllocationError> {
    if transactions.len() > TRANSACTIONS_MAX {
        return Err(AllocationError::TooManyTransactions);
    }
    let mut ordered: Vec<&Transaction> = transactions.iter().collect();
    ordered.sort_by_key(|t| (t.date, t.sequence));
    let zero = Money::zero(currency);
    let mut position = LoanPosition {
        dues: Dues::zero(currency),
        pay_ahead: zero,
        unapplied: zero,
        principal_prepaid: zero,
        charged_total: zero,
        received_total: zero,
        applied_total: zero,
    };
    for transaction in ordered {
        apply(&mut position, transaction.kind, waterfall, policy)?;
        position.check_conservation()?;
    }
    Ok(position)
}

fn apply(
    position: &mut LoanPosition,
    kind: TransactionKind,
    waterfall: &Waterfall,
    policy: OverpaymentPolicy,
) -> Result<(), AllocationError> {
    match kind {
        TransactionKind::Charge { bucket, amount } => {
            if amount.is_negative() {
                return Err(AllocationError::NegativeAmount);
            }
            position.charged_total = position.charged_total.checked_add(&amount)?;
            // Pay-ahead credit pays a new charge at once.
            let from_credit = position.pay_ahead.checked_min(&amount)?;
            position.pay_ahead = position.pay_ahead.checked_sub(&from_credit)?;
            position.applied_total = position.applied_total.checked_add(&from_credit)?;
            position
                .dues
                .add(bucket, amount.checked_sub(&from_credit)?)?;
        }
        TransactionKind::AgeToPastDue => {
            for bucket in [
                Bucket::FeesCurrent,
                Bucket::InterestCurrent,
                Bucket::PrincipalCurrent,
            ] {
                let amount = position.dues.get(bucket);
                position.dues.amounts[bucket.index()] = Money::zero(amount.currency());
                position.dues.add(bucket.aged(), amount)?;
            }
        }
        TransactionKind::Payment { amount, .. } => {
            let allocation = allocate(amount, &position.dues, waterfall, policy)?;
            position.received_total = position.received_total.checked_add(&amount)?;
            let applied = amount.checked_sub(&allocation.excess)?;
            position.applied_total = position.applied_total.checked_add(&applied)?;
            position.dues = allocation.dues_after;
            let held = match policy {
                OverpaymentPolicy::ReducePrincipal => &mut position.principal_prepaid,
                OverpaymentPolicy::PayAhead => &mut position.pay_ahead,
                OverpaymentPolicy::HoldUnapplied => &mut position.unapplied,
            };
            *held = held.checked_add(&allocation.excess)?;
        }
    }
    Ok(())
}

/// Reverses payment `id` (a returned ACH debit, a bounced check): the transactions without
/// it, replayed in date order, so later payments are re-allocated as if it never came.
pub fn reverse_payment(
    transactions: &[Transaction],
    id: u64,
    currency: Currency,
    waterfall: &Waterfall,
    policy: OverpaymentPolicy,
) -> Result<(Vec<Transaction>, LoanPosition), AllocationError> {
    let is_target = |t: &Transaction| matches!(t.kind, TransactionKind::Payment { id: found, .. } if found == id);
    if !transactions.iter().any(is_target) {
        return Err(AllocationError::UnknownPayment { id });
    }
    let remaining: Vec<Transaction> = transactions
        .iter()
        .filter(|t| !is_target(t))
        .copied()
        .collect();
    let position = replay(&remaining, currency, waterfall, policy)?;
    Ok((remaining, position))
}

#[cfg(test)]
mod tests;
