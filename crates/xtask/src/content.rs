//! Renders the course in `content/` into files the app ships.
//!
//! Each lesson is a Markdown file with TOML front matter. At build time, not
//! in the reader's browser, it becomes an HTML fragment in
//! `public/lessons/<slug>.html` (code highlighted into classes the theme
//! colours, GitHub-style alerts into callouts, SVG figures inlined so they
//! follow the theme), plus one line in `src/course/catalog.rs`, the table of
//! contents compiled into the app, and one entry in
//! `public/lessons/search.json`, the plain text the search box fetches on
//! first use. The course's challenges (`crates/scenario/challenges/`) become
//! `src/course/challenge_list.rs`: what the shell lists and links (id,
//! module, level, title, lessons), so the shell needs no scenario crate to
//! show them. The course outline a first visit paints before WebAssembly is
//! written into `index.html` (`prerender.rs`). The outputs are committed;
//! `--check` fails when they are stale.
//!
//! Each lesson's front matter also holds its retrieval questions, as
//! `[[quiz]]` tables (`question`, `choices`, `answer`, `explanation`).
//! [`validate_quiz`] checks them and they are written beside the lesson as
//! `public/lessons/<slug>.quiz.json`, which the lesson page fetches with the
//! text, so no question is compiled into the app.

use crate::Result;
use pulldown_cmark::{BlockQuoteKind, CodeBlockKind, Event, Options, Parser, Tag, TagEnd, html};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

const TAGS: &[&str] = &["Critical", "Important", "Advanced"];
const CATALOG: &str = "src/course/catalog.rs";
const LESSONS: &str = "public/lessons";
const CHALLENGES: &str = "src/course/challenge_list.rs";
const INDEX: &str = "index.html";
/// The challenge modules, in course order, with the name the shell's type gives each.
const CHALLENGE_MODULES: &[(&str, &str)] = &[
    ("foundations", "Foundations"),
    ("kafka", "Kafka"),
    ("rabbitmq", "RabbitMQ"),
    ("patterns", "Patterns"),
    ("compare", "Compare"),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    module: u8,
    module_title: String,
    order: u8,
    slug: String,
    title: String,
    tag: String,
    summary: String,
    #[serde(default)]
    scenarios: Vec<String>,
    #[serde(default)]
    labs: Vec<String>,
    #[serde(default)]
    quiz: Vec<QuizSource>,
}

/// A retrieval question as written in the front matter. `answer` is read as
/// a plain TOML value so that a wrong shape gets a sentence of its own.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuizSource {
    question: String,
    choices: Vec<String>,
    answer: toml::Value,
    explanation: String,
}

/// A checked question, as `<slug>.quiz.json` carries it to the lesson page.
/// `answer` lists the right choices by index; `pick_all` says the reader may
/// pick several (the question was written with a list of answers).
#[derive(Debug, PartialEq, Serialize)]
struct QuizQuestion {
    question: String,
    choices: Vec<String>,
    answer: Vec<u32>,
    pick_all: bool,
    explanation: String,
}

#[derive(Debug, Serialize)]
struct QuizFile<'a> {
    questions: &'a [QuizQuestion],
}

const QUIZ_QUESTIONS: std::ops::RangeInclusive<usize> = 2..=3;
const QUIZ_CHOICES: std::ops::RangeInclusive<usize> = 3..=5;

#[derive(Debug)]
struct Lesson {
    /// The lesson's file, relative to the workspace root, and its text.
    path: String,
    source: String,
    front: FrontMatter,
    html: String,
    text: String,
    quiz: Vec<QuizQuestion>,
}

#[derive(Debug, Serialize)]
struct SearchEntry<'a> {
    slug: &'a str,
    title: &'a str,
    text: &'a str,
}

