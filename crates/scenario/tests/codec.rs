//! Share links and JSON files: round trips, every kind of bad input getting
//! its own typed error, and property tests that no input, random or a
//! corrupted real link, makes a decoder panic or expand without bound.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use brokerlab_scenario::*;
use proptest::prelude::*;

fn sample() -> Scenario {
    presets::get("kafka-vs-rabbit").expect("preset")
}

#[test]
fn a_link_opens_to_the_same_scenario() {
    let s = sample();
    assert_eq!(Scenario::from_link(&s.to_link()), Ok(s));
}

#[test]
fn a_link_is_url_safe_and_starts_with_the_version() {
    let link = sample().to_link();
    assert!(link.starts_with(&format!("{FORMAT_VERSION}.")));
    assert!(link.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)), "{link}");
}

#[test]
fn a_whole_playground_url_opens_too() {
    let s = sample();
    let url = format!("https://example.org/brokerlab/#/playground?s={}", s.to_link());
    assert_eq!(Scenario::from_link(&url), Ok(s.clone()));
    assert_eq!(Scenario::from_link(&format!("#/playground?x=1&s={}&y=2", s.to_link())), Ok(s));
}

#[test]
fn a_file_opens_to_the_same_scenario() {
    let s = sample();
    assert_eq!(Scenario::from_json(&s.to_json()), Ok(s));
}

#[test]
fn an_empty_link_or_file_is_reported_as_empty() {
    assert_eq!(Scenario::from_link("  "), Err(ScenarioError::Empty));
    assert_eq!(Scenario::from_json(""), Err(ScenarioError::Empty));
}

#[test]
fn a_link_without_a_version_is_not_a_link() {
    assert_eq!(Scenario::from_link("hello"), Err(ScenarioError::NotALink));
    assert_eq!(Scenario::from_link("x.abc"), Err(ScenarioError::NotALink));
    assert_eq!(Scenario::from_link("0.abc"), Err(ScenarioError::NotALink));
}

#[test]
fn a_newer_version_link_is_recognised_before_decoding() {
    let next = FORMAT_VERSION + 1;
    let err = Scenario::from_link(&format!("{next}.!!!not-even-base64")).unwrap_err();
    assert_eq!(err, ScenarioError::NewerVersion { found: next, supported: FORMAT_VERSION });
    assert!(err.to_string().contains("newer Brokerlab"));
}

#[test]
fn a_newer_version_file_is_refused() {
    let json = format!("{{\"version\": {}}}", FORMAT_VERSION + 1);
    assert!(matches!(Scenario::from_json(&json), Err(ScenarioError::NewerVersion { .. })));
}

#[test]
fn a_truncated_link_is_reported_as_damaged() {
    let link = sample().to_link();
    for cut in [link.len() - 1, link.len() - 7, link.len() / 2, 4] {
        let err = Scenario::from_link(&link[..cut]).unwrap_err();
        assert!(matches!(err, ScenarioError::Corrupt(_) | ScenarioError::Encoding(_)), "cut at {cut}: {err:?}");
    }
}

#[test]
fn a_tampered_link_is_caught_by_the_checksum() {
    let link = sample().to_link();
    let mut bytes = link.into_bytes();
    let i = bytes.len() / 2;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).expect("ascii");
    assert!(Scenario::from_link(&tampered).is_err());
}

#[test]
fn a_link_whose_prefix_disagrees_with_its_contents_is_refused() {
    let mut v: serde_json::Value = serde_json::from_str(&sample().to_json()).expect("json");
    v["version"] = serde_json::Value::from(0);
    let packed = miniz_oxide::deflate::compress_to_vec_zlib(v.to_string().as_bytes(), 6);
    let link = format!("1.{}", URL_SAFE_NO_PAD.encode(packed));
    assert!(Scenario::from_link(&link).is_err());
}

#[test]
fn a_compression_bomb_stops_at_the_size_limit() {
    let zeros = vec![b' '; MAX_DECODED_BYTES * 8];
    let packed = miniz_oxide::deflate::compress_to_vec_zlib(&zeros, 10);
    let link = format!("1.{}", URL_SAFE_NO_PAD.encode(packed));
    assert!(link.len() < MAX_LINK_CHARS, "the bomb is a small link: {}", link.len());
    assert_eq!(Scenario::from_link(&link), Err(ScenarioError::TooLarge { max: MAX_DECODED_BYTES }));
}

#[test]
fn an_overlong_link_is_refused_before_decoding() {
    let link = format!("1.{}", "A".repeat(MAX_LINK_CHARS + 1));
    assert!(matches!(Scenario::from_link(&link), Err(ScenarioError::LinkTooLong { .. })));
}

