//! Pure double-entry ledger rules: validation, balancing, hash chain, book head.
