//! "Did you mean": the nearest operator name by edit distance.

/// Levenshtein distance, on bytes (operator names are ASCII).
pub fn distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.bytes().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate nearest to `word`, if it is near enough to be a typo:
/// within a third of the word's length, and at least one edit.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.len() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (distance(word, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("map", "map"), 0);
        assert_eq!(distance("mpa", "map"), 2);
        assert_eq!(distance("fliter", "filter"), 2);
        assert_eq!(distance("", "abc"), 3);
    }

    #[test]
    fn nearest_names() {
        let ops = ["map", "filter", "filter_map", "flat_map", "key_by"];
        assert_eq!(nearest("mapp", ops), Some("map"));
        assert_eq!(nearest("fliter", ops), Some("filter"));
        assert_eq!(nearest("keyby", ops), Some("key_by"));
        assert_eq!(nearest("aggregate", ops), None);
    }
}
