use std::collections::BTreeSet;

use super::index::{Record, block_codes, blocks, decode_block, encode_block, name_codes};
use super::*;

const SDN: &str = include_str!("../../../data/sanctions/sample/sdn.csv");
const ALT: &str = include_str!("../../../data/sanctions/sample/alt.csv");
const ADD: &str = include_str!("../../../data/sanctions/sample/add.csv");

fn sample() -> Vec<Entry> {
    parse_list(SDN, Some(ALT), Some(ADD)).unwrap()
}

fn person(name: &str, birth_year: Option<i32>) -> Person {
    Person {
        name: name.into(),
        individual: true,
        birth_year,
        country: None,
    }
}

/// Screens through the index, as the component does: the records of the blocks of the
/// name's codes only, through their stored bytes, once each.
fn screen(who: &Person) -> (Outcome, Option<Best>) {
    let blocks = blocks(&sample());
    let stored: Vec<Vec<u8>> = name_codes(&who.name)
        .iter()
        .filter_map(|code| blocks.get(code))
        .map(|block| encode_block(block).unwrap())
        .collect();
    let mut records: Vec<Record<'_>> = stored
        .iter()
        .flat_map(|bytes| decode_block(bytes).unwrap())
        .collect();
    records.sort_by_key(|r| r.ent_num);
    records.dedup_by_key(|r| r.ent_num);
    best_match(who, &records, Thresholds::default())
}

#[test]
fn reads_the_sdn_layout() {
    let list = sample();
    assert_eq!(list.len(), 8);
    let karimov = list.iter().find(|e| e.ent_num == 1001).unwrap();
    assert_eq!(karimov.kind, EntryKind::Individual);
    assert_eq!(karimov.programs, ["SDGT", "IRGC"]);
    assert_eq!(karimov.aliases, ["KARIMOV, Rustam"]);
    assert_eq!(karimov.birth_years, [1968]);
    assert_eq!(karimov.countries, ["uzbekistan"]);
    let rashidi = list.iter().find(|e| e.ent_num == 1002).unwrap();
    assert_eq!(rashidi.birth_years, [1975], "a circa year counts");
    assert_eq!(rashidi.countries, ["iraq"]);
    assert_eq!(rashidi.aliases.len(), 2);
    let airline = list.iter().find(|e| e.ent_num == 36).unwrap();
    assert_eq!(airline.kind, EntryKind::Entity, "-0- type is an entity");
    assert!(airline.birth_years.is_empty() && airline.countries.is_empty());
    assert_eq!(
        list.iter().find(|e| e.ent_num == 1005).unwrap().kind,
        EntryKind::Vessel
    );
    // Without the optional files: no aliases, countries only from remarks.
    let bare = parse_list(SDN, None, None).unwrap();
    assert!(bare.iter().all(|e| e.aliases.is_empty()));
}

#[test]
fn refuses_malformed_files_naming_the_line() {
    let bad = parse_list("x,\"NAME\",\"individual\",\"SDGT\"\n", None, None).unwrap_err();
    assert_eq!((bad.file, bad.line), ("sdn.csv", 1));
    let orphan = parse_list(SDN, Some("9999,1,\"aka\",\"NOBODY\",\"-0-\"\n"), None).unwrap_err();
    assert_eq!(orphan.file, "alt.csv");
    let twice = format!("{SDN}1001,\"AGAIN\",\"individual\",\"SDGT\"\n");
    assert_eq!(parse_list(&twice, None, None).unwrap_err().line, 9);
    let short = parse_list("1,\"A\"\n", None, None).unwrap_err();
    assert!(short.reason.contains("at least 4"));
}

#[test]
fn confident_hits_near_misses_and_clear_names() {
    let cases: &[(&str, Option<i32>, Outcome, Option<u64>)] = &[
        // The listed name, in the other order, with its year of birth.
        ("Rustam Karimov", Some(1968), Outcome::Hit, Some(1001)),
        // Accents and case do not matter.
        ("JURGEN MULLER", Some(1962), Outcome::Hit, Some(1006)),
        ("Jürgen Müller", None, Outcome::Hit, Some(1006)),
        // A transliteration found through an alias (and "al" dropped).
        ("Muhammad Al-Rashidi", None, Outcome::Hit, Some(1002)),
        // The same name, but born 30 years apart: a person must look.
        (
            "Rustam Karimov",
            Some(1998),
            Outcome::PossibleMatch,
            Some(1001),
        ),
        // Part of a longer name.
        ("Elena Petrov", None, Outcome::PossibleMatch, Some(1003)),
        // Clear names.
        ("Ada Lovelace", Some(1990), Outcome::Clear, None),
        ("Rustam Smith", None, Outcome::Clear, Some(1001)),
        ("Maria Garcia", Some(1985), Outcome::Clear, Some(1007)),
    ];
    for (name, year, outcome, entry) in cases {
        let (got, candidate) = screen(&person(name, *year));
        assert_eq!(got, *outcome, "{name}: {candidate:?}");
        assert_eq!(candidate.map(|c| c.ent_num), *entry, "{name}");
    }
}

