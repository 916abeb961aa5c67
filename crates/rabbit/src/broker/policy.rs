//! Policies and operator policies (`rabbit_policy`, `rabbit_policies`) and
//! a vhost's default queue type.
//!
//! A policy names a regular expression, what it applies to, a priority and
//! a definition (keys such as `max-length` or `dead-letter-exchange`). Of
//! the policies of a vhost that apply to a queue or exchange, the one with
//! the highest priority is its policy; the same holds for operator
//! policies. A queue's settings then come from its `x-` arguments and the
//! two definitions, each key resolved as the queue type's source resolves
//! it (`rabbit_queue_type_util:args_policy_lookup/3` with the resolver
//! each queue type passes). Setting or clearing a policy re-matches every
//! queue and exchange of its vhost, and an existing queue takes its new
//! settings at once: a lowered `max-length` drops or dead-letters from the
//! head, as `rabbit_amqqueue_process:init_max_length/2` and
//! `rabbit_fifo`'s limit evaluation do.

use super::*;

/// What a policy applies to: `apply-to` in RabbitMQ's definitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ApplyTo {
    All,
    Exchanges,
    Queues,
    ClassicQueues,
    QuorumQueues,
    Streams,
}

impl ApplyTo {
    fn as_str(self) -> &'static str {
        match self {
            ApplyTo::All => "all",
            ApplyTo::Exchanges => "exchanges",
            ApplyTo::Queues => "queues",
            ApplyTo::ClassicQueues => "classic_queues",
            ApplyTo::QuorumQueues => "quorum_queues",
            ApplyTo::Streams => "streams",
        }
    }

    /// `rabbit_policy:apply_to_validation/2`. 3.10 knows `all`, `queues`
    /// and `exchanges`; 3.12 added one value per queue type (each queue
    /// type's `policy_apply_to_name/0`).
    fn parse(s: &str, version: Version) -> Result<ApplyTo, String> {
        let per_type = version.policies_apply_to_queue_types();
        Ok(match s {
            "all" => ApplyTo::All,
            "exchanges" => ApplyTo::Exchanges,
            "queues" => ApplyTo::Queues,
            "classic_queues" if per_type => ApplyTo::ClassicQueues,
            "quorum_queues" if per_type => ApplyTo::QuorumQueues,
            "streams" if per_type => ApplyTo::Streams,
            _ if per_type => {
                return Err(format!(
                    "apply-to '{s}' unrecognised; should be one of: 'queues', 'classic_queues',  'quorum_queues', \
                     'streams', 'exchanges', or 'all'"
                ));
            }
            _ => return Err(format!("apply-to '{s}' unrecognised; should be 'queues', 'exchanges' or 'all'")),
        })
    }

    /// `rabbit_policy:matches_queue_type/3`.
    fn queue(self, queue_type: QueueType) -> bool {
        match self {
            ApplyTo::All | ApplyTo::Queues => true,
            ApplyTo::Exchanges => false,
            ApplyTo::ClassicQueues => queue_type == QueueType::Classic,
            ApplyTo::QuorumQueues => queue_type == QueueType::Quorum,
            ApplyTo::Streams => queue_type == QueueType::Stream,
        }
    }

    /// `rabbit_policy:matches_type/2` for an exchange.
    fn exchange(self) -> bool {
        matches!(self, ApplyTo::All | ApplyTo::Exchanges)
    }
}

/// One policy or operator policy of a vhost.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    pub(crate) name: String,
    pub(crate) pattern: String,
    pub(crate) regex: Regex,
    pub(crate) apply_to: ApplyTo,
    pub(crate) priority: i64,
    pub(crate) definition: FieldTable,
}

/// A policy as RabbitMQ lists it (`rabbitmqctl list_policies`, the
/// `policies` of a definitions export).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PolicyView {
    pub vhost: String,
    pub name: String,
    pub pattern: String,
    pub apply_to: String,
    pub priority: i64,
    pub definition: FieldTable,
    /// An operator policy (`set_operator_policy`) rather than a policy.
    pub operator: bool,
}

