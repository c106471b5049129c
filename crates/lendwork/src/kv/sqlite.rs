//! The SQLite backend: a file in the state directory, durable when a write is acknowledged.
//!
//! Writes go to one writer thread that applies whatever writes are waiting as one
//! transaction (group commit) and acknowledges each only after `COMMIT` has reached the
//! disk (`journal_mode = WAL`, `synchronous = FULL`). Many concurrent writers therefore
//! share one fsync instead of queueing for one each. Reads use a small pool of separate
//! connections, which WAL lets run beside the writer and which see every acknowledged
//! write.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc;

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::oneshot;

use super::{
    KeyPage, KvError, KvStore, LIST_PAGE_KEYS, Versioned, check_batch, check_limits, parse_counter,
};

/// Writes applied in one transaction at most; bounds the latency a group adds.
const MAX_GROUP_WRITES: usize = 512;
/// Read connections kept open; more concurrent readers open a connection briefly.
const READ_POOL_SIZE: usize = 8;
/// How long a connection waits for a lock before failing (the writer holds it briefly).
const BUSY_TIMEOUT_MS: u64 = 5_000;

/// A key-value store in one SQLite file.
pub struct SqliteStore {
    path: PathBuf,
    writer: mpsc::SyncSender<Job>,
    readers: Mutex<Vec<Connection>>,
}

enum Write {
    Set(String, Vec<u8>),
    SetMany(Vec<(String, Vec<u8>)>),
    Delete(Vec<String>),
    Cas(String, Option<u64>, Vec<u8>),
    Increment(String, i64),
}

enum Outcome {
    Done,
    Swapped(bool),
    Counter(i64),
}

struct Job {
    write: Write,
    reply: oneshot::Sender<Result<Outcome, KvError>>,
}

fn backend<E: std::fmt::Display>(e: E) -> KvError {
    KvError::Backend(e.to_string())
}

fn open_connection(path: &Path) -> Result<Connection, KvError> {
    let conn = Connection::open(path).map_err(backend)?;
    conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))
        .map_err(backend)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(backend)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(backend)?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore, KvError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(backend)?;
        }
        let conn = open_connection(path)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS kv (
                 key TEXT PRIMARY KEY NOT NULL,
                 value BLOB NOT NULL,
                 version INTEGER NOT NULL
             ) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS kv_meta (
                 id INTEGER PRIMARY KEY CHECK (id = 1),
                 last_version INTEGER NOT NULL
             );
             INSERT OR IGNORE INTO kv_meta (id, last_version) VALUES (1, 0);",
        )
        .map_err(backend)?;
        let last_version: u64 = conn
            .query_row("SELECT last_version FROM kv_meta WHERE id = 1", [], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(backend)? as u64;
        let (sender, receiver) = mpsc::sync_channel::<Job>(MAX_GROUP_WRITES * 4);
        std::thread::Builder::new()
            .name(format!("kv-writer:{}", path.display()))
            .spawn(move || writer_loop(conn, receiver, last_version))
            .map_err(backend)?;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            writer: sender,
            readers: Mutex::new(Vec::new()),
        })
    }

    async fn submit(&self, write: Write) -> Result<Outcome, KvError> {
        let (reply, answer) = oneshot::channel();
        // The channel is bounded: when the writer falls behind, producers wait here
        // (back-pressure) instead of queueing without limit.
        let sender = self.writer.clone();
        let job = Job { write, reply };
        match sender.try_send(job) {
            Ok(()) => {}
            Err(mpsc::TrySendError::Full(job)) => {
                tokio::task::spawn_blocking(move || sender.send(job))
                    .await
                    .map_err(backend)?
                    .map_err(|_| KvError::Backend("store writer stopped".into()))?;
            }
            Err(mpsc::TrySendError::Disconnected(_)) => {
                return Err(KvError::Backend("store writer stopped".into()));
            }
        }
        answer
            .await
            .map_err(|_| KvError::Backend("store writer stopped".into()))?
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, KvError> {
        let pooled = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => open_connection(&self.path)?,
        };
        let result = f(&conn).map_err(backend);
        let mut pool = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < READ_POOL_SIZE {
            pool.push(conn);
        }
        result
    }
}

