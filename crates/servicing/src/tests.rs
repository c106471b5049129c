//! The servicing engine on hand-worked loans, against the money library, and by property:
//! the checkpoint always equals a full replay, and entry order never changes the outcome.

use chrono::NaiveDate;
use lendmath::accrual::{self, AccrualEvent};
use lendmath::allocation::{Bucket, OverpaymentPolicy};
use lendmath::daycount::DayCount;
use lendmath::money::{Currency, Money};
use lendmath::rate::AnnualRate;
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::accounts::{self, Side};
use crate::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn usd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::USD)
}

/// 1,000.00 at 12 % actual/365 from 2026-01-01, three monthly installments of 340.00
/// (the last asks the rest), 10-day grace, 25.00 late fee, 30.00 NSF fee.
fn terms(overpayment: OverpaymentPolicy) -> Terms {
    Terms {
        origin: terms::Origin::Originated,
        opening: terms::Opening::default(),
        currency: Currency::USD,
        principal: 100_000,
        disbursed: 97_500,
        origination_fee: 2_500,
        annual_rate_percent: Decimal::new(12, 0),
        day_count: DayCount::Actual365Fixed,
        start_date: date(2026, 1, 1),
        schedule: vec![
            Scheduled {
                due_date: date(2026, 2, 1),
                payment: 34_000,
            },
            Scheduled {
                due_date: date(2026, 3, 1),
                payment: 34_000,
            },
            Scheduled {
                due_date: date(2026, 4, 1),
                payment: 34_000,
            },
        ],
        rules: Rules {
            grace_days: 10,
            late_fee: 2_500,
            nsf_fee: 3_000,
            waterfall: Bucket::ALL.to_vec(),
            overpayment,
        },
    }
}

/// Interest from `from` to `to` on `principal` at 12 % actual/365, from the money library.
fn interest(principal: i64, from: NaiveDate, to: NaiveDate) -> Decimal {
    accrual::accrue(
        usd(principal),
        AnnualRate::parse_percent("12").unwrap(),
        DayCount::Actual365Fixed,
        from,
        to,
        &[],
    )
    .unwrap()
    .interest_exact
}

fn cents(value: Decimal) -> i64 {
    accrual::ACCRUAL_ROUNDING
        .round_money(value, Currency::USD)
        .unwrap()
        .to_minor()
}

/// The book's accounts after applying every entry lines computes, from empty.
fn book_after(loan: &Loan, positions: &[Position]) -> Vec<(String, i64)> {
    let mut book: Vec<(String, i64)> = Vec::new();
    for position in positions {
        let targets = accounts::targets(&loan.terms, position).unwrap();
        let lines = accounts::lines(&loan.terms, &targets, &book);
        let debits: i64 = lines
            .iter()
            .filter(|l| l.side == Side::Debit)
            .map(|l| l.amount.to_minor())
            .sum();
        let credits: i64 = lines
            .iter()
            .filter(|l| l.side == Side::Credit)
            .map(|l| l.amount.to_minor())
            .sum();
        assert_eq!(debits, credits, "every entry balances");
        for line in lines {
            let signed = match line.side {
                Side::Debit => line.amount.to_minor(),
                Side::Credit => -line.amount.to_minor(),
            };
            match book.iter_mut().find(|(a, _)| a == line.account) {
                Some((_, net)) => *net += signed,
                None => book.push((line.account.to_string(), signed)),
            }
        }
        for (account, target) in &targets {
            let held = book
                .iter()
                .find(|(a, _)| a == account)
                .map_or(0, |(_, n)| *n);
            assert_eq!(held, *target, "{account} follows the position");
        }
    }
    book
}

