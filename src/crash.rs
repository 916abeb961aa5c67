//! A panic must never leave a blank or frozen page. The hook logs the panic
//! to the console, as `console_error_panic_hook` does, and then writes a
//! notice straight into the DOM: after a panic the app's own code can no
//! longer run, so the notice uses plain HTML and inline handlers only.

use wasm_bindgen::JsCast;

const NOTICE_ID: &str = "crash-notice";

/// Installs the panic hook. Called once, before the app mounts.
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_notice(&info.to_string());
    }));
}

/// Shows (or replaces) the crash notice with the given message.
pub fn show_notice(message: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Some(body) = document.body() else { return };
    if let Some(old) = document.get_element_by_id(NOTICE_ID) {
        old.remove();
    }
    let Ok(notice) = document.create_element("div") else { return };
    notice.set_id(NOTICE_ID);
    notice.set_class_name("crash-notice");
    let _ = notice.set_attribute("role", "alert");
    // The message is set as text, never as HTML: it may quote user input.
    notice.set_inner_html(
        "<h2>Something went wrong</h2>\
         <p>Brokerlab hit an internal error and stopped. Your saved progress is safe. \
         The details below were also written to the browser console.</p>\
         <pre class=\"crash-detail\"></pre>\
         <p><button type=\"button\" onclick=\"location.reload()\">Reload this page</button> \
         <button type=\"button\" onclick=\"location.hash='#/';location.reload()\">Back to the course</button></p>",
    );
    if let Some(detail) = notice.query_selector(".crash-detail").ok().flatten() {
        detail.set_text_content(Some(message));
    }
    let _ = body.append_child(&notice);
    let button = notice.query_selector("button").ok().flatten().and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(button) = button {
        let _ = button.focus();
    }
}
