//! `lendwork`: the local host that runs a Spin application manifest on wasmtime, and the
//! operator's command line.
//!
//! A request's path through the host: [`server`] accepts it, [`app::App`] finds the route
//! ([`routes`]) and runs the component in a fresh, limited instance ([`state`]) whose
//! imports are WASI, `wasi:http` with [`outbound`] rules, and the key-value and variables
//! [`capabilities`] backed by [`kv`] stores chosen in the [`runtime_config`].
#![deny(missing_docs)]

pub mod accrue_cli;
pub mod api_client;
pub mod app;
pub mod bench;
pub mod calc_cli;
pub mod capabilities;
pub mod compile_cache;
pub mod compose;
pub mod cron;
pub mod decisions_cli;
pub mod kv;
pub mod loans_cli;
pub mod manifest;
pub mod outbound;
pub mod policies;
pub mod policy_cli;
pub mod problem;
pub mod routes;
pub mod runtime_config;
pub mod sanctions_cli;
pub mod server;
pub mod state;
pub mod variables;
