//! The course's challenges: every start fails, every reference solution
//! passes, an empty scenario fails, and each challenge's checks reject the
//! plausible wrong answers kept in `tests/wrong/ID.N.json` (each says in its
//! `description` what is wrong with it). Over-broad answers built from the
//! solution (every exchange a fanout, a `#` binding from every topic
//! exchange to every queue) fail the routing challenges.

use std::path::Path;

use brokerlab_scenario::challenge::builtin;
use brokerlab_scenario::{Challenge, ExchangeType, Scenario};

fn challenge(id: &str) -> (Challenge, builtin::Builtin) {
    let b = builtin::get(id).unwrap_or_else(|| {
        let (start, solution) = builtin::sources(id).expect("listed");
        panic!(
            "challenge `{id}` does not parse:\nstart: {:?}\nsolution: {:?}",
            Scenario::from_json(start).err(),
            Scenario::from_json(solution).err()
        )
    });
    let c = b.start.challenge.as_deref().cloned().unwrap_or_else(|| panic!("`{id}`'s start has no challenge section"));
    (c, b)
}

fn failures(c: &Challenge, answer: &Scenario, start: &Scenario) -> Vec<String> {
    let v = c.check(answer, Some(start));
    assert_eq!(v.passed, v.results.iter().all(|r| r.passed), "the verdict agrees with its results");
    v.results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| format!("{}: {}: {}", r.probe, r.check, r.reason.as_deref().unwrap_or("?")))
        .collect()
}

#[test]
fn every_challenge_is_well_formed() {
    for id in builtin::ids() {
        let (c, b) = challenge(id);
        assert_eq!(c.id, id, "`{id}` names itself");
        assert!(
            ["foundations", "kafka", "rabbitmq", "patterns", "compare"].contains(&c.module.as_str()),
            "`{id}` module"
        );
        assert!((1..=3).contains(&c.level), "`{id}` level");
        assert_eq!(c.hints.len(), 3, "`{id}` has three graded hints");
        assert!(!c.lessons.is_empty(), "`{id}` names the lessons it practises");
        assert!(c.probes.len() >= 2, "`{id}` has positive and negative probes");
        assert!(b.solution.challenge.is_none(), "`{id}`'s solution does not carry the challenge");
        assert!(!c.title.is_empty() && !c.goal.is_empty() && !c.story.is_empty(), "`{id}` has a title, story and goal");
    }
}

#[test]
fn every_start_fails_and_every_solution_passes() {
    for id in builtin::ids() {
        let (c, b) = challenge(id);
        assert!(!failures(&c, &b.start, &b.start).is_empty(), "`{id}`'s start already passes");
        let f = failures(&c, &b.solution, &b.start);
        assert!(f.is_empty(), "`{id}`'s solution fails:\n{}", f.join("\n"));
    }
}

#[test]
fn an_empty_scenario_fails_every_challenge() {
    for id in builtin::ids() {
        let (c, b) = challenge(id);
        assert!(!failures(&c, &Scenario::default(), &b.start).is_empty(), "`{id}` passes with nothing built");
    }
}

#[test]
fn every_challenge_rejects_its_plausible_wrong_answers() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wrong");
    for id in builtin::ids() {
        let (c, b) = challenge(id);
        let mut seen = 0;
        for n in 1.. {
            let path = dir.join(format!("{id}.{n}.json"));
            let Ok(text) = std::fs::read_to_string(&path) else { break };
            let wrong = Scenario::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(!wrong.description.is_empty(), "{} says what is wrong with it", path.display());
            assert!(
                !failures(&c, &wrong, &b.start).is_empty(),
                "`{id}` accepts the wrong answer {}: {}",
                path.display(),
                wrong.description
            );
            seen += 1;
        }
        assert!(seen >= 1, "`{id}` has no wrong answer in tests/wrong/");
    }
}

/// Every exchange turned into a fanout.
fn all_fanout(s: &Scenario) -> Scenario {
    let mut s = s.clone();
    for x in &mut s.rabbitmq.exchanges {
        x.kind = ExchangeType::Fanout;
    }
    s
}

/// A `#` binding from every topic exchange to every queue.
fn hash_everywhere(s: &Scenario) -> Scenario {
    let mut s = s.clone();
    let topics: Vec<(String, String)> = s
        .rabbitmq
        .exchanges
        .iter()
        .filter(|x| x.kind == ExchangeType::Topic)
        .map(|x| (x.vhost.clone(), x.name.clone()))
        .collect();
    for (vhost, x) in topics {
        for q in s.rabbitmq.queues.clone() {
            if q.vhost == vhost {
                let mut b = brokerlab_scenario::BindingDef::queue(x.clone(), q.name.clone(), "#");
                b.vhost = vhost.clone();
                s.rabbitmq.bindings.push(b);
            }
        }
    }
    s
}

#[test]
fn over_broad_answers_fail_the_routing_challenges() {
    for id in builtin::ids() {
        let (c, b) = challenge(id);
        let routes = b.solution.rabbitmq.exchanges.iter().any(|x| x.kind != ExchangeType::Fanout);
        if !routes || c.module == "kafka" {
            continue;
        }
        let fanout = all_fanout(&b.solution);
        if fanout != b.solution {
            assert!(!failures(&c, &fanout, &b.start).is_empty(), "`{id}` passes with every exchange a fanout");
        }
        let hash = hash_everywhere(&b.solution);
        if hash != b.solution {
            assert!(!failures(&c, &hash, &b.start).is_empty(), "`{id}` passes with `#` bound to every queue");
        }
    }
}

