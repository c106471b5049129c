//! Test component that exercises host capabilities.
