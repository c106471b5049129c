//! The loan's book: which accounts it holds, what each must sum to for a position, and the
//! entry lines that bring the book from what it holds to that.
//!
//! Every account of a loan's book is a function of the loan's position, so an event's
//! entry is the difference between the book's balances and the new position's targets:
//! the book can never drift from the loan, and a backdated payment's entry carries the
//! re-allocation of every later payment with it. The targets always sum to zero (the
//! accounting identity: every cent received paid principal, interest or fees, or is held),
//! so every entry balances.

use lendmath::money::Money;

use crate::ServicingError;
use crate::position::{Kind, Position};
use crate::terms::{Origin, Terms};

/// Principal outstanding (asset).
pub const PRINCIPAL: &str = "loan-principal";
/// Interest billed and unpaid, and accrued to the position's date (asset).
pub const INTEREST_RECEIVABLE: &str = "interest-receivable";
/// Fees charged and unpaid (asset).
pub const FEES_RECEIVABLE: &str = "fees-receivable";
/// Money held for the borrower: pay-ahead credit, unapplied funds, refunds owed (liability).
pub const BORROWER_CREDIT: &str = "borrower-credit";
/// Paid out at disbursement (the funding side of an originated loan).
pub const DISBURSEMENT_CLEARING: &str = "disbursement-clearing";
/// Paid for an imported loan's balances (the funding side of an import).
pub const PURCHASE_CLEARING: &str = "loan-purchase-clearing";
/// Origination fee withheld or financed, not yet recognised as income.
pub const DEFERRED_FEES: &str = "deferred-origination-fees";
/// Interest earned (billed and accrued).
pub const INTEREST_INCOME: &str = "interest-income";
/// Late and returned-payment fees charged.
pub const FEE_INCOME: &str = "fee-income";
/// Payments received and standing.
pub const PAYMENTS_CLEARING: &str = "payments-clearing";

/// The receivable accounts: they all net to zero once a loan is paid off.
pub const RECEIVABLES: [&str; 3] = [PRINCIPAL, INTEREST_RECEIVABLE, FEES_RECEIVABLE];

/// Debit or credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Increases an asset.
    Debit,
    /// Increases a liability or income.
    Credit,
}

/// One line of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The account.
    pub account: &'static str,
    /// Debit or credit.
    pub side: Side,
    /// Positive amount.
    pub amount: Money,
}

/// What each account of the book must net to (debits minus credits, minor units) for
/// `position`.
pub fn targets(
    terms: &Terms,
    position: &Position,
) -> Result<Vec<(&'static str, i64)>, ServicingError> {
    let accrued = position.accrued_rounded(terms)?;
    let opening = terms.opening;
    let (funding, funded) = match terms.origin {
        Origin::Originated => (DISBURSEMENT_CLEARING, terms.disbursed),
        Origin::Imported => (
            PURCHASE_CLEARING,
            terms.disbursed + opening.interest + opening.fees,
        ),
    };
    let targets = vec![
        (PRINCIPAL, position.principal),
        (
            INTEREST_RECEIVABLE,
            position.unpaid(|k| k == Kind::Interest) + accrued,
        ),
        (FEES_RECEIVABLE, position.unpaid(Kind::is_fee)),
        (BORROWER_CREDIT, -(position.pay_ahead + position.unapplied)),
        (funding, -funded),
        (DEFERRED_FEES, -terms.origination_fee),
        // An import's opening interest was bought, not earned here.
        (
            INTEREST_INCOME,
            -(position.totals.interest_billed + accrued - opening.interest),
        ),
        (FEE_INCOME, -position.totals.fees_charged),
        (PAYMENTS_CLEARING, position.totals.received),
    ];
    let sum: i64 = targets.iter().map(|(_, net)| net).sum();
    assert_eq!(sum, 0, "a loan's book balances for every position");
    Ok(targets)
}

/// The lines that move the book from `current` (account, net) to `targets`; accounts
/// that do not change get no line. They balance because both sides sum to zero.
pub fn lines(
    terms: &Terms,
    targets: &[(&'static str, i64)],
    current: &[(String, i64)],
) -> Vec<Line> {
    targets
        .iter()
        .filter_map(|&(account, target)| {
            let held = current
                .iter()
                .find(|(a, _)| a == account)
                .map_or(0, |(_, net)| *net);
            let delta = target - held;
            (delta != 0).then(|| Line {
                account,
                side: if delta > 0 { Side::Debit } else { Side::Credit },
                amount: terms.money(delta.abs()),
            })
        })
        .collect()
}
