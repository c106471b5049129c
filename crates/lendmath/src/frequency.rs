//! Payment frequencies and the due-date calendar they generate.
//!
//! Due dates are computed from the first due date by index, never by stepping from the
//! previous date, so a schedule on the 31st does not drift to the 28th after February.
//! End-of-month rule: when the first due date is the last day of its month, every
//! month-based due date is the last day of its month.

use chrono::{Datelike, Days, Months, NaiveDate};

/// How often installments fall due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Every 7 days.
    Weekly,
    /// Every 14 days.
    Biweekly,
    /// Twice a month, 15 days apart in the month (1st and 16th, 15th and last day, ...).
    SemiMonthly,
    /// Every month on the same day.
    Monthly,
    /// Every three months.
    Quarterly,
    /// Every twelve months.
    Annually,
}

impl Frequency {
    /// Every frequency, for tests and error messages.
    pub const ALL: [Frequency; 6] = [
        Frequency::Weekly,
        Frequency::Biweekly,
        Frequency::SemiMonthly,
        Frequency::Monthly,
        Frequency::Quarterly,
        Frequency::Annually,
    ];

    /// The contract code ("monthly", "semi_monthly", ...).
    pub fn code(self) -> &'static str {
        match self {
            Frequency::Weekly => "weekly",
            Frequency::Biweekly => "biweekly",
            Frequency::SemiMonthly => "semi_monthly",
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
            Frequency::Annually => "annually",
        }
    }

    /// The frequency named by a contract code, if any.
    pub fn from_code(code: &str) -> Option<Frequency> {
        Frequency::ALL.into_iter().find(|f| f.code() == code)
    }

    /// Installments per year (52 weekly, 26 biweekly, 24, 12, 4, 1).
    pub fn periods_per_year(self) -> u32 {
        match self {
            Frequency::Weekly => 52,
            Frequency::Biweekly => 26,
            Frequency::SemiMonthly => 24,
            Frequency::Monthly => 12,
            Frequency::Quarterly => 4,
            Frequency::Annually => 1,
        }
    }

    /// Length of one period in whole months, for month-based frequencies.
    pub fn months_per_period(self) -> Option<u32> {
        match self {
            Frequency::Monthly => Some(1),
            Frequency::Quarterly => Some(3),
            Frequency::Annually => Some(12),
            Frequency::Weekly | Frequency::Biweekly | Frequency::SemiMonthly => None,
        }
    }

    /// Length of one period in days, for day-based frequencies.
    pub fn days_per_period(self) -> Option<u32> {
        match self {
            Frequency::Weekly => Some(7),
            Frequency::Biweekly => Some(14),
            _ => None,
        }
    }

    /// The due date one regular period after `start` (the default first due date).
    pub fn next_after(self, start: NaiveDate) -> Option<NaiveDate> {
        self.due_date(start, 1)
    }

    /// The due date with zero-based `index` in a calendar whose first due date is
    /// `first_due`. `None` only when the date would leave chrono's range.
    pub fn due_date(self, first_due: NaiveDate, index: u32) -> Option<NaiveDate> {
        let end_of_month = is_last_day_of_month(first_due);
        match self {
            Frequency::Weekly | Frequency::Biweekly => {
                let days = u64::from(self.days_per_period()?) * u64::from(index);
                first_due.checked_add_days(Days::new(days))
            }
            Frequency::Monthly | Frequency::Quarterly | Frequency::Annually => {
                let months = self.months_per_period()? * index;
                add_months(first_due, months, end_of_month)
            }
            Frequency::SemiMonthly => semi_monthly_due_date(first_due, index, end_of_month),
        }
    }
}

/// True when `date` is the last day of its month.
pub fn is_last_day_of_month(date: NaiveDate) -> bool {
    date.succ_opt()
        .is_none_or(|next| next.month() != date.month())
}

/// The last day of the month of `date`.
pub fn last_day_of_month(date: NaiveDate) -> NaiveDate {
    let first = date.with_day(1).unwrap_or(date);
    first
        .checked_add_months(Months::new(1))
        .and_then(|next| next.pred_opt())
        .unwrap_or(date)
}

