//! Checks of identifiers and contact details, each a pure function answering what is
//! wrong (a message that never repeats the value) or nothing.

/// A United States jurisdiction accepted in addresses: its code and its age of majority
/// (the age at which a person may sign a credit contract there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Jurisdiction {
    /// Two-letter USPS code.
    pub code: &'static str,
    /// Age of majority in years.
    pub majority_age_years: u32,
}

/// The 50 states, DC and the inhabited territories. The age of majority is 18 except in
/// Alabama and Nebraska (19) and Mississippi and Puerto Rico (21).
#[rustfmt::skip]
pub const JURISDICTIONS: &[Jurisdiction] = &[
    j("AL", 19), j("AK", 18), j("AZ", 18), j("AR", 18), j("CA", 18), j("CO", 18),
    j("CT", 18), j("DE", 18), j("DC", 18), j("FL", 18), j("GA", 18), j("HI", 18),
    j("ID", 18), j("IL", 18), j("IN", 18), j("IA", 18), j("KS", 18), j("KY", 18),
    j("LA", 18), j("ME", 18), j("MD", 18), j("MA", 18), j("MI", 18), j("MN", 18),
    j("MS", 21), j("MO", 18), j("MT", 18), j("NE", 19), j("NV", 18), j("NH", 18),
    j("NJ", 18), j("NM", 18), j("NY", 18), j("NC", 18), j("ND", 18), j("OH", 18),
    j("OK", 18), j("OR", 18), j("PA", 18), j("RI", 18), j("SC", 18), j("SD", 18),
    j("TN", 18), j("TX", 18), j("UT", 18), j("VT", 18), j("VA", 18), j("WA", 18),
    j("WV", 18), j("WI", 18), j("WY", 18), j("PR", 21), j("GU", 18), j("VI", 18),
    j("AS", 18), j("MP", 18),
];

const fn j(code: &'static str, majority_age_years: u32) -> Jurisdiction {
    Jurisdiction {
        code,
        majority_age_years,
    }
}

/// The jurisdiction with this USPS code (upper case).
pub fn jurisdiction(code: &str) -> Option<Jurisdiction> {
    JURISDICTIONS.iter().copied().find(|j| j.code == code)
}

/// The digits of `text` when it is `n` digits, optionally grouped by dashes at the given
/// positions (`123-45-6789`, `12-3456789`).
fn digits(text: &str, n: usize, dashes_after: &[usize]) -> Option<String> {
    if text.len() == n && text.bytes().all(|b| b.is_ascii_digit()) {
        return Some(text.to_string());
    }
    let mut out = String::with_capacity(n);
    let mut expected_dashes = dashes_after.iter().peekable();
    for c in text.chars() {
        if c == '-' {
            if expected_dashes.next() != Some(&out.len()) {
                return None;
            }
        } else if c.is_ascii_digit() {
            out.push(c);
        } else {
            return None;
        }
    }
    (out.len() == n && expected_dashes.next().is_none()).then_some(out)
}

/// Which kind of US taxpayer number a person gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaxpayerNumber {
    /// A Social Security number.
    Ssn,
    /// An Individual Taxpayer Identification Number (starts with 9).
    Itin,
}

/// Checks a national id (SSN or ITIN, `123-45-6789` or nine digits): the normalised nine
/// digits and their kind, or what is wrong.
///
/// SSN: area (digits 1–3) not 000 or 666 and below 900, group (4–5) not 00, serial (6–9)
/// not 0000. ITIN: area 900–999, group 50–65, 70–88, 90–92 or 94–99, serial not 0000.
pub fn national_id(text: &str) -> Result<(String, TaxpayerNumber), &'static str> {
    let d =
        digits(text, 9, &[3, 5]).ok_or("must be 9 digits, written as 123-45-6789 or 123456789")?;
    let area: u32 = d[0..3].parse().unwrap_or(0);
    let group: u32 = d[3..5].parse().unwrap_or(0);
    let serial: u32 = d[5..9].parse().unwrap_or(0);
    if serial == 0 {
        return Err("has a serial number (last four digits) of 0000, which is never issued");
    }
    if area >= 900 {
        let itin_group = matches!(group, 50..=65 | 70..=88 | 90..=92 | 94..=99);
        if !itin_group {
            return Err(
                "starts with 9, so it must be an ITIN, but its middle two digits are not an ITIN group",
            );
        }
        return Ok((d, TaxpayerNumber::Itin));
    }
    if area == 0 || area == 666 {
        return Err("has an area number (first three digits) that is never issued");
    }
    if group == 0 {
        return Err("has a group number (middle two digits) of 00, which is never issued");
    }
    Ok((d, TaxpayerNumber::Ssn))
}

/// EIN prefixes the IRS assigns (its published list of campus prefixes).
const EIN_PREFIXES: &[u32] = &[
    1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14, 15, 16, 20, 21, 22, 23, 24, 25, 26, 27, 30, 31, 32, 33,
    34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 50, 51, 52, 53, 54, 55, 56, 57, 58,
    59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 71, 72, 73, 74, 75, 76, 77, 80, 81, 82, 83, 84, 85, 86,
    87, 88, 90, 91, 92, 93, 94, 95, 98, 99,
];

/// Checks an employer identification number (`12-3456789` or nine digits): the nine digits,
/// or what is wrong.
pub fn ein(text: &str) -> Result<String, &'static str> {
    let d = digits(text, 9, &[2]).ok_or("must be 9 digits, written as 12-3456789 or 123456789")?;
    let prefix: u32 = d[0..2].parse().unwrap_or(0);
    if !EIN_PREFIXES.contains(&prefix) {
        return Err("has a prefix (first two digits) the IRS does not assign");
    }
    Ok(d)
}

/// Checks a ZIP or ZIP+4 code (`12345` or `12345-6789`).
pub fn zip(text: &str) -> Result<(), &'static str> {
    let ok = match text.len() {
        5 => text.bytes().all(|b| b.is_ascii_digit()),
        10 => {
            text.as_bytes()[5] == b'-'
                && text[..5].bytes().all(|b| b.is_ascii_digit())
                && text[6..].bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err("must be a ZIP code (12345) or ZIP+4 (12345-6789)")
    }
}

/// Longest e-mail address, in bytes (RFC 5321's path limit).
pub const EMAIL_MAX_BYTES: usize = 254;

/// Checks an e-mail address: one `@`, a local part of 1–64 characters from RFC 5322's
/// atom set and dots (not leading, trailing or doubled), and a domain of at least two
/// labels of letters, digits and inner hyphens, the last alphabetic.
pub fn email(text: &str) -> Result<(), &'static str> {
    const MESSAGE: &str = "must be an e-mail address such as name@example.com";
    if text.len() > EMAIL_MAX_BYTES {
        return Err("is longer than 254 characters");
    }
    let Some((local, domain)) = text.split_once('@') else {
        return Err(MESSAGE);
    };
    let local_ok = (1..=64).contains(&local.len())
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()));
    if local_ok && domain_ok {
        Ok(())
    } else {
        Err(MESSAGE)
    }
}

/// Checks a phone number in E.164 form: `+`, a country code not starting with 0, and 7 to
/// 15 digits in all.
pub fn e164(text: &str) -> Result<(), &'static str> {
    let digits = text.strip_prefix('+').unwrap_or("");
    let ok = (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(())
    } else {
        Err("must be an E.164 phone number: + and 7 to 15 digits, such as +14155550123")
    }
}
