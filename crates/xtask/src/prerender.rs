//! The page a first visit paints before WebAssembly: `cargo xtask content`
//! writes the shell's header, the course outline (the home page) and the
//! footer into `index.html`, between the [`START`] and [`END`] comments,
//! with the course's table of contents as JSON for `src/first-paint.js`,
//! which shows the right page for the address (the outline, a lesson's
//! layout with its text fetched at once, or a neutral empty page) until the
//! app mounts and replaces it in the same task (`src/lib.rs`).
//!
//! The markup mirrors what the shell's views draw (`src/app.rs`,
//! `src/pages/course.rs`) element for element and class for class, with no
//! whitespace the views do not have, so the app's first frame lays out
//! exactly as the prerendered one did. Controls that need the app are
//! `disabled` until it mounts, so nothing accepts input it would lose.

use std::fmt::Write as _;

pub const START: &str = "<!-- prerender: start -->";
pub const END: &str = "<!-- prerender: end -->";

/// A module of the course, in course order.
pub struct Module<'a> {
    pub number: u8,
    pub title: &'a str,
    pub lessons: Vec<Lesson<'a>>,
}

/// A lesson as the course page and a lesson page's frame show it.
pub struct Lesson<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub tag: &'a str,
    pub summary: &'a str,
    /// Whether it embeds a live scenario or a lab (the lesson has a live panel).
    pub live: bool,
    /// The challenges that practise it: id, title and level.
    pub practise: Vec<(String, String, u8)>,
}

