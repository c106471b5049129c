//! The accrual over a simulated portfolio, under every store semantics: books kept in
//! memory as the ledger keeps them (a registry, a change counter bumped before each
//! commit), loans accrued day by day through calendar dates, payments and backdated
//! payments, and every record checked against its loan's book to the cent.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use chrono::{Datelike, Days, NaiveDate};
use lendkit::Problem;
use lendmath::allocation::{Bucket, OverpaymentPolicy};
use lendmath::daycount::DayCount;
use lendmath::money::Currency;
use lendstore::Kv;
use lendstore::sim::{Semantics, SimKv, Step};
use rust_decimal::Decimal;
use servicing::{Channel, Loan, Profile, Rules, Scheduled, Terms, terms};

use crate::Books;
use crate::accrual::{SETTLE_SECS, accrue_partition};
use crate::block::Kept;
use crate::partition::{PARTITIONS, Partition, moved_key};
use crate::run::{self, kept_of, work};

const SEMANTICS: [Semantics; 3] = [
    Semantics::Strict,
    Semantics::SpinSqlite,
    Semantics::SpinRedis,
];

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// `principal` cents at `rate` % actual/365 from 2026-01-01, twelve monthly installments
/// of `payment` from 2026-02-01, 10 days' grace, 25.00 late fee.
fn terms(principal: i64, rate: i64, payment: i64) -> Terms {
    Terms {
        origin: terms::Origin::Originated,
        opening: terms::Opening::default(),
        currency: Currency::USD,
        principal,
        disbursed: principal,
        origination_fee: 0,
        annual_rate_percent: Decimal::new(rate, 0),
        day_count: DayCount::Actual365Fixed,
        start_date: date(2026, 1, 1),
        schedule: (1..=12)
            .map(|n| Scheduled {
                due_date: date(2026, 1, 1)
                    .checked_add_months(chrono::Months::new(n))
                    .unwrap(),
                payment,
            })
            .collect(),
        rules: Rules {
            grace_days: 10,
            late_fee: 2_500,
            nsf_fee: 3_000,
            waterfall: Bucket::ALL.to_vec(),
            overpayment: OverpaymentPolicy::ReducePrincipal,
        },
    }
}

/// Books in memory, kept as the ledger and `loanbook` keep them: listed in the registry,
/// their change counter bumped before every commit.
struct SimBooks {
    kv: Rc<SimKv>,
    loans: RefCell<BTreeMap<String, (Loan, u64)>>,
    advances: RefCell<u64>,
}

impl SimBooks {
    fn new(kv: Rc<SimKv>) -> Rc<SimBooks> {
        Rc::new(SimBooks {
            kv,
            loans: RefCell::default(),
            advances: RefCell::new(0),
        })
    }

    fn register(&self, id: &str) {
        let shard = ledger_core::keys::registry_shard(id);
        let key = ledger_core::keys::registry_key(shard);
        let mut listed = self
            .kv
            .raw(&key)
            .and_then(|b| ledger_core::keys::decode_registry(&b))
            .unwrap_or_default();
        listed.push(id.to_string());
        listed.sort();
        self.kv
            .put(&key, ledger_core::keys::encode_registry(&listed));
    }

    fn book(&self, id: &str, terms: Terms) {
        self.kv.increment(&moved_key(id), 1).unwrap();
        let loan = Loan::book(id, Profile::default(), terms).unwrap();
        self.loans.borrow_mut().insert(id.to_string(), (loan, 1));
        self.register(id);
    }

    /// A book that is not a loan's.
    fn other(&self, id: &str) {
        self.register(id);
    }

    fn pay(&self, id: &str, amount: i64, on: NaiveDate) {
        self.kv.increment(&moved_key(id), 1).unwrap();
        let mut loans = self.loans.borrow_mut();
        let (loan, sequence) = loans.get_mut(id).unwrap();
        loan.pay(&format!("p{sequence}"), amount, on, Channel::Ach)
            .unwrap();
        *sequence += 1;
    }

    fn loan(&self, id: &str) -> Loan {
        self.loans.borrow()[id].0.clone()
    }
}

impl Books for SimBooks {
    fn read(&self, id: &str) -> Result<Option<(Loan, u64)>, Problem> {
        Ok(self.loans.borrow().get(id).cloned())
    }

    fn advance(&self, id: &str, on: NaiveDate) -> Result<(Loan, u64), Problem> {
        self.kv.increment(&moved_key(id), 1).unwrap();
        let mut loans = self.loans.borrow_mut();
        let (loan, sequence) = loans.get_mut(id).unwrap();
        if loan.advance(on).unwrap().is_some() {
            *sequence += 1;
            *self.advances.borrow_mut() += 1;
        }
        Ok((loan.clone(), *sequence))
    }
}

