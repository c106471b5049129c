//! End-to-end tests: built components on the lendwork host.
