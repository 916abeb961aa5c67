//! Judging a learner's answer: each probe runs on fresh engines built from
//! the learner's topology, and each check reads what the engines did (the
//! run's [`Report`] and the records each poll returned). A failed check says
//! why in plain words, naming the message, queue or partition concerned.

use brokerlab_order::CollectOrdered;
use std::collections::BTreeMap;

use serde::Serialize;

use super::{Challenge, Check, Probe};
use crate::model::{Action, Scenario};
use crate::report::Report;

/// The result of checking an answer: every check of every probe, in order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    /// True when every check passed.
    pub passed: bool,
    pub results: Vec<CheckResult>,
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckResult {
    /// The probe's name.
    pub probe: String,
    /// What was checked, in words.
    pub check: String,
    pub passed: bool,
    /// Why it failed; `None` when it passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What one probe's run left behind for the checks to read; [`observe`]
/// gives it to a challenge's author, whose checks are written from it.
#[derive(Clone, Debug)]
pub struct ProbeRun {
    pub report: Report,
    /// Each Kafka consumer's polled values, in order; a share consumer's
    /// are the records each of its polls acquired.
    pub polled: BTreeMap<String, Vec<String>>,
    /// Each Kafka consumer's group, and each share consumer's share group,
    /// as the answer declares them.
    pub groups: BTreeMap<String, String>,
}

/// Replays `script` on fresh engines built from `answer`'s topology, as a
/// probe does, and returns what the checks would read: for writing checks
/// from what a reference answer does.
pub fn observe(answer: &Scenario, script: &[Action]) -> Result<ProbeRun, String> {
    run_probe(answer, &Probe { name: String::new(), script: script.to_vec(), checks: Vec::new() })
}

impl Challenge {
    /// Checks a learner's answer. `start` is the scenario the challenge was
    /// handed out in, when known: locked parts must then be as they were
    /// there. Without it, locked parts must still exist.
    pub fn check(&self, answer: &Scenario, start: Option<&Scenario>) -> Verdict {
        let mut results = Vec::new();
        for id in &self.locked {
            let now = part(answer, id);
            let reason = match (now, start.map(|s| part(s, id))) {
                (None, _) => Some(format!("`{id}` is locked and must stay, but your answer has no such part")),
                (Some(now), Some(Some(was))) if now != was => {
                    Some(format!("`{id}` is locked, but your answer changed it"))
                }
                _ => None,
            };
            results.push(CheckResult {
                probe: "locked parts".into(),
                check: format!("`{id}` is left as given"),
                passed: reason.is_none(),
                reason,
            });
        }
        for probe in &self.probes {
            let run = run_probe(answer, probe);
            for check in &probe.checks {
                let reason = match &run {
                    Ok(run) => judge(check, run).err(),
                    Err(e) => Some(format!("the engines refused your topology: {e}")),
                };
                results.push(CheckResult {
                    probe: probe.name.clone(),
                    check: describe(check),
                    passed: reason.is_none(),
                    reason,
                });
            }
        }
        Verdict { passed: results.iter().all(|r| r.passed), results }
    }
}

pub(crate) fn run_probe(answer: &Scenario, probe: &Probe) -> Result<ProbeRun, String> {
    let mut s = answer.clone();
    s.challenge = None;
    s.script = probe.script.clone();
    let mut session = s.start().map_err(|e| e.to_string())?;
    let mut outcomes = vec![session.setup().clone()];
    outcomes.extend(session.run_to_end());
    let mut polled: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for o in &outcomes {
        if let Some(Action::Poll { consumer, .. } | Action::SharePoll { consumer, .. }) =
            o.index.and_then(|i| s.script.get(i))
        {
            let values = o.polled.iter().map(|r| text(r.value.as_deref()));
            polled.entry(consumer.clone()).or_default().extend(values);
        }
    }
    let members = s.kafka.consumers.iter().map(|c| (&c.name, &c.group_id));
    let sharing = s.kafka.share_consumers.iter().map(|c| (&c.name, &c.group_id));
    let groups = members.chain(sharing).map(|(name, group)| (name.clone(), group.clone())).collect_map();
    Ok(ProbeRun { report: Report::new(&s, &session, &outcomes), polled, groups })
}

fn text(v: Option<&[u8]>) -> String {
    v.map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default()
}

/// A part of a scenario by node id, as JSON for comparison.
fn part(s: &Scenario, id: &str) -> Option<serde_json::Value> {
    let (kind, name) = id.split_once(':')?;
    let (vhost, name) = match name.split_once('/') {
        Some((v, n)) if kind == "queue" || kind == "exchange" => (v, n),
        _ => ("/", name),
    };
    let r = &s.rabbitmq;
    let k = &s.kafka;
    let value = match kind {
        "exchange" => serde_json::to_value(r.exchanges.iter().find(|x| x.name == name && x.vhost == vhost)?),
        "queue" => serde_json::to_value(r.queues.iter().find(|q| q.name == name && q.vhost == vhost)?),
        "consumer" => serde_json::to_value(r.consumers.iter().find(|c| c.tag == name)?),
        "topic" => serde_json::to_value(k.topics.iter().find(|t| t.name == name)?),
        "producer" => serde_json::to_value(k.producers.iter().find(|p| p.name == name)?),
        "kafka-consumer" => serde_json::to_value(k.consumers.iter().find(|c| c.name == name)?),
        _ => return None,
    };
    value.ok()
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".to_string()
    } else {
        items.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
    }
}