/// The policy keys the engine accepts and validates, as registered by
/// `rabbit_policies:register/0` and the queue type modules of each release.
/// Keys whose effect the engine does not model (queue modes, replica
/// placement, memory limits) are validated and kept, and still decide
/// whether a policy applies to a queue type, as RabbitMQ's
/// `unsupported_policies` capability does.
fn known_key(key: &str, version: Version, operator: bool) -> bool {
    if operator {
        // `operator_policy_validator`s; 3.12 added `overflow` and
        // `queue-version`.
        return matches!(
            key,
            "expires"
                | "message-ttl"
                | "max-length"
                | "max-length-bytes"
                | "max-in-memory-length"
                | "max-in-memory-bytes"
                | "delivery-limit"
        ) || (version.policies_apply_to_queue_types() && matches!(key, "overflow" | "queue-version"));
    }
    matches!(
        key,
        "alternate-exchange"
            | "dead-letter-exchange"
            | "dead-letter-routing-key"
            | "dead-letter-strategy"
            | "message-ttl"
            | "expires"
            | "max-length"
            | "max-length-bytes"
            | "max-in-memory-length"
            | "max-in-memory-bytes"
            | "queue-mode"
            | "queue-version"
            | "overflow"
            | "delivery-limit"
            | "max-age"
            | "stream-max-segment-size-bytes"
            | "queue-leader-locator"
            | "initial-cluster-size"
            | "queue-master-locator"
    ) || (version >= Version::V3_13 && matches!(key, "consumer-timeout" | "stream-filter-size-bytes"))
        || (version >= Version::V4_3 && key == "consumer-disconnected-timeout")
}

/// Keys RabbitMQ accepts whose validation (and effect) the engine does not
/// model: classic queue mirroring (3.x), quorum queue membership and
/// delayed retries. They are refused as not implemented rather than taken
/// with a validation RabbitMQ would not apply.
fn unmodelled_key(key: &str, version: Version) -> bool {
    (version < Version::V4_0 && key.starts_with("ha-"))
        || (version >= Version::V3_13 && key == "target-group-size")
        || (version >= Version::V4_3 && key.starts_with("delayed-retry-"))
}

/// Erlang's `~p` of a decoded JSON value, for RabbitMQ's error texts.
fn erl(v: &FieldValue) -> String {
    match v {
        FieldValue::LongString(s) => format!("<<\"{s}\">>"),
        FieldValue::Boolean(b) => b.to_string(),
        FieldValue::Float(f) => format!("{f:?}"),
        FieldValue::Double(f) => format!("{f:?}"),
        FieldValue::Void => "null".to_string(),
        FieldValue::FieldArray(items) => format!("[{}]", items.iter().map(erl).collect::<Vec<_>>().join(",")),
        FieldValue::FieldTable(t) => format!(
            "#{{{}}}",
            t.iter().map(|(k, v)| format!("<<\"{k}\">> => {}", erl(v))).collect::<Vec<_>>().join(",")
        ),
        other => other.as_i64().map_or_else(|| format!("{other:?}"), |i| i.to_string()),
    }
}

