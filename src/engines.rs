//! The engines module's side of an island (see `island`): what each kind of
//! island mounts. Only the `brokerlab-engines` binary calls this, so the
//! engines, the scenario format, the labs and the playground are linked into
//! that module and not into the shell.

use crate::course;
use crate::embeds::{labs::PatternLab, live::LiveScenario};
use crate::playground::challenge::{
    Play,
    author_panel::AuthorPanel,
    keep,
    panel::{ChallengeBoard, ChallengePlay},
};
use crate::playground::{designs, model::Playground, share, view::PlaygroundView};
use leptos::prelude::*;
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

thread_local! {
    static MOUNTED: RefCell<HashMap<u32, Box<dyn Any>>> = RefCell::new(HashMap::new());
    static NEXT: Cell<u32> = const { Cell::new(1) };
}

/// Mounts an island of `kind` into `host` and returns its handle for
/// [`unmount`]; an unknown kind or argument mounts a message saying so.
pub fn mount(kind: &str, host: web_sys::HtmlElement, arg: &str) -> u32 {
    let handle: Box<dyn Any> = match kind {
        "lesson" => {
            let slug = arg.to_owned();
            Box::new(leptos::mount::mount_to(host, move || view! { <LessonIsland slug /> }))
        }
        "playground" => {
            let shared = (!arg.is_empty()).then(|| arg.to_owned());
            Box::new(leptos::mount::mount_to(host, move || view! { <PlaygroundIsland shared /> }))
        }
        "challenge" => {
            let id = arg.to_owned();
            Box::new(leptos::mount::mount_to(host, move || view! { <ChallengePlay id /> }))
        }
        other => {
            let message = format!("This build has no “{other}” panel.");
            Box::new(leptos::mount::mount_to(host, move || view! { <p class="error" role="alert">{message}</p> }))
        }
    };
    let id = NEXT.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1).max(1));
        id
    });
    MOUNTED.with(|m| m.borrow_mut().insert(id, handle));
    id
}

/// Unmounts the island `id` and drops its state; unknown ids are ignored.
pub fn unmount(id: u32) {
    let handle = MOUNTED.with(|m| m.borrow_mut().remove(&id));
    drop(handle);
}

/// A lesson's live scenarios and labs, in the order its front matter names them.
#[component]
fn LessonIsland(slug: String) -> impl IntoView {
    let Some(found) = course::find(&slug) else {
        return view! { <p class="error" role="alert">{format!("There is no lesson “{slug}”.")}</p> }.into_any();
    };
    view! {
        {found.lesson.scenarios.iter().map(|id| view! { <LiveScenario id=*id /> }).collect_view()}
        {found.lesson.labs.iter().map(|id| view! { <PatternLab id=*id /> }).collect_view()}
    }
    .into_any()
}

/// The full playground, opened from a share link when there is one (kept
/// as a new design once changed), or else on the learner's open design. A
/// link that cannot be read says why and opens that design instead, so
/// nothing the learner built is lost. A
/// link whose scenario carries a challenge opens that challenge with its
/// panel. "Make a challenge" docks the authoring panel beside the canvas.
#[component]
fn PlaygroundIsland(shared: Option<String>) -> impl IntoView {
    if let Some(Ok(play)) = shared.as_deref().filter(|s| carries_challenge(s)).map(Play::from_link) {
        let kept_as = keep::for_link(shared.as_deref().unwrap_or_default());
        return view! { <ChallengeBoard play kept_as /> }.into_any();
    }
    let last = || designs::open_canvas().unwrap_or_default();
    let from_link = matches!(shared.as_deref().map(share::from_link), Some(Ok(_)));
    let (initial, problem) = match shared.as_deref().map(share::from_link) {
        Some(Ok(topology)) => (topology, None),
        Some(Err(e)) => {
            let kept = last();
            let said = if kept.nodes.is_empty() { e } else { format!("{e} Your last playground is open instead.") };
            (kept, Some(said))
        }
        None => (last(), None),
    };
    let editor = RwSignal::new(Playground::new(initial.clone()));
    let authoring = RwSignal::new(false);
    view! {
        {problem.map(|p| view! { <p class="pg-load-error" role="alert">{p}</p> })}
        <div class="pg-author-bar">
            <button type="button" aria-expanded=move || authoring.get().to_string()
                on:click=move |_| authoring.update(|a| *a = !*a)>
                {move || if authoring.get() { "Close the challenge maker" } else { "Make a challenge" }}
            </button>
        </div>
        <div class:challenge-layout=move || authoring.get()>
            <div class="challenge-canvas">
                <PlaygroundView initial editor keep_last=true from_link />
            </div>
            <Show when=move || authoring.get()>
                <AuthorPanel editor />
            </Show>
        </div>
    }
    .into_any()
}

/// Whether a share link's scenario has a challenge section.
fn carries_challenge(encoded: &str) -> bool {
    brokerlab_scenario::Scenario::decode_link(encoded.trim()).is_ok_and(|s| s.challenge.is_some())
}
