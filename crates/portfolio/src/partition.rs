//! A loan's partition: its ledger registry shard (one of [`PARTITIONS`], by the SHA-256 of
//! the book id), which lists the book — the same on every host and in every version, so
//! any invocation finds a loan's partition from its id alone, and a partition's loans are
//! one registry read.

use ledger_core::REGISTRY_SHARDS;
use ledger_core::keys::registry_shard;

/// Partitions in all: one per registry shard.
pub const PARTITIONS: u32 = REGISTRY_SHARDS;

/// A partition, by its index (its registry shard).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Partition(u32);

impl Partition {
    /// The partition of loan (book) `id`.
    pub fn of(id: &str) -> Partition {
        Partition(registry_shard(id))
    }

    /// Partition number `index`, if there is one.
    pub fn from_index(index: u32) -> Option<Partition> {
        (index < PARTITIONS).then_some(Partition(index))
    }

    /// Its index, below [`PARTITIONS`].
    pub fn index(self) -> u32 {
        self.0
    }

    /// The registry shard listing its loans.
    pub fn shard(self) -> u32 {
        self.0
    }

    /// The key of its accrual records.
    pub fn block_key(self) -> String {
        format!("accrual/block/{:04}", self.0)
    }
}

/// The key of loan `id`'s change counter: every change of its book increments it before
/// committing, so that the accrual, reading the counter before the book, knows when a
/// record it holds may be out of date.
pub fn moved_key(id: &str) -> String {
    format!("accrual/moved/{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loan_is_in_its_registry_shard_and_partitions_spread() {
        let mut seen = vec![0u32; PARTITIONS as usize];
        for n in 0..200_000 {
            let id = format!("loan-{n:06}");
            let partition = Partition::of(&id);
            assert_eq!(partition.shard(), registry_shard(&id));
            assert_eq!(Partition::from_index(partition.index()), Some(partition));
            seen[partition.index() as usize] += 1;
        }
        // About 49 each: none empty, none with three times its share.
        assert!(seen.iter().all(|&n| n > 0 && n < 150), "{seen:?}");
        assert_eq!(Partition::from_index(PARTITIONS), None);
        assert_eq!(
            Partition::of("loan-0042").block_key().len(),
            "accrual/block/0000".len()
        );
    }
}
