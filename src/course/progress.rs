//! Which lessons a reader has marked as read, which challenges they have
//! solved and how they answered the course's questions (a lesson's retrieval
//! questions, a live scenario's predictions), kept in the browser's local storage and portable as a small JSON
//! file.
//!
//! `Progress` is plain data with its own tests; `Store` is the thin layer over
//! `localStorage`. When storage cannot be used (private browsing, a full
//! quota, storage disabled), progress still works for the visit and the
//! store reports that it will not be kept, so the page can say so.
//!
//! Two modules write here: the shell (marking lessons read, importing a
//! file) and the engines module's challenge panel (recording a solved
//! challenge, see [`record_solved`]). They share no memory, only the
//! storage, so every write reads the stored progress first and the shell
//! reads it again whenever the route changes.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

const STORAGE_KEY: &str = "brokerlab.progress";
const FORMAT_VERSION: u32 = 1;
/// An exported progress file is a few hundred bytes; anything far larger is
/// not one, and is refused before parsing.
pub const MAX_FILE_BYTES: usize = 64 * 1024;

/// The set of lessons marked as read, by slug, of challenges solved, by id,
/// and the reader's answers, by question key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    read: BTreeSet<String>,
    solved: BTreeSet<String>,
    answers: BTreeMap<String, Vec<u32>>,
}

/// The file's shape. `solved` and `answers` were added without a new
/// version: a file without them reads as nothing solved or answered, and an
/// older Brokerlab ignores them.
#[derive(Serialize, Deserialize)]
struct ProgressFile {
    format: String,
    version: u32,
    read: Vec<String>,
    #[serde(default)]
    solved: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    answers: BTreeMap<String, Vec<u32>>,
}

/// The most choices one answer can name; questions offer a handful.
const MAX_CHOICES: usize = 32;

const FORMAT_NAME: &str = "brokerlab-progress";

impl Progress {
    pub fn is_read(&self, slug: &str) -> bool {
        self.read.contains(slug)
    }

    pub fn set_read(&mut self, slug: &str, read: bool) {
        if read {
            self.read.insert(slug.to_owned());
        } else {
            self.read.remove(slug);
        }
    }

    /// How many of the given lessons are read.
    pub fn count<'a>(&self, slugs: impl IntoIterator<Item = &'a str>) -> usize {
        slugs.into_iter().filter(|s| self.read.contains(*s)).count()
    }

    pub fn is_solved(&self, challenge: &str) -> bool {
        self.solved.contains(challenge)
    }

    /// Records a challenge as solved; solving is never undone by the learner.
    pub fn set_solved(&mut self, challenge: &str) {
        self.solved.insert(challenge.to_owned());
    }

    /// How many of the given challenges are solved.
    pub fn count_solved<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> usize {
        ids.into_iter().filter(|s| self.solved.contains(*s)).count()
    }

    /// The choices the reader gave to the question `key`, by index, in the
    /// order they were picked; `None` when it is unanswered. Keys are
    /// `quiz/LESSON-SLUG/N` for a lesson's retrieval questions and
    /// `predict/PRESET-ID/N` for a live scenario's predictions.
    pub fn answer(&self, key: &str) -> Option<&[u32]> {
        self.answers.get(key).map(Vec::as_slice)
    }

    /// Keeps the reader's answer to the question `key`, replacing any earlier one.
    pub fn set_answer(&mut self, key: &str, choices: &[u32]) {
        self.answers.insert(key.to_owned(), choices.to_vec());
    }

    /// Forgets every answer whose key starts with `prefix`, so a lesson's
    /// questions (`quiz/SLUG/`) or a scenario's predictions can be tried again.
    pub fn clear_answers(&mut self, prefix: &str) {
        self.answers.retain(|key, _| !key.starts_with(prefix));
    }

    pub fn to_json(&self) -> String {
        let file = ProgressFile {
            format: FORMAT_NAME.into(),
            version: FORMAT_VERSION,
            read: self.read.iter().cloned().collect(),
            solved: self.solved.iter().cloned().collect(),
            answers: self.answers.clone(),
        };
        serde_json::to_string_pretty(&file).expect("progress always serialises")
    }

    /// Reads an exported progress file. Slugs of lessons this version of the
    /// course does not have are kept, so a file from a newer course is not
    /// truncated by passing through an older one.
    pub fn from_json(text: &str) -> Result<Self, String> {
        if text.len() > MAX_FILE_BYTES {
            return Err(format!("this file is {} KB; a progress file is much smaller", text.len() / 1024));
        }
        let file: ProgressFile =
            serde_json::from_str(text).map_err(|e| format!("this is not a Brokerlab progress file ({e})"))?;
        if file.format != FORMAT_NAME {
            return Err(format!("this is not a Brokerlab progress file (its format is {:?})", file.format));
        }
        if file.version > FORMAT_VERSION {
            return Err(format!(
                "this progress file was written by a newer Brokerlab (format version {}); this one reads version {FORMAT_VERSION}",
                file.version
            ));
        }
        let valid =
            |s: &String| !s.is_empty() && s.len() <= 100 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if let Some(bad) = file.read.iter().find(|s| !valid(s)) {
            return Err(format!("this progress file names an invalid lesson {bad:?}"));
        }
        if let Some(bad) = file.solved.iter().find(|s| !valid(s)) {
            return Err(format!("this progress file names an invalid challenge {bad:?}"));
        }
        let valid_key = |k: &String| {
            !k.is_empty() && k.len() <= 200 && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'/')
        };
        if let Some((bad, _)) = file.answers.iter().find(|(k, v)| !valid_key(k) || v.len() > MAX_CHOICES) {
            return Err(format!("this progress file has an invalid answer to {bad:?}"));
        }
        Ok(Self {
            read: file.read.into_iter().collect(),
            solved: file.solved.into_iter().collect(),
            answers: file.answers,
        })
    }
}

