use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;

fn usd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::USD)
}

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(u64::from(day))
}

fn charge(day: u32, sequence: u64, bucket: Bucket, minor: i64) -> Transaction {
    Transaction {
        date: date(day),
        sequence,
        kind: TransactionKind::Charge {
            bucket,
            amount: usd(minor),
        },
    }
}

fn payment(day: u32, sequence: u64, id: u64, minor: i64) -> Transaction {
    Transaction {
        date: date(day),
        sequence,
        kind: TransactionKind::Payment {
            id,
            amount: usd(minor),
        },
    }
}

fn age(day: u32, sequence: u64) -> Transaction {
    Transaction {
        date: date(day),
        sequence,
        kind: TransactionKind::AgeToPastDue,
    }
}

#[test]
fn standard_waterfall_pays_past_due_first() {
    let mut dues = Dues::zero(Currency::USD);
    dues.add(Bucket::FeesPastDue, usd(1500)).unwrap();
    dues.add(Bucket::InterestPastDue, usd(4000)).unwrap();
    dues.add(Bucket::PrincipalPastDue, usd(10000)).unwrap();
    dues.add(Bucket::InterestCurrent, usd(3000)).unwrap();
    dues.add(Bucket::PrincipalCurrent, usd(12000)).unwrap();
    let allocation = allocate(
        usd(20000),
        &dues,
        &Waterfall::standard(),
        OverpaymentPolicy::HoldUnapplied,
    )
    .unwrap();
    assert_eq!(
        allocation.applied,
        [
            (Bucket::FeesPastDue, usd(1500)),
            (Bucket::InterestPastDue, usd(4000)),
            (Bucket::PrincipalPastDue, usd(10000)),
            (Bucket::InterestCurrent, usd(3000)),
            (Bucket::PrincipalCurrent, usd(1500))
        ]
    );
    assert_eq!(allocation.excess, usd(0));
    assert_eq!(
        allocation.dues_after.get(Bucket::PrincipalCurrent),
        usd(10500)
    );

    // Interest before fees: a custom order.
    let order = [
        Bucket::InterestPastDue,
        Bucket::PrincipalPastDue,
        Bucket::FeesPastDue,
        Bucket::InterestCurrent,
        Bucket::PrincipalCurrent,
        Bucket::FeesCurrent,
    ];
    let allocation = allocate(
        usd(5000),
        &dues,
        &Waterfall::new(order).unwrap(),
        OverpaymentPolicy::HoldUnapplied,
    )
    .unwrap();
    assert_eq!(
        allocation.applied,
        [
            (Bucket::InterestPastDue, usd(4000)),
            (Bucket::PrincipalPastDue, usd(1000))
        ]
    );
    assert!(Waterfall::new([Bucket::FeesPastDue; 6]).is_none());
}

#[test]
fn overpayment_policies() {
    let transactions = [
        charge(0, 0, Bucket::InterestCurrent, 1000),
        payment(1, 1, 1, 5000),
        charge(30, 2, Bucket::PrincipalCurrent, 3000),
    ];
    let reduce = replay(
        &transactions,
        Currency::USD,
        &Waterfall::standard(),
        OverpaymentPolicy::ReducePrincipal,
    )
    .unwrap();
    assert_eq!(
        (
            reduce.principal_prepaid,
            reduce.dues.get(Bucket::PrincipalCurrent)
        ),
        (usd(4000), usd(3000))
    );
    let ahead = replay(
        &transactions,
        Currency::USD,
        &Waterfall::standard(),
        OverpaymentPolicy::PayAhead,
    )
    .unwrap();
    assert_eq!(
        (ahead.pay_ahead, ahead.dues.get(Bucket::PrincipalCurrent)),
        (usd(1000), usd(0))
    );
    let held = replay(
        &transactions,
        Currency::USD,
        &Waterfall::standard(),
        OverpaymentPolicy::HoldUnapplied,
    )
    .unwrap();
    assert_eq!(
        (held.unapplied, held.dues.get(Bucket::PrincipalCurrent)),
        (usd(4000), usd(3000))
    );
}