#[test]
fn payments_on_their_due_dates_pay_the_loan_off_with_interest_to_the_cent() {
    let mut loan = Loan::book(
        "loan-1",
        Profile::default(),
        terms(OverpaymentPolicy::ReducePrincipal),
    )
    .unwrap();
    let mut positions = vec![loan.position.clone()];
    // January: 31 days on 1,000.00.
    let jan = interest(100_000, date(2026, 1, 1), date(2026, 2, 1));
    assert_eq!(cents(jan), 1_019); // 1000 × 0.12 × 31/365 = 10.1918
    let paid = loan
        .pay("p1", 34_000, date(2026, 2, 1), Channel::Ach)
        .unwrap();
    assert_eq!(paid.applied.interest, 1_019);
    assert_eq!(paid.applied.principal, 34_000 - 1_019);
    assert!(!paid.replayed);
    positions.push(loan.position.clone());
    let principal_after_1 = 100_000 - (34_000 - 1_019);
    assert_eq!(loan.position.principal, principal_after_1);
    // February: 28 days on the new principal; the unrounded remainder of January carries.
    let feb = interest(principal_after_1, date(2026, 2, 1), date(2026, 3, 1));
    let remainder = jan - Decimal::new(1_019, 2);
    let feb_billed = cents(remainder + feb);
    let paid = loan
        .pay("p2", 34_000, date(2026, 3, 1), Channel::Ach)
        .unwrap();
    assert_eq!(paid.applied.interest, feb_billed);
    positions.push(loan.position.clone());
    let principal_after_2 = principal_after_1 - (34_000 - feb_billed);
    assert_eq!(loan.position.principal, principal_after_2);
    // The last installment bills everything left: its exact amount closes the loan.
    let mar = interest(principal_after_2, date(2026, 3, 1), date(2026, 4, 1));
    let carried = remainder + feb - Decimal::new(feb_billed, 2);
    let last = principal_after_2 + cents(carried + mar);
    let payoff = loan
        .as_of(date(2026, 4, 1))
        .unwrap()
        .payoff(&loan.terms)
        .unwrap();
    assert_eq!(payoff.amount, last);
    loan.pay("p3", last, date(2026, 4, 1), Channel::Ach)
        .unwrap();
    positions.push(loan.position.clone());
    assert_eq!(loan.position.paid_off_on, Some(date(2026, 4, 1)));
    assert_eq!(loan.position.principal, 0);
    assert_eq!(loan.position.unapplied, 0);
    assert_eq!(
        loan.position.totals.interest_paid,
        1_019 + feb_billed + cents(carried + mar)
    );
    // The book: every receivable nets to zero, income is the interest paid.
    let book = book_after(&loan, &positions);
    for account in accounts::RECEIVABLES {
        assert_eq!(
            book.iter()
                .find(|(a, _)| a == account)
                .map_or(0, |(_, n)| *n),
            0
        );
    }
    let income = book
        .iter()
        .find(|(a, _)| a == accounts::INTEREST_INCOME)
        .unwrap()
        .1;
    assert_eq!(-income, loan.position.totals.interest_paid);
    // Nothing more is accepted after the payoff day.
    assert_eq!(
        loan.pay("p4", 100, date(2026, 4, 2), Channel::Ach)
            .unwrap_err(),
        ServicingError::PaidOff
    );
}

#[test]
fn a_backdated_payment_gives_exactly_what_an_on_time_one_would_have() {
    let on_time = {
        let mut loan = Loan::book(
            "a",
            Profile::default(),
            terms(OverpaymentPolicy::ReducePrincipal),
        )
        .unwrap();
        loan.pay("p1", 34_000, date(2026, 2, 1), Channel::Ach)
            .unwrap();
        loan.pay("p2", 20_000, date(2026, 2, 15), Channel::Ach)
            .unwrap();
        loan.pay("p3", 34_000, date(2026, 3, 1), Channel::Ach)
            .unwrap();
        loan
    };
    let mut late = Loan::book(
        "a",
        Profile::default(),
        terms(OverpaymentPolicy::ReducePrincipal),
    )
    .unwrap();
    late.pay("p1", 34_000, date(2026, 2, 1), Channel::Ach)
        .unwrap();
    late.pay("p3", 34_000, date(2026, 3, 1), Channel::Ach)
        .unwrap();
    let backdated = late
        .pay("p2", 20_000, date(2026, 2, 15), Channel::Ach)
        .unwrap();
    assert!(backdated.replayed);
    // p2 on 2026-02-15 pays ahead of any bill: all of it prepays principal.
    assert_eq!(backdated.applied.principal_prepaid, 20_000);
    assert_eq!(late.position, on_time.position);
    assert_eq!(
        late.as_of(date(2026, 3, 20)).unwrap(),
        on_time.as_of(date(2026, 3, 20)).unwrap()
    );
    // And the prepayment saved interest: 14 days on 200.00 at 12 %/365 in February.
    let mut without = Loan::book(
        "a",
        Profile::default(),
        terms(OverpaymentPolicy::ReducePrincipal),
    )
    .unwrap();
    without
        .pay("p1", 34_000, date(2026, 2, 1), Channel::Ach)
        .unwrap();
    without
        .pay("p3", 34_000, date(2026, 3, 1), Channel::Ach)
        .unwrap();
    let saved = without.position.totals.interest_billed - late.position.totals.interest_billed;
    assert_eq!(
        saved,
        cents(interest(20_000, date(2026, 2, 15), date(2026, 3, 1)))
    );
}