/// "Level N: ..." as the shell words a challenge's level
/// (`ChallengeEntry::level_label` in `src/course/challenges.rs`).
pub fn level_label(level: u8) -> &'static str {
    match level {
        0 | 1 => "Level 1: a first step",
        2 => "Level 2: one idea applied",
        _ => "Level 3: several ideas at once",
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The prerendered block: the shell around the course page, then the table
/// of contents as JSON for the first-paint script.
pub fn markup(modules: &[Module]) -> String {
    let total: usize = modules.iter().map(|m| m.lessons.len()).sum();
    let mut out = String::new();
    out.push_str(START);
    out.push_str(
        "\n<!-- Written by `cargo xtask content` (crates/xtask/src/prerender.rs); do not edit. -->\n\
         <div data-prerender hidden>\n",
    );
    // The shell (src/app.rs).
    out.push_str("<a class=\"skip-link\" href=\"#main-content\">Skip to content</a>\n");
    out.push_str(
        "<header class=\"site-header\"><a class=\"brand\" href=\"#/\"><span class=\"brand-mark\" aria-hidden=\"true\"></span>Brokerlab</a>\
         <nav aria-label=\"Main\"><ul><li><a href=\"#/\" aria-current=\"page\">Course</a></li>\
         <li><a href=\"#/playground\">Playground</a></li><li><a href=\"#/challenges\">Challenges</a></li></ul></nav></header>\n",
    );
    out.push_str("<main id=\"main-content\">");
    // The course page (src/pages/course.rs).
    let _ = writeln!(
        out,
        "<div class=\"page course-page\"><h1>Learn message brokers by touching them</h1>\
         <p class=\"lede\">A course on Apache Kafka and RabbitMQ, with both brokers running live beside the text. \
         {} modules, {total} lessons.</p>",
        modules.len()
    );
    let _ = writeln!(
        out,
        "<section class=\"progress-panel\" aria-labelledby=\"progress-heading\">\
         <h2 id=\"progress-heading\" class=\"visually-hidden\">Your progress</h2>\
         <p class=\"overall\"><label for=\"overall-progress\">Overall progress</label>\
         <progress id=\"overall-progress\" max=\"{total}\" value=\"0\"></progress><span>0 / {total} read</span></p>\
         <div class=\"progress-files\"><button type=\"button\" disabled>Export progress</button>\
         <label class=\"button-like\">Import progress<input type=\"file\" accept=\".json,application/json\" class=\"visually-hidden\" disabled></label>\
         </div></section>"
    );
    out.push_str(
        "<div class=\"course-search\" role=\"search\"><form><label for=\"course-search-input\">Search the course</label>\
         <input id=\"course-search-input\" type=\"search\" placeholder=\"e.g. prefetch, murmur2, outbox\" autocomplete=\"off\" disabled>\
         </form></div>\n",
    );
    for module in modules {
        let n = module.number;
        let _ = writeln!(
            out,
            "<section class=\"module\" aria-labelledby=\"module-{n}\"><div class=\"module-head\">\
             <h2 id=\"module-{n}\">Module {n}: {}</h2><p class=\"module-progress\">0 / {} read</p></div>\
             <ol class=\"lesson-list\">",
            esc(module.title),
            module.lessons.len()
        );
        for l in &module.lessons {
            let _ = writeln!(
                out,
                "<li><a href=\"#/course/{}\">{}</a> <span class=\"tag tag-{}\">{}</span><p class=\"summary\">{}</p></li>",
                esc(l.slug),
                esc(l.title),
                l.tag.to_lowercase(),
                esc(l.tag),
                esc(l.summary)
            );
        }
        out.push_str("</ol></section>\n");
    }
    out.push_str("</div></main>\n");
    out.push_str(
        "<footer class=\"site-footer\"><p>Brokerlab runs its Kafka and RabbitMQ engines entirely in your browser. \
         Nothing you do leaves this page.</p></footer>\n</div>\n",
    );
    out.push_str("<script type=\"application/json\" id=\"prerender-course\">");
    out.push_str(&course_json(modules));
    out.push_str("</script>\n");
    out.push_str(END);
    out
}

/// What a lesson page's frame needs: each module's number and title, and
/// each lesson's slug, title, tag, whether it has a live panel and the
/// challenges that practise it. `</` is escaped so the JSON cannot close
/// its script element.
fn course_json(modules: &[Module]) -> String {
    let modules: Vec<serde_json::Value> = modules
        .iter()
        .map(|m| {
            let lessons: Vec<serde_json::Value> = m
                .lessons
                .iter()
                .map(|l| {
                    let practise: Vec<serde_json::Value> = l
                        .practise
                        .iter()
                        .map(|(id, title, level)| serde_json::json!([id, title, level_label(*level)]))
                        .collect();
                    serde_json::json!({ "slug": l.slug, "title": l.title, "tag": l.tag, "live": l.live, "practise": practise })
                })
                .collect();
            serde_json::json!({ "number": m.number, "title": m.title, "lessons": lessons })
        })
        .collect();
    serde_json::Value::Array(modules).to_string().replace("</", "<\\/")
}

/// `index.html` with its prerendered block replaced by `block`.
pub fn splice(index: &str, block: &str) -> Result<String, String> {
    let start = index.find(START).ok_or_else(|| format!("index.html has no `{START}` marker"))?;
    let end = index[start..]
        .find(END)
        .map(|i| start + i + END.len())
        .ok_or_else(|| format!("index.html has no `{END}` marker after `{START}`"))?;
    Ok(format!("{}{block}{}", &index[..start], &index[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn course() -> Vec<Module<'static>> {
        vec![Module {
            number: 2,
            title: "Apache Kafka",
            lessons: vec![
                Lesson {
                    slug: "groups",
                    title: "Consumers & Consumer Groups",
                    tag: "Critical",
                    summary: "How <groups> share partitions.",
                    live: true,
                    practise: vec![("lag".into(), "Catch up".into(), 2)],
                },
                Lesson {
                    slug: "zero-copy",
                    title: "Zero-Copy",
                    tag: "Advanced",
                    summary: "Sendfile.",
                    live: false,
                    practise: vec![],
                },
            ],
        }]
    }

    #[test]
    fn the_outline_mirrors_the_course_page_markup_with_text_escaped() {
        let html = markup(&course());
        assert!(html.contains("1 modules, 2 lessons.</p>"));
        assert!(
            html.contains("<h2 id=\"module-2\">Module 2: Apache Kafka</h2><p class=\"module-progress\">0 / 2 read</p>")
        );
        assert!(html.contains(
            "<li><a href=\"#/course/groups\">Consumers &amp; Consumer Groups</a> <span class=\"tag tag-critical\">Critical</span>\
             <p class=\"summary\">How &lt;groups&gt; share partitions.</p></li>"
        ));
        assert!(
            html.contains("<progress id=\"overall-progress\" max=\"2\" value=\"0\"></progress><span>0 / 2 read</span>")
        );
        assert!(html.contains("<a href=\"#/\" aria-current=\"page\">Course</a>"));
    }

    #[test]
    fn controls_that_need_the_app_are_disabled_until_it_mounts() {
        let html = markup(&course());
        for control in [
            "<button type=\"button\" disabled>Export progress",
            "class=\"visually-hidden\" disabled>",
            "autocomplete=\"off\" disabled>",
        ] {
            assert!(html.contains(control), "{control}");
        }
    }

    #[test]
    fn the_table_of_contents_json_carries_live_panels_and_challenges_and_cannot_close_its_script() {
        let mut modules = course();
        modules[0].lessons[1].title = "a </script> title";
        let html = markup(&modules);
        let json =
            html.split("id=\"prerender-course\">").nth(1).and_then(|s| s.split("</script>").next()).expect("json");
        let value: serde_json::Value = serde_json::from_str(json).expect("valid JSON");
        let lessons = &value[0]["lessons"];
        assert_eq!(lessons[0]["live"], true);
        assert_eq!(lessons[0]["practise"][0], serde_json::json!(["lag", "Catch up", "Level 2: one idea applied"]));
        assert_eq!(lessons[1]["title"], "a </script> title");
        assert_eq!(value[0]["number"], 2);
    }

    #[test]
    fn splice_replaces_only_the_marked_block_and_needs_both_markers() {
        let index = format!("<body>\n{START}\nold\n{END}\n<script></script>\n</body>");
        assert_eq!(splice(&index, "NEW").expect("spliced"), "<body>\nNEW\n<script></script>\n</body>");
        assert!(splice("<body></body>", "NEW").unwrap_err().contains("no `<!-- prerender: start -->`"));
        assert!(splice(&format!("{END}{START}"), "NEW").unwrap_err().contains("prerender: end"));
    }
}