/// Adds whole months, clamping to the month's last day (Jan 31 + 1 month = Feb 28/29)
/// and, with `end_of_month`, moving to the month's last day.
pub fn add_months(date: NaiveDate, months: u32, end_of_month: bool) -> Option<NaiveDate> {
    let moved = date.checked_add_months(Months::new(months))?;
    Some(if end_of_month {
        last_day_of_month(moved)
    } else {
        moved
    })
}

fn semi_monthly_due_date(
    first_due: NaiveDate,
    index: u32,
    end_of_month: bool,
) -> Option<NaiveDate> {
    let month_offset = index / 2;
    let second_in_pair = index % 2 == 1;
    if end_of_month {
        // Last day, then the 15th of the next month, then the last day, ...
        let base = first_due.with_day(1)?;
        return if second_in_pair {
            base.checked_add_months(Months::new(month_offset + 1))?
                .with_day(15)
        } else {
            Some(last_day_of_month(
                base.checked_add_months(Months::new(month_offset))?,
            ))
        };
    }
    let day = first_due.day();
    let base = first_due.with_day(1)?;
    let (month, day) = match (day <= 15, second_in_pair) {
        (_, false) => (month_offset, day),
        (true, true) => (month_offset, day + 15),
        (false, true) => (month_offset + 1, day - 15),
    };
    let month_start = base.checked_add_months(Months::new(month))?;
    let last = last_day_of_month(month_start).day();
    month_start.with_day(day.min(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn dates(frequency: Frequency, first: NaiveDate, count: u32) -> Vec<NaiveDate> {
        (0..count)
            .map(|i| frequency.due_date(first, i).unwrap())
            .collect()
    }

    #[test]
    fn monthly_does_not_drift_after_short_months() {
        let got = dates(Frequency::Monthly, date(2024, 1, 30), 4);
        assert_eq!(
            got,
            [
                date(2024, 1, 30),
                date(2024, 2, 29),
                date(2024, 3, 30),
                date(2024, 4, 30)
            ]
        );
    }

    #[test]
    fn end_of_month_rule_keeps_last_days() {
        let got = dates(Frequency::Monthly, date(2023, 2, 28), 3);
        assert_eq!(
            got,
            [date(2023, 2, 28), date(2023, 3, 31), date(2023, 4, 30)]
        );
        let got = dates(Frequency::Quarterly, date(2024, 11, 30), 3);
        assert_eq!(
            got,
            [date(2024, 11, 30), date(2025, 2, 28), date(2025, 5, 31)]
        );
    }

    #[test]
    fn day_based_frequencies() {
        assert_eq!(
            dates(Frequency::Weekly, date(2024, 12, 27), 2)[1],
            date(2025, 1, 3)
        );
        assert_eq!(
            dates(Frequency::Biweekly, date(2024, 2, 20), 2)[1],
            date(2024, 3, 5)
        );
        assert_eq!(
            dates(Frequency::Annually, date(2024, 2, 29), 2)[1],
            date(2025, 2, 28)
        );
    }

    #[test]
    fn semi_monthly_pairs() {
        let got = dates(Frequency::SemiMonthly, date(1978, 3, 1), 4);
        assert_eq!(
            got,
            [
                date(1978, 3, 1),
                date(1978, 3, 16),
                date(1978, 4, 1),
                date(1978, 4, 16)
            ]
        );
        let got = dates(Frequency::SemiMonthly, date(2024, 1, 20), 3);
        assert_eq!(
            got,
            [date(2024, 1, 20), date(2024, 2, 5), date(2024, 2, 20)]
        );
        let got = dates(Frequency::SemiMonthly, date(2024, 1, 31), 4);
        assert_eq!(
            got,
            [
                date(2024, 1, 31),
                date(2024, 2, 15),
                date(2024, 2, 29),
                date(2024, 3, 15)
            ]
        );
        let got = dates(Frequency::SemiMonthly, date(2024, 1, 15), 4);
        assert_eq!(
            got,
            [
                date(2024, 1, 15),
                date(2024, 1, 30),
                date(2024, 2, 15),
                date(2024, 2, 29)
            ]
        );
    }

    #[test]
    fn codes_round_trip() {
        for frequency in Frequency::ALL {
            assert_eq!(Frequency::from_code(frequency.code()), Some(frequency));
            let json = serde_json::to_string(&frequency).unwrap();
            assert_eq!(json, format!("\"{}\"", frequency.code()));
        }
        assert_eq!(Frequency::from_code("fortnightly"), None);
    }
}
