//! Every vector in the RabbitMQ conformance files in `tests/vectors/`, loaded at test
//! time: topic matching (on the bare trie and through the broker), binding
//! key validation, the headers exchange, and direct, fanout and default
//! exchange routing.

use brokerlab_rabbit::topic::{TopicTrie, topic_matches, validate_binding_key};
use brokerlab_rabbit::*;
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("cannot parse {path}: {e}"))
}

fn s(v: &Value) -> String {
    v.as_str().expect("string").to_string()
}

fn sorted(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v.as_array().expect("array").iter().map(s).collect();
    out.sort();
    out
}

fn guest() -> (Broker, ChannelId) {
    let mut b = Broker::new(7);
    let ch = b.connect("guest", "guest", "/").expect("guest connects");
    (b, ch)
}

fn is_exchange_destination(name: &str) -> bool {
    name.contains("(exchange")
}

#[test]
fn topic_vectors_match_on_the_trie_and_the_reference_matcher() {
    let doc = load("rabbit_topic_matching.json");
    let sets = &doc["binding_sets"];
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 50, "expected the full vector set");
    for case in cases {
        let id = s(&case["id"]);
        let set = &sets[case["binding_set"].as_str().expect("set name")]["bindings"];
        let removed: Vec<u64> =
            case["removed_binding_indexes"].as_array().expect("removed").iter().map(|v| v.as_u64().unwrap()).collect();
        let mut trie = TopicTrie::new();
        let bindings = set.as_array().expect("bindings");
        for b in bindings {
            trie.insert(b["binding_key"].as_str().unwrap(), b["index"].as_u64().unwrap());
        }
        for idx in &removed {
            let b = bindings.iter().find(|b| b["index"].as_u64() == Some(*idx)).expect("removed index exists");
            assert!(trie.remove(b["binding_key"].as_str().unwrap(), idx), "{id}: removing binding {idx}");
        }
        let rk = case["routing_key"].as_str().unwrap();
        let mut got: Vec<String> = Vec::new();
        if !case["exchange_deleted"].as_bool().unwrap() {
            let mut hits = Vec::new();
            trie.matches_into(rk, &mut hits);
            got = hits
                .iter()
                .map(|i| s(&bindings.iter().find(|b| b["index"].as_u64() == Some(*i)).unwrap()["destination"]))
                .collect();
            got.sort();
            got.dedup();
            // The plain matcher must agree with the trie on every binding.
            let mut reference: Vec<String> = bindings
                .iter()
                .filter(|b| !removed.contains(&b["index"].as_u64().unwrap()))
                .filter(|b| topic_matches(b["binding_key"].as_str().unwrap(), rk))
                .map(|b| s(&b["destination"]))
                .collect();
            reference.sort();
            reference.dedup();
            assert_eq!(reference, got, "{id}: reference matcher disagrees with the trie");
        }
        assert_eq!(got, sorted(&case["expected_destinations"]), "{id}");
    }
}

#[test]
fn topic_vectors_route_through_the_broker() {
    let doc = load("rabbit_topic_matching.json");
    let sets = &doc["binding_sets"];
    let mut checked = 0;
    for case in doc["cases"].as_array().unwrap() {
        let id = s(&case["id"]);
        let bindings = sets[case["binding_set"].as_str().unwrap()]["bindings"].as_array().unwrap();
        // Sets holding keys that 4.x refuses (three or more '#') only exist in
        // brokers upgraded from older versions; the trie test covers them.
        if bindings.iter().any(|b| validate_binding_key(b["binding_key"].as_str().unwrap()).is_err()) {
            continue;
        }
        let (mut b, ch) = guest();
        b.declare_exchange(ch, "t", ExchangeKind::Topic).unwrap();
        for bd in bindings {
            let dest = s(&bd["destination"]);
            let mut args = FieldTable::new();
            for (k, v) in bd["args"].as_object().unwrap() {
                args.insert(k.clone(), FieldValue::str(v.as_str().unwrap()));
            }
            if is_exchange_destination(&dest) {
                b.declare_exchange(ch, &dest, ExchangeKind::Fanout).unwrap();
                b.apply(Command::ExchangeBind {
                    channel: ch,
                    destination: dest.clone(),
                    source: "t".into(),
                    routing_key: s(&bd["binding_key"]),
                    arguments: args,
                })
                .into_result()
                .unwrap();
            } else {
                b.declare_queue(ch, &dest, FieldTable::new()).unwrap();
                b.bind_queue_with(ch, &dest, "t", bd["binding_key"].as_str().unwrap(), args).unwrap();
            }
        }
        for idx in case["removed_binding_indexes"].as_array().unwrap() {
            let bd = bindings.iter().find(|x| x["index"] == *idx).unwrap();
            let mut args = FieldTable::new();
            for (k, v) in bd["args"].as_object().unwrap() {
                args.insert(k.clone(), FieldValue::str(v.as_str().unwrap()));
            }
            b.apply(Command::QueueUnbind {
                channel: ch,
                queue: s(&bd["destination"]),
                exchange: "t".into(),
                routing_key: s(&bd["binding_key"]),
                arguments: args,
            })
            .into_result()
            .unwrap();
        }
        if case["exchange_deleted"].as_bool().unwrap() {
            b.apply(Command::ExchangeDelete { channel: ch, exchange: "t".into(), if_unused: false })
                .into_result()
                .unwrap();
        }
        let rk = case["routing_key"].as_str().unwrap();
        let got = b.route("/", "t", rk, None);
        let want: Vec<String> =
            sorted(&case["expected_destinations"]).into_iter().filter(|d| !is_exchange_destination(d)).collect();
        assert_eq!(got, want, "{id}");
        // The trace must agree with the routing result.
        let trace = b.explain_route("/", "t", rk, None);
        assert_eq!(trace.queues, want, "{id}: trace");
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} topic cases went through the broker");
}

