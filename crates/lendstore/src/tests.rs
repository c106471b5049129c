use super::sim::{Semantics, SimKv, Step};
use super::*;

const ALL: [Semantics; 3] = [
    Semantics::Strict,
    Semantics::SpinSqlite,
    Semantics::SpinRedis,
];

/// Appends `item` to a comma-separated list at `key` through [`update`]; the list's bytes
/// are unique per writer because every item is.
fn append(kv: &SimKv, key: &str, item: &str) -> Result<bool, StoreError> {
    update(kv, key, 16, |current| {
        let mut items: Vec<String> = match current {
            Some(bytes) => String::from_utf8(bytes.to_vec())
                .unwrap()
                .split(',')
                .map(str::to_string)
                .collect(),
            None => Vec::new(),
        };
        if items.iter().any(|i| i == item) {
            return Ok::<_, StoreError>(Change::Keep(false));
        }
        items.push(item.to_string());
        Ok(Change::Write(items.join(",").into_bytes(), true))
    })
}

fn list(kv: &SimKv, key: &str) -> Vec<String> {
    let mut items: Vec<String> = String::from_utf8(kv.raw(key).unwrap())
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    items.sort();
    items
}

#[test]
fn a_swap_from_absence_is_an_upsert_on_spin_sqlite_and_loses_a_write() {
    // The hazard this crate exists for, stated against the simulator.
    for semantics in ALL {
        let kv = SimKv::new(semantics);
        let mine = kv.cas("k").unwrap();
        assert_eq!(kv.current(&mine).unwrap(), None);
        let theirs = kv.cas("k").unwrap();
        assert_eq!(kv.current(&theirs).unwrap(), None);
        let first = matches!(kv.swap(theirs, b"theirs").unwrap(), Report::Done);
        let second = matches!(kv.swap(mine, b"mine").unwrap(), Report::Done);
        match semantics {
            // Both report success; the first write is gone.
            Semantics::SpinSqlite => {
                assert!(first && second);
                assert_eq!(kv.raw("k").unwrap(), b"mine");
            }
            Semantics::Strict => assert!(first && !second),
            // Atomic, but neither report says so: both are "failed".
            Semantics::SpinRedis => {
                assert!(!first && !second);
                assert_eq!(kv.raw("k").unwrap(), b"theirs");
            }
        }
    }
}

#[test]
fn create_elects_exactly_one_creator() {
    for semantics in ALL {
        // A rival creates between our claim and our write: impossible to lose, since the
        // rival's claim comes second and it only waits.
        let kv = SimKv::new(semantics);
        kv.before(Step::Set, |kv| {
            assert_eq!(
                create(kv, "k", b"rival").unwrap_err(),
                StoreError::CreationPending,
                "{:?}: the rival waits for the value and never writes it",
                kv.semantics()
            );
        });
        assert_eq!(create(&kv, "k", b"mine").unwrap(), Created::Created);
        assert_eq!(kv.raw("k").unwrap(), b"mine");

        // A rival that claimed first: we wait and get its value.
        let kv = SimKv::new(semantics);
        kv.before(Step::Increment, |kv| {
            assert_eq!(create(kv, "k", b"rival").unwrap(), Created::Created);
        });
        assert_eq!(
            create(&kv, "k", b"mine").unwrap(),
            Created::Exists(b"rival".to_vec())
        );
        assert_eq!(kv.raw("k").unwrap(), b"rival");
    }
}

#[test]
fn a_waiting_creator_sees_the_value_appear_while_it_polls() {
    let kv = SimKv::new(Semantics::SpinSqlite);
    kv.increment(&claim_key("k"), 1).unwrap();
    kv.before(Step::Poll, |kv| kv.put("k", b"late".to_vec()));
    assert_eq!(
        create(&kv, "k", b"mine").unwrap(),
        Created::Exists(b"late".to_vec())
    );
}

#[test]
fn a_claim_whose_creator_died_is_reported_and_writes_nothing() {
    let kv = SimKv::new(Semantics::SpinSqlite);
    kv.increment(&claim_key("k"), 1).unwrap();
    assert_eq!(
        create(&kv, "k", b"mine").unwrap_err(),
        StoreError::CreationPending
    );
    assert_eq!(kv.raw("k"), None);
}

#[test]
fn the_creator_retries_a_failing_write_then_reports_it() {
    let kv = SimKv::new(Semantics::Strict);
    kv.fail_set.set(true);
    assert!(matches!(
        create(&kv, "k", b"v"),
        Err(StoreError::Backend(_))
    ));
    assert_eq!(kv.raw("k"), None);
}

#[test]
fn concurrent_first_updates_lose_nothing_on_every_runtime() {
    for semantics in ALL {
        // The rival runs before our claim, then between our claim and our write (where it
        // can only wait: it must never write from absence).
        for step in [Step::Increment, Step::Set] {
            let kv = SimKv::new(semantics);
            kv.before(step, |kv| {
                // The rival either creates, waits (and then fails as pending: it never
                // writes from absence), or appends by CAS.
                let _ = append(kv, "list", "rival");
            });
            assert!(
                append(&kv, "list", "mine").unwrap(),
                "{semantics:?} {step:?}"
            );
            let items = list(&kv, "list");
            assert!(
                items.contains(&"mine".to_string()),
                "{semantics:?} {step:?}: {items:?}"
            );
            if step != Step::Set {
                assert_eq!(items, ["mine", "rival"], "{semantics:?} {step:?}");
            }
        }
    }
}

