//! HTTP API over the ledger for operations staff.