/// The interest income loan's book recognises for the days before `through`: billed and
/// accrued (rounded) on its position then — the engine's own figures.
fn recognised_by_book(loan: &Loan, through: NaiveDate) -> i64 {
    let position = loan.as_of(through).unwrap();
    position.totals.interest_billed - loan.terms.opening.interest
        + position.accrued_rounded(&loan.terms).unwrap()
}

fn next(day: NaiveDate) -> NaiveDate {
    day.checked_add_days(Days::new(1)).unwrap()
}

/// Unix seconds of noon on `day`.
fn noon(day: NaiveDate) -> i64 {
    day.and_hms_opt(12, 0, 0).unwrap().and_utc().timestamp()
}

fn kept(kv: &SimKv, id: &str) -> Kept {
    kept_of(kv, id)
        .unwrap()
        .unwrap_or_else(|| panic!("{id} is kept"))
}

fn portfolio(semantics: Semantics, loans: usize) -> (Rc<SimKv>, Rc<SimBooks>, Vec<String>) {
    let kv = Rc::new(SimKv::new(semantics));
    let books = SimBooks::new(kv.clone());
    let ids: Vec<String> = (0..loans).map(|n| format!("loan-{n:04}")).collect();
    for (n, id) in ids.iter().enumerate() {
        let n = n as i64;
        let mut terms = terms(50_000 + 7_919 * n, 6 + n % 19, 9_000 + 400 * n);
        if n % 10 == 9 {
            terms.currency = Currency::from_code("EUR").unwrap();
        }
        books.book(id, terms);
    }
    books.other("cash-book");
    (kv, books, ids)
}

fn run_day(kv: &SimKv, books: &SimBooks, day: NaiveDate, start: u32) -> run::Run {
    let run = work(kv, books, day, start, || noon(next(day)), || true).unwrap();
    assert!(run.is_finished(), "{day}: {run:?}");
    assert_eq!(run.partitions_done, PARTITIONS);
    run
}

#[test]
fn every_loan_accrues_each_day_once_and_its_figures_add_up_to_what_its_book_recognises() {
    for semantics in SEMANTICS {
        let (kv, books, ids) = portfolio(semantics, 30);
        let mut total: BTreeMap<String, i64> = BTreeMap::new();
        let mut day = date(2026, 1, 1);
        while day <= date(2026, 3, 20) {
            // Payments come in during the day, before it is closed: some on the day, one
            // backdated into an earlier period, most loans paying nothing (and falling
            // past due, with their late fees).
            if day == date(2026, 2, 3) {
                books.pay(&ids[1], 20_000, day);
            }
            if day == date(2026, 2, 20) {
                books.pay(&ids[2], 15_000, date(2026, 2, 5));
            }
            let run = run_day(&kv, &books, day, (day.ordinal() * 97) % PARTITIONS);
            assert_eq!(
                run.totals.failed, 0,
                "{semantics:?} {day}: {:?}",
                run.totals
            );
            assert_eq!(
                run.totals.loan_days,
                ids.len() as u64,
                "{semantics:?} {day}"
            );
            assert_eq!(run.totals.loans, ids.len() as u64);
            for (currency, amount) in &run.totals.interest {
                *total.entry(currency.clone()).or_default() += amount;
            }
            let mut recognised: BTreeMap<String, i64> = BTreeMap::new();
            for id in &ids {
                let kept = kept(&kv, id);
                let loan = books.loan(id);
                assert_eq!(kept.record.through, next(day), "{semantics:?} {id}");
                let by_book = recognised_by_book(&loan, next(day));
                assert_eq!(kept.recognised, by_book, "{semantics:?} {id} {day}");
                let currency = loan.terms.currency.code().to_string();
                *recognised.entry(currency).or_default() += by_book;
            }
            assert_eq!(total, recognised, "{semantics:?} {day}");
            day = next(day);
        }
        // Every due date and grace end up to the last day advanced the books: two of each
        // a month for February and March's due date, once per loan.
        assert_eq!(
            *books.advances.borrow(),
            ids.len() as u64 * 4,
            "{semantics:?}"
        );
        // The book that is not a loan's was read once and set aside.
        let shard = Partition::of("cash-book");
        let block = crate::block::Block::decode(&kv.raw(&shard.block_key()).unwrap()).unwrap();
        assert_eq!(block.others, ["cash-book"], "{semantics:?}");
    }
}

