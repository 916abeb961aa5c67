//! The course's code samples, taken from the lessons as written.
//!
//! [`extract`] reads every fenced block with a language tag out of the
//! lessons' Markdown, so the tests below check exactly what a reader sees:
//! every Python block compiles; every JavaScript block parses with
//! `node --check` and calls only methods that the client release its lesson
//! names documents ([`JS_CLIENTS`]); and every Python block that talks to
//! RabbitMQ runs against a real broker, driven by `samples_driver.py`, which
//! plays its part (publishes a job, watches where it lands) and checks the
//! outcome the lesson promises. The Kafka and PostgreSQL blocks cannot run
//! here (no Kafka or PostgreSQL server), so they are only compiled.
//!
//! The broker is the one `cargo xtask test` starts for the native tests, at
//! `BROKERLAB_AMQP_URL` (default `amqp://guest:guest@127.0.0.1:5672/%2f`), and
//! the Python that runs the samples is the virtual environment with pika that
//! `cargo xtask tools` installs in `.tools/python`.

use crate::Result;
use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use std::path::{Path, PathBuf};

/// One fenced code block of a lesson.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The lesson's file, relative to the workspace root.
    pub path: String,
    pub slug: String,
    /// The line of the opening fence.
    pub line: usize,
    pub lang: String,
    /// The block's position among the lesson's blocks of the same language.
    pub index: usize,
    pub code: String,
}

impl Sample {
    pub fn name(&self) -> String {
        format!("{}:{} ({} block {} of {})", self.path, self.line, self.lang, self.index, self.slug)
    }
}

/// Every fenced block with a language tag in the lessons under `content/`.
pub fn extract(root: &Path) -> Result<Vec<Sample>> {
    let mut files = Vec::new();
    collect(&root.join("content"), &mut files)?;
    files.sort();
    let mut samples = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).map_err(|e| format!("reading {}: {e}", file.display()))?;
        let path = file.strip_prefix(root).unwrap_or(&file).display().to_string();
        samples.extend(extract_lesson(&path, &source)?);
    }
    Ok(samples)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result {
    for entry in std::fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "md") && path.file_name().is_some_and(|n| n != "README.md") {
            out.push(path);
        }
    }
    Ok(())
}

fn extract_lesson(path: &str, source: &str) -> Result<Vec<Sample>> {
    let slug = source
        .lines()
        .find_map(|l| l.strip_prefix("slug = \"")?.strip_suffix('"'))
        .ok_or_else(|| format!("{path}: no slug in the front matter"))?
        .to_owned();
    // The body starts after the front matter's closing `+++` line.
    let body_start = source
        .strip_prefix("+++\n")
        .and_then(|rest| rest.find("\n+++\n"))
        .map(|end| end + "+++\n".len() + "\n+++\n".len())
        .ok_or_else(|| format!("{path}: no front matter"))?;
    let body = &source[body_start..];
    let line_of = |offset: usize| source[..body_start + offset].matches('\n').count() + 1;
    let mut samples: Vec<Sample> = Vec::new();
    let mut open: Option<(String, usize, String)> = None;
    for (event, range) in Parser::new(body).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                let lang = info.split_whitespace().next().unwrap_or("").to_owned();
                open = Some((lang, line_of(range.start), String::new()));
            }
            Event::Text(text) => {
                if let Some((_, _, code)) = open.as_mut() {
                    code.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                let Some((lang, line, code)) = open.take() else { continue };
                if lang.is_empty() {
                    continue;
                }
                let index = samples.iter().filter(|s| s.lang == lang).count();
                samples.push(Sample { path: path.to_owned(), slug: slug.clone(), line, lang, index, code });
            }
            _ => {}
        }
    }
    Ok(samples)
}

/// A JavaScript client as a lesson names it, with the methods and members of
/// its objects that the samples may use, from that release's documentation.
pub struct JsClient {
    /// The name `require` takes.
    pub package: &'static str,
    /// The release the lessons name; the lesson using the client must say it.
    pub version: &'static str,
    pub docs: &'static str,
    /// The names samples give the client's objects, each with the members
    /// that release documents for it.
    pub objects: &'static [(&'static str, &'static [&'static str])],
}

