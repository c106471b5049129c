//! Exact lending math.
