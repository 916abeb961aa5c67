//! Tests of the plan and the comparison that need no broker; the runs
//! against a real RabbitMQ are in `tests/live.rs`.

use super::compare::normalise;
use super::*;
use brokerlab_rabbit::{ChannelId, Command, FieldValue};
use brokerlab_rabbit_live::{Observed, Outcome, Settle, Step};
use brokerlab_scenario::{Action, Scenario};

use brokerlab_rabbit_live::{Consumed, Delivered};

fn observed(body: &str) -> Observed {
    Observed {
        body: body.into(),
        exchange: String::new(),
        routing_key: "q".into(),
        redelivered: false,
        headers: Default::default(),
        expiration: None,
        delivery_mode: None,
        priority: None,
    }
}

fn preset(id: &str) -> Scenario {
    brokerlab_scenario::presets::get(id).expect("preset")
}

fn scenario(json: &str) -> Scenario {
    Scenario::from_json(json).expect("a valid scenario")
}

fn only_part(p: &Plan) -> &Part {
    assert_eq!(p.parts.len(), 1, "{:?}", p.parts.iter().map(|p| &p.vhost).collect::<Vec<_>>());
    &p.parts[0]
}

#[test]
fn a_get_and_a_queue_that_differ_are_both_reported() {
    let p = plan(&preset("dlq-retry"));
    let part = only_part(&p);
    let mut engine = Outcome::default();
    let mut broker = Outcome::default();
    engine.gets = vec![Some(observed("a")), None];
    broker.gets = vec![Some(observed("b")), None];
    engine.drained.insert("work".into(), vec![observed("x")]);
    broker.drained.insert("work".into(), vec![]);
    let diffs = compare(part, &engine, &broker);
    let at: Vec<&str> = diffs.iter().map(|d| d.at.as_str()).collect();
    assert_eq!(at, ["get at action 1", "messages left in queue `work`"]);
}

#[test]
fn wall_clock_death_times_are_not_a_difference() {
    let with_time = |t: u64| {
        let mut m = observed("a");
        let mut death = brokerlab_rabbit::FieldTable::new();
        death.insert("time".into(), FieldValue::Timestamp(t));
        death.insert("count".into(), FieldValue::LongLongInt(1));
        m.headers.insert("x-death".into(), FieldValue::FieldArray(vec![FieldValue::FieldTable(death)]));
        m
    };
    assert_eq!(normalise(with_time(5)), normalise(with_time(1_700_000_000)));
}

#[test]
fn a_get_stays_unacknowledged_until_an_acknowledgement_settles_the_oldest_delivery() {
    let p = plan(&preset("dlq-retry"));
    let part = only_part(&p);
    let script: Vec<&Step> =
        part.steps.iter().filter(|s| matches!(s, Step::Get { .. } | Step::Settle { .. } | Step::Wait { .. })).collect();
    let ch = ChannelId { connection: 2, channel: 1 };
    assert_eq!(
        script,
        [
            &Step::Get { channel: ch, queue: "work".into(), no_ack: false },
            &Step::Settle { channel: ch, delivery_tag: None, multiple: false, how: Settle::Reject { requeue: false } },
            &Step::Wait { ms: 6000 },
            &Step::Get { channel: ch, queue: "work".into(), no_ack: false },
            &Step::Settle { channel: ch, delivery_tag: None, multiple: false, how: Settle::Ack },
        ]
    );
    assert_eq!(part.get_actions, [1, 5]);
    assert_eq!(part.settle_actions, [3, 6]);
    assert!(p.skipped.is_empty() && part.skipped.is_empty());
}

#[test]
fn consumers_start_with_their_prefetch_each_client_on_a_connection_of_its_own() {
    let p = plan(&preset("work-queue"));
    let part = only_part(&p);
    let opened: Vec<u32> = part
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Do(Command::OpenChannel { connection }) => Some(*connection),
            _ => None,
        })
        .collect();
    // admin, worker-1, worker-2, app (the publisher), drain.
    assert_eq!(opened, [1, 2, 3, 4, 5]);
    let consuming: Vec<String> = part
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Do(Command::BasicQos { channel, prefetch_count, .. }) => {
                Some(format!("qos {prefetch_count} on {}", channel.connection))
            }
            Step::Do(Command::BasicConsume { channel, consumer_tag, no_ack, .. }) => {
                Some(format!("consume {consumer_tag} no_ack={no_ack} on {}", channel.connection))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        consuming,
        ["qos 1 on 2", "consume worker-1 no_ack=false on 2", "qos 1 on 3", "consume worker-2 no_ack=false on 3"]
    );
    assert_eq!(
        part.consumers,
        [
            ConsumerLabel { client: "worker-1".into(), tag: "worker-1".into() },
            ConsumerLabel { client: "worker-2".into(), tag: "worker-2".into() },
        ]
    );
    // The acknowledgements settle each worker's oldest delivery.
    let settles: Vec<u32> = part
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Settle { channel, delivery_tag: None, how: Settle::Ack, .. } => Some(channel.connection),
            _ => None,
        })
        .collect();
    assert_eq!(settles, [2, 3, 2]);
    assert!(p.skipped.is_empty() && part.skipped.is_empty(), "{:?}", p.skipped);
}