pub const JS_CLIENTS: &[JsClient] = &[
    JsClient {
        package: "kafkajs",
        version: "2.2.4",
        docs: "https://kafka.js.org/docs/2.2.4/ (Getting Started, Client Configuration, Producing)",
        objects: &[
            ("Partitioners", &["DefaultPartitioner", "LegacyPartitioner", "JavaCompatiblePartitioner"]),
            ("kafka", &["producer", "consumer", "admin", "logger"]),
            ("producer", &["connect", "disconnect", "send", "sendBatch", "transaction", "on", "events", "logger"]),
        ],
    },
    JsClient {
        package: "amqplib",
        version: "0.10",
        docs: "https://amqp-node.github.io/amqplib/channel_api.html (amqplib 0.10 promise API)",
        objects: &[
            ("amqp", &["connect"]),
            ("connection", &["createChannel", "createConfirmChannel", "close", "on", "once", "updateSecret"]),
            (
                "channel",
                &[
                    "assertExchange",
                    "checkExchange",
                    "deleteExchange",
                    "bindExchange",
                    "unbindExchange",
                    "assertQueue",
                    "checkQueue",
                    "deleteQueue",
                    "purgeQueue",
                    "bindQueue",
                    "unbindQueue",
                    "publish",
                    "sendToQueue",
                    "consume",
                    "cancel",
                    "get",
                    "ack",
                    "ackAll",
                    "nack",
                    "nackAll",
                    "reject",
                    "prefetch",
                    "recover",
                    "waitForConfirms",
                    "close",
                    "on",
                    "once",
                ],
            ),
        ],
    },
];