/// `rabbit_policies:validate_policy0/2` for one key.
fn validate_key(key: &str, v: &FieldValue, version: Version) -> Result<(), String> {
    let int = v.as_i64();
    let s = v.as_str();
    let bad = |what: &str| Err(format!("{} is not a valid {what}", erl(v)));
    let ok = |cond: bool, what: &str| if cond { Ok(()) } else { bad(what) };
    match key {
        "alternate-exchange" => ok(s.is_some(), "alternate exchange name"),
        "dead-letter-exchange" => ok(s.is_some(), "dead letter exchange name"),
        "dead-letter-routing-key" => ok(s.is_some(), "dead letter routing key"),
        "dead-letter-strategy" => ok(matches!(s, Some("at-most-once" | "at-least-once")), "dead letter strategy"),
        "message-ttl" => ok(int.is_some_and(|i| i >= 0), "message TTL"),
        "expires" => ok(int.is_some_and(|i| i >= 1), "queue expiry"),
        "max-length" => ok(int.is_some_and(|i| i >= 0), "maximum length"),
        "max-length-bytes" => ok(int.is_some_and(|i| i >= 0), "maximum length in bytes"),
        "max-in-memory-length" | "max-in-memory-bytes" => ok(int.is_some_and(|i| i >= 0), "maximum memory in bytes"),
        "queue-mode" => ok(matches!(s, Some("default" | "lazy")), "queue-mode value"),
        "queue-version" => ok(matches!(int, Some(1 | 2)), "queue-version value"),
        "overflow" => ok(matches!(s, Some("drop-head" | "reject-publish" | "reject-publish-dlx")), "overflow value"),
        "delivery-limit" => {
            ok(int.is_some_and(|i| i >= 0 || version.negative_delivery_limit_is_unlimited()), "delivery limit")
        }
        "max-age" => ok(s.and_then(super::stream::parse_interval).is_some(), "max age"),
        "queue-leader-locator" => ok(
            matches!(s, Some("client-local" | "balanced" | "random" | "least-leaders")),
            "queue leader locator value",
        ),
        "initial-cluster-size" => ok(int.is_some_and(|i| i >= 0), "cluster size"),
        // `?MAX_STREAM_MAX_SEGMENT_SIZE`: 3 000 000 000 bytes.
        "stream-max-segment-size-bytes" => ok(int.is_some_and(|i| (0..=3_000_000_000).contains(&i)), "segment size"),
        "stream-filter-size-bytes" => {
            ok(int.is_some_and(|i| (16..=255).contains(&i)), "filter size. Valid range is 16-255")
        }
        "consumer-timeout" => ok(int.is_some_and(|i| i >= 0), "consumer timeout"),
        "consumer-disconnected-timeout" => ok(int.is_some_and(|i| i >= 0), "consumer disconnected timeout"),
        // `rabbit_queue_location_validator`.
        "queue-master-locator" => match s {
            Some("client-local" | "min-masters" | "random") => Ok(()),
            _ => Err(format!("{} is not a valid master locator", erl(v))),
        },
        _ => Ok(()),
    }
}

/// `rabbit_policy:validation/3`: every key known and valid.
fn validate_definition(def: &FieldTable, version: Version, operator: bool) -> R<()> {
    let fail = |msg: String| AmqpError::precondition(format!("Validation failed: {msg}"));
    if def.is_empty() {
        return Err(fail("no policy provided".to_string()));
    }
    if let Some(k) = def.keys().find(|k| unmodelled_key(k, version)) {
        return Err(AmqpError::new(
            ReplyCode::NotImplemented,
            format!("policy key '{k}' is accepted by RabbitMQ {version} but not modelled by Brokerlab"),
        ));
    }
    for (k, v) in def.iter().filter(|(k, _)| known_key(k, version, operator)) {
        validate_key(k, v, version).map_err(fail)?;
    }
    let unknown: Vec<String> = def
        .iter()
        .filter(|(k, _)| !known_key(k, version, operator))
        .map(|(k, v)| format!("{{<<\"{k}\">>,{}}}", erl(v)))
        .collect();
    if !unknown.is_empty() {
        return Err(fail(format!("[{}] are not recognised policy settings", unknown.join(","))));
    }
    Ok(())
}

/// The policy keys a queue type declares it does not support (its
/// `unsupported_policies` capability): a policy holding one of them does not
/// apply to a queue of that type at all (`rabbit_queue_type:is_policy_applicable/2`).
fn unsupported(key: &str, queue_type: QueueType, version: Version) -> bool {
    match queue_type {
        QueueType::Classic => {
            matches!(
                key,
                "max-age"
                    | "stream-max-segment-size-bytes"
                    | "initial-cluster-size"
                    | "delivery-limit"
                    | "dead-letter-strategy"
            ) || (version < Version::V4_0 && key == "queue-leader-locator")
                || (version >= Version::V3_13 && matches!(key, "max-in-memory-length" | "max-in-memory-bytes"))
        }
        QueueType::Quorum => matches!(
            key,
            "max-priority"
                | "queue-mode"
                | "queue-master-locator"
                | "max-age"
                | "stream-max-segment-size-bytes"
                | "initial-cluster-size"
        ),
        QueueType::Stream => matches!(
            key,
            "expires"
                | "message-ttl"
                | "dead-letter-exchange"
                | "dead-letter-routing-key"
                | "max-length"
                | "max-in-memory-length"
                | "max-in-memory-bytes"
                | "max-priority"
                | "overflow"
                | "queue-mode"
                | "delivery-limit"
                | "queue-master-locator"
                | "dead-letter-strategy"
        ),
    }
}

