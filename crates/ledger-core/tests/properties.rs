//! Property tests of the ledger rules: books stay balanced, verify finds every tamper,
//! and refusals name the offending field.
#![cfg(not(target_family = "wasm"))]

use std::collections::BTreeMap;

use ledger_core::{
    BookHead, GENESIS_HASH, JournalEntry, LedgerError, MAX_PENDING_ENTRIES, PostingLine, Side,
    StoredEntry, Totals, TrialBalanceFolder, Verifier, decode_stored_entry, split_field_errors,
    validate_entry,
};
use proptest::prelude::*;

const ACCOUNTS: &[&str] = &[
    "cash",
    "loan-principal",
    "interest-receivable",
    "interest-income",
    "fees:origination",
    "suspense",
];

/// (currency, scale) pairs covering 0, 2 and 3 decimals.
const CURRENCIES: &[(&str, u32)] = &[("USD", 2), ("JPY", 0), ("KWD", 3)];

fn decimal(minor: i64, scale: u32) -> String {
    if scale == 0 {
        return minor.to_string();
    }
    let divisor = 10i64.pow(scale);
    format!(
        "{}.{:0width$}",
        minor / divisor,
        minor % divisor,
        width = scale as usize
    )
}

/// One transfer: `amount_minor` from a credit account to a debit account, the credit side
/// split in two lines when `split` is set (so entries are not always pairwise).
#[derive(Debug, Clone)]
struct Transfer {
    debit: usize,
    credit: usize,
    currency: usize,
    amount_minor: i64,
    split: Option<i64>,
}

fn transfer() -> impl Strategy<Value = Transfer> {
    (
        0..ACCOUNTS.len(),
        0..ACCOUNTS.len(),
        0..CURRENCIES.len(),
        2i64..1_000_000_000,
        proptest::option::of(1i64..1_000),
    )
        .prop_map(|(debit, credit, currency, amount_minor, split)| Transfer {
            debit,
            credit,
            currency,
            amount_minor,
            split: split.map(|s| s % (amount_minor - 1) + 1),
        })
}

fn entry_of(id: String, day: u32, transfers: &[Transfer]) -> JournalEntry {
    let mut lines = Vec::new();
    for t in transfers {
        let (code, scale) = CURRENCIES[t.currency];
        lines.push(PostingLine::new(
            ACCOUNTS[t.debit],
            Side::Debit,
            &decimal(t.amount_minor, scale),
            code,
        ));
        match t.split {
            Some(part) => {
                lines.push(PostingLine::new(
                    ACCOUNTS[t.credit],
                    Side::Credit,
                    &decimal(part, scale),
                    code,
                ));
                lines.push(PostingLine::new(
                    ACCOUNTS[(t.credit + 1) % ACCOUNTS.len()],
                    Side::Credit,
                    &decimal(t.amount_minor - part, scale),
                    code,
                ));
            }
            None => lines.push(PostingLine::new(
                ACCOUNTS[t.credit],
                Side::Credit,
                &decimal(t.amount_minor, scale),
                code,
            )),
        }
    }
    JournalEntry {
        id,
        effective_date: format!("2026-01-{:02}", day % 28 + 1),
        description: "property".into(),
        lines,
    }
}

fn entries() -> impl Strategy<Value = Vec<JournalEntry>> {
    proptest::collection::vec(
        (1u32..29, proptest::collection::vec(transfer(), 1..6)),
        1..12,
    )
    .prop_map(|raw| {
        raw.into_iter()
            .enumerate()
            .map(|(n, (day, transfers))| entry_of(format!("e-{n}"), day, &transfers))
            .collect()
    })
}

/// Posts every entry to a fresh book, returning the head and the stored entries.
fn book(entries: &[JournalEntry]) -> (BookHead, Vec<StoredEntry>) {
    let mut head = BookHead::genesis("loan-0042");
    let mut stored = Vec::new();
    for entry in entries {
        let valid = validate_entry(entry).expect("generated entries are valid");
        let (next, one) = head.apply(&valid, None).expect("generated entries apply");
        // Pair assertion: what is written reads back identical and checked.
        let decoded = BookHead::decode("loan-0042", &next.to_bytes()).unwrap();
        assert_eq!(decoded, next);
        // The pending list grows to its bound, then restarts with the new entry alone
        // (after the caller materialised the full list).
        let full = head.pending.len() == MAX_PENDING_ENTRIES;
        assert_eq!(head.to_materialise().is_empty(), !full);
        let expected = if full { 1 } else { head.pending.len() + 1 };
        assert_eq!(next.pending.len(), expected);
        assert_eq!(next.pending.last(), Some(&one));
        head = next;
        stored.push(one);
    }
    (head, stored)
}

