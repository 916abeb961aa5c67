//! The course overview: overall progress, search, and every module with its
//! lessons, tags, summaries and "N / M read".

use crate::course::progress::{MAX_FILE_BYTES, Persistence, Progress, use_tracker};
use crate::course::search::{Entry, Hit, search};
use crate::course::{MODULES, Tag};
use crate::document::set_title;
use crate::files;
use crate::route::Route;
use leptos::prelude::*;

/// The course overview and home page.
#[component]
pub fn CoursePage() -> impl IntoView {
    set_title("Course");
    let tracker = use_tracker();
    let total: usize = MODULES.iter().map(|m| m.lessons.len()).sum();
    let all_slugs = || MODULES.iter().flat_map(|m| m.lessons.iter().map(|l| l.slug));
    let read_total = move || tracker.progress.with(|p| p.count(all_slugs()));
    view! {
        <div class="page course-page">
            <h1>"Learn message brokers by touching them"</h1>
            <p class="lede">
                "A course on Apache Kafka and RabbitMQ, with both brokers running live beside the text. "
                {format!("{} modules, {total} lessons.", MODULES.len())}
            </p>
            <section class="progress-panel" aria-labelledby="progress-heading">
                <h2 id="progress-heading" class="visually-hidden">"Your progress"</h2>
                <p class="overall">
                    <label for="overall-progress">"Overall progress"</label>
                    <progress id="overall-progress" max=total value=read_total></progress>
                    <span>{move || format!("{} / {total} read", read_total())}</span>
                </p>
                <Show when=move || tracker.persistence.get() == Persistence::VisitOnly>
                    <p class="notice" role="status">
                        "This browser is not letting Brokerlab store data, so your progress will not be kept after this visit. Export it to keep a copy."
                    </p>
                </Show>
                <ProgressFiles />
            </section>
            <CourseSearch />
            {MODULES
                .iter()
                .map(|module| {
                    let heading_id = format!("module-{}", module.number);
                    let labelled_by = heading_id.clone();
                    let slugs = || module.lessons.iter().map(|l| l.slug);
                    let count = move || tracker.progress.with(|p| p.count(slugs()));
                    view! {
                        <section class="module" aria-labelledby=labelled_by>
                            <div class="module-head">
                                <h2 id=heading_id>{format!("Module {}: {}", module.number, module.title)}</h2>
                                <p class="module-progress">{move || format!("{} / {} read", count(), module.lessons.len())}</p>
                            </div>
                            <ol class="lesson-list">
                                {module
                                    .lessons
                                    .iter()
                                    .map(|lesson| {
                                        let read = move || tracker.progress.with(|p| p.is_read(lesson.slug));
                                        let live = !lesson.scenarios.is_empty() || !lesson.labs.is_empty();
                                        let warm = move || {
                                            if live {
                                                crate::island::prefetch();
                                            }
                                        };
                                        view! {
                                            <li class:read=read>
                                                <a
                                                    href=Route::Lesson(lesson.slug.to_owned()).href()
                                                    on:pointerenter=move |_| warm()
                                                    on:focus=move |_| warm()
                                                >
                                                    {lesson.title}
                                                </a>
                                                " "
                                                <TagBadge tag=lesson.tag />
                                                <Show when=read>
                                                    <span class="read-mark">" ✓ read"</span>
                                                </Show>
                                                <p class="summary">{lesson.summary}</p>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ol>
                        </section>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// Export and import of progress as a JSON file.
#[component]
fn ProgressFiles() -> impl IntoView {
    let tracker = use_tracker();
    let message = RwSignal::new(None::<Result<String, String>>);
    let input = NodeRef::<leptos::html::Input>::new();
    let export = move |_| {
        let json = tracker.progress.with_untracked(Progress::to_json);
        message.set(files::download("brokerlab-progress.json", "application/json", &json).err().map(Err));
    };
    let import = move |_| {
        let Some(input) = input.get_untracked() else { return };
        leptos::task::spawn_local(async move {
            let result = files::read_chosen(&input, MAX_FILE_BYTES).await.and_then(|text| Progress::from_json(&text));
            input.set_value("");
            message.set(Some(result.map(|progress| {
                let n = progress.count(MODULES.iter().flat_map(|m| m.lessons.iter().map(|l| l.slug)));
                let solved = progress.count_solved(crate::course::challenges::all().iter().map(|c| c.id));
                tracker.replace(progress);
                format!("Progress imported: {n} lessons marked as read, {solved} challenges solved.")
            })));
        });
    };
    view! {
        <div class="progress-files">
            <button type="button" on:click=export>"Export progress"</button>
            <label class="button-like">
                "Import progress"
                <input type="file" accept=".json,application/json" class="visually-hidden" node_ref=input on:change=import />
            </label>
            {move || match message.get() {
                None => ().into_any(),
                Some(Ok(text)) => view! { <p role="status">{text}</p> }.into_any(),
                Some(Err(text)) => view! { <p class="error" role="alert">{format!("Could not import: {text}")}</p> }.into_any(),
            }}
        </div>
    }
}

/// Search across every lesson's text; the index loads on first use.
#[component]
fn CourseSearch() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let index = RwSignal::new(None::<Result<Vec<Entry>, String>>);
    let load_index = move || {
        if index.get_untracked().is_none() {
            index.set(Some(Ok(Vec::new())));
            leptos::task::spawn_local(async move {
                let loaded = files::fetch_text("lessons/search.json".to_owned())
                    .await
                    .and_then(|text| serde_json::from_str::<Vec<Entry>>(&text).map_err(|e| e.to_string()));
                index.set(Some(loaded));
            });
        }
    };
    let hits = move || -> Result<Vec<Hit>, String> {
        index.with(|index| match index {
            Some(Ok(entries)) => Ok(search(entries, &query.get())),
            Some(Err(e)) => Err(e.clone()),
            None => Ok(Vec::new()),
        })
    };
    view! {
        <div class="course-search" role="search">
            <form on:submit=|ev| ev.prevent_default()>
                <label for="course-search-input">"Search the course"</label>
                <input
                    id="course-search-input"
                    type="search"
                    placeholder="e.g. prefetch, murmur2, outbox"
                    autocomplete="off"
                    on:focus=move |_| load_index()
                    on:input=move |ev| {
                        load_index();
                        query.set(event_target_value(&ev));
                    }
                    prop:value=query
                />
            </form>
            <Show when=move || !query.get().trim().is_empty()>
                {move || match hits() {
                    Err(e) => view! { <p class="error" role="alert">{format!("Search is unavailable: {e}")}</p> }.into_any(),
                    Ok(found) => {
                        let summary = match found.len() {
                            0 => format!("No lessons match “{}”.", query.get().trim()),
                            1 => "1 lesson matches.".to_owned(),
                            n => format!("{n} lessons match."),
                        };
                        view! {
                            <p role="status" class="search-summary">{summary}</p>
                            <ul class="search-results" aria-label="Search results">
                                {found
                                    .into_iter()
                                    .map(|hit| {
                                        view! {
                                            <li>
                                                <a href=Route::Lesson(hit.slug).href()>{hit.title}</a>
                                                <p class="summary">{hit.snippet}</p>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any()
                    }
                }}
            </Show>
        </div>
    }
}

/// A lesson's tag as the course marks it (Critical, Important, Advanced).
#[component]
pub fn TagBadge(
    /// The tag to show.
    tag: Tag,
) -> impl IntoView {
    view! { <span class=format!("tag tag-{}", tag.label().to_lowercase())>{tag.label()}</span> }
}
