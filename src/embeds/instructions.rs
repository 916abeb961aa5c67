//! The lessons' instructions, checked against the panels beside them.
//!
//! `instructions.json` lists, for each lesson, the instructions its text
//! gives the reader ("crash broker 1", "take the consumer `billing`
//! offline", "bind queues with `eu.orders.*`") as fragments of its
//! sentences, with the parts of the preset they name and the steps that
//! carry them out in the panel: pressing a control by its name, publishing
//! or producing through the panel's form, adding or removing a binding,
//! setting a prefetch, then what the panel must show. An instruction that
//! points at a pattern lab names the lab's controls instead. The tests fail
//! when a lesson's instruction names a part its preset lacks, when a
//! preset or the panel loses what an instruction needs, and when a lesson
//! gains an instruction that the list does not cover.

use super::live::{ReaderTarget, full_snapshot, reader_actions, reader_targets};
use super::panel;
use brokerlab_scenario::{Action, Scenario, Session, presets};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Instruction {
    lesson: String,
    /// Fragments of the instruction's sentences, as the lesson writes them.
    says: Vec<String>,
    #[serde(default)]
    scenario: Option<String>,
    #[serde(default)]
    lab: Option<String>,
    /// Parts of the preset the instruction names.
    #[serde(default)]
    parts: Vec<Part>,
    /// What the reader does in the panel, and what the panel then shows.
    #[serde(default, rename = "do")]
    steps: Vec<Step>,
    /// The lab's controls the instruction needs, by name.
    #[serde(default)]
    controls: Vec<String>,
    /// Words the instruction quotes that name no part: a broker setting
    /// left at its default, a protocol field.
    #[serde(default)]
    quotes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Part {
    Queue(String),
    Exchange(String),
    /// A RabbitMQ consumer tag or a Kafka consumer's name.
    Consumer(String),
    /// A RabbitMQ client of the script (one that publishes or gets).
    Client(String),
    Vhost(String),
    Group(String),
    Broker(u32),
    /// `key=value` in a Kafka topic's, producer's or consumer's configs.
    Config(String),
    /// "exchange queue key".
    Binding(String),
    #[serde(untagged)]
    Topic {
        topic: String,
        #[serde(default)]
        partitions: Option<u32>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
enum Step {
    Press {
        press: String,
        #[serde(default)]
        refused: Option<String>,
    },
    Publish {
        publish: String,
        key: String,
        body: String,
        #[serde(default)]
        persistent: bool,
    },
    Bind {
        bind: String,
        queue: String,
        key: String,
    },
    Unbind {
        unbind: String,
    },
    Prefetch {
        prefetch: String,
        count: u16,
    },
    See {
        see: String,
    },
    Absent {
        absent: String,
    },
}

fn instructions() -> Vec<Instruction> {
    serde_json::from_str(include_str!("instructions.json")).expect("instructions.json reads")
}

/// The Markdown source of a lesson.
fn lesson_text(slug: &str) -> String {
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    for module in std::fs::read_dir(&content).expect("content/").flatten() {
        let Ok(files) = std::fs::read_dir(module.path()) else { continue };
        for file in files.flatten() {
            let text = std::fs::read_to_string(file.path()).unwrap_or_default();
            if text.contains(&format!("slug = \"{slug}\"")) {
                return text;
            }
        }
    }
    panic!("no lesson file has the slug {slug}")
}

/// The lines of a lesson that tell the reader to do something in the
/// panel or lab beside it.
fn instruction_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim_start_matches('>').trim())
        .filter(|l| ["In the playground", "In the panel", "In the lab"].iter().any(|start| l.starts_with(start)))
        .map(str::to_owned)
        .collect()
}

/// The names in backticks in a line.
fn code_spans(line: &str) -> Vec<String> {
    line.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

/// Everything the panel shows, one line per fact, as a reader reads it.
fn panel_text(scenario: &Scenario, session: &Session, last: &[String]) -> Vec<String> {
    let snap = full_snapshot(scenario, session, last.to_vec());
    let mut lines = Vec::new();
    for (name, bodies) in snap.queues {
        lines.push(format!("Queue {name}: {} ready: {}", bodies.len(), bodies.join(", ")));
    }
    for (name, records) in snap.partitions {
        lines.push(format!("Partition {name}: {}", records.join(" | ")));
    }
    lines.extend(snap.cluster);
    lines.extend(snap.consumers);
    lines.extend(snap.last);
    lines
}

fn has_part(scenario: &Scenario, part: &Part) -> bool {
    let r = &scenario.rabbitmq;
    let k = &scenario.kafka;
    let script_clients = || {
        scenario.script.iter().filter_map(|a| match a {
            Action::Publish { client, .. } | Action::Get { client, .. } => Some(client.as_str()),
            _ => None,
        })
    };
    let configs = || {
        k.topics
            .iter()
            .flat_map(|t| &t.configs)
            .chain(k.producers.iter().flat_map(|p| &p.configs))
            .chain(k.consumers.iter().flat_map(|c| &c.configs))
            .map(|(key, value)| format!("{key}={value}"))
    };
    match part {
        Part::Queue(name) => r.queues.iter().any(|q| &q.name == name),
        Part::Exchange(name) => r.exchanges.iter().any(|x| &x.name == name),
        Part::Consumer(name) => {
            panel::rabbit_consumers(scenario).iter().any(|c| &c.tag == name)
                || k.consumers.iter().any(|c| &c.name == name)
        }
        Part::Client(name) => script_clients().any(|c| c == name),
        Part::Vhost(name) => r.vhosts.iter().any(|v| &v.name == name),
        Part::Group(name) => k.consumers.iter().any(|c| &c.group_id == name),
        Part::Broker(id) => !k.topics.is_empty() && *id < k.brokers,
        Part::Config(kv) => configs().any(|c| &c == kv),
        Part::Binding(words) => {
            let w: Vec<&str> = words.splitn(3, ' ').collect();
            r.bindings.iter().any(|b| w == [b.source.as_str(), b.destination.as_str(), b.routing_key.as_str()])
        }
        Part::Topic { topic, partitions } => {
            k.topics.iter().any(|t| &t.name == topic && partitions.is_none_or(|p| p == t.partitions))
        }
    }
}

/// The names a part or a step gives, which a lesson may quote.
fn named(instruction: &Instruction) -> Vec<String> {
    let mut names: Vec<String> = instruction
        .parts
        .iter()
        .flat_map(|p| match p {
            Part::Queue(n)
            | Part::Exchange(n)
            | Part::Consumer(n)
            | Part::Client(n)
            | Part::Vhost(n)
            | Part::Group(n) => {
                vec![n.clone()]
            }
            Part::Config(kv) => vec![kv.clone()],
            Part::Binding(words) => words.split(' ').map(str::to_owned).collect(),
            Part::Topic { topic, .. } => vec![topic.clone()],
            Part::Broker(id) => vec![id.to_string()],
        })
        .collect();
    for step in &instruction.steps {
        match step {
            Step::Publish { key, .. } | Step::Bind { key, .. } => names.push(key.clone()),
            Step::Press { press, .. } => names.push(press.clone()),
            Step::See { see } => names.push(see.clone()),
            _ => {}
        }
    }
    names.extend(instruction.quotes.iter().cloned());
    names
}

/// Carries out an instruction's steps in a fresh panel, as the panel does:
/// the preset runs to its end, then each step is applied.
fn carry_out(id: &str, instruction: &Instruction) {
    let scenario = presets::get(id).unwrap_or_else(|| panic!("{id} is a preset"));
    let mut session = scenario.start().unwrap_or_else(|e| panic!("{id} starts: {e}"));
    session.run_to_end();
    let targets = reader_targets(&scenario);
    let mut last: Vec<String> = Vec::new();
    let mut apply = |session: &mut Session, actions: Vec<Action>, refused: Option<&str>, what: &str| {
        last.clear();
        for action in actions {
            let outcome = session.apply(&action);
            last.extend(super::live::describe_outcome(&outcome));
            match (&outcome.error, refused) {
                (None, None) => {}
                (Some(e), Some(expected)) if e.contains(expected) => {}
                (error, _) => panic!("{id}: {what} was answered with {error:?}, expected a refusal {refused:?}"),
            }
        }
        last.clone()
    };
    let mut shown: Vec<String> = Vec::new();
    for step in &instruction.steps {
        match step {
            Step::Press { press, refused } => {
                let groups = panel::controls(&scenario, &session);
                let control = panel::find(&groups, press).unwrap_or_else(|| {
                    let all: Vec<_> = groups.iter().flat_map(|g| &g.controls).map(|c| &c.label).collect();
                    panic!("{id}: the panel has no control {press:?}; it has {all:?}")
                });
                shown = apply(&mut session, control.actions.clone(), refused.as_deref(), press);
            }
            Step::Publish { publish, key, body, persistent } => {
                let target: &ReaderTarget = targets
                    .iter()
                    .find(|t| &t.label() == publish)
                    .unwrap_or_else(|| panic!("{id}: the panel cannot send to {publish:?}"));
                let actions = reader_actions(target, key, body, *persistent).expect("the panel builds the message");
                shown = apply(&mut session, actions, None, publish);
            }
            Step::Bind { bind, queue, key } => {
                let choices = panel::binding_choices(&scenario, &session);
                let offered = choices.iter().find(|(_, xs, qs)| xs.contains(bind) && qs.contains(queue));
                let (vhost, _, _) = offered.unwrap_or_else(|| panic!("{id}: the panel cannot bind {bind} to {queue}"));
                let action = panel::bind(vhost, bind, queue, key);
                shown = apply(&mut session, vec![action], None, "a binding");
            }
            Step::Unbind { unbind } => {
                let rows = panel::bindings(&scenario, &session);
                let row =
                    rows.iter().find(|r| &r.text() == unbind).unwrap_or_else(|| panic!("{id}: no binding {unbind:?}"));
                shown = apply(&mut session, vec![row.unbind(&scenario)], None, unbind);
            }
            Step::Prefetch { prefetch, count } => {
                let defs = panel::rabbit_consumers(&scenario);
                let states = panel::consumer_states(&scenario, &session);
                let at = defs
                    .iter()
                    .position(|d| &d.tag == prefetch)
                    .unwrap_or_else(|| panic!("{id}: no consumer {prefetch}"));
                shown = apply(&mut session, panel::set_prefetch(&defs[at], states[at].online, *count), None, prefetch);
            }
            Step::See { see } => {
                let text = panel_text(&scenario, &session, &shown);
                assert!(
                    text.iter().any(|l| l.contains(see.as_str())),
                    "{id}: the panel does not show {see:?}:\n{}",
                    text.join("\n")
                );
            }
            Step::Absent { absent } => {
                let text = panel_text(&scenario, &session, &shown);
                assert!(
                    !text.iter().any(|l| l.contains(absent.as_str())),
                    "{id}: the panel still shows {absent:?}:\n{}",
                    text.join("\n")
                );
            }
        }
    }
}

#[test]
fn every_instruction_names_parts_its_preset_has_and_is_carried_out_in_the_panel() {
    for instruction in instructions() {
        let lesson = crate::course::find(&instruction.lesson)
            .unwrap_or_else(|| panic!("{} is a lesson", instruction.lesson))
            .lesson;
        let text = lesson_text(lesson.slug);
        for fragment in &instruction.says {
            assert!(text.contains(fragment.as_str()), "{} no longer says {fragment:?}", lesson.slug);
        }
        match (&instruction.scenario, &instruction.lab) {
            (Some(id), None) => {
                assert!(lesson.scenarios.contains(&id.as_str()), "{} does not embed {id}", lesson.slug);
                let scenario = presets::get(id).unwrap_or_else(|| panic!("{id} is a preset"));
                for part in &instruction.parts {
                    assert!(has_part(&scenario, part), "{}: {id} has no {part:?}", lesson.slug);
                }
                carry_out(id, &instruction);
            }
            (None, Some(lab)) => {
                assert!(lesson.labs.contains(&lab.as_str()), "{} does not embed the lab {lab}", lesson.slug);
                let source = match lab.as_str() {
                    "delivery" => include_str!("labs/delivery.rs"),
                    "retry" => include_str!("labs/retry.rs"),
                    "outbox" => include_str!("labs/outbox.rs"),
                    "event-sourcing" => include_str!("labs/event_sourcing.rs"),
                    "kafka-vs-rabbitmq" => include_str!("labs/compare.rs"),
                    other => panic!("no lab {other}"),
                };
                for control in &instruction.controls {
                    assert!(source.contains(&format!("\"{control}\"")), "the {lab} lab has no control {control:?}");
                }
            }
            _ => panic!("{}: an instruction names a scenario or a lab", lesson.slug),
        }
    }
}

#[test]
fn every_instruction_a_lesson_gives_is_listed_with_the_names_it_quotes() {
    let all = instructions();
    for (_, lesson) in crate::course::lessons() {
        let text = lesson_text(lesson.slug);
        for line in instruction_lines(&text) {
            let covering: Vec<&Instruction> = all
                .iter()
                .filter(|i| i.lesson == lesson.slug && i.says.iter().any(|f| line.contains(f.as_str())))
                .collect();
            assert!(!covering.is_empty(), "{}: no listed instruction covers {line:?}", lesson.slug);
            let names: Vec<String> = covering.iter().flat_map(|i| named(i)).collect();
            for span in code_spans(&line) {
                assert!(
                    names.iter().any(|n| n == &span || n.contains(&span)),
                    "{}: the instruction quotes `{span}`, which its list names nowhere: {line:?}",
                    lesson.slug
                );
            }
        }
    }
}

#[test]
fn the_instruction_lines_are_found_in_callouts_and_paragraphs() {
    let text =
        "Some prose.\n> [!NOTE]\n> In the playground beside this lesson, crash `broker`.\nIn the panel, publish `x`.";
    let lines = instruction_lines(text);
    assert_eq!(lines.len(), 2);
    assert_eq!(code_spans(&lines[0]), ["broker"]);
}
