//! The Python program: pika for RabbitMQ, confluent-kafka for Kafka.
//! [`python`] writes the declarations and a `main` that replays the script;
//! the helpers below it write one binding, consumer or action.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{comment_lines, is_rabbit, lit};
use crate::model::{Action, Arguments, DestinationType, ExchangeDef, Properties, QueueDef, Scenario};

fn py_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "None".into(),
        serde_json::Value::Bool(true) => "True".into(),
        serde_json::Value::Bool(false) => "False".into(),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => lit(s),
        serde_json::Value::Array(a) => format!("[{}]", a.iter().map(py_value).collect::<Vec<_>>().join(", ")),
        serde_json::Value::Object(o) => {
            format!(
                "{{{}}}",
                o.iter().map(|(k, v)| format!("{}: {}", lit(k), py_value(v))).collect::<Vec<_>>().join(", ")
            )
        }
    }
}

fn py_args(a: &Arguments) -> String {
    py_value(&serde_json::Value::Object(a.clone().into_iter().collect()))
}

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// Kafka configs librdkafka accepts as they are (`acks`, `retries` and the
/// dotted ones); the rest are left out: the
/// simulation's `partitioner` shorthand, `max.poll.records`, which
/// librdkafka has not (a poll asks for that many with `num_messages`), and
/// the Java producer's `max.block.ms`, which it has not either.
fn client_configs(configs: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    configs
        .iter()
        .filter(|(k, _)| {
            (k.contains('.') || ["acks", "retries"].contains(&k.as_str()))
                && !["max.poll.records", "max.block.ms"].contains(&k.as_str())
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn py_properties(p: &Properties, headers: &Arguments) -> String {
    let mut parts = Vec::new();
    if !headers.is_empty() {
        parts.push(format!("headers={}", py_args(headers)));
    }
    let strs = [
        ("content_type", &p.content_type),
        ("correlation_id", &p.correlation_id),
        ("reply_to", &p.reply_to),
        ("expiration", &p.expiration),
        ("message_id", &p.message_id),
        ("app_id", &p.app_id),
    ];
    for (k, v) in strs {
        if let Some(v) = v {
            parts.push(format!("{k}={}", lit(v)));
        }
    }
    if let Some(v) = p.delivery_mode {
        parts.push(format!("delivery_mode={v}"));
    }
    if let Some(v) = p.priority {
        parts.push(format!("priority={v}"));
    }
    if let Some(v) = p.timestamp {
        parts.push(format!("timestamp={v}"));
    }
    format!("pika.BasicProperties({})", parts.join(", "))
}

/// A Python program (pika, confluent-kafka) equivalent to the scenario.
pub fn python(s: &Scenario) -> String {
    let r = &s.rabbitmq;
    let k = &s.kafka;
    let uses_rabbit = !r.is_empty() || s.script.iter().any(is_rabbit);
    let uses_kafka = !k.is_empty();
    let mut o = String::new();
    let _ = writeln!(o, "#!/usr/bin/env python3");
    let title = if s.title.is_empty() { "a Brokerlab scenario".to_string() } else { s.title.clone() };
    let _ = writeln!(o, "# {title}");
    comment_lines(&mut o, "# ", &s.description);
    let _ = writeln!(o, "#");
    let mut reqs = Vec::new();
    if uses_rabbit {
        reqs.push("pika");
    }
    if uses_kafka {
        reqs.push("confluent-kafka");
    }
    let _ = writeln!(o, "# Requires: pip install {}", reqs.join(" "));
    let _ = writeln!(o, "import time\n");
    if uses_rabbit {
        let _ = writeln!(o, "import pika\n");
        let _ = writeln!(o, "AMQP_URL = \"amqp://guest:guest@localhost:5672/%2F\"");
    }
    if uses_kafka {
        let _ =
            writeln!(o, "from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING, OFFSET_END");
        let _ = writeln!(o, "from confluent_kafka.admin import AdminClient, NewTopic\n");
        let _ = writeln!(o, "BOOTSTRAP = \"localhost:9092\"");
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "def main():");
    if uses_rabbit {
        let _ = writeln!(o, "    vhosts = {{}}");
        let _ = writeln!(o, "    channels = {{}}");
        let _ = writeln!(o, "    pending = {{}}  # unacknowledged delivery tags per client, oldest first\n");
        let _ = writeln!(o, "    def connection(vhost):");
        let _ = writeln!(o, "        if vhost not in vhosts:");
        let _ = writeln!(o, "            params = pika.URLParameters(AMQP_URL)");
        let _ = writeln!(o, "            params.virtual_host = vhost");
        let _ = writeln!(o, "            vhosts[vhost] = pika.BlockingConnection(params)");
        let _ = writeln!(o, "        return vhosts[vhost]\n");
        let _ = writeln!(o, "    def channel(client, vhost=\"/\"):");
        let _ = writeln!(o, "        if (vhost, client) not in channels:");
        let _ = writeln!(o, "            channels[(vhost, client)] = connection(vhost).channel()");
        let _ = writeln!(o, "            pending[(vhost, client)] = []");
        let _ = writeln!(o, "        return channels[(vhost, client)]\n");
        let _ = writeln!(o, "    def pump():");
        let _ = writeln!(o, "        for c in vhosts.values():");
        let _ = writeln!(o, "            c.process_data_events(time_limit=0.2)\n");
        let _ = writeln!(o, "    def on_message(client, vhost, auto_ack):");
        let _ = writeln!(o, "        def handle(ch, method, properties, body):");
        let _ = writeln!(o, "            print(client, \"received\", body.decode(), properties.headers or {{}})");
        let _ = writeln!(o, "            if not auto_ack:");
        let _ = writeln!(o, "                pending[(vhost, client)].append(method.delivery_tag)");
        let _ = writeln!(o, "        return handle\n");
        let _ = writeln!(o, "    def settle(client, vhost, tag):");
        let _ = writeln!(o, "        pump()");
        let _ = writeln!(o, "        if tag is None:");
        let _ = writeln!(o, "            tag = pending[(vhost, client)].pop(0)");
        let _ = writeln!(o, "        elif tag in pending[(vhost, client)]:");
        let _ = writeln!(o, "            pending[(vhost, client)].remove(tag)");
        let _ = writeln!(o, "        return tag\n");
        let _ =
            writeln!(o, "    # Topology (RabbitMQ); vhosts other than / must exist already (rabbitmqctl add_vhost).");
        for p in &r.policies {
            comment_lines(&mut o, "    # ", &format!("Set this policy first: {}", super::set_policy_command(p)));
        }
        for x in &r.exchanges {
            py_exchange(&mut o, x);
        }
        for q in &r.queues {
            py_queue(&mut o, q);
        }
        for b in &r.bindings {
            py_binding(&mut o, b, true);
        }
        for c in &r.consumers {
            py_consume(&mut o, c);
        }
    }
    if uses_kafka {
        let _ = writeln!(o, "\n    # Topology (Kafka)");
        if let Some(note) = super::kafka_cluster_note(k) {
            comment_lines(&mut o, "    # ", &note);
        }
        let _ = writeln!(o, "    admin = AdminClient({{\"bootstrap.servers\": BOOTSTRAP}})");
        if !k.topics.is_empty() {
            let topics: Vec<String> = k
                .topics
                .iter()
                .map(|t| {
                    format!(
                        "NewTopic({}, num_partitions={}, replication_factor={}, config={})",
                        lit(&t.name),
                        t.partitions,
                        t.replication_factor,
                        serde_json::to_string(&t.configs).unwrap_or_default()
                    )
                })
                .collect();
            let _ = writeln!(o, "    for f in admin.create_topics([{}]).values():", topics.join(", "));
            let _ = writeln!(o, "        f.result()");
        }
        let _ = writeln!(o, "    producers = {{}}");
        for p in &k.producers {
            let mut conf = client_configs(&p.configs);
            conf.insert("bootstrap.servers".into(), "BOOTSTRAP".into());
            let conf = serde_json::to_string(&conf).unwrap_or_default().replace("\"BOOTSTRAP\"", "BOOTSTRAP");
            let _ = writeln!(o, "    producers[{}] = Producer({conf})", lit(&p.name));
            if p.configs.contains_key("transactional.id") {
                let _ = writeln!(o, "    producers[{}].init_transactions()", lit(&p.name));
            }
        }
        let _ = writeln!(o, "    consumers = {{}}");
        for c in &k.consumers {
            let mut conf = client_configs(&c.configs);
            conf.insert("bootstrap.servers".into(), "BOOTSTRAP".into());
            conf.insert("group.id".into(), c.group_id.clone());
            let conf = serde_json::to_string(&conf).unwrap_or_default().replace("\"BOOTSTRAP\"", "BOOTSTRAP");
            let _ = writeln!(o, "    consumers[{}] = Consumer({conf})", lit(&c.name));
            if !c.topics.is_empty() {
                let _ = writeln!(
                    o,
                    "    consumers[{}].subscribe({})",
                    lit(&c.name),
                    serde_json::to_string(&c.topics).unwrap_or_default()
                );
            }
        }
    }
    let _ = writeln!(o, "\n    # Script");
    // sendOffsetsToTransaction needs the group's metadata from one of its consumers.
    let mut groups: BTreeMap<&str, &str> = BTreeMap::new();
    for c in &k.consumers {
        groups.entry(c.group_id.as_str()).or_insert(c.name.as_str());
    }
    // `max.poll.records` is the Java client's; librdkafka takes the number
    // with each call.
    let max_poll: BTreeMap<&str, u32> = k
        .consumers
        .iter()
        .filter_map(|c| Some((c.name.as_str(), c.configs.get("max.poll.records")?.trim().parse().ok()?)))
        .collect();
    for a in &s.script {
        py_action(&mut o, a, &groups, &max_poll);
    }
    if uses_rabbit {
        let _ = writeln!(o, "    pump()");
        let _ = writeln!(o, "    for c in vhosts.values():");
        let _ = writeln!(o, "        c.close()");
    }
    if uses_kafka {
        let _ = writeln!(o, "    for p in producers.values():");
        let _ = writeln!(o, "        p.flush()");
        let _ = writeln!(o, "    for c in consumers.values():");
        let _ = writeln!(o, "        c.close()");
    }
    let _ = writeln!(o, "\n\nif __name__ == \"__main__\":\n    main()");
    o
}

/// Declares an exchange as the admin client, in the topology or a script.
fn py_exchange(o: &mut String, x: &ExchangeDef) {
    let _ = writeln!(
        o,
        "    channel(\"admin\", {}).exchange_declare(exchange={}, exchange_type={}, durable={}, auto_delete={}, internal={}, arguments={})",
        lit(&x.vhost),
        lit(&x.name),
        lit(x.kind.as_str()),
        py_bool(x.durable),
        py_bool(x.auto_delete),
        py_bool(x.internal),
        py_args(&x.arguments)
    );
}

/// Declares a queue as the admin client, in the topology or a script.
fn py_queue(o: &mut String, q: &QueueDef) {
    let _ = writeln!(
        o,
        "    channel(\"admin\", {}).queue_declare(queue={}, durable={}, auto_delete={}, arguments={})",
        lit(&q.vhost),
        lit(&q.name),
        py_bool(q.durable),
        py_bool(q.auto_delete),
        py_args(&q.arguments)
    );
}

fn py_binding(o: &mut String, b: &crate::model::BindingDef, bind: bool) {
    let ch = format!("channel(\"admin\", {})", lit(&b.vhost));
    let (verb, q) = match (b.destination_type, bind) {
        (DestinationType::Queue, true) => ("queue_bind", "queue"),
        (DestinationType::Queue, false) => ("queue_unbind", "queue"),
        (DestinationType::Exchange, true) => ("exchange_bind", "destination"),
        (DestinationType::Exchange, false) => ("exchange_unbind", "destination"),
    };
    let src = if b.destination_type == DestinationType::Queue { "exchange" } else { "source" };
    let _ = writeln!(
        o,
        "    {ch}.{verb}({q}={}, {src}={}, routing_key={}, arguments={})",
        lit(&b.destination),
        lit(&b.source),
        lit(&b.routing_key),
        py_args(&b.arguments)
    );
}

fn py_consume(o: &mut String, c: &crate::model::ConsumerDef) {
    let ch = format!("channel({}, {})", lit(c.client_name()), lit(&c.vhost));
    if c.prefetch > 0 {
        let _ = writeln!(o, "    {ch}.basic_qos(prefetch_count={})", c.prefetch);
    }
    let _ = writeln!(
        o,
        "    {ch}.basic_consume(queue={}, on_message_callback=on_message({}, {}, {}), auto_ack={}, exclusive={}, consumer_tag={}, arguments={})",
        lit(&c.queue),
        lit(c.client_name()),
        lit(&c.vhost),
        py_bool(c.auto_ack),
        py_bool(c.auto_ack),
        py_bool(c.exclusive),
        lit(&c.tag),
        py_args(&c.arguments)
    );
}

fn py_tag(t: &Option<u64>) -> String {
    t.map_or("None".into(), |t| t.to_string())
}

fn py_action(o: &mut String, a: &Action, groups: &BTreeMap<&str, &str>, max_poll: &BTreeMap<&str, u32>) {
    match a {
        Action::Publish { client, vhost, exchange, routing_key, body, properties, headers, mandatory } => {
            let _ = writeln!(
                o,
                "    channel({}, {}).basic_publish(exchange={}, routing_key={}, body={}.encode(), properties={}, mandatory={})",
                lit(client),
                lit(vhost),
                lit(exchange),
                lit(routing_key),
                lit(body),
                py_properties(properties, headers),
                py_bool(*mandatory)
            );
        }
        Action::Get { client, vhost, queue, auto_ack } => {
            let _ = writeln!(
                o,
                "    method, properties, body = channel({}, {}).basic_get(queue={}, auto_ack={})",
                lit(client),
                lit(vhost),
                lit(queue),
                py_bool(*auto_ack)
            );
            let _ = writeln!(o, "    print({}, \"got\", body.decode() if body else None)", lit(client));
            if !auto_ack {
                let _ = writeln!(o, "    if method:");
                let _ = writeln!(o, "        pending[({}, {})].append(method.delivery_tag)", lit(vhost), lit(client));
            }
        }
        Action::Ack { client, vhost, delivery_tag, multiple } => {
            let _ = writeln!(
                o,
                "    channel({c}, {v}).basic_ack(delivery_tag=settle({c}, {v}, {}), multiple={})",
                py_tag(delivery_tag),
                py_bool(*multiple),
                c = lit(client),
                v = lit(vhost)
            );
        }
        Action::Nack { client, vhost, delivery_tag, multiple, requeue } => {
            let _ = writeln!(
                o,
                "    channel({c}, {v}).basic_nack(delivery_tag=settle({c}, {v}, {}), multiple={}, requeue={})",
                py_tag(delivery_tag),
                py_bool(*multiple),
                py_bool(*requeue),
                c = lit(client),
                v = lit(vhost)
            );
        }
        Action::Reject { client, vhost, delivery_tag, requeue } => {
            let _ = writeln!(
                o,
                "    channel({c}, {v}).basic_reject(delivery_tag=settle({c}, {v}, {}), requeue={})",
                py_tag(delivery_tag),
                py_bool(*requeue),
                c = lit(client),
                v = lit(vhost)
            );
        }
        Action::Consume { consumer } => py_consume(o, consumer),
        Action::Cancel { client, vhost, tag } => {
            let tag = if tag.is_empty() { client } else { tag };
            let _ = writeln!(o, "    channel({}, {}).basic_cancel({})", lit(client), lit(vhost), lit(tag));
        }
        Action::Qos { client, vhost, prefetch, global } => {
            let _ = writeln!(
                o,
                "    channel({}, {}).basic_qos(prefetch_count={prefetch}, global_qos={})",
                lit(client),
                lit(vhost),
                py_bool(*global)
            );
        }
        Action::ConfirmSelect { client, vhost } => {
            let _ = writeln!(o, "    channel({}, {}).confirm_delivery()", lit(client), lit(vhost));
        }
        Action::DeclareExchange { exchange: x } => py_exchange(o, x),
        Action::DeclareQueue { queue: q } => py_queue(o, q),
        Action::Bind { binding } => py_binding(o, binding, true),
        Action::Unbind { binding } => py_binding(o, binding, false),
        Action::DeleteExchange { vhost, name } => {
            let _ = writeln!(o, "    channel(\"admin\", {}).exchange_delete(exchange={})", lit(vhost), lit(name));
        }
        Action::DeleteQueue { vhost, name } => {
            let _ = writeln!(o, "    channel(\"admin\", {}).queue_delete(queue={})", lit(vhost), lit(name));
        }
        Action::Purge { vhost, queue } => {
            let _ = writeln!(o, "    channel(\"admin\", {}).queue_purge(queue={})", lit(vhost), lit(queue));
        }
        Action::CloseClient { client, vhost } => {
            let _ = writeln!(o, "    channel({}, {}).close()", lit(client), lit(vhost));
        }
        Action::SetPolicy { .. } | Action::ClearPolicy { .. } => {
            if let Some(note) = super::policy_note(a) {
                let _ = writeln!(o, "    input({})", super::lit(&format!("{note}; then press Enter")));
            }
        }
        Action::RestartRabbitmq => {
            let _ = writeln!(
                o,
                "    input(\"Restart RabbitMQ now (rabbitmqctl stop_app && rabbitmqctl start_app), then press Enter\")"
            );
        }
        Action::Alarm { alarm, active } => {
            let _ = writeln!(
                o,
                "    # Resource alarm {alarm:?} {}: set vm_memory_high_watermark / disk_free_limit by hand.",
                if *active { "raised" } else { "cleared" }
            );
        }
        Action::Produce { producer, topic, key, value, partition, headers } => {
            let mut args = vec![lit(topic)];
            if let Some(k) = key {
                args.push(format!("key={}", lit(k)));
            }
            args.push(format!("value={}", value.as_deref().map_or("None".into(), lit)));
            if let Some(p) = partition {
                args.push(format!("partition={p}"));
            }
            if !headers.is_empty() {
                args.push(format!("headers={}", serde_json::to_string(headers).unwrap_or_default()));
            }
            let _ = writeln!(o, "    producers[{}].produce({})", lit(producer), args.join(", "));
            let _ = writeln!(o, "    producers[{}].poll(0)", lit(producer));
        }
        Action::Poll { consumer, max_records } => {
            let _ = writeln!(
                o,
                "    for m in consumers[{c}].consume(num_messages={}, timeout=2.0):",
                max_records.or_else(|| max_poll.get(consumer.as_str()).copied()).unwrap_or(500),
                c = lit(consumer)
            );
            let _ = writeln!(o, "        if not m.error():");
            let _ = writeln!(
                o,
                "            print({}, m.topic(), m.partition(), m.offset(), m.key(), m.value())",
                lit(consumer)
            );
        }
        Action::Commit { consumer, offsets } => match offsets {
            None => {
                let _ = writeln!(o, "    consumers[{}].commit(asynchronous=False)", lit(consumer));
            }
            Some(list) => {
                let tps: Vec<String> = list
                    .iter()
                    .map(|p| format!("TopicPartition({}, {}, {})", lit(&p.topic), p.partition, p.offset))
                    .collect();
                let _ = writeln!(
                    o,
                    "    consumers[{}].commit(offsets=[{}], asynchronous=False)",
                    lit(consumer),
                    tps.join(", ")
                );
            }
        },
        Action::Seek { consumer, topic, partition, to } => {
            let off = match to {
                crate::model::SeekTarget::Beginning => "OFFSET_BEGINNING".to_string(),
                crate::model::SeekTarget::End => "OFFSET_END".to_string(),
                crate::model::SeekTarget::Offset(n) => n.to_string(),
                crate::model::SeekTarget::Timestamp(t) => format!(
                    "consumers[{}].offsets_for_times([TopicPartition({}, {partition}, {t})])[0].offset",
                    lit(consumer),
                    lit(topic)
                ),
            };
            let _ = writeln!(
                o,
                "    consumers[{}].seek(TopicPartition({}, {partition}, {off}))",
                lit(consumer),
                lit(topic)
            );
        }
        Action::Subscribe { consumer, topics } => {
            let _ = writeln!(
                o,
                "    consumers[{}].subscribe({})",
                lit(consumer),
                serde_json::to_string(topics).unwrap_or_default()
            );
        }
        Action::CloseConsumer { consumer } => {
            let _ = writeln!(o, "    consumers[{}].close()", lit(consumer));
        }
        Action::CrashConsumer { consumer } => {
            let _ = writeln!(o, "    # Crash consumer {consumer}: kill its process without closing it.");
            let _ = writeln!(o, "    consumers.pop({})", lit(consumer));
        }
        Action::ShareSubscribe { .. }
        | Action::SharePoll { .. }
        | Action::ShareAcknowledge { .. }
        | Action::CloseShareConsumer { .. } => {
            comment_lines(o, "    # ", &super::share_group_note(a).unwrap_or_default());
        }
        Action::CrashBroker { broker } => {
            let _ =
                writeln!(o, "    input(\"Stop Kafka broker {broker} now (kill -9 its process), then press Enter\")");
        }
        Action::RestartBroker { broker } => {
            let _ = writeln!(o, "    input(\"Start Kafka broker {broker} again, then press Enter\")");
        }
        Action::ShutdownBroker { broker } => {
            let _ = writeln!(
                o,
                "    input(\"Stop Kafka broker {broker} cleanly now (kafka-server-stop.sh), then press Enter\")"
            );
        }
        Action::CrashController { controller } => {
            let _ = writeln!(
                o,
                "    input(\"Stop KRaft controller {controller} now (kill -9 its process), then press Enter\")"
            );
        }
        Action::RestartController { controller } => {
            let _ = writeln!(o, "    input(\"Start KRaft controller {controller} again, then press Enter\")");
        }
        Action::ElectPreferredLeaders => {
            let _ = writeln!(
                o,
                "    # kafka-leader-election.sh --bootstrap-server localhost:9092 --election-type PREFERRED --all-topic-partitions"
            );
        }
        Action::PauseReplication { broker } | Action::ResumeReplication { broker } => {
            let _ = writeln!(o, "    # Slow down or resume replication on broker {broker} by hand (e.g. tc qdisc).");
        }
        Action::AddPartitions { topic, total } => {
            let _ = writeln!(o, "    from confluent_kafka.admin import NewPartitions");
            let _ =
                writeln!(o, "    for f in admin.create_partitions([NewPartitions({}, {total})]).values():", lit(topic));
            let _ = writeln!(o, "        f.result()");
        }
        Action::CloseProducer { producer } => {
            let _ = writeln!(o, "    producers.pop({}).flush()", lit(producer));
        }
        Action::BeginTransaction { producer } => {
            let _ = writeln!(o, "    producers[{}].begin_transaction()", lit(producer));
        }
        Action::SendOffsetsToTransaction { producer, group_id, offsets, consumer } => {
            let tps: Vec<String> = offsets
                .iter()
                .map(|p| format!("TopicPartition({}, {}, {})", lit(&p.topic), p.partition, p.offset))
                .collect();
            let metadata = match consumer.as_deref().or_else(|| groups.get(group_id.as_str()).copied()) {
                Some(c) => format!("consumers[{}].consumer_group_metadata()", lit(c)),
                None => format!("None  # no consumer of group {group_id} in this scenario"),
            };
            let _ = writeln!(
                o,
                "    producers[{}].send_offsets_to_transaction([{}], {metadata})",
                lit(producer),
                tps.join(", ")
            );
        }
        Action::CommitTransaction { producer } => {
            let _ = writeln!(o, "    producers[{}].commit_transaction()", lit(producer));
        }
        Action::AbortTransaction { producer } => {
            let _ = writeln!(o, "    producers[{}].abort_transaction()", lit(producer));
        }
        Action::AdvanceTime { ms } => {
            let _ = writeln!(o, "    time.sleep({})", *ms as f64 / 1000.0);
        }
        Action::Note { text } => comment_lines(o, "    # ", text),
    }
}
