//! What every policy's case table needs (feature `testing`, for the policies' tests): a
//! case is a change to a baseline's facts and the decision the rules must give.

use crate::wit::{Decision, Outcome};

/// One case of a policy's table: its name, the change to the baseline facts `F`, the
/// outcome, the reason codes in order, the first offer as (amount, term, annual rate, fee),
/// whether that offer is a counter-offer, and how many offers there are.
pub type Case<F> = (
    &'static str,
    fn(&mut F),
    Outcome,
    &'static [&'static str],
    Option<(&'static str, u32, &'static str, &'static str)>,
    bool,
    usize,
);

/// Runs every case of `cases` on a fresh `baseline()` through `decide` and checks the
/// decision against it, naming the case that fails.
pub fn run_cases<F>(cases: &[Case<F>], baseline: impl Fn() -> F, decide: impl Fn(&F) -> Decision) {
    for (case, change, outcome, codes, first, counter, count) in cases {
        let mut facts = baseline();
        change(&mut facts);
        let decision = decide(&facts);
        assert_eq!(decision.outcome, *outcome, "{case}");
        let got: Vec<&str> = decision.reasons.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(got, *codes, "{case}");
        assert!(
            decision.reasons.iter().all(|r| !r.text.is_empty()),
            "{case}"
        );
        assert_eq!(decision.offers.len(), *count, "{case}");
        let offered = decision.offers.first().map(|o| {
            (
                o.amount.as_str(),
                o.term_months,
                o.annual_rate.as_str(),
                o.origination_fee.as_str(),
            )
        });
        assert_eq!(offered, *first, "{case}");
        assert_eq!(decision.counter_offer.is_some(), *counter, "{case}");
        if let Some(counter) = &decision.counter_offer {
            assert_eq!(Some(counter), decision.offers.first(), "{case}");
        }
    }
}
