//! The `onboarding` component: where loans come into servicing.
//!
//! * `POST /loans` (private, through local service chaining from intake): books an
//!   accepted offer — the loan, its schedule and its disbursement entry in one commit of
//!   its ledger book ([`booking`]);
//! * `POST /v1/loans/import` (role `operations`): books loans bought or migrated with
//!   their balances, row by row ([`import`]).
//!
//! A loan's state travels with its book (`lending:ledger/book-state`, through
//! [`loanbook`]); the borrower's contact details are kept apart ([`borrower`]).
#![deny(missing_docs)]

pub mod booking;
pub mod borrower;
pub mod import;

use lendkit::{Access, Method, Role, Route};

/// The component's name in logs.
pub const COMPONENT: &str = "onboarding";

/// Every route this component serves.
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::Post,
        path: "/loans",
        access: Access::Public,
        summary: "Book an accepted offer (private: intake only)",
        handler: booking::book,
    },
    Route {
        method: Method::Post,
        path: "/v1/loans/import",
        access: Access::Roles(&[Role::Operations]),
        summary: "Import loans with their balances",
        handler: import::import,
    },
];

/// Whether `id` is a loan id: `loan-` and 1 to 40 lower-case letters and digits.
pub fn valid_loan_id(id: &str) -> bool {
    id.strip_prefix("loan-").is_some_and(|rest| {
        (1..=40).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

#[cfg(target_arch = "wasm32")]
#[spin_sdk::http_component]
fn handle(request: spin_sdk::http::Request) -> spin_sdk::http::Response {
    lendkit::serve(COMPONENT, ROUTES, &request)
}