fn verify(head: &BookHead, stored: &[Vec<u8>]) -> ledger_core::Verification {
    let mut verifier = Verifier::new(&head.book);
    for (index, bytes) in stored.iter().enumerate() {
        let decoded = decode_stored_entry(bytes).map_err(|e| e.to_string());
        verifier.push(index as u64 + 1, decoded);
        if verifier.is_broken() {
            break;
        }
    }
    verifier.finish(head)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn random_balanced_entries_keep_the_book_balanced_and_verifiable(entries in entries()) {
        let (head, stored) = book(&entries);
        prop_assert_eq!(head.sequence, entries.len() as u64);
        prop_assert!(head.running_totals().unwrap().is_balanced());

        // Exact totals, recomputed naively from the generated amounts.
        let mut expected: BTreeMap<(String, String), (i128, i128)> = BTreeMap::new();
        for entry in &entries {
            for line in &entry.lines {
                let scale = CURRENCIES.iter().find(|c| c.0 == line.currency).unwrap().1;
                let (whole, fraction) = line.amount.split_once('.').unwrap_or((&line.amount, ""));
                let minor = whole.parse::<i128>().unwrap() * 10i128.pow(scale)
                    + if fraction.is_empty() { 0 } else { fraction.parse::<i128>().unwrap() };
                let cell = expected.entry((line.account.clone(), line.currency.clone())).or_default();
                match line.side {
                    Side::Debit => cell.0 += minor,
                    Side::Credit => cell.1 += minor,
                }
            }
        }
        let actual: BTreeMap<(String, String), (i128, i128)> = head
            .totals
            .iter()
            .map(|t| ((t.account.clone(), t.currency.clone()), (t.debits_minor.into(), t.credits_minor.into())))
            .collect();
        prop_assert_eq!(actual, expected);

        let bytes: Vec<Vec<u8>> = stored.iter().map(StoredEntry::to_bytes).collect();
        let verification = verify(&head, &bytes);
        prop_assert!(verification.intact, "{:?}", verification);
        prop_assert_eq!(verification.entries_checked, entries.len() as u64);

        // The trial balance of one book is that book.
        let mut folder = TrialBalanceFolder::new();
        folder.add_head(&head).unwrap();
        let trial = folder.finish().unwrap();
        prop_assert!(trial.balanced);
        prop_assert_eq!(trial.entries, entries.len() as u64);
        prop_assert_eq!(trial.accounts, head.balances().unwrap());
    }

    #[test]
    fn any_single_byte_tamper_is_detected(
        entries in entries(),
        pick in any::<prop::sample::Index>(),
        position in any::<prop::sample::Index>(),
        replacement in any::<u8>(),
    ) {
        let (head, stored) = book(&entries);
        let mut bytes: Vec<Vec<u8>> = stored.iter().map(StoredEntry::to_bytes).collect();
        let target = pick.index(bytes.len());
        let at = position.index(bytes[target].len());
        prop_assume!(bytes[target][at] != replacement);
        bytes[target][at] = replacement;
        let verification = verify(&head, &bytes);
        prop_assert!(!verification.intact);
        prop_assert_eq!(verification.first_broken_sequence, Some(target as u64 + 1));
    }

    #[test]
    fn as_of_balances_fold_only_entries_up_to_the_date(entries in entries(), cut in 1u32..29) {
        let as_of = ledger_core::parse_date(&format!("2026-01-{cut:02}")).unwrap();
        let mut folded = Totals::new();
        let mut naive = Totals::new();
        for entry in &entries {
            let valid = validate_entry(entry).unwrap();
            if valid.effective_date() <= as_of {
                folded.add_entry(&valid).unwrap();
                for line in valid.lines() {
                    let (d, c) = match line.side() {
                        Side::Debit => (line.amount_minor(), 0),
                        Side::Credit => (0, line.amount_minor()),
                    };
                    naive.add(line.account(), line.currency(), d, c).unwrap();
                }
            }
        }
        prop_assert!(folded.is_balanced());
        prop_assert_eq!(folded.balances(), naive.balances());
    }

    #[test]
    fn invalid_amounts_and_currencies_are_refused_naming_the_field(
        transfers in proptest::collection::vec(transfer(), 1..4),
        line in any::<prop::sample::Index>(),
        mutation in 0usize..7,
    ) {
        let mut entry = entry_of("bad".into(), 1, &transfers);
        let index = line.index(entry.lines.len());
        let target = &mut entry.lines[index];
        let field = match mutation {
            0 => { target.amount = format!("-{}", target.amount); "amount" }
            1 => { target.amount = "0".into(); "amount" }
            2 => { target.amount = format!("{}.0001", target.amount.split('.').next().unwrap()); "amount" }
            3 => { target.amount = "1e3".into(); "amount" }
            4 => { target.currency = "XYZ".into(); "currency" }
            5 => { target.account = "Bad Account".into(); "account" }
            _ => { target.currency = target.currency.to_lowercase(); "currency" }
        };
        let expected = format!("lines[{index}].{field}");
        let before = BookHead::genesis("b");
        match validate_entry(&entry) {
            Err(LedgerError::Invalid(text)) => {
                let fields: Vec<String> = split_field_errors(&text).into_iter().map(|e| e.field).collect();
                prop_assert_eq!(fields, vec![expected]);
            }
            other => prop_assert!(false, "expected invalid, got {:?}", other),
        }
        prop_assert_eq!(before, BookHead::genesis("b"));
    }

    #[test]
    fn one_minor_unit_off_is_unbalanced_naming_the_currency(
        transfers in proptest::collection::vec(transfer(), 1..4),
        line in any::<prop::sample::Index>(),
    ) {
        let mut entry = entry_of("off".into(), 1, &transfers);
        let index = line.index(entry.lines.len());
        let target = &mut entry.lines[index];
        let scale = CURRENCIES.iter().find(|c| c.0 == target.currency).unwrap().1;
        let (whole, fraction) = target.amount.split_once('.').unwrap_or((&target.amount, ""));
        let minor: i64 = format!("{whole}{fraction}").parse().unwrap();
        target.amount = decimal(minor + 1, scale);
        let currency = target.currency.clone();
        match validate_entry(&entry) {
            Err(LedgerError::Unbalanced(text)) => {
                prop_assert!(text.starts_with(&format!("{currency}: debits ")), "{}", text);
            }
            other => prop_assert!(false, "expected unbalanced, got {:?}", other),
        }
    }
}

