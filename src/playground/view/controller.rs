//! The KRaft panel: the controller quorum (which controller is active, in
//! which epoch, whether a majority runs) and the latest records of the
//! metadata log, as the Kafka engine's `metadata_log_view` reports them.
//! `describe` turns the view into text; the component only draws it.

use super::Ctx;
use brokerlab_kafka::MetadataLogView;
use leptos::prelude::*;

/// How many of the latest metadata records the panel lists.
const SHOWN: usize = 12;

/// What the panel shows, as text.
#[derive(Clone, Debug, PartialEq, Eq)]
struct QuorumText {
    /// "Active controller 100, epoch 1", or why there is none.
    status: String,
    /// One line per controller.
    voters: Vec<String>,
    /// The latest records, newest first: (offset, line).
    records: Vec<(u64, String)>,
}

fn describe(view: &MetadataLogView) -> QuorumText {
    let status = match view.leader {
        Some(l) => format!("Active controller {l}, epoch {}", view.epoch),
        None if view.has_majority => format!("Electing a new active controller (epoch {})", view.epoch),
        None => "No majority of controllers: metadata cannot change".to_string(),
    };
    let voters = view
        .controllers
        .iter()
        .map(|c| {
            let role = match (c.alive, c.leader) {
                (true, true) => "active",
                (true, false) => "follower",
                (false, _) => "down",
            };
            format!("Controller {}: {role}", c.id)
        })
        .collect();
    let records = view
        .records
        .iter()
        .rev()
        .take(SHOWN)
        .map(|r| (r.offset, format!("{} · {:.1} s · {}", r.offset, r.time_ms as f64 / 1000.0, r.record)))
        .collect();
    QuorumText { status, voters, records }
}

/// The KRaft controller quorum and the latest metadata records, when the
/// canvas has a Kafka cluster.
#[component]
pub(super) fn ControllerPanel(
    /// The playground's shared signals.
    ctx: Ctx,
) -> impl IntoView {
    let text = Memo::new(move |_| {
        ctx.frame.track();
        ctx.sim.with_value(|s| s.cluster().map(|c| describe(&c.metadata_log_view())))
    });
    move || {
        text.get().map(|t| {
            view! {
                <section class="pg-kraft" aria-label="KRaft controllers">
                    <h2>"KRaft controllers"</h2>
                    <p role="status">{t.status}</p>
                    <ul aria-label="Controller quorum">
                        {t.voters.into_iter().map(|v| view! { <li>{v}</li> }).collect_view()}
                    </ul>
                    <h3>"Metadata log"</h3>
                    <ol aria-label="Metadata log records">
                        {t.records.into_iter().map(|(_, line)| view! { <li>{line}</li> }).collect_view()}
                    </ol>
                </section>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_kafka::{Cluster, ClusterConfig, TopicConfig};

    #[test]
    fn the_panel_names_the_active_controller_and_lists_the_newest_records_first() {
        let mut c = Cluster::new(ClusterConfig::default(), 1).expect("cluster");
        c.create_topic("orders", TopicConfig::new(1, 3)).expect("topic");
        let t = describe(&c.metadata_log_view());
        assert_eq!(t.status, "Active controller 100, epoch 1");
        assert_eq!(t.voters, vec!["Controller 100: active", "Controller 101: follower", "Controller 102: follower"]);
        assert!(t.records[0].1.starts_with("8 · 0.0 s · PartitionRecord orders-0"), "{:?}", t.records);
        assert_eq!(t.records.len(), 9);
    }

    #[test]
    fn without_a_majority_the_panel_says_metadata_cannot_change() {
        let mut c = Cluster::new(ClusterConfig::default(), 1).expect("cluster");
        c.crash_controller(100).expect("crash");
        assert_eq!(describe(&c.metadata_log_view()).status, "Electing a new active controller (epoch 1)");
        c.crash_controller(101).expect("crash");
        let t = describe(&c.metadata_log_view());
        assert_eq!(t.status, "No majority of controllers: metadata cannot change");
        assert_eq!(t.voters[0], "Controller 100: down");
    }
}
