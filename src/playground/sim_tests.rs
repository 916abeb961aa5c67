//! The driver's tests: routing, consuming and failing clients on both
//! engines, replay, problems beside their parts, and what the journal reads
//! from the events (a dead-lettered copy's own body, sender and history, the
//! edges a copy took, a channel error's closing).

use super::*;
use crate::playground::model::{
    AckMode, Acks, ConsumerSettings, EdgeRole, Failure, GroupProtocol, Isolation, NodeKind, Playground, QueueSettings,
    StreamOffset, TopicSettings,
};
use brokerlab_rabbit::ExchangeKind;

/// The topology of the first browser test: a producer, a topic
/// exchange and two queues bound with `eu.#` and `*.orders`.
fn topic_routing() -> (Playground, NodeId) {
    let mut p = Playground::default();
    let prod = p.add_node(NodeKind::Producer, None);
    let x = p.add_exchange(ExchangeKind::Topic, None);
    let q1 = p.add_node(NodeKind::Queue, None);
    let q2 = p.add_node(NodeKind::Queue, None);
    p.connect(prod, x).unwrap();
    let b1 = p.connect(x, q1).unwrap();
    p.set_binding(b1, "eu.#", "").unwrap();
    let b2 = p.connect(x, q2).unwrap();
    p.set_binding(b2, "*.orders", "").unwrap();
    (p, prod)
}

fn set_key(p: &mut Playground, prod: NodeId, key: &str) {
    let NodeConfig::Producer(mut s) = p.topology.node(prod).unwrap().config.clone() else { unreachable!() };
    s.routing_key = key.into();
    p.configure(prod, NodeConfig::Producer(s)).unwrap();
}

fn depth(sim: &Sim, q: &str) -> usize {
    sim.queue("/", q).unwrap().messages.len()
}

#[test]
fn topic_bindings_route_as_rabbitmq_does() {
    let (mut p, prod) = topic_routing();
    set_key(&mut p, prod, "eu.orders");
    let mut sim = Sim::new(&p.topology);
    assert!(sim.problems().is_empty(), "{:?}", sim.problems());
    sim.perform(Action::Publish(prod));
    assert_eq!((depth(&sim, "q1"), depth(&sim, "q2")), (1, 1));
    set_key(&mut p, prod, "eu.sales.q1");
    let mut sim = Sim::new(&p.topology);
    sim.perform(Action::Publish(prod));
    assert_eq!((depth(&sim, "q1"), depth(&sim, "q2")), (1, 0));
    let id = sim.queue("/", "q1").unwrap().messages[0].id;
    let history = sim.message(id).unwrap();
    let trace = history.trace.as_ref().unwrap();
    assert!(trace.exchanges[0].bindings.iter().any(|b| b.matched && b.binding.routing_key == "eu.#"));
    assert!(trace.exchanges[0].bindings.iter().any(|b| !b.matched && b.binding.routing_key == "*.orders"));
}

/// A copy's path is the edges it travelled, in order: the producer's
/// connection, the exchange-to-exchange binding that led to its queue's
/// exchange (not one that led elsewhere), the binding into its queue, and
/// its delivery; the explanation words each hop.
#[test]
fn a_message_path_follows_the_edges_it_travelled_in_order() {
    let (mut p, prod) = topic_routing();
    let x1 = p.topology.named(NodeKind::Exchange, "x1").unwrap().id;
    let q2 = p.topology.named(NodeKind::Queue, "q2").unwrap().id;
    let x2 = p.add_exchange(ExchangeKind::Fanout, None);
    let q3 = p.add_node(NodeKind::Queue, None);
    let into_x2 = p.connect(x1, x2).unwrap();
    p.set_binding(into_x2, "eu.*", "").unwrap();
    let into_q3 = p.connect(x2, q3).unwrap();
    set_key(&mut p, prod, "eu.orders");
    let publish = p.topology.edges.iter().find(|e| e.from == prod).unwrap().id;
    let into_q2 = p.topology.edges.iter().find(|e| e.from == x1 && e.to == q2).unwrap().id;
    let mut sim = Sim::new(&p.topology);
    sim.perform(Action::Publish(prod));
    let copy = |sim: &Sim, q: &str| MessageRef::Rabbit(sim.queue("/", q).unwrap().messages[0].id);
    assert_eq!(sim.path(&copy(&sim, "q2")), [publish, into_q2]);
    assert_eq!(sim.path(&copy(&sim, "q3")), [publish, into_x2, into_q3]);
    assert_eq!(
        sim.explain(&copy(&sim, "q3")).unwrap().path,
        [
            "Producer p1 \u{2192} Topic exchange x1",
            "Topic exchange x1 \u{2192} Fanout exchange x2 (binding key \u{201c}eu.*\u{201d})",
            "Fanout exchange x2 \u{2192} Queue q3 (binding key \u{201c}q3\u{201d})",
        ]
    );
    // A consumer on q3 takes its copy at once: the delivery ends its path.
    let c = p.add_node(NodeKind::Consumer, None);
    let consume = p.connect(q3, c).unwrap();
    let mut sim = Sim::new(&p.topology);
    sim.perform(Action::Publish(prod));
    let delivered: Vec<&[EdgeId]> =
        (0..16).map(|id| sim.path(&MessageRef::Rabbit(id))).filter(|p| p.last() == Some(&consume)).collect();
    assert_eq!(delivered, [&[publish, into_x2, into_q3, consume][..]]);
}

#[test]
fn changing_a_producers_key_keeps_the_run() {
    let (mut p, prod) = topic_routing();
    set_key(&mut p, prod, "eu.orders");
    let mut sim = Sim::new(&p.topology);
    sim.perform(Action::Publish(prod));
    set_key(&mut p, prod, "eu.sales.q1");
    for (id, settings) in sim.producer_changes(&p.topology) {
        sim.perform(Action::SetProducer(id, settings));
    }
    assert!(sim.producer_changes(&p.topology).is_empty());
    sim.perform(Action::Publish(prod));
    assert_eq!((depth(&sim, "q1"), depth(&sim, "q2")), (2, 1));
    let replayed = Sim::replay(sim.initial_topology(), sim.actions(), sim.tick());
    assert_eq!((depth(&replayed, "q1"), depth(&replayed, "q2")), (2, 1));
}

/// p1 → q1 → c1, with default settings: producer, queue and consumer.
fn producer_queue_consumer() -> (Playground, NodeId, NodeId, NodeId) {
    let mut p = Playground::default();
    let prod = p.add_node(NodeKind::Producer, None);
    let q = p.add_node(NodeKind::Queue, None);
    let c = p.add_node(NodeKind::Consumer, None);
    p.connect(prod, q).unwrap();
    p.connect(q, c).unwrap();
    (p, prod, q, c)
}

#[test]
fn consumers_drain_a_queue_and_acknowledge() {
    let (p, prod, _, c) = producer_queue_consumer();
    let mut sim = Sim::new(&p.topology);
    sim.perform(Action::Burst(prod));
    for _ in 0..100 {
        sim.step();
    }
    let view = sim.queue("/", "q1").unwrap();
    assert_eq!((view.messages.len(), view.unacked), (0, 0));
    assert_eq!(sim.consumer(c).unwrap().done, 10);
}

#[test]
fn nacked_messages_go_to_the_dead_letter_exchange() {
    let mut p = Playground::default();
    let prod = p.add_node(NodeKind::Producer, None);
    let work = p.add_node(NodeKind::Queue, None);
    let dlx = p.add_exchange(ExchangeKind::Fanout, None);
    let dead = p.add_node(NodeKind::Queue, None);
    let c = p.add_node(NodeKind::Consumer, None);
    p.rename(dlx, "dlx").unwrap();
    p.connect(prod, work).unwrap();
    p.connect(dlx, dead).unwrap();
    p.connect(work, c).unwrap();
    let q = QueueSettings { dead_letter_exchange: "dlx".into(), ..Default::default() };
    p.configure(work, NodeConfig::Queue(q)).unwrap();
    p.configure(c, NodeConfig::Consumer(ConsumerSettings { failure: Failure::Nack, ..Default::default() })).unwrap();
    let mut sim = Sim::new(&p.topology);
    sim.perform(Action::Publish(prod));
    for _ in 0..10 {
        sim.step();
    }
    let dead = sim.queue("/", "q2").unwrap();
    assert_eq!(dead.messages.len(), 1);
    let lines = &sim.message(dead.messages[0].id).unwrap().lines;
    assert!(lines.iter().any(|l| l.contains("dead-lettered from q1")), "{lines:?}");
}

