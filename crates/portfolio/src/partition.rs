//! A loan's partition: its ledger registry shard (which lists the book) and one of
//! [`BLOCKS_PER_SHARD`] blocks within it, both from the SHA-256 of the book id — the same
//! on every host and in every version, so any invocation finds a loan's partition from its
//! id alone.

use std::collections::BTreeMap;

use ledger_core::REGISTRY_SHARDS;
use ledger_core::keys::registry_shard;
use sha2::{Digest, Sha256};

/// Blocks per registry shard.
pub const BLOCKS_PER_SHARD: u32 = 64;
/// Partitions in all.
pub const PARTITIONS: u32 = REGISTRY_SHARDS * BLOCKS_PER_SHARD;

/// A partition, by its index (`shard * BLOCKS_PER_SHARD + block`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Partition(u32);

impl Partition {
    /// The partition of loan (book) `id`.
    pub fn of(id: &str) -> Partition {
        let digest = Sha256::digest(id.as_bytes());
        let mut second = [0u8; 8];
        second.copy_from_slice(&digest[8..16]);
        let block = u64::from_be_bytes(second) % u64::from(BLOCKS_PER_SHARD);
        let block = u32::try_from(block).expect("block is below BLOCKS_PER_SHARD");
        Partition(registry_shard(id) * BLOCKS_PER_SHARD + block)
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
        self.0 / BLOCKS_PER_SHARD
    }

    /// Its key as shown to people: `shard-block`, e.g. `07-33`.
    pub fn name(self) -> String {
        format!("{:02}-{:02}", self.shard(), self.0 % BLOCKS_PER_SHARD)
    }

    /// The key of its accrual records.
    pub fn block_key(self) -> String {
        format!("accrual/block/{}", self.name())
    }
}

/// `books` grouped by partition, each group in the order given (hashing every id once).
pub fn by_partition(books: Vec<String>) -> BTreeMap<Partition, Vec<String>> {
    let mut groups: BTreeMap<Partition, Vec<String>> = BTreeMap::new();
    for id in books {
        groups.entry(Partition::of(&id)).or_default().push(id);
    }
    groups
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
    fn a_loan_s_partition_lies_in_its_registry_shard_and_partitions_spread() {
        let mut seen = vec![0u32; PARTITIONS as usize];
        for n in 0..40_000 {
            let id = format!("loan-{n}");
            let partition = Partition::of(&id);
            assert_eq!(partition.shard(), registry_shard(&id));
            assert_eq!(Partition::from_index(partition.index()), Some(partition));
            seen[partition.index() as usize] += 1;
        }
        // About ten loans each: none empty, none with more than thrice the mean.
        assert!(seen.iter().all(|&n| (1..=30).contains(&n)), "{seen:?}");
        assert_eq!(Partition::from_index(PARTITIONS), None);
        assert_eq!(Partition::from_index(7 * 64 + 33).unwrap().name(), "07-33");
    }
}
