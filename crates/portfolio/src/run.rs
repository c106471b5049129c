//! A day's accrual over the whole portfolio: a run record per day (`accrual/run/{as_of}`)
//! whose cursor is the set of partitions done, worked in bounded slices by any number of
//! invocations on any number of hosts, and whose totals add each partition's summary
//! exactly once.

use chrono::NaiveDate;
use ledger_core::keys::{decode_registry, registry_key};
use lendkit::Problem;
use lendstore::{Change, Kv};
use serde::{Deserialize, Serialize};

use crate::Books;
use crate::accrual::accrue_partition;
use crate::block::{Block, Summary};
use crate::partition::{PARTITIONS, Partition};

/// Lost races on a run record before a slice gives up (retryable).
const ATTEMPTS: u32 = 64;
/// Partitions a slice marks done in the run at once.
const MARK_EVERY: usize = 32;

/// The key of the run through `as_of`.
pub fn run_key(as_of: NaiveDate) -> String {
    format!("accrual/run/{as_of}")
}

/// A day's run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    /// The day accrued through.
    pub as_of: NaiveDate,
    /// When the first slice began (Unix seconds).
    pub started_at: i64,
    /// When the last partition was done.
    pub finished_at: Option<i64>,
    /// Partitions done.
    pub partitions_done: u32,
    /// One bit per partition, set once it is done.
    done: Vec<u64>,
    /// The partitions' summaries added up.
    pub totals: Summary,
}

impl Run {
    fn new(as_of: NaiveDate, now: i64) -> Run {
        Run {
            as_of,
            started_at: now,
            finished_at: None,
            partitions_done: 0,
            done: vec![0; PARTITIONS.div_ceil(64) as usize],
            totals: Summary {
                as_of: Some(as_of),
                ..Summary::default()
            },
        }
    }

    /// Whether `partition` is done.
    pub fn is_done(&self, partition: Partition) -> bool {
        let index = partition.index() as usize;
        self.done
            .get(index / 64)
            .is_some_and(|word| word & (1 << (index % 64)) != 0)
    }

    /// Whether every partition is done.
    pub fn is_finished(&self) -> bool {
        self.finished_at.is_some()
    }

    fn decode(bytes: &[u8]) -> Result<Run, Problem> {
        serde_json::from_slice(bytes).map_err(|_| Problem::internal("an accrual run is unreadable"))
    }

    fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a run always serialises")
    }
}

/// The run through `as_of`, if one began.
pub fn read<K: Kv>(kv: &K, as_of: NaiveDate) -> Result<Option<Run>, Problem> {
    kv.get(&run_key(as_of))?
        .map(|bytes| Run::decode(&bytes))
        .transpose()
}

/// Works on the run through `as_of` (beginning it if need be): partitions not yet done,
/// from partition `start` on, while `time_left` says so; the run as it stands after. The
/// clock `now` gives Unix seconds.
pub fn work<K: Kv, B: Books>(
    kv: &K,
    books: &B,
    as_of: NaiveDate,
    start: u32,
    now: impl Fn() -> i64,
    mut time_left: impl FnMut() -> bool,
) -> Result<Run, Problem> {
    let mut run = lendstore::update(kv, &run_key(as_of), ATTEMPTS, |current| match current {
        Some(bytes) => Ok::<_, Problem>(Change::Keep(Run::decode(bytes)?)),
        None => {
            let run = Run::new(as_of, now());
            Ok(Change::Write(run.encode(), run))
        }
    })?;
    // Partitions accrued but not yet marked done, marked [`MARK_EVERY`] at a time (an
    // accrual done again after a lost mark changes nothing, so batching loses nothing).
    let mut accrued: Vec<(Partition, Summary)> = Vec::new();
    for step in 0..PARTITIONS {
        if run.is_finished() || !time_left() {
            break;
        }
        let partition = Partition::from_index((start + step) % PARTITIONS).expect("below");
        if run.is_done(partition) {
            continue;
        }
        let members = shard_books(kv, partition.shard())?;
        let summary = accrue_partition(kv, books, partition, as_of, now(), &members)?;
        accrued.push((partition, summary));
        if accrued.len() == MARK_EVERY {
            run = mark_done(kv, as_of, &std::mem::take(&mut accrued), now())?;
        }
    }
    if !accrued.is_empty() {
        run = mark_done(kv, as_of, &accrued, now())?;
    }
    Ok(run)
}

/// The books the ledger's registry lists in `shard`.
fn shard_books<K: Kv>(kv: &K, shard: u32) -> Result<Vec<String>, Problem> {
    match kv.get(&registry_key(shard))? {
        None => Ok(Vec::new()),
        Some(bytes) => decode_registry(&bytes)
            .ok_or_else(|| Problem::internal("the ledger's registry is unreadable")),
    }
}

/// Marks `accrued` partitions done in the run through `as_of`, adding each one's summary
/// once.
fn mark_done<K: Kv>(
    kv: &K,
    as_of: NaiveDate,
    accrued: &[(Partition, Summary)],
    now: i64,
) -> Result<Run, Problem> {
    lendstore::update(kv, &run_key(as_of), ATTEMPTS, |current| {
        let mut run = match current {
            Some(bytes) => Run::decode(bytes)?,
            None => Run::new(as_of, now),
        };
        let mut changed = false;
        for (partition, summary) in accrued {
            if run.is_done(*partition) {
                continue;
            }
            let index = partition.index() as usize;
            run.done[index / 64] |= 1 << (index % 64);
            run.partitions_done += 1;
            run.totals.add(summary);
            changed = true;
        }
        if !changed {
            return Ok(Change::Keep(run));
        }
        if run.partitions_done == PARTITIONS {
            run.finished_at = Some(now);
        }
        Ok(Change::Write(run.encode(), run))
    })
}

/// Loan `id`'s accrual record and day figures, if the accrual has kept it.
pub fn kept_of<K: Kv>(kv: &K, id: &str) -> Result<Option<crate::block::Kept>, Problem> {
    let Some(bytes) = kv.get(&Partition::of(id).block_key())? else {
        return Ok(None);
    };
    Ok(Block::decode(&bytes)?.loan(id).cloned())
}
