//! Name normalisation: what two spellings of one name have in common.

/// Words that say nothing about who a person or entity is, dropped before comparing.
const NOISE_WORDS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "the", "of", "al", "el", "bin", "ibn",
];

/// The tokens of a name: transliterated to ASCII (accents dropped), lower case, split on
/// anything that is not a letter or digit, noise words dropped.
///
/// ```
/// assert_eq!(sanctions::names::tokens("Müller-Lüdenscheidt, Dr. José"), ["muller", "ludenscheidt", "jose"]);
/// ```
pub fn tokens(name: &str) -> Vec<String> {
    let ascii = deunicode::deunicode(name).to_ascii_lowercase();
    ascii
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty() && !NOISE_WORDS.contains(t))
        .map(str::to_string)
        .collect()
}

/// The tokens sorted and joined by one space: word order no longer matters.
pub fn sorted_form(tokens: &[String]) -> String {
    let mut sorted = tokens.to_vec();
    sorted.sort();
    sorted.join(" ")
}