fn writer_loop(mut conn: Connection, receiver: mpsc::Receiver<Job>, mut last_version: u64) {
    while let Ok(first) = receiver.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP_WRITES {
            match receiver.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let start_version = last_version;
        let outcomes = apply_group(&mut conn, &jobs, &mut last_version);
        match outcomes {
            Ok(outcomes) => {
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    let _ = job.reply.send(outcome);
                }
            }
            Err(e) => {
                // The transaction rolled back: nothing of this group was written.
                last_version = start_version;
                for job in jobs {
                    let _ = job.reply.send(Err(backend(&e)));
                }
            }
        }
    }
}

/// Applies a group in one transaction. Each write runs inside its own savepoint so a
/// failing write (a limit, a non-integer counter) is undone alone and reported to its
/// caller, while the others commit.
fn apply_group(
    conn: &mut Connection,
    jobs: &[Job],
    last_version: &mut u64,
) -> rusqlite::Result<Vec<Result<Outcome, KvError>>> {
    let mut tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut outcomes = Vec::with_capacity(jobs.len());
    for job in jobs {
        let version_before = *last_version;
        let savepoint = tx.savepoint()?;
        match apply_write(&savepoint, &job.write, last_version) {
            Ok(outcome) => {
                savepoint.commit()?;
                outcomes.push(Ok(outcome));
            }
            Err(e) => {
                // Dropping the savepoint rolls back this write alone.
                drop(savepoint);
                *last_version = version_before;
                outcomes.push(Err(e));
            }
        }
    }
    tx.execute(
        "UPDATE kv_meta SET last_version = ?1 WHERE id = 1",
        params![*last_version as i64],
    )?;
    tx.commit()?;
    Ok(outcomes)
}

fn apply_write(
    conn: &Connection,
    write: &Write,
    last_version: &mut u64,
) -> Result<Outcome, KvError> {
    let mut put = |key: &str, value: &[u8]| -> Result<(), KvError> {
        *last_version += 1;
        conn.prepare_cached(
            "INSERT INTO kv (key, value, version) VALUES (?1, ?2, ?3)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value, version = excluded.version",
        )
        .and_then(|mut st| st.execute(params![key, value, *last_version as i64]))
        .map_err(backend)?;
        Ok(())
    };
    match write {
        Write::Set(key, value) => {
            put(key, value)?;
            Ok(Outcome::Done)
        }
        Write::SetMany(entries) => {
            for (key, value) in entries {
                put(key, value)?;
            }
            Ok(Outcome::Done)
        }
        Write::Delete(keys) => {
            for key in keys {
                conn.prepare_cached("DELETE FROM kv WHERE key = ?1")
                    .and_then(|mut st| st.execute(params![key]))
                    .map_err(backend)?;
            }
            Ok(Outcome::Done)
        }
        Write::Cas(key, expected, value) => {
            let current = current_version(conn, key)?;
            if current != *expected {
                return Ok(Outcome::Swapped(false));
            }
            put(key, value)?;
            Ok(Outcome::Swapped(true))
        }
        Write::Increment(key, delta) => {
            let current: Option<Vec<u8>> = conn
                .prepare_cached("SELECT value FROM kv WHERE key = ?1")
                .and_then(|mut st| st.query_row(params![key], |r| r.get(0)).optional())
                .map_err(backend)?;
            let next = parse_counter(current.as_deref())?
                .checked_add(*delta)
                .ok_or_else(|| KvError::Limit("increment overflows a 64-bit counter".into()))?;
            put(key, next.to_string().as_bytes())?;
            Ok(Outcome::Counter(next))
        }
    }
}