#[test]
fn a_failing_kafka_consumer_seeks_back_and_its_partitions_stall() {
    let (mut p, cs, prod) = kafka_group(1, 1, 1);
    p.configure(cs[0], NodeConfig::Consumer(ConsumerSettings { failure: Failure::Nack, ..Default::default() }))
        .unwrap();
    let mut sim = Sim::new(&p.topology);
    sim.perform(Action::Burst(prod));
    for _ in 0..40 {
        sim.step();
    }
    let cluster = sim.cluster().unwrap();
    let group = cluster.group("g1").unwrap();
    assert!(group.committed.iter().all(|(_, offset)| *offset == 0), "{:?}", group.committed);
    let lag = cluster.group_lag("g1");
    // Nothing is committed, so Kafka calls the lag unknown ("-").
    assert!(lag.iter().all(|l| l.committed.is_none() && l.lag.is_none()), "{lag:?}");
    let waiting: i64 = lag.iter().map(|l| l.log_end_offset).sum();
    assert_eq!(waiting, 10, "the burst's ten records all wait");
    assert_eq!(sim.consumer(cs[0]).unwrap().done, 0);
    assert!(sim.log().any(|l| l.text.contains("Kafka has no nack")), "the log says why");
}

fn kafka_group(consumers: usize, brokers: usize, rf: u32) -> (Playground, Vec<NodeId>, NodeId) {
    let mut p = Playground::default();
    for _ in 0..brokers {
        p.add_node(NodeKind::Broker, None);
    }
    let prod = p.add_node(NodeKind::Producer, None);
    let t = p.add_node(NodeKind::Topic, None);
    p.configure(
        t,
        NodeConfig::Topic(TopicSettings { partitions: 2, replication_factor: rf, ..TopicSettings::default() }),
    )
    .unwrap();
    let g = p.add_node(NodeKind::Group, None);
    p.connect(prod, t).unwrap();
    p.connect(t, g).unwrap();
    let cs = (0..consumers)
        .map(|_| {
            let c = p.add_node(NodeKind::Consumer, None);
            p.connect(c, g).unwrap();
            c
        })
        .collect();
    (p, cs, prod)
}

#[test]
fn a_third_consumer_on_two_partitions_is_idle() {
    let (p, cs, _) = kafka_group(3, 1, 1);
    let mut sim = Sim::new(&p.topology);
    for _ in 0..5 {
        sim.step();
    }
    let idle: Vec<_> = cs.iter().filter(|c| sim.consumer(**c).unwrap().assignment.unwrap().is_empty()).collect();
    assert_eq!(idle.len(), 1, "{:?}", sim.log().map(|l| &l.text).collect::<Vec<_>>());
}

/// Group members on the consumer group protocol (KIP-848, Kafka 4.0): the
/// second member gets a partition at its heartbeat once the first revoked
/// it at its own, with no rebalance pause; the group reports the protocol.
#[test]
fn consumer_protocol_members_share_the_partitions_after_heartbeats() {
    let (mut p, cs, _) = kafka_group(2, 1, 1);
    for c in &cs {
        let settings = ConsumerSettings { group_protocol: GroupProtocol::Consumer, ..ConsumerSettings::default() };
        p.configure(*c, NodeConfig::Consumer(settings)).unwrap();
    }
    let mut sim = Sim::new(&p.topology);
    let held = |sim: &Sim| {
        cs.iter().map(|c| sim.consumer(*c).unwrap().assignment.unwrap_or_default().len()).collect::<Vec<_>>()
    };
    sim.step();
    assert_eq!(held(&sim).iter().sum::<usize>(), 2, "the first member holds both until its heartbeat");
    for _ in 0..120 {
        sim.step();
    }
    assert_eq!(held(&sim), vec![1, 1]);
    let group = sim.cluster().unwrap().group("g1").unwrap();
    assert_eq!(group.protocol, brokerlab_kafka::GroupProtocol::Consumer);
    assert_eq!(group.state, brokerlab_kafka::GroupStateView::Stable);
}

#[test]
fn crashing_the_leader_moves_leadership() {
    let (p, _, _) = kafka_group(1, 3, 3);
    let mut sim = Sim::new(&p.topology);
    let leader = sim.cluster().unwrap().partition("t1", 0).unwrap().leader.unwrap();
    sim.perform(Action::CrashBroker(leader));
    // The controller fences the crashed leader `broker.session.timeout.ms`
    // (9 s) after its last heartbeat; until then the metadata still names it.
    sim.step();
    assert_eq!(sim.cluster().unwrap().partition("t1", 0).unwrap().leader, Some(leader));
    for _ in 0..91 {
        sim.step();
    }
    let after = sim.cluster().unwrap().partition("t1", 0).unwrap().leader;
    assert!(after.is_some() && after != Some(leader));
}

#[test]
fn a_crashed_leader_is_fenced_then_a_shutdown_hands_over_at_once_and_preferred_leaders_come_back() {
    let (p, _, _) = kafka_group(1, 3, 3);
    let mut sim = Sim::new(&p.topology);
    let log = |s: &Sim| s.log().map(|l| l.text.clone()).collect::<Vec<_>>().join("\n");
    let leader = |s: &Sim| s.cluster().unwrap().partition("t1", 0).unwrap().leader.unwrap();
    let preferred = sim.cluster().unwrap().partition("t1", 0).unwrap().replicas[0].broker;
    assert_eq!(leader(&sim), preferred);
    // A crash is seen by the controller only when the session expires.
    sim.perform(Action::CrashBroker(preferred));
    for _ in 0..92 {
        sim.step();
    }
    assert!(log(&sim).contains(&format!("broker {preferred} fenced by the controller")), "{}", log(&sim));
    let second = leader(&sim);
    assert_ne!(second, preferred);
    // Restarted at once, it waits for its old session; here that has expired.
    sim.perform(Action::RestartBroker(preferred));
    for _ in 0..20 {
        sim.step();
    }
    assert!(sim.cluster().unwrap().partition("t1", 0).unwrap().isr.contains(&preferred), "{}", log(&sim));
    // A controlled shutdown moves leadership in the same step.
    sim.perform(Action::ShutdownBroker(second));
    assert!(
        log(&sim).contains(&format!("broker {second} shut down after handing over its leadership")),
        "{}",
        log(&sim)
    );
    let third = leader(&sim);
    assert_ne!(third, second);
    sim.perform(Action::RestartBroker(second));
    for _ in 0..20 {
        sim.step();
    }
    // Leadership goes back to the preferred replica on request.
    if third != preferred {
        sim.perform(Action::ElectPreferredLeaders);
    }
    assert_eq!(leader(&sim), preferred, "{}", log(&sim));
}

/// Two members of a group reading a topic of three brokers, its producer
/// sending seven records a second.
fn producing_group() -> (Playground, Vec<NodeId>, NodeId) {
    let (mut p, cs, prod) = kafka_group(2, 3, 3);
    let NodeConfig::Producer(mut s) = p.topology.node(prod).unwrap().config.clone() else { unreachable!() };
    s.rate = 7;
    p.configure(prod, NodeConfig::Producer(s)).unwrap();
    (p, cs, prod)
}

#[test]
fn replaying_the_actions_rebuilds_the_same_run() {
    let (p, cs, prod) = producing_group();
    let mut live = Sim::new(&p.topology);
    for i in 0..60 {
        if i == 20 {
            live.perform(Action::CrashBroker(1));
        }
        if i == 30 {
            live.perform(Action::Burst(prod));
        }
        live.step();
    }
    let again = Sim::replay(&p.topology, live.actions(), live.tick());
    let log = |s: &Sim| s.log().map(|l| l.text.clone()).collect::<Vec<_>>();
    assert_eq!(log(&live), log(&again), "seed {}", p.topology.seed);
    assert_eq!(live.consumer(cs[0]), again.consumer(cs[0]));
    let earlier = Sim::replay(&p.topology, live.actions(), 25);
    assert_eq!(earlier.tick(), 25);
    assert!(!earlier.cluster().unwrap().brokers()[1].alive);
}

