//! Full-text search over the course. The index (each lesson's title and
//! plain text, written by `cargo xtask content`) is fetched on first use, so
//! readers who never search never download it.

use serde::Deserialize;

/// One lesson's searchable text.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    pub slug: String,
    pub title: String,
    pub text: String,
}

/// A lesson that matched, with a snippet of text around the first match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub slug: String,
    pub title: String,
    pub snippet: String,
}

/// Lessons containing every word of the query (case-insensitive), those with
/// more of the words in their title first, then in course order.
pub fn search(index: &[Entry], query: &str) -> Vec<Hit> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    if words.is_empty() {
        return Vec::new();
    }
    let mut hits: Vec<(usize, Hit)> = index
        .iter()
        .filter_map(|entry| {
            let title = entry.title.to_lowercase();
            let text = entry.text.to_lowercase();
            if !words.iter().all(|w| title.contains(w) || text.contains(w)) {
                return None;
            }
            let in_title = words.iter().filter(|w| title.contains(w.as_str())).count();
            let snippet = snippet(&entry.text, &text, &words[0]);
            Some((in_title, Hit { slug: entry.slug.clone(), title: entry.title.clone(), snippet }))
        })
        .collect();
    hits.sort_by_key(|(in_title, _)| std::cmp::Reverse(*in_title));
    hits.into_iter().map(|(_, hit)| hit).collect()
}

/// About twenty words around the first occurrence of `word`. `lower` is
/// `text` lowercased; both are cut on character boundaries.
fn snippet(text: &str, lower: &str, word: &str) -> String {
    const RADIUS: usize = 80;
    let at = lower.find(word).unwrap_or(0);
    // Lowercasing can change byte lengths; map the position back by characters.
    let char_at = lower[..at].chars().count();
    let chars: Vec<char> = text.chars().collect();
    let start = char_at.saturating_sub(RADIUS);
    let end = (char_at + word.chars().count() + RADIUS).min(chars.len());
    let mut out: String = chars[start..end].iter().collect();
    if start > 0 {
        out.insert(0, '…');
    }
    if end < chars.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> Vec<Entry> {
        let entry =
            |slug: &str, title: &str, text: &str| Entry { slug: slug.into(), title: title.into(), text: text.into() };
        vec![
            entry("a", "Push vs pull", "RabbitMQ pushes to consumers; prefetch limits unacknowledged deliveries."),
            entry("b", "Prefetch and flow control", "basic.qos sets the prefetch count per consumer."),
            entry("c", "Logs", "Kafka consumers pull from partitions at their own offset."),
        ]
    }

    #[test]
    fn every_word_must_match_and_case_does_not_matter() {
        let hits = search(&index(), "PREFETCH consumer");
        let slugs: Vec<_> = hits.iter().map(|h| h.slug.as_str()).collect();
        assert_eq!(slugs, ["b", "a"], "title matches come first");
        assert!(search(&index(), "prefetch kafka").is_empty());
    }

    #[test]
    fn a_blank_query_finds_nothing() {
        assert!(search(&index(), "   ").is_empty());
    }

    #[test]
    fn snippets_surround_the_match_and_survive_multibyte_text() {
        let long = format!("{} ÄÖÜ zero-copy {}", "word ".repeat(40), "more ".repeat(40));
        let hits = search(&[Entry { slug: "z".into(), title: "Z".into(), text: long }], "zero-copy");
        assert!(hits[0].snippet.contains("zero-copy"));
        assert!(hits[0].snippet.starts_with('…') && hits[0].snippet.ends_with('…'));
    }
}
