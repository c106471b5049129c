//! The scorecard in force per product: one loaded into the store (by risk, through
//! decisioning's admin route), or the repository's file compiled in until one is.
//!
//! | key | value |
//! |---|---|
//! | `scorecard/{product}/current` | the digest of the scorecard in force |
//! | `scorecard/digest/{sha256}` | a scorecard file as loaded (kept: decisions name it) |

use chrono::{DateTime, Utc};
use lendkit::Problem;
use lendkit::idempotency::store_problem;
use lendstore::{Change, Kv};
use serde::{Deserialize, Serialize};
use underwriting::scorecard::Loaded;

/// The repository's scorecards, in force until another is loaded.
pub const BUILT_IN: &[(&str, &[u8])] = &[
    (
        "personal_installment",
        include_bytes!("../../../data/scorecards/consumer-v1.json"),
    ),
    (
        "sme_term",
        include_bytes!("../../../data/scorecards/sme-v1.json"),
    ),
];

/// Compare-and-swap attempts when switching scorecards.
const SWAP_ATTEMPTS: u32 = 8;

/// Which scorecard is in force for a product.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Current {
    /// The scorecard's digest.
    pub digest: String,
    /// Its identity (`name@digest12`).
    pub id: String,
    /// When it was loaded.
    pub loaded_at: DateTime<Utc>,
}

fn unreadable() -> Problem {
    Problem::internal("a stored scorecard is unreadable")
}

/// The scorecard in force for `product`.
pub fn in_force<K: Kv>(kv: &K, product: &str) -> Result<Loaded, Problem> {
    if let Some(bytes) = kv
        .get(&format!("scorecard/{product}/current"))
        .map_err(store_problem)?
    {
        let current: Current = serde_json::from_slice(&bytes).map_err(|_| unreadable())?;
        let file = kv
            .get(&format!("scorecard/digest/{}", current.digest))
            .map_err(store_problem)?
            .ok_or_else(unreadable)?;
        return Loaded::parse(&file).map_err(|_| unreadable());
    }
    let (_, file) = BUILT_IN
        .iter()
        .find(|(p, _)| *p == product)
        .ok_or_else(|| Problem::not_found("no scorecard scores this product"))?;
    Loaded::parse(file).map_err(|_| unreadable())
}

/// Loads `file` as the scorecard in force for the product it names.
pub fn load<K: Kv>(kv: &K, file: &[u8], now: DateTime<Utc>) -> Result<Current, Problem> {
    let loaded = Loaded::parse(file)
        .map_err(|e| Problem::validation(Vec::new()).with_error("scorecard", e.to_string()))?;
    let product = loaded.scorecard.product.clone();
    if origination::Product::from_name(&product).is_none() {
        return Err(Problem::validation(Vec::new())
            .with_error("scorecard", format!("names no product: `{product}`")));
    }
    kv.set(&format!("scorecard/digest/{}", loaded.digest), file)
        .map_err(store_problem)?;
    let current = Current {
        digest: loaded.digest.clone(),
        id: loaded.id(),
        loaded_at: now,
    };
    let bytes = serde_json::to_vec(&current).map_err(|_| unreadable())?;
    lendstore::update(
        kv,
        &format!("scorecard/{product}/current"),
        SWAP_ATTEMPTS,
        |_| Ok::<_, lendstore::StoreError>(Change::Write(bytes.clone(), ())),
    )
    .map_err(store_problem)?;
    Ok(current)
}
