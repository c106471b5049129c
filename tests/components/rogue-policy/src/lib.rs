//! A consumer credit policy that misbehaves on purpose, chosen by the application's stated
//! purpose, so tests can show the host stops it and the platform still stores and refers
//! the application:
//!
//! * `trap` — panics (the instance traps);
//! * `loop` — never returns (the invocation's deadline stops it);
//! * `memory` — allocates without bound (the instance's memory limit stops it);
//! * anything else — refers, with the reason `rogue-policy`.

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
    use policykit::wit::{ConsumerFacts, Decision, Outcome, PolicyInfo};
    use policykit::{Reason, refuse};

    struct Rogue;

    impl Guest for Rogue {
        fn about() -> PolicyInfo {
            PolicyInfo {
                name: "rogue".into(),
                version: "0".into(),
            }
        }

        fn decide(facts: ConsumerFacts) -> Decision {
            match facts.request.purpose.as_str() {
                "trap" => panic!("rogue policy: trapping on purpose"),
                "loop" => {
                    let mut n: u64 = 0;
                    loop {
                        n = std::hint::black_box(n.wrapping_add(1));
                    }
                }
                "memory" => {
                    let mut hoard: Vec<Vec<u8>> = Vec::new();
                    loop {
                        hoard.push(vec![1u8; 1 << 20]);
                        std::hint::black_box(&hoard);
                    }
                }
                _ => refuse(
                    Outcome::Refer,
                    &[Reason {
                        code: "rogue-policy",
                        text: "Referred by the test policy.",
                    }],
                ),
            }
        }
    }

    bindings::export!(Rogue with_types_in bindings);
}
