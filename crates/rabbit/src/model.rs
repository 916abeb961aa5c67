//! The plain data that crosses the engine's boundary: the [`Command`]s a UI,
//! a scenario script or a test feeds in, the [`Event`]s that come back, the
//! message properties, and the read-only views the UI draws from. Everything
//! here is `Serialize + Deserialize`, so scripts and share links can store
//! command lists and replay them exactly.

use serde::{Deserialize, Serialize};

use crate::topic::WordMatch;
use crate::value::FieldTable;

/// Identifies one copy of a message inside the broker. A publish routed to
/// three queues makes three ids; dead-lettering makes new ids again, so each
/// id is in exactly one place at a time.
pub type MessageId = u64;

/// A connection number assigned by the broker.
pub type ConnectionId = u32;

/// A channel on a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ChannelId {
    pub connection: ConnectionId,
    pub channel: u16,
}

/// The four exchange types of AMQP 0-9-1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ExchangeKind {
    Direct,
    Fanout,
    Topic,
    Headers,
}

impl ExchangeKind {
    /// The type name as declared on the wire (`direct`, `topic`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ExchangeKind::Direct => "direct",
            ExchangeKind::Fanout => "fanout",
            ExchangeKind::Topic => "topic",
            ExchangeKind::Headers => "headers",
        }
    }
}

/// Whether a binding leads to a queue or to another exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DestinationKind {
    Queue,
    Exchange,
}

/// A binding from an exchange to a queue or exchange.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Binding {
    pub source: String,
    pub destination: String,
    pub destination_kind: DestinationKind,
    pub routing_key: String,
    #[serde(default)]
    pub arguments: FieldTable,
}

/// The `basic` content properties of a message (a subset of the class that
/// covers everything the broker itself looks at, plus the common
/// application fields).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BasicProperties {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<FieldTable>,
    /// 1 is transient, 2 is persistent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_mode: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// Per-message TTL in milliseconds, written as a decimal string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
}

impl BasicProperties {
    /// Properties of a persistent message (`delivery_mode` 2).
    pub fn persistent() -> Self {
        BasicProperties { delivery_mode: Some(2), ..Default::default() }
    }

    /// Sets the per-message TTL.
    pub fn with_expiration(mut self, millis: u64) -> Self {
        self.expiration = Some(millis.to_string());
        self
    }

    /// Sets one header.
    pub fn with_header(mut self, key: impl Into<String>, value: crate::FieldValue) -> Self {
        self.headers.get_or_insert_with(Default::default).insert(key.into(), value);
        self
    }

    /// Sets the priority.
    pub fn with_priority(mut self, priority: u8) -> Self {
        self.priority = Some(priority);
        self
    }
}

/// The queue types the engine models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum QueueType {
    Classic,
    Quorum,
    /// An append-only log read by offset (RabbitMQ 3.9 and later).
    Stream,
}

/// Why a message was dead-lettered; the strings RabbitMQ writes in `x-death`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DeathReason {
    Rejected,
    Expired,
    Maxlen,
    DeliveryLimit,
}

impl DeathReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DeathReason::Rejected => "rejected",
            DeathReason::Expired => "expired",
            DeathReason::Maxlen => "maxlen",
            DeathReason::DeliveryLimit => "delivery_limit",
        }
    }
}

/// Why a message copy left the broker without being acknowledged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DropReason {
    /// No binding matched and the publish was not mandatory.
    Unroutable,
    /// The message would have been dead-lettered but the queue has no
    /// dead-letter exchange.
    NoDeadLetterExchange(DeathReason),
    /// The dead-letter exchange named by the queue does not exist.
    DeadLetterExchangeMissing(DeathReason),
    /// The dead-letter exchange routed the message nowhere.
    DeadLetterUnroutable(DeathReason),
    /// Every target queue would have closed a dead-letter cycle with no rejection in it.
    DeadLetterCycle(DeathReason),
    /// A `reject-publish` queue was full.
    RejectedByQueue,
    /// The queue it was in was deleted (or expired through `x-expires`).
    QueueDeleted,
    /// The queue was purged.
    Purged,
    /// Lost in a broker restart (a transient message or a transient queue).
    LostInRestart,
}

/// A dead-lettering event as recorded in `x-death`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Death {
    pub queue: String,
    pub reason: DeathReason,
    pub count: u64,
    pub exchange: String,
    pub routing_keys: Vec<String>,
    /// Logical milliseconds of the first such event; `x-death` carries it in seconds.
    pub first_time: u64,
    pub last_time: u64,
    pub original_expiration: Option<String>,
}