#[test]
fn binding_key_validation_vectors() {
    let doc = load("rabbit_topic_matching.json");
    let (mut b, ch) = guest();
    b.declare_exchange(ch, "t", ExchangeKind::Topic).unwrap();
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    for case in doc["binding_validation_cases"]["cases"].as_array().unwrap() {
        let key = case["binding_key"].as_str().unwrap();
        let ok = case["expected"].as_str().unwrap() == "ok";
        assert_eq!(validate_binding_key(key).is_ok(), ok, "{key}");
        match b.bind_queue(ch, "q", "t", key) {
            Ok(_) => assert!(ok, "{key} should be refused"),
            Err(e) => {
                assert!(!ok, "{key} should be accepted: {e}");
                assert_eq!(e.code, ReplyCode::PreconditionFailed);
                assert_eq!(e.reply_code(), 406);
                // The refusal closed the channel, as a real broker does.
                let conn = ch.connection;
                let fresh = b.open_channel(conn).unwrap();
                return validation_rest(b, fresh, &doc, key);
            }
        }
    }
}

/// Continues the validation vectors on a new channel after one refusal.
fn validation_rest(mut b: Broker, mut ch: ChannelId, doc: &Value, after: &str) {
    let cases = doc["binding_validation_cases"]["cases"].as_array().unwrap();
    let start = cases.iter().position(|c| c["binding_key"] == after).unwrap() + 1;
    for case in &cases[start..] {
        let key = case["binding_key"].as_str().unwrap();
        let ok = case["expected"].as_str().unwrap() == "ok";
        match b.bind_queue(ch, "q", "t", key) {
            Ok(_) => assert!(ok, "{key} should be refused"),
            Err(e) => {
                assert!(!ok, "{key} should be accepted: {e}");
                assert_eq!(e.code, ReplyCode::PreconditionFailed);
                ch = b.open_channel(ch.connection).unwrap();
            }
        }
    }
}

fn field(v: &Value) -> FieldValue {
    let value = &v["value"];
    match v["type"].as_str().unwrap() {
        "longstr" | "utf8" => FieldValue::str(value.as_str().unwrap()),
        "void" => FieldValue::Void,
        "uint" => FieldValue::LongUInt(value.as_u64().unwrap() as u32),
        "long" => FieldValue::LongLongInt(value.as_i64().unwrap()),
        "bool" => FieldValue::Boolean(value.as_bool().unwrap()),
        "array" => FieldValue::FieldArray(value.as_array().unwrap().iter().map(field).collect()),
        other => panic!("unhandled field type {other}"),
    }
}

fn table(items: &Value) -> Option<FieldTable> {
    let items = items.as_array()?;
    Some(items.iter().map(|i| (s(&i["key"]), field(i))).collect())
}