#[test]
fn businesses_screen_against_entities_and_people_against_individuals() {
    let business = Person {
        name: "North Star Traders".into(),
        individual: false,
        birth_year: None,
        country: None,
    };
    let (outcome, candidate) = screen(&business);
    assert_eq!(outcome, Outcome::Hit);
    assert_eq!(candidate.unwrap().ent_num, 1004);
    // A person of that name is not compared with the entity, nor anyone with a vessel.
    assert_eq!(
        screen(&person("North Star Traders", None)).0,
        Outcome::Clear
    );
    assert_eq!(screen(&person("Ocean Voyager", None)).0, Outcome::Clear);
}

#[test]
fn dates_of_birth_and_countries_move_the_score() {
    let entry = Record::of(&sample().into_iter().find(|e| e.ent_num == 1003).unwrap());
    let base = matching::score(&person("Elena Petrova", None), &entry)
        .unwrap()
        .value;
    let born = matching::score(&person("Elena Petrova", Some(1981)), &entry)
        .unwrap()
        .value;
    let not_born = matching::score(&person("Elena Petrova", Some(1950)), &entry).unwrap();
    let mut russian = person("Elena Petrova", None);
    russian.country = Some("russia".into());
    let from = matching::score(&russian, &entry).unwrap().value;
    assert!(born > base && from > base && not_born.value < base);
    assert!(not_born.birth_year_differs);
}

#[test]
fn spellings_share_a_block() {
    assert_eq!(block_codes("x"), Vec::<String>::new());
    for (a, b) in [
        ("mohammed", "muhamad"),
        ("karimov", "karimova"),
        ("petrova", "petrov"),
    ] {
        let a: BTreeSet<String> = block_codes(a).into_iter().collect();
        assert!(
            block_codes(b).iter().any(|code| a.contains(code)),
            "{a:?} {b}"
        );
    }
    let blocks = blocks(&sample());
    assert!(
        blocks["psal"].iter().any(|r| r.ent_num == 1002),
        "aliases are indexed too"
    );
}

#[test]
fn the_digest_covers_every_file() {
    let one = list::digest(SDN, Some(ALT), Some(ADD));
    assert_eq!(one.len(), 64);
    assert_ne!(one, list::digest(SDN, Some(ALT), None));
    assert_ne!(one, list::digest(SDN, None, Some(ALT)));
    assert_eq!(one, list::digest(SDN, Some(ALT), Some(ADD)));
}

/// Syllables the generated names are made of, so that names share tokens and prefixes.
const SYLLABLES: &[&str] = &["ka", "ri", "mo", "va", "le", "na", "so", "ta", "mi", "ro"];

fn generated_name(seed: &[usize]) -> String {
    seed.chunks(3)
        .map(|word| word.iter().map(|&i| SYLLABLES[i]).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

proptest::proptest! {
    /// The bounded search finds exactly the maximum of scoring every record on its own (the
    /// lowest entry number on a tie), whatever the list and the person.
    #[test]
    fn the_bounded_search_finds_the_exact_best(
        names in proptest::collection::vec(proptest::collection::vec(0..SYLLABLES.len(), 2..9), 1..40),
        query in proptest::collection::vec(0..SYLLABLES.len(), 2..9),
        birth_year in proptest::option::of(1950..1960i32),
    ) {
        let entries: Vec<Entry> = names.iter().enumerate().map(|(i, seed)| Entry {
            ent_num: 1 + i as u64,
            name: generated_name(seed),
            kind: if i % 7 == 6 { EntryKind::Entity } else { EntryKind::Individual },
            programs: vec!["SDGT".into()],
            aliases: if i % 3 == 0 { vec![generated_name(&seed[1..])] } else { Vec::new() },
            birth_years: if i % 2 == 0 { vec![1950 + (i as i32 % 10)] } else { Vec::new() },
            countries: Vec::new(),
        }).collect();
        let records: Vec<Record<'_>> = entries.iter().map(Record::of).collect();
        let who = person(&generated_name(&query), birth_year);
        let (_, best) = best_match(&who, &records, Thresholds::default());
        let brute = records
            .iter()
            .filter_map(|r| matching::score(&who, r).map(|s| (r.ent_num, s)))
            .fold(None::<(u64, Score)>, |best, (n, s)| match best {
                Some((_, ref b)) if b.value >= s.value => best,
                _ => Some((n, s)),
            });
        proptest::prop_assert_eq!(best.map(|b| (b.ent_num, b.score)), brute);
    }
}

#[test]
fn a_block_reads_back_as_stored_and_garbage_is_refused() {
    let blocks = blocks(&sample());
    let block = &blocks["pkar"];
    let bytes = encode_block(block).unwrap();
    assert_eq!(&decode_block(&bytes).unwrap(), block);
    assert_eq!(decode_block(b"\xff\xff\xff"), None);
}