/// The check in words, as the results list shows it.
pub(crate) fn describe(check: &Check) -> String {
    match check {
        Check::QueueHolds { queue, bodies, .. } => format!("`{queue}` holds exactly {} in that order", list(bodies)),
        Check::QueueNever { queue, bodies, .. } => format!("{} never reach `{queue}`", list(bodies)),
        Check::DeadLettered { queue, body, reason, count, .. } => {
            let mut s = format!("`{body}` is dead-lettered into `{queue}`");
            if let Some(r) = reason {
                s.push_str(&format!(" as `{r}`"));
            }
            if let Some(c) = count {
                s.push_str(&format!(" after {c} time{}", if *c == 1 { "" } else { "s" }));
            }
            s
        }
        Check::ConsumerReceived { consumer, bodies } => {
            format!("`{consumer}` receives exactly {} in that order", list(bodies))
        }
        Check::AckedOnce { bodies } => format!("{} are each processed exactly once", list(bodies)),
        Check::TopicHoldsOnce { topic, values } => {
            format!("`{topic}` holds {} once each, and nothing else", list(values))
        }
        Check::KeyInOrder { topic, key, values } => {
            format!("records with key `{key}` stay in one partition of `{topic}` in the order {}", list(values))
        }
        Check::ConsumerPolled { consumer, values } => {
            format!("`{consumer}` reads exactly {} in that order", list(values))
        }
        Check::GroupReadOnce { group, values } => {
            format!("the members of `{group}` read {} once each between them", list(values))
        }
        Check::TopicNever { topic, values } => format!("{} are not in `{topic}`", list(values)),
        Check::NoIdleMember { group } => format!("every member of `{group}` owns a partition"),
        Check::Committed { group, topic, partition, offset } => {
            format!("`{group}` has committed offset {offset} on `{topic}-{partition}`")
        }
        Check::NoErrors => "no action is refused".to_string(),
        Check::QueueContains { queue, bodies, .. } => format!("`{queue}` holds {}", list(bodies)),
        Check::InPartition { topic, partition, key, values } => {
            let verb = if values.len() == 1 { "is" } else { "are" };
            match key {
                Some(k) => format!("{} with key `{k}` {verb} in `{topic}-{partition}`", list(values)),
                None => format!("{} {verb} in `{topic}-{partition}`", list(values)),
            }
        }
        Check::Owns { group, consumer, partitions } => {
            format!("`{consumer}` owns {} in `{group}`", list(partitions))
        }
        Check::ReadCount { group, value, times } => match times {
            0 => format!("no member of `{group}` reads `{value}`"),
            1 => format!("the members of `{group}` read `{value}` once"),
            n => format!("the members of `{group}` read `{value}` {n} times between them"),
        },
    }
}

