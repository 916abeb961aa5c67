//! Tests of the editor's edits, its history and the pairs text, all native.

use super::*;
use brokerlab_rabbit::ExchangeKind;

fn editor() -> Playground {
    Playground::default()
}

#[test]
fn new_nodes_get_unique_names_and_free_spots() {
    let mut p = editor();
    let a = p.add_node(NodeKind::Queue, None);
    let b = p.add_node(NodeKind::Queue, None);
    let (na, nb) = (p.topology.node(a).unwrap(), p.topology.node(b).unwrap());
    assert_eq!((na.name.as_str(), nb.name.as_str()), ("q1", "q2"));
    assert!((na.x - nb.x).abs() >= NODE_W || (na.y - nb.y).abs() >= NODE_H, "nodes must not overlap");
    assert_eq!(p.selection, Selection::Node(b));
}

#[test]
fn edges_point_the_way_messages_flow() {
    let mut p = editor();
    let q = p.add_node(NodeKind::Queue, None);
    let c = p.add_node(NodeKind::Consumer, None);
    let e = p.connect(c, q).unwrap();
    let edge = p.topology.edge(e).unwrap();
    assert_eq!((edge.from, edge.to, edge.role), (q, c, EdgeRole::Consume));
}

#[test]
fn nonsense_connections_are_refused_with_a_reason() {
    let mut p = editor();
    let prod = p.add_node(NodeKind::Producer, None);
    let cons = p.add_node(NodeKind::Consumer, None);
    let err = p.connect(prod, cons).unwrap_err();
    assert_eq!(err.to_string(), "A producer cannot connect to a consumer.");
    assert_eq!(p.connect(prod, prod), Err(EditError::SelfLoop));
    assert!(p.topology.edges.is_empty());
}

#[test]
fn a_consumer_reads_from_one_source() {
    let mut p = editor();
    let q1 = p.add_node(NodeKind::Queue, None);
    let q2 = p.add_node(NodeKind::Queue, None);
    let c = p.add_node(NodeKind::Consumer, None);
    p.connect(q1, c).unwrap();
    assert!(matches!(p.connect(q2, c), Err(EditError::ConsumerHasSource(_))));
    assert_eq!(p.connect(q1, c), Err(EditError::AlreadyConnected));
}

#[test]
fn a_new_queue_binding_is_keyed_by_the_queue_name() {
    let mut p = editor();
    let x = p.add_exchange(ExchangeKind::Topic, None);
    let q = p.add_node(NodeKind::Queue, None);
    let e = p.connect(x, q).unwrap();
    assert_eq!(p.topology.edge(e).unwrap().binding_key, "q1");
    p.set_binding(e, "eu.#", "").unwrap();
    assert_eq!(p.topology.edge(e).unwrap().binding_key, "eu.#");
}

#[test]
fn deleting_a_node_removes_its_edges() {
    let mut p = editor();
    let x = p.add_node(NodeKind::Exchange, None);
    let q = p.add_node(NodeKind::Queue, None);
    p.connect(x, q).unwrap();
    p.selection = Selection::Node(x);
    assert!(p.delete_selection());
    assert!(p.topology.edges.is_empty());
    assert_eq!(p.topology.nodes.len(), 1);
    assert_eq!(p.selection, Selection::None);
}

#[test]
fn undo_and_redo_walk_the_history() {
    let mut p = editor();
    let q = p.add_node(NodeKind::Queue, None);
    p.rename(q, "orders").unwrap();
    p.nudge(q, NUDGE, 0.0).unwrap();
    let moved = p.topology.clone();
    assert!(p.undo());
    assert!(p.undo());
    assert_eq!(p.topology.node(q).unwrap().name, "q1");
    assert!(p.undo());
    assert!(p.topology.nodes.is_empty());
    assert!(!p.undo());
    assert!(p.redo() && p.redo() && p.redo());
    assert_eq!(p.topology, moved);
    assert!(!p.can_redo());
}

#[test]
fn a_new_edit_clears_redo() {
    let mut p = editor();
    p.add_node(NodeKind::Queue, None);
    p.undo();
    assert!(p.can_redo());
    p.add_node(NodeKind::Producer, None);
    assert!(!p.can_redo());
}

#[test]
fn a_drag_is_one_undo_step() {
    let mut p = editor();
    let q = p.add_node(NodeKind::Queue, Some((0.0, 0.0)));
    p.begin_drag();
    for i in 1..=10 {
        p.drag_to(q, i as f64 * 5.0, 0.0);
    }
    assert_eq!(p.topology.node(q).unwrap().x, 50.0);
    p.undo();
    assert_eq!(p.topology.node(q).unwrap().x, 0.0);
}

