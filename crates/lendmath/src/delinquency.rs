//! Delinquency math: days past due from the schedule and the payments, bucket assignment
//! from configurable ranges, and late-fee eligibility after a grace period.
//!
//! Payments pay the oldest installment first. Days past due on a date is the age of the
//! oldest installment not fully paid by then; zero when nothing due is unpaid.

use chrono::{Days, NaiveDate};

use crate::money::{Money, MoneyError};

/// Most buckets in a table. Collections teams use 5 to 8 (current, 1-29, 30-59, ...).
pub const BUCKETS_MAX: usize = 32;

/// Longest grace period, in days. Grace periods are days to a few weeks; a larger value
/// is a configuration mistake.
pub const GRACE_DAYS_MAX: u32 = 90;

/// An installment as it fell due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueAmount {
    /// Due date.
    pub due_date: NaiveDate,
    /// Amount due.
    pub amount: Money,
}

/// A payment received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// Date received.
    pub date: NaiveDate,
    /// Amount received.
    pub amount: Money,
}

/// Why delinquency could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DelinquencyError {
    /// A bucket table is empty, too long, does not start at 0, or has gaps or overlaps.
    #[error("bucket ranges must start at 0 days and follow each other without gaps or overlaps")]
    InvalidBuckets,
    /// Grace period above [`GRACE_DAYS_MAX`].
    #[error("grace period must not exceed {GRACE_DAYS_MAX} days")]
    GraceTooLong,
    /// Money arithmetic failed.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// Days past due on `as_of`: the age of the oldest installment due before `as_of` that
/// the payments received up to `as_of` (oldest installment first) do not fully pay.
pub fn days_past_due(
    dues: &[DueAmount],
    received: &[Received],
    as_of: NaiveDate,
) -> Result<u32, DelinquencyError> {
    let mut dues_in_order: Vec<&DueAmount> = dues.iter().filter(|d| d.due_date < as_of).collect();
    dues_in_order.sort_by_key(|d| d.due_date);
    let Some(first) = dues_in_order.first() else {
        return Ok(0);
    };
    let mut paid = Money::zero(first.amount.currency());
    for payment in received.iter().filter(|r| r.date <= as_of) {
        paid = paid.checked_add(&payment.amount)?;
    }
    for due in dues_in_order {
        if paid.checked_cmp(&due.amount)?.is_lt() {
            return Ok(u32::try_from((as_of - due.due_date).num_days()).unwrap_or(u32::MAX));
        }
        paid = paid.checked_sub(&due.amount)?;
    }
    Ok(0)
}

/// A labelled range of days past due, `days_min..=days_max` (`None`: no upper end).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DelinquencyBucket {
    /// Name shown to collections ("current", "30-59").
    pub label: String,
    /// First day of the range.
    pub days_min: u32,
    /// Last day of the range, inclusive; `None` for the open-ended last bucket.
    pub days_max: Option<u32>,
}

/// Buckets covering every number of days past due exactly once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketTable {
    buckets: Vec<DelinquencyBucket>,
}

impl BucketTable {
    /// Checks that the ranges start at 0, follow each other without gaps or overlaps, and
    /// that only the last is open-ended.
    pub fn new(buckets: Vec<DelinquencyBucket>) -> Result<BucketTable, DelinquencyError> {
        if buckets.is_empty() || buckets.len() > BUCKETS_MAX || buckets[0].days_min != 0 {
            return Err(DelinquencyError::InvalidBuckets);
        }
        for pair in buckets.windows(2) {
            match pair[0].days_max {
                Some(max) if max >= pair[0].days_min && pair[1].days_min == max + 1 => {}
                _ => return Err(DelinquencyError::InvalidBuckets),
            }
        }
        if buckets.last().is_some_and(|b| b.days_max.is_some()) {
            return Err(DelinquencyError::InvalidBuckets);
        }
        Ok(BucketTable { buckets })
    }

    /// The usual table: current (0), 1-29, 30-59, 60-89, 90-119, 120+.
    pub fn standard() -> BucketTable {
        let ranges = [
            ("current", 0, Some(0)),
            ("1-29", 1, Some(29)),
            ("30-59", 30, Some(59)),
            ("60-89", 60, Some(89)),
            ("90-119", 90, Some(119)),
            ("120+", 120, None),
        ];
        let buckets = ranges
            .into_iter()
            .map(|(label, days_min, days_max)| DelinquencyBucket {
                label: label.to_string(),
                days_min,
                days_max,
            })
            .collect();
        BucketTable::new(buckets).expect("the standard table is valid")
    }

    /// The bucket holding `days_past_due`. Always one, by construction.
    pub fn assign(&self, days_past_due: u32) -> &DelinquencyBucket {
        self.buckets
            .iter()
            .find(|b| {
                days_past_due >= b.days_min && b.days_max.is_none_or(|max| days_past_due <= max)
            })
            .expect("buckets cover every day count")
    }
}