/// How two lists of message bodies differ, in words.
fn difference(what: &str, got: &[String], want: &[String]) -> String {
    let missing: Vec<String> = want.iter().filter(|w| !got.contains(w)).cloned().collect();
    let extra: Vec<String> = got.iter().filter(|g| !want.contains(g)).cloned().collect();
    let mut parts = vec![format!("{what} {}", list(got))];
    if !missing.is_empty() {
        parts.push(format!("{} missing", list(&missing)));
    }
    if !extra.is_empty() {
        parts.push(format!("{} should not be there", list(&extra)));
    }
    if missing.is_empty() && extra.is_empty() {
        parts.push(format!("expected the order {}", list(want)));
    }
    parts.join("; ")
}

pub(crate) fn judge(check: &Check, run: &ProbeRun) -> Result<(), String> {
    let rabbit = &run.report.rabbitmq;
    let kafka = &run.report.kafka;
    match check {
        Check::QueueHolds { queue, vhost, bodies } => {
            let q = rabbit
                .queues
                .iter()
                .find(|q| q.name == *queue && q.vhost == *vhost)
                .ok_or_else(|| format!("there is no queue `{queue}`"))?;
            let got: Vec<String> = q.messages.iter().map(|m| m.body.clone()).collect();
            if got == *bodies { Ok(()) } else { Err(difference(&format!("`{queue}` holds"), &got, bodies)) }
        }
        Check::QueueNever { queue, vhost, bodies } => {
            let held = rabbit.queues.iter().filter(|q| q.name == *queue && q.vhost == *vhost).flat_map(|q| &q.messages);
            let delivered =
                rabbit.consumers.iter().filter(|c| c.queue == *queue).flat_map(|c| &c.deliveries).map(|d| &d.message);
            let got = rabbit.gets.iter().filter(|g| g.queue == *queue).filter_map(|g| g.message.as_ref());
            match held.chain(delivered).chain(got).find(|m| bodies.contains(&m.body)) {
                Some(m) => Err(format!(
                    "`{}` (routing key `{}`) reached `{queue}`, which should never get it",
                    m.body, m.routing_key
                )),
                None => Ok(()),
            }
        }
        Check::DeadLettered { queue, vhost, body, reason, count } => {
            let q = rabbit
                .queues
                .iter()
                .find(|q| q.name == *queue && q.vhost == *vhost)
                .ok_or_else(|| format!("there is no queue `{queue}`"))?;
            let m =
                q.messages.iter().find(|m| m.body == *body).ok_or_else(|| format!("`{body}` is not in `{queue}`"))?;
            let death =
                m.headers.get("x-death").and_then(|d| d.as_array()).and_then(|d| d.first()).ok_or_else(|| {
                    format!("`{body}` is in `{queue}` but was never dead-lettered (it has no x-death)")
                })?;
            let got_reason = death.get("reason").and_then(|r| r.as_str()).unwrap_or_default();
            if let Some(r) = reason
                && got_reason != r
            {
                return Err(format!("`{body}` was dead-lettered as `{got_reason}`, not `{r}`"));
            }
            let got_count = death.get("count").and_then(serde_json::Value::as_i64).unwrap_or_default();
            if let Some(c) = count
                && got_count != i64::from(*c)
            {
                return Err(format!("`{body}`'s x-death counts {got_count}, not {c}"));
            }
            Ok(())
        }
        Check::ConsumerReceived { consumer, bodies } => {
            let got: Vec<String> = rabbit
                .consumers
                .iter()
                .filter(|c| c.tag == *consumer)
                .flat_map(|c| &c.deliveries)
                .map(|d| d.message.body.clone())
                .collect();
            if got == *bodies { Ok(()) } else { Err(difference(&format!("`{consumer}` received"), &got, bodies)) }
        }
        Check::AckedOnce { bodies } => {
            let mut acked: BTreeMap<&str, u32> = BTreeMap::new();
            let deliveries =
                rabbit.consumers.iter().flat_map(|c| &c.deliveries).map(|d| (&d.message, Some(&d.outcome)));
            let gets = rabbit.gets.iter().filter_map(|g| g.message.as_ref().map(|m| (m, g.outcome.as_ref())));
            for (m, outcome) in deliveries.chain(gets) {
                if outcome.is_some_and(|o| o == "acked") {
                    *acked.entry(&m.body).or_default() += 1;
                }
            }
            for b in bodies {
                match acked.get(b.as_str()).copied().unwrap_or_default() {
                    1 => {}
                    0 => return Err(format!("`{b}` was never processed: it is lost or still waiting")),
                    n => return Err(format!("`{b}` was processed {n} times")),
                }
            }
            Ok(())
        }
        Check::TopicHoldsOnce { topic, values } => {
            let parts: Vec<_> = kafka.partitions.iter().filter(|p| p.topic == *topic).collect();
            if parts.is_empty() {
                return Err(format!("there is no topic `{topic}`"));
            }
            let mut got: Vec<String> =
                parts.iter().flat_map(|p| &p.records).map(|r| r.value.clone().unwrap_or_default()).collect();
            let mut want = values.clone();
            brokerlab_order::sort(&mut got);
            brokerlab_order::sort(&mut want);
            if got == want {
                return Ok(());
            }
            for v in &want {
                match got.iter().filter(|g| *g == v).count() {
                    0 => return Err(format!("`{v}` is not in `{topic}`: it was lost")),
                    1 => {}
                    n => return Err(format!("`{v}` is in `{topic}` {n} times")),
                }
            }
            Err(difference(&format!("`{topic}` holds"), &got, &want))
        }
        Check::KeyInOrder { topic, key, values } => {
            let holding: Vec<_> = kafka
                .partitions
                .iter()
                .filter(|p| p.topic == *topic && p.records.iter().any(|r| r.key.as_deref() == Some(key)))
                .collect();
            match holding.as_slice() {
                [] => Err(format!("no record with key `{key}` is in `{topic}`")),
                [p] => {
                    let got: Vec<String> = p
                        .records
                        .iter()
                        .filter(|r| r.key.as_deref() == Some(key))
                        .map(|r| r.value.clone().unwrap_or_default())
                        .collect();
                    if got == *values {
                        Ok(())
                    } else {
                        Err(difference(&format!("`{topic}-{}` holds for key `{key}`", p.partition), &got, values))
                    }
                }
                many => Err(format!(
                    "records with key `{key}` are spread over {} partitions of `{topic}`, so their order is lost",
                    many.len()
                )),
            }
        }
        Check::ConsumerPolled { consumer, values } => {
            let got = run.polled.get(consumer).cloned().unwrap_or_default();
            if got == *values { Ok(()) } else { Err(difference(&format!("`{consumer}` read"), &got, values)) }
        }
        Check::GroupReadOnce { group, values } => {
            let members: Vec<&String> = run.groups.iter().filter(|(_, g)| *g == group).map(|(c, _)| c).collect();
            if members.is_empty() {
                return Err(format!("no consumer is in `{group}`"));
            }
            let read: Vec<&String> = members.iter().filter_map(|m| run.polled.get(*m)).flatten().collect();
            for v in values {
                match read.iter().filter(|r| **r == v).count() {
                    1 => {}
                    0 => return Err(format!("no member of `{group}` read `{v}`")),
                    n => return Err(format!("the members of `{group}` read `{v}` {n} times")),
                }
            }
            Ok(())
        }
        Check::TopicNever { topic, values } => {
            let found = kafka
                .partitions
                .iter()
                .filter(|p| p.topic == *topic)
                .flat_map(|p| p.records.iter().map(move |r| (p.partition, r)))
                .find(|(_, r)| r.value.as_ref().is_some_and(|v| values.contains(v)));
            match found {
                Some((p, r)) => Err(format!(
                    "`{}` is still in `{topic}-{p}` at offset {}",
                    r.value.as_deref().unwrap_or_default(),
                    r.offset
                )),
                None => Ok(()),
            }
        }
        Check::NoIdleMember { group } => {
            let g = kafka
                .groups
                .iter()
                .find(|g| g.group_id == *group)
                .ok_or_else(|| format!("there is no group `{group}`"))?;
            if g.assignment.is_empty() {
                return Err(format!("`{group}` has no members"));
            }
            match g.assignment.iter().find(|(_, parts)| parts.is_empty()) {
                Some((member, _)) => Err(format!("`{member}` in `{group}` owns no partition and sits idle")),
                None => Ok(()),
            }
        }
        Check::Committed { group, topic, partition, offset } => {
            let g = kafka
                .groups
                .iter()
                .find(|g| g.group_id == *group)
                .ok_or_else(|| format!("there is no group `{group}`"))?;
            match g.committed.get(&format!("{topic}-{partition}")) {
                Some(o) if o == offset => Ok(()),
                Some(o) => Err(format!("`{group}` committed {o} on `{topic}-{partition}`, not {offset}")),
                None => Err(format!("`{group}` committed nothing on `{topic}-{partition}`")),
            }
        }
        Check::NoErrors => match run.report.errors.first() {
            Some(e) => Err(format!("action {} was refused: {}", e.action + 1, e.error)),
            None => Ok(()),
        },
        Check::QueueContains { queue, vhost, bodies } => {
            let q = rabbit
                .queues
                .iter()
                .find(|q| q.name == *queue && q.vhost == *vhost)
                .ok_or_else(|| format!("there is no queue `{queue}`"))?;
            let got: Vec<String> = q.messages.iter().map(|m| m.body.clone()).collect();
            match bodies.iter().find(|b| !got.contains(b)) {
                Some(b) => Err(format!("`{b}` is not in `{queue}`, which holds {}", list(&got))),
                None => Ok(()),
            }
        }
        Check::InPartition { topic, partition, key, values } => {
            let parts: Vec<_> = kafka.partitions.iter().filter(|p| p.topic == *topic).collect();
            let p = parts
                .iter()
                .find(|p| p.partition == *partition)
                .ok_or_else(|| format!("there is no partition `{topic}-{partition}`"))?;
            let holds = |p: &crate::report::PartitionReport, v: &String| {
                p.records.iter().any(|r| r.value.as_ref() == Some(v) && (key.is_none() || r.key == *key))
            };
            for v in values {
                if holds(p, v) {
                    continue;
                }
                return Err(match parts.iter().find(|o| holds(o, v)) {
                    Some(o) => format!("`{v}` is in `{topic}-{}`, not `{topic}-{partition}`", o.partition),
                    None => format!("`{v}` is in no partition of `{topic}`"),
                });
            }
            Ok(())
        }
        Check::Owns { group, consumer, partitions } => {
            let g = kafka
                .groups
                .iter()
                .find(|g| g.group_id == *group)
                .ok_or_else(|| format!("there is no group `{group}`"))?;
            let mut got = g.assignment.get(consumer).cloned().unwrap_or_default();
            let mut want = partitions.clone();
            brokerlab_order::sort(&mut got);
            brokerlab_order::sort(&mut want);
            if got == want {
                Ok(())
            } else if !g.assignment.contains_key(consumer) {
                Err(format!("`{consumer}` is not a member of `{group}`"))
            } else {
                Err(format!("`{consumer}` owns {} in `{group}`", list(&got)))
            }
        }
        Check::ReadCount { group, value, times } => {
            let members: Vec<&String> = run.groups.iter().filter(|(_, g)| *g == group).map(|(c, _)| c).collect();
            if members.is_empty() {
                return Err(format!("no consumer is in `{group}`"));
            }
            let by_member: Vec<(&String, usize)> = members
                .iter()
                .map(|m| (*m, run.polled.get(*m).map_or(0, |p| p.iter().filter(|r| *r == value).count())))
                .filter(|(_, n)| *n > 0)
                .collect();
            let total: usize = by_member.iter().map(|(_, n)| n).sum();
            if total == *times as usize {
                return Ok(());
            }
            if by_member.is_empty() {
                return Err(format!("no member of `{group}` read `{value}`"));
            }
            let who: Vec<String> =
                by_member.iter().map(|(m, n)| format!("`{m}` {n} time{}", if *n == 1 { "" } else { "s" })).collect();
            Err(format!("`{value}` was read {total} time{} ({})", if total == 1 { "" } else { "s" }, who.join(", ")))
        }
    }
}
