//! The SME term loan credit policy, a `lending:policy/business` component: the rules in
//! [`rules`], readable as tables by a risk analyst; this file only binds them to the
//! contract.
#![deny(missing_docs)]

/// Bindings of `wit/policy.wit`'s `business-policy` world.
#[allow(missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "lending:policy/business-policy",
        path: "../../wit/policy.wit",
        with: { "lending:policy/types@0.1.0": policykit::wit },
    });
}

pub mod rules;

use bindings::exports::lending::policy::business::Guest;
use policykit::wit::{BusinessFacts, Decision, PolicyInfo};

/// The policy as the component exports it.
pub struct Policy;

impl Guest for Policy {
    fn about() -> PolicyInfo {
        PolicyInfo {
            name: rules::NAME.into(),
            version: rules::VERSION.into(),
        }
    }

    fn decide(facts: BusinessFacts) -> Decision {
        rules::decide(&facts)
    }
}

// Only in the guest: natively the crate is an rlib whose rules are tested directly.
#[cfg(target_arch = "wasm32")]
bindings::export!(Policy with_types_in bindings);

#[cfg(test)]
mod tests;
