//! Administration and context: virtual hosts, users and permissions,
//! opening and closing connections and channels, and the checks every other
//! command starts with (the channel's vhost and user, permission patterns,
//! exclusive-queue ownership).

use super::*;

impl Broker {
    pub(super) fn add_vhost(&mut self, name: String, ev: &mut Sink) -> R<()> {
        if !self.vhosts.contains_key(&name) {
            self.vhosts.insert(name.clone(), Vhost::new(&name));
            ev.push(Event::VhostAdded { name });
        }
        Ok(())
    }

    pub(super) fn delete_vhost(&mut self, name: String, ev: &mut Sink) -> R<()> {
        if !self.vhosts.contains_key(&name) {
            return Err(AmqpError::not_found(format!("vhost '{name}' does not exist")));
        }
        let conns: Vec<_> = self.connections.iter().filter(|(_, c)| c.vhost == name).map(|(id, _)| *id).collect();
        for c in conns {
            self.close_connection(c, Some(AmqpError::new(ReplyCode::NotAllowed, "vhost deleted")), ev);
        }
        // Each queue goes the usual way, so every message it held is
        // reported as dropped with it.
        let queues: Vec<String> =
            self.vhosts.get(&name).map(|vh| vh.queues.keys().cloned().collect()).unwrap_or_default();
        for q in queues {
            self.delete_queue(&name, &q, ev);
        }
        self.vhosts.remove(&name);
        for u in self.users.values_mut() {
            u.permissions.remove(&name);
        }
        ev.push(Event::VhostDeleted { name });
        Ok(())
    }

    pub(super) fn add_user(&mut self, name: String, password: String, ev: &mut Sink) -> R<()> {
        let user = self
            .users
            .entry(name.clone())
            .or_insert_with(|| User { password: String::new(), permissions: BTreeMap::new() });
        user.password = password;
        ev.push(Event::UserAdded { name });
        Ok(())
    }

    pub(super) fn delete_user(&mut self, name: String, ev: &mut Sink) -> R<()> {
        if self.users.remove(&name).is_none() {
            return Err(AmqpError::not_found(format!("user '{name}' does not exist")));
        }
        let conns: Vec<_> = self.connections.iter().filter(|(_, c)| c.user == name).map(|(id, _)| *id).collect();
        for c in conns {
            self.close_connection(c, Some(AmqpError::new(ReplyCode::NotAllowed, "user deleted")), ev);
        }
        ev.push(Event::UserDeleted { name });
        Ok(())
    }

    pub(super) fn set_permissions(
        &mut self,
        user: String,
        vhost: String,
        configure: String,
        write: String,
        read: String,
        ev: &mut Sink,
    ) -> R<()> {
        if !self.vhosts.contains_key(&vhost) {
            return Err(AmqpError::not_found(format!("vhost '{vhost}' does not exist")));
        }
        let perm = Self::compile_permission(&configure, &write, &read)?;
        let u =
            self.users.get_mut(&user).ok_or_else(|| AmqpError::not_found(format!("user '{user}' does not exist")))?;
        u.permissions.insert(vhost.clone(), perm);
        ev.push(Event::PermissionsSet { user, vhost });
        Ok(())
    }

    pub(super) fn open_connection(&mut self, user: String, password: String, vhost: String, ev: &mut Sink) -> R<()> {
        let u =
            self.users.get(&user).filter(|u| u.password == password).ok_or_else(|| {
                AmqpError::access_refused(format!("login refused: user '{user}' - invalid credentials"))
            })?;
        if !self.vhosts.contains_key(&vhost) {
            return Err(AmqpError::new(ReplyCode::NotAllowed, format!("vhost {vhost} not found")));
        }
        if !u.permissions.contains_key(&vhost) {
            return Err(AmqpError::new(
                ReplyCode::NotAllowed,
                format!("access to vhost '{vhost}' refused for user '{user}'"),
            ));
        }
        let id = self.next_connection;
        self.next_connection = self
            .next_connection
            .checked_add(1)
            .ok_or_else(|| AmqpError::new(ReplyCode::NotAllowed, "the broker has run out of connection numbers"))?;
        // A new connection is blocked only once it publishes.
        let blocked = false;
        self.connections.insert(
            id,
            Connection {
                user: user.clone(),
                vhost: vhost.clone(),
                channels: BTreeMap::new(),
                next_channel: 1,
                blocked,
                held: Vec::new(),
            },
        );
        ev.push(Event::ConnectionOpened { connection: id, user, vhost });
        Ok(())
    }

    pub(super) fn close_connection_cmd(&mut self, connection: ConnectionId, ev: &mut Sink) -> R<()> {
        if !self.connections.contains_key(&connection) {
            return Err(AmqpError::new(ReplyCode::ChannelError, format!("connection {connection} is not open")));
        }
        self.close_connection(connection, None, ev);
        Ok(())
    }

