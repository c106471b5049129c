//! Explicit rounding modes. Money math keeps full decimal precision and rounds to the
//! currency's minor unit only where a named rule says so (interest per period, the level
//! payment, accrued interest at posting); every such place names its mode.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::money::{Currency, Money, MoneyError};

/// How a decimal is brought to the currency's minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingMode {
    /// Ties to the even neighbour (banker's rounding): 0.125 -> 0.12, 0.135 -> 0.14.
    HalfEven,
    /// Ties away from zero (school rounding): 0.125 -> 0.13, -0.125 -> -0.13.
    HalfUp,
    /// Away from zero whenever anything is cut: 0.121 -> 0.13, -0.121 -> -0.13.
    Up,
    /// Toward zero (truncation): 0.129 -> 0.12, -0.129 -> -0.12.
    Down,
}

impl RoundingMode {
    fn strategy(self) -> RoundingStrategy {
        match self {
            RoundingMode::HalfEven => RoundingStrategy::MidpointNearestEven,
            RoundingMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            RoundingMode::Up => RoundingStrategy::AwayFromZero,
            RoundingMode::Down => RoundingStrategy::ToZero,
        }
    }

    /// Rounds `value` to `decimals` places with this mode.
    pub fn round_decimal(self, value: Decimal, decimals: u32) -> Decimal {
        value.round_dp_with_strategy(decimals, self.strategy())
    }

    /// Rounds `value` to the currency's minor unit, failing only when the result does not
    /// fit the range of [`Money`].
    pub fn round_money(self, value: Decimal, currency: Currency) -> Result<Money, MoneyError> {
        let scale = currency.minor_units();
        let mut rounded = self.round_decimal(value, scale);
        rounded.rescale(scale);
        if rounded.scale() != scale {
            // rescale only fails to reach the scale when the mantissa would overflow.
            return Err(MoneyError::OutOfRange { currency });
        }
        i64::try_from(rounded.mantissa())
            .map(|minor| Money::from_minor(minor, currency))
            .map_err(|_| MoneyError::OutOfRange { currency })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn each_mode_rounds_ties_and_non_ties_as_named() {
        let usd = Currency::USD;
        let cases = [
            ("0.125", [12, 13, 13, 12]),
            ("0.135", [14, 14, 14, 13]),
            ("0.121", [12, 12, 13, 12]),
            ("0.129", [13, 13, 13, 12]),
            ("-0.125", [-12, -13, -13, -12]),
            ("-0.121", [-12, -12, -13, -12]),
            ("7", [700, 700, 700, 700]),
        ];
        let modes = [
            RoundingMode::HalfEven,
            RoundingMode::HalfUp,
            RoundingMode::Up,
            RoundingMode::Down,
        ];
        for (value, expected) in cases {
            for (mode, minor) in modes.iter().zip(expected) {
                let money = mode.round_money(d(value), usd).unwrap();
                assert_eq!(money.to_minor(), minor, "{value} {mode:?}");
            }
        }
    }

    #[test]
    fn rounds_to_each_currency_scale() {
        let jpy = Currency::from_code("JPY").unwrap();
        let kwd = Currency::from_code("KWD").unwrap();
        assert_eq!(
            RoundingMode::HalfUp
                .round_money(d("1500.5"), jpy)
                .unwrap()
                .to_minor(),
            1501
        );
        assert_eq!(
            RoundingMode::HalfEven
                .round_money(d("1.2345"), kwd)
                .unwrap()
                .to_minor(),
            1234
        );
    }

    #[test]
    fn out_of_range_is_an_error_not_a_wrap() {
        let huge = Decimal::MAX;
        assert!(
            RoundingMode::HalfUp
                .round_money(huge, Currency::USD)
                .is_err()
        );
        let just_over = d("92233720368547758.08");
        assert!(
            RoundingMode::Down
                .round_money(just_over, Currency::USD)
                .is_err()
        );
    }
}
