//! The playground page, where a learner builds and runs a topology.

use crate::app::set_title;
use leptos::prelude::*;

/// The full-size playground.
#[component]
pub fn PlaygroundPage() -> impl IntoView {
    set_title("Playground");
    view! {
        <div class="page playground-page">
            <h1>"Playground"</h1>
            <p class="lede">"Build a RabbitMQ topology or a Kafka cluster and watch every message move."</p>
        </div>
    }
}
