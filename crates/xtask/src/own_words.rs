//! Checks that the course is written in its own words.
//!
//! The course was written from a seed text that is not part of the
//! repository. What the repository keeps is the seed's fingerprint,
//! `crates/xtask/seed-fingerprint.txt`: a 64-bit hash of every run of
//! [`RUN`] consecutive words in the seed, after [`words`] has lowercased them
//! and dropped punctuation and markup. A lesson passes when none of its own
//! runs of that length hashes into the fingerprint, so no sentence of the
//! seed survives word for word, whatever its formatting. The whole lesson
//! file is read, prose, tables, questions and code alike, so a reworded
//! paragraph cannot hide a copied code comment or quiz explanation.
//!
//! `cargo xtask content --seed FILE` writes the fingerprint from the seed;
//! every `cargo xtask content` run checks the lessons against it and fails
//! naming the file, the line and the matching words.

use crate::Result;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;

/// The length of a word run that may not be shared with the seed.
pub const RUN: usize = 15;
pub const FINGERPRINT: &str = "crates/xtask/seed-fingerprint.txt";
const HEADER: &str = "# Brokerlab: FNV-1a 64-bit hashes of every run of 15 consecutive words of the\n\
# course's seed text (lowercased, letters and digits only), one per line, sorted.\n\
# Written by `cargo xtask content --seed FILE`; checked by every `cargo xtask content`.\n";

/// The words of a text as the check compares them: lowercase runs of letters
/// and digits. Everything else (punctuation, Markdown markup, quotes) only
/// separates words, so formatting cannot hide a copied sentence.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// FNV-1a over the run's words joined by single spaces: small, stable
/// across platforms and Rust releases, which a committed file needs.
fn run_hash(run: &[impl AsRef<str>]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (n, word) in run.iter().enumerate() {
        if n > 0 {
            hash = (hash ^ u64::from(b' ')).wrapping_mul(0x0100_0000_01b3);
        }
        for byte in word.as_ref().bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// The fingerprint file's text for a seed.
pub fn fingerprint(seed: &str) -> String {
    let seed_words = words(seed);
    let mut hashes: Vec<u64> = seed_words.windows(RUN).map(run_hash).collect();
    hashes.sort_unstable();
    hashes.dedup();
    let mut out = String::from(HEADER);
    for hash in hashes {
        let _ = writeln!(out, "{hash:016x}");
    }
    out
}

pub fn parse_fingerprint(text: &str) -> Result<HashSet<u64>> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| u64::from_str_radix(l.trim(), 16).map_err(|e| format!("{FINGERPRINT}: bad line {l:?}: {e}")))
        .collect()
}

pub fn load(root: &Path) -> Result<HashSet<u64>> {
    let path = root.join(FINGERPRINT);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    parse_fingerprint(&text)
}

/// One passage of a lesson that shares a run of at least [`RUN`] words with
/// the seed: the line it starts on and its words as the check read them.
#[derive(Debug, PartialEq, Eq)]
pub struct Copied {
    pub line: usize,
    pub words: String,
}

/// Every passage of `source` (a whole lesson file) that shares a run of
/// [`RUN`] words with the fingerprinted seed. Overlapping matching runs are
/// merged into one passage.
pub fn copied_passages(source: &str, seed: &HashSet<u64>) -> Vec<Copied> {
    let mut tokens: Vec<(String, usize)> = Vec::new();
    for (n, line) in source.lines().enumerate() {
        tokens.extend(words(line).into_iter().map(|w| (w, n + 1)));
    }
    let texts: Vec<&str> = tokens.iter().map(|(w, _)| w.as_str()).collect();
    let mut passages: Vec<(usize, usize)> = Vec::new();
    for (start, run) in texts.windows(RUN).enumerate() {
        if !seed.contains(&run_hash(run)) {
            continue;
        }
        match passages.last_mut() {
            Some((_, end)) if start <= *end => *end = start + RUN,
            _ => passages.push((start, start + RUN)),
        }
    }
    passages
        .into_iter()
        .map(|(start, end)| Copied { line: tokens[start].1, words: texts[start..end].join(" ") })
        .collect()
}

/// Checks every lesson, given as (path shown in messages, file text).
pub fn check(lessons: &[(String, String)], seed: &HashSet<u64>) -> Result {
    let mut report = String::new();
    for (path, source) in lessons {
        for copied in copied_passages(source, seed) {
            let _ = writeln!(report, "  {path}:{}: \"{}\"", copied.line, copied.words);
        }
    }
    if report.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "these passages repeat a run of {RUN} or more words of the seed text word for word; \
             say it in the course's own words:\n{report}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "A broker keeps every message safe until a consumer has acknowledged it, and then it \
                        forgets the message for good. Logs are different.";

    fn seed() -> HashSet<u64> {
        parse_fingerprint(&fingerprint(SEED)).expect("a fingerprint parses")
    }

    #[test]
    fn words_ignore_case_punctuation_and_markup() {
        assert_eq!(words("**Don't** `acks=all`, (see [x](y.md))!"), ["don", "t", "acks", "all", "see", "x", "y", "md"]);
        assert_eq!(words("Größe ÉTÉ"), ["größe", "été"]);
    }

    #[test]
    fn a_fifteen_word_run_of_the_seed_is_found_with_its_line_whatever_its_markup() {
        let lesson = "+++\ntitle = \"x\"\n+++\n\nIntro line.\nOur **broker** keeps *every* message safe until a\n\
                      `consumer` has acknowledged it, and then it forgets the message for good.\n";
        let found = copied_passages(lesson, &seed());
        assert_eq!(
            found,
            [Copied {
                line: 6,
                words: "broker keeps every message safe until a consumer has acknowledged it and then it forgets \
                        the message for good"
                    .into()
            }]
        );
    }

    #[test]
    fn a_fourteen_word_run_or_a_reworded_one_passes() {
        let fourteen = "keeps every message safe until a consumer has acknowledged it, and then it forgets";
        assert_eq!(words(fourteen).len(), 14);
        assert!(copied_passages(fourteen, &seed()).is_empty());
        let reworded = "A broker holds each message safely until a consumer acknowledges it, then drops it.";
        assert!(copied_passages(reworded, &seed()).is_empty());
    }

    #[test]
    fn the_check_names_file_line_and_words_of_each_copy() {
        let lessons = vec![
            ("content/a.md".to_string(), "Fine text.\n".to_string()),
            ("content/b.md".to_string(), format!("One.\nTwo.\n{SEED}\n")),
        ];
        let err = check(&lessons, &seed()).expect_err("b copies the seed");
        assert!(err.contains("content/b.md:3: \"a broker keeps every message"), "{err}");
        assert!(!err.contains("content/a.md"), "{err}");
        assert!(check(&lessons[..1], &seed()).is_ok());
    }

    #[test]
    fn the_fingerprint_is_sorted_hex_with_a_header_and_round_trips() {
        let text = fingerprint(SEED);
        assert!(text.starts_with("# Brokerlab"));
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(lines.len(), words(SEED).len() - RUN + 1);
        assert!(lines.windows(2).all(|w| w[0] < w[1]) && lines.iter().all(|l| l.len() == 16));
        assert_eq!(seed().len(), lines.len());
        assert!(parse_fingerprint("zz\n").is_err());
    }

    #[test]
    fn the_committed_fingerprint_loads() {
        let seed = load(&crate::root()).expect("the committed fingerprint loads");
        assert!(seed.len() > 1000, "the seed text has a few thousand runs, found {}", seed.len());
    }
}