pub fn run(root: &Path, check: bool) -> Result {
    let lessons = load(root)?;
    // The seed check runs after the outputs are written, so that a copied
    // passage is reported without holding back the rest of the course.
    let own_words = crate::own_words::load(root).and_then(|seed| {
        let sources: Vec<(String, String)> = lessons.iter().map(|l| (l.path.clone(), l.source.clone())).collect();
        crate::own_words::check(&sources, &seed)
    });
    let mut outputs = render_outputs(&lessons)?;
    let index = std::fs::read_to_string(root.join(INDEX)).map_err(|e| format!("reading {INDEX}: {e}"))?;
    outputs.insert(PathBuf::from(INDEX), crate::prerender::splice(&index, &prerender_block(&lessons)?)?);
    let mut stale = Vec::new();
    for (path, contents) in &outputs {
        let full = root.join(path);
        if std::fs::read_to_string(&full).ok().as_deref() != Some(contents.as_str()) {
            if check {
                stale.push(path.display().to_string());
            } else {
                std::fs::create_dir_all(full.parent().expect("outputs sit in folders")).map_err(|e| e.to_string())?;
                std::fs::write(&full, contents).map_err(|e| format!("writing {}: {e}", full.display()))?;
            }
        }
    }
    // A lesson that was renamed or removed must not leave its old page behind.
    let lesson_dir = root.join(LESSONS);
    if let Ok(entries) = std::fs::read_dir(&lesson_dir) {
        for entry in entries.flatten() {
            let rel = Path::new(LESSONS).join(entry.file_name());
            if !outputs.contains_key(&rel) {
                if check {
                    stale.push(format!("{} (no longer generated)", rel.display()));
                } else {
                    std::fs::remove_file(entry.path()).map_err(|e| e.to_string())?;
                }
            }
        }
    }
    if !stale.is_empty() {
        return Err(format!("generated course files are stale, run `cargo xtask content`: {}", stale.join(", ")));
    }
    own_words?;
    eprintln!("content: {} lessons {}", lessons.len(), if check { "up to date" } else { "rendered" });
    Ok(())
}

fn load(root: &Path) -> Result<Vec<Lesson>> {
    let mut files = Vec::new();
    collect_markdown(&root.join("content"), &mut files)?;
    files.sort();
    let syntaxes = SyntaxSet::load_defaults_newlines();
    let mut lessons: Vec<Lesson> = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).map_err(|e| format!("reading {}: {e}", file.display()))?;
        let mut lesson = parse_lesson(&source, file.parent().expect("files sit in folders"), &syntaxes)
            .map_err(|e| format!("{}: {e}", file.display()))?;
        lesson.path = file.strip_prefix(root).unwrap_or(&file).display().to_string();
        lesson.source = source;
        if let Some(other) = lessons.iter().find(|l| l.front.slug == lesson.front.slug) {
            return Err(format!(
                "{}: slug {:?} is already used by {:?}",
                file.display(),
                lesson.front.slug,
                other.front.title
            ));
        }
        if let Some(other) = lessons
            .iter()
            .find(|l| l.front.module == lesson.front.module && l.front.module_title != lesson.front.module_title)
        {
            return Err(format!(
                "{}: module {} is titled {:?} elsewhere",
                file.display(),
                lesson.front.module,
                other.front.module_title
            ));
        }
        lessons.push(lesson);
    }
    lessons.sort_by_key(|l| (l.front.module, l.front.order));
    Ok(lessons)
}

fn collect_markdown(dir: &Path, out: &mut Vec<PathBuf>) -> Result {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            collect_markdown(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "md") && path.file_name().is_some_and(|n| n != "README.md") {
            out.push(path);
        }
    }
    Ok(())
}

fn parse_lesson(source: &str, dir: &Path, syntaxes: &SyntaxSet) -> Result<Lesson> {
    let rest = source.strip_prefix("+++\n").ok_or("a lesson starts with TOML front matter between +++ lines")?;
    let end = rest.find("\n+++\n").ok_or("the front matter has no closing +++ line")?;
    let front: FrontMatter = toml::from_str(&rest[..end]).map_err(|e| format!("front matter: {e}"))?;
    let slug_ok =
        !front.slug.is_empty() && front.slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !slug_ok {
        return Err(format!("slug {:?} must be lowercase letters, digits and hyphens", front.slug));
    }
    if !TAGS.contains(&front.tag.as_str()) {
        return Err(format!("tag {:?} must be one of {TAGS:?}", front.tag));
    }
    let quiz = validate_quiz(&front.quiz)?;
    let (html, text) = render_markdown(&rest[end + 5..], dir, syntaxes)?;
    Ok(Lesson { path: String::new(), source: String::new(), front, html, text, quiz })
}

