//! Declarations: exchanges (declare, delete, the auto-delete cascade),
//! bindings between exchanges and to queues, and queues (their `x-`
//! arguments parsed into a `QueueConfig`, the equivalence check of a
//! redeclare, delete and purge).

use super::*;

impl Broker {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn exchange_declare(
        &mut self,
        channel: ChannelId,
        name: String,
        kind: ExchangeKind,
        passive: bool,
        durable: bool,
        auto_delete: bool,
        internal: bool,
        arguments: FieldTable,
        ev: &mut Sink,
    ) -> R<()> {
        let (vhost, user) = self.ctx(channel)?;
        // Every release refuses the default exchange, passive or not
        // (`check_not_default_exchange/1`).
        if name.is_empty() {
            return Err(AmqpError::access_refused("operation not permitted on the default exchange"));
        }
        if passive {
            if self.version.passive_declare_needs_permission() {
                self.check_any(&user, &vhost, "exchange", &name)?;
            }
            return if self.vh(&vhost)?.exchanges.contains_key(&name) { Ok(()) } else { Err(xname_err(&name, &vhost)) };
        }
        // RabbitMQ checks the reserved prefix only for an exchange that does
        // not exist yet (`rabbit_channel`, `exchange.declare`), so
        // redeclaring `amq.direct` as it is succeeds.
        if name.starts_with("amq.") && !self.vh(&vhost)?.exchanges.contains_key(&name) {
            return Err(AmqpError::access_refused(format!("exchange name '{name}' contains reserved prefix 'amq.*'")));
        }
        self.check(&user, &vhost, Access::Configure, "exchange", &name)?;
        if let Some(ae) = arguments.get("alternate-exchange")
            && ae.as_str().is_none()
        {
            return Err(AmqpError::precondition(format!(
                "invalid arg 'alternate-exchange' for exchange '{name}' in vhost '{vhost}': {{unacceptable_type,{}}}",
                ae.type_name()
            )));
        }
        if let Some(x) = self.vh(&vhost)?.exchanges.get(&name) {
            let diff = if x.kind != kind {
                Some(("type", kind.as_str().to_string(), x.kind.as_str().to_string()))
            } else if x.durable != durable {
                Some(("durable", durable.to_string(), x.durable.to_string()))
            } else if x.auto_delete != auto_delete {
                Some(("auto_delete", auto_delete.to_string(), x.auto_delete.to_string()))
            } else if x.internal != internal {
                Some(("internal", internal.to_string(), x.internal.to_string()))
            } else if x.arguments.get("alternate-exchange") != arguments.get("alternate-exchange") {
                Some((
                    "alternate-exchange",
                    format!("{:?}", arguments.get("alternate-exchange")),
                    format!("{:?}", x.arguments.get("alternate-exchange")),
                ))
            } else {
                None
            };
            if let Some((field, got, have)) = diff {
                return Err(AmqpError::precondition(format!(
                    "inequivalent arg '{field}' for exchange '{name}' in vhost '{vhost}': received '{got}' but current is '{have}'"
                )));
            }
            return Ok(());
        }
        // A new exchange with an alternate exchange will publish into it:
        // RabbitMQ (3.10 to 4.3) asks for read on the exchange and write on
        // the alternate, and only when the exchange is created.
        if let Some(ae) = arguments.get("alternate-exchange").and_then(FieldValue::as_str) {
            self.check(&user, &vhost, Access::Read, "exchange", &name)?;
            self.check(&user, &vhost, Access::Write, "exchange", perm_name(ae))?;
        }
        let x = ExchangeState::new(&name, kind, durable, auto_delete, internal, arguments);
        self.vh_mut(&vhost)?.exchanges.insert(name.clone(), x);
        self.apply_exchange_policy(&vhost, &name);
        ev.push(Event::ExchangeDeclared { vhost, exchange: name, kind });
        Ok(())
    }