/// A message as a queue holds it or a consumer receives it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub exchange: String,
    pub routing_key: String,
    pub properties: BasicProperties,
    pub body: String,
    pub redelivered: bool,
    /// Quorum queues count returns that count towards `x-delivery-limit`.
    pub delivery_count: u32,
    /// Logical time at which the message expires in this queue, if it has a TTL.
    pub expires_at: Option<u64>,
    /// The dead-letter history, newest first (what `x-death` shows).
    pub deaths: Vec<Death>,
}

/// Alarms that block publishers, as RabbitMQ's resource alarms do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Alarm {
    Memory,
    Disk,
}

/// Everything the engine can be asked to do. Names follow the AMQP methods.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    AddVhost {
        name: String,
    },
    DeleteVhost {
        name: String,
    },
    AddUser {
        name: String,
        password: String,
    },
    DeleteUser {
        name: String,
    },
    /// Sets configure/write/read permission patterns (regular expressions).
    SetPermissions {
        user: String,
        vhost: String,
        configure: String,
        write: String,
        read: String,
    },
    OpenConnection {
        user: String,
        password: String,
        vhost: String,
    },
    CloseConnection {
        connection: ConnectionId,
    },
    OpenChannel {
        connection: ConnectionId,
    },
    CloseChannel {
        channel: ChannelId,
    },
    ExchangeDeclare {
        channel: ChannelId,
        exchange: String,
        kind: ExchangeKind,
        #[serde(default)]
        passive: bool,
        #[serde(default)]
        durable: bool,
        #[serde(default)]
        auto_delete: bool,
        #[serde(default)]
        internal: bool,
        #[serde(default)]
        arguments: FieldTable,
    },
    ExchangeDelete {
        channel: ChannelId,
        exchange: String,
        #[serde(default)]
        if_unused: bool,
    },
    QueueDeclare {
        channel: ChannelId,
        queue: String,
        #[serde(default)]
        passive: bool,
        #[serde(default)]
        durable: bool,
        #[serde(default)]
        exclusive: bool,
        #[serde(default)]
        auto_delete: bool,
        #[serde(default)]
        arguments: FieldTable,
    },
    QueueDelete {
        channel: ChannelId,
        queue: String,
        #[serde(default)]
        if_unused: bool,
        #[serde(default)]
        if_empty: bool,
    },
    QueuePurge {
        channel: ChannelId,
        queue: String,
    },
    QueueBind {
        channel: ChannelId,
        queue: String,
        exchange: String,
        routing_key: String,
        #[serde(default)]
        arguments: FieldTable,
    },
    QueueUnbind {
        channel: ChannelId,
        queue: String,
        exchange: String,
        routing_key: String,
        #[serde(default)]
        arguments: FieldTable,
    },
    ExchangeBind {
        channel: ChannelId,
        destination: String,
        source: String,
        routing_key: String,
        #[serde(default)]
        arguments: FieldTable,
    },
    ExchangeUnbind {
        channel: ChannelId,
        destination: String,
        source: String,
        routing_key: String,
        #[serde(default)]
        arguments: FieldTable,
    },
    BasicQos {
        channel: ChannelId,
        prefetch_count: u16,
        #[serde(default)]
        global: bool,
    },
    BasicPublish {
        channel: ChannelId,
        exchange: String,
        routing_key: String,
        #[serde(default)]
        mandatory: bool,
        #[serde(default)]
        properties: BasicProperties,
        body: String,
    },
    BasicConsume {
        channel: ChannelId,
        queue: String,
        #[serde(default)]
        consumer_tag: String,
        #[serde(default)]
        no_ack: bool,
        #[serde(default)]
        exclusive: bool,
        #[serde(default)]
        arguments: FieldTable,
    },
    BasicCancel {
        channel: ChannelId,
        consumer_tag: String,
    },
    BasicGet {
        channel: ChannelId,
        queue: String,
        #[serde(default)]
        no_ack: bool,
    },
    BasicAck {
        channel: ChannelId,
        delivery_tag: u64,
        #[serde(default)]
        multiple: bool,
    },
    BasicNack {
        channel: ChannelId,
        delivery_tag: u64,
        #[serde(default)]
        multiple: bool,
        requeue: bool,
    },
    BasicReject {
        channel: ChannelId,
        delivery_tag: u64,
        requeue: bool,
    },
    ConfirmSelect {
        channel: ChannelId,
    },
    /// Advances logical time by `ms` milliseconds; everything that falls
    /// due in between (message and queue expiry) happens in time order.
    Tick {
        ms: u64,
    },
    /// Stops and starts the broker: connections drop, transient state is lost.
    Restart,
    SetAlarm {
        alarm: Alarm,
        active: bool,
    },
    /// Sets a policy (`rabbitmqctl set_policy`) or, with `operator`, an
    /// operator policy (`set_operator_policy`): a regular expression over
    /// queue and exchange names, what it applies to (`all`, `queues`,
    /// `exchanges`, and from 3.12 `classic_queues`, `quorum_queues`,
    /// `streams`), a priority and a definition such as `max-length`.
    SetPolicy {
        vhost: String,
        name: String,
        pattern: String,
        apply_to: String,
        priority: i64,
        definition: FieldTable,
        #[serde(default)]
        operator: bool,
    },
    /// Clears a policy (`clear_policy`) or operator policy.
    ClearPolicy {
        vhost: String,
        name: String,
        #[serde(default)]
        operator: bool,
    },
    /// Sets a vhost's default queue type (its metadata
    /// `default_queue_type`), or removes it with `None`.
    SetDefaultQueueType {
        vhost: String,
        queue_type: Option<QueueType>,
    },
}

