//! The ledger component: exports lending:ledger over wasi:keyvalue.
