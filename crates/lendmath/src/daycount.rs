//! Day-count conventions: how many days lie between two dates and what fraction of a
//! year they are. Definitions follow the 2006 ISDA Definitions, section 4.16.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

/// A day-count convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DayCount {
    /// 30/360 US (ISDA "30/360", bond basis): day 31 becomes 30; an end day 31 becomes
    /// 30 only when the start day is 30 or 31.
    #[serde(rename = "30/360")]
    Thirty360Us,
    /// 30E/360 (Eurobond basis): every day 31 becomes 30.
    #[serde(rename = "30E/360")]
    Thirty360European,
    /// Actual days over a 360-day year.
    #[serde(rename = "actual/360")]
    Actual360,
    /// Actual days over a 365-day year, leap years included.
    #[serde(rename = "actual/365")]
    Actual365Fixed,
    /// Actual/Actual (ISDA): days in leap years over 366 plus days in other years over 365.
    #[serde(rename = "actual/actual")]
    ActualActualIsda,
}

impl DayCount {
    /// Every convention, for tests and error messages.
    pub const ALL: [DayCount; 5] = [
        DayCount::Thirty360Us,
        DayCount::Thirty360European,
        DayCount::Actual360,
        DayCount::Actual365Fixed,
        DayCount::ActualActualIsda,
    ];

    /// The contract code ("30/360", "actual/365", ...).
    pub fn code(self) -> &'static str {
        match self {
            DayCount::Thirty360Us => "30/360",
            DayCount::Thirty360European => "30E/360",
            DayCount::Actual360 => "actual/360",
            DayCount::Actual365Fixed => "actual/365",
            DayCount::ActualActualIsda => "actual/actual",
        }
    }

    /// The convention named by a contract code, if any.
    pub fn from_code(code: &str) -> Option<DayCount> {
        DayCount::ALL.into_iter().find(|d| d.code() == code)
    }

    /// True for the 30/360 family, where every month counts 30 days.
    pub fn is_thirty_360(self) -> bool {
        matches!(self, DayCount::Thirty360Us | DayCount::Thirty360European)
    }

    /// Days from `start` to `end` under this convention (negative when `end` is earlier).
    pub fn days(self, start: NaiveDate, end: NaiveDate) -> i64 {
        match self {
            DayCount::Thirty360Us => {
                let d1 = start.day().min(30);
                let d2 = if end.day() == 31 && d1 == 30 {
                    30
                } else {
                    end.day()
                };
                thirty_360_days(start, end, d1, d2)
            }
            DayCount::Thirty360European => {
                thirty_360_days(start, end, start.day().min(30), end.day().min(30))
            }
            _ => (end - start).num_days(),
        }
    }

    /// The fraction of a year from `start` to `end` (negative when `end` is earlier).
    pub fn year_fraction(self, start: NaiveDate, end: NaiveDate) -> Decimal {
        if end < start {
            return -self.year_fraction(end, start);
        }
        match self {
            DayCount::Thirty360Us | DayCount::Thirty360European | DayCount::Actual360 => {
                Decimal::from(self.days(start, end)) / Decimal::from(360)
            }
            DayCount::Actual365Fixed => Decimal::from(self.days(start, end)) / Decimal::from(365),
            DayCount::ActualActualIsda => actual_actual_isda(start, end),
        }
    }

    /// Days in the year this convention divides by, for a day in `year` (per-diem basis).
    pub fn days_in_year(self, year: i32) -> u32 {
        match self {
            DayCount::Thirty360Us | DayCount::Thirty360European | DayCount::Actual360 => 360,
            DayCount::Actual365Fixed => 365,
            DayCount::ActualActualIsda => days_in_calendar_year(year),
        }
    }
}

fn thirty_360_days(start: NaiveDate, end: NaiveDate, d1: u32, d2: u32) -> i64 {
    360 * i64::from(end.year() - start.year())
        + 30 * (i64::from(end.month()) - i64::from(start.month()))
        + (i64::from(d2) - i64::from(d1))
}

