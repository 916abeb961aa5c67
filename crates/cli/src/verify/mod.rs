//! `brokerlab verify`: plays a scenario's RabbitMQ part on a real broker and
//! on the engine, and lists every difference.
//!
//! The scenario is split by vhost: vhosts share nothing in RabbitMQ, so
//! each vhost's part (its topology and the script actions in it, plus every
//! `advance_time`) is one `brokerlab_rabbit_live` script, played on a fresh
//! engine and on the broker through connections to that vhost. `/` runs on
//! the URL as given; any other vhost on the same URL with its path replaced
//! by the vhost's name. A vhost missing on the broker is reported as a
//! skipped part (vhosts cannot be created over AMQP), with the
//! `rabbitmqctl` commands that create it.
//!
//! Each script declares the topology, starts the consumers, replays the
//! publishes, gets, consumes, acknowledgements (a missing `delivery_tag`
//! settles the client's oldest unacknowledged delivery, on each side
//! separately), cancels, client closes, queue operations and waits (a wait
//! sleeps on the real broker), and at the end drains every queue in order.
//! Each scenario client is a connection of its own with one channel, as in
//! the engine. What each side observed is compared: each `get`, the tag
//! each acknowledgement settled, every consumer's deliveries in order (with
//! the action after which each arrived, its delivery tag, body, routing
//! key, exchange, redelivered flag and headers), then each queue's remaining
//! messages. The live side waits for the deliveries the engine made, with a
//! bounded timeout, then watches a short grace period for more; whatever
//! differs is reported.
//!
//! The engine runs as the broker's own release: [`verify`] reads the
//! `version` the broker announces in `connection.start`
//! (`brokerlab_rabbit_live::server_version`) and starts each engine with
//! that profile ([`Verification::rabbitmq_version`] reports both), whatever
//! release the scenario names. A broker older than every profile is refused.
//!
//! Policies are set with `rabbitmqctl set_policy` and so need
//! [`Options::rabbitmqctl`]; without it they are skipped on both sides, and
//! the part clears the policies it set before and after it runs. A vhost's
//! default queue type is skipped on both sides.
//!
//! Restarts and alarms need the broker's host, which an AMQP URL does not
//! give, so they are listed as skipped. Given a node for `rabbitmqctl -n`
//! ([`Options::rabbitmqctl`]), a restart is replayed: the broker's
//! application is stopped and started (once in each vhost's part), every
//! client reconnects on its next use, and a queue the restart removed counts
//! as missing on that side. Alarms stay skipped even then ([`NO_ALARM`]).
//!
//! This module holds the result types, the options and [`verify`], which
//! runs each part on both sides; `plan` turns a scenario into one script per
//! vhost; `compare` lists where the two sides' observations differ; `tests`
//! checks the plan and the comparison without a broker.

mod compare;
mod plan;

use brokerlab_rabbit::{Broker, ChannelId, Command, Version};
use brokerlab_rabbit_live::{LiveBroker, Outcome, Pacing, Step, run_on_engine, server_version, vhost_url};
use brokerlab_scenario::Scenario;
use serde::Serialize;
use std::time::Duration;

pub use compare::{IGNORED, compare};
pub use plan::{ConsumerLabel, Part, Plan, plan, plan_with};

/// The result of a verification.
#[derive(Debug, Serialize)]
pub struct Verification {
    /// True when the engine and the broker observed the same thing.
    pub matches: bool,
    /// The broker's version as it announced it, and the engine profile that
    /// ran against it.
    pub rabbitmq_version: RunVersion,
    /// Each vhost the scenario uses, and whether its part ran on the broker.
    pub vhosts: Vec<VhostRun>,
    /// Script actions and parts not replayed, with the reason.
    pub skipped: Vec<Skipped>,
    /// What was left out of the comparison on purpose, and why.
    pub ignored: Vec<&'static str>,
    /// Every place the two sides differ.
    pub differences: Vec<Difference>,
}

/// Which release the broker is and which profile the engine ran as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunVersion {
    /// As the broker announced it, for example `3.10.8`.
    pub broker: String,
    /// The engine's profile, for example `3.10`.
    pub engine: String,
}

/// Whether one vhost's part ran, and how much the broker's run observed.
#[derive(Debug, Serialize)]
pub struct VhostRun {
    pub vhost: String,
    pub ran: bool,
    /// What the broker's run observed and was compared; `None` when the
    /// part did not run or did not complete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compared: Option<Compared>,
}

/// How much was compared in one vhost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Compared {
    pub gets: usize,
    pub settles: usize,
    pub consumers: usize,
    pub deliveries: usize,
    pub messages_left: usize,
}

