//! Money: an exact amount in one ISO 4217 currency, held as integer minor units.
//!
//! `Money` is stored as `i64` minor units (cents for USD, yen for JPY, fils for KWD), so
//! its amount is always exactly at the currency's scale and converting to minor units
//! can never fail. Amounts that do not fit `i64` minor units are rejected at the edge
//! (`Money::parse`), never discovered later in the middle of a calculation.
//!
//! ```
//! use lendmath::money::{Currency, Money};
//! let usd = Currency::from_code("USD").unwrap();
//! let a = Money::parse("125.4", usd).unwrap();
//! let b = Money::from_minor(60, usd);
//! assert_eq!(a.checked_add(&b).unwrap().to_string(), "126.00 USD");
//! ```

use core::cmp::Ordering;
use core::fmt;

use rust_decimal::Decimal;

/// Longest text `Money::parse` reads, in bytes. A sign, 28 digits, a point and some
/// leading zeros fit easily; anything longer is not an amount a person typed.
pub const AMOUNT_TEXT_MAX_BYTES: usize = 64;

/// Most significant digits an amount may carry: the precision of `rust_decimal`.
pub const AMOUNT_SIGNIFICANT_DIGITS_MAX: usize = 28;

/// ISO 4217 active currencies (alphabetic code, minor units), sorted by code so lookups can
/// binary search. Funds codes, precious metals and testing codes (minor units "N.A.")
/// are deliberately absent: loans are never denominated in them.
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("ANG", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHF", 2),
    ("CLF", 4),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("UYI", 0),
    ("UYU", 2),
    ("UYW", 4),
    ("UZS", 2),
    ("VED", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XCG", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

/// Errors from building or combining money. Messages name what was wrong and are safe to
/// show a client: they never echo the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The currency code is not an upper-case ISO 4217 code in our table.
    #[error("is not a known currency: expected an upper-case ISO 4217 code such as \"USD\"")]
    UnknownCurrency,
    /// The amount text was empty.
    #[error("amount is empty")]
    EmptyAmount,
    /// The amount text is not a plain decimal number.
    #[error(
        "amount is not a plain decimal number (digits, an optional leading '-', an optional '.' and decimals): {reason}"
    )]
    MalformedAmount {
        /// What exactly is wrong, for example "contains an exponent".
        reason: &'static str,
    },
    /// The amount has more decimals than the currency's minor units.
    #[error("amount has {decimals} decimals but {currency} allows at most {minor_units}")]
    TooManyDecimals {
        /// Number of decimals given.
        decimals: usize,
        /// The currency of the amount.
        currency: Currency,
        /// The currency's minor units.
        minor_units: u32,
    },
    /// The amount has more significant digits than exact decimal arithmetic supports.
    #[error("amount has more than {AMOUNT_SIGNIFICANT_DIGITS_MAX} significant digits")]
    TooManyDigits,
    /// The amount does not fit the supported range (signed 64-bit minor units).
    #[error("amount is out of the supported range for {currency}")]
    OutOfRange {
        /// The currency of the amount.
        currency: Currency,
    },
    /// Two amounts in different currencies were combined or compared.
    #[error("currency mismatch: {left} and {right}")]
    CurrencyMismatch {
        /// Currency of the left operand.
        left: Currency,
        /// Currency of the right operand.
        right: Currency,
    },
    /// An arithmetic result does not fit the supported range.
    #[error("amount overflow in {currency}: the result is out of the supported range")]
    Overflow {
        /// The currency of the operation.
        currency: Currency,
    },
}

/// An ISO 4217 currency: its alphabetic code and its number of minor units (decimals).
///
/// Only obtainable from the built-in table, so every `Currency` value is a real one.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    minor_units: u8,
}

impl Currency {
    /// United States dollar, the default currency of requests that do not name one.
    pub const USD: Currency = Currency {
        code: "USD",
        minor_units: 2,
    };

    /// Looks up an upper-case ISO 4217 alphabetic code ("USD", "JPY", "KWD").
    /// Lower-case or unknown codes are rejected rather than guessed.
    pub fn from_code(code: &str) -> Result<Currency, MoneyError> {
        match CURRENCIES.binary_search_by(|(known, _)| (*known).cmp(code)) {
            Ok(index) => {
                let (code, minor_units) = CURRENCIES[index];
                Ok(Currency { code, minor_units })
            }
            Err(_) => Err(MoneyError::UnknownCurrency),
        }
    }