/// The run loop takes a step in sub-steps and a learner acts between them:
/// a replay takes each action at the same moment, so it rebuilds the run.
#[test]
fn actions_between_sub_steps_replay_at_the_same_moment() {
    use crate::playground::sim::{SUBSTEP_MS, SUBSTEPS};
    let (p, cs, prod) = producing_group();
    let mut live = Sim::new(&p.topology);
    live.substep();
    assert_eq!((live.tick(), live.moment(), live.now_ms()), (0, 1, SUBSTEP_MS));
    for i in 1..60 * SUBSTEPS {
        if i == 101 {
            live.perform(Action::CrashBroker(1));
        }
        if i == 152 {
            live.perform(Action::Burst(prod));
        }
        live.substep();
    }
    assert_eq!(live.tick(), 60);
    assert_eq!(live.actions().iter().map(|(at, _)| *at).collect::<Vec<_>>(), [101, 152]);
    let again = Sim::replay(&p.topology, live.actions(), live.tick());
    let log = |s: &Sim| s.log().map(|l| l.text.clone()).collect::<Vec<_>>();
    assert_eq!(log(&live), log(&again), "seed {}", p.topology.seed);
    assert_eq!(live.consumer(cs[0]), again.consumer(cs[0]));
    // A step from inside one finishes it (before the first action).
    let mut part = Sim::replay(&p.topology, live.actions(), 10);
    part.substep();
    part.substep();
    part.step();
    assert_eq!((part.tick(), part.moment()), (11, 11 * SUBSTEPS));
    let whole = Sim::replay(&p.topology, live.actions(), 11);
    assert_eq!(log(&part), log(&whole));
}

#[test]
fn a_bad_binding_is_reported_not_fatal() {
    let mut p = Playground::default();
    let x = p.add_exchange(ExchangeKind::Headers, None);
    let q = p.add_node(NodeKind::Queue, None);
    let e = p.connect(x, q).unwrap();
    p.set_binding(e, "", "x-match=sometimes").unwrap();
    let sim = Sim::new(&p.topology);
    assert_eq!(sim.problems().len(), 1, "{:?}", sim.problems());
    assert!(sim.problems()[0].starts_with("Binding x1 \u{2192} q1"));
}

#[test]
fn a_malformed_binding_argument_is_a_problem_on_its_edge_and_the_rest_runs() {
    let mut p = Playground::default();
    let prod = p.add_node(NodeKind::Producer, None);
    let x = p.add_exchange(ExchangeKind::Headers, None);
    let q = p.add_node(NodeKind::Queue, None);
    p.connect(prod, q).unwrap();
    let e = p.connect(x, q).unwrap();
    p.set_binding(e, "", "x-match").unwrap();
    let mut sim = Sim::new(&p.topology);
    assert_eq!(sim.part_problems().len(), 1, "{:?}", sim.problems());
    assert_eq!(sim.part_problems()[0].part, Part::Edge(e));
    assert!(sim.problems()[0].starts_with("Binding x1 \u{2192} q1: \u{201c}x-match\u{201d}"), "{:?}", sim.problems());
    sim.perform(Action::Publish(prod));
    assert_eq!(depth(&sim, "q1"), 1);
}

/// A producer for each body, both publishing straight to `q1`, which holds
/// one message and dead-letters through fanout exchange `dlx` to `q2`.
fn full_queue_with_dead_letters() -> (Playground, NodeId, NodeId) {
    let mut p = Playground::default();
    let a = p.add_node(NodeKind::Producer, None);
    let b = p.add_node(NodeKind::Producer, None);
    let work = p.add_node(NodeKind::Queue, None);
    let dlx = p.add_exchange(ExchangeKind::Fanout, None);
    let dead = p.add_node(NodeKind::Queue, None);
    p.rename(dlx, "dlx").unwrap();
    for (producer, body) in [(a, "A"), (b, "B")] {
        let NodeConfig::Producer(mut s) = p.topology.node(producer).unwrap().config.clone() else { unreachable!() };
        s.body = body.into();
        p.configure(producer, NodeConfig::Producer(s)).unwrap();
        p.connect(producer, work).unwrap();
    }
    p.connect(dlx, dead).unwrap();
    let q = QueueSettings { max_length: Some(1), dead_letter_exchange: "dlx".into(), ..Default::default() };
    p.configure(work, NodeConfig::Queue(q)).unwrap();
    (p, a, b)
}

#[test]
fn the_dead_lettered_head_of_a_full_queue_keeps_its_own_body_sender_and_history() {
    let (p, a, b) = full_queue_with_dead_letters();
    let mut sim = Sim::new(&p.topology);
    assert!(sim.problems().is_empty(), "{:?}", sim.problems());
    sim.perform(Action::Publish(a));
    sim.step();
    sim.perform(Action::Publish(b));
    let work = sim.queue("/", "q1").unwrap();
    assert_eq!(work.messages.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), ["B"]);
    let dead = sim.queue("/", "q2").unwrap();
    assert_eq!(dead.messages.len(), 1);
    let copy = dead.messages[0].id;
    let history = sim.message(copy).unwrap();
    assert_eq!((history.body.as_str(), history.sender.as_str()), ("A", "p1"));
    let lines = &history.lines;
    assert!(lines[0].ends_with("published by p1"), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("enqueued in q1")), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("dead-lettered from q1 (maxlen) to exchange dlx")), "{lines:?}");
    assert!(lines.last().unwrap().contains("enqueued in q2"), "{lines:?}");
    assert!(!lines.iter().any(|l| l.contains("p2")), "{lines:?}");
    let shown = sim.explain(&MessageRef::Rabbit(copy)).unwrap();
    assert!(shown.facts.contains(&"sent by p1".to_string()), "{:?}", shown.facts);
    assert!(shown.facts.contains(&"body \u{201c}A\u{201d}".to_string()), "{:?}", shown.facts);
    // The newer message is B's own, from p2.
    let newer = sim.message(work.messages[0].id).unwrap();
    assert_eq!((newer.body.as_str(), newer.sender.as_str()), ("B", "p2"));
}

/// "Why" from the log: the line of a dead-lettering opens the message it
/// speaks of, whose explanation tells where it went.
#[test]
fn a_dead_lettering_log_line_opens_its_message() {
    let (p, a, b) = full_queue_with_dead_letters();
    let mut sim = Sim::new(&p.topology);
    sim.perform(Action::Publish(a));
    sim.step();
    sim.perform(Action::Publish(b));
    let line = sim.log().find(|l| l.text.contains("dead-lettered from q1")).expect("a dead-lettering line");
    let opened = sim.explain(line.message.as_ref().expect("the line opens its message")).unwrap();
    assert!(opened.facts.contains(&"body \u{201c}A\u{201d}".to_string()), "{:?}", opened.facts);
    assert!(opened.history.iter().any(|h| h.contains("dead-lettered from q1 (maxlen)")), "{:?}", opened.history);
    // A line about no message in particular opens nothing.
    assert!(sim.log().filter(|l| l.text.contains("published")).all(|l| l.message.is_none()));
}

/// "Why" at a consumer: the messages it holds unacknowledged are listed on
/// its card, each opening its explanation, and leave the list when done.
#[test]
fn a_consumer_lists_the_messages_it_holds_unacknowledged() {
    let (mut p, prod, _, c) = producer_queue_consumer();
    let slow = ConsumerSettings { processing_ms: 1_000, prefetch: 2, ..Default::default() };
    p.configure(c, NodeConfig::Consumer(slow)).unwrap();
    let mut sim = Sim::new(&p.topology);
    sim.perform(Action::Burst(prod));
    sim.step();
    let held = |sim: &Sim| sim.readout(c).lists.into_iter().find(|l| l.label == "Unacknowledged by c1");
    let list = held(&sim).expect("c1 holds messages");
    assert_eq!(list.items.len(), 2, "{list:?}");
    let (first, text) = &list.items[0];
    assert!(text.starts_with('#'), "{text}");
    assert!(sim.explain(first).unwrap().history.iter().any(|h| h.contains("delivered to c1")));
    for _ in 0..200 {
        sim.step();
    }
    assert_eq!(held(&sim), None, "all done and acknowledged");
}

