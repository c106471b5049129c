//! The behaviour of `wasi:keyvalue` as Spin 4.0.2 provides it, one fact per test, each run
//! against every backend (memory, SQLite, and Redis when `LENDWORK_TEST_REDIS_URL` is
//! set). Whoever changes the Spin-faithful mode, or a component protocol that relies on it,
//! sees here what real Spin does.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::*;
use crate::kv::{memory::MemoryStore, redis::RedisStore, sqlite::SqliteStore};

/// The Redis database these facts use (the backend suite uses the URL's own).
const FACTS_REDIS_DATABASE: u32 = 15;

/// `url` with its database number replaced by `database`.
fn redis_database(url: &str, database: u32) -> String {
    match url.rsplit_once('/') {
        Some((server, db)) if server.contains("://") && db.chars().all(|c| c.is_ascii_digit()) => {
            format!("{server}/{database}")
        }
        _ => format!("{}/{database}", url.trim_end_matches('/')),
    }
}

/// Every backend to state the facts against, with a key prefix unique to the caller (the
/// Redis database is shared by tests running in parallel).
async fn backends(test: &str) -> Vec<(String, Arc<dyn KvStore>, tempfile::TempDir)> {
    static RUN: AtomicU64 = AtomicU64::new(0);
    let run = RUN.fetch_add(1, Ordering::Relaxed);
    let dir = || tempfile::tempdir().unwrap();
    let mut out: Vec<(String, Arc<dyn KvStore>, tempfile::TempDir)> = vec![(
        format!("{test}/memory/"),
        Arc::new(MemoryStore::new()),
        dir(),
    )];
    let sqlite_dir = dir();
    let sqlite = SqliteStore::open(&sqlite_dir.path().join("kv.db")).unwrap();
    out.push((format!("{test}/sqlite/"), Arc::new(sqlite), sqlite_dir));
    match std::env::var("LENDWORK_TEST_REDIS_URL") {
        Ok(url) => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos();
            // A database of its own: the Redis backend's suite empties and lists its own.
            let store = RedisStore::connect(&redis_database(&url, FACTS_REDIS_DATABASE))
                .await
                .unwrap();
            out.push((
                format!("spin-facts/{nanos}/{run}/{test}/redis/"),
                Arc::new(store),
                dir(),
            ));
        }
        Err(_) => assert!(
            std::env::var("LENDWORK_REQUIRE_REDIS").as_deref() != Ok("1"),
            "LENDWORK_REQUIRE_REDIS=1 but LENDWORK_TEST_REDIS_URL is not set"
        ),
    }
    out
}

