//! `lendwork calc`: the loan calculators on the command line.

use clap::Args;

/// Arguments of `lendwork calc`.
#[derive(Args, Debug)]
pub struct CalcArgs {}

/// Runs the calculator; returns the process exit code.
pub fn run(_args: &CalcArgs) -> i32 {
    2
}
