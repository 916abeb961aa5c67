//! The course overview: every module with its lessons, tags and summaries.

use crate::app::set_title;
use crate::course::{MODULES, Tag};
use crate::route::Route;
use leptos::prelude::*;

/// The course overview and home page.
#[component]
pub fn CoursePage() -> impl IntoView {
    set_title("Course");
    let total: usize = MODULES.iter().map(|m| m.lessons.len()).sum();
    view! {
        <div class="page course-page">
            <h1>"Learn message brokers by touching them"</h1>
            <p class="lede">
                "A course on Apache Kafka and RabbitMQ, with both brokers running live beside the text. "
                {format!("{} modules, {total} lessons.", MODULES.len())}
            </p>
            {MODULES
                .iter()
                .map(|module| {
                    let heading_id = format!("module-{}", module.number);
                    let labelled_by = heading_id.clone();
                    view! {
                        <section class="module" aria-labelledby=labelled_by>
                            <h2 id=heading_id>{format!("Module {}: {}", module.number, module.title)}</h2>
                            <ol class="lesson-list">
                                {module
                                    .lessons
                                    .iter()
                                    .map(|lesson| {
                                        view! {
                                            <li>
                                                <a href=Route::Lesson(lesson.slug.to_owned()).href()>{lesson.title}</a>
                                                " "
                                                <TagBadge tag=lesson.tag />
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

/// A lesson's tag as the course marks it (Critical, Important, Advanced).
#[component]
pub fn TagBadge(
    /// The tag to show.
    tag: Tag,
) -> impl IntoView {
    view! { <span class=format!("tag tag-{}", tag.label().to_lowercase())>{tag.label()}</span> }
}
