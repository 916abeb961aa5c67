//! The shell around every page: a skip link, the header with the product
//! name and main navigation, the current page, and a footer. The route is a
//! signal fed by the `hashchange` event; each route change retitles the
//! document and moves focus to the new page's heading, so keyboard and
//! screen-reader users land where sighted users look.

use crate::document::focus_heading;
use crate::pages;
use crate::route::Route;
use leptos::prelude::*;

/// The whole app: header, navigation and the page the URL fragment names.
#[component]
pub fn App() -> impl IntoView {
    let tracker = crate::course::progress::Tracker::load();
    provide_context(tracker);
    let (route, set_route) = signal(Route::current());
    // Each new page reads stored progress again: the engines module records
    // solved challenges there without going through this shell's tracker.
    let listener = window_event_listener(leptos::ev::hashchange, move |_| {
        tracker.refresh();
        set_route.set(Route::current());
    });
    on_cleanup(move || listener.remove());

    // After the page for a new route has rendered, move focus to its heading
    // (skipped on the first load, where focus belongs to the browser).
    Effect::new(move |first: Option<()>| {
        route.track();
        if first.is_some() {
            focus_heading();
            if let Some(w) = web_sys::window() {
                w.scroll_to_with_x_and_y(0.0, 0.0);
            }
        }
    });

    let current = move |target: Route| {
        move || {
            let here = route.get();
            let active = match (&here, &target) {
                (Route::Lesson(_), Route::Course)
                | (Route::Playground(_), Route::Playground(_))
                | (Route::Challenge(_), Route::Challenges) => true,
                (a, b) => a == b,
            };
            active.then_some("page")
        }
    };

    view! {
        <a class="skip-link" href="#main-content" on:click=move |ev| {
            ev.prevent_default();
            focus_heading();
        }>"Skip to content"</a>
        <header class="site-header">
            <a class="brand" href=Route::Course.href()>
                <span class="brand-mark" aria-hidden="true"></span>
                "Brokerlab"
            </a>
            <nav aria-label="Main">
                <ul>
                    <li><a href=Route::Course.href() aria-current=current(Route::Course)>"Course"</a></li>
                    <li>
                        <a
                            href=Route::Playground(None).href()
                            aria-current=current(Route::Playground(None))
                            on:pointerenter=|_| crate::island::prefetch()
                            on:focus=|_| crate::island::prefetch()
                        >
                            "Playground"
                        </a>
                    </li>
                    <li>
                        <a href=Route::Challenges.href() aria-current=current(Route::Challenges)>"Challenges"</a>
                    </li>
                </ul>
            </nav>
        </header>
        <main id="main-content">
            {move || match route.get() {
                Route::Course => view! { <pages::course::CoursePage /> }.into_any(),
                Route::Lesson(slug) => view! { <pages::lesson::LessonPage slug /> }.into_any(),
                Route::Playground(shared) => view! { <pages::playground::PlaygroundPage shared /> }.into_any(),
                Route::Challenges => view! { <pages::challenges::ChallengesPage /> }.into_any(),
                Route::Challenge(id) => view! { <pages::challenges::ChallengePage id /> }.into_any(),
                Route::NotFound(path) => view! { <pages::not_found::NotFound path /> }.into_any(),
            }}
        </main>
        <footer class="site-footer">
            <p>"Brokerlab runs its Kafka and RabbitMQ engines entirely in your browser. Nothing you do leaves this page."</p>
        </footer>
    }
}
