//! Interest rates as their own types, so a rate can never be added to money or mistaken
//! for a different period's rate. An [`AnnualRate`] is entered as a percent ("8.5") and
//! held as a fraction (0.085); periodic and daily rates are derived from it explicitly.

use core::fmt;

use rust_decimal::Decimal;

/// Highest nominal annual rate accepted, in percent. Above every lawful consumer and
/// commercial rate we know of (short-term loans disclose APRs of several hundred percent),
/// and low enough that compounding over the longest term stays inside decimal range.
pub const RATE_ANNUAL_PERCENT_MAX: Decimal = Decimal::from_parts(1000, 0, 0, false, 0);

/// Most decimals a rate may be given with: a basis point is 2 decimals of a percent; 6
/// leaves room for rates quoted from index arithmetic without inviting noise.
pub const RATE_PERCENT_DECIMALS_MAX: u32 = 6;

/// Why a rate was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    /// Not a plain decimal percent.
    #[error("rate is not a plain decimal percent such as \"8.5\"")]
    Malformed,
    /// Below zero.
    #[error("rate must not be negative")]
    Negative,
    /// Above [`RATE_ANNUAL_PERCENT_MAX`].
    #[error("rate must not exceed {RATE_ANNUAL_PERCENT_MAX} percent")]
    TooHigh,
    /// More than [`RATE_PERCENT_DECIMALS_MAX`] decimals.
    #[error("rate has more than {RATE_PERCENT_DECIMALS_MAX} decimals")]
    TooManyDecimals,
}

/// A nominal annual interest rate, held as a fraction (8.5 percent is 0.085).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AnnualRate {
    fraction: Decimal,
}

impl AnnualRate {
    /// A zero rate.
    pub const ZERO: AnnualRate = AnnualRate {
        fraction: Decimal::ZERO,
    };

    /// From a percent: `from_percent(8.5)` is 8.5 percent a year.
    pub fn from_percent(percent: Decimal) -> Result<AnnualRate, RateError> {
        if percent.is_sign_negative() && !percent.is_zero() {
            return Err(RateError::Negative);
        }
        if percent > RATE_ANNUAL_PERCENT_MAX {
            return Err(RateError::TooHigh);
        }
        if percent.normalize().scale() > RATE_PERCENT_DECIMALS_MAX {
            return Err(RateError::TooManyDecimals);
        }
        Ok(AnnualRate {
            fraction: percent / Decimal::ONE_HUNDRED,
        })
    }

    /// Parses a percent written as plain decimal text ("8.5", "0", "12.375").
    pub fn parse_percent(text: &str) -> Result<AnnualRate, RateError> {
        let plain = !text.is_empty()
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
            && !text.starts_with('.')
            && !text.ends_with('.')
            && text.len() <= 32;
        if !plain {
            return Err(RateError::Malformed);
        }
        let percent: Decimal = text.parse().map_err(|_| RateError::Malformed)?;
        AnnualRate::from_percent(percent)
    }

    /// The rate as a fraction per year (0.085).
    pub fn fraction(&self) -> Decimal {
        self.fraction
    }

    /// The rate as a percent per year (8.5).
    pub fn percent(&self) -> Decimal {
        (self.fraction * Decimal::ONE_HUNDRED).normalize()
    }

    /// The rate per period when a year has `periods_per_year` equal periods (nominal
    /// convention: 8.5 percent monthly is 0.085 / 12). `periods_per_year` must be > 0.
    pub fn periodic(&self, periods_per_year: u32) -> PeriodicRate {
        assert!(periods_per_year > 0, "a year has at least one period");
        PeriodicRate {
            fraction: self.fraction / Decimal::from(periods_per_year),
        }
    }

    /// The rate per day for a year of `days_in_year` days (360, 365 or 366).
    pub fn daily(&self, days_in_year: u32) -> DailyRate {
        assert!(days_in_year > 0, "a year has at least one day");
        DailyRate {
            fraction: self.fraction / Decimal::from(days_in_year),
        }
    }
}

impl fmt::Display for AnnualRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.percent())
    }
}

/// An interest rate per payment period, as a fraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeriodicRate {
    fraction: Decimal,
}

impl PeriodicRate {
    /// The rate per period as a fraction.
    pub fn fraction(&self) -> Decimal {
        self.fraction
    }
}

/// An interest rate per day, as a fraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DailyRate {
    fraction: Decimal,
}

impl DailyRate {
    /// The rate per day as a fraction.
    pub fn fraction(&self) -> Decimal {
        self.fraction
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_is_held_as_a_fraction() {
        let rate = AnnualRate::parse_percent("8.5").unwrap();
        assert_eq!(rate.fraction(), "0.085".parse::<Decimal>().unwrap());
        assert_eq!(rate.percent().to_string(), "8.5");
        assert_eq!(rate.to_string(), "8.5%");
        let monthly = rate.periodic(12).fraction();
        assert_eq!(monthly.round_dp(20).to_string(), "0.00708333333333333333");
        let daily = AnnualRate::parse_percent("3.65").unwrap().daily(365);
        assert_eq!(daily.fraction(), "0.0001".parse::<Decimal>().unwrap());
    }

    #[test]
    fn rejects_bad_rates() {
        assert_eq!(AnnualRate::parse_percent("-1"), Err(RateError::Negative));
        assert_eq!(
            AnnualRate::parse_percent("1000.01"),
            Err(RateError::TooHigh)
        );
        assert!(AnnualRate::parse_percent("1000").is_ok());
        assert!(AnnualRate::parse_percent("0").is_ok());
        assert_eq!(
            AnnualRate::parse_percent("1.0000001"),
            Err(RateError::TooManyDecimals)
        );
        for text in ["", "8.5%", "1e2", "+1", " 1", ".5", "5.", "abc"] {
            assert_eq!(
                AnnualRate::parse_percent(text),
                Err(RateError::Malformed),
                "{text}"
            );
        }
    }
}
