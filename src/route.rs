//! Routes live in the URL fragment (`#/course/partitions`), so every address
//! the app produces works on any static server, from any sub-path, with no
//! rewrite rules, and survives a reload or a paste into a new tab.

/// A page of the app, as named by the URL fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// The course overview, also the home page.
    Course,
    /// One lesson, by slug; the page says so when no lesson has that slug.
    Lesson(String),
    /// The playground, optionally opened from a share link whose encoded
    /// scenario travels in the `s` query parameter of the fragment.
    Playground(Option<String>),
    /// The list of the course's challenges.
    Challenges,
    /// One challenge on the playground, by id, from the `challenge` query
    /// parameter (`#/playground?challenge=topic-billing`).
    Challenge(String),
    /// Anything else; the path is kept so the page can show it.
    NotFound(String),
}

impl Route {
    /// Parses a fragment such as `#/course/partitions` (the `#` is optional).
    pub fn parse(fragment: &str) -> Self {
        let path = fragment.strip_prefix('#').unwrap_or(fragment);
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let param = |name: &str| {
            query.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('=')).map(str::to_owned)
        };
        let shared = param("s");
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        match segments.as_slice() {
            [] | ["course"] => Self::Course,
            ["course", slug] => Self::Lesson((*slug).to_owned()),
            ["playground"] => match param("challenge") {
                Some(id) => Self::Challenge(id),
                None => Self::Playground(shared),
            },
            ["challenges"] => Self::Challenges,
            _ => Self::NotFound(path.to_owned()),
        }
    }

    /// The fragment for this route, starting with `#`, for use as an `href`.
    pub fn href(&self) -> String {
        match self {
            Self::Course => "#/".to_owned(),
            Self::Lesson(slug) => format!("#/course/{slug}"),
            Self::Playground(None) => "#/playground".to_owned(),
            Self::Playground(Some(scenario)) => format!("#/playground?s={scenario}"),
            Self::Challenges => "#/challenges".to_owned(),
            Self::Challenge(id) => format!("#/playground?challenge={id}"),
            Self::NotFound(path) => format!("#{path}"),
        }
    }

    /// Reads the route from the browser's current address.
    pub fn current() -> Self {
        let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
        Self::parse(&hash)
    }
}

#[cfg(test)]
mod tests {
    use super::Route;

    #[test]
    fn empty_and_root_fragments_open_the_course() {
        for fragment in ["", "#", "#/", "#/course", "#/course/"] {
            assert_eq!(Route::parse(fragment), Route::Course, "{fragment:?}");
        }
    }

    #[test]
    fn a_lesson_route_carries_its_slug() {
        assert_eq!(Route::parse("#/course/partitions"), Route::Lesson("partitions".into()));
    }

    #[test]
    fn a_shared_playground_carries_its_scenario() {
        assert_eq!(Route::parse("#/playground?s=v1.xyz"), Route::Playground(Some("v1.xyz".into())));
        assert_eq!(Route::parse("#/playground?x=1&s=abc"), Route::Playground(Some("abc".into())));
    }

    #[test]
    fn a_challenge_opens_on_the_playground_by_its_id() {
        assert_eq!(Route::parse("#/playground?challenge=topic-billing"), Route::Challenge("topic-billing".into()));
        assert_eq!(Route::parse("#/challenges"), Route::Challenges);
        assert_eq!(Route::parse("#/playground?challenges=x"), Route::Playground(None));
    }

    #[test]
    fn unknown_paths_are_kept_for_the_not_found_page() {
        assert_eq!(Route::parse("#/nowhere/at/all"), Route::NotFound("/nowhere/at/all".into()));
    }

    #[test]
    fn every_route_round_trips_through_its_href() {
        let routes = [
            Route::Course,
            Route::Lesson("acks".into()),
            Route::Playground(None),
            Route::Playground(Some("v1.abc-_".into())),
            Route::Challenges,
            Route::Challenge("topic-billing".into()),
            Route::NotFound("/x/y".into()),
        ];
        for route in routes {
            assert_eq!(Route::parse(&route.href()), route);
        }
    }
}
