//! Islands: the parts of a page that run the broker engines (live lesson
//! panels, pattern labs, the playground) live in a second wasm module,
//! `brokerlab-engines`, fetched the first time a page needs one. The shell
//! (header, course, lesson text) loads without it, so a first visit fetches
//! only the shell.
//!
//! An island is an empty element the shell owns and the engines module fills.
//! The shell asks the module to mount a `kind` of island with one string
//! argument, and to unmount it again when the page goes away. While the
//! module loads the island says so; if it cannot load, the island says why
//! and offers to try again, and the rest of the page keeps working.

use leptos::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// The engines module's JS entry, beside `index.html`.
pub const ENGINES_JS: &str = "brokerlab-engines.js";

#[wasm_bindgen(inline_js = r#"
let loading = null;
let failures = 0;
export function load_engines(file) {
  if (!loading) {
    const meta = document.querySelector('meta[name="brokerlab-engines"]');
    const version = meta ? meta.content : '';
    const url = new URL(file, document.baseURI);
    const wasm = new URL(file.replace(/\.js$/, '_bg.wasm'), document.baseURI);
    if (version) {
      url.searchParams.set('v', version);
      wasm.searchParams.set('v', version);
    }
    // A browser remembers a failed module import by its URL, so a retry
    // asks under a new one.
    if (failures) url.searchParams.set('retry', String(failures));
    loading = import(url.href)
      .then(async (m) => { await m.default({ module_or_path: wasm }); return m; })
      .catch((e) => { loading = null; failures += 1; throw e; });
  }
  return loading;
}
"#)]
extern "C" {
    fn load_engines(file: &str) -> js_sys::Promise;
}

thread_local! {
    static MODULE: std::cell::RefCell<Option<JsValue>> = const { std::cell::RefCell::new(None) };
}

/// Where an island stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Status {
    Loading,
    Ready,
    Failed(String),
}

/// An island of the engines module: `kind` names what to mount, `arg` is
/// handed to it (a lesson slug, a share link).
#[component]
pub fn Island(
    /// What the engines module mounts: `lesson` or `playground`.
    kind: &'static str,
    /// The island's argument.
    #[prop(into)]
    arg: String,
    /// Said while the module loads.
    #[prop(default = "Starting the broker engines…")]
    loading: &'static str,
) -> impl IntoView {
    let host = NodeRef::<leptos::html::Div>::new();
    let status = RwSignal::new(Status::Loading);
    let attempt = RwSignal::new(0u32);
    // Shared with the async mount so a page that goes away before the module
    // has loaded never gets an island mounted into it.
    let gone = Arc::new(AtomicBool::new(false));
    let mounted = Arc::new(AtomicU32::new(0));
    {
        let gone = gone.clone();
        let mounted = mounted.clone();
        Effect::new(move || {
            attempt.track();
            let Some(element) = host.get() else { return };
            let element: web_sys::HtmlElement = element.into();
            let (gone, mounted, arg) = (gone.clone(), mounted.clone(), arg.clone());
            status.set(Status::Loading);
            leptos::task::spawn_local(async move {
                match mount(kind, &element, &arg).await {
                    Ok(id) if gone.load(Ordering::SeqCst) => unmount(id),
                    Ok(id) => {
                        mounted.store(id, Ordering::SeqCst);
                        status.set(Status::Ready);
                    }
                    Err(error) if !gone.load(Ordering::SeqCst) => status.set(Status::Failed(error)),
                    Err(_) => {}
                }
            });
        });
    }
    on_cleanup(move || {
        gone.store(true, Ordering::SeqCst);
        let id = mounted.swap(0, Ordering::SeqCst);
        if id != 0 {
            unmount(id);
        }
    });
    view! {
        {move || match status.get() {
            Status::Loading => Some(view! { <p class="island-status loading" role="status">{loading}</p> }.into_any()),
            Status::Ready => None,
            Status::Failed(error) => Some(
                view! {
                    <div class="load-error" role="alert">
                        <p>"The broker engines could not be loaded: " {error}</p>
                        <button type="button" on:click=move |_| attempt.update(|n| *n += 1)>"Try again"</button>
                    </div>
                }
                .into_any(),
            ),
        }}
        <div class="island" node_ref=host></div>
    }
}

/// Starts fetching the engines module ahead of need, when a reader points
/// at or focuses a link to a page that uses it. Nothing is mounted; a fetch
/// that fails is tried again by the island that needs it.
pub fn prefetch() {
    if MODULE.with(|m| m.borrow().is_none()) {
        leptos::task::spawn_local(async {
            let _ = module().await;
        });
    }
}

async fn module() -> Result<JsValue, String> {
    if let Some(module) = MODULE.with(|m| m.borrow().clone()) {
        return Ok(module);
    }
    let module = wasm_bindgen_futures::JsFuture::from(load_engines(ENGINES_JS))
        .await
        .map_err(|e| crate::files::js_error(e, "the module failed to start"))?;
    MODULE.with(|m| *m.borrow_mut() = Some(module.clone()));
    Ok(module)
}

fn export(module: &JsValue, name: &str) -> Result<js_sys::Function, String> {
    js_sys::Reflect::get(module, &JsValue::from_str(name))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or_else(|| format!("the engines module has no `{name}`; reload the page to fetch a matching version"))
}

async fn mount(kind: &str, host: &web_sys::HtmlElement, arg: &str) -> Result<u32, String> {
    let module = module().await?;
    let id = export(&module, "mount")?
        .call3(&JsValue::NULL, &JsValue::from_str(kind), host, &JsValue::from_str(arg))
        .map_err(|e| crate::files::js_error(e, "the module failed to start"))?;
    id.as_f64().map(|n| n as u32).filter(|n| *n != 0).ok_or_else(|| "the engines module mounted nothing".to_owned())
}

fn unmount(id: u32) {
    let Some(module) = MODULE.with(|m| m.borrow().clone()) else { return };
    if let Ok(f) = export(&module, "unmount") {
        let _ = f.call1(&JsValue::NULL, &JsValue::from(id));
    }
}