impl Command {
    /// The channel a command runs on; `None` for broker-wide commands.
    pub fn channel(&self) -> Option<ChannelId> {
        match self {
            Command::CloseChannel { channel }
            | Command::ExchangeDeclare { channel, .. }
            | Command::ExchangeDelete { channel, .. }
            | Command::QueueDeclare { channel, .. }
            | Command::QueueDelete { channel, .. }
            | Command::QueuePurge { channel, .. }
            | Command::QueueBind { channel, .. }
            | Command::QueueUnbind { channel, .. }
            | Command::ExchangeBind { channel, .. }
            | Command::ExchangeUnbind { channel, .. }
            | Command::BasicQos { channel, .. }
            | Command::BasicPublish { channel, .. }
            | Command::BasicConsume { channel, .. }
            | Command::BasicCancel { channel, .. }
            | Command::BasicGet { channel, .. }
            | Command::BasicAck { channel, .. }
            | Command::BasicNack { channel, .. }
            | Command::BasicReject { channel, .. }
            | Command::ConfirmSelect { channel } => Some(*channel),
            _ => None,
        }
    }
}

/// What happened, in order, as plain data for the UI to animate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Event {
    VhostAdded {
        name: String,
    },
    PolicySet {
        vhost: String,
        name: String,
        operator: bool,
    },
    PolicyCleared {
        vhost: String,
        name: String,
        operator: bool,
    },
    DefaultQueueTypeSet {
        vhost: String,
        queue_type: Option<QueueType>,
    },
    VhostDeleted {
        name: String,
    },
    UserAdded {
        name: String,
    },
    UserDeleted {
        name: String,
    },
    PermissionsSet {
        user: String,
        vhost: String,
    },
    ConnectionOpened {
        connection: ConnectionId,
        user: String,
        vhost: String,
    },
    ConnectionClosed {
        connection: ConnectionId,
        error: Option<crate::AmqpError>,
    },
    ChannelOpened {
        channel: ChannelId,
    },
    ChannelClosed {
        channel: ChannelId,
        error: Option<crate::AmqpError>,
    },
    ExchangeDeclared {
        vhost: String,
        exchange: String,
        kind: ExchangeKind,
    },
    ExchangeDeleted {
        vhost: String,
        exchange: String,
    },
    QueueDeclared {
        vhost: String,
        queue: String,
        message_count: u32,
        consumer_count: u32,
    },
    QueueDeleted {
        vhost: String,
        queue: String,
        message_count: u32,
    },
    QueuePurged {
        vhost: String,
        queue: String,
        message_count: u32,
    },
    BindingCreated {
        vhost: String,
        binding: Binding,
    },
    BindingRemoved {
        vhost: String,
        binding: Binding,
    },
    QosSet {
        channel: ChannelId,
        prefetch_count: u16,
        global: bool,
    },
    /// A publish was routed. `queues` lists every queue it reached; `trace`
    /// is present when tracing is on (the default). `publish` numbers the
    /// publish broker-wide; the `Enqueued` events it caused carry the same
    /// number in their [`EnqueueCause::Publish`].
    Published {
        channel: ChannelId,
        publish: u64,
        exchange: String,
        routing_key: String,
        body: String,
        /// Shared with the broker's own names, so a fanout publish does not
        /// copy every queue name.
        queues: Vec<std::sync::Arc<str>>,
        trace: Option<Box<RouteTrace>>,
    },
    /// A command waits because a resource alarm blocks its connection: the
    /// publish that blocked it, or anything the connection sent after it.
    PublishHeld {
        channel: ChannelId,
    },
    /// A message copy became ready in a queue: newly published,
    /// dead-lettered into it, or returned to it by a consumer or a closing
    /// channel. `cause` says which.
    Enqueued {
        vhost: std::sync::Arc<str>,
        queue: std::sync::Arc<str>,
        message_id: MessageId,
        cause: EnqueueCause,
    },
    /// A message was appended to a stream at `offset`; nothing leaves a
    /// stream when it is read.
    StreamAppended {
        vhost: std::sync::Arc<str>,
        queue: std::sync::Arc<str>,
        offset: u64,
        message_id: MessageId,
        cause: EnqueueCause,
    },
    /// Retention removed a stream's oldest segments: `records` records, so
    /// the stream now starts at `first_offset`.
    StreamSegmentsRemoved {
        vhost: String,
        queue: String,
        first_offset: u64,
        records: u64,
    },
    /// A consumer attached to a stream and will read from `offset`.
    StreamConsumerAttached {
        channel: ChannelId,
        consumer_tag: String,
        queue: String,
        offset: u64,
    },
    Delivered {
        channel: ChannelId,
        consumer_tag: String,
        delivery_tag: u64,
        queue: String,
        message: Box<Message>,
    },
    GetOk {
        channel: ChannelId,
        delivery_tag: u64,
        queue: String,
        message_count: u32,
        message: Box<Message>,
    },
    GetEmpty {
        channel: ChannelId,
        queue: String,
    },
    Acked {
        vhost: String,
        queue: String,
        message_id: MessageId,
    },
    DeadLettered {
        vhost: String,
        queue: String,
        message_id: MessageId,
        reason: DeathReason,
        exchange: String,
        new_ids: Vec<MessageId>,
    },
    Dropped {
        vhost: String,
        queue: Option<String>,
        message_id: Option<MessageId>,
        reason: DropReason,
    },
    Expired {
        vhost: String,
        queue: String,
        message_id: MessageId,
    },
    Returned {
        channel: ChannelId,
        reply_code: u16,
        reply_text: String,
        exchange: String,
        routing_key: String,
        body: String,
    },
    Confirmed {
        channel: ChannelId,
        delivery_tag: u64,
        ack: bool,
    },
    ConsumerStarted {
        channel: ChannelId,
        consumer_tag: String,
        queue: String,
    },
    ConsumerCancelled {
        channel: ChannelId,
        consumer_tag: String,
        by_broker: bool,
    },
    SingleActiveConsumerChanged {
        vhost: String,
        queue: String,
        consumer_tag: Option<String>,
    },
    AlarmRaised {
        alarm: Alarm,
    },
    AlarmCleared {
        alarm: Alarm,
    },
    ConnectionBlocked {
        connection: ConnectionId,
        reason: String,
    },
    ConnectionUnblocked {
        connection: ConnectionId,
    },
    BrokerRestarted,
    Ticked {
        now: u64,
    },
}