async fn handle(store: &dyn KvStore, semantics: Semantics, key: &str) -> CasState {
    CasState::open(store, semantics, key.to_string())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_get_many_answers_only_existing_keys_in_key_order() {
    for (p, store, _dir) in backends("get-many-sqlite").await {
        store.set(&format!("{p}b"), b"2").await.unwrap();
        store.set(&format!("{p}a"), b"1").await.unwrap();
        let keys = ["b", "missing", "a"].map(|k| format!("{p}{k}")).to_vec();
        let answer = get_many(&*store, Semantics::SpinSqlite, keys)
            .await
            .unwrap();
        assert_eq!(
            answer,
            [
                (format!("{p}a"), Some(b"1".to_vec())),
                (format!("{p}b"), Some(b"2".to_vec())),
            ],
            "{p}"
        );
        // The WIT's answer, which the lendwork host gives: one pair per key asked, in order.
        let keys = ["b", "missing"].map(|k| format!("{p}{k}")).to_vec();
        let exact = get_many(&*store, Semantics::Lendwork, keys).await.unwrap();
        assert_eq!(exact[1], (format!("{p}missing"), None));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_get_many_is_refused_for_several_keys_and_names_one_key_without_its_value() {
    for (p, store, _dir) in backends("get-many-redis").await {
        store.set(&format!("{p}a"), b"1").await.unwrap();
        let two = vec![format!("{p}a"), format!("{p}b")];
        let refused = get_many(&*store, Semantics::SpinRedis, two).await;
        assert!(
            matches!(&refused, Err(KvError::Backend(text)) if text.contains("wrong number of arguments")),
            "{p}: {refused:?}"
        );
        let one = get_many(&*store, Semantics::SpinRedis, vec![format!("{p}a")])
            .await
            .unwrap();
        assert_eq!(one, [(format!("{p}a"), None)], "{p}");
        let absent = get_many(&*store, Semantics::SpinRedis, vec![format!("{p}z")])
            .await
            .unwrap();
        assert!(absent.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_swap_from_absence_is_an_upsert_so_both_creators_win() {
    for (p, store, _dir) in backends("upsert").await {
        let key = format!("{p}book");
        let mut first = handle(&*store, Semantics::SpinSqlite, &key).await;
        let mut second = handle(&*store, Semantics::SpinSqlite, &key).await;
        assert_eq!(
            first.current(&*store, Semantics::SpinSqlite).await.unwrap(),
            None
        );
        assert_eq!(
            second
                .current(&*store, Semantics::SpinSqlite)
                .await
                .unwrap(),
            None
        );
        let a = swap(&*store, Semantics::SpinSqlite, first, b"first")
            .await
            .unwrap();
        let b = swap(&*store, Semantics::SpinSqlite, second, b"second")
            .await
            .unwrap();
        assert!(
            a.report.is_ok() && b.report.is_ok(),
            "{p}: both report success"
        );
        assert_eq!(
            store.get(&key).await.unwrap().unwrap().value,
            b"second",
            "{p}"
        );

        // The same race under the lendwork host's semantics: one wins, one is told so.
        let key = format!("{p}strict");
        let mut first = handle(&*store, Semantics::Lendwork, &key).await;
        let mut second = handle(&*store, Semantics::Lendwork, &key).await;
        first.current(&*store, Semantics::Lendwork).await.unwrap();
        second.current(&*store, Semantics::Lendwork).await.unwrap();
        let a = swap(&*store, Semantics::Lendwork, first, b"first")
            .await
            .unwrap();
        let b = swap(&*store, Semantics::Lendwork, second, b"second")
            .await
            .unwrap();
        assert!(a.report.is_ok() && b.report.is_err(), "{p}");
        assert_eq!(store.get(&key).await.unwrap().unwrap().value, b"first");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_swap_without_current_writes_unconditionally() {
    for (p, store, _dir) in backends("no-current").await {
        let key = format!("{p}k");
        store.set(&key, b"someone's").await.unwrap();
        let cas = handle(&*store, Semantics::SpinSqlite, &key).await;
        let swapped = swap(&*store, Semantics::SpinSqlite, cas, b"mine")
            .await
            .unwrap();
        assert!(swapped.report.is_ok() && swapped.written, "{p}");
        assert_eq!(store.get(&key).await.unwrap().unwrap().value, b"mine");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_swap_compares_values_so_a_change_and_back_goes_unseen() {
    for (p, store, _dir) in backends("values").await {
        let key = format!("{p}k");
        store.set(&key, b"A").await.unwrap();
        let mut cas = handle(&*store, Semantics::SpinSqlite, &key).await;
        assert_eq!(
            cas.current(&*store, Semantics::SpinSqlite).await.unwrap(),
            Some(b"A".to_vec())
        );
        store.set(&key, b"B").await.unwrap();
        store.set(&key, b"A").await.unwrap();
        let swapped = swap(&*store, Semantics::SpinSqlite, cas, b"C")
            .await
            .unwrap();
        assert!(
            swapped.report.is_ok(),
            "{p}: A→B→A is not a change to Spin's SQLite"
        );
        // A real change is seen, and the fresh handle has already read the new value.
        let mut cas = handle(&*store, Semantics::SpinSqlite, &key).await;
        cas.current(&*store, Semantics::SpinSqlite).await.unwrap();
        store.set(&key, b"D").await.unwrap();
        let swapped = swap(&*store, Semantics::SpinSqlite, cas, b"E")
            .await
            .unwrap();
        let fresh = swapped.report.unwrap_err();
        assert_eq!(fresh.read.unwrap().value, Some(b"D".to_vec()), "{p}");
        assert_eq!(store.get(&key).await.unwrap().unwrap().value, b"D");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_swap_is_atomic_but_always_reports_failure() {
    for (p, store, _dir) in backends("redis-swap").await {
        let key = format!("{p}k");
        // Unopposed, the swap writes and still says it failed.
        let mut cas = handle(&*store, Semantics::SpinRedis, &key).await;
        assert_eq!(
            cas.current(&*store, Semantics::SpinRedis).await.unwrap(),
            None
        );
        let swapped = swap(&*store, Semantics::SpinRedis, cas, b"mine")
            .await
            .unwrap();
        assert!(swapped.written && swapped.report.is_err(), "{p}");
        assert_eq!(store.get(&key).await.unwrap().unwrap().value, b"mine");
        // Opposed (a write after WATCH), it does not write, and says the same.
        let mut cas = handle(&*store, Semantics::SpinRedis, &key).await;
        cas.current(&*store, Semantics::SpinRedis).await.unwrap();
        store.set(&key, b"theirs").await.unwrap();
        let swapped = swap(&*store, Semantics::SpinRedis, cas, b"again")
            .await
            .unwrap();
        assert!(!swapped.written && swapped.report.is_err(), "{p}");
        assert_eq!(store.get(&key).await.unwrap().unwrap().value, b"theirs");
        // Only reading back tells the two apart: the fresh handle has read the key.
        let fresh = swapped.report.unwrap_err();
        assert_eq!(fresh.read.unwrap().value, Some(b"theirs".to_vec()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_are_little_endian_bytes_on_sqlite_and_text_on_redis() {
    for (p, store, _dir) in backends("counters").await {
        let sqlite = format!("{p}sqlite-n");
        assert_eq!(
            increment(&*store, Semantics::SpinSqlite, &sqlite, 5)
                .await
                .unwrap(),
            5
        );
        assert_eq!(
            increment(&*store, Semantics::SpinSqlite, &sqlite, 0)
                .await
                .unwrap(),
            5
        );
        assert_eq!(
            store.get(&sqlite).await.unwrap().unwrap().value,
            5i64.to_le_bytes(),
            "{p}"
        );
        let redis = format!("{p}redis-n");
        assert_eq!(
            increment(&*store, Semantics::SpinRedis, &redis, 7)
                .await
                .unwrap(),
            7
        );
        assert_eq!(store.get(&redis).await.unwrap().unwrap().value, b"7");
        // A value that is no counter is refused (Spin's SQLite host panics on it).
        let text = format!("{p}text");
        store.set(&text, b"{\"json\":1}").await.unwrap();
        for semantics in [Semantics::SpinSqlite, Semantics::SpinRedis] {
            assert!(
                increment(&*store, semantics, &text, 1).await.is_err(),
                "{p}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn increments_are_atomic_under_every_semantics() {
    for (p, store, _dir) in backends("increments").await {
        for semantics in [
            Semantics::Lendwork,
            Semantics::SpinSqlite,
            Semantics::SpinRedis,
        ] {
            let key = format!("{p}{semantics:?}");
            let mut tasks = Vec::new();
            for _ in 0..8 {
                let store = store.clone();
                let key = key.clone();
                tasks.push(tokio::spawn(async move {
                    let mut seen = Vec::new();
                    for _ in 0..25 {
                        seen.push(increment(&*store, semantics, &key, 1).await.unwrap());
                    }
                    seen
                }));
            }
            let mut all = Vec::new();
            for task in tasks {
                all.extend(task.await.unwrap());
            }
            all.sort();
            assert_eq!(all, (1..=200).collect::<Vec<i64>>(), "{p} {semantics:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_keys_refuses_a_cursor_and_answers_every_key_at_once() {
    // A fresh memory and SQLite store each (Redis's database is shared with other facts).
    for (p, store, _dir) in backends("list-keys").await.into_iter().take(2) {
        let total = crate::kv::LIST_PAGE_KEYS + 3;
        let pairs: Vec<(String, Vec<u8>)> = (0..total)
            .map(|i| (format!("{p}{i:05}"), vec![1]))
            .collect();
        for chunk in pairs.chunks(crate::kv::MAX_BATCH_KEYS) {
            store.set_many(chunk).await.unwrap();
        }
        for semantics in [Semantics::SpinSqlite, Semantics::SpinRedis] {
            let all = list_keys(&*store, semantics, None).await.unwrap();
            assert_eq!((all.keys.len(), all.cursor), (total, None), "{p}");
            let refused = list_keys(&*store, semantics, Some(all.keys[0].clone())).await;
            assert!(
                matches!(&refused, Err(KvError::Backend(text)) if text.contains("cursor not supported")),
                "{p}"
            );
        }
        // The lendwork host pages.
        let page = list_keys(&*store, Semantics::Lendwork, None).await.unwrap();
        assert_eq!(page.keys.len(), crate::kv::LIST_PAGE_KEYS);
        assert!(page.cursor.is_some());
    }
}