/// `rabbit_policy:match/2`: the applicable policy of highest priority.
/// Among equal priorities RabbitMQ keeps the first in the order its
/// parameter store lists them, which it does not specify; Brokerlab keeps
/// the first by name.
fn best<'a>(
    policies: &'a BTreeMap<String, Policy>,
    name: &str,
    applies: impl Fn(&Policy) -> bool,
) -> Option<&'a Policy> {
    let mut found: Option<&Policy> = None;
    for p in policies.values() {
        if applies(p) && p.regex.is_match(name) && found.is_none_or(|f| p.priority > f.priority) {
            found = Some(p);
        }
    }
    found
}

/// `rabbit_policy:merge_operator_definitions/2` and
/// `rabbit_policies:merge_policy_value/3`: keys of both, and for a key in
/// both the stricter value.
fn merge(policy: Option<&Policy>, op: Option<&Policy>, version: Version) -> FieldTable {
    let mut out = policy.map(|p| p.definition.clone()).unwrap_or_default();
    for (k, ov) in op.map(|p| &p.definition).into_iter().flatten() {
        let merged = match out.get(k) {
            None => ov.clone(),
            Some(pv) => match (k.as_str(), pv.as_i64(), ov.as_i64()) {
                // 4.0: a negative delivery limit (none) loses to a limit.
                ("delivery-limit", Some(a), Some(b))
                    if version.negative_delivery_limit_is_unlimited() && (a < 0 || b < 0) =>
                {
                    FieldValue::LongLongInt(a.max(b))
                }
                (_, Some(a), Some(b)) => FieldValue::LongLongInt(a.min(b)),
                // `overflow` and `queue-version` (3.12+): the operator's.
                _ => ov.clone(),
            },
        };
        out.insert(k.clone(), merged);
    }
    out
}

/// How a queue type resolves a key that both its arguments and its policy set.
#[derive(Clone, Copy)]
enum Resolve {
    Min,
    Argument,
    Policy,
    /// `rabbit_quorum_queue:resolve_delivery_limit/2` (4.0+): a negative
    /// value (no limit) loses to a limit, else the minimum.
    DeliveryLimit,
}

fn resolver(key: &str, queue_type: QueueType, version: Version) -> Resolve {
    match (queue_type, key) {
        // `rabbit_amqqueue_process:process_args_policy/1`.
        (QueueType::Classic, "expires" | "message-ttl" | "max-length" | "max-length-bytes") => Resolve::Min,
        (QueueType::Classic, _) => Resolve::Argument,
        // `rabbit_quorum_queue:ra_machine_config/1` and `dead_letter_handler/2`.
        (QueueType::Quorum, "overflow") => Resolve::Policy,
        (QueueType::Quorum, "expires") if !version.quorum_expires_takes_minimum() => Resolve::Policy,
        (QueueType::Quorum, "delivery-limit") if version.negative_delivery_limit_is_unlimited() => {
            Resolve::DeliveryLimit
        }
        (QueueType::Quorum, "max-length" | "max-length-bytes" | "message-ttl" | "expires" | "delivery-limit") => {
            Resolve::Min
        }
        (QueueType::Quorum, _) => Resolve::Argument,
        // `rabbit_stream_queue:update_stream_conf/2`: `policy_precedence`.
        (QueueType::Stream, _) => Resolve::Policy,
    }
}