/// Why a message copy entered a queue, so a reader of the events needs no
/// other state to know where it came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum EnqueueCause {
    /// A `basic.publish` routed here. `publish` matches the `publish`
    /// number of the `Published` event; `channel` is the publishing channel
    /// when a client published.
    Publish { channel: Option<ChannelId>, exchange: String, routing_key: String, publish: u64 },
    /// A queue dead-lettered the copy `original` for `reason`; this is the
    /// new copy it made through its dead-letter exchange.
    DeadLetter { from_queue: String, reason: DeathReason, original: MessageId },
    /// The copy went back to the queue it was delivered from (its id does not
    /// change): a nack or reject with requeue, or the channel holding it
    /// closed. `channel` and `delivery_tag` name the delivery it came back
    /// from; `consumer_tag` is absent for a `basic.get`.
    Requeue { channel: ChannelId, delivery_tag: u64, consumer_tag: Option<String> },
}

/// Everything one command did: every event it caused, in order, and the
/// error that refused it, if any. On an error the events include whatever
/// happened before the refusal and the closing of the channel or connection
/// that the error caused, as RabbitMQ closes them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub events: Vec<Event>,
    pub error: Option<crate::AmqpError>,
}

impl Outcome {
    /// Whether the command succeeded.
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }

    /// The events on success, the error on failure. The events of a failed
    /// command (its channel closing, for instance) are lost this way; read
    /// the fields when they matter.
    pub fn into_result(self) -> Result<Vec<Event>, crate::AmqpError> {
        match self.error {
            None => Ok(self.events),
            Some(e) => Err(e),
        }
    }
}

