//! Exact lending math: money, rates, day counts, schedules, APR, accrual, allocation and
//! delinquency. Pure functions only: no I/O, no clock, no floating point in money math
//! (the APR solver uses it only to choose where its exact decimal search starts).
//!
//! Modules, in the order a loan meets them:
//! * [`money`], [`rounding`], [`rate`]: amounts, explicit rounding, rate newtypes;
//! * [`daycount`], [`frequency`]: year fractions and due-date calendars;
//! * [`schedule`], [`tila`]: amortization schedules and Regulation Z figures and APR;
//! * [`accrual`], [`allocation`], [`delinquency`]: servicing math;
//! * [`calc`]: the JSON contract of the schedule and APR calculators.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod accrual;
pub mod allocation;
pub mod calc;
pub mod daycount;
pub mod delinquency;
pub mod frequency;
pub mod money;
pub mod rate;
pub mod rounding;
pub mod schedule;
pub mod tila;
