//! Deterministic reports: every figure is drawn from a byte stream seeded by the SHA-256 of
//! the identity, so one identity always gets one report, and different identities get the
//! spread of files a real bureau returns.

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use underwriting::bureau::{
    AccountStatus, BusinessReport, ConsumerReport, Inquiry, PublicRecord, Tradeline, TradelineKind,
};

/// The special cases names play (see the crate docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// A file drawn from the identity.
    Drawn,
    /// No file.
    NoHit,
    /// One young account, unscored.
    Thin,
    /// Repeated late payments.
    Delinquent,
    /// A bankruptcy on file.
    Bankrupt,
}

impl Case {
    /// The case `name` plays.
    pub fn of(name: &str) -> Case {
        [
            ("Nohit", Case::NoHit),
            ("Thinfile", Case::Thin),
            ("Delinquent", Case::Delinquent),
            ("Bankrupt", Case::Bankrupt),
        ]
        .into_iter()
        .find(|(word, _)| name.contains(word))
        .map_or(Case::Drawn, |(_, case)| case)
    }
}

/// Bytes drawn from the SHA-256 of a seed, block after block.
struct Draw {
    seed: [u8; 32],
    block: [u8; 32],
    counter: u32,
    used: usize,
}

impl Draw {
    fn new(identity: &[&str]) -> Draw {
        let mut hasher = Sha256::new();
        for part in identity {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        let seed: [u8; 32] = hasher.finalize().into();
        Draw {
            seed,
            block: seed,
            counter: 0,
            used: 0,
        }
    }

    /// The reference the bureau gives the report.
    fn reference(&self, prefix: &str) -> String {
        format!("{prefix}_{}", hex::encode(&self.seed[..8]))
    }

    /// A number from 0 to `below - 1`.
    fn below(&mut self, below: u32) -> u32 {
        if self.used + 4 > self.block.len() {
            self.counter += 1;
            let mut hasher = Sha256::new();
            hasher.update(self.seed);
            hasher.update(self.counter.to_le_bytes());
            self.block = hasher.finalize().into();
            self.used = 0;
        }
        let bytes: [u8; 4] = self.block[self.used..self.used + 4]
            .try_into()
            .unwrap_or_default();
        self.used += 4;
        u32::from_le_bytes(bytes) % below.max(1)
    }

    /// A day `months` whole months (and some days) before `as_of`.
    fn months_before(&mut self, as_of: NaiveDate, months: u32) -> NaiveDate {
        let day = as_of
            .checked_sub_months(Months::new(months))
            .unwrap_or(as_of);
        day - chrono::Duration::days(i64::from(self.below(28)))
    }
}

/// Fictional creditors.
const CREDITORS: &[&str] = &[
    "Harbor Federal Credit Union",
    "Northwind Card Services",
    "Summit Auto Finance",
    "Bluebird Bank",
    "Granite Student Lending",
    "Meridian Home Loans",
    "Evergreen Retail Card",
];

fn money(cents: u32) -> Decimal {
    Decimal::new(i64::from(cents), 2)
}

/// A consumer report for `identity` on `as_of`.
pub fn consumer(identity: &[&str], case: Case, as_of: NaiveDate) -> ConsumerReport {
    let mut draw = Draw::new(identity);
    let report_id = draw.reference("cr");
    if case == Case::NoHit {
        return ConsumerReport {
            report_id,
            hit: false,
            score: None,
            tradelines: Vec::new(),
            inquiries: Vec::new(),
            public_records: Vec::new(),
        };
    }
    // Scores centre on the low 700s, as real files do.
    let mut score = 560 + draw.below(130) + draw.below(130);
    let accounts = match case {
        Case::Thin => 1,
        _ => 3 + draw.below(8),
    };
    if case == Case::Delinquent {
        score = 520 + draw.below(60);
    }
    let mut tradelines = Vec::new();
    for index in 0..accounts {
        // Housing is stated on the application: the simulated files hold cards and
        // installment loans only.
        let kind = match draw.below(10) {
            0..=3 => TradelineKind::Installment,
            _ => TradelineKind::Revolving,
        };
        let age_months = match case {
            Case::Thin => 2 + draw.below(8),
            _ => 12 + draw.below(200),
        };
        let (balance, limit, payment) = match kind {
            TradelineKind::Revolving => {
                let limit = 50_000 * (1 + draw.below(20));
                let balance = limit / 100 * draw.below(80);
                (balance, Some(limit), (balance * 2 / 100).max(2_500))
            }
            _ => {
                let balance = 50_000 * (1 + draw.below(24));
                (balance, None, balance / (24 + draw.below(48)))
            }
        };
        let late = match case {
            Case::Delinquent => 1 + draw.below(3),
            _ if score < 640 => draw.below(2),
            _ => u32::from(draw.below(20) == 0),
        };
        let status = if case == Case::Delinquent && index == 0 {
            AccountStatus::Late60
        } else {
            AccountStatus::Current
        };
        tradelines.push(Tradeline {
            kind,
            creditor: CREDITORS[draw.below(CREDITORS.len() as u32) as usize].into(),
            account_number: format!(
                "{:08}{:08}",
                draw.below(100_000_000),
                draw.below(100_000_000)
            ),
            opened: draw.months_before(as_of, age_months),
            balance: money(balance),
            credit_limit: limit.map(money),
            monthly_payment: money(payment),
            status,
            late_payments_24_months: late,
        });
    }
    let inquiries = (0..draw.below(5))
        .map(|_| {
            let months = draw.below(12);
            Inquiry {
                date: draw.months_before(as_of, months),
                hard: draw.below(3) > 0,
            }
        })
        .collect();
    let public_records = match case {
        Case::Bankrupt => vec![PublicRecord {
            kind: "bankruptcy".into(),
            filed: draw.months_before(as_of, 30),
        }],
        _ => Vec::new(),
    };
    if case == Case::Bankrupt {
        score = score.min(600);
    }
    ConsumerReport {
        report_id,
        hit: true,
        score: (case != Case::Thin).then_some(score.min(850)),
        tradelines,
        inquiries,
        public_records,
    }
}

/// A business report for `identity` formed on `formation_date`, on `as_of`.
pub fn business(
    identity: &[&str],
    case: Case,
    formation_date: NaiveDate,
    as_of: NaiveDate,
) -> BusinessReport {
    let mut draw = Draw::new(identity);
    let report_id = draw.reference("br");
    let days = (as_of - formation_date).num_days().max(0);
    let years_in_business = (Decimal::from(days) / Decimal::from(365)).round_dp(1);
    if case == Case::NoHit {
        return BusinessReport {
            report_id,
            hit: false,
            score: None,
            years_in_business,
            trade_payment_index: None,
            trade_lines: 0,
        };
    }
    let (score, index) = match case {
        Case::Delinquent | Case::Bankrupt => (10 + draw.below(25), 30 + draw.below(25)),
        _ => (35 + draw.below(65), 60 + draw.below(41)),
    };
    BusinessReport {
        report_id,
        hit: true,
        score: Some(score),
        years_in_business,
        trade_payment_index: Some(index.min(100)),
        trade_lines: 2 + draw.below(15),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use underwriting::bureau::ConsumerAttributes;

    fn day() -> NaiveDate {
        "2026-11-20".parse().unwrap()
    }

    #[test]
    fn one_identity_one_report_and_identities_differ() {
        let one = consumer(
            &["Ada", "Lovelace", "1990-02-28", "123-45-6789", "94105"],
            Case::Drawn,
            day(),
        );
        let again = consumer(
            &["Ada", "Lovelace", "1990-02-28", "123-45-6789", "94105"],
            Case::Drawn,
            day(),
        );
        let other = consumer(
            &["Ada", "Lovelace", "1990-02-28", "123-45-6780", "94105"],
            Case::Drawn,
            day(),
        );
        assert_eq!(one, again);
        assert_ne!(one.report_id, other.report_id);
        assert!(one.hit && (560..=850).contains(&one.score.unwrap()));
        assert!((3..=10).contains(&one.tradelines.len()));
        assert!(
            one.tradelines
                .iter()
                .all(|t| t.opened < day() && t.account_number.len() == 16)
        );
    }

    #[test]
    fn the_special_names_play_their_cases() {
        let id = |last| ["Sam", last, "1980-01-01", "123-45-6789", "10001"];
        assert!(!consumer(&id("Nohit"), Case::of("Nohit"), day()).hit);
        let thin = consumer(&id("Thinfile"), Case::of("Thinfile"), day());
        assert!(thin.score.is_none() && ConsumerAttributes::of(&thin, day()).thin_file);
        let late = consumer(&id("Delinquent"), Case::of("Delinquent"), day());
        assert!(ConsumerAttributes::of(&late, day()).delinquencies_24_months >= 3);
        assert!(late.score.unwrap() < 580);
        let bankrupt = consumer(&id("Bankrupt"), Case::of("Bankrupt"), day());
        assert_eq!(bankrupt.public_records.len(), 1);
        assert_eq!(Case::of("Nohit Holdings LLC"), Case::NoHit);
    }

    #[test]
    fn a_spread_of_identities_gives_a_spread_of_files() {
        let scores: Vec<u32> = (0..200)
            .map(|i| {
                let ssn = format!("123-45-{:04}", 1000 + i);
                consumer(
                    &["Pat", "Doe", "1985-05-05", &ssn, "60601"],
                    Case::Drawn,
                    day(),
                )
                .score
                .unwrap()
            })
            .collect();
        let below_640 = scores.iter().filter(|s| **s < 640).count();
        let above_740 = scores.iter().filter(|s| **s >= 740).count();
        assert!(below_640 > 10 && above_740 > 10, "{below_640} {above_740}");
    }

    #[test]
    fn business_reports_know_the_age_of_the_business() {
        let formed: NaiveDate = "2020-05-20".parse().unwrap();
        let report = business(
            &["Acme Tools LLC", "12-3456789"],
            Case::Drawn,
            formed,
            day(),
        );
        assert_eq!(report.years_in_business, "6.5".parse().unwrap());
        assert!(
            report.hit
                && report
                    .trade_payment_index
                    .is_some_and(|t| (60..=100).contains(&t))
        );
        assert!(!business(&["Nohit Co", "12-3456789"], Case::NoHit, formed, day()).hit);
    }
}