#[test]
fn consume_cancel_and_close_client_are_replayed_and_a_closed_client_reopens() {
    let s = scenario(
        r#"{ "version": 1, "rabbitmq": { "queues": [{ "name": "q" }] }, "script": [
            { "action": "consume", "tag": "t", "client": "c", "queue": "q", "exclusive": true, "auto_ack": true,
              "arguments": { "x-priority": 5 } },
            { "action": "cancel", "client": "c", "tag": "t" },
            { "action": "close_client", "client": "c" },
            { "action": "close_client", "client": "c" },
            { "action": "qos", "client": "c", "prefetch": 3 }
        ] }"#,
    );
    let p = plan(&s);
    let part = only_part(&p);
    let steps: Vec<(Option<usize>, &Step)> = part
        .origins
        .iter()
        .copied()
        .zip(&part.steps)
        .filter(|(o, _)| o.is_some())
        .filter(|(_, s)| !matches!(s, Step::Do(Command::OpenConnection { .. })))
        .collect();
    let c = ChannelId { connection: 2, channel: 1 };
    let reopened = ChannelId { connection: 3, channel: 1 };
    let mut arguments = brokerlab_rabbit::FieldTable::new();
    arguments.insert("x-priority".into(), FieldValue::LongLongInt(5));
    assert_eq!(
        steps,
        [
            (Some(0), &Step::Do(Command::OpenChannel { connection: 2 })),
            (
                Some(0),
                &Step::Do(Command::BasicConsume {
                    channel: c,
                    queue: "q".into(),
                    consumer_tag: "t".into(),
                    no_ack: true,
                    exclusive: true,
                    arguments,
                })
            ),
            (Some(1), &Step::Do(Command::BasicCancel { channel: c, consumer_tag: "t".into() })),
            (Some(2), &Step::Do(Command::CloseConnection { connection: 2 })),
            (Some(4), &Step::Do(Command::OpenChannel { connection: 3 })),
            (Some(4), &Step::Do(Command::BasicQos { channel: reopened, prefetch_count: 3, global: false })),
        ]
    );
    let skipped: Vec<Option<usize>> = part.skipped.iter().map(|k| k.action).collect();
    assert_eq!(skipped, [Some(3)]);
    assert!(part.skipped[0].reason.contains("no open connection"), "{}", part.skipped[0].reason);
}

#[test]
fn each_vhost_is_a_part_of_its_own_and_time_passes_in_every_part() {
    let mut s = preset("vhosts-channels");
    s.script.push(Action::AdvanceTime { ms: 10 });
    s.script.push(Action::RestartRabbitmq);
    let p = plan(&s);
    let names: Vec<&str> = p.parts.iter().map(|p| p.vhost.as_str()).collect();
    // Nothing is in `/`, so it has no part.
    assert_eq!(names, ["shop", "billing"]);
    for part in &p.parts {
        assert!(
            part.steps.iter().all(|s| match s {
                Step::Do(Command::OpenConnection { vhost, .. }) => *vhost == part.vhost,
                _ => true,
            }),
            "{}",
            part.vhost
        );
        assert_eq!(part.queues, ["orders"]);
        assert_eq!(part.steps.iter().filter(|s| matches!(s, Step::Wait { ms: 10 })).count(), 1);
    }
    assert_eq!(p.parts[0].get_actions, [4]);
    assert_eq!(p.parts[0].settle_actions, [5]);
    assert_eq!(p.parts[1].get_actions, [3]);
    let bodies = |part: &Part| -> Vec<String> {
        part.steps
            .iter()
            .filter_map(|s| match s {
                Step::Do(Command::BasicPublish { body, .. }) => Some(body.clone()),
                _ => None,
            })
            .collect()
    };
    assert_eq!(bodies(&p.parts[0]), ["shop order 1", "shop order 2"]);
    assert_eq!(bodies(&p.parts[1]), ["invoice 1"]);
    assert_eq!(p.skipped.len(), 1);
    assert_eq!(p.skipped[0].action, Some(7));
    assert_eq!(p.skipped[0].reason, NO_RESTART);
}