#[test]
fn a_file_missing_its_version_says_so() {
    let err = Scenario::from_json("{\"title\": \"x\"}").unwrap_err();
    assert_eq!(err, ScenarioError::Json("missing field `version`".into()));
}

#[test]
fn an_inconsistent_scenario_names_the_problem() {
    let json = r#"{"version": 1, "rabbitmq": {"bindings": [{"source": "nope", "destination": "q"}]}}"#;
    let err = Scenario::from_json(json).unwrap_err();
    assert_eq!(err, ScenarioError::Invalid("binding source exchange `nope` does not exist".into()));
    let json = r#"{"version": 1, "kafka": {"topics": [{"name": "t", "configs": {"cleanup.polcy": "compact"}}]}}"#;
    assert_eq!(
        Scenario::from_json(json).unwrap_err(),
        ScenarioError::Invalid("topic `t`: unknown config `cleanup.polcy`".into())
    );
}

#[test]
fn defaults_are_left_out_of_the_written_file() {
    let json = presets::get("work-queue").expect("preset").to_json();
    assert!(!json.contains("\"durable\""), "{json}");
    assert!(!json.contains("\"vhost\""), "{json}");
    assert!(!json.contains("\"client\": \"app\""), "{json}");
}

#[test]
fn errors_read_as_sentences() {
    let e = ScenarioError::LinkTooLong { len: 10, max: 5 };
    assert_eq!(e.to_string(), "the link is 10 characters long; Brokerlab links are at most 5");
    let boxed: Box<dyn std::error::Error> = Box::new(ScenarioError::Empty);
    assert_eq!(boxed.to_string(), "the scenario is empty");
}

fn canvas_golden() -> Scenario {
    Scenario::from_json(include_str!("golden/v1/canvas.json")).expect("golden file")
}

#[test]
fn a_canvas_section_round_trips_through_a_link_and_a_file() {
    let s = canvas_golden();
    assert!(!s.canvas.producers.is_empty() && !s.canvas.order.is_empty());
    assert_eq!(Scenario::from_link(&s.to_link()), Ok(s.clone()));
    assert_eq!(Scenario::from_json(&s.to_json()), Ok(s));
}

#[test]
fn a_scenario_without_a_canvas_section_writes_none() {
    let json = presets::get("kafka-vs-rabbit").expect("preset").to_json();
    assert!(!json.contains("\"canvas\""), "{json}");
}

#[test]
fn decoding_without_validation_opens_what_validation_refuses_and_nothing_damaged() {
    // An exchange named like a predeclared one: a canvas may hold it (the
    // engine refuses it when declared), a scenario check refuses it.
    let mut s = presets::get("topic-routing").expect("preset");
    s.rabbitmq.exchanges[0].name = "amq.direct".into();
    for b in &mut s.rabbitmq.bindings {
        b.source = "amq.direct".into();
    }
    let link = s.to_link();
    assert!(matches!(Scenario::from_link(&link), Err(ScenarioError::Invalid(_))));
    assert!(matches!(Scenario::from_json(&s.to_json()), Err(ScenarioError::Invalid(_))));
    assert_eq!(Scenario::decode_link(&link), Ok(s.clone()));
    assert_eq!(Scenario::decode_json(&s.to_json()), Ok(s));
    // Every bound and check of the encoding still holds.
    assert_eq!(Scenario::decode_link(""), Err(ScenarioError::Empty));
    // Cut by a whole base64 group, so what is left decodes and the checksum
    // is what reports the damage.
    let cut = Scenario::decode_link(&link[..link.len() - 4]);
    assert!(matches!(cut, Err(ScenarioError::Corrupt(_))), "{cut:?}");
    assert!(matches!(Scenario::decode_link("3.abc"), Err(ScenarioError::NewerVersion { .. })));
    let long = format!("1.{}", "A".repeat(MAX_LINK_CHARS + 1));
    assert!(matches!(Scenario::decode_link(&long), Err(ScenarioError::LinkTooLong { .. })));
    let zeros = vec![b' '; MAX_DECODED_BYTES * 8];
    let bomb = format!("1.{}", URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec_zlib(&zeros, 10)));
    assert_eq!(Scenario::decode_link(&bomb), Err(ScenarioError::TooLarge { max: MAX_DECODED_BYTES }));
    assert!(matches!(
        Scenario::decode_json("{\"version\": 1, \"canvas\": {\"order\": [true]}}"),
        Err(ScenarioError::Json(_))
    ));
}