    pub(super) fn exchange_delete(
        &mut self,
        channel: ChannelId,
        name: String,
        if_unused: bool,
        ev: &mut Sink,
    ) -> R<()> {
        let (vhost, user) = self.ctx(channel)?;
        if name.is_empty() {
            return Err(AmqpError::access_refused("operation not permitted on the default exchange"));
        }
        if name.starts_with("amq.") {
            return Err(AmqpError::access_refused(format!(
                "deletion of system exchange '{name}' in vhost '{vhost}' not allowed"
            )));
        }
        self.check(&user, &vhost, Access::Configure, "exchange", &name)?;
        let Some(x) = self.vh(&vhost)?.exchanges.get(&name) else {
            return Ok(());
        };
        // Only bindings with this exchange as their source make it used
        // (`rabbit_db_exchange` `has_for_source`); bindings to it go with it.
        if if_unused && !x.bindings.is_empty() {
            return Err(AmqpError::precondition(format!("exchange '{name}' in vhost '{vhost}' in use")));
        }
        self.delete_exchange(&vhost, &name, ev);
        Ok(())
    }

    pub(super) fn delete_exchange(&mut self, vhost: &str, name: &str, ev: &mut Sink) {
        let Some(x) = self.vhosts.get_mut(vhost).and_then(|vh| vh.exchanges.remove(name)) else {
            return;
        };
        for b in x.bindings {
            ev.push(Event::BindingRemoved { vhost: vhost.to_string(), binding: b });
        }
        self.remove_bindings_to(vhost, name, DestinationKind::Exchange, ev);
        ev.push(Event::ExchangeDeleted { vhost: vhost.to_string(), exchange: name.to_string() });
    }

