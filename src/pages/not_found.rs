//! The page for an address that names nothing: it says what was asked for
//! and offers the ways back, instead of a blank screen.

use crate::document::set_title;
use crate::route::Route;
use leptos::prelude::*;

/// Shown for any unknown route or lesson.
#[component]
pub fn NotFound(
    /// The path that was asked for, shown back to the reader.
    path: String,
    /// What kind of thing was missing, e.g. "lesson"; a page when absent.
    #[prop(optional, into)]
    what: Option<String>,
) -> impl IntoView {
    set_title("Not found");
    let what = what.unwrap_or_else(|| "page".to_owned());
    view! {
        <div class="page not-found">
            <h1>{format!("No such {what}")}</h1>
            <p>"Brokerlab has no " {what.clone()} " at " <code>{format!("#{path}")}</code> "."</p>
            <p>"The link may be mistyped, or the " {what} " may have moved."</p>
            <ul class="actions">
                <li><a href=Route::Course.href()>"Go to the course"</a></li>
                <li><a href=Route::Playground(None).href()>"Open the playground"</a></li>
            </ul>
        </div>
    }
}