#[test]
fn with_rabbitmqctl_a_restart_runs_in_every_part_and_clients_reconnect_after_it() {
    let mut s = preset("vhosts-channels");
    s.script.insert(3, Action::RestartRabbitmq);
    s.script.push(Action::Alarm { alarm: brokerlab_scenario::AlarmKind::Memory, active: true });
    let options = Options { rabbitmqctl: Some("rabbit@localhost".into()) };
    let p = plan_with(&s, &options);
    for part in &p.parts {
        let restarts: Vec<Option<usize>> = part
            .steps
            .iter()
            .zip(&part.origins)
            .filter(|(s, _)| matches!(s, Step::Do(Command::Restart)))
            .map(|(_, o)| *o)
            .collect();
        assert_eq!(restarts, [Some(3)], "{}", part.vhost);
    }
    // shop-app published before the restart on connection 2 (after the
    // admin's 1); after it, its get opens connection 3.
    let shop = &p.parts[0];
    let gets: Vec<u32> = shop
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Get { channel, .. } => Some(channel.connection),
            Step::Do(Command::BasicPublish { channel, .. }) => Some(channel.connection),
            _ => None,
        })
        .collect();
    assert_eq!(gets, [2, 2, 3]);
    let skipped: Vec<(Option<usize>, &str)> = p.skipped.iter().map(|k| (k.action, k.reason.as_str())).collect();
    assert_eq!(skipped, [(Some(7), NO_ALARM)]);
    // Without a node, the same restart is skipped.
    let p = plan(&s);
    assert!(p.parts.iter().all(|part| !part.steps.iter().any(|s| matches!(s, Step::Do(Command::Restart)))));
    let skipped: Vec<(Option<usize>, &str)> = p.skipped.iter().map(|k| (k.action, k.reason.as_str())).collect();
    assert_eq!(skipped, [(Some(3), NO_RESTART), (Some(7), NO_RESTART)]);
}

#[test]
fn a_queue_only_one_side_still_has_is_a_difference() {
    let p = plan(&preset("durability-restart"));
    let part = only_part(&p);
    let mut engine = Outcome::default();
    engine.drained.insert("durable-q".into(), vec![]);
    let mut broker = engine.clone();
    engine.drained.insert("transient-q".into(), vec![]);
    let diffs = compare(part, &engine, &broker);
    assert_eq!(diffs.len(), 1);
    assert_eq!(diffs[0].at, "queue `transient-q` exists at the end");
    assert_eq!((&diffs[0].engine, &diffs[0].broker), (&serde_json::json!(true), &serde_json::json!(false)));
    broker.drained.insert("transient-q".into(), vec![]);
    assert!(compare(part, &engine, &broker).is_empty());
}

#[test]
fn restarts_and_alarms_are_skipped_with_the_reason() {
    let p = plan(&preset("durability-restart"));
    let skipped: Vec<(Option<usize>, &str)> = p.skipped.iter().map(|k| (k.action, k.reason.as_str())).collect();
    assert_eq!(skipped, [(Some(3), NO_RESTART)]);
    assert!(NO_RESTART.contains("rabbitmqctl"));
}

fn delivered(step: usize, tag: u64, body: &str) -> Delivered {
    Delivered { step, delivery_tag: tag, message: observed(body) }
}

#[test]
fn a_delivery_that_comes_at_another_time_or_not_at_all_is_a_difference() {
    let p = plan(&preset("work-queue"));
    let part = only_part(&p);
    let ch = ChannelId { connection: 2, channel: 1 };
    let consumed = |d: Vec<Delivered>| Consumed { channel: ch, consumer_tag: "worker-1".into(), deliveries: d };
    let other = Consumed { channel: ch, consumer_tag: "worker-2".into(), deliveries: vec![] };
    let publish_1 = part.origins.iter().position(|o| *o == Some(0)).expect("the first publish");
    let publish_2 = part.origins.iter().position(|o| *o == Some(1)).expect("the second publish");
    let engine = Outcome {
        consumers: vec![consumed(vec![delivered(publish_1, 1, "a")]), other.clone()],
        settled: vec![Some(1), None, None],
        ..Outcome::default()
    };
    let mut late = engine.clone();
    late.consumers[0].deliveries[0].step = publish_2;
    let same_action = {
        let mut o = engine.clone();
        // Another step of the same action is no difference.
        o.consumers[0].deliveries[0].step = publish_1 + 1;
        o
    };
    assert_eq!(part.origins.get(publish_1 + 1), Some(&Some(0)));
    assert!(compare(part, &engine, &same_action).is_empty());
    let diffs = compare(part, &engine, &late);
    assert_eq!(diffs.len(), 1);
    assert_eq!(diffs[0].at, "deliveries to consumer `worker-1` on client `worker-1`");
    assert_eq!(diffs[0].engine[0]["after_action"], 0);
    assert_eq!(diffs[0].broker[0]["after_action"], 1);

    let mut missing = engine.clone();
    missing.consumers[0].deliveries.clear();
    missing.settled[0] = None;
    let at: Vec<String> = compare(part, &engine, &missing).into_iter().map(|d| d.at).collect();
    assert_eq!(at, ["delivery tag settled at action 3", "deliveries to consumer `worker-1` on client `worker-1`"]);

    let mut never = engine.clone();
    never.consumers.truncate(1);
    let diffs = compare(part, &engine, &never);
    assert_eq!(diffs.len(), 1);
    assert_eq!(diffs[0].broker, serde_json::json!("never started"));
}