fn current_version(conn: &Connection, key: &str) -> Result<Option<u64>, KvError> {
    conn.prepare_cached("SELECT version FROM kv WHERE key = ?1")
        .and_then(|mut st| {
            st.query_row(params![key], |r| r.get::<_, i64>(0))
                .optional()
        })
        .map(|v| v.map(|v| v as u64))
        .map_err(backend)
}

fn unexpected() -> KvError {
    KvError::Backend("store writer answered out of protocol".into())
}

#[async_trait]
impl KvStore for SqliteStore {
    async fn get(&self, key: &str) -> Result<Option<Versioned>, KvError> {
        check_limits(key, None)?;
        self.read(|conn| {
            conn.prepare_cached("SELECT value, version FROM kv WHERE key = ?1")?
                .query_row(params![key], |r| {
                    Ok(Versioned {
                        value: r.get(0)?,
                        version: r.get::<_, i64>(1)? as u64,
                    })
                })
                .optional()
        })
    }

    async fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        check_limits(key, Some(value))?;
        self.submit(Write::Set(key.to_string(), value.to_vec()))
            .await
            .map(|_| ())
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        check_limits(key, None)?;
        self.submit(Write::Delete(vec![key.to_string()]))
            .await
            .map(|_| ())
    }

    async fn list_keys(&self, cursor: Option<&str>) -> Result<KeyPage, KvError> {
        let keys = self.read(|conn| {
            let mut st =
                conn.prepare_cached("SELECT key FROM kv WHERE key > ?1 ORDER BY key LIMIT ?2")?;
            let rows = st.query_map(
                params![cursor.unwrap_or(""), LIST_PAGE_KEYS as i64 + 1],
                |r| r.get::<_, String>(0),
            )?;
            rows.collect::<rusqlite::Result<Vec<String>>>()
        })?;
        Ok(KeyPage::from_overfetched(keys))
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &[u8],
    ) -> Result<bool, KvError> {
        check_limits(key, Some(value))?;
        match self
            .submit(Write::Cas(key.to_string(), expected, value.to_vec()))
            .await?
        {
            Outcome::Swapped(swapped) => Ok(swapped),
            _ => Err(unexpected()),
        }
    }

    async fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        check_limits(key, None)?;
        match self
            .submit(Write::Increment(key.to_string(), delta))
            .await?
        {
            Outcome::Counter(n) => Ok(n),
            _ => Err(unexpected()),
        }
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        check_batch(keys.len())?;
        for key in keys {
            check_limits(key, None)?;
        }
        self.read(|conn| {
            let mut st = conn.prepare_cached("SELECT value FROM kv WHERE key = ?1")?;
            keys.iter()
                .map(|key| st.query_row(params![key], |r| r.get(0)).optional())
                .collect()
        })
    }

    async fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), KvError> {
        check_batch(entries.len())?;
        for (key, value) in entries {
            check_limits(key, Some(value))?;
        }
        self.submit(Write::SetMany(entries.to_vec()))
            .await
            .map(|_| ())
    }

    async fn delete_many(&self, keys: &[String]) -> Result<(), KvError> {
        check_batch(keys.len())?;
        for key in keys {
            check_limits(key, None)?;
        }
        self.submit(Write::Delete(keys.to_vec())).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_store_passes_the_suite() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("kv.db")).unwrap();
        super::super::suite::run_all(Arc::new(store)).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn acknowledged_writes_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kv.db");
        let version_before = {
            let store = SqliteStore::open(&path).unwrap();
            store.set("loan", b"42").await.unwrap();
            store.set("gone", b"x").await.unwrap();
            let v = store.get("gone").await.unwrap().unwrap().version;
            store.delete("gone").await.unwrap();
            v
        };
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.get("loan").await.unwrap().unwrap().value, b"42");
        store.set("gone", b"x").await.unwrap();
        let version_after = store.get("gone").await.unwrap().unwrap().version;
        assert!(
            version_after > version_before,
            "versions stay monotonic across restarts"
        );
    }
}
