//! Jaro-Winkler similarity, as [`strsim::jaro_winkler`] computes it, without allocating for
//! the short ASCII strings names are made of: a screening compares a person with hundreds
//! of candidates, several token pairs each.

/// Longest string (in bytes) the fast path takes: its match flags are one `u64`.
const FAST_MAX_BYTES: usize = 64;

/// Jaro-Winkler similarity of `a` and `b`, from 0 to 1; exactly [`strsim::jaro_winkler`].
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    if a.len() > FAST_MAX_BYTES || b.len() > FAST_MAX_BYTES || !a.is_ascii() || !b.is_ascii() {
        return strsim::jaro_winkler(a, b);
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let sim = jaro(a, b);
    if sim > 0.7 {
        let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count();
        sim + 0.1 * prefix as f64 * (1.0 - sim)
    } else {
        sim
    }
}

/// Jaro similarity of two ASCII strings of at most [`FAST_MAX_BYTES`] bytes, step for step
/// as [`strsim::generic_jaro`] (greedy matches inside the window, then half the
/// transpositions).
fn jaro(a: &[u8], b: &[u8]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let (mut a_flags, mut b_flags, mut matches) = (0u64, 0u64, 0usize);
    for (i, x) in a.iter().enumerate() {
        let low = i.saturating_sub(window);
        let high = (i + window + 1).min(b.len());
        if let Some(j) = (low..high).find(|&j| b_flags & (1 << j) == 0 && b[j] == *x) {
            a_flags |= 1 << i;
            b_flags |= 1 << j;
            matches += 1;
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut j = 0;
    for (i, x) in a.iter().enumerate() {
        if a_flags & (1 << i) != 0 {
            while b_flags & (1 << j) == 0 {
                j += 1;
            }
            if *x != b[j] {
                transpositions += 1;
            }
            j += 1;
        }
    }
    transpositions /= 2;
    let m = matches as f64;
    (m / a.len() as f64 + m / b.len() as f64 + (matches - transpositions) as f64 / m) / 3.0
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Exactly strsim's figure, on names' alphabet (where windows and transpositions
        /// matter) and on anything else (which falls back to strsim).
        #[test]
        fn agrees_with_strsim(a in "[a-e ]{0,70}", b in "[a-e ]{0,70}", c in ".{0,8}") {
            proptest::prop_assert_eq!(jaro_winkler(&a, &b), strsim::jaro_winkler(&a, &b));
            proptest::prop_assert_eq!(jaro_winkler(&a, &c), strsim::jaro_winkler(&a, &c));
        }
    }

    #[test]
    fn known_figures() {
        assert_eq!(jaro_winkler("", ""), 1.0);
        assert_eq!(jaro_winkler("abc", ""), 0.0);
        assert!((jaro_winkler("martha", "marhta") - 0.9611).abs() < 1e-4);
        assert!((jaro_winkler("dixon", "dicksonx") - 0.8133).abs() < 1e-4);
    }
}