#[test]
fn an_unpaid_installment_goes_past_due_and_is_charged_the_late_fee_after_grace() {
    let mut loan = Loan::book(
        "a",
        Profile::default(),
        terms(OverpaymentPolicy::ReducePrincipal),
    )
    .unwrap();
    // Grace ends 2026-02-11: on the 11th the installment is still in grace.
    let in_grace = loan.as_of(date(2026, 2, 11)).unwrap();
    assert_eq!(in_grace.unpaid(Kind::is_fee), 0);
    assert_eq!(in_grace.days_past_due(), 10);
    let late = loan.as_of(date(2026, 2, 12)).unwrap();
    assert_eq!(late.unpaid(Kind::is_fee), 2_500);
    assert_eq!(late.days_past_due(), 11);
    // A partial payment: the waterfall pays the (current) fee first, then interest.
    let paid = loan
        .pay("p1", 3_000, date(2026, 2, 20), Channel::Cash)
        .unwrap();
    assert_eq!((paid.applied.fees, paid.applied.interest), (2_500, 500));
    assert_eq!(loan.position.days_past_due(), 19);
    // On the next due date the rest of installment 1 is past due; both are owed.
    let march = loan.as_of(date(2026, 3, 1)).unwrap();
    let past_due: i64 = march
        .open
        .iter()
        .filter(|i| i.past_due)
        .map(Item::unpaid)
        .sum();
    assert_eq!(past_due, 34_000 - 500);
    // A payment of the whole past-due amount before grace ends spares installment 2 only.
    loan.pay("p2", 34_000 - 500, date(2026, 3, 5), Channel::Ach)
        .unwrap();
    assert_eq!(loan.position.days_past_due(), 4);
    let after_grace = loan.as_of(date(2026, 3, 12)).unwrap();
    assert_eq!(after_grace.totals.fees_charged, 5_000);
}

#[test]
fn a_payment_made_on_time_backdated_removes_the_late_fee_it_would_have_avoided() {
    let mut loan = Loan::book(
        "a",
        Profile::default(),
        terms(OverpaymentPolicy::ReducePrincipal),
    )
    .unwrap();
    loan.pay("later", 1_000, date(2026, 2, 20), Channel::Ach)
        .unwrap();
    assert_eq!(loan.position.totals.fees_charged, 2_500);
    // The payment was in fact received on the due date.
    loan.pay("on-time", 34_000, date(2026, 2, 1), Channel::Ach)
        .unwrap();
    assert_eq!(loan.position.totals.fees_charged, 0);
    assert_eq!(loan.position.days_past_due(), 0);
}

#[test]
fn overpayments_follow_the_product() {
    let over = 34_000 + 10_000;
    // Reduce principal: the excess prepays at once.
    let mut reduce = Loan::book(
        "a",
        Profile::default(),
        terms(OverpaymentPolicy::ReducePrincipal),
    )
    .unwrap();
    let applied = reduce
        .pay("p", over, date(2026, 2, 1), Channel::Ach)
        .unwrap()
        .applied;
    assert_eq!(applied.principal_prepaid, 10_000);
    assert_eq!(
        reduce.position.principal,
        100_000 - (34_000 - 1_019) - 10_000
    );
    // Pay ahead: held, and it pays the next bill when it comes.
    let mut ahead =
        Loan::book("a", Profile::default(), terms(OverpaymentPolicy::PayAhead)).unwrap();
    let applied = ahead
        .pay("p", over, date(2026, 2, 1), Channel::Ach)
        .unwrap()
        .applied;
    assert_eq!(applied.pay_ahead, 10_000);
    assert_eq!(ahead.position.pay_ahead, 10_000);
    let march = ahead.as_of(date(2026, 3, 1)).unwrap();
    assert_eq!(march.pay_ahead, 0);
    assert_eq!(march.unpaid(|_| true), 34_000 - 10_000);
    // Hold unapplied: held, and nothing is paid with it.
    let mut hold = Loan::book(
        "a",
        Profile::default(),
        terms(OverpaymentPolicy::HoldUnapplied),
    )
    .unwrap();
    hold.pay("p", over, date(2026, 2, 1), Channel::Ach).unwrap();
    let march = hold.as_of(date(2026, 3, 1)).unwrap();
    assert_eq!((march.unapplied, march.unpaid(|_| true)), (10_000, 34_000));
}

