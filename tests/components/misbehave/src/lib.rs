//! Test component that misbehaves on purpose: endless loops, memory bombs, traps.