/// Checks a lesson's questions: two or three of them, each with a question,
/// three to five distinct choices, an answer naming existing choices (one
/// index, or a list of distinct indices for "pick all that apply"), an
/// explanation, and no unclosed inline code.
fn validate_quiz(quiz: &[QuizSource]) -> Result<Vec<QuizQuestion>> {
    if !QUIZ_QUESTIONS.contains(&quiz.len()) {
        return Err(format!(
            "a lesson ends with {} to {} `[[quiz]]` questions, this one has {}",
            QUIZ_QUESTIONS.start(),
            QUIZ_QUESTIONS.end(),
            quiz.len()
        ));
    }
    quiz.iter()
        .enumerate()
        .map(|(n, q)| {
            validate_question(q).map_err(|e| format!("quiz question {} ({:?}): {e}", n + 1, short(&q.question)))
        })
        .collect()
}

fn short(text: &str) -> String {
    let mut words = text.split_whitespace().take(6).collect::<Vec<_>>().join(" ");
    if text.split_whitespace().count() > 6 {
        words.push('…');
    }
    words
}

fn validate_question(q: &QuizSource) -> Result<QuizQuestion> {
    if q.question.trim().is_empty() {
        return Err("the question is empty".into());
    }
    if q.explanation.trim().is_empty() {
        return Err("the explanation is empty; say why the right answer is right".into());
    }
    if !QUIZ_CHOICES.contains(&q.choices.len()) {
        return Err(format!(
            "a question has {} to {} choices, this one has {}",
            QUIZ_CHOICES.start(),
            QUIZ_CHOICES.end(),
            q.choices.len()
        ));
    }
    if let Some(n) = q.choices.iter().position(|c| c.trim().is_empty()) {
        return Err(format!("choice {n} is empty"));
    }
    if let Some(n) = (1..q.choices.len()).find(|&n| q.choices[..n].contains(&q.choices[n])) {
        return Err(format!("choice {n} repeats an earlier choice"));
    }
    for text in std::iter::once(&q.question).chain(&q.choices).chain(std::iter::once(&q.explanation)) {
        if text.matches('`').count() % 2 != 0 {
            return Err(format!("an inline code span is not closed in {:?}", short(text)));
        }
    }
    let index =
        |value: &toml::Value| -> Result<u32> {
            let n = value.as_integer().ok_or_else(|| {
                let shown = match value {
                    toml::Value::String(s) => format!("{s:?}"),
                    toml::Value::Float(f) => f.to_string(),
                    other => format!("of type {}", other.type_str()),
                };
                format!("answer {shown} is not a choice's index")
            })?;
            usize::try_from(n).ok().filter(|&n| n < q.choices.len()).and_then(|n| u32::try_from(n).ok()).ok_or_else(
                || format!("answer {n} is out of range: the choices are numbered 0 to {}", q.choices.len() - 1),
            )
        };
    let (answer, pick_all) = match &q.answer {
        toml::Value::Array(values) => {
            let answer = values.iter().map(index).collect::<Result<Vec<u32>>>()?;
            if answer.is_empty() {
                return Err("a pick-all answer lists at least one choice".into());
            }
            if (1..answer.len()).any(|n| answer[..n].contains(&answer[n])) {
                return Err("a pick-all answer names a choice twice".into());
            }
            let mut answer = answer;
            answer.sort_unstable();
            (answer, true)
        }
        one => (vec![index(one)?], false),
    };
    Ok(QuizQuestion {
        question: q.question.clone(),
        choices: q.choices.clone(),
        answer,
        pick_all,
        explanation: q.explanation.clone(),
    })
}

fn alert_title(kind: BlockQuoteKind) -> (&'static str, &'static str) {
    match kind {
        BlockQuoteKind::Tip => ("tip", "Key takeaway"),
        BlockQuoteKind::Important => ("important", "Golden rule"),
        BlockQuoteKind::Warning | BlockQuoteKind::Caution => ("warning", "Warning"),
        BlockQuoteKind::Note => ("note", "Note"),
    }
}