fn link_alphabet() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[0-9]{0,3}\\.?[A-Za-z0-9_-]{0,300}").expect("regex")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_string_opens_as_a_link_or_a_typed_error(s in any::<String>()) {
        let _ = Scenario::from_link(&s);
    }

    #[test]
    fn any_link_shaped_string_opens_or_fails_cleanly(s in link_alphabet()) {
        let _ = Scenario::from_link(&s);
    }

    #[test]
    fn any_string_reads_as_a_file_or_a_typed_error(s in any::<String>()) {
        let _ = Scenario::from_json(&s);
    }

    #[test]
    fn any_string_reads_as_definitions_or_a_typed_error(s in any::<String>()) {
        let _ = definitions::from_definitions(&s);
    }

    #[test]
    fn random_bytes_behind_a_valid_prefix_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let _ = Scenario::from_link(&format!("1.{}", URL_SAFE_NO_PAD.encode(&bytes)));
        // The same bytes as a zlib stream with a valid header.
        let mut z = vec![0x78, 0xda];
        z.extend_from_slice(&bytes);
        let _ = Scenario::from_link(&format!("1.{}", URL_SAFE_NO_PAD.encode(&z)));
    }

    #[test]
    fn a_corrupted_preset_link_never_panics(
        id in 0..presets::ids().count(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let s = presets::all().swap_remove(id);
        let mut bytes = s.to_link().into_bytes();
        for (i, b) in edits {
            let i = i.index(bytes.len());
            bytes[i] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."[usize::from(b) % 65];
        }
        let link = String::from_utf8(bytes).expect("ascii");
        let _ = Scenario::from_link(&link);
        let _ = Scenario::from_link(&link[..cut.index(link.len())]);
    }

    #[test]
    fn corrupted_json_files_never_panic(
        id in 0..presets::ids().count(),
        cut in any::<prop::sample::Index>(),
        junk in "[\\[\\]{}\",:0-9a-z ]{0,20}",
    ) {
        let json = presets::all().swap_remove(id).to_json();
        let at = cut.index(json.len());
        if json.is_char_boundary(at) {
            let _ = Scenario::from_json(&format!("{}{junk}{}", &json[..at], &json[at..]));
            let _ = Scenario::from_json(&json[..at]);
        }
    }

    #[test]
    fn published_text_survives_a_link_round_trip(
        body in any::<String>(),
        key in "[a-z.*#]{0,30}",
        header in any::<String>(),
        seed in any::<u64>(),
    ) {
        let mut s = presets::get("topic-routing").expect("preset");
        s.seed = seed;
        let mut headers = Arguments::new();
        headers.insert("h".into(), serde_json::Value::String(header));
        s.script.push(Action::Publish {
            client: "app".into(),
            vhost: "/".into(),
            exchange: "logs".into(),
            routing_key: key,
            body,
            properties: Properties::default(),
            headers,
            mandatory: false,
        });
        prop_assert_eq!(Scenario::from_link(&s.to_link()), Ok(s.clone()));
        prop_assert_eq!(Scenario::from_json(&s.to_json()), Ok(s));
    }
}

/// Version 2 gave the RabbitMQ part a release, 4.3 by default, which refuses
/// transient queues. A version-1 link, as the playground wrote every queue
/// transient, keeps running: it migrates to RabbitMQ 4.2.
#[test]
fn a_version_1_rabbitmq_part_migrates_to_the_release_that_ran_it() {
    let v1 = r#"{"version": 1, "rabbitmq": {"queues": [{"name": "q", "durable": false}]}}"#;
    let s = Scenario::from_json(v1).expect("a version-1 file opens");
    assert_eq!(s.version, FORMAT_VERSION);
    assert_eq!(s.rabbitmq.version, brokerlab_scenario::RabbitVersion::V4_2);
    assert!(s.start().is_ok(), "its transient queue still declares");
    let named = r#"{"version": 1, "rabbitmq": {"version": "3.10", "queues": [{"name": "q"}]}}"#;
    assert_eq!(Scenario::from_json(named).expect("opens").rabbitmq.version, brokerlab_scenario::RabbitVersion::V3_10);
    let kafka_only = r#"{"version": 1, "kafka": {"topics": [{"name": "t"}]}}"#;
    assert!(Scenario::from_json(kafka_only).expect("opens").rabbitmq.is_empty(), "no RabbitMQ part is added");
    let v2 = r#"{"version": 2, "rabbitmq": {"queues": [{"name": "q", "durable": false}]}}"#;
    assert!(Scenario::from_json(v2).expect("opens").start().is_err(), "version 2 without a release is 4.3");
}
