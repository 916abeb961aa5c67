//! The playground page, where a learner builds and runs a topology. The
//! playground itself (`crate::playground`) runs in the engines module, as an
//! island; the page hands it the share link it was opened from, if any.

use crate::document::set_title;
use crate::island::Island;
use leptos::prelude::*;

/// The full-size playground.
#[component]
pub fn PlaygroundPage(
    /// A scenario from a share link, still encoded, if the page was opened from one.
    shared: Option<String>,
) -> impl IntoView {
    set_title("Playground");
    view! {
        <div class="page playground-page">
            <h1>"Playground"</h1>
            <p class="lede">"Build a RabbitMQ topology or a Kafka cluster and watch every message move."</p>
            <Island kind="playground" arg=shared.unwrap_or_default() loading="Starting the playground…" />
        </div>
    }
}