#[test]
fn names_are_unique_per_kind_and_not_empty() {
    let mut p = editor();
    let a = p.add_node(NodeKind::Queue, None);
    p.add_node(NodeKind::Queue, None);
    let x = p.add_node(NodeKind::Exchange, None);
    assert_eq!(p.rename(a, "q2"), Err(EditError::DuplicateName("q2".into())));
    assert_eq!(p.rename(a, "  "), Err(EditError::EmptyName));
    p.rename(x, "q2").unwrap();
}

#[test]
fn a_topic_outside_kafkas_limits_is_refused() {
    let mut p = editor();
    let t = p.add_node(NodeKind::Topic, None);
    let bad = NodeConfig::Topic(TopicSettings { partitions: 0, replication_factor: 1, ..TopicSettings::default() });
    assert!(matches!(p.configure(t, bad), Err(EditError::OutOfRange(_))));
}

#[test]
fn pairs_parse_and_report_the_bad_part() {
    assert_eq!(
        parse_pairs("x-match=all, region = eu").unwrap(),
        vec![("x-match".into(), "all".into()), ("region".into(), "eu".into())]
    );
    assert!(parse_pairs("region").unwrap_err().contains("region"));
    assert!(parse_pairs(" , ").unwrap().is_empty());
}

#[test]
fn pairs_have_one_canonical_form_and_bad_ones_are_named() {
    assert_eq!(canonical_pairs("x-match=all,region = eu").as_deref(), Some("region=eu, x-match=all"));
    assert_eq!(canonical_pairs(" , ").as_deref(), Some(""));
    assert_eq!(canonical_pairs("a==b, c=").as_deref(), Some("a==b, c="));
    assert_eq!(canonical_pairs("region"), None);
    assert!(pairs_map("a=1, a=2").unwrap_err().contains("given twice"));
    let map = pairs_map("a==b, c=").unwrap();
    assert_eq!(pairs_map(&pairs_text(&map).unwrap()).unwrap(), map);
    for (name, value) in [("", "x"), ("a=b", "x"), ("a,b", "x"), (" a", "x"), ("a", "x,y"), ("a", " x")] {
        let map = BTreeMap::from([(name.to_string(), value.to_string())]);
        assert!(pairs_text(&map).unwrap_err().contains("cannot be written"), "{name:?}={value:?}");
    }
}

#[test]
fn the_editor_keeps_positions_whole_and_settings_canonical() {
    let mut p = editor();
    let x = p.add_exchange(ExchangeKind::Headers, Some((10.4, -3.0)));
    assert_eq!((p.topology.node(x).unwrap().x, p.topology.node(x).unwrap().y), (10.0, 0.0));
    p.begin_drag();
    p.drag_to(x, 20.6, 7.5);
    assert_eq!((p.topology.node(x).unwrap().x, p.topology.node(x).unwrap().y), (21.0, 8.0));
    let q = p.add_node(NodeKind::Queue, None);
    let e = p.connect(x, q).unwrap();
    p.set_binding(e, "", "x-match=any,b = 2, a=1").unwrap();
    assert_eq!(p.topology.edge(e).unwrap().arguments, "a=1, b=2, x-match=any");
    p.set_binding(e, "", "x-match").unwrap();
    assert_eq!(p.topology.edge(e).unwrap().arguments, "x-match", "unparsable text is kept for the run to report");
    p.configure(q, NodeConfig::Queue(QueueSettings { dead_letter_exchange: " dlx ".into(), ..Default::default() }))
        .unwrap();
    assert!(matches!(&p.topology.node(q).unwrap().config, NodeConfig::Queue(s) if s.dead_letter_exchange == "dlx"));
    assert_eq!(p.topology.canonical(), p.topology);
}

#[test]
fn canonical_sorts_rounds_and_moves_the_counter_past_every_id() {
    let mut p = editor();
    let a = p.add_node(NodeKind::Queue, None);
    let b = p.add_node(NodeKind::Producer, None);
    let mut t = p.topology.clone();
    t.nodes.reverse();
    t.nodes[0].x = 12.7;
    t.next_id = 1;
    let c = t.canonical();
    assert_eq!(c.nodes.iter().map(|n| n.id).collect::<Vec<_>>(), vec![a, b]);
    assert_eq!(c.node(b).unwrap().x, 13.0);
    assert_eq!(c.next_id, b + 1);
}

#[test]
fn topologies_round_trip_through_json() {
    let mut p = editor();
    let x = p.add_exchange(ExchangeKind::Headers, None);
    let q = p.add_node(NodeKind::Queue, None);
    let e = p.connect(x, q).unwrap();
    p.set_binding(e, "", "x-match=any, a=1").unwrap();
    let json = serde_json::to_string(&p.topology).unwrap();
    assert_eq!(serde_json::from_str::<Topology>(&json).unwrap(), p.topology);
}