#[test]
fn a_dead_lettered_copy_flies_the_dead_letter_exchanges_binding() {
    let (p, a, b) = full_queue_with_dead_letters();
    let mut sim = Sim::new(&p.topology);
    sim.perform(Action::Publish(a));
    sim.perform(Action::Publish(b));
    let dlx = p.topology.named(NodeKind::Exchange, "dlx").unwrap().id;
    let copy = sim.queue("/", "q2").unwrap().messages[0].id;
    let edge = sim.edge_of(dlx, EdgeRole::QueueBinding).unwrap();
    assert!(sim.flights().any(|f| f.edge == edge && f.message == MessageRef::Rabbit(copy)));
}

#[test]
fn a_copy_flies_the_bindings_the_engine_reported_and_no_other() {
    let mut p = Playground::default();
    let prod = p.add_node(NodeKind::Producer, None);
    let x = p.add_exchange(ExchangeKind::Topic, None);
    let inner = p.add_exchange(ExchangeKind::Fanout, None);
    let queues: Vec<NodeId> = (0..4).map(|_| p.add_node(NodeKind::Queue, None)).collect();
    let publish = p.connect(prod, x).unwrap();
    let mut bind = |from, to, key: &str| {
        let e = p.connect(from, to).unwrap();
        p.set_binding(e, key, "").unwrap();
        e
    };
    let eu = bind(x, queues[0], "eu.#");
    let orders = bind(x, queues[1], "*.orders");
    let us = bind(x, queues[2], "us.#");
    let onward = bind(x, inner, "eu.*");
    let fanned = bind(inner, queues[3], "");
    set_key(&mut p, prod, "eu.orders");
    let mut sim = Sim::new(&p.topology);
    assert!(sim.problems().is_empty(), "{:?}", sim.problems());
    sim.perform(Action::Publish(prod));
    let copy = |q: &str| MessageRef::Rabbit(sim.queue("/", q).unwrap().messages[0].id);
    let mut flown: Vec<(EdgeId, MessageRef)> = sim.flights().map(|f| (f.edge, f.message.clone())).collect();
    flown.sort_by_key(|f| f.0);
    let mut expected = vec![
        (publish, MessageRef::Rabbit(0)),
        (eu, copy("q1")),
        (orders, copy("q2")),
        (onward, MessageRef::Rabbit(0)),
        (fanned, copy("q4")),
    ];
    expected.sort_by_key(|f| f.0);
    assert_eq!(flown, expected);
    assert!(!flown.iter().any(|f| f.0 == us));
}

#[test]
fn a_channel_error_closes_the_channel_in_the_log_and_shows_beside_the_producer() {
    let mut p = Playground::default();
    let prod = p.add_node(NodeKind::Producer, None);
    let x = p.add_exchange(ExchangeKind::Direct, None);
    p.rename(x, "amq.mine").unwrap();
    p.connect(prod, x).unwrap();
    let mut sim = Sim::new(&p.topology);
    // The broker keeps the `amq.` prefix for itself.
    assert_eq!(sim.part_problems().len(), 1, "{:?}", sim.problems());
    assert_eq!(sim.part_problems()[0].part, Part::Node(x));
    assert!(sim.part_problems()[0].error.starts_with("403 ACCESS_REFUSED"), "{:?}", sim.problems());
    sim.perform(Action::Publish(prod));
    let log: Vec<&str> = sim.log().map(|l| l.text.as_str()).collect();
    assert!(
        log.iter().any(|l| l.starts_with("the broker closed the channel of p1: 404 NOT_FOUND")),
        "the closing event is in the log: {log:?}"
    );
    assert!(log.iter().any(|l| l.starts_with("Producer p1: 404 NOT_FOUND")), "{log:?}");
    let readout = sim.readout(prod);
    assert!(readout.lines.iter().any(|l| l.contains("404 NOT_FOUND")), "{:?}", readout.lines);
    // The next publish opens a fresh channel and meets the same refusal,
    // which is not logged twice.
    sim.perform(Action::Publish(prod));
    let again = sim.log().filter(|l| l.text.starts_with("Producer p1: 404")).count();
    assert_eq!(again, 1);
}

#[test]
fn a_crashed_consumer_hands_its_message_back_and_connects_again() {
    let mut p = Playground::default();
    let prod = p.add_node(NodeKind::Producer, None);
    let q = p.add_node(NodeKind::Queue, None);
    let c = p.add_node(NodeKind::Consumer, None);
    p.connect(prod, q).unwrap();
    p.connect(q, c).unwrap();
    let crash = ConsumerSettings { failure: Failure::Crash, processing_ms: 100, ..Default::default() };
    p.configure(c, NodeConfig::Consumer(crash)).unwrap();
    let mut sim = Sim::new(&p.topology);
    sim.perform(Action::Publish(prod));
    sim.step();
    assert!(sim.consumer(c).unwrap().down);
    let id = sim.queue("/", "q1").unwrap().messages[0].id;
    let lines = &sim.message(id).unwrap().lines;
    assert!(lines.iter().any(|l| l.contains("crashed while processing it")), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("returned to q1")), "{lines:?}");
    for _ in 0..10 {
        sim.step();
    }
    assert!(sim.log().any(|l| l.text.contains("(redelivered)") || l.text.contains("crashed")));
    let redelivered = sim.message(id).unwrap().lines.iter().any(|l| l.contains("(redelivered)"));
    assert!(redelivered, "{:?}", sim.message(id).unwrap().lines);
}

#[test]
fn a_rabbitmq_restart_keeps_the_canvas_running() {
    let mut p = Playground::default();
    let prod = p.add_node(NodeKind::Producer, None);
    let q = p.add_node(NodeKind::Queue, None);
    let c = p.add_node(NodeKind::Consumer, None);
    p.connect(prod, q).unwrap();
    p.connect(q, c).unwrap();
    let auto = ConsumerSettings { ack_mode: AckMode::Auto, processing_ms: 0, ..Default::default() };
    p.configure(c, NodeConfig::Consumer(auto)).unwrap();
    let mut sim = Sim::new(&p.topology);
    sim.perform(Action::RestartRabbit);
    assert!(sim.consumer(c).unwrap().down);
    assert!(sim.queue("/", "q1").is_some(), "the queue is declared again");
    for _ in 0..11 {
        sim.step();
    }
    assert!(!sim.consumer(c).unwrap().down, "{:?}", sim.log().map(|l| &l.text).collect::<Vec<_>>());
    sim.perform(Action::Publish(prod));
    sim.step();
    assert_eq!(sim.consumer(c).unwrap().done, 1);
    assert!(sim.problems().is_empty(), "{:?}", sim.problems());
}

fn set(p: &mut Playground, id: NodeId, f: impl FnOnce(&mut NodeConfig)) {
    let mut c = p.topology.node(id).unwrap().config.clone();
    f(&mut c);
    p.configure(id, c).unwrap();
}

fn records(sim: &Sim, topic: &str) -> usize {
    let cluster = sim.cluster().unwrap();
    let partitions = cluster.topic(topic).unwrap().partitions.len() as u32;
    (0..partitions).map(|p| cluster.records(topic, p).unwrap().len()).sum()
}

/// With one of three brokers down, a topic cannot have three in-sync
/// replicas: a producer with `acks=all` and `min.insync.replicas=3` is
/// refused, one with `acks=1` is not. The run uses what the inspector set.
#[test]
fn a_producers_acks_and_a_topics_min_insync_replicas_are_what_the_run_uses() {
    let (mut p, _, prod) = kafka_group(0, 3, 3);
    let t = p.topology.named(NodeKind::Topic, "t1").unwrap().id;
    set(&mut p, t, |c| {
        if let NodeConfig::Topic(s) = c {
            s.min_insync_replicas = Some(3);
        }
    });
    let run = |p: &Playground| {
        let mut sim = Sim::new(&p.topology);
        sim.perform(Action::CrashBroker(2));
        // Out of the ISR once the controller fences it, 9 s on.
        for _ in 0..95 {
            sim.step();
        }
        sim.perform(Action::Burst(prod));
        // The burst lingers 5 ms in the producer (Kafka 4's linger.ms).
        sim.step();
        sim
    };
    let sim = run(&p);
    assert_eq!(records(&sim, "t1"), 0, "acks=all needs three in-sync replicas");
    assert!(sim.log().any(|l| l.text.contains("NotEnoughReplicas")), "the log says why");
    set(&mut p, prod, |c| {
        if let NodeConfig::Producer(s) = c {
            s.set_acks(Acks::One);
        }
    });
    let sim = run(&p);
    assert_eq!(records(&sim, "t1"), 10, "acks=1 needs only the leader");
}