/// Whether progress survives the visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    Kept,
    /// Storage is unavailable or full: progress lasts for this visit only.
    VisitOnly,
}

/// Loads progress from local storage; a missing, unreadable or corrupt entry
/// gives empty progress rather than an error, since there is nothing the
/// reader could do about it.
pub fn load() -> (Progress, Persistence) {
    let Some(storage) = crate::files::local_storage() else { return (Progress::default(), Persistence::VisitOnly) };
    let saved = storage.get_item(STORAGE_KEY).ok().flatten();
    let progress = saved.and_then(|text| Progress::from_json(&text).ok()).unwrap_or_default();
    // Reading can succeed where writing fails (a full quota); probe once.
    let writable = storage.set_item("brokerlab.probe", "1").is_ok() && storage.remove_item("brokerlab.probe").is_ok();
    (progress, if writable { Persistence::Kept } else { Persistence::VisitOnly })
}

/// Saves progress; reports whether it was kept.
pub fn save(progress: &Progress) -> Persistence {
    match crate::files::local_storage().map(|s| s.set_item(STORAGE_KEY, &progress.to_json())) {
        Some(Ok(())) => Persistence::Kept,
        _ => Persistence::VisitOnly,
    }
}

/// Records a solved challenge in the stored progress, keeping everything
/// else stored there; reports whether it was kept. The engines module calls
/// this, having no access to the shell's [`Tracker`].
pub fn record_solved(challenge: &str) -> Persistence {
    let (mut progress, _) = load();
    progress.set_solved(challenge);
    save(&progress)
}

/// Keeps an answer in the stored progress, keeping everything else stored
/// there; reports whether it was kept. For the engines module, like
/// [`record_solved`].
pub fn record_answer(key: &str, choices: &[u32]) -> Persistence {
    let (mut progress, _) = load();
    progress.set_answer(key, choices);
    save(&progress)
}

/// Forgets the stored answers under `prefix` (see [`Progress::clear_answers`]).
pub fn forget_answers(prefix: &str) -> Persistence {
    let (mut progress, _) = load();
    progress.clear_answers(prefix);
    save(&progress)
}

/// The stored answer to the question `key`, if any.
pub fn stored_answer(key: &str) -> Option<Vec<u32>> {
    load().0.answer(key).map(<[u32]>::to_vec)
}

