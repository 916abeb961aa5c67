//! How Brokerlab moves data in and out of the browser without a server:
//! saving text as a downloaded file, reading a file the user picked, and the
//! browser's local storage (reading progress, the last playground), fetching
//! a file that ships beside the app (lesson text, the search index), taking
//! over a fetch the page started before the app loaded; plus the sentence to
//! show when a browser call fails.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Offers `text` to the user as a download named `filename`.
pub fn download(filename: &str, mime: &str, text: &str) -> Result<(), String> {
    let describe = |e: JsValue| e.as_string().unwrap_or_else(|| "the browser refused to save the file".to_owned());
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(describe)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(describe)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let anchor: web_sys::HtmlAnchorElement =
        document.create_element("a").map_err(describe)?.dyn_into().map_err(|_| "not an anchor")?;
    anchor.set_href(&url);
    anchor.set_download(filename);
    anchor.click();
    // The download starts after this task yields; revoking the URL at once
    // would cancel it, so it is released a little later.
    gloo_timers::callback::Timeout::new(10_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}

/// Reads the first file chosen in a file input as text, refusing files over
/// `max_bytes` before reading them.
pub async fn read_chosen(input: &web_sys::HtmlInputElement, max_bytes: usize) -> Result<String, String> {
    let file = input.files().and_then(|f| f.get(0)).ok_or("no file was chosen")?;
    if file.size() > max_bytes as f64 {
        return Err(format!(
            "{} is {:.0} KB, larger than the {} KB this accepts",
            file.name(),
            file.size() / 1024.0,
            max_bytes / 1024
        ));
    }
    let text = JsFuture::from(file.text()).await.map_err(|_| format!("{} could not be read", file.name()))?;
    text.as_string().ok_or_else(|| format!("{} is not a text file", file.name()))
}

/// The browser's local storage, or `None` where it cannot be used
/// (`local_storage` throws in some private modes; that is "no storage").
pub fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// What a failed browser call said (an `Error`'s message or a thrown
/// string), or `fallback` when it said nothing readable.
pub fn js_error(error: JsValue, fallback: &str) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| fallback.to_owned())
}

/// Fetches a file beside the app (relative to the page, so it works from any
/// sub-path) as text.
pub async fn fetch_text(url: String) -> Result<String, String> {
    let describe = |e| js_error(e, "the network request failed");
    let window = web_sys::window().ok_or("no browser window")?;
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str(&url)).await.map_err(describe)?.dyn_into().map_err(describe)?;
    if !response.ok() {
        return Err(format!("the server answered {} {}", response.status(), response.status_text()));
    }
    let text = JsFuture::from(response.text().map_err(describe)?).await.map_err(describe)?;
    text.as_string().ok_or_else(|| "the response was not text".to_owned())
}

/// A fetch the page's first-paint script (`src/first-paint.js`) started
/// before the app loaded: the lesson text of the address it was opened at.
#[derive(Debug)]
pub enum Prefetched {
    /// It has arrived.
    Ready(String),
    /// It is on its way; the promise resolves to the text, or rejects with
    /// the error `fetch_text` would give.
    Pending(js_sys::Promise),
}

/// Takes the first-paint script's fetch of `url`, if it made one; it is
/// handed out once, so a later visit to the same page fetches afresh.
pub fn take_prefetched(url: &str) -> Option<Prefetched> {
    let window = web_sys::window()?;
    let key = JsValue::from_str("brokerlabPrefetch");
    let entry = js_sys::Reflect::get(&window, &key).ok().filter(JsValue::is_object)?;
    let field = |name: &str| js_sys::Reflect::get(&entry, &JsValue::from_str(name)).ok();
    if field("url")?.as_string()? != url {
        return None;
    }
    let _ = js_sys::Reflect::delete_property(&window, &key);
    if let Some(text) = field("text").and_then(|t| t.as_string()) {
        return Some(Prefetched::Ready(text));
    }
    field("promise")?.dyn_into::<js_sys::Promise>().ok().map(Prefetched::Pending)
}

impl Prefetched {
    /// The text, once it has arrived, or why it could not be fetched.
    pub async fn text(self) -> Result<String, String> {
        match self {
            Self::Ready(text) => Ok(text),
            Self::Pending(promise) => {
                let text = JsFuture::from(promise).await.map_err(|e| js_error(e, "the network request failed"))?;
                text.as_string().ok_or_else(|| "the response was not text".to_owned())
            }
        }
    }
}