/// A producer with a transactional id commits each record on its own, so a
/// `read_committed` member reads it.
#[test]
fn a_transactional_producer_commits_each_record_for_a_read_committed_member() {
    let (mut p, cs, prod) = kafka_group(1, 1, 1);
    set(&mut p, prod, |c| {
        if let NodeConfig::Producer(s) = c {
            s.transactional_id = "checkout-tx".into();
        }
    });
    set(&mut p, cs[0], |c| {
        if let NodeConfig::Consumer(s) = c {
            s.isolation = Isolation::ReadCommitted;
        }
    });
    let mut sim = Sim::new(&p.topology);
    assert!(sim.problems().is_empty(), "{:?}", sim.problems());
    sim.perform(Action::Publish(prod));
    for _ in 0..40 {
        sim.step();
    }
    assert_eq!(sim.consumer(cs[0]).unwrap().done, 1, "{:?}", sim.log().map(|l| &l.text).collect::<Vec<_>>());
}

/// A producer publishes in the vhost of the exchange it is wired to, and a
/// consumer consumes and acknowledges in its queue's vhost.
#[test]
fn clients_work_in_the_vhost_of_the_parts_they_are_wired_to() {
    let mut p = Playground::default();
    let prod = p.add_node(NodeKind::Producer, None);
    let x = p.add_exchange(ExchangeKind::Fanout, None);
    let q = p.add_node(NodeKind::Queue, None);
    let c = p.add_node(NodeKind::Consumer, None);
    for id in [x, q] {
        set(&mut p, id, |c| match c {
            NodeConfig::Exchange(s) => s.vhost = "staging".into(),
            NodeConfig::Queue(s) => s.vhost = "staging".into(),
            _ => {}
        });
    }
    p.connect(prod, x).unwrap();
    p.connect(x, q).unwrap();
    let mut sim = Sim::new(&p.topology);
    assert!(sim.problems().is_empty(), "{:?}", sim.problems());
    sim.perform(Action::Publish(prod));
    assert_eq!(sim.queue("staging", "q1").unwrap().messages.len(), 1);
    assert!(sim.queue("/", "q1").is_none(), "nothing in the default vhost");
    p.connect(q, c).unwrap();
    let mut sim = Sim::new(&p.topology);
    sim.perform(Action::Publish(prod));
    for _ in 0..10 {
        sim.step();
    }
    assert_eq!(sim.consumer(c).unwrap().done, 1);
    assert!(sim.queue("staging", "q1").unwrap().messages.is_empty(), "acknowledged in staging");
    assert!(sim.problems().is_empty(), "{:?}", sim.problems());
}

/// A producer publishing straight to a stream read by two consumers, one
/// from `first` and one from `next`.
fn stream_with_two_readers() -> (Playground, NodeId, NodeId, NodeId, NodeId) {
    let mut p = Playground::default();
    let prod = p.add_node(NodeKind::Producer, None);
    let q = p.add_stream(None);
    let first = p.add_node(NodeKind::Consumer, None);
    let next = p.add_node(NodeKind::Consumer, None);
    p.connect(prod, q).unwrap();
    p.connect(q, first).unwrap();
    p.connect(q, next).unwrap();
    let reading = |offset| NodeConfig::Consumer(ConsumerSettings { stream_offset: offset, ..Default::default() });
    p.configure(first, reading(StreamOffset::First)).unwrap();
    p.configure(next, reading(StreamOffset::Next)).unwrap();
    (p, prod, q, first, next)
}

fn facts(sim: &Sim, id: NodeId, label: &str) -> Vec<String> {
    sim.readout(id).facts.into_iter().find(|f| f.label == label).map(|f| f.items).unwrap_or_default()
}

#[test]
fn a_stream_card_shows_its_offsets_and_each_readers_position_and_keeps_what_was_read() {
    let (p, prod, q, first, next) = stream_with_two_readers();
    let mut sim = Sim::new(&p.topology);
    assert!(sim.problems().is_empty(), "{:?}", sim.problems());
    assert_eq!(facts(&sim, q, "Offsets of stream q1"), ["empty; the next record gets offset 0"]);
    assert_eq!(facts(&sim, q, "Consumer positions in stream q1"), ["c1 next offset 0", "c2 next offset 0"]);
    for _ in 0..5 {
        sim.perform(Action::Publish(prod));
    }
    for _ in 0..30 {
        sim.step();
    }
    assert_eq!(facts(&sim, q, "Offsets of stream q1"), ["first offset 0", "last offset 4"]);
    assert_eq!(facts(&sim, q, "Consumer positions in stream q1"), ["c1 next offset 5", "c2 next offset 5"]);
    let (a, b) = (sim.consumer(first).unwrap(), sim.consumer(next).unwrap());
    assert_eq!((a.done, b.done, a.working, b.working), (5, 5, 0, 0), "each reader read every record and acked it");
    let records = sim.readout(q).lists.into_iter().find(|l| l.label == "Records in stream q1").unwrap();
    let texts: Vec<&str> = records.items.iter().map(|(_, t)| t.split(' ').take(2).last().unwrap_or_default()).collect();
    assert_eq!(texts, ["0", "1", "2", "3", "4"], "reading removes nothing from a stream");
    let stream = sim.stream("/", "q1").unwrap();
    assert!(stream.consumers.iter().all(|c| c.unacked.is_empty() && c.credit == 10), "manual acks gave credit back");

    // After a broker restart the clients attach again: `first` reads the
    // whole log once more, `next` only what comes after.
    sim.perform(Action::RestartRabbit);
    for _ in 0..40 {
        sim.step();
    }
    let (a, b) = (sim.consumer(first).unwrap(), sim.consumer(next).unwrap());
    assert_eq!((a.done, b.done), (10, 5));
    assert_eq!(facts(&sim, q, "Consumer positions in stream q1"), ["c1 next offset 5", "c2 next offset 5"]);
    let log = sim.log().map(|l| l.text.clone()).collect::<Vec<_>>().join("\n");
    assert!(log.contains("c1 attached to stream q1 at offset 0"), "{log}");
    assert!(log.contains("c2 attached to stream q1 at offset 5"), "{log}");
}

#[test]
fn a_stream_consumer_from_a_given_offset_starts_there() {
    let (mut p, prod, q, first, _) = stream_with_two_readers();
    let reading =
        NodeConfig::Consumer(ConsumerSettings { stream_offset: StreamOffset::Offset(3), ..Default::default() });
    p.configure(first, reading).unwrap();
    let mut sim = Sim::new(&p.topology);
    assert_eq!(facts(&sim, q, "Consumer positions in stream q1"), ["c1 next offset 3", "c2 next offset 0"]);
    for _ in 0..5 {
        sim.perform(Action::Publish(prod));
    }
    for _ in 0..30 {
        sim.step();
    }
    assert_eq!(sim.consumer(first).unwrap().done, 2, "offsets 3 and 4 only");
}

#[test]
fn a_stream_refuses_an_automatic_acknowledging_consumer_beside_it() {
    let (mut p, _, _, first, _) = stream_with_two_readers();
    let auto = NodeConfig::Consumer(ConsumerSettings { ack_mode: AckMode::Auto, ..Default::default() });
    p.configure(first, auto).unwrap();
    let sim = Sim::new(&p.topology);
    let shown = sim.readout(first).lines.join("\n");
    assert!(shown.contains("\u{26a0}") && shown.contains("automatic acknowledgement not supported"), "{shown}");
}