#[test]
fn exact_to_the_cent() {
    let entry = JournalEntry {
        id: "split".into(),
        effective_date: "2026-02-28".into(),
        description: "a third each".into(),
        lines: vec![
            PostingLine::new("cash", Side::Debit, "100", "USD"),
            PostingLine::new("fees:a", Side::Credit, "33.33", "USD"),
            PostingLine::new("fees:b", Side::Credit, "33.33", "USD"),
            PostingLine::new("fees:c", Side::Credit, "33.34", "USD"),
            PostingLine::new("cash", Side::Debit, "0.1", "USD"),
            PostingLine::new("fees:a", Side::Credit, "0.1", "USD"),
        ],
    };
    let valid = validate_entry(&entry).unwrap();
    let (head, _) = BookHead::genesis("b").apply(&valid, None).unwrap();
    let balances = head.balances().unwrap();
    let cash = &balances[0];
    assert_eq!(
        (
            cash.account.as_str(),
            cash.debits.as_str(),
            cash.credits.as_str(),
            cash.net.as_str()
        ),
        ("cash", "100.10", "0.00", "100.10")
    );
    assert_eq!(balances[1].net, "-33.43");
    assert_eq!(balances[3].net, "-33.34");
}

#[test]
fn a_head_that_does_not_decode_is_a_storage_error() {
    let entry = entry_of(
        "e".into(),
        1,
        &[Transfer {
            debit: 0,
            credit: 1,
            currency: 0,
            amount_minor: 500,
            split: None,
        }],
    );
    let (head, _) = BookHead::genesis("b")
        .apply(&validate_entry(&entry).unwrap(), None)
        .unwrap();
    let good = head.to_bytes();
    for bytes in [
        b"not json".to_vec(),
        good[..good.len() / 2].to_vec(),
        String::from_utf8(good.clone())
            .unwrap()
            .replace("\"debits_minor\":500", "\"debits_minor\":501")
            .into_bytes(),
        String::from_utf8(good.clone())
            .unwrap()
            .replace("\"sequence\":1", "\"sequence\":2")
            .into_bytes(),
    ] {
        assert!(matches!(
            BookHead::decode("b", &bytes),
            Err(LedgerError::Storage(_))
        ));
    }
    assert!(matches!(
        BookHead::decode("other", &good),
        Err(LedgerError::Storage(_))
    ));
    assert_eq!(BookHead::decode("b", &good).unwrap(), head);
}