    /// The three-letter ISO 4217 code, e.g. "USD".
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Number of decimals of the currency's minor unit: 2 for USD, 0 for JPY, 3 for KWD.
    pub fn minor_units(&self) -> u32 {
        u32::from(self.minor_units)
    }

    /// Every currency of the built-in table, in code order.
    pub fn all() -> impl Iterator<Item = Currency> {
        CURRENCIES
            .iter()
            .map(|&(code, minor_units)| Currency { code, minor_units })
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({}, {})", self.code, self.minor_units)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl serde::Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code)
    }
}

impl<'de> serde::Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // An owned string, so escaped JSON text ("\u0055SD") is accepted like any other.
        let code = <String as serde::Deserialize>::deserialize(deserializer)?;
        Currency::from_code(&code).map_err(serde::de::Error::custom)
    }
}

/// An exact amount of money in one currency.
///
/// Held as signed 64-bit minor units, so the amount is always exactly at the currency's
/// scale. Equality includes the currency; ordering is only defined within one currency,
/// through [`Money::checked_cmp`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Money {
    amount_minor: i64,
    currency: Currency,
}

impl Money {
    /// Parses plain decimal text such as "125.4", "-3" or "0.00".
    ///
    /// Rejects empty text, a leading '+', exponents, spaces, thousands separators, a
    /// trailing or leading '.', more decimals than the currency's minor units, more than
    /// [`AMOUNT_SIGNIFICANT_DIGITS_MAX`] significant digits, and amounts outside `i64`
    /// minor units.
    pub fn parse(amount: &str, currency: Currency) -> Result<Money, MoneyError> {
        let (negative, integer_digits, fraction_digits) = split_plain_decimal(amount)?;
        let minor_units = currency.minor_units();
        if fraction_digits.len() > minor_units as usize {
            return Err(MoneyError::TooManyDecimals {
                decimals: fraction_digits.len(),
                currency,
                minor_units,
            });
        }
        let significant = integer_digits.trim_start_matches('0').len() + fraction_digits.len();
        if significant > AMOUNT_SIGNIFICANT_DIGITS_MAX {
            return Err(MoneyError::TooManyDigits);
        }
        let out_of_range = MoneyError::OutOfRange { currency };
        // Accumulate as negative so that i64::MIN minor units is representable.
        let mut minor: i64 = 0;
        let padding = minor_units as usize - fraction_digits.len();
        let digits = integer_digits
            .bytes()
            .chain(fraction_digits.bytes())
            .chain(core::iter::repeat_n(b'0', padding));
        for digit in digits {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_sub(i64::from(digit - b'0')))
                .ok_or(out_of_range.clone())?;
        }
        if !negative {
            minor = minor.checked_neg().ok_or(out_of_range)?;
        }
        Ok(Money::from_minor(minor, currency))
    }

    /// Money from integer minor units: `from_minor(12540, USD)` is 125.40 USD.
    pub const fn from_minor(minor: i64, currency: Currency) -> Money {
        Money {
            amount_minor: minor,
            currency,
        }
    }

    /// The amount in integer minor units (cents for USD).
    pub const fn to_minor(&self) -> i64 {
        self.amount_minor
    }

    /// Zero in the given currency.
    pub const fn zero(currency: Currency) -> Money {
        Money::from_minor(0, currency)
    }

    /// The amount as a decimal with exactly the currency's scale (125.40, not 125.4).
    pub fn amount(&self) -> Decimal {
        Decimal::new(self.amount_minor, self.currency.minor_units())
    }

    /// The currency of the amount.
    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// Sum of two amounts of the same currency.
    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        let currency = self.same_currency(other)?;
        self.amount_minor
            .checked_add(other.amount_minor)
            .map(|minor| Money::from_minor(minor, currency))
            .ok_or(MoneyError::Overflow { currency })
    }

    /// Difference of two amounts of the same currency (`self - other`).
    pub fn checked_sub(&self, other: &Money) -> Result<Money, MoneyError> {
        let currency = self.same_currency(other)?;
        self.amount_minor
            .checked_sub(other.amount_minor)
            .map(|minor| Money::from_minor(minor, currency))
            .ok_or(MoneyError::Overflow { currency })
    }

    /// The amount with its sign flipped.
    pub fn checked_neg(&self) -> Result<Money, MoneyError> {
        self.amount_minor
            .checked_neg()
            .map(|minor| Money::from_minor(minor, self.currency))
            .ok_or(MoneyError::Overflow {
                currency: self.currency,
            })
    }

    /// Compares two amounts of the same currency; amounts of different currencies have
    /// no order.
    pub fn checked_cmp(&self, other: &Money) -> Result<Ordering, MoneyError> {
        self.same_currency(other)?;
        Ok(self.amount_minor.cmp(&other.amount_minor))
    }

    /// The smaller of two amounts of the same currency.
    pub fn checked_min(&self, other: &Money) -> Result<Money, MoneyError> {
        Ok(match self.checked_cmp(other)? {
            Ordering::Greater => *other,
            _ => *self,
        })
    }

    /// True when the amount is below zero.
    pub const fn is_negative(&self) -> bool {
        self.amount_minor < 0
    }

    /// True when the amount is above zero.
    pub const fn is_positive(&self) -> bool {
        self.amount_minor > 0
    }

    /// True when the amount is exactly zero.
    pub const fn is_zero(&self) -> bool {
        self.amount_minor == 0
    }

    /// The amount as text with exactly the currency's number of decimals:
    /// "125.40", "1500" for JPY, "-0.05".
    pub fn to_decimal_string(&self) -> String {
        let scale = self.currency.minor_units() as usize;
        let magnitude = self.amount_minor.unsigned_abs().to_string();
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        if scale == 0 {
            return format!("{sign}{magnitude}");
        }
        let padded = format!("{magnitude:0>width$}", width = scale + 1);
        let (integer, fraction) = padded.split_at(padded.len() - scale);
        format!("{sign}{integer}.{fraction}")
    }

    fn same_currency(&self, other: &Money) -> Result<Currency, MoneyError> {
        if self.currency == other.currency {
            Ok(self.currency)
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency)
    }
}

