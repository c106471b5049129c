//! Spin's cron trigger contract for the scheduled components (accrual, close of business):
//! a component names its job with [`cron_job!`] beside its HTTP handler, so the same job
//! runs from `[[trigger.cron]]` and from its HTTP route.
//!
//! Only scheduled components depend on this crate: its binding asks the component to export
//! `handle-cron-event`.

/// The generated binding.
#[allow(missing_docs)]
pub mod bindings {
    spin_sdk::wit_bindgen::generate!({
        world: "fermyon:spin-cron/spin-cron",
        path: "../../wit/deps/spin-cron",
        runtime_path: "::spin_sdk::wit_bindgen::rt",
        pub_export_macro: true,
        export_macro_name: "export_cron",
        default_bindings_module: "lendcron::bindings",
    });
}

pub use bindings::{Error, Guest, Metadata, export_cron};

/// Exports `$job` (a `fn() -> Result<(), lendkit::Problem>`, named by a path from the
/// crate root such as `crate::scheduled`) as the component's cron entry: a failure is
/// reported to the trigger by its problem's title (never personal data).
#[macro_export]
macro_rules! cron_job {
    ($job:path) => {
        #[cfg(target_arch = "wasm32")]
        mod cron_entry {
            struct Schedule;

            impl $crate::Guest for Schedule {
                fn handle_cron_event(_metadata: $crate::Metadata) -> Result<(), $crate::Error> {
                    $job().map_err(|problem| $crate::Error::Other(problem.title.clone()))
                }
            }

            $crate::export_cron!(Schedule);
        }
    };
}
