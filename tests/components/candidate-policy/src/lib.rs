//! A consumer credit policy simple enough to work out by hand, for hot-swap and backtest
//! tests:
//!
//! * no bureau file → refer (`candidate-no-file`);
//! * scorecard points below [`CUT_OFF`] → decline (`candidate-score-below-cut-off`);
//! * otherwise approve the amount and term asked at 9.99 %, no fee.

/// Scorecard points from which the candidate approves.
pub const CUT_OFF: i32 = 600;

#[cfg(target_arch = "wasm32")]
mod guest {
    mod bindings {
        wit_bindgen::generate!({
            world: "lending:policy/consumer-policy",
            path: "../../../wit/policy.wit",
            with: { "lending:policy/types@0.1.0": policykit::wit },
        });
    }

    use bindings::exports::lending::policy::consumer::Guest;
    use policykit::wit::{ConsumerFacts, Decision, Offer, Outcome, PolicyInfo, Reason};

    struct Candidate;

    fn refuse(outcome: Outcome, code: &str, text: &str) -> Decision {
        Decision {
            outcome,
            reasons: vec![Reason {
                code: code.into(),
                text: text.into(),
            }],
            offers: Vec::new(),
            counter_offer: None,
        }
    }

    impl Guest for Candidate {
        fn about() -> PolicyInfo {
            PolicyInfo {
                name: "candidate-consumer".into(),
                version: "test.1".into(),
            }
        }

        fn decide(facts: ConsumerFacts) -> Decision {
            if !facts.bureau.hit {
                return refuse(
                    Outcome::Refer,
                    "candidate-no-file",
                    "No credit file was found.",
                );
            }
            if facts.score.points < super::CUT_OFF {
                return refuse(
                    Outcome::Decline,
                    "candidate-score-below-cut-off",
                    "Credit score below the minimum.",
                );
            }
            Decision {
                outcome: Outcome::Approve,
                reasons: Vec::new(),
                offers: vec![Offer {
                    amount: facts.request.amount.clone(),
                    term_months: facts.request.term_months,
                    annual_rate: "0.0999".into(),
                    origination_fee: "0.00".into(),
                }],
                counter_offer: None,
            }
        }
    }

    bindings::export!(Candidate with_types_in bindings);
}