#[test]
fn a_failed_check_says_why_in_plain_words() {
    let (c, b) = challenge("topic-billing");
    let mut wrong = b.solution.clone();
    wrong.rabbitmq.bindings.retain(|x| x.destination != "billing");
    wrong.rabbitmq.bindings.push(brokerlab_scenario::BindingDef::queue("orders", "billing", "eu.#"));
    let f = failures(&c, &wrong, &b.start);
    assert!(
        f.iter().any(|r| r.contains("`EU order created` (routing key `eu.order.created`) reached `billing`")),
        "{f:#?}"
    );
}

#[test]
fn changing_a_locked_part_fails_with_its_name() {
    let (c, b) = challenge("topic-billing");
    let mut changed = b.solution.clone();
    changed.rabbitmq.exchanges[0].durable = false;
    let f = failures(&c, &changed, &b.start);
    assert!(f.iter().any(|r| r.contains("`exchange:orders` is locked, but your answer changed it")), "{f:#?}");
}

#[test]
fn a_scenario_carries_its_challenge_through_a_link() {
    let (_, b) = challenge("poison-dlq");
    let mut attempt = b.solution.clone();
    attempt.challenge = b.start.challenge.clone();
    let back = Scenario::from_link(&attempt.to_link()).expect("opens");
    assert_eq!(back, attempt);
    let c = back.challenge.as_deref().expect("carried");
    assert!(c.check(&back, None).passed);
}

/// A group of two sharing a two-partition topic, and a lone reader in a
/// group of its own on the same topic.
fn two_groups() -> Scenario {
    Scenario::from_json(
        r#"{
          "version": 1,
          "kafka": {
            "topics": [{ "name": "jobs", "partitions": 2 }],
            "producers": [{ "name": "p" }],
            "consumers": [
              { "name": "w1", "group_id": "workers", "topics": ["jobs"], "configs": { "auto.offset.reset": "earliest" } },
              { "name": "w2", "group_id": "workers", "topics": ["jobs"], "configs": { "auto.offset.reset": "earliest" } },
              { "name": "audit", "group_id": "audit", "topics": ["jobs"], "configs": { "auto.offset.reset": "earliest" } }
            ]
          }
        }"#,
    )
    .expect("valid")
}

fn kafka_challenge(checks: &str) -> Challenge {
    serde_json::from_str(&format!(
        r#"{{
          "title": "t", "goal": "g",
          "probes": [{{
            "name": "produce and read",
            "script": [
              {{ "action": "produce", "producer": "p", "topic": "jobs", "value": "j1", "partition": 0 }},
              {{ "action": "produce", "producer": "p", "topic": "jobs", "value": "j2", "partition": 1 }},
              {{ "action": "advance_time", "ms": 500 }},
              {{ "action": "poll", "consumer": "w1" }},
              {{ "action": "poll", "consumer": "w2" }},
              {{ "action": "poll", "consumer": "audit" }}
            ],
            "checks": {checks}
          }}]
        }}"#
    ))
    .expect("a challenge")
}

#[test]
fn a_group_reads_each_value_once_between_its_members() {
    let s = two_groups();
    let once = kafka_challenge(r#"[{ "check": "group_read_once", "group": "workers", "values": ["j1", "j2"] }]"#);
    let v = once.check(&s, None);
    assert!(v.passed, "{v:#?}");
    let missing = kafka_challenge(r#"[{ "check": "group_read_once", "group": "workers", "values": ["j3"] }]"#);
    let v = missing.check(&s, None);
    assert_eq!(v.results[0].reason.as_deref(), Some("no member of `workers` read `j3`"));
    // A member that crashes before committing leaves its records to be read
    // again by the member that takes over its partition.
    let crash: Challenge = serde_json::from_str(
        r#"{
          "title": "t", "goal": "g",
          "probes": [{
            "name": "a member crashes before committing",
            "script": [
              { "action": "produce", "producer": "p", "topic": "jobs", "value": "j1", "partition": 0 },
              { "action": "produce", "producer": "p", "topic": "jobs", "value": "j2", "partition": 1 },
              { "action": "advance_time", "ms": 500 },
              { "action": "poll", "consumer": "w1" },
              { "action": "poll", "consumer": "w2" },
              { "action": "crash_consumer", "consumer": "w1" },
              { "action": "advance_time", "ms": 60000 },
              { "action": "poll", "consumer": "w2" }
            ],
            "checks": [{ "check": "group_read_once", "group": "workers", "values": ["j1", "j2"] }]
          }]
        }"#,
    )
    .expect("a challenge");
    let v = crash.check(&s, None);
    assert!(!v.passed, "{v:#?}");
    assert!(v.results[0].reason.as_deref().is_some_and(|r| r.contains("2 times")), "{v:#?}");
}

#[test]
fn topic_never_fails_naming_where_the_value_still_is() {
    let s = two_groups();
    let gone = kafka_challenge(r#"[{ "check": "topic_never", "topic": "jobs", "values": ["j9"] }]"#);
    assert!(gone.check(&s, None).passed);
    let there = kafka_challenge(r#"[{ "check": "topic_never", "topic": "jobs", "values": ["j2"] }]"#);
    let v = there.check(&s, None);
    assert_eq!(v.results[0].reason.as_deref(), Some("`j2` is still in `jobs-1` at offset 0"));
}