    pub(super) fn open_channel_cmd(&mut self, connection: ConnectionId, ev: &mut Sink) -> R<()> {
        let c = self
            .connections
            .get_mut(&connection)
            .ok_or_else(|| AmqpError::new(ReplyCode::ChannelError, format!("connection {connection} is not open")))?;
        let Some(n) = c.free_channel() else {
            return Err(AmqpError::new(
                ReplyCode::NotAllowed,
                format!(
                    "number of channels opened ({CHANNEL_MAX}) has reached the negotiated channel_max ({CHANNEL_MAX})"
                ),
            ));
        };
        c.next_channel = if n >= CHANNEL_MAX { 1 } else { n + 1 };
        c.channels.insert(n, ChannelState { next_tag: 1, next_confirm: 1, ..Default::default() });
        ev.push(Event::ChannelOpened { channel: ChannelId { connection, channel: n } });
        Ok(())
    }

    pub(super) fn close_channel_cmd(&mut self, channel: ChannelId, ev: &mut Sink) -> R<()> {
        self.ctx(channel)?;
        self.close_channel(channel, None, ev);
        Ok(())
    }

    pub(super) fn compile_permission(configure: &str, write: &str, read: &str) -> R<Permission> {
        let compile = |p: &str| -> R<Option<Regex>> {
            // An empty pattern grants nothing, as in RabbitMQ.
            if p.is_empty() {
                return Ok(None);
            }
            Regex::new(p)
                .map(Some)
                .map_err(|e| AmqpError::precondition(format!("invalid permission pattern '{p}': {e}")))
        };
        Ok(Permission {
            regexes: [compile(configure)?, compile(write)?, compile(read)?],
            patterns: [configure.to_string(), write.to_string(), read.to_string()],
        })
    }

    /// The vhost and user of an open channel.
    pub(super) fn ctx(&self, ch: ChannelId) -> R<(String, String)> {
        self.ctx_ref(ch).map(|(vhost, user)| (vhost.to_string(), user.to_string()))
    }

    /// The vhost and user of an open channel, borrowed.
    pub(super) fn ctx_ref(&self, ch: ChannelId) -> R<(&str, &str)> {
        let c = self.connections.get(&ch.connection).ok_or_else(|| {
            AmqpError::new(ReplyCode::ChannelError, format!("connection {} is not open", ch.connection))
        })?;
        if !c.channels.contains_key(&ch.channel) {
            return Err(AmqpError::new(
                ReplyCode::ChannelError,
                format!("channel {} on connection {} is not open", ch.channel, ch.connection),
            ));
        }
        Ok((&c.vhost, &c.user))
    }

    pub(super) fn chan_mut(&mut self, ch: ChannelId) -> R<&mut ChannelState> {
        self.connections
            .get_mut(&ch.connection)
            .and_then(|c| c.channels.get_mut(&ch.channel))
            .ok_or_else(|| AmqpError::new(ReplyCode::ChannelError, "channel is not open"))
    }

    pub(super) fn check(&self, user: &str, vhost: &str, access: Access, kind: &str, name: &str) -> R<()> {
        let allowed = self
            .users
            .get(user)
            .and_then(|u| u.permissions.get(vhost))
            .and_then(|p| Some((&p.patterns[access as usize], p.regexes[access as usize].as_ref()?)))
            // `.*` (the usual grant) matches every name: skip running it.
            .is_some_and(|(pattern, re)| pattern == ".*" || re.is_match(name));
        if allowed {
            Ok(())
        } else {
            Err(AmqpError::access_refused(format!(
                "{} access to {kind} '{name}' in vhost '{vhost}' refused for user '{user}'",
                access.as_str()
            )))
        }
    }

    /// Any one of read, write and configure on the resource, as a passive
    /// declare needs it since 4.2.7 and 4.3.1
    /// (`rabbit_channel:check_any_resource_access_permitted/3`); configure
    /// is tried last, so a refusal reads as a declare's would.
    pub(super) fn check_any(&self, user: &str, vhost: &str, kind: &str, name: &str) -> R<()> {
        self.check(user, vhost, Access::Read, kind, name)
            .or_else(|_| self.check(user, vhost, Access::Write, kind, name))
            .or_else(|_| self.check(user, vhost, Access::Configure, kind, name))
    }

    /// A vhost by name. Deleting a vhost closes its connections first, so a
    /// channel's vhost exists; the error covers a broken assumption, not a
    /// path a client can reach.
    pub(super) fn vh(&self, vhost: &str) -> R<&Vhost> {
        self.vhosts.get(vhost).ok_or_else(|| AmqpError::new(ReplyCode::NotAllowed, format!("vhost {vhost} not found")))
    }

    pub(super) fn vh_mut(&mut self, vhost: &str) -> R<&mut Vhost> {
        self.vhosts
            .get_mut(vhost)
            .ok_or_else(|| AmqpError::new(ReplyCode::NotAllowed, format!("vhost {vhost} not found")))
    }

    pub(super) fn check_exclusive(&self, vhost: &str, queue: &str, conn: ConnectionId) -> R<()> {
        if let Some(q) = self.vh(vhost)?.queues.get(queue)
            && q.exclusive
            && q.owner != Some(conn)
        {
            return Err(AmqpError::new(
                ReplyCode::ResourceLocked,
                format!("cannot obtain exclusive access to locked queue '{queue}' in vhost '{vhost}'"),
            ));
        }
        Ok(())
    }

    pub(super) fn queue_exists(&self, vhost: &str, queue: &str) -> R<()> {
        if self.vh(vhost)?.queues.contains_key(queue) { Ok(()) } else { Err(qname_err(queue, vhost)) }
    }
}
