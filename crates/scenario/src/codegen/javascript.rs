//! The JavaScript (Node.js) program: amqplib for RabbitMQ, kafkajs for
//! Kafka. [`javascript`] writes the declarations and an async `main` that
//! replays the script; the helpers below it write one subscription,
//! binding, consumer or action.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{comment_lines, is_rabbit, lit};
use crate::model::{Action, Arguments, DestinationType, ExchangeDef, QueueDef, Scenario};

fn js_args(a: &Arguments) -> String {
    serde_json::to_string(a).unwrap_or_default()
}

/// A JavaScript (Node.js) program (amqplib, kafkajs) equivalent to the scenario.
pub fn javascript(s: &Scenario) -> String {
    let r = &s.rabbitmq;
    let k = &s.kafka;
    let uses_rabbit = !r.is_empty() || s.script.iter().any(is_rabbit);
    let uses_kafka = !k.is_empty();
    let mut o = String::new();
    let title = if s.title.is_empty() { "a Brokerlab scenario".to_string() } else { s.title.clone() };
    let _ = writeln!(o, "// {title}");
    comment_lines(&mut o, "// ", &s.description);
    let mut reqs = Vec::new();
    if uses_rabbit {
        reqs.push("amqplib");
    }
    if uses_kafka {
        reqs.push("kafkajs");
    }
    let _ = writeln!(o, "//\n// Requires: npm install {}", reqs.join(" "));
    if uses_rabbit {
        let _ = writeln!(o, "const amqp = require(\"amqplib\");");
        let _ = writeln!(o, "const AMQP_URL = \"amqp://guest:guest@localhost:5672\";");
    }
    if uses_kafka {
        let _ = writeln!(o, "const {{ Kafka }} = require(\"kafkajs\");");
        let _ = writeln!(o, "const BROKERS = [\"localhost:9092\"];");
    }
    let _ = writeln!(o, "const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));\n");
    let _ = writeln!(o, "async function main() {{");
    if uses_rabbit {
        let _ = writeln!(o, "  const connections = {{}};");
        let _ = writeln!(o, "  const channels = {{}};");
        let _ = writeln!(o, "  const pending = {{}}; // unacknowledged messages per client, oldest first");
        let _ = writeln!(o, "  async function channel(client, vhost = \"/\") {{");
        let _ = writeln!(o, "    const key = vhost + \"\\u0000\" + client;");
        let _ = writeln!(o, "    if (!channels[key]) {{");
        let _ = writeln!(
            o,
            "      if (!connections[vhost]) connections[vhost] = await amqp.connect(AMQP_URL + \"/\" + encodeURIComponent(vhost));"
        );
        let _ = writeln!(o, "      channels[key] = await connections[vhost].createChannel();");
        let _ = writeln!(o, "      pending[key] = [];");
        let _ = writeln!(o, "    }}");
        let _ = writeln!(o, "    return channels[key];");
        let _ = writeln!(o, "  }}");
        let _ = writeln!(o, "  async function settle(client, vhost, tag) {{");
        let _ = writeln!(o, "    await sleep(200);");
        let _ = writeln!(o, "    const list = pending[vhost + \"\\u0000\" + client];");
        let _ = writeln!(o, "    const i = tag === null ? 0 : list.findIndex((m) => m.fields.deliveryTag === tag);");
        let _ = writeln!(o, "    return list.splice(i, 1)[0];");
        let _ = writeln!(o, "  }}\n");
        let _ = writeln!(o, "  // Topology (RabbitMQ); vhosts other than / must exist already.");
        for p in &r.policies {
            super::comment_lines(&mut o, "  // ", &format!("Set this policy first: {}", super::set_policy_command(p)));
        }
        for x in &r.exchanges {
            js_exchange(&mut o, x);
        }
        for q in &r.queues {
            js_queue(&mut o, q);
        }
        for b in &r.bindings {
            js_binding(&mut o, b, true);
        }
        for c in &r.consumers {
            js_consume(&mut o, c);
        }
    }
    if uses_kafka {
        let _ = writeln!(o, "\n  // Topology (Kafka)");
        if let Some(note) = super::kafka_cluster_note(k) {
            comment_lines(&mut o, "  // ", &note);
        }
        let _ = writeln!(o, "  const kafka = new Kafka({{ clientId: \"brokerlab\", brokers: BROKERS }});");
        let _ = writeln!(o, "  const admin = kafka.admin();");
        let _ = writeln!(o, "  await admin.connect();");
        if !k.topics.is_empty() {
            let topics: Vec<String> = k
                .topics
                .iter()
                .map(|t| {
                    let entries: Vec<String> =
                        t.configs.iter().map(|(k, v)| format!("{{ name: {}, value: {} }}", lit(k), lit(v))).collect();
                    format!(
                        "{{ topic: {}, numPartitions: {}, replicationFactor: {}, configEntries: [{}] }}",
                        lit(&t.name),
                        t.partitions,
                        t.replication_factor,
                        entries.join(", ")
                    )
                })
                .collect();
            let _ = writeln!(o, "  await admin.createTopics({{ topics: [{}] }});", topics.join(", "));
        }
        let _ = writeln!(o, "  const producers = {{}};");
        let _ = writeln!(o, "  const acks = {{}};");
        for p in &k.producers {
            let idempotent = p.configs.get("enable.idempotence").is_none_or(|v| v == "true")
                && p.configs.get("acks").is_none_or(|v| v == "all" || v == "-1");
            let mut opts = format!("idempotent: {idempotent}");
            if let Some(t) = p.configs.get("transactional.id") {
                opts.push_str(&format!(", transactionalId: {}, maxInFlightRequests: 1", lit(t)));
            }
            let acks = match p.configs.get("acks").map(String::as_str) {
                Some("0") => 0,
                Some("1") => 1,
                _ => -1,
            };
            let num = |key: &str| p.configs.get(key).and_then(|v| v.trim().parse::<u64>().ok());
            if !p.configs.contains_key("transactional.id")
                && let Some(n) = num("max.in.flight.requests.per.connection")
            {
                opts.push_str(&format!(", maxInFlightRequests: {n}"));
            }
            if let Some(n) = num("transaction.timeout.ms") {
                opts.push_str(&format!(", transactionTimeout: {n}"));
            }
            // kafkajs retries with its own backoff: `retries`, starting at
            // `initialRetryTime` and growing to `maxRetryTime`.
            let retry: Vec<String> = [
                ("retries", "retries"),
                ("retry.backoff.ms", "initialRetryTime"),
                ("retry.backoff.max.ms", "maxRetryTime"),
            ]
            .iter()
            .filter_map(|(key, name)| num(key).map(|n| format!("{name}: {n}")))
            .collect();
            if !retry.is_empty() {
                opts.push_str(&format!(", retry: {{ {} }}", retry.join(", ")));
            }
            let unmapped: Vec<String> =
                ["linger.ms", "batch.size", "delivery.timeout.ms", "request.timeout.ms", "partitioner", "max.block.ms"]
                    .iter()
                    .filter_map(|key| p.configs.get(*key).map(|v| format!("{key}={v}")))
                    .collect();
            if !unmapped.is_empty() {
                comment_lines(
                    &mut o,
                    "  // ",
                    &format!(
                        "kafkajs has no producer option for: {} (the Java client's configs).",
                        unmapped.join(", ")
                    ),
                );
            }
            let _ = writeln!(o, "  producers[{n}] = kafka.producer({{ {opts} }});", n = lit(&p.name));
            let _ = writeln!(o, "  acks[{}] = {acks};", lit(&p.name));
            let _ = writeln!(o, "  await producers[{}].connect();", lit(&p.name));
        }
        let _ = writeln!(o, "  const consumers = {{}};");
        let _ = writeln!(o, "  const received = {{}};");
        let _ = writeln!(o, "  const transactions = {{}};");
        for c in &k.consumers {
            let read_committed = c.configs.get("isolation.level").is_some_and(|v| v == "read_committed");
            let mut opts = format!("groupId: {}, readUncommitted: {}", lit(&c.group_id), !read_committed);
            // kafkajs's rebalance timeout is the Java client's
            // `max.poll.interval.ms`, which it sends as JoinGroup's.
            for (key, name) in [
                ("session.timeout.ms", "sessionTimeout"),
                ("heartbeat.interval.ms", "heartbeatInterval"),
                ("max.poll.interval.ms", "rebalanceTimeout"),
            ] {
                if let Some(n) = c.configs.get(key).and_then(|v| v.trim().parse::<u64>().ok()) {
                    opts.push_str(&format!(", {name}: {n}"));
                }
            }
            if let Some(v) = c.configs.get("allow.auto.create.topics").filter(|v| matches!(v.trim(), "true" | "false"))
            {
                opts.push_str(&format!(", allowAutoTopicCreation: {}", v.trim()));
            }
            let unmapped: Vec<String> = ["group.instance.id", "partition.assignment.strategy", "max.poll.records"]
                .iter()
                .filter_map(|key| c.configs.get(*key).map(|v| format!("{key}={v}")))
                .collect();
            if !unmapped.is_empty() {
                comment_lines(
                    &mut o,
                    "  // ",
                    &format!(
                        "kafkajs has no consumer option for: {} (the Java client's configs).",
                        unmapped.join(", ")
                    ),
                );
            }
            let _ = writeln!(o, "  consumers[{n}] = kafka.consumer({{ {opts} }});", n = lit(&c.name));
            let _ = writeln!(o, "  received[{}] = [];", lit(&c.name));
            let _ = writeln!(o, "  await consumers[{}].connect();", lit(&c.name));
            if !c.topics.is_empty() {
                js_subscribe(
                    &mut o,
                    &c.name,
                    &c.topics,
                    c.configs.get("auto.offset.reset").is_some_and(|v| v == "earliest"),
                    c.configs.get("enable.auto.commit").is_none_or(|v| v == "true"),
                );
            }
        }
    }
    let _ = writeln!(o, "\n  // Script");
    let earliest: BTreeMap<&str, (bool, bool)> = k
        .consumers
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                (
                    c.configs.get("auto.offset.reset").is_some_and(|v| v == "earliest"),
                    c.configs.get("enable.auto.commit").is_none_or(|v| v == "true"),
                ),
            )
        })
        .collect();
    for a in &s.script {
        js_action(&mut o, a, &earliest);
    }
    if uses_rabbit {
        let _ = writeln!(o, "  await sleep(200);");
        let _ = writeln!(o, "  for (const c of Object.values(connections)) await c.close();");
    }
    if uses_kafka {
        let _ = writeln!(o, "  for (const p of Object.values(producers)) await p.disconnect();");
        let _ = writeln!(o, "  for (const c of Object.values(consumers)) await c.disconnect();");
        let _ = writeln!(o, "  await admin.disconnect();");
    }
    let _ = writeln!(o, "}}\n");
    let _ = writeln!(o, "main().catch((err) => {{\n  console.error(err);\n  process.exit(1);\n}});");
    o
}