#[test]
fn an_nsf_reversal_undoes_the_payment_charges_the_fee_and_reapplies_later_payments() {
    let mut loan = Loan::book(
        "a",
        Profile::default(),
        terms(OverpaymentPolicy::ReducePrincipal),
    )
    .unwrap();
    loan.pay("bounced", 34_000, date(2026, 2, 1), Channel::Check)
        .unwrap();
    loan.pay("next", 34_000, date(2026, 3, 1), Channel::Ach)
        .unwrap();
    let reversed = loan
        .reverse("bounced", Reason::Nsf, date(2026, 2, 5))
        .unwrap();
    assert!(reversed.replayed);
    // As if only "next" had come, plus the NSF fee on 2026-02-05 and the late fee after
    // grace (installment 1 unpaid on 2026-02-12).
    let mut expected = Loan::book(
        "a",
        Profile::default(),
        terms(OverpaymentPolicy::ReducePrincipal),
    )
    .unwrap();
    expected
        .pay("next", 34_000, date(2026, 3, 1), Channel::Ach)
        .unwrap();
    assert_eq!(loan.position.totals.received, 34_000);
    assert_eq!(loan.position.totals.fees_charged, 3_000 + 2_500);
    assert_eq!(
        loan.position.totals.interest_billed,
        expected.position.totals.interest_billed
    );
    // "next" paid both fees first (past due by March), then installment 1's interest.
    assert_eq!(loan.position.totals.fees_paid, 5_500);
    assert!(
        loan.reverse("bounced", Reason::Nsf, date(2026, 2, 6))
            .is_err()
    );
    assert_eq!(
        loan.reverse("nope", Reason::Error, date(2026, 2, 6))
            .unwrap_err(),
        ServicingError::UnknownPayment
    );
    // An error reversal charges nothing.
    loan.reverse("next", Reason::Error, date(2026, 3, 2))
        .unwrap();
    assert_eq!(loan.position.totals.fees_charged, 5_500);
    assert_eq!(loan.position.totals.received, 0);
}

#[test]
fn the_payoff_quote_is_the_money_librarys_and_paying_it_closes_the_loan() {
    let mut loan = Loan::book(
        "a",
        Profile::default(),
        terms(OverpaymentPolicy::ReducePrincipal),
    )
    .unwrap();
    loan.pay("p1", 34_000, date(2026, 2, 1), Channel::Ach)
        .unwrap();
    let day = date(2026, 2, 17);
    let quote = loan.as_of(day).unwrap().payoff(&loan.terms).unwrap();
    // Nothing billed is unpaid: principal plus interest from the last bill, with the
    // unrounded remainder of January carried.
    let principal = 100_000 - (34_000 - 1_019);
    let carried = interest(100_000, date(2026, 1, 1), date(2026, 2, 1)) - Decimal::new(1_019, 2);
    let expected = principal + cents(carried + interest(principal, date(2026, 2, 1), day));
    assert_eq!(quote.amount, expected);
    let library = accrual::payoff_amount(
        usd(principal),
        AnnualRate::parse_percent("12").unwrap(),
        DayCount::Actual365Fixed,
        date(2026, 2, 1),
        day,
        usd(0),
        usd(0),
    )
    .unwrap();
    // The library does not carry sub-cent remainders: they differ by at most a cent.
    assert!((library.to_minor() - expected).abs() <= 1);
    // 670.19 × 0.12 / 365 = 0.2203364383…
    assert_eq!(quote.per_diem.round_dp(10), Decimal::new(2_203_364_384, 10));
    // Paying the quote plus 5.00 closes the loan and holds 5.00 to refund.
    loan.pay("payoff", quote.amount + 500, day, Channel::DebitCard)
        .unwrap();
    assert_eq!(loan.position.paid_off_on, Some(day));
    assert_eq!(loan.position.unapplied, 500);
    let targets = accounts::targets(&loan.terms, &loan.position).unwrap();
    for (account, net) in targets {
        if accounts::RECEIVABLES.contains(&account) {
            assert_eq!(net, 0, "{account}");
        }
    }
}