/// The explanation of one publish: every exchange visited, every binding
/// looked at and why it matched or not, the queues reached and the outcome.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RouteTrace {
    pub exchange: String,
    pub routing_keys: Vec<String>,
    pub exchanges: Vec<ExchangeTrace>,
    pub queues: Vec<String>,
    pub outcome: RouteOutcome,
}

/// What became of a publish as a whole.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RouteOutcome {
    #[default]
    Routed,
    /// Nothing matched and the message was silently dropped.
    Dropped,
    /// Nothing matched and the message went back to a `mandatory` publisher.
    Returned,
}

/// One exchange visited while routing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExchangeTrace {
    pub exchange: String,
    pub kind: ExchangeKind,
    /// How routing got here: `None` for the exchange published to, otherwise
    /// the exchange whose binding (or alternate-exchange setting) led here.
    pub reached_from: Option<String>,
    pub via_alternate: bool,
    pub bindings: Vec<BindingTrace>,
    /// Set when this exchange matched nothing and handed over to its
    /// alternate exchange.
    pub alternate_exchange: Option<String>,
    /// Set when routing skipped this exchange because it was already visited.
    pub already_visited: bool,
}

/// One binding considered while routing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BindingTrace {
    pub binding: Binding,
    pub matched: bool,
    /// A sentence saying why.
    pub reason: String,
    /// For a topic match: which routing-key words each pattern word took.
    pub topic_words: Option<Vec<WordMatch>>,
}

/// A view of a queue for drawing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueView {
    pub vhost: String,
    pub name: String,
    pub queue_type: QueueType,
    pub durable: bool,
    pub exclusive: bool,
    pub auto_delete: bool,
    pub arguments: FieldTable,
    /// The policy that applies to it, if any.
    #[serde(default)]
    pub policy: Option<String>,
    /// The operator policy that applies to it, if any.
    #[serde(default)]
    pub operator_policy: Option<String>,
    /// The definition of both merged (`effective_policy_definition`).
    #[serde(default)]
    pub effective_policy_definition: FieldTable,
    /// The settings it runs with, each key resolved from its arguments and
    /// policies as its queue type does (`x-max-length`, `x-message-ttl`, ...).
    #[serde(default)]
    pub effective_arguments: FieldTable,
    /// Ready messages in delivery order.
    pub messages: Vec<Message>,
    pub ready: u32,
    pub unacked: u32,
    pub consumers: Vec<ConsumerView>,
}

/// A view of a consumer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConsumerView {
    pub channel: ChannelId,
    pub consumer_tag: String,
    pub queue: String,
    pub no_ack: bool,
    pub exclusive: bool,
    pub prefetch: u16,
    pub priority: i64,
    pub active: bool,
    /// Delivery tags of the messages it holds unacknowledged.
    pub unacked: Vec<u64>,
}

/// A view of an exchange.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExchangeView {
    pub vhost: String,
    pub name: String,
    pub kind: ExchangeKind,
    pub durable: bool,
    pub auto_delete: bool,
    pub internal: bool,
    pub arguments: FieldTable,
    /// The policy that applies to it, if any.
    #[serde(default)]
    pub policy: Option<String>,
    pub bindings: Vec<Binding>,
}

/// A view of a channel with its unacknowledged deliveries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelView {
    pub channel: ChannelId,
    pub prefetch_count: u16,
    pub global_prefetch_count: u16,
    pub confirm: bool,
    pub unacked: Vec<UnackedView>,
}

/// One delivery waiting for an acknowledgement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnackedView {
    pub delivery_tag: u64,
    pub queue: String,
    pub consumer_tag: Option<String>,
    pub message: Message,
}
