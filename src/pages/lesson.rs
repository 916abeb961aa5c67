//! A lesson: its place in the course, its text, its "Check yourself"
//! questions, and the way to the previous and next lessons. The text and the
//! questions are files rendered at build time and fetched when the lesson
//! opens, so the first page load carries neither (on a first visit to a
//! lesson's address, the page starts the text's fetch before the app loads,
//! and the lesson takes it over).
//!
//! The live panel sits beside the text on screens wide enough for both
//! (`style/main.css`). On narrower ones it is a sheet: the "Try it" buttons
//! the text carries after each instruction (and one under the title) open it
//! as a modal dialog, Escape or its close button shut it, and focus goes
//! back to the button that opened it. On a wide screen the same buttons move
//! focus into the panel beside the text.

use crate::course::progress::use_tracker;
use crate::course::{self, MODULES};
use crate::document::set_title;
use crate::files;
use crate::island::Island;
use crate::pages::challenges::PractiseLinks;
use crate::pages::course::TagBadge;
use crate::pages::not_found::NotFound;
use crate::pages::quiz::LessonQuiz;
use crate::route::Route;
use leptos::prelude::*;

/// One lesson of the course, by slug.
#[component]
pub fn LessonPage(
    /// The lesson's slug, from the URL.
    slug: String,
) -> impl IntoView {
    let Some(found) = course::find(&slug) else {
        return view! { <NotFound path=Route::Lesson(slug).href()[1..].to_owned() what="lesson" /> }.into_any();
    };
    set_title(found.lesson.title);
    let tracker = use_tracker();
    let slug = found.lesson.slug;
    let read = move || tracker.progress.with(|p| p.is_read(slug));
    let url = StoredValue::new(format!("lessons/{}.html", found.lesson.slug));
    let text = RwSignal::new(None::<Result<String, String>>);
    let load = move |prefetched: Option<files::Prefetched>| {
        text.set(None);
        leptos::task::spawn_local(async move {
            let loaded = match prefetched {
                Some(prefetched) => prefetched.text().await,
                None => files::fetch_text(url.get_value()).await,
            };
            let _ = text.try_set(Some(loaded));
        });
    };
    // The page may have fetched the text before the app loaded
    // (`src/first-paint.js`): text that has arrived is drawn in this first
    // frame, as the page showed it; a fetch under way is awaited, not repeated.
    match files::take_prefetched(&url.get_value()) {
        Some(files::Prefetched::Ready(html)) => text.set(Some(Ok(html))),
        prefetched => load(prefetched),
    }
    let has_panel = !found.lesson.scenarios.is_empty() || !found.lesson.labs.is_empty();
    let sheet = Sheet::new();
    let neighbour = |lesson: Option<&'static course::Lesson>, rel: &'static str, label: &'static str| {
        lesson.map(|l| {
            view! {
                <a class=format!("step step-{rel}") rel=rel href=Route::Lesson(l.slug.to_owned()).href()>
                    <span class="step-label">{label}</span>
                    <span class="step-title">{l.title}</span>
                </a>
            }
        })
    };
    view! {
        <div class="page lesson-layout">
            <nav class="toc" aria-label="Course contents" inert=move || sheet.open.get()>
                {MODULES
                    .iter()
                    .map(|m| {
                        view! {
                            <p class="toc-module">{format!("{}. {}", m.number, m.title)}</p>
                            <ol>
                                {m
                                    .lessons
                                    .iter()
                                    .map(|l| {
                                        let here = (l.slug == found.lesson.slug).then_some("page");
                                        view! {
                                            <li><a href=Route::Lesson(l.slug.to_owned()).href() aria-current=here>{l.title}</a></li>
                                        }
                                    })
                                    .collect_view()}
                            </ol>
                        }
                    })
                    .collect_view()}
            </nav>
            <article class="lesson" aria-labelledby="lesson-title">
                <p class="eyebrow" inert=move || sheet.open.get()>{format!("Module {}: {}", found.module.number, found.module.title)}</p>
                <h1 id="lesson-title">{found.lesson.title}</h1>
                <p class="lesson-meta" inert=move || sheet.open.get()>
                    <TagBadge tag=found.lesson.tag />
                    <button
                        type="button"
                        class="mark-read"
                        aria-pressed=move || read().to_string()
                        on:click=move |_| tracker.set_read(slug, !read())
                    >
                        <span aria-hidden="true">{move || if read() { "✓ " } else { "" }}</span>
                        "Mark as read"
                    </button>
                    {has_panel
                        .then(|| {
                            view! {
                                <button type="button" class="try-it try-it-top" aria-haspopup="dialog"
                                    on:click=move |ev| sheet.open_from(&ev)>
                                    "Try it"
                                </button>
                            }
                        })}
                </p>
                {move || match text.get() {
                    None => view! { <p class="loading" role="status">"Loading the lesson…"</p> }.into_any(),
                    // Lesson fragments are rendered from the course's own
                    // Markdown at build time; nothing a user types gets here.
                    // Its "Try it" buttons are plain HTML, so one listener here opens the panel for all of them.
                    Some(Ok(html)) => {
                        view! {
                            <div class="prose" inner_html=html inert=move || sheet.open.get()
                                on:click=move |ev| {
                                    if sheet::is_try_it(&ev) {
                                        sheet.open_from(&ev);
                                    }
                                }
                            ></div>
                        }
                            .into_any()
                    }
                    Some(Err(error)) => {
                        view! {
                            <div class="load-error" role="alert">
                                <p>"This lesson's text could not be loaded: " {error}</p>
                                <button type="button" on:click=move |_| load(None)>"Try again"</button>
                            </div>
                        }
                            .into_any()
                    }
                }}
                {has_panel
                    .then(|| {
                        view! {
                            // A section, not an aside: beside the text it is
                            // complementary, and on a phone, open, a dialog,
                            // a role an aside may not take.
                            <section
                                class="live-column"
                                class:sheet-open=move || sheet.open.get()
                                aria-label="Live scenarios"
                                role=move || if sheet.open.get() { "dialog" } else { "complementary" }
                                aria-modal=move || sheet.open.get().then_some("true")
                                tabindex="-1"
                                node_ref=sheet.panel
                                on:keydown=move |ev| {
                                    if ev.key() == "Escape" && sheet.open.get_untracked() {
                                        ev.prevent_default();
                                        sheet.close();
                                    }
                                }
                            >
                                <Show when=move || sheet.open.get()>
                                    // Tabbing past either end of the open sheet comes back to its close button.
                                    <span class="focus-guard" tabindex="0" on:focus=move |_| sheet.focus_close()></span>
                                    <div class="sheet-bar">
                                        <button type="button" class="sheet-close" node_ref=sheet.close_button on:click=move |_| sheet.close()>
                                            "Close the live panel"
                                        </button>
                                    </div>
                                </Show>
                                <Island kind="lesson" arg=slug />
                                <Show when=move || sheet.open.get()>
                                    <span class="focus-guard" tabindex="0" on:focus=move |_| sheet.focus_close()></span>
                                </Show>
                            </section>
                        }
                    })}
                <div class="lesson-after" inert=move || sheet.open.get()>
                    <LessonQuiz slug />
                    <PractiseLinks slug />
                </div>
                <nav class="steps" aria-label="Previous and next lessons" inert=move || sheet.open.get()>
                    {neighbour(found.previous, "prev", "Previous")}
                    {neighbour(found.next, "next", "Next")}
                </nav>
            </article>
        </div>
    }
    .into_any()
}