impl Compared {
    fn of(o: &Outcome) -> Self {
        Compared {
            gets: o.gets.len(),
            settles: o.settled.len(),
            consumers: o.consumers.len(),
            deliveries: o.consumers.iter().map(|c| c.deliveries.len()).sum(),
            messages_left: o.drained.values().map(Vec::len).sum(),
        }
    }
}

/// What each side of one vhost's part observed (or why it stopped).
#[derive(Debug)]
pub struct PartRun {
    pub vhost: String,
    pub engine: Result<Outcome, String>,
    pub broker: Result<Outcome, String>,
}

/// An action, or a whole vhost's part, left out.
#[derive(Debug, Serialize)]
pub struct Skipped {
    pub action: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vhost: Option<String>,
    pub reason: String,
}

/// One difference.
#[derive(Debug, Serialize)]
pub struct Difference {
    pub at: String,
    pub engine: serde_json::Value,
    pub broker: serde_json::Value,
}

/// Why restarts and alarms are not replayed without `--rabbitmqctl`.
pub const NO_RESTART: &str = "restarting RabbitMQ or raising an alarm needs rabbitmqctl on the broker's host, \
    which an AMQP URL does not give (see --rabbitmqctl NODE for restarts); neither side replays it, so what \
    follows runs as if it had not happened";

/// Why alarms are not replayed even with `--rabbitmqctl`.
pub const NO_ALARM: &str = "a real resource alarm is raised by the broker's own monitor some time after its \
    threshold changes, and blocks a connection only once it publishes, so a script cannot place it between two \
    actions the way the engine does; neither side replays it, so what follows runs as if it had not happened";

/// Why policies are not set without `--rabbitmqctl`.
pub const NO_POLICY: &str = "setting or clearing a policy needs rabbitmqctl on the broker's host, which an AMQP URL \
    does not give (see --rabbitmqctl NODE); neither side sets it, so what follows runs without it";

/// Why a vhost's default queue type is not replayed.
pub const NO_DEFAULT_QUEUE_TYPE: &str = "a vhost's default queue type is set when the vhost is created \
    (`rabbitmqctl add_vhost --default-queue-type`), which verify does not do; neither side sets it, so \
    queues declared without `x-queue-type` are classic on both";

/// How verify may reach the broker beyond AMQP.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// The node name for `rabbitmqctl -n` on this host; with it, a
    /// `restart_rabbitmq` action restarts that node (`stop_app`, then
    /// `start_app`) once in each vhost's part, and policies are set and
    /// cleared with `set_policy` and `clear_policy`.
    pub rabbitmqctl: Option<String>,
}

fn delete_steps(part: &Part) -> Vec<Step> {
    // A channel on a connection no script opens: the live side runs it on
    // a connection of its own.
    let ch = ChannelId { connection: 9999, channel: 1 };
    let mut steps: Vec<Step> = part
        .queues
        .iter()
        .map(|q| Step::Do(Command::QueueDelete { channel: ch, queue: q.clone(), if_unused: false, if_empty: false }))
        .collect();
    steps.extend(
        part.exchanges
            .iter()
            .map(|x| Step::Do(Command::ExchangeDelete { channel: ch, exchange: x.clone(), if_unused: false })),
    );
    steps.extend(
        part.policies.iter().map(|name| {
            Step::Do(Command::ClearPolicy { vhost: part.vhost.clone(), name: name.clone(), operator: false })
        }),
    );
    steps
}

/// How the live side is paced: a short pause after each publish so a `get`
/// on another channel cannot overtake the routing, up to five seconds for
/// the deliveries the engine made, and a short watch for any beyond them.
pub const PACING: Pacing = Pacing {
    after_publish: Duration::from_millis(30),
    delivery_timeout: Duration::from_secs(5),
    grace: Duration::from_millis(60),
};

/// The user name in an AMQP URL (`guest` when it has none).
fn url_user(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    match authority.rsplit_once('@') {
        Some((userinfo, _)) => userinfo.split(':').next().unwrap_or_default().to_string(),
        None => "guest".to_string(),
    }
}

