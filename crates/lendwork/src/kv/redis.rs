//! The Redis backend, for several hosts sharing one book.
//!
//! Values are stored as plain Redis strings under their own key, as Spin's Redis store
//! does. Versions live beside them in one hash (`VERSIONS_KEY`) fed by one counter
//! (`SEQUENCE_KEY`); every write is a Lua script, so a value and its version change
//! together atomically and compare-and-swap is exact across hosts. Key listing sorts the
//! keyspace and is meant for administration, not hot paths.

use async_trait::async_trait;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script};

use super::{KeyPage, KvError, KvStore, LIST_PAGE_KEYS, Versioned, check_batch, check_limits};

/// Hash of key → version. The leading NUL keeps it out of the application's key space.
const VERSIONS_KEY: &str = "\u{0}lendwork:versions";
/// Counter from which every version is drawn, so versions never repeat.
const SEQUENCE_KEY: &str = "\u{0}lendwork:sequence";

const GET_SCRIPT: &str = r"
local value = redis.call('GET', KEYS[1])
if not value then return false end
local version = redis.call('HGET', KEYS[2], KEYS[1]) or '0'
return {value, version}
";

const SET_SCRIPT: &str = r"
local version = redis.call('INCR', KEYS[3])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], KEYS[1], version)
return version
";

const CAS_SCRIPT: &str = r"
local exists = redis.call('EXISTS', KEYS[1]) == 1
local current = ''
if exists then current = redis.call('HGET', KEYS[2], KEYS[1]) or '0' end
if current ~= ARGV[1] then return 0 end
local version = redis.call('INCR', KEYS[3])
redis.call('SET', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[2], KEYS[1], version)
return 1
";

const DELETE_SCRIPT: &str = r"
for i = 1, #ARGV do
  redis.call('DEL', ARGV[i])
  redis.call('HDEL', KEYS[1], ARGV[i])
end
return 1
";

const INCREMENT_SCRIPT: &str = r"
local value = redis.call('GET', KEYS[1])
local n = 0
if value then
  n = tonumber(value)
  if n == nil or math.floor(n) ~= n then return redis.error_reply('not an integer') end
end
n = n + tonumber(ARGV[1])
local version = redis.call('INCR', KEYS[3])
redis.call('SET', KEYS[1], string.format('%d', n))
redis.call('HSET', KEYS[2], KEYS[1], version)
return n
";

/// A store in a Redis database.
pub struct RedisStore {
    connection: ConnectionManager,
    get: Script,
    set: Script,
    cas: Script,
    delete: Script,
    increment: Script,
}

fn backend<E: std::fmt::Display>(e: E) -> KvError {
    KvError::Backend(e.to_string())
}

impl RedisStore {
    /// Connects to `url` (`redis://host:port/db`).
    pub async fn connect(url: &str) -> Result<RedisStore, KvError> {
        let client = redis::Client::open(url).map_err(backend)?;
        let connection = ConnectionManager::new(client).await.map_err(backend)?;
        Ok(RedisStore {
            connection,
            get: Script::new(GET_SCRIPT),
            set: Script::new(SET_SCRIPT),
            cas: Script::new(CAS_SCRIPT),
            delete: Script::new(DELETE_SCRIPT),
            increment: Script::new(INCREMENT_SCRIPT),
        })
    }

    fn conn(&self) -> ConnectionManager {
        self.connection.clone()
    }
}

#[async_trait]
impl KvStore for RedisStore {
    async fn get(&self, key: &str) -> Result<Option<Versioned>, KvError> {
        check_limits(key, None)?;
        let reply: Option<(Vec<u8>, String)> = self
            .get
            .key(key)
            .key(VERSIONS_KEY)
            .invoke_async(&mut self.conn())
            .await
            .map_err(backend)?;
        reply
            .map(|(value, version)| {
                let version = version
                    .parse()
                    .map_err(|_| KvError::Backend("unreadable version".into()))?;
                Ok(Versioned { value, version })
            })
            .transpose()
    }

    async fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        check_limits(key, Some(value))?;
        let _: i64 = self
            .set
            .key(key)
            .key(VERSIONS_KEY)
            .key(SEQUENCE_KEY)
            .arg(value)
            .invoke_async(&mut self.conn())
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        self.delete_many(&[key.to_string()]).await
    }

    async fn list_keys(&self, cursor: Option<&str>) -> Result<KeyPage, KvError> {
        let mut all: Vec<String> = self.conn().keys("*").await.map_err(backend)?;
        all.retain(|k| !k.starts_with('\u{0}') && cursor.is_none_or(|c| k.as_str() > c));
        all.sort();
        all.truncate(LIST_PAGE_KEYS + 1);
        Ok(KeyPage::from_overfetched(all))
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &[u8],
    ) -> Result<bool, KvError> {
        check_limits(key, Some(value))?;
        let expected = expected.map(|v| v.to_string()).unwrap_or_default();
        let swapped: i64 = self
            .cas
            .key(key)
            .key(VERSIONS_KEY)
            .key(SEQUENCE_KEY)
            .arg(expected)
            .arg(value)
            .invoke_async(&mut self.conn())
            .await
            .map_err(backend)?;
        Ok(swapped == 1)
    }

    async fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        check_limits(key, None)?;
        self.increment
            .key(key)
            .key(VERSIONS_KEY)
            .key(SEQUENCE_KEY)
            .arg(delta)
            .invoke_async(&mut self.conn())
            .await
            .map_err(backend)
    }

    async fn delete_many(&self, keys: &[String]) -> Result<(), KvError> {
        check_batch(keys.len())?;
        for key in keys {
            check_limits(key, None)?;
        }
        if keys.is_empty() {
            return Ok(());
        }
        let mut invocation = self.delete.key(VERSIONS_KEY);
        for key in keys {
            invocation.arg(key);
        }
        let _: i64 = invocation
            .invoke_async(&mut self.conn())
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// Runs the shared suite when `LENDWORK_TEST_REDIS_URL` names a Redis database that
    /// may be emptied (`cargo xtask test` starts one on loopback and sets
    /// `LENDWORK_REQUIRE_REDIS=1`, which turns a missing URL into a failure).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn redis_store_passes_the_suite() {
        let Ok(url) = std::env::var("LENDWORK_TEST_REDIS_URL") else {
            assert!(
                std::env::var("LENDWORK_REQUIRE_REDIS").as_deref() != Ok("1"),
                "LENDWORK_REQUIRE_REDIS=1 but LENDWORK_TEST_REDIS_URL is not set"
            );
            eprintln!("SKIPPED: LENDWORK_TEST_REDIS_URL is not set");
            return;
        };
        let store = RedisStore::connect(&url).await.unwrap();
        let _: () = redis::cmd("FLUSHDB")
            .query_async(&mut store.conn())
            .await
            .unwrap();
        super::super::suite::run_all(Arc::new(store)).await;
    }
}