#[test]
fn the_state_round_trips_and_bad_terms_are_refused() {
    let mut loan = Loan::book("a", Profile::default(), terms(OverpaymentPolicy::PayAhead)).unwrap();
    loan.pay("p1", 50_000, date(2026, 2, 3), Channel::Ach)
        .unwrap();
    let state = loan.to_state();
    assert_eq!(Loan::from_state(&state).unwrap(), loan);
    assert!(matches!(
        Loan::from_state("{"),
        Err(ServicingError::Corrupt(_))
    ));
    let mut bad = terms(OverpaymentPolicy::PayAhead);
    bad.disbursed = 1;
    assert!(Loan::book("a", Profile::default(), bad).is_err());
    let mut bad = terms(OverpaymentPolicy::PayAhead);
    bad.schedule.swap(0, 1);
    assert!(Loan::book("a", Profile::default(), bad).is_err());
    let mut bad = terms(OverpaymentPolicy::PayAhead);
    bad.rules.waterfall.pop();
    assert!(Loan::book("a", Profile::default(), bad).is_err());
    assert!(loan.pay("p1", 100, date(2026, 2, 4), Channel::Ach).is_err());
    assert!(
        loan.pay("p0", 100, date(2025, 12, 31), Channel::Ach)
            .is_err()
    );
    assert!(loan.pay("pz", 0, date(2026, 2, 4), Channel::Ach).is_err());
}

