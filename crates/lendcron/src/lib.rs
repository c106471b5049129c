//! Spin's cron trigger contract for the scheduled components (accrual, close of business):
//! a component implements [`Guest`] and exports it with [`export_cron!`], beside its HTTP
//! handler, so the same job runs from `[[trigger.cron]]` and from its HTTP route.
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
