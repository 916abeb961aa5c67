//! Every lesson preset's questions fit its script and are answered by the
//! engines: a one-answer question has exactly one true choice, a pick-all
//! question at least one true and one false choice, and the course asks at
//! least 19 questions. The expected answers below are what Kafka and
//! RabbitMQ do, written independently of the question files, so a change in
//! an engine or a file that flips an answer fails here.

use brokerlab_scenario::predict::{Grade, Predictions};
use brokerlab_scenario::presets;

/// For each preset: the true choices of each question, in order.
const EXPECTED: &[(&str, &[&[usize]])] = &[
    ("sync-vs-async", &[&[0], &[0]]),
    ("push-vs-pull", &[&[0, 1, 3], &[0]]),
    ("queue-vs-log", &[&[0], &[0]]),
    ("topic-partitions", &[&[0]]),
    ("key-partitioning", &[&[0], &[2]]),
    ("acks-isr-failover", &[&[0]]),
    ("consumer-group-rebalance", &[&[0], &[0]]),
    ("exchange-types", &[&[0, 1], &[0], &[1]]),
    ("vhosts-channels", &[&[0]]),
    ("durability-restart", &[&[0]]),
    ("prefetch-slow-consumer", &[&[0], &[0]]),
    ("delivery-semantics", &[&[1]]),
    ("dlq-retry", &[&[0], &[0]]),
    ("transactional-outbox", &[&[0]]),
    ("event-sourcing-replay", &[&[0]]),
    ("kafka-vs-rabbit", &[&[0], &[0]]),
    ("share-group-queue", &[&[0], &[0], &[0]]),
    ("kafka-controller-failover", &[&[0], &[0]]),
    ("rabbit-stream-replay", &[&[0], &[0]]),
    ("rabbit-4-defaults", &[&[0]]),
];

#[test]
fn every_lesson_preset_asks_questions_the_engines_answer_as_the_brokers_would() {
    let mut asked = 0;
    for (id, expected) in EXPECTED {
        let scenario = presets::get(id).unwrap_or_else(|| panic!("{id} is a preset"));
        let src = presets::prediction_source(id).unwrap_or_else(|| panic!("{id} has questions"));
        let file: Predictions = serde_json::from_str(src).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(file.questions, presets::predictions(id));
        assert_eq!(file.questions.len(), expected.len(), "{id}: question count");
        let mut last = None;
        for (n, (question, want)) in file.questions.iter().zip(expected.iter()).enumerate() {
            assert!(last.is_none_or(|l| l <= question.before), "{id} #{n}: questions follow the script");
            last = Some(question.before);
            let judged = question.judge(&scenario).unwrap_or_else(|e| panic!("{id} #{n}: {e}"));
            let right = judged.right();
            assert_eq!(right, want.to_vec(), "{id} #{n} {:?}: {:?}", question.question, judged.facts);
            if question.pick_all {
                assert!(right.len() < question.choices.len(), "{id} #{n}: a pick-all question needs a false choice");
            } else {
                assert_eq!(right.len(), 1, "{id} #{n}: a one-answer question has exactly one true choice");
            }
            assert_eq!(judged.grade(&right), Grade::Right);
            let wrong: Vec<usize> = (0..question.choices.len()).filter(|c| !right.contains(c)).take(1).collect();
            assert_eq!(judged.grade(&wrong), Grade::Wrong, "{id} #{n}: a false choice grades wrong");
            asked += 1;
        }
    }
    assert!(asked >= 19, "the course asks {asked} questions");
}

#[test]
fn every_lesson_preset_has_questions_and_no_starter_does() {
    let lesson_presets: Vec<&str> = presets::ids().take(presets::LESSON_COUNT).collect();
    let with_questions: Vec<&str> = EXPECTED.iter().map(|(id, _)| *id).collect();
    assert_eq!(lesson_presets, with_questions);
    for id in presets::ids().skip(presets::LESSON_COUNT) {
        assert!(presets::predictions(id).is_empty(), "{id} is a starter");
    }
}

#[test]
fn the_engines_say_why_each_choice_is_true_or_false() {
    let scenario = presets::get("exchange-types").expect("preset");
    let question = &presets::predictions("exchange-types")[1];
    let judged = question.judge(&scenario).expect("judged");
    assert_eq!(judged.facts[0], "`eu-orders` holds `order from Berlin`");
    assert!(judged.facts[1].contains("`order from Berlin` is not in `all-logs`"), "{:?}", judged.facts);
}
