//! Brokerlab's single-page app: a Kafka and a RabbitMQ engine running in the
//! browser beside a course.
//!
//! `route` maps the URL fragment to a page and back; `course` is the table of
//! contents generated from `content/`; `pages` holds one module per page;
//! `app` draws the shell (header, navigation, the current page); `crash`
//! turns a panic into a visible notice. The engines, the labs and the
//! playground are linked into a second wasm module that the shell fetches on
//! demand: `island` is the shell's side of that, `engines` the module's. Logic that can be tested without a
//! browser lives in plain functions beside each component.

pub mod app;
pub mod course;
pub mod crash;
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