/// `rabbit_queue_type_util:args_policy_lookup/3`.
fn lookup(
    key: &str,
    args: &FieldTable,
    def: &FieldTable,
    queue_type: QueueType,
    version: Version,
) -> Option<FieldValue> {
    let arg = args.get(&format!("x-{key}"));
    match (def.get(key), arg) {
        (None, a) => a.cloned(),
        (Some(p), None) => Some(p.clone()),
        (Some(p), Some(a)) => Some(match resolver(key, queue_type, version) {
            Resolve::Argument => a.clone(),
            Resolve::Policy => p.clone(),
            Resolve::Min => match (p.as_i64(), a.as_i64()) {
                (Some(x), Some(y)) => FieldValue::LongLongInt(x.min(y)),
                _ => a.clone(),
            },
            Resolve::DeliveryLimit => match (p.as_i64(), a.as_i64()) {
                (Some(x), Some(y)) if x < 0 || y < 0 => FieldValue::LongLongInt(x.max(y)),
                (Some(x), Some(y)) => FieldValue::LongLongInt(x.min(y)),
                _ => a.clone(),
            },
        }),
    }
}

/// The keys a queue's settings are made of, for its effective arguments.
const QUEUE_KEYS: &[&str] = &[
    "message-ttl",
    "expires",
    "max-length",
    "max-length-bytes",
    "overflow",
    "dead-letter-exchange",
    "dead-letter-routing-key",
    "delivery-limit",
    "max-age",
];

impl Broker {
    pub(super) fn set_policy(&mut self, p: SetPolicy, ev: &mut Sink) -> R<()> {
        let version = self.version;
        if !self.vhosts.contains_key(&p.vhost) {
            return Err(AmqpError::not_found(format!("vhost '{}' does not exist", p.vhost)));
        }
        let apply_to = ApplyTo::parse(&p.apply_to, version)
            .map_err(|e| AmqpError::precondition(format!("Validation failed: {e}")))?;
        let regex = Regex::new(&p.pattern).map_err(|e| {
            AmqpError::precondition(format!(
                "Validation failed: pattern should be regular expression but is invalid: {e}"
            ))
        })?;
        validate_definition(&p.definition, version, p.operator)?;
        let policy = Policy {
            name: p.name.clone(),
            pattern: p.pattern,
            regex,
            apply_to,
            priority: p.priority,
            definition: p.definition,
        };
        let vh = self.vh_mut(&p.vhost)?;
        let list = if p.operator { &mut vh.operator_policies } else { &mut vh.policies };
        list.insert(p.name.clone(), policy);
        ev.push(Event::PolicySet { vhost: p.vhost.clone(), name: p.name, operator: p.operator });
        self.reapply_policies(&p.vhost, ev);
        Ok(())
    }

    pub(super) fn clear_policy(&mut self, vhost: String, name: String, operator: bool, ev: &mut Sink) -> R<()> {
        let vh = self.vh_mut(&vhost)?;
        let list = if operator { &mut vh.operator_policies } else { &mut vh.policies };
        if list.remove(&name).is_none() {
            // `rabbit_runtime_parameters:clear_any/4`.
            return Err(AmqpError::not_found(format!(
                "Parameter does not exist: {} '{name}' in vhost '{vhost}'",
                if operator { "operator_policy" } else { "policy" }
            )));
        }
        ev.push(Event::PolicyCleared { vhost: vhost.clone(), name, operator });
        self.reapply_policies(&vhost, ev);
        Ok(())
    }

    pub(super) fn set_default_queue_type(
        &mut self,
        vhost: String,
        queue_type: Option<QueueType>,
        ev: &mut Sink,
    ) -> R<()> {
        self.vh_mut(&vhost)?.default_queue_type = queue_type;
        ev.push(Event::DefaultQueueTypeSet { vhost, queue_type });
        Ok(())
    }