/// What follows a paragraph that tells the reader to do something in the
/// live panel: a button the lesson page listens for, which opens the panel
/// (a sheet on a phone) or moves focus into it.
const TRY_IT: &str = "<p class=\"try-it-row\"><button type=\"button\" class=\"try-it\" data-try-it aria-haspopup=\"dialog\">Try it</button></p>\n";

/// Whether a paragraph is an instruction to carry out in the panel or lab
/// beside the lesson, as the instructions' test in `src/embeds/instructions.rs`
/// finds them.
fn is_panel_instruction(paragraph: &str) -> bool {
    ["In the playground", "In the panel", "In the lab"].iter().any(|start| paragraph.trim_start().starts_with(start))
}

/// Renders a lesson body to HTML and to the plain text that search reads.
fn render_markdown(body: &str, dir: &Path, syntaxes: &SyntaxSet) -> Result<(String, String)> {
    let options = Options::ENABLE_TABLES | Options::ENABLE_GFM | Options::ENABLE_STRIKETHROUGH;
    let mut events: Vec<Event> = Vec::new();
    let mut text = String::new();
    let mut code: Option<(String, String)> = None;
    let mut image: Option<(String, String)> = None;
    let mut figures = 0;
    // The text of the paragraph being read, to find the instructions that
    // send the reader to the live panel.
    let mut paragraph = String::new();
    for event in Parser::new_ext(body, options) {
        if let Event::Text(t) | Event::Code(t) = &event {
            text.push_str(t);
            text.push(' ');
            paragraph.push_str(t);
        }
        match event {
            Event::Start(Tag::Paragraph) => {
                paragraph.clear();
                events.push(event);
            }
            Event::End(TagEnd::Paragraph) => {
                events.push(event);
                if is_panel_instruction(&paragraph) {
                    events.push(Event::Html(TRY_IT.into()));
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(lang) => lang.split_whitespace().next().unwrap_or("").to_owned(),
                    CodeBlockKind::Indented => String::new(),
                };
                code = Some((lang, String::new()));
            }
            Event::Text(t) if code.is_some() => code.as_mut().expect("checked").1.push_str(&t),
            Event::End(TagEnd::CodeBlock) => {
                let (lang, source) = code.take().ok_or("a code block ended that never started")?;
                events.push(Event::Html(highlight(&lang, &source, syntaxes)?.into()));
            }
            Event::Start(Tag::Image { dest_url, .. }) => image = Some((dest_url.into_string(), String::new())),
            Event::Text(t) if image.is_some() => image.as_mut().expect("checked").1.push_str(&t),
            Event::End(TagEnd::Image) => {
                let (src, alt) = image.take().ok_or("an image ended that never started")?;
                figures += 1;
                events.push(Event::Html(figure(dir, &src, &alt, figures)?.into()));
            }
            Event::Start(Tag::BlockQuote(Some(kind))) => {
                let (class, title) = alert_title(kind);
                events.push(Event::Html(
                    format!("<aside class=\"callout callout-{class}\"><p class=\"callout-title\">{title}</p>").into(),
                ));
            }
            Event::End(TagEnd::BlockQuote(Some(_))) => events.push(Event::Html("</aside>\n".into())),
            Event::Start(Tag::Table(_)) => {
                events.push(Event::Html("<div class=\"table-scroll\" tabindex=\"0\">".into()));
                events.push(event);
            }
            Event::End(TagEnd::Table) => {
                events.push(event);
                events.push(Event::Html("</div>\n".into()));
            }
            other if image.is_none() => events.push(other),
            _ => {}
        }
    }
    let mut out = String::new();
    html::push_html(&mut out, events.into_iter());
    Ok((out, text.split_whitespace().collect::<Vec<_>>().join(" ")))
}