#[test]
fn failed_swaps_are_confirmed_by_reading_back_and_nothing_is_written_twice() {
    for semantics in ALL {
        let kv = SimKv::new(semantics);
        for item in ["a", "b", "c", "d"] {
            assert!(append(&kv, "list", item).unwrap(), "{semantics:?}");
        }
        // The same item again is found already there.
        assert!(!append(&kv, "list", "b").unwrap());
        assert_eq!(list(&kv, "list"), ["a", "b", "c", "d"]);
        // One creation, then one written swap per later item: never a double write.
        assert_eq!(kv.swaps_written.get(), 3, "{semantics:?}");
    }
}

#[test]
fn a_rival_swap_between_read_and_swap_is_retried() {
    for semantics in ALL {
        let kv = SimKv::new(semantics);
        append(&kv, "list", "a").unwrap();
        kv.before(Step::Swap, |kv| {
            append(kv, "list", "rival").unwrap();
        });
        assert!(append(&kv, "list", "mine").unwrap());
        assert_eq!(list(&kv, "list"), ["a", "mine", "rival"], "{semantics:?}");
    }
}

#[test]
fn get_many_is_exact_on_every_runtime() {
    for semantics in ALL {
        let kv = SimKv::new(semantics);
        kv.put("b", b"2".to_vec());
        kv.put("a", b"1".to_vec());
        let keys: Vec<String> = ["b", "missing", "a", "z"].map(String::from).to_vec();
        assert_eq!(
            get_many(&kv, &keys).unwrap(),
            [Some(b"2".to_vec()), None, Some(b"1".to_vec()), None],
            "{semantics:?}"
        );
        assert_eq!(get_many(&kv, &keys[..1]).unwrap(), [Some(b"2".to_vec())]);
        assert_eq!(get_many(&kv, &keys[1..2]).unwrap(), [None]);
        assert!(get_many(&kv, &[]).unwrap().is_empty());
    }
}

#[test]
fn answers_naming_keys_not_asked_are_not_trusted() {
    let keys: Vec<String> = ["a", "b"].map(String::from).to_vec();
    let stranger = vec![("c".to_string(), Some(b"x".to_vec()))];
    assert_eq!(match_answer(&keys, stranger), None);
    let twice = vec![
        ("a".to_string(), Some(b"x".to_vec())),
        ("a".to_string(), Some(b"y".to_vec())),
    ];
    assert_eq!(match_answer(&keys, twice), None);
    let reordered = vec![
        ("b".to_string(), Some(b"2".to_vec())),
        ("a".to_string(), None),
    ];
    assert_eq!(
        match_answer(&keys, reordered),
        Some(vec![None, Some(b"2".to_vec())])
    );
}

#[test]
fn counters_use_each_runtimes_encoding() {
    let sqlite = SimKv::new(Semantics::SpinSqlite);
    assert_eq!(sqlite.increment("n", 5).unwrap(), 5);
    assert_eq!(sqlite.raw("n").unwrap(), 5i64.to_le_bytes());
    let redis = SimKv::new(Semantics::SpinRedis);
    assert_eq!(redis.increment("n", 5).unwrap(), 5);
    assert_eq!(redis.raw("n").unwrap(), b"5");
    assert_eq!(redis.increment("n", 0).unwrap(), 5);
}

#[test]
fn an_arrival_log_pages_oldest_first_and_skips_what_never_came_to_be() {
    use crate::log::Log;
    const LOG: Log = Log {
        prefix: "thing",
        scan_max: 4,
    };
    for semantics in [
        Semantics::Strict,
        Semantics::SpinSqlite,
        Semantics::SpinRedis,
    ] {
        let kv = SimKv::new(semantics);
        for n in 1..=7u64 {
            let id = format!("t{n}");
            assert_eq!(LOG.append(&kv, &id).unwrap(), n);
            // The third never came to be: its request failed after logging it.
            if n != 3 {
                kv.set(&format!("thing/{id}"), id.as_bytes()).unwrap();
            }
        }
        let read = |after: u64, limit: usize| {
            LOG.page(
                &kv,
                after,
                limit,
                |id| format!("thing/{id}"),
                |bytes| Ok::<_, StoreError>(Some(String::from_utf8(bytes.to_vec()).unwrap())),
            )
            .unwrap()
        };
        let first = read(0, 2);
        assert_eq!(
            (first.items, first.next_after),
            (vec!["t1".into(), "t2".into()], Some(2))
        );
        // A page reads at most four entries, whatever it finds.
        let second = read(2, 10);
        assert_eq!(second.items, ["t4", "t5", "t6"]);
        assert_eq!(second.next_after, Some(6));
        let last = read(6, 10);
        assert_eq!(
            (last.items, last.next_after),
            (vec!["t7".to_string()], None)
        );
    }
}

#[test]
fn counters_read_back_the_same_on_every_runtime() {
    for semantics in [
        Semantics::Strict,
        Semantics::SpinSqlite,
        Semantics::SpinRedis,
    ] {
        let kv = SimKv::new(semantics);
        for _ in 0..12_345_678 / 1_000_000 {
            kv.increment("n", 1_000_000).unwrap();
        }
        kv.increment("n", 345_678).unwrap();
        assert_eq!(
            counter_value(&kv.raw("n").unwrap()),
            Some(12_345_678),
            "{semantics:?}"
        );
    }
    assert_eq!(counter_value(b"12345678"), Some(12_345_678));
    assert_eq!(counter_value(&7i64.to_le_bytes()), Some(7));
    assert_eq!(counter_value(b"seven"), None);
}