/// Whether the stored progress has this challenge solved.
pub fn stored_solved(challenge: &str) -> bool {
    load().0.is_solved(challenge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marking_and_unmarking_changes_the_count() {
        let mut p = Progress::default();
        p.set_read("a", true);
        p.set_read("b", true);
        p.set_read("a", false);
        assert_eq!(p.count(["a", "b", "c"]), 1);
        assert!(p.is_read("b") && !p.is_read("a"));
    }

    #[test]
    fn progress_round_trips_through_its_file() {
        let mut p = Progress::default();
        p.set_read("why-asynchronous-messaging", true);
        p.set_read("push-vs-pull-models", true);
        assert_eq!(Progress::from_json(&p.to_json()), Ok(p));
    }

    #[test]
    fn solved_challenges_round_trip_through_the_file_beside_read_lessons() {
        let mut p = Progress::default();
        p.set_read("delivery-semantics", true);
        p.set_solved("topic-billing");
        p.set_solved("kafka-key-order");
        let back = Progress::from_json(&p.to_json()).expect("its own file reads back");
        assert_eq!(back, p);
        assert!(back.is_solved("topic-billing") && !back.is_solved("poison-dlq"));
        assert_eq!(back.count_solved(["topic-billing", "kafka-key-order", "poison-dlq"]), 2);
        assert!(back.is_read("delivery-semantics"));
    }

    #[test]
    fn answers_round_trip_and_a_lesson_can_be_tried_again() {
        let mut p = Progress::default();
        p.set_answer("quiz/push-vs-pull-models/0", &[2]);
        p.set_answer("quiz/push-vs-pull-models/1", &[0, 3]);
        p.set_answer("predict/exchange-types/0", &[1]);
        let back = Progress::from_json(&p.to_json()).expect("reads back");
        assert_eq!(back, p);
        assert_eq!(back.answer("quiz/push-vs-pull-models/1"), Some(&[0, 3][..]));
        let mut retry = back;
        retry.clear_answers("quiz/push-vs-pull-models/");
        assert_eq!(retry.answer("quiz/push-vs-pull-models/0"), None);
        assert_eq!(retry.answer("predict/exchange-types/0"), Some(&[1][..]));
    }

    #[test]
    fn an_answer_with_an_invalid_key_or_too_many_choices_is_refused() {
        let bad_key = r#"{"format":"brokerlab-progress","version":1,"read":[],"answers":{"quiz/<b>":[0]}}"#;
        assert!(Progress::from_json(bad_key).unwrap_err().contains("invalid answer"));
        let many = format!(
            r#"{{"format":"brokerlab-progress","version":1,"read":[],"answers":{{"quiz/a/0":{:?}}}}}"#,
            vec![0; 40]
        );
        assert!(Progress::from_json(&many).unwrap_err().contains("invalid answer"));
    }

    #[test]
    fn a_file_from_before_challenges_reads_with_none_solved() {
        let text = r#"{"format":"brokerlab-progress","version":1,"read":["push-vs-pull-models"]}"#;
        let p = Progress::from_json(text).expect("older files still read");
        assert!(p.is_read("push-vs-pull-models"));
        assert_eq!(p.count_solved(["topic-billing"]), 0);
    }

    #[test]
    fn an_invalid_challenge_id_is_refused() {
        let bad = r#"{"format":"brokerlab-progress","version":1,"read":[],"solved":["a b"]}"#;
        assert!(Progress::from_json(bad).expect_err("bad id").contains("invalid challenge"));
    }

    #[test]
    fn a_file_from_a_newer_version_is_refused_with_a_reason() {
        let text = r#"{"format":"brokerlab-progress","version":9,"read":[]}"#;
        let err = Progress::from_json(text).expect_err("newer versions are refused");
        assert!(err.contains("newer Brokerlab"), "{err}");
    }

    #[test]
    fn other_json_and_garbage_are_refused() {
        for text in ["", "not json", "{}", r#"{"format":"other","version":1,"read":[]}"#, "[1,2,3]"] {
            assert!(Progress::from_json(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn invalid_slugs_and_huge_files_are_refused() {
        let bad = r#"{"format":"brokerlab-progress","version":1,"read":["<script>"]}"#;
        assert!(Progress::from_json(bad).expect_err("bad slug").contains("invalid lesson"));
        let huge =
            format!(r#"{{"format":"brokerlab-progress","version":1,"read":["{}"]}}"#, "a".repeat(MAX_FILE_BYTES));
        assert!(Progress::from_json(&huge).expect_err("too big").contains("much smaller"));
    }
}

/// The reader's progress as shared app state: the set of read lessons and
/// whether it is being kept. Provided once by the app shell.
#[derive(Debug, Clone, Copy)]
pub struct Tracker {
    pub progress: leptos::prelude::RwSignal<Progress>,
    pub persistence: leptos::prelude::RwSignal<Persistence>,
}

impl Tracker {
    pub fn load() -> Self {
        use leptos::prelude::RwSignal;
        let (progress, persistence) = load();
        Self { progress: RwSignal::new(progress), persistence: RwSignal::new(persistence) }
    }

    pub fn set_read(&self, slug: &str, read: bool) {
        use leptos::prelude::*;
        // Start from what is stored, which the engines module may have
        // changed (a solved challenge) since this page last read it.
        self.refresh();
        self.progress.update(|p| p.set_read(slug, read));
        self.persistence.set(self.progress.with_untracked(save));
    }

    /// Reads the stored progress again, when there is any to read.
    pub fn refresh(&self) {
        use leptos::prelude::*;
        let (stored, persistence) = load();
        if persistence == Persistence::Kept && self.progress.with_untracked(|p| *p != stored) {
            self.progress.set(stored);
        }
    }

    /// Replaces all progress, as importing a file does.
    pub fn replace(&self, progress: Progress) {
        use leptos::prelude::*;
        self.persistence.set(save(&progress));
        self.progress.set(progress);
    }
}

/// The tracker the app shell provides.
pub fn use_tracker() -> Tracker {
    leptos::prelude::expect_context::<Tracker>()
}