#[test]
fn the_release_is_applied_to_the_run_and_its_refusals_show_beside_the_part() {
    use brokerlab_scenario::RabbitVersion;
    let mut p = Playground::default();
    let q = p.add_node(NodeKind::Queue, None);
    let transient = NodeConfig::Queue(QueueSettings { durable: false, ..Default::default() });
    p.configure(q, transient).unwrap();
    // RabbitMQ 4.3 refuses transient queues that are not exclusive; 4.2
    // declared them with a deprecation warning.
    let sim = Sim::new(&p.topology);
    assert!(!sim.problems_of(Part::Node(q)).is_empty(), "4.3 refuses a transient queue");
    assert_eq!(sim.queue_facts(q).unwrap().release, "RabbitMQ 4.3 (4.3.5)");
    p.set_rabbitmq_version(RabbitVersion::V4_2);
    let sim = Sim::new(&p.topology);
    assert!(sim.problems_of(Part::Node(q)).is_empty(), "{:?}", sim.problems());
    assert!(sim.queue("/", "q1").is_some());
    assert_eq!(sim.queue_facts(q).unwrap().release, "RabbitMQ 4.2 (4.2.9)");
    assert_eq!(sim.session.rabbit().version(), RabbitVersion::V4_2.engine());
}

/// A policy form for the tests: `name` on every name matching `pattern`.
fn policy(
    name: &str,
    pattern: &str,
    priority: &str,
    definition: &str,
) -> crate::playground::model::policies::PolicyForm {
    crate::playground::model::policies::PolicyForm {
        name: name.into(),
        pattern: pattern.into(),
        priority: priority.into(),
        definition: definition.into(),
        ..crate::playground::model::policies::PolicyForm::new()
    }
}

#[test]
fn a_canvas_policy_applies_to_its_queues_and_the_inspector_names_it() {
    let mut p = Playground::default();
    let q = p.add_node(NodeKind::Queue, None);
    let prod = p.add_node(NodeKind::Producer, None);
    p.connect(prod, q).unwrap();
    let sim = Sim::new(&p.topology);
    assert_eq!(sim.queue_facts(q).unwrap().effective_policy, "none");
    assert_eq!(sim.queue_facts(prod), None, "only a queue has queue facts");

    // Two policies match q1; the higher priority applies, and its
    // max-length drops the oldest message (drop-head, RabbitMQ's default).
    p.set_policy(&policy("wide", ".*", "0", "max-length=5"), None).unwrap();
    p.set_policy(&policy("cap", "^q", "1", "max-length=2"), None).unwrap();
    let mut sim = Sim::new(&p.topology);
    assert!(sim.problems().is_empty(), "{:?}", sim.problems());
    for _ in 0..3 {
        sim.perform(Action::Publish(prod));
    }
    assert_eq!(depth(&sim, "q1"), 2);
    assert_eq!(sim.queue_facts(q).unwrap().effective_policy, "cap (max-length=2)");

    // A queue argument below the policy's limit wins for a classic queue
    // (the lower of the two, rabbit_amqqueue_process).
    let NodeConfig::Queue(mut settings) = p.topology.node(q).unwrap().config.clone() else { unreachable!() };
    settings.max_length = Some(1);
    p.configure(q, NodeConfig::Queue(settings)).unwrap();
    let mut sim = Sim::new(&p.topology);
    for _ in 0..3 {
        sim.perform(Action::Publish(prod));
    }
    assert_eq!(depth(&sim, "q1"), 1);

    // Removing the policy is one undo step, and undo brings it back.
    p.remove_policy("/", "cap");
    assert_eq!(p.topology.policies.len(), 1);
    p.undo();
    assert_eq!(p.topology.policies.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["wide", "cap"]);
}

#[test]
fn a_policy_the_broker_refuses_is_named_with_its_reason() {
    use brokerlab_scenario::RabbitVersion;
    let mut p = Playground::default();
    p.add_node(NodeKind::Queue, None);
    p.set_policy(&policy("bad", "^q", "0", "max-length=lots"), None).unwrap();
    let sim = Sim::new(&p.topology);
    let why = sim.policy_problem("/", "bad").expect("the broker refuses a max-length that is not a number");
    assert!(why.contains("not a valid maximum length"), "{why}");
    assert!(sim.problems().iter().any(|pr| pr.contains("bad")), "{:?}", sim.problems());
    // A 3.10 broker has no per-queue-type apply-to (3.12 added them).
    let mut p = Playground::default();
    p.add_node(NodeKind::Queue, None);
    p.set_rabbitmq_version(RabbitVersion::V3_10);
    let form = crate::playground::model::policies::PolicyForm {
        apply_to: "quorum_queues".into(),
        ..policy("qq", "^q", "0", "max-length=1")
    };
    p.set_policy(&form, None).unwrap();
    assert!(Sim::new(&p.topology).policy_problem("/", "qq").is_some());
    p.set_rabbitmq_version(RabbitVersion::V4_3);
    assert_eq!(Sim::new(&p.topology).policy_problem("/", "qq"), None);
}

fn lines_of(sim: &Sim, id: NodeId) -> Vec<String> {
    let r = sim.readout(id);
    r.lines.into_iter().chain(r.facts.into_iter().flat_map(|f| f.items)).collect()
}

/// Adding a member restarts the group's protocol: the group card and the
/// log go through the coordinator's phases to a stable generation, naming
/// the coordinator and each member's partitions.
#[test]
fn a_group_card_and_the_log_follow_a_rebalance_through_its_phases() {
    let (p, cs, _) = kafka_group(2, 3, 3);
    let g = p.topology.named(NodeKind::Group, "g1").unwrap().id;
    let mut sim = Sim::new(&p.topology);
    sim.step();
    let first = lines_of(&sim, g);
    assert!(first[0].starts_with("Rebalancing: waiting for members to join (1 of 2 joined"), "{first:?}");
    let coordinator = sim.cluster().unwrap().group("g1").unwrap().coordinator.unwrap();
    assert!(first[1].starts_with(&format!("Coordinator: broker {coordinator} (__consumer_offsets-")), "{first:?}");
    sim.step();
    let settled = lines_of(&sim, g);
    assert_eq!(settled[0], "Stable, generation 2");
    assert!(settled.contains(&"c1: t1-0".to_string()) && settled.contains(&"c2: t1-1".to_string()), "{settled:?}");
    assert!(lines_of(&sim, cs[1]).contains(&"generation 2".to_string()));
    let log: Vec<&str> = sim.log().map(|l| l.text.as_str()).collect();
    for phase in [
        "g1: Rebalancing: waiting for members to join",
        "g1: Rebalancing: waiting for the leader's assignment",
        "g1: Stable, generation 2",
        "c1 gave up t1-0 t1-1",
    ] {
        assert!(log.contains(&phase), "{phase} in {log:?}");
    }
}