fn js_subscribe(o: &mut String, name: &str, topics: &[String], from_beginning: bool, auto_commit: bool) {
    let _ = writeln!(
        o,
        "  await consumers[{n}].subscribe({{ topics: {}, fromBeginning: {from_beginning} }});",
        serde_json::to_string(topics).unwrap_or_default(),
        n = lit(name)
    );
    let _ = writeln!(
        o,
        "  await consumers[{n}].run({{ autoCommit: {auto_commit}, eachMessage: async ({{ topic, partition, message }}) => {{ received[{n}].push({{ topic, partition, offset: message.offset, key: message.key && message.key.toString(), value: message.value && message.value.toString() }}); }} }});",
        n = lit(name)
    );
}

/// Declares an exchange as the admin client, in the topology or a script.
fn js_exchange(o: &mut String, x: &ExchangeDef) {
    let _ = writeln!(
        o,
        "  await (await channel(\"admin\", {})).assertExchange({}, {}, {{ durable: {}, autoDelete: {}, internal: {}, arguments: {} }});",
        lit(&x.vhost),
        lit(&x.name),
        lit(x.kind.as_str()),
        x.durable,
        x.auto_delete,
        x.internal,
        js_args(&x.arguments)
    );
}

/// Declares a queue as the admin client, in the topology or a script.
fn js_queue(o: &mut String, q: &QueueDef) {
    let _ = writeln!(
        o,
        "  await (await channel(\"admin\", {})).assertQueue({}, {{ durable: {}, autoDelete: {}, arguments: {} }});",
        lit(&q.vhost),
        lit(&q.name),
        q.durable,
        q.auto_delete,
        js_args(&q.arguments)
    );
}