#[test]
fn a_day_run_again_or_raced_by_another_host_accrues_nothing_twice() {
    for semantics in SEMANTICS {
        let (kv, books, ids) = portfolio(semantics, 25);
        let day = date(2026, 1, 10);
        // A second host works the same partition while the first writes its block.
        let partition = Partition::of(&ids[0]);
        let registry = {
            let key = ledger_core::keys::registry_key(partition.shard());
            ledger_core::keys::decode_registry(&kv.raw(&key).unwrap()).unwrap()
        };
        let rival_books = books.clone();
        let rival_registry = registry.clone();
        kv.before(Step::Swap, move |kv| {
            accrue_partition(
                kv,
                &*rival_books,
                partition,
                day,
                noon(day),
                &rival_registry,
            )
            .unwrap();
        });
        let first = accrue_partition(&*kv, &*books, partition, day, noon(day), &registry).unwrap();
        let again = accrue_partition(&*kv, &*books, partition, day, noon(day), &registry).unwrap();
        assert_eq!(first, again, "{semantics:?}");
        let members = registry.len();
        // Ten days each (1 to 10 January), counted once.
        assert_eq!(first.loan_days, members as u64 * 10, "{semantics:?}");
        let record = kept(&kv, &ids[0]);
        assert_eq!(record.record.through, next(day));
        assert_eq!(
            record.recognised,
            recognised_by_book(&books.loan(&ids[0]), next(day))
        );
        assert_eq!(record.figures().count(), 10);
        assert_eq!(
            record.figures().map(|(_, i)| i).sum::<i64>(),
            record.recognised
        );

        // A whole day's run twice: the second changes and counts nothing.
        let run = run_day(&kv, &books, day, 5);
        let rerun = run_day(&kv, &books, day, 1_000);
        assert_eq!(run, rerun, "{semantics:?}");
        let total: i64 = ids
            .iter()
            .map(|id| recognised_by_book(&books.loan(id), next(day)))
            .sum();
        assert_eq!(
            run.totals.interest["USD"] + run.totals.interest["EUR"],
            total
        );
    }
}

#[test]
fn missed_days_are_caught_up_and_slices_resume_where_the_last_stopped() {
    for semantics in SEMANTICS {
        let (kv, books, ids) = portfolio(semantics, 20);
        run_day(&kv, &books, date(2026, 1, 5), 0);
        // Five days missed: one run through the 10th accrues them all, in slices of at
        // most 500 partitions, each slice going on from where the run stands.
        let day = date(2026, 1, 10);
        let mut slices = 0;
        let run = loop {
            slices += 1;
            let mut budget = 500;
            let run = work(
                &*kv,
                &*books,
                day,
                slices * 700,
                || noon(day),
                || {
                    budget -= 1;
                    budget >= 0
                },
            )
            .unwrap();
            if run.is_finished() {
                break run;
            }
            assert!(slices < 20, "the run makes progress");
        };
        assert!(slices >= 9, "{slices} slices of 500 partitions");
        assert_eq!(run.totals.loan_days, ids.len() as u64 * 5, "{semantics:?}");
        for id in &ids {
            let kept = kept(&kv, id);
            assert_eq!(kept.record.through, next(day));
            assert_eq!(
                kept.recognised,
                recognised_by_book(&books.loan(id), next(day))
            );
        }
    }
}

#[test]
fn a_change_committed_after_the_accrual_read_its_book_is_seen_once_settled() {
    let (kv, books, ids) = portfolio(Semantics::SpinSqlite, 3);
    let id = &ids[0];
    let day = date(2026, 1, 10);
    // The payment counts its change, the accrual then reads the counter and the book,
    // and only after that does the payment's commit land.
    kv.increment(&moved_key(id), 1).unwrap();
    run_day(&kv, &books, day, 0);
    {
        let mut loans = books.loans.borrow_mut();
        let (loan, sequence) = loans.get_mut(id.as_str()).unwrap();
        loan.pay("late-commit", 30_000, day, Channel::Ach).unwrap();
        *sequence += 1;
    }
    // The counter has not moved since, but the settling time has passed by the next
    // day's run: the record is read again, and its figures catch up with the payment.
    let following = next(day);
    let run = work(
        &*kv,
        &*books,
        following,
        0,
        || noon(next(following)),
        || true,
    )
    .unwrap();
    assert!(run.is_finished());
    let record = kept(&kv, id);
    assert!(record.settled, "read again once {SETTLE_SECS} s had passed");
    assert_eq!(
        record.recognised,
        recognised_by_book(&books.loan(id), next(following))
    );
    assert!(record.record.principal < 50_000, "{record:?}");
}