#[test]
fn reversal_replays_later_payments_in_date_order() {
    // Installment 1 (interest 10.00, principal 90.00) due day 30, paid day 30; installment 2
    // due day 60, paid day 60. Payment 1 bounces: payment 2 now pays installment 1 first.
    let transactions = vec![
        charge(30, 1, Bucket::InterestCurrent, 1000),
        charge(30, 2, Bucket::PrincipalCurrent, 9000),
        payment(30, 3, 1, 10000),
        age(45, 4),
        charge(60, 5, Bucket::InterestCurrent, 900),
        charge(60, 6, Bucket::PrincipalCurrent, 9100),
        payment(60, 7, 2, 10000),
    ];
    let waterfall = Waterfall::standard();
    let before = replay(
        &transactions,
        Currency::USD,
        &waterfall,
        OverpaymentPolicy::HoldUnapplied,
    )
    .unwrap();
    assert_eq!(before.dues.total().unwrap(), usd(0));
    let (remaining, after) = reverse_payment(
        &transactions,
        1,
        Currency::USD,
        &waterfall,
        OverpaymentPolicy::HoldUnapplied,
    )
    .unwrap();
    assert_eq!(remaining.len(), 6);
    assert_eq!(after.dues.get(Bucket::InterestPastDue), usd(0));
    assert_eq!(after.dues.get(Bucket::PrincipalPastDue), usd(0));
    assert_eq!(after.dues.get(Bucket::InterestCurrent), usd(900));
    assert_eq!(after.dues.get(Bucket::PrincipalCurrent), usd(9100));
    assert_eq!(
        reverse_payment(
            &transactions,
            99,
            Currency::USD,
            &waterfall,
            OverpaymentPolicy::HoldUnapplied
        ),
        Err(AllocationError::UnknownPayment { id: 99 })
    );
}

#[test]
fn backdated_payment_is_applied_in_date_order() {
    // Entered last (sequence 9) but dated day 40, before the aging on day 45.
    let transactions = [
        charge(30, 1, Bucket::InterestCurrent, 1000),
        age(45, 2),
        payment(40, 9, 1, 1000),
    ];
    let position = replay(
        &transactions,
        Currency::USD,
        &Waterfall::standard(),
        OverpaymentPolicy::HoldUnapplied,
    )
    .unwrap();
    assert_eq!(position.dues.total().unwrap(), usd(0));
}

fn any_bucket() -> impl Strategy<Value = Bucket> {
    prop::sample::select(Bucket::ALL.to_vec())
}

fn any_policy() -> impl Strategy<Value = OverpaymentPolicy> {
    prop::sample::select(vec![
        OverpaymentPolicy::ReducePrincipal,
        OverpaymentPolicy::PayAhead,
        OverpaymentPolicy::HoldUnapplied,
    ])
}

fn any_transaction() -> impl Strategy<Value = (u32, u8, Bucket, i64)> {
    (0u32..365, 0u8..3, any_bucket(), 0i64..1_000_000)
}

proptest! {
    #[test]
    fn allocation_conserves_money(
        raw in prop::collection::vec(any_transaction(), 0..60),
        policy in any_policy(),
        reverse_index in 0usize..60,
    ) {
        let transactions: Vec<Transaction> = raw
            .iter()
            .enumerate()
            .map(|(i, &(day, kind, bucket, minor))| match kind {
                0 => charge(day, i as u64, bucket, minor),
                1 => age(day, i as u64),
                _ => payment(day, i as u64, i as u64, minor),
            })
            .collect();
        let waterfall = Waterfall::standard();
        // replay asserts conservation after every transaction; check the end state too.
        let position = replay(&transactions, Currency::USD, &waterfall, policy).unwrap();
        let received: i64 = transactions.iter().filter_map(|t| match t.kind { TransactionKind::Payment { amount, .. } => Some(amount.to_minor()), _ => None }).sum();
        let charged: i64 = transactions.iter().filter_map(|t| match t.kind { TransactionKind::Charge { amount, .. } => Some(amount.to_minor()), _ => None }).sum();
        prop_assert_eq!(position.received_total.to_minor(), received);
        prop_assert_eq!(position.charged_total.to_minor(), charged);
        prop_assert_eq!(
            position.applied_total.to_minor() + position.pay_ahead.to_minor() + position.unapplied.to_minor() + position.principal_prepaid.to_minor(),
            received
        );
        prop_assert_eq!(position.dues.total().unwrap().to_minor() + position.applied_total.to_minor(), charged);
        // Input order does not matter: replay sorts by (date, sequence).
        let mut shuffled = transactions.clone();
        shuffled.reverse();
        prop_assert_eq!(replay(&shuffled, Currency::USD, &waterfall, policy).unwrap(), position.clone());
        // Reversing a payment conserves money too, and takes out exactly that payment.
        let payment_ids: Vec<u64> = transactions.iter().filter_map(|t| match t.kind { TransactionKind::Payment { id, .. } => Some(id), _ => None }).collect();
        if !payment_ids.is_empty() {
            let id = payment_ids[reverse_index % payment_ids.len()];
            let (_, after) = reverse_payment(&transactions, id, Currency::USD, &waterfall, policy).unwrap();
            let reversed = transactions.iter().find_map(|t| match t.kind { TransactionKind::Payment { id: found, amount } if found == id => Some(amount.to_minor()), _ => None }).unwrap();
            prop_assert_eq!(after.received_total.to_minor(), received - reversed);
            prop_assert_eq!(after.charged_total.to_minor(), charged);
        }
    }
}