fn js_binding(o: &mut String, b: &crate::model::BindingDef, bind: bool) {
    let verb = match (b.destination_type, bind) {
        (DestinationType::Queue, true) => "bindQueue",
        (DestinationType::Queue, false) => "unbindQueue",
        (DestinationType::Exchange, true) => "bindExchange",
        (DestinationType::Exchange, false) => "unbindExchange",
    };
    let _ = writeln!(
        o,
        "  await (await channel(\"admin\", {})).{verb}({}, {}, {}, {});",
        lit(&b.vhost),
        lit(&b.destination),
        lit(&b.source),
        lit(&b.routing_key),
        js_args(&b.arguments)
    );
}

fn js_consume(o: &mut String, c: &crate::model::ConsumerDef) {
    let ch = format!("(await channel({}, {}))", lit(c.client_name()), lit(&c.vhost));
    if c.prefetch > 0 {
        let _ = writeln!(o, "  await {ch}.prefetch({});", c.prefetch);
    }
    let key = lit(&format!("{}\u{0}{}", c.vhost, c.client_name()));
    let _ = writeln!(
        o,
        "  await {ch}.consume({}, (msg) => {{ console.log({}, \"received\", msg.content.toString(), msg.properties.headers); {} }}, {{ noAck: {}, exclusive: {}, consumerTag: {}, arguments: {} }});",
        lit(&c.queue),
        lit(c.client_name()),
        if c.auto_ack { String::new() } else { format!("pending[{key}].push(msg);") },
        c.auto_ack,
        c.exclusive,
        lit(&c.tag),
        js_args(&c.arguments)
    );
}

