//! The course's structure: modules of lessons, each with a tag and the live
//! scenarios it embeds. The data itself is generated from `content/` into
//! `catalog.rs`; this module gives it types and the look-ups pages need.

mod catalog;
pub mod progress;
pub mod search;

pub use catalog::MODULES;

/// How central a lesson is, as the course marks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    Critical,
    Important,
    Advanced,
}

impl Tag {
    pub fn label(self) -> &'static str {
        match self {
            Self::Critical => "Critical",
            Self::Important => "Important",
            Self::Advanced => "Advanced",
        }
    }
}

/// One lesson; its text is fetched from `lessons/<slug>.html` when opened.
#[derive(Debug)]
pub struct Lesson {
    pub slug: &'static str,
    pub title: &'static str,
    pub tag: Tag,
    pub summary: &'static str,
    pub scenarios: &'static [&'static str],
}

/// A module of the course and its lessons, in reading order.
#[derive(Debug)]
pub struct Module {
    pub number: u8,
    pub title: &'static str,
    pub lessons: &'static [Lesson],
}

/// Every lesson in reading order.
pub fn lessons() -> impl Iterator<Item = (&'static Module, &'static Lesson)> {
    MODULES.iter().flat_map(|m| m.lessons.iter().map(move |l| (m, l)))
}

/// A lesson with its module and its neighbours in reading order.
#[derive(Debug)]
pub struct Located {
    pub module: &'static Module,
    pub lesson: &'static Lesson,
    pub previous: Option<&'static Lesson>,
    pub next: Option<&'static Lesson>,
}

pub fn find(slug: &str) -> Option<Located> {
    let all: Vec<_> = lessons().collect();
    let at = all.iter().position(|(_, l)| l.slug == slug)?;
    Some(Located {
        module: all[at].0,
        lesson: all[at].1,
        previous: at.checked_sub(1).map(|i| all[i].1),
        next: all.get(at + 1).map(|(_, l)| *l),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lesson_is_found_with_its_neighbours_in_reading_order() {
        let all: Vec<_> = lessons().collect();
        for (i, (module, lesson)) in all.iter().enumerate() {
            let found = find(lesson.slug).expect("listed lessons are found");
            assert_eq!(found.module.number, module.number);
            assert_eq!(found.previous.map(|l| l.slug), i.checked_sub(1).map(|p| all[p].1.slug));
            assert_eq!(found.next.map(|l| l.slug), all.get(i + 1).map(|(_, l)| l.slug));
        }
    }

    #[test]
    fn an_unknown_slug_is_not_found() {
        assert!(find("no-such-lesson").is_none());
    }
}