/// A word as a POSIX shell reads it back.
fn shell_word(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./:@%+=".contains(&b)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Why a vhost's part did not run, with the commands that make it run.
pub fn missing_vhost(vhost: &str, user: &str, broker_said: &str) -> String {
    let (v, u) = (shell_word(vhost), shell_word(user));
    format!(
        "vhost `{vhost}` is not on the broker or user `{user}` may not use it ({broker_said}); \
         vhosts cannot be created over AMQP, so its part was not run. Create it on the broker's host with \
         `rabbitmqctl add_vhost {v}` and `rabbitmqctl set_permissions -p {v} {u} \".*\" \".*\" \".*\"`, then verify again"
    )
}

/// Runs each vhost's part on the engine and on the broker at `url`, and
/// compares. Queues and exchanges the scenario names are deleted on the
/// broker before and after, so leftovers of an earlier run cannot leak in.
pub fn verify(s: &Scenario, url: &str) -> Result<Verification, String> {
    verify_with_outcomes(s, url, &Options::default()).map(|(v, _)| v)
}

/// [`verify`] with `options`, also returning what each side observed in
/// each part that ran.
pub fn verify_with_outcomes(
    s: &Scenario,
    url: &str,
    options: &Options,
) -> Result<(Verification, Vec<PartRun>), String> {
    let plan = plan_with(s, options);
    let mut runs = Vec::new();
    LiveBroker::connect(url).map_err(|e| format!("cannot reach RabbitMQ at {url}: {e}"))?.close().ok();
    let announced = server_version(url).map_err(|e| format!("cannot read RabbitMQ's version at {url}: {e}"))?;
    let version = Version::from_server(&announced).ok_or_else(|| {
        format!("RabbitMQ {announced} at {url} is older than every release the engine models (3.10 and later)")
    })?;
    let mut skipped = plan.skipped;
    let mut vhosts = Vec::new();
    let mut differences = Vec::new();
    for part in &plan.parts {
        skipped.extend(part.skipped.iter().map(|k| Skipped {
            action: k.action,
            vhost: k.vhost.clone(),
            reason: k.reason.clone(),
        }));
        let part_url = if part.vhost == "/" { url.to_string() } else { vhost_url(url, &part.vhost) };
        let mut live = match LiveBroker::connect(&part_url) {
            Ok(live) => live,
            Err(e) if part.vhost != "/" => {
                skipped.push(Skipped {
                    action: None,
                    vhost: Some(part.vhost.clone()),
                    reason: missing_vhost(&part.vhost, &url_user(url), &e.to_string()),
                });
                vhosts.push(VhostRun { vhost: part.vhost.clone(), ran: false, compared: None });
                continue;
            }
            Err(e) => return Err(format!("cannot reach RabbitMQ at {url}: {e}")),
        };
        live.set_pacing(PACING);
        live.set_rabbitmqctl_node(options.rabbitmqctl.clone());
        let mut broker = Broker::with_version(s.seed, version);
        if part.vhost != "/" {
            // The broker has the vhost (the connection above proves it); so does the engine.
            let _ = broker.apply(Command::AddVhost { name: part.vhost.clone() });
            let _ = broker.apply(Command::SetPermissions {
                user: "guest".into(),
                vhost: part.vhost.clone(),
                configure: ".*".into(),
                write: ".*".into(),
                read: ".*".into(),
            });
        }
        let engine = run_on_engine(&mut broker, &part.steps);
        let cleanup = delete_steps(part);
        for step in &cleanup {
            // A missing queue or exchange is fine here; only leftovers matter.
            let _ = live.run(std::slice::from_ref(step));
        }
        let result = match &engine {
            Ok(expected) => live.run_expecting(&part.steps, expected),
            Err(_) => live.run(&part.steps),
        };
        for step in &cleanup {
            let _ = live.run(std::slice::from_ref(step));
        }
        let _ = live.close();
        let compared = match (&engine, &result) {
            (Ok(_), Ok(b)) => Some(Compared::of(b)),
            _ => None,
        };
        vhosts.push(VhostRun { vhost: part.vhost.clone(), ran: true, compared });
        match (&engine, &result) {
            (Ok(e), Ok(b)) => differences.extend(compare(part, e, b)),
            (e, b) => {
                let e = e.as_ref().map(|_| "completed".to_string()).unwrap_or_else(|e| e.to_string());
                let b = b.as_ref().map(|_| "completed".to_string()).unwrap_or_else(|e| e.to_string());
                if e != b {
                    let at = if part.vhost == "/" {
                        "running the script".to_string()
                    } else {
                        format!("vhost `{}`: running the script", part.vhost)
                    };
                    differences.push(Difference {
                        at,
                        engine: serde_json::Value::String(e),
                        broker: serde_json::Value::String(b),
                    });
                }
            }
        }
        runs.push(PartRun {
            vhost: part.vhost.clone(),
            engine: engine.map_err(|e| e.to_string()),
            broker: result.map_err(|e| e.to_string()),
        });
    }
    let v = Verification {
        matches: differences.is_empty(),
        rabbitmq_version: RunVersion { broker: announced, engine: version.to_string() },
        vhosts,
        skipped,
        ignored: IGNORED.to_vec(),
        differences,
    };
    Ok((v, runs))
}

#[cfg(test)]
mod tests;
