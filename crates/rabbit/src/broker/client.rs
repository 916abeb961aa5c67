//! Client convenience helpers: each builds one command and applies it, the
//! way a client library's methods do. Those that can be refused return
//! [`Outcome::into_result`], so the events of a refused command (its channel
//! closing) are not seen through them; call [`Broker::apply`] for those.

use super::*;

impl Broker {
    /// Opens a connection and one channel on it.
    pub fn connect(&mut self, user: &str, password: &str, vhost: &str) -> R<ChannelId> {
        // The broker numbers connections in order, so the id is known before
        // the command runs; events may be switched off.
        let connection = self.next_connection;
        self.apply(Command::OpenConnection { user: user.into(), password: password.into(), vhost: vhost.into() })
            .into_result()?;
        self.open_channel(connection)
    }

    /// Opens another channel on a connection.
    pub fn open_channel(&mut self, connection: ConnectionId) -> R<ChannelId> {
        let channel = self.connections.get(&connection).and_then(Connection::promised_channel).unwrap_or(0);
        self.apply(Command::OpenChannel { connection }).into_result()?;
        Ok(ChannelId { connection, channel })
    }

    /// Declares a transient exchange with no arguments.
    pub fn declare_exchange(&mut self, channel: ChannelId, exchange: &str, kind: ExchangeKind) -> R<Vec<Event>> {
        self.declare_exchange_with(channel, exchange, kind, FieldTable::new())
    }

    /// Declares a transient exchange with arguments (e.g. `alternate-exchange`).
    pub fn declare_exchange_with(
        &mut self,
        channel: ChannelId,
        exchange: &str,
        kind: ExchangeKind,
        arguments: FieldTable,
    ) -> R<Vec<Event>> {
        self.apply(Command::ExchangeDeclare {
            channel,
            exchange: exchange.into(),
            kind,
            passive: false,
            durable: false,
            auto_delete: false,
            internal: false,
            arguments,
        })
        .into_result()
    }

    /// Declares a durable, non-exclusive queue with arguments. Durable,
    /// because RabbitMQ 4.3 refuses a queue that is neither durable nor
    /// exclusive; declare a transient one with [`Command::QueueDeclare`]
    /// on an older [`Version`].
    pub fn declare_queue(&mut self, channel: ChannelId, queue: &str, arguments: FieldTable) -> R<Vec<Event>> {
        self.apply(Command::QueueDeclare {
            channel,
            queue: queue.into(),
            passive: false,
            durable: true,
            exclusive: false,
            auto_delete: false,
            arguments,
        })
        .into_result()
    }

    /// Binds a queue to an exchange.
    pub fn bind_queue(&mut self, channel: ChannelId, queue: &str, exchange: &str, routing_key: &str) -> R<Vec<Event>> {
        self.bind_queue_with(channel, queue, exchange, routing_key, FieldTable::new())
    }

    /// Binds a queue to an exchange with binding arguments (headers exchanges).
    pub fn bind_queue_with(
        &mut self,
        channel: ChannelId,
        queue: &str,
        exchange: &str,
        routing_key: &str,
        arguments: FieldTable,
    ) -> R<Vec<Event>> {
        self.apply(Command::QueueBind {
            channel,
            queue: queue.into(),
            exchange: exchange.into(),
            routing_key: routing_key.into(),
            arguments,
        })
        .into_result()
    }

    /// Binds `destination` exchange to `source` exchange.
    pub fn bind_exchange(
        &mut self,
        channel: ChannelId,
        destination: &str,
        source: &str,
        routing_key: &str,
    ) -> R<Vec<Event>> {
        self.apply(Command::ExchangeBind {
            channel,
            destination: destination.into(),
            source: source.into(),
            routing_key: routing_key.into(),
            arguments: FieldTable::new(),
        })
        .into_result()
    }

    /// Publishes a transient message with no properties.
    pub fn publish(&mut self, channel: ChannelId, exchange: &str, routing_key: &str, body: &str) -> R<Vec<Event>> {
        self.publish_with(channel, exchange, routing_key, BasicProperties::default(), body, false)
    }

    /// Publishes with properties and the `mandatory` flag.
    pub fn publish_with(
        &mut self,
        channel: ChannelId,
        exchange: &str,
        routing_key: &str,
        properties: BasicProperties,
        body: &str,
        mandatory: bool,
    ) -> R<Vec<Event>> {
        self.apply(Command::BasicPublish {
            channel,
            exchange: exchange.into(),
            routing_key: routing_key.into(),
            mandatory,
            properties,
            body: body.into(),
        })
        .into_result()
    }

    /// Sets the prefetch window for new consumers (or the channel, if `global`).
    pub fn qos(&mut self, channel: ChannelId, prefetch_count: u16, global: bool) -> R<Vec<Event>> {
        self.apply(Command::BasicQos { channel, prefetch_count, global }).into_result()
    }

    /// Starts a consumer.
    pub fn consume(&mut self, channel: ChannelId, queue: &str, consumer_tag: &str, no_ack: bool) -> R<Vec<Event>> {
        self.apply(Command::BasicConsume {
            channel,
            queue: queue.into(),
            consumer_tag: consumer_tag.into(),
            no_ack,
            exclusive: false,
            arguments: FieldTable::new(),
        })
        .into_result()
    }

    /// Cancels a consumer.
    pub fn cancel(&mut self, channel: ChannelId, consumer_tag: &str) -> R<Vec<Event>> {
        self.apply(Command::BasicCancel { channel, consumer_tag: consumer_tag.into() }).into_result()
    }

    /// Fetches one message with `basic.get`.
    pub fn get(&mut self, channel: ChannelId, queue: &str, no_ack: bool) -> R<Vec<Event>> {
        self.apply(Command::BasicGet { channel, queue: queue.into(), no_ack }).into_result()
    }

    /// Acknowledges a delivery (and all before it, with `multiple`).
    pub fn ack(&mut self, channel: ChannelId, delivery_tag: u64, multiple: bool) -> R<Vec<Event>> {
        self.apply(Command::BasicAck { channel, delivery_tag, multiple }).into_result()
    }

    /// Negatively acknowledges deliveries.
    pub fn nack(&mut self, channel: ChannelId, delivery_tag: u64, multiple: bool, requeue: bool) -> R<Vec<Event>> {
        self.apply(Command::BasicNack { channel, delivery_tag, multiple, requeue }).into_result()
    }

    /// Rejects one delivery.
    pub fn reject(&mut self, channel: ChannelId, delivery_tag: u64, requeue: bool) -> R<Vec<Event>> {
        self.apply(Command::BasicReject { channel, delivery_tag, requeue }).into_result()
    }

    /// Advances logical time by `ms` milliseconds and returns its events.
    pub fn tick(&mut self, ms: u64) -> Vec<Event> {
        self.apply(Command::Tick { ms }).events
    }

    /// Restarts the broker.
    pub fn restart(&mut self) -> Vec<Event> {
        self.apply(Command::Restart).events
    }

    /// Raises or clears a resource alarm.
    pub fn set_alarm(&mut self, alarm: Alarm, active: bool) -> Vec<Event> {
        self.apply(Command::SetAlarm { alarm, active }).events
    }
}