/// Splits plain decimal text into (negative, integer digits, fraction digits), checking
/// the grammar `-?[0-9]+(\.[0-9]+)?` byte by byte so no locale or exponent form slips in.
fn split_plain_decimal(text: &str) -> Result<(bool, &str, &str), MoneyError> {
    let malformed = |reason| Err(MoneyError::MalformedAmount { reason });
    if text.is_empty() {
        return Err(MoneyError::EmptyAmount);
    }
    if text.len() > AMOUNT_TEXT_MAX_BYTES {
        return malformed("text is too long");
    }
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if let Some(bad) = unsigned.bytes().find(|b| !b.is_ascii_digit() && *b != b'.') {
        return malformed(match bad {
            b'+' => "contains '+'",
            b'-' => "contains a misplaced '-'",
            b'e' | b'E' => "contains an exponent",
            b' ' | b'\t' | b'\n' | b'\r' => "contains whitespace",
            b',' | b'_' | b'\'' => "contains a digit separator",
            _ => "contains a character that is not a digit",
        });
    }
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (unsigned, None),
    };
    if integer.is_empty() {
        return malformed("no digit before the decimal point");
    }
    match fraction {
        None => Ok((negative, integer, "")),
        Some("") => malformed("no digit after the decimal point"),
        Some(fraction) if fraction.contains('.') => malformed("more than one decimal point"),
        Some(fraction) => Ok((negative, integer, fraction)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::from_code("USD").unwrap()
    }

    #[test]
    fn currency_table_is_sorted_unique_and_upper_case() {
        for pair in CURRENCIES.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
        for (code, minor_units) in CURRENCIES {
            assert_eq!(code.len(), 3);
            assert!(code.bytes().all(|b| b.is_ascii_uppercase()));
            assert!(*minor_units <= 4);
        }
        assert!(CURRENCIES.len() > 150);
    }

    #[test]
    fn currency_minor_units_match_iso_4217() {
        let expected = [
            ("USD", 2),
            ("EUR", 2),
            ("GBP", 2),
            ("CAD", 2),
            ("AUD", 2),
            ("CHF", 2),
            ("JPY", 0),
            ("KRW", 0),
            ("KWD", 3),
            ("BHD", 3),
            ("INR", 2),
            ("MXN", 2),
            ("BRL", 2),
            ("ZAR", 2),
            ("SEK", 2),
            ("NOK", 2),
            ("DKK", 2),
            ("PLN", 2),
            ("NZD", 2),
            ("SGD", 2),
            ("HKD", 2),
            ("CNY", 2),
            ("CLP", 0),
            ("OMR", 3),
            ("CLF", 4),
        ];
        for (code, minor_units) in expected {
            let currency = Currency::from_code(code).unwrap();
            assert_eq!(currency.code(), code);
            assert_eq!(currency.minor_units(), minor_units, "{code}");
            assert_eq!(currency.to_string(), code);
        }
        assert_eq!(Currency::USD, usd());
    }

    #[test]
    fn currency_rejects_unknown_lower_case_and_padded_codes() {
        for code in ["", "usd", "Usd", "XXX", "US", "USDD", " USD", "USD ", "XAU"] {
            let error = Currency::from_code(code).unwrap_err();
            assert!(matches!(error, MoneyError::UnknownCurrency), "{code:?}");
        }
        let long = "A".repeat(1000);
        let message = Currency::from_code(&long).unwrap_err().to_string();
        assert!(
            message.len() < 200,
            "error message echoes too much: {message}"
        );
    }

    #[test]
    fn currency_serde_is_the_code() {
        let json = serde_json::to_string(&usd()).unwrap();
        assert_eq!(json, "\"USD\"");
        let back: Currency = serde_json::from_str("\"JPY\"").unwrap();
        assert_eq!(back.minor_units(), 0);
        assert!(serde_json::from_str::<Currency>("\"jpy\"").is_err());
        assert!(serde_json::from_str::<Currency>("12").is_err());
    }

    #[test]
    fn parse_accepts_plain_decimals_and_pads_to_scale() {
        let cases = [
            ("125.4", 12540),
            ("125.40", 12540),
            ("-3", -300),
            ("0.00", 0),
            ("-0", 0),
            ("0.05", 5),
            ("-0.05", -5),
            ("007.1", 710),
            ("92233720368547758.07", i64::MAX),
            ("-92233720368547758.08", i64::MIN),
        ];
        for (text, minor) in cases {
            let money = Money::parse(text, usd()).unwrap();
            assert_eq!(money.to_minor(), minor, "{text}");
        }
        let jpy = Currency::from_code("JPY").unwrap();
        assert_eq!(Money::parse("1500", jpy).unwrap().to_minor(), 1500);
        let kwd = Currency::from_code("KWD").unwrap();
        assert_eq!(Money::parse("1.5", kwd).unwrap().to_minor(), 1500);
    }

    #[test]
    fn parse_rejects_everything_that_is_not_plain_decimal_text() {
        assert_eq!(Money::parse("", usd()), Err(MoneyError::EmptyAmount));
        let malformed = [
            "+1", "1e3", "1E3", " 1", "1 ", "1,000", "1_000", ".5", "5.", "1.2.3", "--1", "1-",
            "-", ".", "abc", "NaN", "inf", "1.0e2", "١",
        ];
        for text in malformed {
            let error = Money::parse(text, usd()).unwrap_err();
            assert!(
                matches!(error, MoneyError::MalformedAmount { .. }),
                "{text:?} gave {error:?}"
            );
        }
        assert!(matches!(
            Money::parse(&"1".repeat(65), usd()),
            Err(MoneyError::MalformedAmount { .. })
        ));
    }

    #[test]
    fn parse_rejects_more_decimals_than_minor_units() {
        assert_eq!(
            Money::parse("1.005", usd()),
            Err(MoneyError::TooManyDecimals {
                decimals: 3,
                currency: usd(),
                minor_units: 2
            })
        );
        // Trailing zeros still count: "1.000" claims a precision USD does not have.
        assert!(Money::parse("1.000", usd()).is_err());
        let jpy = Currency::from_code("JPY").unwrap();
        assert!(matches!(
            Money::parse("1500.0", jpy),
            Err(MoneyError::TooManyDecimals { .. })
        ));
        let message = Money::parse("1.005", usd()).unwrap_err().to_string();
        assert_eq!(message, "amount has 3 decimals but USD allows at most 2");
    }

    #[test]
    fn parse_rejects_too_many_digits_and_out_of_range() {
        assert_eq!(
            Money::parse(&"9".repeat(29), usd()),
            Err(MoneyError::TooManyDigits)
        );
        // 28 significant digits is within decimal precision but beyond i64 minor units.
        assert_eq!(
            Money::parse(&"9".repeat(28), usd()),
            Err(MoneyError::OutOfRange { currency: usd() })
        );
        assert_eq!(
            Money::parse("92233720368547758.08", usd()),
            Err(MoneyError::OutOfRange { currency: usd() })
        );
        assert_eq!(
            Money::parse("-92233720368547758.09", usd()),
            Err(MoneyError::OutOfRange { currency: usd() })
        );
        // Leading zeros are not significant.
        let zeros = format!("{}1", "0".repeat(40));
        assert_eq!(Money::parse(&zeros, usd()).unwrap().to_minor(), 100);
    }

    #[test]
    fn decimal_string_has_exactly_the_currency_scale() {
        let jpy = Currency::from_code("JPY").unwrap();
        let kwd = Currency::from_code("KWD").unwrap();
        let cases = [
            (Money::from_minor(12540, usd()), "125.40"),
            (Money::from_minor(-5, usd()), "-0.05"),
            (Money::from_minor(0, usd()), "0.00"),
            (Money::from_minor(1500, jpy), "1500"),
            (Money::from_minor(-1500, jpy), "-1500"),
            (Money::from_minor(7, kwd), "0.007"),
            (Money::from_minor(i64::MIN, usd()), "-92233720368547758.08"),
        ];
        for (money, text) in cases {
            assert_eq!(money.to_decimal_string(), text);
            assert_eq!(money.amount().to_string(), text);
            assert_eq!(money.amount().scale(), money.currency().minor_units());
            assert_eq!(Money::parse(text, money.currency()), Ok(money));
        }
        assert_eq!(Money::from_minor(12540, usd()).to_string(), "125.40 USD");
    }

    #[test]
    fn arithmetic_checks_currency_and_overflow() {
        let eur = Currency::from_code("EUR").unwrap();
        let a = Money::from_minor(1050, usd());
        let b = Money::from_minor(-2075, usd());
        assert_eq!(a.checked_add(&b), Ok(Money::from_minor(-1025, usd())));
        assert_eq!(a.checked_sub(&b), Ok(Money::from_minor(3125, usd())));
        assert_eq!(
            a.checked_add(&Money::zero(eur)),
            Err(MoneyError::CurrencyMismatch {
                left: usd(),
                right: eur
            })
        );
        assert!(a.checked_sub(&Money::zero(eur)).is_err());
        assert!(a.checked_cmp(&Money::zero(eur)).is_err());
        let max = Money::from_minor(i64::MAX, usd());
        assert_eq!(
            max.checked_add(&Money::from_minor(1, usd())),
            Err(MoneyError::Overflow { currency: usd() })
        );
        let min = Money::from_minor(i64::MIN, usd());
        assert!(min.checked_sub(&Money::from_minor(1, usd())).is_err());
        assert!(min.checked_neg().is_err());
        assert_eq!(a.checked_cmp(&b), Ok(Ordering::Greater));
        assert_eq!(a.checked_min(&b), Ok(b));
    }

    #[test]
    fn sign_predicates() {
        let zero = Money::zero(usd());
        assert!(zero.is_zero() && !zero.is_negative() && !zero.is_positive());
        let negative = Money::from_minor(-1, usd());
        assert!(negative.is_negative() && !negative.is_zero());
        assert!(Money::parse("-0.00", usd()).unwrap().is_zero());
        assert!(!Money::parse("-0.00", usd()).unwrap().is_negative());
    }
}
