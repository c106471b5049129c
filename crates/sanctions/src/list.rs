//! The OFAC SDN list in its public CSV layout.
//!
//! * `sdn.csv`: `ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type,
//!   Tonnage, GRT, Vess_flag, Vess_owner, Remarks` — no header row; `-0-` is null; an
//!   individual's name is `LAST, First Middle`; `Remarks` holds `DOB 12 Jan 1960;`,
//!   `DOB circa 1960;`, `nationality Iran;`, `citizen Iran;` and more, `;`-separated.
//! * `alt.csv`: `ent_num, alt_num, alt_type, alt_name, alt_remarks` — aliases.
//! * `add.csv`: `ent_num, add_num, address, city_state_postal, country, add_remarks`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What kind of party an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A person.
    Individual,
    /// A company, organisation or other entity (`-0-` in the file).
    Entity,
    /// A ship.
    Vessel,
    /// An aircraft.
    Aircraft,
}

/// One party on the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The list's own number for the entry.
    pub ent_num: u64,
    /// The name as listed.
    pub name: String,
    /// What kind of party.
    pub kind: EntryKind,
    /// Sanctions programs (`SDGT`, `IRAN`, …).
    pub programs: Vec<String>,
    /// Aliases (`a.k.a.`, `f.k.a.`), as listed.
    pub aliases: Vec<String>,
    /// Years of birth found in the remarks (a `circa` year counts as given).
    pub birth_years: Vec<i32>,
    /// Countries from nationality, citizenship and addresses, lower case.
    pub countries: Vec<String>,
}

/// Why a list cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListError {
    /// Which file.
    pub file: &'static str,
    /// The line (1-based).
    pub line: u64,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for ListError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} line {}: {}", self.file, self.line, self.reason)
    }
}

/// Most entries a list may hold (the SDN list has about 18,000).
pub const ENTRIES_MAX: usize = 100_000;

/// The `-0-` null of the files, or the trimmed text.
fn field(record: &csv::StringRecord, index: usize) -> Option<String> {
    let text = record.get(index)?.trim();
    (!text.is_empty() && text != "-0-").then(|| text.to_string())
}

fn reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
}

fn records(
    text: &str,
    file: &'static str,
    min_fields: usize,
) -> Result<Vec<(u64, csv::StringRecord)>, ListError> {
    let mut out = Vec::new();
    for (index, record) in reader(text).records().enumerate() {
        let line = index as u64 + 1;
        let record = record.map_err(|e| ListError {
            file,
            line,
            reason: format!("not CSV: {e}"),
        })?;
        // The official files end with a control character on a line of its own.
        if record.len() == 1
            && record
                .get(0)
                .is_some_and(|f| f.trim().chars().all(char::is_control))
        {
            continue;
        }
        if record.len() < min_fields {
            return Err(ListError {
                file,
                line,
                reason: format!(
                    "expected at least {min_fields} fields, found {}",
                    record.len()
                ),
            });
        }
        out.push((line, record));
    }
    Ok(out)
}

fn ent_num(record: &csv::StringRecord, file: &'static str, line: u64) -> Result<u64, ListError> {
    field(record, 0)
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| ListError {
            file,
            line,
            reason: "ent_num is not a number".into(),
        })
}

/// Years of birth (`DOB 12 Jan 1960`, `DOB 1960`, `DOB circa 1960`, `DOB 1958 to 1962`)
/// and countries (`nationality X`, `citizen X`) in an entry's remarks.
fn from_remarks(remarks: &str) -> (Vec<i32>, Vec<String>) {
    let mut years = Vec::new();
    let mut countries = Vec::new();
    for part in remarks.split(';').map(str::trim) {
        if let Some(dob) = part.strip_prefix("DOB ") {
            years.extend(
                dob.split(|c: char| !c.is_ascii_digit())
                    .filter(|t| t.len() == 4)
                    .filter_map(|t| t.parse::<i32>().ok()),
            );
        }
        for prefix in ["nationality ", "citizen "] {
            if let Some(country) = part.strip_prefix(prefix) {
                countries.push(country.trim_end_matches('.').trim().to_ascii_lowercase());
            }
        }
    }
    (years, countries)
}

/// Reads the list from the text of `sdn.csv` and, when given, `alt.csv` and `add.csv`.
/// Aliases and addresses of entries the main file does not have are refused.
pub fn parse_list(
    sdn: &str,
    alt: Option<&str>,
    add: Option<&str>,
) -> Result<Vec<Entry>, ListError> {
    let mut entries: BTreeMap<u64, Entry> = BTreeMap::new();
    for (line, record) in records(sdn, "sdn.csv", 4)? {
        let ent_num = ent_num(&record, "sdn.csv", line)?;
        let name = field(&record, 1).ok_or_else(|| ListError {
            file: "sdn.csv",
            line,
            reason: "SDN_Name is empty".into(),
        })?;
        let kind = match field(&record, 2)
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("individual") => EntryKind::Individual,
            Some("vessel") => EntryKind::Vessel,
            Some("aircraft") => EntryKind::Aircraft,
            _ => EntryKind::Entity,
        };
        let programs = field(&record, 3)
            .map(|p| {
                p.split(']')
                    .map(|p| {
                        p.trim_matches(|c: char| c == '[' || c.is_whitespace())
                            .to_string()
                    })
                    .filter(|p| !p.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let (birth_years, countries) = field(&record, 11)
            .map(|r| from_remarks(&r))
            .unwrap_or_default();
        if entries.len() >= ENTRIES_MAX {
            return Err(ListError {
                file: "sdn.csv",
                line,
                reason: format!("more than {ENTRIES_MAX} entries"),
            });
        }
        let entry = Entry {
            ent_num,
            name,
            kind,
            programs,
            aliases: Vec::new(),
            birth_years,
            countries,
        };
        if entries.insert(ent_num, entry).is_some() {
            return Err(ListError {
                file: "sdn.csv",
                line,
                reason: "ent_num appears twice".into(),
            });
        }
    }
    if let Some(alt) = alt {
        for (line, record) in records(alt, "alt.csv", 4)? {
            let ent_num = ent_num(&record, "alt.csv", line)?;
            let entry = entries.get_mut(&ent_num).ok_or_else(|| ListError {
                file: "alt.csv",
                line,
                reason: "alias of an entry sdn.csv does not have".into(),
            })?;
            if let Some(alias) = field(&record, 3) {
                entry.aliases.push(alias);
            }
        }
    }
    if let Some(add) = add {
        for (line, record) in records(add, "add.csv", 5)? {
            let ent_num = ent_num(&record, "add.csv", line)?;
            let entry = entries.get_mut(&ent_num).ok_or_else(|| ListError {
                file: "add.csv",
                line,
                reason: "address of an entry sdn.csv does not have".into(),
            })?;
            if let Some(country) = field(&record, 4) {
                entry.countries.push(country.to_ascii_lowercase());
            }
        }
    }
    let mut list: Vec<Entry> = entries.into_values().collect();
    for entry in &mut list {
        entry.countries.sort();
        entry.countries.dedup();
        entry.birth_years.sort();
        entry.birth_years.dedup();
    }
    Ok(list)
}

/// SHA-256 (hex) over the files as loaded, each length-prefixed: the list's digest.
pub fn digest(sdn: &str, alt: Option<&str>, add: Option<&str>) -> String {
    let mut hasher = Sha256::new();
    for part in [Some(sdn), alt, add] {
        let bytes = part.unwrap_or("").as_bytes();
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    }
    hex::encode(hasher.finalize())
}
