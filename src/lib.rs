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

/// Installs the panic notice and mounts the app on the page's body.
pub fn start() {
    crash::install();
    leptos::mount::mount_to_body(app::App);
}
