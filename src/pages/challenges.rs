//! The challenges: a page listing every course challenge by module, with its
//! level and what is solved, and the page that plays one on the playground.
//! The list comes from the generated `course::challenges`; the challenge
//! itself (story, goal, checks) is the engines module's, mounted as an island.

use crate::course::challenges::{self, ChallengeEntry, ChallengeModule, solved_label};
use crate::course::progress::use_tracker;
use crate::document::set_title;
use crate::island::Island;
use crate::pages::not_found::NotFound;
use crate::route::Route;
use leptos::prelude::*;

/// Every challenge, by module, with "N / M solved".
#[component]
pub fn ChallengesPage() -> impl IntoView {
    set_title("Challenges");
    let tracker = use_tracker();
    let overall = move || tracker.progress.with(|p| solved_label(p, challenges::all()));
    view! {
        <div class="page challenges-page">
            <h1>"Challenges"</h1>
            <p class="lede">
                "Each challenge hands you a topology that does not yet do what a team needs. Change it on the playground until every check passes."
            </p>
            <p class="overall" id="challenges-overall">"Overall: " {overall}</p>
            {ChallengeModule::ALL
                .into_iter()
                .map(|module| {
                    let heading = format!("challenges-{}", module.key());
                    let labelled_by = heading.clone();
                    let count = move || tracker.progress.with(|p| solved_label(p, challenges::in_module(module)));
                    view! {
                        <section class="module" aria-labelledby=labelled_by>
                            <div class="module-head">
                                <h2 id=heading>{module.title()}</h2>
                                <p class="module-progress">{count}</p>
                            </div>
                            <ol class="challenge-list">
                                {challenges::in_module(module).map(|c| view! { <ChallengeItem entry=c /> }).collect_view()}
                            </ol>
                        </section>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// One challenge in the list: its link, level and whether it is solved.
#[component]
fn ChallengeItem(
    /// The challenge.
    entry: &'static ChallengeEntry,
) -> impl IntoView {
    let tracker = use_tracker();
    let solved = move || tracker.progress.with(|p| p.is_solved(entry.id));
    view! {
        <li class:read=solved>
            <a
                href=Route::Challenge(entry.id.to_owned()).href()
                on:pointerenter=|_| crate::island::prefetch()
                on:focus=|_| crate::island::prefetch()
            >
                {entry.title}
            </a>
            " "
            <span class="tag">{entry.level_label()}</span>
            <Show when=solved>
                <span class="read-mark">" \u{2713} solved"</span>
            </Show>
        </li>
    }
}

/// One challenge on the playground, beside its panel.
#[component]
pub fn ChallengePage(
    /// The challenge's id, from the URL.
    id: String,
) -> impl IntoView {
    let Some(entry) = challenges::find(&id) else {
        return view! { <NotFound path=Route::Challenge(id).href()[1..].to_owned() what="challenge" /> }.into_any();
    };
    set_title(entry.title);
    view! {
        <div class="page playground-page challenge-page">
            <p class="eyebrow">
                <a href=Route::Challenges.href()>"Challenges"</a>
                {format!(" \u{b7} {} \u{b7} {}", entry.module.title(), entry.level_label())}
            </p>
            <h1>{entry.title}</h1>
            <Island kind="challenge" arg=entry.id loading="Starting the challenge…" />
        </div>
    }
    .into_any()
}

/// The lesson page's links to the challenges that practise it; nothing when none does.
#[component]
pub fn PractiseLinks(
    /// The lesson's slug.
    slug: &'static str,
) -> impl IntoView {
    let tracker = use_tracker();
    let found: Vec<&'static ChallengeEntry> = challenges::for_lesson(slug).collect();
    (!found.is_empty()).then(|| {
        view! {
            <aside class="practise" aria-labelledby="practise-heading">
                <h2 id="practise-heading">"Practise this"</h2>
                <ul>
                    {found
                        .into_iter()
                        .map(|c| {
                            let solved = move || tracker.progress.with(|p| p.is_solved(c.id));
                            view! {
                                <li>
                                    <a href=Route::Challenge(c.id.to_owned()).href()>{c.title}</a>
                                    " "
                                    <span class="tag">{c.level_label()}</span>
                                    <Show when=solved>
                                        <span class="read-mark">" \u{2713} solved"</span>
                                    </Show>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </aside>
        }
    })
}
