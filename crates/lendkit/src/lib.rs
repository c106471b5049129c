//! Shared HTTP plumbing for Lendwork components: problem details, auth, idempotency, safe logging.
