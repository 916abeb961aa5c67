//! A lesson: its place in the course, its text, its "Check yourself"
//! questions, and the way to the previous and next lessons. The text and the
//! questions are files rendered at build time and fetched when the lesson
//! opens, so the first page load carries neither.

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
    let url = format!("lessons/{}.html", found.lesson.slug);
    let text = LocalResource::new(move || files::fetch_text(url.clone()));
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
            <nav class="toc" aria-label="Course contents">
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
                <p class="eyebrow">{format!("Module {}: {}", found.module.number, found.module.title)}</p>
                <h1 id="lesson-title">{found.lesson.title}</h1>
                <p class="lesson-meta">
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
                </p>
                {move || match text.get() {
                    None => view! { <p class="loading" role="status">"Loading the lesson…"</p> }.into_any(),
                    // Lesson fragments are rendered from the course's own
                    // Markdown at build time; nothing a user types gets here.
                    Some(Ok(html)) => view! { <div class="prose" inner_html=html></div> }.into_any(),
                    Some(Err(error)) => {
                        view! {
                            <div class="load-error" role="alert">
                                <p>"This lesson's text could not be loaded: " {error}</p>
                                <button type="button" on:click=move |_| text.refetch()>"Try again"</button>
                            </div>
                        }
                            .into_any()
                    }
                }}
                {(!found.lesson.scenarios.is_empty() || !found.lesson.labs.is_empty())
                    .then(|| {
                        view! {
                            <aside class="live-column" aria-label="Live scenarios">
                                <Island kind="lesson" arg=slug />
                            </aside>
                        }
                    })}
                <LessonQuiz slug />
                <PractiseLinks slug />
                <nav class="steps" aria-label="Previous and next lessons">
                    {neighbour(found.previous, "prev", "Previous")}
                    {neighbour(found.next, "next", "Next")}
                </nav>
            </article>
        </div>
    }
    .into_any()
}
