//! A component that misbehaves on purpose, so tests can show the host's limits stop it
//! while other requests keep being served.
//!
//! * `/misbehave/loop` — never returns;
//! * `/misbehave/alloc` — allocates without bound;
//! * `/misbehave/panic` — panics;
//! * `/misbehave/ok` — answers 200, to show the component itself still works.

#[cfg(target_arch = "wasm32")]
mod guest {
    use spin_sdk::http::{IntoResponse, Request, Response};

    #[spin_sdk::http_component]
    fn handle(request: Request) -> impl IntoResponse {
        match request.path() {
            "/misbehave/loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "/misbehave/alloc" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    // Touch every page so the memory is really committed.
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "/misbehave/panic" => panic!("misbehave: panicking on purpose"),
            _ => Response::new(200, "still fine"),
        }
    }
}
