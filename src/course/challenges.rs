//! The course's challenges as the shell knows them: enough to list them by
//! module, count what is solved and link each to its playground page. The
//! list itself is generated into `challenge_list.rs` by `cargo xtask content`
//! from the scenario crate's challenge files, so the shell shows challenges
//! without linking the scenario format; the engines module loads the full
//! challenge (story, goal, hints, probes) when one is opened.

use super::challenge_list::CHALLENGES;
use super::progress::Progress;

/// The course module a challenge belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChallengeModule {
    Foundations,
    Kafka,
    RabbitMQ,
    Patterns,
    Compare,
}

impl ChallengeModule {
    /// Every module, in course order.
    pub const ALL: [Self; 5] = [Self::Foundations, Self::Kafka, Self::RabbitMQ, Self::Patterns, Self::Compare];

    /// The module's name as the challenges page heads it.
    pub fn title(self) -> &'static str {
        match self {
            Self::Foundations => "Foundations",
            Self::Kafka => "Apache Kafka",
            Self::RabbitMQ => "RabbitMQ",
            Self::Patterns => "Patterns",
            Self::Compare => "Kafka vs RabbitMQ",
        }
    }

    /// A stable name for element ids.
    pub fn key(self) -> &'static str {
        match self {
            Self::Foundations => "foundations",
            Self::Kafka => "kafka",
            Self::RabbitMQ => "rabbitmq",
            Self::Patterns => "patterns",
            Self::Compare => "compare",
        }
    }
}

/// One challenge, as listed.
#[derive(Debug)]
pub struct ChallengeEntry {
    pub id: &'static str,
    pub module: ChallengeModule,
    /// From 1 (a first step) to 3 (several ideas at once).
    pub level: u8,
    pub title: &'static str,
    /// The slugs of the lessons it practises.
    pub lessons: &'static [&'static str],
}

impl ChallengeEntry {
    /// The level in words, as the list shows it.
    pub fn level_label(&self) -> &'static str {
        match self.level {
            0 | 1 => "Level 1: a first step",
            2 => "Level 2: one idea applied",
            _ => "Level 3: several ideas at once",
        }
    }
}

/// Every challenge, in course order.
pub fn all() -> &'static [ChallengeEntry] {
    CHALLENGES
}

/// The challenge with this id.
pub fn find(id: &str) -> Option<&'static ChallengeEntry> {
    CHALLENGES.iter().find(|c| c.id == id)
}

/// The challenges of one module, in course order.
pub fn in_module(module: ChallengeModule) -> impl Iterator<Item = &'static ChallengeEntry> {
    CHALLENGES.iter().filter(move |c| c.module == module)
}

/// The challenges that practise a lesson.
pub fn for_lesson(slug: &str) -> impl Iterator<Item = &'static ChallengeEntry> + '_ {
    CHALLENGES.iter().filter(move |c| c.lessons.contains(&slug))
}

/// "N / M solved" for a set of challenges.
pub fn solved_label<'a>(progress: &Progress, entries: impl IntoIterator<Item = &'a ChallengeEntry>) -> String {
    let ids: Vec<&str> = entries.into_iter().map(|c| c.id).collect();
    format!("{} / {} solved", progress.count_solved(ids.iter().copied()), ids.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_has_challenges_and_every_challenge_practises_a_real_lesson() {
        for module in ChallengeModule::ALL {
            assert!(in_module(module).next().is_some(), "{module:?} has no challenge");
        }
        for entry in all() {
            assert!(!entry.lessons.is_empty(), "{} practises no lesson", entry.id);
            for slug in entry.lessons {
                assert!(super::super::find(slug).is_some(), "{} names unknown lesson {slug}", entry.id);
            }
        }
    }

    #[test]
    fn a_lesson_finds_the_challenges_that_practise_it() {
        let ids: Vec<&str> = for_lesson("routing-mechanics-the-four-exchanges").map(|c| c.id).collect();
        assert!(ids.contains(&"topic-billing"), "{ids:?}");
        assert_eq!(for_lesson("no-such-lesson").count(), 0);
    }

    #[test]
    fn the_solved_label_counts_only_the_given_challenges() {
        let mut p = Progress::default();
        p.set_solved("topic-billing");
        p.set_solved("kafka-key-order");
        assert_eq!(solved_label(&p, in_module(ChallengeModule::RabbitMQ)), {
            format!("1 / {} solved", in_module(ChallengeModule::RabbitMQ).count())
        });
        assert_eq!(solved_label(&p, all()), format!("2 / {} solved", all().len()));
    }
}