#[test]
fn headers_exchange_vectors() {
    let doc = load("rabbit_headers.json");
    let cases = doc["cases"].as_array().unwrap();
    assert!(!cases.is_empty());
    for case in cases {
        let id = s(&case["id"]);
        let (mut b, ch) = guest();
        b.declare_exchange(ch, "h", ExchangeKind::Headers).unwrap();
        for bd in case["bindings"].as_array().unwrap() {
            let dest = s(&bd["destination"]);
            b.declare_queue(ch, &dest, FieldTable::new()).unwrap();
            b.bind_queue_with(ch, &dest, "h", "", table(&bd["args"]).unwrap()).unwrap();
        }
        let headers = table(&case["message"]["headers"]);
        let mut want = sorted(&case["expected_destinations"]);
        want.dedup();
        assert_eq!(b.route("/", "h", "ignored", headers.as_ref()), want, "{id}");
        let props = BasicProperties { headers, ..Default::default() };
        let ev = b.publish_with(ch, "h", "", props, "m", false).unwrap();
        let reached = ev
            .iter()
            .find_map(|e| match e {
                Event::Published { queues, .. } => Some(queues.iter().map(|q| q.to_string()).collect::<Vec<String>>()),
                _ => None,
            })
            .unwrap();
        assert_eq!(reached, want, "{id}: publish");
    }
}

#[test]
fn invalid_x_match_is_refused_at_bind_time() {
    let (mut b, ch) = guest();
    b.declare_exchange(ch, "h", ExchangeKind::Headers).unwrap();
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    let mut args = FieldTable::new();
    args.insert("x-match".into(), FieldValue::str("some"));
    let err = b.bind_queue_with(ch, "q", "h", "", args).unwrap_err();
    assert_eq!(err.code, ReplyCode::PreconditionFailed);
}

#[test]
fn direct_fanout_and_default_exchange_vectors() {
    let doc = load("rabbit_direct_fanout_default.json");
    for case in doc["cases"].as_array().unwrap() {
        let id = s(&case["id"]);
        let (mut b, ch) = guest();
        let exchange = s(&case["exchange"]);
        for q in case["declared_queues"].as_array().into_iter().flatten() {
            b.declare_queue(ch, q.as_str().unwrap(), FieldTable::new()).unwrap();
        }
        for bd in case["bindings"].as_array().into_iter().flatten() {
            let dest = s(&bd["destination"]);
            b.declare_queue(ch, &dest, FieldTable::new()).unwrap();
            b.bind_queue(ch, &dest, &exchange, bd["binding_key"].as_str().unwrap()).unwrap();
        }
        if let Some(expected) = case.get("expected_binding_list") {
            let listed = b.bindings("/");
            for e in expected.as_array().unwrap() {
                assert!(
                    listed.iter().any(|l| l.source == s(&e["source"])
                        && l.destination == s(&e["destination"])
                        && l.routing_key == s(&e["binding_key"])
                        && l.destination_kind == DestinationKind::Queue),
                    "{id}: missing implicit binding {e}"
                );
            }
            continue;
        }
        let publish = &case["publish"];
        let headers = table(&publish["headers"]);
        let props = BasicProperties { headers, ..Default::default() };
        let ev = b.publish_with(ch, &exchange, publish["routing_key"].as_str().unwrap(), props, "m", false).unwrap();
        let reached = ev
            .iter()
            .find_map(|e| match e {
                Event::Published { queues, .. } => Some(queues.iter().map(|q| q.to_string()).collect::<Vec<String>>()),
                _ => None,
            })
            .unwrap();
        assert_eq!(reached, sorted(&case["expected_destinations"]), "{id}");
        // BCC recipients are stripped from every delivered copy; CC stays.
        for q in b.queues("/") {
            for m in q.messages {
                let h = m.properties.headers.unwrap_or_default();
                assert!(!h.contains_key("BCC"), "{id}: BCC leaked into {}", q.name);
            }
        }
    }
}

#[test]
fn the_default_exchange_cannot_be_bound_declared_or_deleted() {
    let (mut b, ch) = guest();
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    let err = b.bind_queue(ch, "q", "", "q").unwrap_err();
    assert_eq!((err.code, err.reply_code()), (ReplyCode::AccessRefused, 403));
    let ch = b.open_channel(ch.connection).unwrap();
    let err = b
        .apply(Command::ExchangeDelete { channel: ch, exchange: String::new(), if_unused: false })
        .into_result()
        .unwrap_err();
    assert_eq!(err.code, ReplyCode::AccessRefused);
    let ch = b.open_channel(ch.connection).unwrap();
    let err = b.declare_exchange(ch, "amq.custom", ExchangeKind::Direct).unwrap_err();
    assert_eq!(err.code, ReplyCode::AccessRefused);
}
