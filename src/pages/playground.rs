//! The playground page, where a learner builds and runs a topology. The page
//! only decides what to open (a shared link or an empty canvas); the
//! playground itself lives in `crate::playground`.

use crate::app::set_title;
use crate::playground::{model::Topology, share, view::PlaygroundView};
use leptos::prelude::*;

/// The full-size playground.
#[component]
pub fn PlaygroundPage(
    /// A scenario from a share link, still encoded, if the page was opened from one.
    shared: Option<String>,
) -> impl IntoView {
    set_title("Playground");
    let (initial, problem) = match shared.as_deref().map(share::from_link) {
        Some(Ok(topology)) => (topology, None),
        Some(Err(e)) => (Topology::default(), Some(e)),
        None => (Topology::default(), None),
    };
    view! {
        <div class="page playground-page">
            <h1>"Playground"</h1>
            <p class="lede">"Build a RabbitMQ topology or a Kafka cluster and watch every message move."</p>
            {problem.map(|p| view! { <p class="pg-load-error" role="alert">{p}</p> })}
            <PlaygroundView initial />
        </div>
    }
}