#[test]
fn differences_outside_slash_name_their_vhost() {
    let p = plan(&preset("vhosts-channels"));
    let mut engine = Outcome::default();
    engine.drained.insert("orders".into(), vec![observed("x")]);
    let mut broker = Outcome::default();
    broker.drained.insert("orders".into(), vec![]);
    let at: Vec<String> = compare(&p.parts[1], &engine, &broker).into_iter().map(|d| d.at).collect();
    assert_eq!(at, ["vhost `billing`: messages left in queue `orders`"]);
}

#[test]
fn a_missing_vhost_is_explained_with_the_commands_that_create_it() {
    let why = missing_vhost("shop", "guest", "NOT_ALLOWED");
    assert!(why.contains("`rabbitmqctl add_vhost shop`"), "{why}");
    assert!(why.contains(r#"`rabbitmqctl set_permissions -p shop guest ".*" ".*" ".*"`"#), "{why}");
    assert!(why.contains("NOT_ALLOWED"), "{why}");
    let odd = missing_vhost("it's mine", "guest", "");
    assert!(odd.contains(r"`rabbitmqctl add_vhost 'it'\''s mine'`"), "{odd}");
    assert_eq!(url_user("amqp://alice:secret@h:5672/%2f"), "alice");
    assert_eq!(url_user("amqp://h:5672/%2f"), "guest");
}

/// Policies go first in their vhost's part and the script's policy actions
/// where they stand, when `rabbitmqctl` can set them on the broker; the part
/// remembers them so they are cleared before and after. Without it, neither
/// side sets them and each is listed as skipped, and a vhost's default
/// queue type is always skipped.
#[test]
fn policies_are_set_with_rabbitmqctl_and_skipped_without_it() {
    let s = scenario(include_str!("../../../scenario/tests/golden/v2/policies.json"));
    let options = Options { rabbitmqctl: Some("rabbit@localhost".into()) };
    let p = plan_with(&s, &options);
    let root = p.parts.iter().find(|part| part.vhost == "/").expect("a part for /");
    let policy_steps: Vec<(String, Option<usize>)> = root
        .steps
        .iter()
        .zip(&root.origins)
        .filter_map(|(step, origin)| match step {
            Step::Do(Command::SetPolicy { name, .. }) => Some((format!("set {name}"), *origin)),
            Step::Do(Command::ClearPolicy { name, .. }) => Some((format!("clear {name}"), *origin)),
            _ => None,
        })
        .collect();
    assert_eq!(
        policy_steps,
        [("set cap".to_string(), None), ("set cap".into(), Some(3)), ("clear cap".into(), Some(4))]
    );
    // Before any connection opens or anything is declared.
    assert!(matches!(root.steps.first(), Some(Step::Do(Command::SetPolicy { .. }))), "{:?}", root.steps.first());
    assert_eq!(root.policies, ["cap"]);
    assert!(root.skipped.iter().any(|k| k.reason == NO_DEFAULT_QUEUE_TYPE));
    let shop = p.parts.iter().find(|part| part.vhost == "shop").expect("a part for shop");
    assert_eq!(shop.policies, ["ttl"]);

    let p = plan(&s);
    let root = p.parts.iter().find(|part| part.vhost == "/").expect("a part for /");
    assert!(!root.steps.iter().any(|s| matches!(s, Step::Do(Command::SetPolicy { .. } | Command::ClearPolicy { .. }))));
    let skipped: Vec<Option<usize>> = root.skipped.iter().filter(|k| k.reason == NO_POLICY).map(|k| k.action).collect();
    assert_eq!(skipped, [None, Some(3), Some(4)]);
}
