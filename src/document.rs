//! What the shell does to the browser document around a page: `set_title`
//! names the page in the tab, and `focus_heading` moves keyboard focus to the
//! page's one `h1` after navigation. The pages and the shell both call these,
//! so they live here rather than in `app`, which depends on every page.

use wasm_bindgen::JsCast;

/// Sets the document title as "<page> · Brokerlab".
pub fn set_title(page: &str) {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        document.set_title(&format!("{page} · Brokerlab"));
    }
}

/// Focuses the current page's `h1`, making it focusable first, so keyboard
/// and screen-reader users land where sighted users look.
pub fn focus_heading() {
    let heading = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("main h1").ok().flatten())
        .and_then(|h| h.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(heading) = heading {
        let _ = heading.set_attribute("tabindex", "-1");
        let _ = heading.focus();
    }
}
