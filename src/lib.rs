//! Brokerlab's single-page app: a Kafka and a RabbitMQ engine running in the
//! browser beside a course.
//!
//! The app is two wasm modules over this one library. The shell, what the
//! `brokerlab-web` binary reaches: `route` maps the URL fragment to a page
//! and back; `course` is the table of contents generated from `content/`,
//! reading progress and search; `pages` holds one module per page; `app`
//! draws the shell (header, navigation, the current page); `document` titles
//! the page and focuses its heading; `files` moves data in and out of the
//! browser; `crash` turns a panic into a visible notice; `island` fetches the
//! second module and mounts its parts into a page. The engines module, what
//! the `brokerlab-engines` binary reaches, loaded on demand: `engines` says
//! what each island mounts; `embeds` holds what lessons embed (live
//! scenarios, the pattern labs); `playground` is the playground. Logic that
//! can be tested without a browser lives in plain functions beside each
//! component.

pub mod app;
pub mod course;
pub mod crash;
pub mod document;
pub mod embeds;
pub mod engines;
pub mod files;
pub mod island;
pub mod pages;
pub mod playground;
pub mod route;

/// Installs the panic notice and mounts the app on the page's body, then
/// removes the page `index.html` painted before the app loaded (the
/// `[data-prerender]` block, see `src/first-paint.js`). Mounting draws the
/// first frame synchronously, so both happen in one task and no frame shows
/// the one without the other.
pub fn start() {
    crash::install();
    leptos::mount::mount_to_body(app::App);
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        while let Some(prerendered) = document.query_selector("[data-prerender]").ok().flatten() {
            prerendered.remove();
        }
    }
}
