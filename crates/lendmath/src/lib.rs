//! Exact lending math: money, rates, day counts, schedules, APR, accrual, allocation and
//! delinquency. Pure functions only: no I/O, no clock, no floating point in money math.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod accrual;
pub mod allocation;
pub mod calc;
pub mod daycount;
pub mod frequency;
pub mod money;
pub mod rate;
pub mod rounding;
pub mod schedule;
pub mod tila;
