//! Which lessons a reader has marked as read, kept in the browser's local
//! storage and portable as a small JSON file.
//!
//! `Progress` is plain data with its own tests; `Store` is the thin layer over
//! `localStorage`. When storage cannot be used (private browsing, a full
//! quota, storage disabled), progress still works for the visit and the
//! store reports that it will not be kept, so the page can say so.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

const STORAGE_KEY: &str = "brokerlab.progress";
const FORMAT_VERSION: u32 = 1;
/// An exported progress file is a few hundred bytes; anything far larger is
/// not one, and is refused before parsing.
pub const MAX_FILE_BYTES: usize = 64 * 1024;

/// The set of lessons marked as read, by slug.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    read: BTreeSet<String>,
}

#[derive(Serialize, Deserialize)]
struct ProgressFile {
    format: String,
    version: u32,
    read: Vec<String>,
}

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

    pub fn to_json(&self) -> String {
        let file = ProgressFile {
            format: FORMAT_NAME.into(),
            version: FORMAT_VERSION,
            read: self.read.iter().cloned().collect(),
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
        Ok(Self { read: file.read.into_iter().collect() })
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
        self.progress.update(|p| p.set_read(slug, read));
        self.persistence.set(self.progress.with_untracked(save));
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