/// The live panel as a sheet on narrow screens: whether it is open, the
/// panel and its close button, and the button that opened it.
#[derive(Clone, Copy)]
struct Sheet {
    open: RwSignal<bool>,
    panel: NodeRef<leptos::html::Section>,
    close_button: NodeRef<leptos::html::Button>,
    opener: StoredValue<Option<web_sys::HtmlElement>, LocalStorage>,
}

impl Sheet {
    fn new() -> Self {
        Self {
            open: RwSignal::new(false),
            panel: NodeRef::new(),
            close_button: NodeRef::new(),
            opener: StoredValue::new_local(None),
        }
    }

    /// Opens the panel for the button `ev` came from. Beside the text the
    /// panel is already shown, so focus moves into it; where it is hidden
    /// (a narrow screen) it opens as a sheet and focus moves to its close
    /// button.
    fn open_from(self, ev: &leptos::ev::MouseEvent) {
        let Some(panel) = self.panel.get_untracked() else { return };
        let opener = ev.target().and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok());
        let opener = opener
            .and_then(|e| e.closest("button").ok().flatten())
            .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok());
        self.opener.set_value(opener);
        // A hidden panel has no offset parent: the layout keeps it as a sheet.
        if panel.offset_parent().is_some() && !self.open.get_untracked() {
            panel.scroll_into_view();
            let _ = panel.focus();
            return;
        }
        self.open.set(true);
        request_animation_frame(move || self.focus_close());
    }

    fn focus_close(self) {
        if let Some(button) = self.close_button.get_untracked() {
            let _ = button.focus();
        }
    }

    /// Closes the sheet and gives focus back to the button that opened it.
    fn close(self) {
        self.open.set(false);
        // The page stops being inert when the update is drawn; focus after that.
        let opener = self.opener;
        request_animation_frame(move || {
            if let Some(opener) = opener.get_value() {
                let _ = opener.focus();
            }
        });
    }
}

/// What the lesson text's "Try it" buttons are, for the listener on the text.
mod sheet {
    /// Whether a click inside the lesson text landed on a "Try it" button.
    pub fn is_try_it(ev: &leptos::ev::MouseEvent) -> bool {
        ev.target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .and_then(|e| e.closest("[data-try-it]").ok().flatten())
            .is_some()
    }
}