    /// `rabbit_amqqueue:augment_declare_args/5`: a declare without
    /// `x-queue-type` in a vhost with a default queue type gets that type
    /// when the type allows the queue's properties (quorum queues and
    /// streams: durable, not exclusive, not auto-delete); otherwise 3.13
    /// and later write the fallback type, `classic`, and 3.10 leaves the
    /// arguments as they are. Every profile reads the vhost metadata (3.10.8
    /// already does).
    pub(super) fn augment_declare_args(
        &self,
        vhost: &str,
        durable: bool,
        exclusive: bool,
        auto_delete: bool,
        arguments: &mut FieldTable,
    ) {
        let Some(dqt) = self.vhosts.get(vhost).and_then(|vh| vh.default_queue_type) else {
            return;
        };
        if arguments.contains_key("x-queue-type") {
            return;
        }
        let compatible = dqt == QueueType::Classic || (durable && !exclusive && !auto_delete);
        let name = match (compatible, dqt) {
            (true, QueueType::Quorum) => "quorum",
            (true, QueueType::Stream) => "stream",
            (true, QueueType::Classic) => "classic",
            (false, _) if self.version.writes_fallback_queue_type() => "classic",
            (false, _) => return,
        };
        arguments.insert("x-queue-type".to_string(), FieldValue::str(name));
    }

    /// Matches every queue and exchange of a vhost against its policies
    /// again and applies what changed (`rabbit_policy:update_matched_objects/3`).
    pub(super) fn reapply_policies(&mut self, vhost: &str, ev: &mut Sink) {
        let Some(vh) = self.vhosts.get_mut(vhost) else { return };
        let exchanges: Vec<String> = vh.exchanges.keys().cloned().collect();
        for x in exchanges {
            self.apply_exchange_policy(vhost, &x);
        }
        let Some(vh) = self.vhosts.get(vhost) else { return };
        let names: Vec<String> = vh.queues.keys().cloned().collect();
        for q in names {
            self.apply_queue_policy(vhost, &q, false, ev);
        }
    }

    /// Finds an exchange's policy. Of its keys only `alternate-exchange`
    /// concerns an exchange, and an `alternate-exchange` argument wins over
    /// it (`rabbit_policy:get_arg/3`). Operator policies have no exchange keys.
    pub(super) fn apply_exchange_policy(&mut self, vhost: &str, name: &str) {
        let Some(vh) = self.vhosts.get_mut(vhost) else { return };
        let p = best(&vh.policies, name, |p| p.apply_to.exchange());
        let policy = p.map(|p| p.name.clone());
        // The default exchange takes the policy but routes without looking
        // at an alternate exchange (`rabbit_exchange:route/3`, every release).
        let alternate = p
            .filter(|_| !name.is_empty())
            .and_then(|p| p.definition.get("alternate-exchange"))
            .and_then(FieldValue::as_str)
            .map(str::to_string);
        if let Some(x) = vh.exchanges.get_mut(name) {
            x.policy = policy;
            x.policy_alternate = alternate;
        }
    }