/// Days of a calendar year: 366 in leap years, else 365.
pub fn days_in_calendar_year(year: i32) -> u32 {
    if NaiveDate::from_ymd_opt(year, 2, 29).is_some() {
        366
    } else {
        365
    }
}

fn actual_actual_isda(start: NaiveDate, end: NaiveDate) -> Decimal {
    // One term per calendar year touched; a loan term is bounded, so is this loop.
    let mut fraction = Decimal::ZERO;
    let mut cursor = start;
    while cursor < end {
        let next_year = NaiveDate::from_ymd_opt(cursor.year() + 1, 1, 1).unwrap_or(end);
        let segment_end = next_year.min(end);
        let days = (segment_end - cursor).num_days();
        fraction += Decimal::from(days) / Decimal::from(days_in_calendar_year(cursor.year()));
        cursor = segment_end;
    }
    fraction
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn thirty_360_end_of_month_rules() {
        // Source: 2006 ISDA Definitions 4.16(f) (30/360) and 4.16(g) (30E/360).
        let us = DayCount::Thirty360Us;
        let eu = DayCount::Thirty360European;
        assert_eq!(us.days(date(2024, 1, 31), date(2024, 3, 31)), 60);
        assert_eq!(eu.days(date(2024, 1, 31), date(2024, 3, 31)), 60);
        // End day 31 with a start day below 30: US keeps 31, 30E cuts to 30.
        assert_eq!(us.days(date(2024, 1, 15), date(2024, 3, 31)), 76);
        assert_eq!(eu.days(date(2024, 1, 15), date(2024, 3, 31)), 75);
        assert_eq!(us.days(date(2024, 2, 29), date(2024, 3, 31)), 32);
        assert_eq!(us.days(date(2023, 1, 1), date(2024, 1, 1)), 360);
        assert_eq!(
            us.year_fraction(date(2024, 1, 15), date(2024, 2, 15)),
            dec("30") / dec("360")
        );
    }

    #[test]
    fn actual_conventions() {
        let start = date(2024, 1, 1);
        let end = date(2025, 1, 1);
        assert_eq!(DayCount::Actual360.days(start, end), 366);
        assert_eq!(
            DayCount::Actual360.year_fraction(start, end),
            dec("366") / dec("360")
        );
        assert_eq!(
            DayCount::Actual365Fixed.year_fraction(start, end),
            dec("366") / dec("365")
        );
        assert_eq!(
            DayCount::ActualActualIsda.year_fraction(start, end),
            Decimal::ONE
        );
    }

    #[test]
    fn actual_actual_isda_splits_at_year_end() {
        // 2023-11-15 to 2024-03-15: 47 days in 2023 (/365), 74 days in 2024 (/366).
        let fraction =
            DayCount::ActualActualIsda.year_fraction(date(2023, 11, 15), date(2024, 3, 15));
        assert_eq!(fraction, dec("47") / dec("365") + dec("74") / dec("366"));
        assert_eq!(DayCount::ActualActualIsda.days_in_year(2024), 366);
        assert_eq!(DayCount::ActualActualIsda.days_in_year(2100), 365);
    }

    #[test]
    fn reversed_dates_give_negative_fractions_and_codes_round_trip() {
        for convention in DayCount::ALL {
            let forward = convention.year_fraction(date(2024, 1, 10), date(2024, 7, 3));
            let backward = convention.year_fraction(date(2024, 7, 3), date(2024, 1, 10));
            assert!(forward > Decimal::ZERO);
            assert_eq!(forward, -backward);
            assert_eq!(DayCount::from_code(convention.code()), Some(convention));
            let json = serde_json::to_string(&convention).unwrap();
            assert_eq!(json, format!("\"{}\"", convention.code()));
        }
        assert_eq!(DayCount::from_code("act/365"), None);
    }
}