/// acks=all with the ISR below `min.insync.replicas`: the producer card
/// shows the partition's retry with its error and next attempt until the
/// followers are back, and the record is then written once.
#[test]
fn a_producer_card_shows_a_retry_waiting_below_min_isr_until_the_followers_return() {
    let (mut p, _, prod) = kafka_group(0, 3, 3);
    let t = p.topology.named(NodeKind::Topic, "t1").unwrap().id;
    set(&mut p, t, |c| {
        if let NodeConfig::Topic(s) = c {
            s.partitions = 1;
            s.min_insync_replicas = Some(2);
        }
    });
    let mut sim = Sim::new(&p.topology);
    let leader = sim.cluster().unwrap().partition("t1", 0).unwrap().leader.unwrap();
    let followers: Vec<u32> = (0..3).filter(|b| *b != leader).collect();
    for b in &followers {
        sim.perform(Action::CrashBroker(*b));
    }
    // Fenced, so out of the ISR, once their sessions expire (9 s).
    for _ in 0..100 {
        sim.step();
    }
    sim.perform(Action::Publish(prod));
    sim.step();
    let lines = lines_of(&sim, prod);
    let retry = lines.iter().find(|l| l.starts_with("t1-0: retry ")).cloned().unwrap_or_default();
    assert!(retry.contains(", NotEnoughReplicas, next in "), "{lines:?}");
    assert_eq!(records(&sim, "t1"), 0);
    // "Why" for the write that failed: from the producer card's list of the
    // partitions it waits on, and from the log's line of the failure.
    let waits = sim.readout(prod).lists.into_iter().find(|l| l.label == "Partitions p1 waits on").expect("a list");
    assert_eq!(waits.items.iter().map(|i| i.1.as_str()).collect::<Vec<_>>(), ["t1-0"]);
    let why = sim.explain(&waits.items[0].0).unwrap();
    assert_eq!(why.title, "What p1 waits for on t1-0");
    assert!(why.facts.contains(&format!("leader broker {leader}")), "{:?}", why.facts);
    assert!(why.facts.contains(&format!("in-sync replicas {leader} of 3")), "{:?}", why.facts);
    assert!(
        why.decisions.iter().any(|(ok, d)| !ok && d.contains("failed with NotEnoughReplicas")),
        "{:?}",
        why.decisions
    );
    let failed = sim.log().find(|l| l.text.starts_with("p1 to t1-0 failed: NotEnoughReplicas")).expect("a log line");
    assert_eq!(failed.message.as_ref(), Some(&waits.items[0].0));
    assert!(why.history.iter().any(|h| h.contains("p1 to t1-0 failed: NotEnoughReplicas")), "{:?}", why.history);
    for b in &followers {
        sim.perform(Action::RestartBroker(*b));
    }
    for _ in 0..150 {
        sim.step();
    }
    assert_eq!(records(&sim, "t1"), 1, "written once, after the followers are back");
    let lines = lines_of(&sim, prod);
    assert!(!lines.iter().any(|l| l.contains(": retry ")), "{lines:?}");
    let settled = sim.explain(&waits.items[0].0).unwrap();
    assert_eq!(settled.facts[0], "nothing waiting now: every record was written and acknowledged, or failed for good");
}

/// A transactional producer's card names its transaction's state and
/// coordinator; a read_committed member's names its last stable offsets.
#[test]
fn a_transactional_producer_shows_its_transaction_and_a_read_committed_member_its_lso() {
    let (mut p, cs, prod) = kafka_group(1, 1, 1);
    set(&mut p, prod, |c| {
        if let NodeConfig::Producer(s) = c {
            s.transactional_id = "checkout-tx".into();
        }
    });
    set(&mut p, cs[0], |c| {
        if let NodeConfig::Consumer(s) = c {
            s.isolation = Isolation::ReadCommitted;
        }
    });
    let mut sim = Sim::new(&p.topology);
    sim.perform(Action::Publish(prod));
    for _ in 0..5 {
        sim.step();
    }
    let txn = facts(&sim, prod, "Transaction of p1");
    assert_eq!(txn, vec!["checkout-tx: CompleteCommit", "coordinator broker 0 \u{b7} epoch 1"]);
    let lso = facts(&sim, cs[0], "Last stable offsets for c1");
    assert_eq!(lso.len(), 2, "{lso:?}");
    assert!(lso.iter().all(|l| l.contains(" LSO ") && !l.contains("holds it back")), "{lso:?}");
}

fn share_group(members: usize) -> (Playground, NodeId, Vec<NodeId>, NodeId) {
    let mut p = Playground::default();
    p.add_node(NodeKind::Broker, None);
    let prod = p.add_node(NodeKind::Producer, None);
    let t = p.add_node(NodeKind::Topic, None);
    set(&mut p, t, |c| {
        if let NodeConfig::Topic(s) = c {
            s.partitions = 1;
        }
    });
    let g = p.add_node(NodeKind::ShareGroup, None);
    p.connect(prod, t).unwrap();
    p.connect(t, g).unwrap();
    let cs = (0..members)
        .map(|_| {
            let c = p.add_node(NodeKind::Consumer, None);
            p.connect(g, c).unwrap();
            set(&mut p, c, |cfg| {
                if let NodeConfig::Consumer(s) = cfg {
                    s.prefetch = 3;
                }
            });
            c
        })
        .collect();
    (p, g, cs, prod)
}

/// Two share consumers read one partition together: the share group card
/// shows records acquired by each, the faster one's acknowledged while the
/// slower one still holds the records before them, and the start offset
/// moving past both; a rejecting member's records are archived.
#[test]
fn a_share_group_card_follows_each_records_state_and_delivery_count() {
    let (mut p, g, cs, prod) = share_group(2);
    set(&mut p, cs[0], |c| {
        if let NodeConfig::Consumer(s) = c {
            s.failure = Failure::Slow;
        }
    });
    let mut sim = Sim::new(&p.topology);
    assert!(sim.problems().is_empty(), "{:?}", sim.problems());
    sim.step();
    sim.perform(Action::Burst(prod));
    sim.step();
    let label = "Share-partition t1-0 of s1";
    let held = facts(&sim, g, label);
    assert_eq!(held[0], "start offset 0 \u{b7} in flight 0..=5 (6 records)", "{held:?}");
    assert!(held[1].starts_with("available 0 \u{b7} acquired 6 \u{b7} acknowledged 0"), "{held:?}");
    assert!(held.contains(&"offset 0 acquired by c1, delivery 1".to_string()), "{held:?}");
    assert!(held.contains(&"offset 3 acquired by c2, delivery 1".to_string()), "{held:?}");
    let log: Vec<&str> = sim.log().map(|l| l.text.as_str()).collect();
    assert!(log.contains(&"c1 acquired t1-0 offsets 0 (delivery 1), 1 (delivery 1), 2 (delivery 1)"), "{log:?}");
    // c2 takes 0.9 s for its three records, c1 five times as long.
    for _ in 0..10 {
        sim.step();
    }
    let mid = facts(&sim, g, label);
    assert_eq!(mid[0].split(" \u{b7} ").next(), Some("start offset 0"), "{mid:?}");
    assert!(mid.contains(&"offset 0 acquired by c1, delivery 1".to_string()), "{mid:?}");
    assert!(mid.contains(&"offset 3 acknowledged, delivery 1".to_string()), "{mid:?}");
    for _ in 0..80 {
        sim.step();
    }
    let done = facts(&sim, g, label);
    assert_eq!(done[0], "start offset 10 \u{b7} nothing in flight", "{done:?}");
    assert_eq!(sim.consumer(cs[0]).unwrap().done + sim.consumer(cs[1]).unwrap().done, 10);

    // A member that rejects what it reads archives it.
    set(&mut p, cs[1], |c| {
        if let NodeConfig::Consumer(s) = c {
            s.failure = Failure::Nack;
        }
    });
    let mut sim = Sim::new(&p.topology);
    sim.step();
    sim.perform(Action::Burst(prod));
    for _ in 0..11 {
        sim.step();
    }
    let states = facts(&sim, g, label);
    assert!(states.contains(&"offset 3 archived, delivery 1".to_string()), "{states:?}");
    assert!(sim.log().any(|l| l.text == "c2 rejected t1-0 offset 3: archived"));
}

/// A share group round-trips through the scenario format as one, with its
/// members as share consumers and its subscription, with or without members.
#[test]
fn a_share_group_is_written_as_share_consumers_and_read_back() {
    let (mut p, _, _, _) = share_group(1);
    let s = crate::playground::scenario::to_scenario(&p.topology).unwrap();
    assert_eq!(s.kafka.share_consumers.len(), 1);
    assert_eq!(s.kafka.share_consumers[0].group_id, "s1");
    assert_eq!(s.kafka.share_consumers[0].topics, vec!["t1".to_string()]);
    assert!(s.kafka.consumers.is_empty());
    assert_eq!(crate::playground::scenario::from_scenario(&s).unwrap(), p.topology.canonical());
    let member = p.topology.edges.iter().find(|e| e.role == EdgeRole::Member).unwrap().id;
    p.delete_edge(member);
    let s = crate::playground::scenario::to_scenario(&p.topology).unwrap();
    assert_eq!(crate::playground::scenario::from_scenario(&s).unwrap(), p.topology.canonical());
}

/// Consumer groups and share groups share Kafka's one namespace of group ids.
#[test]
fn a_share_group_cannot_take_a_consumer_groups_id() {
    let mut p = Playground::default();
    p.add_node(NodeKind::Group, None);
    let s = p.add_node(NodeKind::ShareGroup, None);
    assert!(p.rename(s, "g1").is_err());
}

