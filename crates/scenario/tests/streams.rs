//! Streams in scenarios: a scenario declares a stream with the queue's
//! `x-queue-type` argument and reads it with consumers whose `arguments`
//! carry `x-stream-offset`, in its `consumers` or in a `consume` action;
//! `ack` actions give the reader its credit back. Nothing in the format is
//! special to streams.

use brokerlab_rabbit::{Event, FieldValue};
use brokerlab_scenario::*;

const SCENARIO: &str = r#"{
  "version": 1,
  "id": "stream-replay",
  "title": "Replaying a stream",
  "description": "Two readers attach to one stream at different offsets; reading removes nothing.",
  "seed": 3,
  "rabbitmq": {
    "queues": [
      { "name": "events", "arguments": { "x-queue-type": "stream" } }
    ],
    "consumers": [
      { "tag": "audit", "queue": "events", "prefetch": 10, "arguments": { "x-stream-offset": "first" } }
    ]
  },
  "script": [
    { "action": "publish", "routing_key": "events", "body": "created" },
    { "action": "publish", "routing_key": "events", "body": "paid" },
    { "action": "publish", "routing_key": "events", "body": "shipped" },
    { "action": "consume", "tag": "late", "queue": "events", "prefetch": 1, "arguments": { "x-stream-offset": 1 } },
    { "action": "ack", "client": "late" }
  ]
}"#;

/// `(consumer tag, x-stream-offset)` of every delivery in `events`.
fn offsets(events: &[Event]) -> Vec<(String, i64)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Delivered { consumer_tag, message, .. } => {
                match message.properties.headers.as_ref().and_then(|h| h.get("x-stream-offset")) {
                    Some(FieldValue::LongLongInt(o)) => Some((consumer_tag.clone(), *o)),
                    _ => None,
                }
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_scenario_declares_a_stream_and_reads_it_from_an_offset() {
    let scenario = Scenario::from_json(SCENARIO).expect("a valid scenario");
    let mut session = scenario.start().expect("starts");
    let steps = session.run_to_end();
    for s in &steps {
        assert_eq!(s.error, None, "step {:?} was refused", s.index);
    }
    let delivered: Vec<(String, i64)> = steps.iter().flat_map(|s| offsets(&s.rabbit)).collect();
    // The audit reader sees each record as it is appended; the late reader
    // starts at offset 1 with one credit, and its ack brings offset 2.
    let want: Vec<(String, i64)> =
        [("audit", 0), ("audit", 1), ("audit", 2), ("late", 1), ("late", 2)].map(|(t, o)| (t.to_string(), o)).to_vec();
    assert_eq!(delivered, want);
    let view = session.rabbit().stream("/", "events").expect("the stream exists");
    assert_eq!(view.records.len(), 3, "reading removed nothing");
    assert_eq!(
        view.consumers.iter().map(|c| (c.consumer_tag.as_str(), c.next_offset)).collect::<Vec<_>>(),
        [("audit", 3), ("late", 3)]
    );
}

#[test]
fn a_scenario_consumer_on_a_stream_without_a_prefetch_is_refused_with_rabbitmqs_reason() {
    let scenario = Scenario::from_json(&SCENARIO.replace(r#""prefetch": 1, "#, "")).expect("a valid scenario");
    let mut session = scenario.start().expect("starts");
    let steps = session.run_to_end();
    assert_eq!(
        steps[3].error.as_deref(),
        Some("406 PRECONDITION_FAILED - consumer prefetch count is not set for 'queue 'events' in vhost '/''")
    );
}
