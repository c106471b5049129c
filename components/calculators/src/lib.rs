//! Public loan calculators: schedule and APR.