    /// Finds a queue's policy and operator policy and sets its settings from
    /// them and its arguments. For a queue that already existed, a changed
    /// policy takes effect at once: limits are enforced, expired heads
    /// removed, and a classic queue restarts its expiry timer
    /// (`rabbit_amqqueue_process:process_args_policy/1`).
    pub(super) fn apply_queue_policy(&mut self, vhost: &str, qname: &str, new: bool, ev: &mut Sink) {
        let version = self.version;
        let now = self.now;
        let Some(vh) = self.vhosts.get_mut(vhost) else { return };
        let Some(q) = vh.queues.get(qname) else { return };
        let qt = q.queue_type;
        let applies = |p: &Policy| p.apply_to.queue(qt) && !p.definition.keys().any(|k| unsupported(k, qt, version));
        let p = best(&vh.policies, qname, applies);
        let op = best(&vh.operator_policies, qname, applies);
        let names = (p.map(|p| p.name.clone()), op.map(|p| p.name.clone()));
        let def = merge(p, op, version);
        let Some(q) = vh.queues.get_mut(qname) else { return };
        let changed = (q.policy.clone(), q.operator_policy.clone()) != names || q.policy_definition != def;
        if !changed && !new {
            return;
        }
        (q.policy, q.operator_policy) = names;
        let mut effective = FieldTable::new();
        for key in QUEUE_KEYS {
            if let Some(v) = lookup(key, &q.arguments, &def, qt, version) {
                effective.insert(format!("x-{key}"), v);
            }
        }
        let no_policy = def.is_empty();
        q.policy_definition = def;
        if new && no_policy {
            // Without a policy the settings parsed from the arguments stand.
            q.effective_arguments = effective;
            return;
        }
        if let Some(log) = q.stream.as_mut() {
            log.max_bytes = effective.get("x-max-length-bytes").and_then(FieldValue::as_i64).map(|i| i.max(0) as u64);
            log.max_age =
                effective.get("x-max-age").and_then(FieldValue::as_str).and_then(super::stream::parse_interval);
        } else {
            let cfg = &mut q.cfg;
            let int = |k: &str| effective.get(k).and_then(FieldValue::as_i64).map(|i| i.max(0) as u64);
            cfg.message_ttl = int("x-message-ttl");
            cfg.expires = int("x-expires");
            cfg.max_length = int("x-max-length");
            cfg.max_length_bytes = int("x-max-length-bytes");
            cfg.overflow = match (effective.get("x-overflow").and_then(FieldValue::as_str), qt) {
                (Some("reject-publish"), _) => Overflow::RejectPublish,
                (Some("reject-publish-dlx"), QueueType::Classic) => Overflow::RejectPublishDlx,
                // Quorum queues drop from the head for `reject-publish-dlx`
                // (`rabbit_quorum_queue:overflow/3`).
                _ => Overflow::DropHead,
            };
            cfg.dlx = effective.get("x-dead-letter-exchange").and_then(FieldValue::as_str).map(str::to_string);
            cfg.dlrk = effective.get("x-dead-letter-routing-key").and_then(FieldValue::as_str).map(str::to_string);
            if qt == QueueType::Quorum {
                cfg.delivery_limit = match effective.get("x-delivery-limit").and_then(FieldValue::as_i64) {
                    None => version.default_quorum_delivery_limit(),
                    Some(l) => (l >= 0).then_some(l as u64),
                };
            }
            if qt == QueueType::Classic && !new {
                q.last_used = now;
            }
            if q.publish_blocked && (q.cfg.overflow == Overflow::DropHead || q.below_soft_limit()) {
                q.publish_blocked = false;
            }
            if qt == QueueType::Quorum && q.cfg.overflow != Overflow::DropHead && q.over_limit() {
                q.publish_blocked = true;
            }
        }
        q.effective_arguments = effective;
        if new {
            return;
        }
        let drop_head = q.stream.is_none() && q.cfg.overflow == Overflow::DropHead;
        if drop_head {
            self.drop_over_limit(vhost, qname, ev);
        }
        if self.vhosts.get(vhost).and_then(|vh| vh.queues.get(qname)).is_some_and(|q| q.stream.is_none()) {
            self.expire_heads(vhost, qname, false, ev);
        }
    }

    /// The policies and operator policies of a vhost, by name.
    pub fn policies(&self, vhost: &str) -> Vec<PolicyView> {
        let Some(vh) = self.vhosts.get(vhost) else { return Vec::new() };
        let view = |p: &Policy, operator: bool| PolicyView {
            vhost: vhost.to_string(),
            name: p.name.clone(),
            pattern: p.pattern.clone(),
            apply_to: p.apply_to.as_str().to_string(),
            priority: p.priority,
            definition: p.definition.clone(),
            operator,
        };
        vh.policies
            .values()
            .map(|p| view(p, false))
            .chain(vh.operator_policies.values().map(|p| view(p, true)))
            .collect()
    }

    /// A vhost's default queue type (its metadata `default_queue_type`).
    pub fn default_queue_type(&self, vhost: &str) -> Option<QueueType> {
        self.vhosts.get(vhost).and_then(|vh| vh.default_queue_type)
    }
}

/// The fields of [`Command::SetPolicy`], passed on as one value.
pub(super) struct SetPolicy {
    pub(super) vhost: String,
    pub(super) name: String,
    pub(super) pattern: String,
    pub(super) apply_to: String,
    pub(super) priority: i64,
    pub(super) definition: FieldTable,
    pub(super) operator: bool,
}