fn highlight(lang: &str, source: &str, syntaxes: &SyntaxSet) -> Result<String> {
    let token = match lang {
        "js" | "javascript" | "ts" => "js",
        "py" | "python" => "py",
        "bash" | "sh" | "shell" => "sh",
        "java" => "java",
        other => other,
    };
    let escaped_lang = html_escape(lang);
    let Some(syntax) = (!token.is_empty()).then(|| syntaxes.find_syntax_by_extension(token)).flatten() else {
        return Ok(format!(
            "<pre class=\"code\" data-lang=\"{escaped_lang}\"><code>{}</code></pre>\n",
            html_escape(source)
        ));
    };
    let mut generator =
        ClassedHTMLGenerator::new_with_class_style(syntax, syntaxes, ClassStyle::SpacedPrefixed { prefix: "hl-" });
    for line in LinesWithEndings::from(source) {
        generator.parse_html_for_line_which_includes_newline(line).map_err(|e| format!("highlighting {lang}: {e}"))?;
    }
    Ok(format!("<pre class=\"code\" data-lang=\"{escaped_lang}\"><code>{}</code></pre>\n", generator.finalize()))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Inlines an SVG figure so that it takes the page's colours, giving its ids a
/// per-figure prefix so two figures on one page never share a marker.
fn figure(dir: &Path, src: &str, alt: &str, n: usize) -> Result<String> {
    if !src.ends_with(".svg") || src.contains("://") {
        return Err(format!("figure {src:?}: only local SVG figures are supported"));
    }
    let path = dir.join(src);
    let path = if path.exists() { path } else { dir.join("..").join(src) };
    let svg = std::fs::read_to_string(&path).map_err(|e| format!("figure {src:?}: {e}"))?;
    let start = svg.find("<svg").ok_or_else(|| format!("figure {src:?} has no <svg> element"))?;
    if svg.contains("<script") || svg.contains(" on") && svg.contains("=\"javascript") {
        return Err(format!("figure {src:?} must not contain scripts"));
    }
    let prefix = format!("f{n}-");
    let svg = svg[start..]
        .replace("id=\"", &format!("id=\"{prefix}"))
        .replace("url(#", &format!("url(#{prefix}"))
        .replace("href=\"#", &format!("href=\"#{prefix}"));
    Ok(format!("<figure class=\"figure\">{}<figcaption>{}</figcaption></figure>\n", svg.trim_end(), html_escape(alt)))
}

fn render_outputs(lessons: &[Lesson]) -> Result<BTreeMap<PathBuf, String>> {
    let mut outputs = BTreeMap::new();
    for lesson in lessons {
        outputs.insert(Path::new(LESSONS).join(format!("{}.html", lesson.front.slug)), lesson.html.clone());
        let quiz = serde_json::to_string(&QuizFile { questions: &lesson.quiz }).map_err(|e| e.to_string())?;
        outputs.insert(Path::new(LESSONS).join(format!("{}.quiz.json", lesson.front.slug)), quiz + "\n");
    }
    let search: Vec<SearchEntry> =
        lessons.iter().map(|l| SearchEntry { slug: &l.front.slug, title: &l.front.title, text: &l.text }).collect();
    outputs.insert(
        Path::new(LESSONS).join("search.json"),
        serde_json::to_string(&search).map_err(|e| e.to_string())? + "\n",
    );
    outputs.insert(PathBuf::from(CATALOG), catalog_source(lessons));
    outputs.insert(PathBuf::from(CHALLENGES), challenges_source(lessons)?);
    Ok(outputs)
}

/// The shell's list of the course's challenges, in course order, each
/// checked to name a known module and existing lessons.
fn challenges_source(lessons: &[Lesson]) -> Result<String> {
    use brokerlab_scenario::challenge::builtin;
    let mut out = String::from(
        "//! The course's challenges as the shell lists them, generated from\n\
         //! `crates/scenario/challenges/` by `cargo xtask content`. Do not edit:\n\
         //! change the challenge's file.\n\n\
         use super::challenges::{ChallengeEntry, ChallengeModule};\n\n\
         pub static CHALLENGES: &[ChallengeEntry] = &[\n",
    );
    for id in builtin::ids() {
        let found = builtin::get(id).ok_or_else(|| format!("challenge {id} does not load"))?;
        let c = found.start.challenge.ok_or_else(|| format!("challenge {id} has no `challenge` section"))?;
        let module = CHALLENGE_MODULES
            .iter()
            .find(|(key, _)| *key == c.module)
            .map(|(_, name)| *name)
            .ok_or_else(|| format!("challenge {id}: unknown module {:?}", c.module))?;
        if let Some(missing) = c.lessons.iter().find(|slug| !lessons.iter().any(|l| &l.front.slug == *slug)) {
            return Err(format!("challenge {id} practises {missing:?}, which is no lesson"));
        }
        let _ = writeln!(
            out,
            "    ChallengeEntry {{ id: {id:?}, module: ChallengeModule::{module}, level: {}, title: {:?}, lessons: &{:?} }},",
            c.level, c.title, c.lessons
        );
    }
    out.push_str("];\n");
    Ok(out)
}

/// The course outline and the table of contents a first paint shows,
/// written into `index.html` (see `prerender.rs`).
fn prerender_block(lessons: &[Lesson]) -> Result<String> {
    use brokerlab_scenario::challenge::builtin;
    let mut challenges = Vec::new();
    for id in builtin::ids() {
        let found = builtin::get(id).ok_or_else(|| format!("challenge {id} does not load"))?;
        let c = found.start.challenge.ok_or_else(|| format!("challenge {id} has no `challenge` section"))?;
        challenges.push((id.to_string(), c.title, c.level, c.lessons));
    }
    let mut modules: Vec<crate::prerender::Module> = Vec::new();
    for l in lessons {
        let f = &l.front;
        if modules.last().is_none_or(|m| m.number != f.module) {
            modules.push(crate::prerender::Module { number: f.module, title: &f.module_title, lessons: Vec::new() });
        }
        let practise = challenges
            .iter()
            .filter(|(_, _, _, practised)| practised.contains(&f.slug))
            .map(|(id, title, level, _)| (id.clone(), title.clone(), *level))
            .collect();
        modules.last_mut().expect("pushed above").lessons.push(crate::prerender::Lesson {
            slug: &f.slug,
            title: &f.title,
            tag: &f.tag,
            summary: &f.summary,
            live: !f.scenarios.is_empty() || !f.labs.is_empty(),
            practise,
        });
    }
    Ok(crate::prerender::markup(&modules))
}

fn catalog_source(lessons: &[Lesson]) -> String {
    let mut out = String::from(
        "//! The course's table of contents, generated from `content/` by\n\
         //! `cargo xtask content`. Do not edit: change the lesson's front matter.\n\n\
         use super::{Lesson, Module, Tag};\n\n\
         pub static MODULES: &[Module] = &[\n",
    );
    let mut modules: BTreeMap<u8, Vec<&Lesson>> = BTreeMap::new();
    for lesson in lessons {
        modules.entry(lesson.front.module).or_default().push(lesson);
    }
    for (number, lessons) in modules {
        let _ = writeln!(
            out,
            "    Module {{\n        number: {number},\n        title: {:?},\n        lessons: &[",
            lessons[0].front.module_title
        );
        for l in lessons {
            let f = &l.front;
            let _ = writeln!(
                out,
                "            Lesson {{ slug: {:?}, title: {:?}, tag: Tag::{}, summary: {:?}, scenarios: &{:?}, labs: &{:?} }},",
                f.slug, f.title, f.tag, f.summary, f.scenarios, f.labs
            );
        }
        out.push_str("        ],\n    },\n");
    }
    out.push_str("];\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(md: &str) -> String {
        render_markdown(md, Path::new("."), &SyntaxSet::load_defaults_newlines()).expect("renders").0
    }

    #[test]
    fn a_challenge_that_practises_no_existing_lesson_is_refused() {
        let err = challenges_source(&[]).expect_err("no lessons exist, so every challenge names a missing one");
        assert!(err.contains("which is no lesson"), "{err}");
    }

    #[test]
    fn the_challenge_list_names_every_challenge_in_course_order() {
        let lessons = load(&crate::root()).expect("the course loads");
        let source = challenges_source(&lessons).expect("the course's challenges list");
        let listed: Vec<&str> = source.lines().filter_map(|l| l.split("id: \"").nth(1)?.split('"').next()).collect();
        let built: Vec<&str> = brokerlab_scenario::challenge::builtin::ids().collect();
        assert_eq!(listed, built);
        assert!(source.contains("module: ChallengeModule::RabbitMQ, level: 2, title: \"Paid EU orders for billing\""));
    }

    #[test]
    fn an_instruction_for_the_live_panel_is_followed_by_a_try_it_button() {
        let html = render(
            "> [!NOTE]\n> In the panel beside this lesson, crash `broker 1`.\n\nIn the playground, you could.\n",
        );
        assert_eq!(html.matches(TRY_IT.trim_end()).count(), 2, "{html}");
        let html = render("Plain prose about the playground.\n");
        assert!(!html.contains("data-try-it"), "{html}");
    }

    #[test]
    fn alerts_become_labelled_callouts() {
        let html = render("> [!TIP]\n> Use a log when you need replay.\n");
        assert!(
            html.contains("<aside class=\"callout callout-tip\"><p class=\"callout-title\">Key takeaway</p>"),
            "{html}"
        );
        assert!(html.contains("</aside>"), "{html}");
    }

    #[test]
    fn python_code_is_highlighted_into_classes() {
        let html = render("```python\ndef handler(msg):\n    return msg\n```\n");
        assert!(html.contains("data-lang=\"python\""), "{html}");
        assert!(html.contains("class=\"hl-"), "{html}");
        assert!(html.contains("handler"), "{html}");
    }

    #[test]
    fn unknown_languages_are_escaped_not_interpreted() {
        let html = render("```text\n<script>alert(1)</script>\n```\n");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn front_matter_with_an_unknown_tag_is_refused() {
        let source = "+++\nmodule = 1\nmodule_title = \"M\"\norder = 1\nslug = \"a\"\ntitle = \"A\"\ntag = \"Huge\"\nsummary = \"s\"\n+++\nbody\n";
        let err =
            parse_lesson(source, Path::new("."), &SyntaxSet::load_defaults_newlines()).expect_err("tag is invalid");
        assert!(err.contains("tag \"Huge\""), "{err}");
    }

    /// Parses `[[quiz]]` tables as a lesson's front matter would hold them.
    fn quiz(toml_text: &str) -> Result<Vec<QuizQuestion>> {
        #[derive(Deserialize)]
        struct Only {
            quiz: Vec<QuizSource>,
        }
        let only: Only = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        validate_quiz(&only.quiz)
    }

    const GOOD_ONE: &str =
        "[[quiz]]\nquestion = \"Which?\"\nchoices = [\"a\", \"b\", \"c\"]\nanswer = 2\nexplanation = \"Because c.\"\n";
    const GOOD_ALL: &str = "[[quiz]]\nquestion = \"Which all?\"\nchoices = [\"a\", \"`b`\", \"c\", \"d\"]\nanswer = [3, 1]\nexplanation = \"b and d.\"\n";

    #[test]
    fn a_quiz_reads_single_and_pick_all_answers_with_pick_all_answers_sorted() {
        let questions = quiz(&format!("{GOOD_ONE}{GOOD_ALL}")).expect("a valid quiz");
        assert_eq!(questions[0].answer, [2]);
        assert!(!questions[0].pick_all);
        assert_eq!(questions[1].answer, [1, 3]);
        assert!(questions[1].pick_all);
        assert_eq!(questions[1].choices[1], "`b`");
    }

    #[test]
    fn a_lesson_needs_two_or_three_questions() {
        let err = quiz(GOOD_ONE).expect_err("one question is too few");
        assert!(err.contains("2 to 3 `[[quiz]]` questions, this one has 1"), "{err}");
        let err = quiz(&GOOD_ONE.repeat(4)).expect_err("four are too many");
        assert!(err.contains("this one has 4"), "{err}");
        let err = validate_quiz(&[]).expect_err("a lesson without questions is refused");
        assert!(err.contains("this one has 0"), "{err}");
    }

    #[test]
    fn an_answer_out_of_range_is_refused_naming_the_question() {
        let bad = GOOD_ALL.replace("answer = [3, 1]", "answer = [1, 4]");
        let err = quiz(&format!("{GOOD_ONE}{bad}")).expect_err("choice 4 does not exist");
        assert!(err.starts_with("quiz question 2 (\"Which all?\")"), "{err}");
        assert!(err.contains("answer 4 is out of range: the choices are numbered 0 to 3"), "{err}");
        let err = quiz(&format!("{}{GOOD_ONE}", GOOD_ONE.replace("answer = 2", "answer = -1"))).expect_err("negative");
        assert!(err.contains("answer -1 is out of range"), "{err}");
    }

    #[test]
    fn answers_of_the_wrong_shape_are_refused() {
        for (answer, expected) in [
            ("answer = \"c\"", "answer \"c\" is not a choice's index"),
            ("answer = []", "lists at least one choice"),
            ("answer = [1, 1]", "names a choice twice"),
        ] {
            let err = quiz(&format!("{}{GOOD_ONE}", GOOD_ONE.replace("answer = 2", answer))).expect_err(answer);
            assert!(err.contains(expected), "{answer}: {err}");
        }
    }

    #[test]
    fn choices_must_number_three_to_five_and_be_distinct_and_non_empty() {
        for (choices, expected) in [
            ("[\"a\", \"b\"]", "3 to 5 choices, this one has 2"),
            ("[\"a\", \"b\", \"c\", \"d\", \"e\", \"f\"]", "this one has 6"),
            ("[\"a\", \" \", \"c\"]", "choice 1 is empty"),
            ("[\"a\", \"b\", \"a\"]", "choice 2 repeats an earlier choice"),
        ] {
            let bad = GOOD_ONE.replace("[\"a\", \"b\", \"c\"]", choices).replace("answer = 2", "answer = 0");
            let err = quiz(&format!("{bad}{GOOD_ONE}")).expect_err(choices);
            assert!(err.contains(expected), "{choices}: {err}");
        }
    }

    #[test]
    fn an_empty_explanation_or_question_and_unclosed_code_are_refused() {
        let err = quiz(&format!("{}{GOOD_ONE}", GOOD_ONE.replace("Because c.", " "))).expect_err("no explanation");
        assert!(err.contains("the explanation is empty"), "{err}");
        let err = quiz(&format!("{}{GOOD_ONE}", GOOD_ONE.replace("Which?", ""))).expect_err("no question");
        assert!(err.contains("the question is empty"), "{err}");
        let err = quiz(&format!("{}{GOOD_ONE}", GOOD_ONE.replace("Because c.", "Because `c."))).expect_err("open code");
        assert!(err.contains("inline code span is not closed"), "{err}");
    }

    #[test]
    fn an_unknown_quiz_field_is_refused() {
        let err = quiz(&format!("{}{GOOD_ONE}", GOOD_ONE.replace("answer = 2", "answer = 2\nhint = \"h\"")))
            .expect_err("hint");
        assert!(err.contains("hint"), "{err}");
    }

    #[test]
    fn every_lesson_of_the_course_has_a_valid_quiz_written_beside_its_text() {
        let lessons = load(&crate::root()).expect("the course loads");
        let outputs = render_outputs(&lessons).expect("the course renders");
        for lesson in &lessons {
            assert!(QUIZ_QUESTIONS.contains(&lesson.quiz.len()), "{}", lesson.front.slug);
            let path = Path::new(LESSONS).join(format!("{}.quiz.json", lesson.front.slug));
            let written: serde_json::Value = serde_json::from_str(&outputs[&path]).expect("the quiz file is JSON");
            assert_eq!(written["questions"].as_array().map(Vec::len), Some(lesson.quiz.len()));
        }
    }

    #[test]
    fn a_lesson_without_front_matter_is_refused() {
        let err = parse_lesson("# Title\n", Path::new("."), &SyntaxSet::load_defaults_newlines())
            .expect_err("no front matter");
        assert!(err.contains("front matter"), "{err}");
    }
}