    /// Removes every binding that leads to a deleted queue or exchange, then
    /// deletes auto-delete exchanges that lost their last binding.
    pub(super) fn remove_bindings_to(&mut self, vhost: &str, dest: &str, kind: DestinationKind, ev: &mut Sink) {
        let mut emptied = Vec::new();
        let Some(vh) = self.vhosts.get_mut(vhost) else {
            return;
        };
        for x in vh.exchanges.values_mut() {
            let before = x.bindings.len();
            let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut x.bindings)
                .into_iter()
                .partition(|b| b.destination_kind == kind && b.destination == dest);
            x.bindings = kept;
            if !gone.is_empty() {
                x.reindex();
                for b in gone {
                    ev.push(Event::BindingRemoved { vhost: vhost.to_string(), binding: b });
                }
                if x.auto_delete && x.bindings.is_empty() && before > 0 {
                    emptied.push(x.name.clone());
                }
            }
        }
        for x in emptied {
            self.delete_exchange(vhost, &x, ev);
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn bind(
        &mut self,
        channel: ChannelId,
        source: String,
        destination: String,
        kind: DestinationKind,
        routing_key: String,
        arguments: FieldTable,
        add: bool,
        ev: &mut Sink,
    ) -> R<()> {
        let (vhost, user) = self.ctx(channel)?;
        if source.is_empty() || (kind == DestinationKind::Exchange && destination.is_empty()) {
            return Err(AmqpError::access_refused("operation not permitted on the default exchange"));
        }
        let dest_kind_name = if kind == DestinationKind::Queue { "queue" } else { "exchange" };
        self.check(&user, &vhost, Access::Write, dest_kind_name, &destination)?;
        self.check(&user, &vhost, Access::Read, "exchange", &source)?;
        let vh = self.vh(&vhost)?;
        let Some(x) = vh.exchanges.get(&source) else {
            return Err(xname_err(&source, &vhost));
        };
        match kind {
            DestinationKind::Queue => {
                self.queue_exists(&vhost, &destination)?;
                self.check_exclusive(&vhost, &destination, channel.connection)?;
            }
            DestinationKind::Exchange => {
                if !vh.exchanges.contains_key(&destination) {
                    return Err(xname_err(&destination, &vhost));
                }
            }
        }
        let binding = Binding { source: source.clone(), destination, destination_kind: kind, routing_key, arguments };
        if add {
            if x.kind == ExchangeKind::Topic && self.version.limits_topic_hashes() {
                topic::validate_binding_key(&binding.routing_key).map_err(AmqpError::precondition)?;
            }
            if x.kind == ExchangeKind::Headers {
                validate_x_match(&binding.arguments)?;
            }
            if x.bindings.contains(&binding) {
                return Ok(());
            }
            let x = self.vh_mut(&vhost)?.exchanges.get_mut(&source).ok_or_else(|| xname_err(&source, &vhost))?;
            x.add_binding(binding.clone());
            ev.push(Event::BindingCreated { vhost, binding });
        } else {
            let Some(pos) = x.bindings.iter().position(|b| *b == binding) else {
                // RabbitMQ 3.x and later answer unbind-ok for a missing binding.
                return Ok(());
            };
            let x = self.vh_mut(&vhost)?.exchanges.get_mut(&source).ok_or_else(|| xname_err(&source, &vhost))?;
            x.bindings.remove(pos);
            x.reindex();
            let now_empty = x.auto_delete && x.bindings.is_empty();
            ev.push(Event::BindingRemoved { vhost: vhost.clone(), binding });
            if now_empty {
                self.delete_exchange(&vhost, &source, ev);
            }
        }
        Ok(())
    }

    pub(super) fn parse_queue_config(
        name: &str,
        vhost: &str,
        args: &FieldTable,
        queue_type: QueueType,
        version: Version,
    ) -> R<QueueConfig> {
        let bad_type = |key: &str, v: &FieldValue| {
            AmqpError::precondition(format!(
                "invalid arg '{key}' for queue '{name}' in vhost '{vhost}': {{unacceptable_type,{}}}",
                v.type_name()
            ))
        };
        let bad_value = |key: &str, v: &FieldValue| {
            AmqpError::precondition(format!(
                "invalid arg '{key}' for queue '{name}' in vhost '{vhost}': {{value_negative,{v:?}}}"
            ))
        };
        let int = |key: &str, min: i64| -> R<Option<u64>> {
            match args.get(key) {
                None => Ok(None),
                Some(v) => {
                    let i = v.as_i64().ok_or_else(|| bad_type(key, v))?;
                    if i < min {
                        return Err(bad_value(key, v));
                    }
                    Ok(Some(i as u64))
                }
            }
        };
        let string = |key: &str| -> R<Option<String>> {
            match args.get(key) {
                None => Ok(None),
                Some(v) => v.as_str().map(|s| Some(s.to_string())).ok_or_else(|| bad_type(key, v)),
            }
        };
        let overflow = match string("x-overflow")?.as_deref() {
            None | Some("drop-head") => Overflow::DropHead,
            Some("reject-publish") => Overflow::RejectPublish,
            Some("reject-publish-dlx") if queue_type == QueueType::Classic => Overflow::RejectPublishDlx,
            // `rabbit_quorum_queue:overflow/3` accepts it with a warning and
            // drops from the head instead.
            Some("reject-publish-dlx") => Overflow::DropHead,
            Some(other) => {
                return Err(AmqpError::precondition(format!(
                    "invalid arg 'x-overflow' for queue '{name}' in vhost '{vhost}': {{unacceptable_value,<<\"{other}\">>}}"
                )));
            }
        };
        let dlx = string("x-dead-letter-exchange")?;
        let dlrk = string("x-dead-letter-routing-key")?;
        if dlrk.is_some() && dlx.is_none() {
            return Err(AmqpError::precondition(format!(
                "invalid arg 'x-dead-letter-routing-key' for queue '{name}' in vhost '{vhost}': {{no_dlx,<<\"x-dead-letter-exchange\">>}}"
            )));
        }
        let max_priority = match int("x-max-priority", 0)? {
            Some(p) if p > 255 => {
                let v = args.get("x-max-priority").cloned().unwrap_or(FieldValue::Void);
                return Err(bad_value("x-max-priority", &v));
            }
            // 3.13 and later give `x-max-priority: 0` two levels.
            p => p.map(|p| (p as u8).max(version.min_priority_levels() as u8 - 1)),
        };
        let delivery_limit = match queue_type {
            QueueType::Quorum => match args.get("x-delivery-limit") {
                None => version.default_quorum_delivery_limit(),
                Some(v) => {
                    let limit = v.as_i64().ok_or_else(|| bad_type("x-delivery-limit", v))?;
                    (limit >= 0).then_some(limit as u64)
                }
            },
            QueueType::Classic | QueueType::Stream => None,
        };
        let single_active = match args.get("x-single-active-consumer") {
            None => false,
            Some(FieldValue::Boolean(b)) => *b,
            Some(v) => return Err(bad_type("x-single-active-consumer", v)),
        };
        let expires = int("x-expires", 1)?;
        Ok(QueueConfig {
            message_ttl: int("x-message-ttl", 0)?,
            expires,
            max_length: int("x-max-length", 0)?,
            max_length_bytes: int("x-max-length-bytes", 0)?,
            overflow,
            dlx,
            dlrk,
            max_priority,
            delivery_limit,
            single_active,
        })
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn queue_declare(
        &mut self,
        channel: ChannelId,
        mut name: String,
        passive: bool,
        durable: bool,
        exclusive: bool,
        auto_delete: bool,
        mut arguments: FieldTable,
        ev: &mut Sink,
    ) -> R<()> {
        let (vhost, user) = self.ctx(channel)?;
        let conn = channel.connection;
        // RabbitMQ never makes an exclusive queue durable
        // (`Durable = DurableDeclare andalso not ExclusiveDeclare`).
        let durable = durable && !exclusive;
        if passive {
            if self.version.passive_declare_needs_permission() {
                self.check_any(&user, &vhost, "queue", &name)?;
            }
            self.queue_exists(&vhost, &name)?;
            self.check_exclusive(&vhost, &name, conn)?;
            let now = self.now;
            let q = self
                .vhosts
                .get_mut(&vhost)
                .and_then(|vh| vh.queues.get_mut(&name))
                .ok_or_else(|| qname_err(&name, &vhost))?;
            // A passive declare is a `stat`, which re-arms the x-expires
            // timer of a queue without consumers (`ensure_expiry_timer/1`).
            q.last_used = now;
            ev.push(Event::QueueDeclared {
                vhost: vhost.clone(),
                queue: name.clone(),
                message_count: q.ready_count() as u32,
                consumer_count: q.consumers.len() as u32,
            });
            return Ok(());
        }
        let server_named = name.is_empty();
        if server_named {
            name = format!("amq.gen-{}", short_id(&mut self.rng));
        } else if name.starts_with("amq.") {
            return Err(AmqpError::access_refused(format!("queue name '{name}' contains reserved prefix 'amq.*'")));
        }
        self.check(&user, &vhost, Access::Configure, "queue", &name)?;
        self.augment_declare_args(&vhost, durable, exclusive, auto_delete, &mut arguments);
        let queue_type = match arguments.get("x-queue-type") {
            None => QueueType::Classic,
            Some(FieldValue::LongString(s)) if s == "classic" => QueueType::Classic,
            Some(FieldValue::LongString(s)) if s == "quorum" => QueueType::Quorum,
            Some(FieldValue::LongString(s)) if s == "stream" => QueueType::Stream,
            Some(v) => {
                return Err(AmqpError::precondition(format!(
                    "invalid arg 'x-queue-type' for queue '{name}' in vhost '{vhost}': {v:?}"
                )));
            }
        };
        check_type_arguments(&name, &vhost, &arguments, queue_type)?;
        if queue_type == QueueType::Quorum && name.starts_with("amq.gen-") && server_named {
            // Quorum queues cannot be server-named (`server_named => false`
            // in `rabbit_quorum_queue:capabilities/0`).
            return Err(AmqpError::precondition("Cannot declare a server-named queue for type rabbit_quorum_queue"));
        }
        // RabbitMQ 4.3 refuses a new queue that is neither durable nor
        // exclusive before the queue type looks at it (`rabbit_amqqueue:declare/7`).
        if !durable
            && !exclusive
            && self.version.refuses_transient_nonexclusive_queues()
            && !self.vh(&vhost)?.queues.contains_key(&name)
        {
            return Err(AmqpError::new(
                ReplyCode::InternalError,
                "Feature `transient_nonexcl_queues` is deprecated. Its use is not permitted by default: \
                 declare the queue durable or exclusive",
            ));
        }
        if queue_type == QueueType::Quorum && (!durable || exclusive || auto_delete) {
            // `rabbit_quorum_queue:declare/2` (3.10 to 4.3) runs
            // `rabbit_queue_type_util`'s check_auto_delete, check_exclusive
            // and check_non_durable, in that order.
            let field = if auto_delete {
                "auto-delete"
            } else if exclusive {
                "exclusive-owner"
            } else {
                "non-durable"
            };
            return Err(AmqpError::precondition(format!(
                "invalid property '{field}' for queue '{name}' in vhost '{vhost}'"
            )));
        }
        let cfg = if queue_type == QueueType::Stream {
            Self::stream_config(&name, &vhost, &arguments, durable, exclusive, auto_delete)?
        } else {
            Self::parse_queue_config(&name, &vhost, &arguments, queue_type, self.version)?
        };
        if let Some(dlx) = &cfg.dlx
            && !self.vh(&vhost)?.queues.contains_key(&name)
        {
            // A new queue with a dead-letter exchange will publish into it:
            // RabbitMQ (3.10 to 4.3) asks for read on the queue and write on
            // the exchange, and only when the queue is created, not on a
            // redeclare (`rabbit_channel`, `queue.declare`).
            self.check(&user, &vhost, Access::Read, "queue", &name)?;
            self.check(&user, &vhost, Access::Write, "exchange", perm_name(dlx))?;
        }
        if let Some(q) = self.vh(&vhost)?.queues.get(&name) {
            self.check_exclusive(&vhost, &name, conn)?;
            // `check_exclusive_access(Q, Owner, strict)` runs before the
            // equivalence check: a different exclusivity is 405.
            if q.exclusive != exclusive {
                return Err(AmqpError::new(
                    ReplyCode::ResourceLocked,
                    format!(
                        "cannot obtain exclusive access to locked queue '{name}' in vhost '{vhost}'. It could be \
                         originally declared on another connection or the exclusive property value does not match \
                         that of the original declaration."
                    ),
                ));
            }
            let diff = if q.durable != durable {
                Some(("durable", durable.to_string(), q.durable.to_string()))
            } else if q.exclusive != exclusive {
                Some(("exclusive", exclusive.to_string(), q.exclusive.to_string()))
            } else if q.auto_delete != auto_delete {
                Some(("auto_delete", auto_delete.to_string(), q.auto_delete.to_string()))
            } else {
                EQUIVALENCE_ARGS.iter().find_map(|k| {
                    let (a, b) = (arguments.get(*k), q.arguments.get(*k));
                    let same = match (a, b) {
                        (Some(x), Some(y)) => x.as_i64().zip(y.as_i64()).map_or(x == y, |(i, j)| i == j),
                        (None, None) => true,
                        // An explicit classic type matches an implicit one.
                        (Some(FieldValue::LongString(s)), None) | (None, Some(FieldValue::LongString(s))) => {
                            *k == "x-queue-type" && s == "classic"
                        }
                        _ => false,
                    };
                    (!same).then(|| (*k, format!("{a:?}"), format!("{b:?}")))
                })
            };
            if let Some((field, got, have)) = diff {
                return Err(AmqpError::precondition(format!(
                    "inequivalent arg '{field}' for queue '{name}' in vhost '{vhost}': received '{got}' but current is '{have}'"
                )));
            }
            let now = self.now;
            let q = self
                .vhosts
                .get_mut(&vhost)
                .and_then(|vh| vh.queues.get_mut(&name))
                .ok_or_else(|| qname_err(&name, &vhost))?;
            q.last_used = now;
            ev.push(Event::QueueDeclared {
                vhost,
                queue: name,
                message_count: q.ready_count() as u32,
                consumer_count: q.consumers.len() as u32,
            });
            return Ok(());
        }
        let prio = match (queue_type, self.version.quorum_message_priorities()) {
            (QueueType::Quorum, QuorumPriorities::TwoWeighted) => PrioMode::QuorumWeighted { dequeues: 0 },
            (QueueType::Quorum, QuorumPriorities::Strict32) => PrioMode::QuorumStrict,
            _ => PrioMode::Levels,
        };
        let levels = QueueState::level_count(prio, &cfg);
        let stream = Self::new_stream_log(queue_type, &arguments);
        let q = QueueState {
            shared_name: Arc::from(name.as_str()),
            name: name.clone(),
            queue_type,
            durable,
            exclusive,
            owner: exclusive.then_some(conn),
            auto_delete,
            arguments,
            cfg,
            levels: (0..levels).map(|_| VecDeque::new()).collect(),
            ready_bytes: 0,
            consumers: Vec::new(),
            has_exclusive_consumer: false,
            had_consumer: false,
            last_used: self.now,
            unacked: 0,
            return_seq: 0,
            incarnation: self.next_seq,
            stream,
            publish_blocked: false,
            prio,
            sac_quiescing: false,
            policy: None,
            operator_policy: None,
            policy_definition: FieldTable::new(),
            effective_arguments: FieldTable::new(),
        };
        self.next_seq += 1;
        self.vh_mut(&vhost)?.queues.insert(name.clone(), q);
        self.apply_queue_policy(&vhost, &name, true, ev);
        ev.push(Event::QueueDeclared { vhost, queue: name, message_count: 0, consumer_count: 0 });
        Ok(())
    }

    pub(super) fn queue_delete_cmd(
        &mut self,
        channel: ChannelId,
        name: String,
        if_unused: bool,
        if_empty: bool,
        ev: &mut Sink,
    ) -> R<()> {
        let (vhost, user) = self.ctx(channel)?;
        self.check(&user, &vhost, Access::Configure, "queue", &name)?;
        let Some(q) = self.vh(&vhost)?.queues.get(&name) else {
            return Ok(());
        };
        self.check_exclusive(&vhost, &name, channel.connection)?;
        if q.stream.is_some() {
            // A stream ignores if-unused and if-empty (3.10.8's
            // rabbit_stream_queue:delete/4 takes them and drops them).
            self.delete_queue(&vhost, &name, ev);
            return Ok(());
        }
        if if_unused && !q.consumers.is_empty() {
            return Err(AmqpError::precondition(format!("queue '{name}' in vhost '{vhost}' in use")));
        }
        if if_empty && q.ready_count() > 0 {
            return Err(AmqpError::precondition(format!("queue '{name}' in vhost '{vhost}' is not empty")));
        }
        self.delete_queue(&vhost, &name, ev);
        Ok(())
    }

    pub(super) fn delete_queue(&mut self, vhost: &str, name: &str, ev: &mut Sink) {
        let Some(q) = self.vhosts.get(vhost).and_then(|vh| vh.queues.get(name)) else {
            return;
        };
        let consumers = q.consumers.clone();
        for (ch, tag) in consumers {
            self.cancel_consumer(ch, &tag, true, ev);
        }
        let Some(mut q) = self.vhosts.get_mut(vhost).and_then(|vh| vh.queues.remove(name)) else {
            return;
        };
        let count = q.ready_count() as u32;
        while let Some(e) = q.pop_front() {
            self.ledger.dropped += 1;
            ev.push(Event::Dropped {
                vhost: vhost.to_string(),
                queue: Some(name.to_string()),
                message_id: Some(e.id),
                reason: DropReason::QueueDeleted,
            });
        }
        self.remove_bindings_to(vhost, name, DestinationKind::Queue, ev);
        ev.push(Event::QueueDeleted { vhost: vhost.to_string(), queue: name.to_string(), message_count: count });
    }

    pub(super) fn queue_purge(&mut self, channel: ChannelId, name: String, ev: &mut Sink) -> R<()> {
        let (vhost, user) = self.ctx(channel)?;
        self.check(&user, &vhost, Access::Read, "queue", &name)?;
        self.queue_exists(&vhost, &name)?;
        self.check_exclusive(&vhost, &name, channel.connection)?;
        self.stream_refuse_purge(&vhost, &name)?;
        let q = self
            .vhosts
            .get_mut(&vhost)
            .and_then(|vh| vh.queues.get_mut(&name))
            .ok_or_else(|| qname_err(&name, &vhost))?;
        let mut dropped = Vec::new();
        while let Some(e) = q.pop_front() {
            dropped.push(e.id);
        }
        let count = dropped.len() as u32;
        self.ledger.dropped += dropped.len() as u64;
        for id in dropped {
            ev.push(Event::Dropped {
                vhost: vhost.clone(),
                queue: Some(name.clone()),
                message_id: Some(id),
                reason: DropReason::Purged,
            });
        }
        ev.push(Event::QueuePurged { vhost, queue: name, message_count: count });
        Ok(())
    }
}

/// Arguments compared when a queue is declared again: a different value is a
/// PRECONDITION_FAILED, as RabbitMQ's equivalence check does.
pub(super) const EQUIVALENCE_ARGS: &[&str] = &[
    "x-queue-type",
    "x-message-ttl",
    "x-expires",
    "x-max-length",
    "x-max-length-bytes",
    "x-overflow",
    "x-dead-letter-exchange",
    "x-dead-letter-routing-key",
    "x-max-priority",
    "x-single-active-consumer",
    "x-delivery-limit",
    // A stream's own arguments (RabbitMQ compares each queue type's).
    "x-max-age",
    "x-stream-max-segment-size-bytes",
];

/// Arguments that belong to one queue type only. RabbitMQ 3.10 and later
/// refuse them on another type (`rabbit_amqqueue:check_declare_arguments/2`
/// with each type's `queue_arguments` capability).
const QUORUM_ONLY_ARGS: &[&str] = &[
    "x-delivery-limit",
    "x-dead-letter-strategy",
    "x-quorum-initial-group-size",
    "x-max-in-memory-length",
    "x-max-in-memory-bytes",
];
const CLASSIC_ONLY_ARGS: &[&str] = &["x-max-priority", "x-queue-mode", "x-queue-master-locator", "x-queue-version"];

/// Refuses an argument of another queue type with 406, as RabbitMQ does.
fn check_type_arguments(name: &str, vhost: &str, args: &FieldTable, queue_type: QueueType) -> R<()> {
    let (foreign, type_name) = match queue_type {
        QueueType::Classic => (QUORUM_ONLY_ARGS, "rabbit_classic_queue"),
        QueueType::Quorum => (CLASSIC_ONLY_ARGS, "rabbit_quorum_queue"),
        // A stream's arguments are checked by `stream_config`.
        QueueType::Stream => return Ok(()),
    };
    match args.keys().find(|k| foreign.contains(&k.as_str())) {
        Some(k) => Err(AmqpError::precondition(format!(
            "invalid arg '{k}' for queue '{name}' in vhost '{vhost}' of queue type {type_name}"
        ))),
        None => Ok(()),
    }
}

pub(super) fn validate_x_match(args: &FieldTable) -> R<()> {
    match args.get("x-match") {
        None => Ok(()),
        Some(FieldValue::LongString(s)) if matches!(s.as_str(), "all" | "any" | "all-with-x" | "any-with-x") => Ok(()),
        Some(v) => Err(AmqpError::precondition(format!(
            "Invalid x-match field value {v:?}; expected all, any, all-with-x, or any-with-x"
        ))),
    }
}