/// The `object.member` uses in a JavaScript sample for each object name the
/// client's table knows, in order of appearance.
pub fn js_member_uses(code: &str, client: &JsClient) -> Vec<(String, String)> {
    let mut uses = Vec::new();
    let bytes = code.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    for (object, _) in client.objects {
        let mut from = 0;
        while let Some(found) = code[from..].find(&format!("{object}.")) {
            let start = from + found;
            from = start + object.len() + 1;
            if start > 0 && (ident(bytes[start - 1]) || bytes[start - 1] == b'.') {
                continue;
            }
            let member: String = code[from..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            uses.push(((*object).to_owned(), member));
        }
    }
    uses
}

/// The client a JavaScript sample requires, if it is one the table knows.
pub fn js_client(code: &str) -> Option<&'static JsClient> {
    JS_CLIENTS.iter().find(|c| {
        code.contains(&format!("require('{}')", c.package)) || code.contains(&format!("require(\"{}\")", c.package))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn samples() -> Vec<Sample> {
        extract(&crate::root()).expect("the lessons' samples extract")
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("brokerlab-samples-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        dir
    }

    fn write(dir: &Path, sample: &Sample, ext: &str) -> PathBuf {
        let file = dir.join(format!("{}-{}-{}.{ext}", sample.slug, sample.lang, sample.index));
        std::fs::write(&file, &sample.code).expect("the sample is written");
        file
    }

    #[test]
    fn extraction_finds_fenced_blocks_with_their_language_line_and_index() {
        let lesson = "+++\nslug = \"demo\"\n+++\n\nText.\n\n```python\nprint(1)\n```\n\n```text\nplain\n```\n\n```python\nprint(2)\n```\n\n    indented\n";
        let found = extract_lesson("content/demo.md", lesson).expect("extracts");
        let shown: Vec<(&str, usize, usize, &str)> =
            found.iter().map(|s| (s.lang.as_str(), s.line, s.index, s.code.as_str())).collect();
        assert_eq!(
            shown,
            [("python", 7, 0, "print(1)\n"), ("text", 11, 0, "plain\n"), ("python", 15, 1, "print(2)\n")]
        );
    }

    #[test]
    fn the_course_has_python_and_javascript_samples() {
        let all = samples();
        assert!(all.iter().filter(|s| s.lang == "python").count() >= 10, "{all:#?}");
        assert!(all.iter().filter(|s| s.lang == "js").count() >= 2, "{all:#?}");
        let tags: Vec<&str> = all.iter().map(|s| s.lang.as_str()).collect();
        assert!(
            tags.iter().all(|t| ["python", "js", "text", "sql"].contains(t)),
            "a new language needs a check: {tags:?}"
        );
    }

    #[test]
    fn every_python_sample_compiles() {
        let dir = scratch("compile");
        let mut failures = Vec::new();
        for sample in samples().iter().filter(|s| s.lang == "python") {
            let file = write(&dir, sample, "py");
            let out = Command::new("python3").args(["-m", "py_compile"]).arg(&file).output().expect("python3 runs");
            if !out.status.success() {
                failures.push(format!("{}: {}", sample.name(), String::from_utf8_lossy(&out.stderr)));
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn every_javascript_sample_parses() {
        let dir = scratch("parse");
        let mut failures = Vec::new();
        for sample in samples().iter().filter(|s| s.lang == "js") {
            let file = write(&dir, sample, "js");
            let out = Command::new("node").arg("--check").arg(&file).output().expect("node runs");
            if !out.status.success() {
                failures.push(format!("{}: {}", sample.name(), String::from_utf8_lossy(&out.stderr)));
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn javascript_samples_use_only_what_the_named_client_release_documents() {
        let all = samples();
        let lessons: Vec<(String, String)> = all
            .iter()
            .map(|s| s.path.clone())
            .map(|p| (p.clone(), std::fs::read_to_string(crate::root().join(&p)).expect("the lesson reads")))
            .collect();
        let mut checked = 0;
        for sample in all.iter().filter(|s| s.lang == "js") {
            let client = js_client(&sample.code)
                .unwrap_or_else(|| panic!("{} requires a client the table does not know", sample.name()));
            let lesson = &lessons.iter().find(|(p, _)| *p == sample.path).expect("read above").1;
            assert!(
                lesson.contains(client.version),
                "{} uses {} but its lesson does not name release {}",
                sample.name(),
                client.package,
                client.version
            );
            for (object, member) in js_member_uses(&sample.code, client) {
                let documented = client.objects.iter().find(|(o, _)| *o == object).expect("from the table").1;
                assert!(
                    documented.contains(&member.as_str()),
                    "{}: `{object}.{member}` is not in {} {} ({})",
                    sample.name(),
                    client.package,
                    client.version,
                    client.docs
                );
                checked += 1;
            }
        }
        assert!(checked >= 10, "only {checked} client calls were found; the extraction is broken");
    }

    #[test]
    fn a_method_the_client_does_not_have_is_caught() {
        let client = js_client("const amqp = require('amqplib');").expect("amqplib is known");
        let uses = js_member_uses(
            "await channel.publishAndWait(x); channel.ack(m); subchannel.foo(); a.channel.nack(m)",
            client,
        );
        assert_eq!(
            uses,
            [("channel".to_owned(), "publishAndWait".to_owned()), ("channel".to_owned(), "ack".to_owned())]
        );
        let documented = client.objects.iter().find(|(o, _)| *o == "channel").expect("channel").1;
        assert!(!documented.contains(&"publishAndWait"));
    }

    /// The Python of `.tools/python`, with pika, as `cargo xtask tools` installs it.
    fn python_with_pika() -> PathBuf {
        let python = crate::root().join(crate::tools::PYTHON_VENV).join("bin/python");
        assert!(
            python.exists(),
            "{} is missing: run `cargo xtask tools` to create it with pika {}",
            python.display(),
            crate::tools::PIKA_VERSION
        );
        python
    }

    #[test]
    fn python_samples_that_use_rabbitmq_run_against_a_real_broker() {
        let url =
            std::env::var("BROKERLAB_AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_string());
        let python = python_with_pika();
        let driver = crate::root().join("crates/xtask/src/samples_driver.py");
        let dir = scratch("run");
        let mut ran = 0;
        let mut failures = Vec::new();
        for sample in samples().iter().filter(|s| s.lang == "python") {
            let uses_rabbitmq = sample.code.contains("import pika");
            let cannot_run = ["confluent_kafka", "psycopg"].iter().any(|m| sample.code.contains(m));
            if !uses_rabbitmq && cannot_run {
                continue;
            }
            let file = write(&dir, sample, "py");
            let out = Command::new(&python)
                .arg(&driver)
                .arg(&sample.slug)
                .arg(sample.index.to_string())
                .arg(&file)
                .env("AMQP_URL", &url)
                .output()
                .expect("the driver starts");
            ran += 1;
            if !out.status.success() {
                failures.push(format!(
                    "{}:\n{}{}",
                    sample.name(),
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            failures.is_empty(),
            "against {url} (start RabbitMQ, or point BROKERLAB_AMQP_URL at one):\n{}",
            failures.join("\n")
        );
        assert!(ran >= 5, "only {ran} Python samples ran");
    }
}