fn js_tag(t: &Option<u64>) -> String {
    t.map_or("null".into(), |t| t.to_string())
}

fn js_action(o: &mut String, a: &Action, consumers: &BTreeMap<&str, (bool, bool)>) {
    match a {
        Action::Publish { client, vhost, exchange, routing_key, body, properties: p, headers, mandatory } => {
            let mut opts = vec![format!("mandatory: {mandatory}")];
            if !headers.is_empty() {
                opts.push(format!("headers: {}", js_args(headers)));
            }
            for (k, v) in [
                ("contentType", &p.content_type),
                ("correlationId", &p.correlation_id),
                ("replyTo", &p.reply_to),
                ("expiration", &p.expiration),
                ("messageId", &p.message_id),
                ("appId", &p.app_id),
            ] {
                if let Some(v) = v {
                    opts.push(format!("{k}: {}", lit(v)));
                }
            }
            if let Some(v) = p.delivery_mode {
                opts.push(format!("deliveryMode: {v}"));
            }
            if let Some(v) = p.priority {
                opts.push(format!("priority: {v}"));
            }
            if let Some(v) = p.timestamp {
                opts.push(format!("timestamp: {v}"));
            }
            let _ = writeln!(
                o,
                "  (await channel({}, {})).publish({}, {}, Buffer.from({}), {{ {} }});",
                lit(client),
                lit(vhost),
                lit(exchange),
                lit(routing_key),
                lit(body),
                opts.join(", ")
            );
        }
        Action::Get { client, vhost, queue, auto_ack } => {
            let key = lit(&format!("{vhost}\u{0}{client}"));
            let _ = writeln!(o, "  {{");
            let _ = writeln!(
                o,
                "    const msg = await (await channel({}, {})).get({}, {{ noAck: {auto_ack} }});",
                lit(client),
                lit(vhost),
                lit(queue)
            );
            let _ = writeln!(o, "    console.log({}, \"got\", msg ? msg.content.toString() : null);", lit(client));
            if !auto_ack {
                let _ = writeln!(o, "    if (msg) pending[{key}].push(msg);");
            }
            let _ = writeln!(o, "  }}");
        }
        Action::Ack { client, vhost, delivery_tag, multiple } => {
            let _ = writeln!(
                o,
                "  (await channel({c}, {v})).ack(await settle({c}, {v}, {}), {multiple});",
                js_tag(delivery_tag),
                c = lit(client),
                v = lit(vhost)
            );
        }
        Action::Nack { client, vhost, delivery_tag, multiple, requeue } => {
            let _ = writeln!(
                o,
                "  (await channel({c}, {v})).nack(await settle({c}, {v}, {}), {multiple}, {requeue});",
                js_tag(delivery_tag),
                c = lit(client),
                v = lit(vhost)
            );
        }
        Action::Reject { client, vhost, delivery_tag, requeue } => {
            let _ = writeln!(
                o,
                "  (await channel({c}, {v})).reject(await settle({c}, {v}, {}), {requeue});",
                js_tag(delivery_tag),
                c = lit(client),
                v = lit(vhost)
            );
        }
        Action::Consume { consumer } => js_consume(o, consumer),
        Action::Cancel { client, vhost, tag } => {
            let tag = if tag.is_empty() { client } else { tag };
            let _ = writeln!(o, "  await (await channel({}, {})).cancel({});", lit(client), lit(vhost), lit(tag));
        }
        Action::Qos { client, vhost, prefetch, global } => {
            let _ =
                writeln!(o, "  await (await channel({}, {})).prefetch({prefetch}, {global});", lit(client), lit(vhost));
        }
        Action::ConfirmSelect { client, vhost } => {
            let _ = writeln!(
                o,
                "  // amqplib: open {} with createConfirmChannel() to have publishes confirmed.",
                lit(&format!("{vhost}/{client}"))
            );
        }
        Action::DeclareExchange { exchange: x } => js_exchange(o, x),
        Action::DeclareQueue { queue: q } => js_queue(o, q),
        Action::Bind { binding } => js_binding(o, binding, true),
        Action::Unbind { binding } => js_binding(o, binding, false),
        Action::DeleteExchange { vhost, name } => {
            let _ = writeln!(o, "  await (await channel(\"admin\", {})).deleteExchange({});", lit(vhost), lit(name));
        }
        Action::DeleteQueue { vhost, name } => {
            let _ = writeln!(o, "  await (await channel(\"admin\", {})).deleteQueue({});", lit(vhost), lit(name));
        }
        Action::Purge { vhost, queue } => {
            let _ = writeln!(o, "  await (await channel(\"admin\", {})).purgeQueue({});", lit(vhost), lit(queue));
        }
        Action::CloseClient { client, vhost } => {
            let _ = writeln!(o, "  await (await channel({}, {})).close();", lit(client), lit(vhost));
        }
        Action::SetPolicy { .. } | Action::ClearPolicy { .. } => {
            if let Some(note) = super::policy_note(a) {
                super::comment_lines(o, "  // ", &note);
            }
        }
        Action::RestartRabbitmq => {
            let _ = writeln!(
                o,
                "  // Restart RabbitMQ here (rabbitmqctl stop_app && rabbitmqctl start_app); clients must reconnect."
            );
        }
        Action::Alarm { alarm, active } => {
            let _ = writeln!(
                o,
                "  // Resource alarm {alarm:?} {}: set vm_memory_high_watermark / disk_free_limit by hand.",
                if *active { "raised" } else { "cleared" }
            );
        }
        Action::Produce { producer, topic, key, value, partition, headers } => {
            let mut m = Vec::new();
            if let Some(k) = key {
                m.push(format!("key: {}", lit(k)));
            }
            m.push(format!("value: {}", value.as_deref().map_or("null".into(), lit)));
            if let Some(p) = partition {
                m.push(format!("partition: {p}"));
            }
            if !headers.is_empty() {
                m.push(format!("headers: {}", serde_json::to_string(headers).unwrap_or_default()));
            }
            let _ = writeln!(
                o,
                "  await (transactions[{p}] || producers[{p}]).send({{ topic: {}, acks: acks[{p}], messages: [{{ {} }}] }});",
                lit(topic),
                m.join(", "),
                p = lit(producer)
            );
        }
        Action::Poll { consumer, .. } => {
            let _ = writeln!(o, "  await sleep(1000); // kafkajs pushes records to eachMessage; wait for them");
            let _ = writeln!(o, "  console.log({c}, received[{c}].splice(0));", c = lit(consumer));
        }
        Action::Commit { consumer, offsets } => match offsets {
            None => {
                let _ =
                    writeln!(o, "  // {consumer}: kafkajs commits resolved offsets after eachMessage (autoCommit) ");
            }
            Some(list) => {
                let tps: Vec<String> = list
                    .iter()
                    .map(|p| {
                        format!("{{ topic: {}, partition: {}, offset: \"{}\" }}", lit(&p.topic), p.partition, p.offset)
                    })
                    .collect();
                let _ = writeln!(o, "  await consumers[{}].commitOffsets([{}]);", lit(consumer), tps.join(", "));
            }
        },
        Action::Seek { consumer, topic, partition, to } => {
            let off = match to {
                crate::model::SeekTarget::Beginning => "\"-2\"".to_string(),
                crate::model::SeekTarget::End => "\"-1\"".to_string(),
                crate::model::SeekTarget::Offset(n) => format!("\"{n}\""),
                crate::model::SeekTarget::Timestamp(t) => format!(
                    "(await admin.fetchTopicOffsetsByTimestamp({}, {t})).find((p) => p.partition === {partition}).offset",
                    lit(topic)
                ),
            };
            let _ = writeln!(
                o,
                "  consumers[{}].seek({{ topic: {}, partition: {partition}, offset: {off} }});",
                lit(consumer),
                lit(topic)
            );
        }
        Action::Subscribe { consumer, topics } => {
            let (from_beginning, auto_commit) = consumers.get(consumer.as_str()).copied().unwrap_or((false, true));
            js_subscribe(o, consumer, topics, from_beginning, auto_commit);
        }
        Action::CloseConsumer { consumer } => {
            let _ = writeln!(o, "  await consumers[{c}].disconnect();\n  delete consumers[{c}];", c = lit(consumer));
        }
        Action::CrashConsumer { consumer } => {
            let _ = writeln!(o, "  // Crash consumer {consumer}: kill its process without disconnecting.");
            let _ = writeln!(o, "  delete consumers[{}];", lit(consumer));
        }
        Action::ShareSubscribe { .. }
        | Action::SharePoll { .. }
        | Action::ShareAcknowledge { .. }
        | Action::CloseShareConsumer { .. } => {
            comment_lines(o, "  // ", &super::share_group_note(a).unwrap_or_default());
        }
        Action::CrashBroker { broker } => {
            let _ = writeln!(o, "  // Stop Kafka broker {broker} here (kill -9 its process).");
        }
        Action::RestartBroker { broker } => {
            let _ = writeln!(o, "  // Start Kafka broker {broker} again here.");
        }
        Action::ShutdownBroker { broker } => {
            let _ = writeln!(o, "  // Stop Kafka broker {broker} cleanly here (kafka-server-stop.sh).");
        }
        Action::CrashController { controller } => {
            let _ = writeln!(o, "  // Stop KRaft controller {controller} here (kill -9 its process).");
        }
        Action::RestartController { controller } => {
            let _ = writeln!(o, "  // Start KRaft controller {controller} again here.");
        }
        Action::ElectPreferredLeaders => {
            let _ = writeln!(
                o,
                "  // kafka-leader-election.sh --bootstrap-server localhost:9092 --election-type PREFERRED --all-topic-partitions"
            );
        }
        Action::PauseReplication { broker } | Action::ResumeReplication { broker } => {
            let _ = writeln!(o, "  // Slow down or resume replication on broker {broker} by hand (e.g. tc qdisc).");
        }
        Action::AddPartitions { topic, total } => {
            let _ = writeln!(
                o,
                "  await admin.createPartitions({{ topicPartitions: [{{ topic: {}, count: {total} }}] }});",
                lit(topic)
            );
        }
        Action::CloseProducer { producer } => {
            let _ = writeln!(o, "  await producers[{p}].disconnect();\n  delete producers[{p}];", p = lit(producer));
        }
        Action::BeginTransaction { producer } => {
            let _ = writeln!(o, "  transactions[{p}] = await producers[{p}].transaction();", p = lit(producer));
        }
        // KafkaJS sends the group id alone (no generation or member id).
        Action::SendOffsetsToTransaction { producer, group_id, offsets, .. } => {
            let mut by_topic: BTreeMap<&str, Vec<String>> = BTreeMap::new();
            for p in offsets {
                by_topic
                    .entry(p.topic.as_str())
                    .or_default()
                    .push(format!("{{ partition: {}, offset: \"{}\" }}", p.partition, p.offset));
            }
            let topics: Vec<String> = by_topic
                .iter()
                .map(|(t, ps)| format!("{{ topic: {}, partitions: [{}] }}", lit(t), ps.join(", ")))
                .collect();
            let _ = writeln!(
                o,
                "  await transactions[{}].sendOffsets({{ consumerGroupId: {}, topics: [{}] }});",
                lit(producer),
                lit(group_id),
                topics.join(", ")
            );
        }
        Action::CommitTransaction { producer } => {
            let _ = writeln!(o, "  await transactions[{p}].commit();\n  delete transactions[{p}];", p = lit(producer));
        }
        Action::AbortTransaction { producer } => {
            let _ = writeln!(o, "  await transactions[{p}].abort();\n  delete transactions[{p}];", p = lit(producer));
        }
        Action::AdvanceTime { ms } => {
            let _ = writeln!(o, "  await sleep({ms});");
        }
        Action::Note { text } => comment_lines(o, "  // ", text),
    }
}