/// A book of `n` small entries: the heads after each post and the stored entries.
fn small_book(n: u64) -> (Vec<BookHead>, Vec<StoredEntry>) {
    let mut heads = vec![BookHead::genesis("b")];
    let mut stored = Vec::new();
    for i in 1..=n {
        let transfer = Transfer {
            debit: 0,
            credit: 1,
            currency: 0,
            amount_minor: i as i64 * 100,
            split: None,
        };
        let entry = entry_of(format!("e{i}"), 1, &[transfer]);
        let (next, one) = heads
            .last()
            .unwrap()
            .apply(&validate_entry(&entry).unwrap(), None)
            .unwrap();
        heads.push(next);
        stored.push(one);
    }
    (heads, stored)
}

fn decodes(head: &BookHead) -> bool {
    BookHead::decode(&head.book, &head.to_bytes()).is_ok()
}

#[test]
fn heads_of_the_single_pending_format_still_decode() {
    let (heads, stored) = small_book(3);
    // `"pending": {entry}`, as heads were written before the list.
    let mut expected = heads[3].clone();
    expected.pending = vec![stored[2].clone()];
    let one = String::from_utf8(stored[2].to_bytes()).unwrap();
    let old = String::from_utf8(expected.to_bytes()).unwrap().replace(
        &format!("\"pending\":[{one}]"),
        &format!("\"pending\":{one}"),
    );
    assert!(old.contains("\"pending\":{\"sequence\":3"));
    assert_eq!(BookHead::decode("b", old.as_bytes()).unwrap(), expected);
    // `"pending": null`, as an empty book's head was written.
    let genesis = String::from_utf8(BookHead::genesis("b").to_bytes())
        .unwrap()
        .replace("\"pending\":[]", "\"pending\":null");
    assert!(genesis.contains("null"));
    assert_eq!(
        BookHead::decode("b", genesis.as_bytes()).unwrap(),
        BookHead::genesis("b")
    );
    // A single entry that is not the newest is refused, as before.
    let stale = old.replace("\"sequence\":3,", "\"sequence\":4,");
    assert!(BookHead::decode("b", stale.as_bytes()).is_err());
}

#[test]
fn the_head_check_wants_a_contiguous_chained_pending_list_ending_at_the_head() {
    let (heads, stored) = small_book(MAX_PENDING_ENTRIES as u64 + 2);
    for head in &heads {
        assert!(decodes(head));
    }
    let full = &heads[MAX_PENDING_ENTRIES];
    assert_eq!(full.pending, stored[..MAX_PENDING_ENTRIES]);
    assert_eq!(full.pending_at(1), Some(&stored[0]));
    assert_eq!(full.pending_with_id("e3"), Some(&stored[2]));
    assert_eq!(
        heads[MAX_PENDING_ENTRIES + 1].pending,
        [stored[MAX_PENDING_ENTRIES].clone()]
    );
    assert_eq!(heads[MAX_PENDING_ENTRIES + 1].pending_at(1), None);

    let refused = |change: &dyn Fn(&mut BookHead)| {
        let mut head = full.clone();
        change(&mut head);
        !decodes(&head)
    };
    // A gap, a reordering, a missing newest entry, an entry of another book's chain.
    assert!(refused(&|h| {
        h.pending.remove(3);
    }));
    assert!(refused(&|h| h.pending.swap(2, 3)));
    assert!(refused(&|h| {
        h.pending.pop();
    }));
    assert!(refused(
        &|h| h.pending[4].entry.description = "changed".into()
    ));
    assert!(refused(&|h| h.pending[0].previous_hash = "1".repeat(64)));
    // Dropping older entries keeps a valid head (they are then stored under their keys).
    let mut suffix = full.clone();
    suffix.pending.drain(..5);
    assert!(decodes(&suffix));
    // More than the bound.
    let mut long = heads[MAX_PENDING_ENTRIES + 1].clone();
    long.pending = stored.clone();
    assert!(!decodes(&long));
    // The first entry of a book links to the genesis hash.
    let mut first = heads[1].clone();
    assert_eq!(first.pending[0].previous_hash, GENESIS_HASH);
    first.pending[0].sequence = 0;
    assert!(!decodes(&first));
}