/// True when a late fee may be charged for an installment on `as_of`: the grace period
/// after its due date has ended and the installment was not fully paid by the grace
/// period's last day (`amount_paid_by_grace_end` counts payments up to that day).
pub fn late_fee_eligible(
    installment: &DueAmount,
    amount_paid_by_grace_end: Money,
    grace_days: u32,
    as_of: NaiveDate,
) -> Result<bool, DelinquencyError> {
    if grace_days > GRACE_DAYS_MAX {
        return Err(DelinquencyError::GraceTooLong);
    }
    let grace_end = installment
        .due_date
        .checked_add_days(Days::new(u64::from(grace_days)))
        .unwrap_or(NaiveDate::MAX);
    Ok(as_of > grace_end
        && amount_paid_by_grace_end
            .checked_cmp(&installment.amount)?
            .is_lt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn date(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, m, d).unwrap()
    }

    fn usd(minor: i64) -> Money {
        Money::from_minor(minor, Currency::USD)
    }

    fn dues() -> Vec<DueAmount> {
        (1..=4)
            .map(|m| DueAmount {
                due_date: date(m, 15),
                amount: usd(10_000),
            })
            .collect()
    }

    #[test]
    fn days_past_due_counts_from_the_oldest_unpaid_installment() {
        // Nothing paid: on Mar 1 the Jan 15 installment is 46 days late.
        assert_eq!(days_past_due(&dues(), &[], date(3, 1)).unwrap(), 46);
        // One full payment covers January: February's is 15 days late on Mar 1.
        let one = [Received {
            date: date(1, 15),
            amount: usd(10_000),
        }];
        assert_eq!(days_past_due(&dues(), &one, date(3, 1)).unwrap(), 15);
        // A partial payment does not cure: January stays the oldest unpaid.
        let partial = [Received {
            date: date(1, 20),
            amount: usd(9_999),
        }];
        assert_eq!(days_past_due(&dues(), &partial, date(2, 1)).unwrap(), 17);
        // On the due date itself nothing is past due yet.
        assert_eq!(days_past_due(&dues(), &[], date(1, 15)).unwrap(), 0);
        // Payments after as_of do not count.
        let later = [Received {
            date: date(2, 2),
            amount: usd(10_000),
        }];
        assert_eq!(days_past_due(&dues(), &later, date(2, 1)).unwrap(), 17);
        // Paid up through February, on Mar 10: current.
        let two = [Received {
            date: date(2, 14),
            amount: usd(20_000),
        }];
        assert_eq!(days_past_due(&dues(), &two, date(3, 10)).unwrap(), 0);
    }

    #[test]
    fn buckets() {
        let table = BucketTable::standard();
        let cases = [
            (0, "current"),
            (1, "1-29"),
            (29, "1-29"),
            (30, "30-59"),
            (89, "60-89"),
            (119, "90-119"),
            (120, "120+"),
            (u32::MAX, "120+"),
        ];
        for (days, label) in cases {
            assert_eq!(table.assign(days).label, label, "{days}");
        }
        let bucket = |label: &str, min, max| DelinquencyBucket {
            label: label.to_string(),
            days_min: min,
            days_max: max,
        };
        assert!(BucketTable::new(vec![]).is_err());
        assert!(BucketTable::new(vec![bucket("a", 1, None)]).is_err());
        assert!(BucketTable::new(vec![bucket("a", 0, Some(10)), bucket("b", 12, None)]).is_err());
        assert!(BucketTable::new(vec![bucket("a", 0, Some(10)), bucket("b", 10, None)]).is_err());
        assert!(
            BucketTable::new(vec![bucket("a", 0, Some(10)), bucket("b", 11, Some(20))]).is_err()
        );
        assert!(BucketTable::new(vec![bucket("a", 0, Some(10)), bucket("b", 11, None)]).is_ok());
    }

    #[test]
    fn late_fee_after_grace_only() {
        let installment = DueAmount {
            due_date: date(1, 15),
            amount: usd(10_000),
        };
        // 10-day grace: last grace day is Jan 25.
        assert!(!late_fee_eligible(&installment, usd(0), 10, date(1, 25)).unwrap());
        assert!(late_fee_eligible(&installment, usd(0), 10, date(1, 26)).unwrap());
        assert!(late_fee_eligible(&installment, usd(9_999), 10, date(1, 26)).unwrap());
        assert!(!late_fee_eligible(&installment, usd(10_000), 10, date(1, 26)).unwrap());
        assert_eq!(
            late_fee_eligible(&installment, usd(0), 91, date(6, 1)),
            Err(DelinquencyError::GraceTooLong)
        );
    }
}