fn policy() -> impl Strategy<Value = OverpaymentPolicy> {
    prop_oneof![
        Just(OverpaymentPolicy::ReducePrincipal),
        Just(OverpaymentPolicy::PayAhead),
        Just(OverpaymentPolicy::HoldUnapplied),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Payments on distinct days, entered in any order, with some reversed: the position
    /// kept incrementally equals a full replay, equals the same payments entered in date
    /// order, and the book follows it with balanced entries.
    #[test]
    fn entry_order_and_checkpoints_never_change_the_outcome(
        policy in policy(),
        payments in proptest::collection::btree_map(0u32..120, 1i64..60_000, 1..10),
        order in proptest::collection::vec(any::<u32>(), 10),
        reversals in proptest::collection::vec(any::<bool>(), 10),
    ) {
        let mut dated: Vec<(u32, i64)> = payments.into_iter().collect();
        let start = date(2026, 1, 1);
        let day = |offset: u32| start + chrono::Days::new(u64::from(offset));
        let mut in_order = Loan::book("a", Profile::default(), terms(policy)).unwrap();
        for (offset, amount) in &dated {
            let _ = in_order.pay(&format!("p{offset}"), *amount, day(*offset), Channel::Ach);
        }
        // The same payments in a shuffled order.
        for (i, key) in order.iter().enumerate().take(dated.len()) {
            let j = *key as usize % dated.len();
            dated.swap(i, j);
        }
        let mut shuffled = Loan::book("a", Profile::default(), terms(policy)).unwrap();
        let mut positions = vec![shuffled.position.clone()];
        for (offset, amount) in &dated {
            let _ = shuffled.pay(&format!("p{offset}"), *amount, day(*offset), Channel::Ach);
            positions.push(shuffled.position.clone());
        }
        // Payments after a payoff are refused in date order but may be accepted when a
        // backdated one moved the payoff: compare only when both kept the same payments.
        let ids = |loan: &Loan| -> Vec<String> {
            let mut ids: Vec<String> = loan.events.iter().filter_map(|e| match &e.kind {
                EventKind::Payment { id, .. } => Some(id.clone()),
                EventKind::Reversal { .. } | EventKind::Advance => None,
            }).collect();
            ids.sort();
            ids
        };
        if ids(&in_order) == ids(&shuffled) {
            prop_assert_eq!(&shuffled.position, &in_order.position);
        }
        prop_assert_eq!(&shuffled.replay(false).unwrap().0, &shuffled.position);
        // Reversals replay everything, and the checkpoint still equals a full replay.
        for ((offset, _), reverse) in dated.iter().zip(&reversals) {
            if *reverse {
                let id = format!("p{offset}");
                if shuffled.payment(&id).is_some() {
                    shuffled.reverse(&id, Reason::Nsf, day(*offset + 3)).unwrap();
                    positions.push(shuffled.position.clone());
                }
            }
        }
        prop_assert_eq!(&shuffled.replay(false).unwrap().0, &shuffled.position);
        book_after(&shuffled, &positions);
        let view = shuffled.as_of(day(200)).unwrap();
        prop_assert!(view.principal >= 0 && view.unapplied >= 0 && view.pay_ahead >= 0);
    }
}

#[test]
fn principal_changes_accrue_like_the_money_library_over_a_whole_period() {
    // One payment mid-period under reduce-principal: interest billed on the next due date
    // is the library's accrual with the principal change, rounded once.
    let mut loan = Loan::book(
        "a",
        Profile::default(),
        terms(OverpaymentPolicy::ReducePrincipal),
    )
    .unwrap();
    loan.pay("early", 30_000, date(2026, 1, 10), Channel::Ach)
        .unwrap();
    let feb = loan.as_of(date(2026, 2, 1)).unwrap();
    let library = accrual::accrue(
        usd(100_000),
        AnnualRate::parse_percent("12").unwrap(),
        DayCount::Actual365Fixed,
        date(2026, 1, 1),
        date(2026, 2, 1),
        &[AccrualEvent::PrincipalChange {
            date: date(2026, 1, 10),
            delta: usd(-30_000),
        }],
    )
    .unwrap();
    assert_eq!(feb.totals.interest_billed, library.interest.to_minor());
}

#[test]
fn an_offer_is_disclosed_and_booked_from_one_schedule() {
    use crate::disclosure::{Offer, disclose};
    let product = crate::products::ServicingProduct::named("personal_installment").unwrap();
    let offer = Offer {
        currency: Currency::USD,
        amount: 1_200_000,
        term_months: 36,
        annual_rate_percent: Decimal::new(999, 2),
        origination_fee: 30_000,
    };
    let (disclosure, terms) = disclose(product, &offer, date(2026, 12, 2)).unwrap();
    assert_eq!(disclosure.loan_amount, "12000.00");
    assert_eq!(disclosure.disbursed, "11700.00");
    assert_eq!(disclosure.amount_financed, "11700.00");
    assert_eq!(disclosure.payment_schedule.number_of_payments, 36);
    assert_eq!(
        disclosure.payment_schedule.first_payment_date,
        date(2027, 1, 2)
    );
    assert_eq!(
        disclosure.payment_schedule.final_payment_date,
        date(2029, 12, 2)
    );
    assert_eq!(disclosure.late_charge.amount, "25.00");
    // Finance charge: total of payments less amount financed, to the cent.
    let total: i64 = terms.schedule.iter().map(|s| s.payment).sum();
    assert_eq!(disclosure.total_of_payments, usd(total).to_decimal_string());
    assert_eq!(
        disclosure.finance_charge,
        usd(total - 1_170_000).to_decimal_string()
    );
    // The fee withheld puts the APR above the note rate.
    let apr: Decimal = disclosure.annual_percentage_rate.parse().unwrap();
    assert!(
        apr > Decimal::new(999, 2) && apr < Decimal::new(1300, 2),
        "{apr}"
    );
    // The loan books what was disclosed.
    assert_eq!(
        (terms.principal, terms.disbursed, terms.origination_fee),
        (1_200_000, 1_170_000, 30_000)
    );
    assert_eq!(terms.schedule.len(), 36);
    assert_eq!(
        usd(terms.schedule[0].payment).to_decimal_string(),
        disclosure.payment_schedule.regular_payment
    );
    // The document is stable: the same offer on the same day is the same bytes.
    let (again, _) = disclose(product, &offer, date(2026, 12, 2)).unwrap();
    assert_eq!(again.to_document(), disclosure.to_document());
    let bad = Offer {
        origination_fee: 1_200_000,
        ..offer
    };
    assert!(disclose(product, &bad, date(2026, 12, 2)).is_err());
}

/// 800.00 left at 12 % actual/365 on 2026-03-01, 5.00 of interest accrued, 25.00 of fees
/// owed, two installments of 410.00 from 2026-03-15.
fn imported(past_due_since: Option<NaiveDate>, past_due_principal: i64) -> Terms {
    let mut terms = terms(OverpaymentPolicy::ReducePrincipal);
    terms.origin = terms::Origin::Imported;
    terms.opening = terms::Opening {
        interest: 500,
        fees: 2_500,
        past_due_principal,
        past_due_since,
    };
    terms.principal = 80_000;
    terms.disbursed = 80_000;
    terms.origination_fee = 0;
    terms.start_date = date(2026, 3, 1);
    terms.schedule = vec![
        Scheduled {
            due_date: date(2026, 3, 15),
            payment: 41_000,
        },
        Scheduled {
            due_date: date(2026, 4, 15),
            payment: 41_000,
        },
    ];
    terms
}

#[test]
fn an_imported_loan_starts_with_its_balances_and_earns_only_its_own_interest() {
    let mut loan = Loan::book("imp", Profile::default(), imported(None, 0)).unwrap();
    let opening = loan.position.clone();
    let targets = accounts::targets(&loan.terms, &opening).unwrap();
    let net = |targets: &[(&str, i64)], account: &str| {
        targets.iter().find(|(a, _)| *a == account).unwrap().1
    };
    assert_eq!(net(&targets, accounts::PRINCIPAL), 80_000);
    assert_eq!(net(&targets, accounts::INTEREST_RECEIVABLE), 500);
    assert_eq!(net(&targets, accounts::FEES_RECEIVABLE), 2_500);
    assert_eq!(net(&targets, accounts::PURCHASE_CLEARING), -83_000);
    assert_eq!(net(&targets, accounts::INTEREST_INCOME), 0);
    // The first bill carries the opening interest and 14 days of our own.
    let own = cents(interest(80_000, date(2026, 3, 1), date(2026, 3, 15)));
    let paid = loan
        .pay("p1", 41_000 + 2_500, date(2026, 3, 15), Channel::Ach)
        .unwrap();
    assert_eq!(paid.applied.fees, 2_500);
    assert_eq!(paid.applied.interest, 500 + own);
    let targets = accounts::targets(&loan.terms, &loan.position).unwrap();
    assert_eq!(net(&targets, accounts::INTEREST_INCOME), -own);
    assert_eq!(loan.position.days_past_due(), 0);
}

#[test]
fn an_imported_loan_past_due_keeps_its_age() {
    let since = date(2026, 2, 1);
    let loan = Loan::book("imp", Profile::default(), imported(Some(since), 10_000)).unwrap();
    assert_eq!(loan.position.days_past_due(), 28);
    assert_eq!(loan.as_of(date(2026, 3, 10)).unwrap().days_past_due(), 37);
    // Past due on arrival means an amount owed since before the import.
    assert!(
        Loan::book(
            "imp",
            Profile::default(),
            imported(Some(date(2026, 3, 2)), 10_000)
        )
        .is_err()
    );
    let mut nothing_owed = imported(Some(since), 0);
    nothing_owed.opening.interest = 0;
    assert!(Loan::book("imp", Profile::default(), nothing_owed).is_err());
}

#[test]
fn a_month_accrued_day_by_day_adds_up_to_the_cent_to_what_the_book_bills() {
    let mut loan = Loan::book(
        "a",
        Profile::default(),
        terms(OverpaymentPolicy::ReducePrincipal),
    )
    .unwrap();
    let mut record = accruing::Accruing::of(&loan, 1);
    assert_eq!(record.stops_on, Some(date(2026, 2, 1)));
    // 1,000.00 at 12 % actual/365: 0.3287… a day, so the rounded running total steps
    // 0.33, 0.33, 0.33, 0.33, then 0.32 on the fifth day (1.64 after five days).
    let first = record.accrue_through(date(2026, 1, 5)).unwrap();
    let steps: Vec<i64> = first.iter().map(|d| d.interest).collect();
    assert_eq!(steps, [33, 33, 33, 33, 32]);
    assert_eq!(first[0].date, date(2026, 1, 1));
    // The same day again accrues nothing.
    assert!(record.accrue_through(date(2026, 1, 5)).unwrap().is_empty());
    // The rest of January: 31 days in all, 10.19, which is what the due date bills.
    let rest = record.accrue_through(date(2026, 1, 31)).unwrap();
    let total: i64 = first.iter().chain(&rest).map(|d| d.interest).sum();
    assert_eq!(
        total,
        cents(interest(100_000, date(2026, 1, 1), date(2026, 2, 1)))
    );
    assert_eq!(total, 1_019);
    // The due date itself is the book's to process.
    assert_eq!(
        record.accrue_through(date(2026, 2, 1)),
        Err(accruing::Stopped::CalendarDate(date(2026, 2, 1)))
    );
    let position = loan.as_of(date(2026, 2, 2)).unwrap();
    assert_eq!(position.totals.interest_billed, total);
    // A paid-off loan accrues nothing.
    loan.pay("all", 200_000, date(2026, 1, 10), Channel::Ach)
        .unwrap();
    let mut settled = accruing::Accruing::of(&loan, 2);
    assert!(!settled.earning);
    assert_eq!(settled.stops_on, None);
    let days = settled.accrue_through(date(2026, 3, 1)).unwrap();
    assert!(days.iter().all(|d| d.interest == 0));
}

#[test]
fn a_catch_up_longer_than_allowed_is_refused_and_changes_nothing() {
    let mut long = terms(OverpaymentPolicy::ReducePrincipal);
    long.schedule = vec![Scheduled {
        due_date: date(2028, 1, 1),
        payment: 130_000,
    }];
    let loan = Loan::book("a", Profile::default(), long).unwrap();
    let mut record = accruing::Accruing::of(&loan, 1);
    let before = record.clone();
    assert_eq!(
        record.accrue_through(date(2027, 6, 1)),
        Err(accruing::Stopped::TooManyDays)
    );
    assert_eq!(record, before);
    assert_eq!(
        record.accrue_through(date(2026, 12, 31)).unwrap().len(),
        365
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// After any payments, a record taken from the checkpoint accrues, day by day and in
    /// any split of the days, exactly what the engine accrues to the same date, and its
    /// figures add up to the rounded total.
    #[test]
    fn a_record_accrues_what_the_engine_accrues(
        policy in policy(),
        payments in proptest::collection::btree_map(0u32..90, 1i64..60_000, 0..4),
        split in 0u64..40,
        length in 1u64..40,
    ) {
        let start = date(2026, 1, 1);
        let day = |offset: u64| start + chrono::Days::new(offset);
        let mut loan = Loan::book("a", Profile::default(), terms(policy)).unwrap();
        for (offset, amount) in &payments {
            let _ = loan.pay(&format!("p{offset}"), *amount, day(u64::from(*offset)), Channel::Ach);
        }
        let mut record = accruing::Accruing::of(&loan, 7);
        let from = record.through;
        let until = record.stops_on.unwrap_or(from + chrono::Days::new(100));
        // The engine's position on the calendar date itself has billed; stop the day before.
        let last = (from + chrono::Days::new(length)).min(until - chrono::Days::new(2));
        prop_assume!(last >= from);
        let middle = (from + chrono::Days::new(split)).min(last);
        let mut figures = record.accrue_through(middle).unwrap();
        figures.extend(record.accrue_through(last).unwrap());
        let end = last.succ_opt().unwrap();
        prop_assert_eq!(figures.len() as i64, (end - from).num_days());
        let engine = loan.as_of(end).unwrap();
        prop_assert_eq!(record.accrued_on(end).unwrap(), engine.accrued);
        let total: i64 = figures.iter().map(|d| d.interest).sum();
        prop_assert_eq!(
            total,
            engine.accrued_rounded(&loan.terms).unwrap()
                - loan.position.accrued_rounded(&loan.terms).unwrap()
        );
    }
}