/// A topic the engine refused (three replicas on one broker) is still asked
/// for by its consumer group and its producer, and Kafka 4's broker
/// auto-creates it with its own defaults (`num.partitions` 1,
/// `default.replication.factor` 1): the run goes on on that topic, the log
/// says so, and the canvas topic keeps its problem.
#[test]
fn a_topic_the_engine_auto_created_runs_and_is_logged() {
    let (p, cs, prod) = kafka_group(1, 1, 3);
    let mut sim = Sim::new(&p.topology);
    assert!(sim.problems().iter().any(|e| e.contains("replication factor")), "{:?}", sim.problems());
    sim.perform(Action::Burst(prod));
    for _ in 0..40 {
        sim.step();
    }
    let cluster = sim.cluster().unwrap();
    let topic = cluster.topic("t1").expect("auto-created");
    assert_eq!((topic.partitions.len(), topic.partitions[0].replicas.len()), (1, 1));
    assert!(sim.log().any(|l| l.text.contains("auto-created")), "{:?}", sim.log().map(|l| &l.text).collect::<Vec<_>>());
    assert!(sim.consumer(cs[0]).unwrap().done > 0);
    for n in &p.topology.nodes {
        let _ = sim.readout(n.id);
    }
}

/// KIP-966 in the journal (Kafka 4.1, ELR on by default): RF 3 and
/// `min.insync.replicas=2`; two followers and then the leader crash, so the
/// ISR empties into the ELR; the last follower to crash comes back from its
/// unclean shutdown, leaves the ELR, and the journal says why it cannot lead.
#[test]
fn a_broker_back_from_a_crash_leaves_the_elr_and_the_journal_says_so() {
    let mut p = Playground::default();
    for _ in 0..3 {
        p.add_node(NodeKind::Broker, None);
    }
    let t = p.add_node(NodeKind::Topic, None);
    p.configure(
        t,
        NodeConfig::Topic(TopicSettings {
            partitions: 1,
            replication_factor: 3,
            min_insync_replicas: Some(2),
            ..TopicSettings::default()
        }),
    )
    .unwrap();
    let mut sim = Sim::new(&p.topology);
    let log = |s: &Sim| s.log().map(|l| l.text.clone()).collect::<Vec<_>>().join("\n");
    let replicas: Vec<u32> =
        sim.cluster().unwrap().partition("t1", 0).unwrap().replicas.iter().map(|r| r.broker).collect();
    let (leader, second, third) = (replicas[0], replicas[1], replicas[2]);
    for b in [second, third, leader] {
        sim.perform(Action::CrashBroker(b));
        for _ in 0..100 {
            sim.step();
        }
    }
    let part = sim.cluster().unwrap().partition("t1", 0).unwrap();
    assert_eq!((part.leader, part.isr.len(), part.elr.len()), (None, 0, 2), "{}", log(&sim));
    sim.perform(Action::RestartBroker(third));
    sim.step();
    assert!(
        log(&sim).contains(&format!(
            "t1-0: broker {third} is back from an unclean shutdown and leaves the eligible leader replicas [{leader}]"
        )),
        "{}",
        log(&sim)
    );
}

/// KIP-848's revocation deadline in the journal: the playground's consumers
/// revoke in the background at once, so the event is fed in directly, as a
/// scenario with a rebalance listener would produce it.
#[test]
fn the_journal_says_why_a_member_that_did_not_revoke_in_time_was_fenced() {
    let (p, _, _) = kafka_group(1, 1, 1);
    let mut sim = Sim::new(&p.topology);
    let outcome = StepOutcome {
        kafka: vec![brokerlab_kafka::Event::MemberRevocationTimedOut {
            group: "g1".into(),
            member: "c1".into(),
            member_epoch: 3,
            partitions: vec![brokerlab_kafka::TopicPartition::new("t1", 1)],
            rebalance_timeout_ms: 10_000,
        }],
        ..StepOutcome::default()
    };
    let cx = Context { topology: &sim.topology, names: &sim.names, session: &sim.session, client: None, now_ms: 0 };
    sim.journal.absorb(&outcome, cx);
    let log = sim.log().map(|l| l.text.clone()).collect::<Vec<_>>().join("\n");
    assert!(
        log.contains(
            "c1 did not give up t1-1 within its rebalance timeout (10.0 s, its max.poll.interval.ms): the \
             coordinator fences it from g1 and hands its partitions on"
        ),
        "{log}"
    );
}

/// Every action has a visible result: a record produced to a partition
/// whose leader is down says so in the log, and again once the partition
/// has no leader at all.
#[test]
fn a_produce_to_a_partition_without_a_live_leader_says_so() {
    let (p, _, prod) = kafka_group(0, 1, 1);
    let mut sim = Sim::new(&p.topology);
    sim.step();
    sim.perform(Action::CrashBroker(0));
    sim.perform(Action::Publish(prod));
    let said = |sim: &Sim, what: &str| sim.log().filter(|l| l.text.contains(what)).count();
    assert_eq!(said(&sim, "p1 cannot send 1 record to t1-"), 1, "{:?}", sim.log().map(|l| &l.text).collect::<Vec<_>>());
    assert_eq!(said(&sim, "its leader, broker 0, is down; they wait in its accumulator"), 1);
    // Fenced after its session timeout (9 s): no replica can lead.
    for _ in 0..100 {
        sim.step();
    }
    sim.perform(Action::Publish(prod));
    assert_eq!(said(&sim, "the partition has no leader"), 1, "{:?}", sim.log().map(|l| &l.text).collect::<Vec<_>>());
}

/// Metrics over time: a queue without a consumer fills at its producer's
/// rate; a Kafka topic counts its under-replicated partitions once a crashed
/// broker leaves the ISR, and the crash is a mark the changes are measured
/// from; a replay rebuilds the series up to the moment scrubbed to.
#[test]
fn metrics_follow_the_run_and_its_crashes_and_replay_with_it() {
    use crate::playground::metrics::deltas;
    let mut p = Playground::default();
    let prod = p.add_node(NodeKind::Producer, None);
    let q = p.add_node(NodeKind::Queue, None);
    p.connect(prod, q).unwrap();
    let NodeConfig::Producer(mut s) = p.topology.node(prod).unwrap().config.clone() else { unreachable!() };
    s.rate = 20;
    p.configure(prod, NodeConfig::Producer(s)).unwrap();
    let mut sim = Sim::new(&p.topology);
    for _ in 0..30 {
        sim.step();
    }
    let value = |sim: &Sim, id: NodeId, name: &str| {
        sim.metrics().of(id).iter().find(|s| s.name == name).and_then(|s| s.now()).unwrap_or(f64::NAN)
    };
    assert_eq!(value(&sim, q, "ready"), 60.0);
    assert_eq!(value(&sim, q, "published /s"), 20.0);
    assert_eq!(value(&sim, q, "delivered /s"), 0.0);
    assert_eq!(sim.metrics().of(q)[0].points.len(), 30);

    let (p, _, _) = kafka_group(1, 3, 3);
    let t = p.topology.named(NodeKind::Topic, "t1").unwrap().id;
    let mut sim = Sim::new(&p.topology);
    for _ in 0..5 {
        sim.step();
    }
    assert_eq!(value(&sim, t, "under-replicated partitions"), 0.0);
    sim.perform(Action::CrashBroker(1));
    for _ in 0..200 {
        sim.step();
    }
    assert_eq!(value(&sim, t, "under-replicated partitions"), 2.0, "broker 1 is out of both ISRs");
    let mark = sim.metrics().marks().last().unwrap().clone();
    assert_eq!((mark.tick, mark.text.as_str()), (5, "broker 1 crashed"));
    let changes = deltas(sim.metrics().of(t), &mark);
    assert!(changes.contains(&"under-replicated partitions 0 \u{2192} 2 (+2)".to_string()), "{changes:?}");
    assert!(changes.iter().any(|c| c.starts_with("P0 ISR size 3 \u{2192} 2")), "{changes:?}");

    let earlier = Sim::replay(&p.topology, sim.actions(), 50);
    let series = &earlier.metrics().of(t)[0];
    assert_eq!(series.points.back().map(|p| p.0), Some(50));
    assert_eq!(earlier.metrics().marks(), &sim.metrics().marks()[..1]);
}
