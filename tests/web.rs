//! Tests that need a real browser: they run in headless Chromium through
//! wasm-bindgen-test (`cargo test --target wasm32-unknown-unknown`).
#![cfg(target_arch = "wasm32")]

use brokerlab::route::Route;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().and_then(|w| w.document()).expect("a browser document")
}

#[wasm_bindgen_test]
fn the_crash_notice_shows_the_message_as_text_with_ways_back() {
    brokerlab::crash::show_notice("boom <b>not bold</b>");
    let notice = document().get_element_by_id("crash-notice").expect("the notice is on the page");
    assert_eq!(notice.get_attribute("role").as_deref(), Some("alert"));
    let text = notice.text_content().unwrap_or_default();
    assert!(text.contains("Something went wrong"), "{text}");
    assert!(text.contains("boom <b>not bold</b>"), "the message is shown literally: {text}");
    assert!(notice.query_selector("b").expect("valid selector").is_none(), "the message is never parsed as HTML");
    assert!(text.contains("Reload this page") && text.contains("Back to the course"), "{text}");

    // A second panic replaces the notice instead of stacking another.
    brokerlab::crash::show_notice("again");
    assert_eq!(document().query_selector_all("#crash-notice").expect("valid selector").length(), 1);
}

#[wasm_bindgen_test]
fn the_route_is_read_from_the_address_fragment() {
    let location = web_sys::window().expect("a window").location();
    location.set_hash("#/playground").expect("hash can be set");
    assert_eq!(Route::current(), Route::Playground(None));
    location.set_hash("#/course/some-lesson").expect("hash can be set");
    assert_eq!(Route::current(), Route::Lesson("some-lesson".into()));
    location.set_hash("").expect("hash can be set");
    assert_eq!(Route::current(), Route::Course);
}

#[wasm_bindgen_test]
fn the_app_mounts_and_shows_the_course() {
    web_sys::window().expect("a window").location().set_hash("#/").expect("hash can be set");
    leptos::mount::mount_to_body(brokerlab::app::App);
    let heading = document().query_selector("main h1").expect("valid selector").expect("a page heading");
    assert_eq!(heading.text_content().as_deref(), Some("Learn message brokers by touching them"));
    let nav = document().query_selector("nav[aria-label=Main]").expect("valid selector").expect("main navigation");
    assert!(nav.text_content().unwrap_or_default().contains("Playground"));
}

#[wasm_bindgen_test]
fn a_solved_challenge_survives_in_local_storage_beside_read_lessons() {
    use brokerlab::course::progress::{self, Persistence};
    let storage = brokerlab::files::local_storage().expect("local storage in the test browser");
    storage.clear().expect("storage can be cleared");
    let (mut start, _) = progress::load();
    start.set_read("delivery-semantics", true);
    assert_eq!(progress::save(&start), Persistence::Kept);

    // The engines module records a solved challenge without the shell's
    // tracker; what the shell had stored must stay.
    assert!(!progress::stored_solved("topic-billing"));
    assert_eq!(progress::record_solved("topic-billing"), Persistence::Kept);
    let (back, persistence) = progress::load();
    assert_eq!(persistence, Persistence::Kept);
    assert!(back.is_solved("topic-billing") && progress::stored_solved("topic-billing"));
    assert!(back.is_read("delivery-semantics"), "recording a challenge keeps the read lessons");
    assert!(!back.is_solved("poison-dlq"));
    storage.clear().expect("storage can be cleared");
}