#[test]
fn a_total_that_would_overflow_is_refused() {
    let big = decimal(i64::MAX / 2 + 1, 2);
    let entry = |id: &str| JournalEntry {
        id: id.into(),
        effective_date: "2026-01-01".into(),
        description: String::new(),
        lines: vec![
            PostingLine::new("cash", Side::Debit, &big, "USD"),
            PostingLine::new("equity", Side::Credit, &big, "USD"),
        ],
    };
    let (head, _) = BookHead::genesis("b")
        .apply(&validate_entry(&entry("1")).unwrap(), None)
        .unwrap();
    let refused = head.apply(&validate_entry(&entry("2")).unwrap(), None);
    assert!(matches!(refused, Err(LedgerError::Invalid(text)) if text.starts_with("lines: ")));
}

#[test]
fn every_byte_of_a_stored_entry_is_covered() {
    let entries: Vec<JournalEntry> = (0..3)
        .map(|n| {
            entry_of(
                format!("e-{n}"),
                n,
                &[Transfer {
                    debit: n as usize,
                    credit: n as usize + 1,
                    currency: n as usize,
                    amount_minor: 12_345,
                    split: Some(45),
                }],
            )
        })
        .collect();
    let (head, stored) = book(&entries);
    let clean: Vec<Vec<u8>> = stored.iter().map(StoredEntry::to_bytes).collect();
    assert!(verify(&head, &clean).intact);
    for at in 0..clean[1].len() {
        let original = clean[1][at];
        for replacement in [
            original ^ 0x01,
            original ^ 0x20,
            b'0',
            b' ',
            b'"',
            b'a',
            b'\\',
        ] {
            if replacement == original {
                continue;
            }
            let mut bytes = clean.clone();
            bytes[1][at] = replacement;
            let verification = verify(&head, &bytes);
            assert!(
                !verification.intact && verification.first_broken_sequence == Some(2),
                "byte {at} {:?} -> {:?} undetected",
                char::from(original),
                char::from(replacement)
            );
        }
    }
}

proptest! {
    /// A book's state is stored raw after the head's JSON, whatever it holds (quotes,
    /// newlines, escapes), and reads back identical; heads that carried it as a JSON field
    /// still decode, and a head claiming both forms is refused.
    #[test]
    fn a_state_is_stored_raw_and_reads_back_identical(
        entries in entries(),
        state in "[ -~\n\"\\\\é]{0,200}",
    ) {
        let (mut head, _) = book(&entries);
        head.state = Some(state.clone());
        let bytes = head.to_bytes();
        prop_assert!(bytes.ends_with(state.as_bytes()));
        prop_assert_eq!(BookHead::decode("loan-0042", &bytes).unwrap(), head.clone());

        let mut legacy: serde_json::Value = serde_json::from_slice(&BookHead {
            state: None,
            ..head.clone()
        }
        .to_bytes())
        .unwrap();
        legacy["state"] = serde_json::Value::String(state.clone());
        let legacy = serde_json::to_vec(&legacy).unwrap();
        prop_assert_eq!(BookHead::decode("loan-0042", &legacy).unwrap(), head.clone());

        let mut both = legacy.clone();
        both.push(b'\n');
        both.extend_from_slice(state.as_bytes());
        prop_assert!(matches!(
            BookHead::decode("loan-0042", &both),
            Err(LedgerError::Storage(_))
        ));
    }
}
