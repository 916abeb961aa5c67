//! A share group (KIP-932, Kafka 4.2) run end to end from a scenario file:
//! the `kafka` part declares the group's configs and its share consumers,
//! and the script polls, acknowledges, lets locks expire and closes.

use brokerlab_kafka::{Event, ShareRecordState};
use brokerlab_scenario::*;

const SCENARIO: &str = r#"{
  "version": 1,
  "id": "share-queue",
  "title": "Three workers share one partition",
  "seed": 3,
  "kafka": {
    "brokers": 1,
    "topics": [{ "name": "jobs" }],
    "producers": [{ "name": "app" }],
    "share_groups": [
      { "group_id": "workers", "configs": { "share.auto.offset.reset": "earliest", "share.record.lock.duration.ms": "10000" } }
    ],
    "share_consumers": [
      { "name": "w1", "group_id": "workers", "topics": ["jobs"], "configs": { "share.acknowledgement.mode": "explicit", "max.poll.records": "1" } },
      { "name": "w2", "group_id": "workers", "topics": ["jobs"], "configs": { "share.acknowledgement.mode": "explicit", "max.poll.records": "1" } },
      { "name": "w3", "group_id": "workers", "topics": ["jobs"], "configs": { "max.poll.records": "1" } }
    ]
  },
  "script": [
    { "action": "produce", "producer": "app", "topic": "jobs", "value": "a" },
    { "action": "produce", "producer": "app", "topic": "jobs", "value": "b" },
    { "action": "produce", "producer": "app", "topic": "jobs", "value": "c" },
    { "action": "advance_time", "ms": 100 },
    { "action": "share_poll", "consumer": "w1" },
    { "action": "share_poll", "consumer": "w2" },
    { "action": "share_poll", "consumer": "w3" },
    { "action": "share_acknowledge", "consumer": "w1", "type": "release" },
    { "action": "share_acknowledge", "consumer": "w2", "type": "reject" },
    { "action": "share_poll", "consumer": "w1" },
    { "action": "advance_time", "ms": 10000 },
    { "action": "share_acknowledge", "consumer": "w1", "type": "accept" },
    { "action": "share_poll", "consumer": "w3" },
    { "action": "share_acknowledge", "consumer": "w3", "type": "accept" },
    { "action": "close_share_consumer", "consumer": "w3" }
  ]
}"#;

fn values(o: &StepOutcome) -> Vec<String> {
    o.polled.iter().map(|r| String::from_utf8_lossy(r.value.as_deref().unwrap_or_default()).into_owned()).collect()
}

#[test]
fn a_share_group_scenario_runs_end_to_end() {
    let scenario = Scenario::from_json(SCENARIO).expect("valid scenario");
    let mut session = scenario.start().expect("starts");
    let joined = session
        .setup()
        .kafka
        .iter()
        .filter(|e| matches!(e, Event::ShareMemberJoined { group, .. } if group == "workers"));
    assert_eq!(joined.count(), 3);
    let steps = session.run_to_end();
    // Three members, one partition: each acquires its own record.
    assert_eq!(values(&steps[4]), ["a"]);
    assert_eq!(values(&steps[5]), ["b"]);
    assert_eq!(values(&steps[6]), ["c"]);
    // w1 released "a", so its next poll gets it again as the second delivery.
    assert_eq!(values(&steps[9]), ["a"]);
    assert!(
        steps[9].kafka.iter().any(|e| matches!(e, Event::ShareRecordAcquired { offset: 0, delivery_count: 2, .. }))
    );
    // The lock ran out before w1 accepted: the record went back, and the
    // late acknowledgement is refused as Kafka refuses it.
    assert!(steps[10].kafka.iter().any(|e| matches!(e, Event::ShareRecordReleased { offset: 0, .. })));
    let late = steps[11].error.as_deref().expect("refused");
    assert!(late.starts_with("InvalidRecordStateException: "), "{late}");
    // w3's lock on "c" ran out at the same instant, so its implicit
    // acceptance on the next poll skips it; the poll takes the lowest
    // available record, "a", for its third delivery.
    assert_eq!(values(&steps[12]), ["a"]);
    assert!(
        steps[12].kafka.iter().any(|e| matches!(e, Event::ShareRecordAcquired { offset: 0, delivery_count: 3, .. }))
    );
    assert!(!steps[12].kafka.iter().any(|e| matches!(e, Event::ShareRecordAccepted { .. })));
    // Acknowledging in implicit mode is the Java client's IllegalStateException.
    let implicit = steps[13].error.as_deref().expect("refused");
    assert!(implicit.starts_with("IllegalStateException: "), "{implicit}");
    // Closing w3 accepts "a" implicitly and "b" was rejected, so the SPSO
    // moves to "c", which waits, available, for its second delivery.
    assert!(steps[14].kafka.iter().any(|e| matches!(e, Event::ShareRecordAccepted { offset: 0, .. })));
    let view = session.kafka().share_partition("workers", "jobs", 0).expect("share-partition");
    assert_eq!((view.start_offset, view.end_offset), (2, 2));
    assert_eq!(view.in_flight.len(), 1);
    assert_eq!((view.in_flight[0].state, view.in_flight[0].delivery_count), (ShareRecordState::Available, 1));
    assert_eq!(session.kafka().share_group("workers").expect("group").members, ["w1", "w2"]);
}

#[test]
fn a_share_group_config_out_of_range_is_refused_naming_the_group() {
    let mut scenario = Scenario::from_json(SCENARIO).expect("valid scenario");
    scenario.kafka.share_groups[0].configs.insert("group.share.delivery.count.limit".into(), "11".into());
    let why = scenario.start().expect_err("refused").to_string();
    assert!(why.contains("share group `workers`") && why.contains("group.share.delivery.count.limit"), "{why}");
    let (_, problems) = scenario.start_lenient();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].part, SetupPart::ShareGroup { group_id: "workers".into() });
}
