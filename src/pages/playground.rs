//! The playground page, where a learner builds and runs a topology.

use crate::app::set_title;
use leptos::prelude::*;

/// The full-size playground.
#[component]
pub fn PlaygroundPage(
    /// A scenario from a share link, still encoded, if the page was opened from one.
    shared: Option<String>,
) -> impl IntoView {
    set_title("Playground");
    let _ = shared;
    view! {
        <div class="page playground-page">
            <h1>"Playground"</h1>
            <p class="lede">"Build a RabbitMQ topology or a Kafka cluster and watch every message move."</p>
        </div>
    }
}
