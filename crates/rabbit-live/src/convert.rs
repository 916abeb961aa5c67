//! Conversions between the engine's types and lapin's: field values and
//! tables, message properties, exchange kinds, a delivery as a client
//! observed it, and the URL of a vhost.

use super::*;

/// `url` with its path replaced by `vhost`, percent-encoded (so `/` becomes
/// `%2F`); the scheme, credentials, host, port and query are kept.
pub fn vhost_url(url: &str, vhost: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[after_scheme..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let tail = &rest[authority_end..];
    let tail = tail.find('#').map_or(tail, |i| &tail[..i]);
    let query = tail.find('?').map_or("", |i| &tail[i..]);
    let mut path = String::new();
    for b in vhost.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            path.push(char::from(b));
        } else {
            path.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{}{}/{path}{query}", &url[..after_scheme], &rest[..authority_end])
}

/// Converts an engine field value to lapin's.
pub fn to_amqp(v: &FieldValue) -> AMQPValue {
    match v {
        FieldValue::Boolean(b) => AMQPValue::Boolean(*b),
        FieldValue::ShortShortInt(i) => AMQPValue::ShortShortInt(*i),
        FieldValue::ShortShortUInt(i) => AMQPValue::ShortShortUInt(*i),
        FieldValue::ShortInt(i) => AMQPValue::ShortInt(*i),
        FieldValue::ShortUInt(i) => AMQPValue::ShortUInt(*i),
        FieldValue::LongInt(i) => AMQPValue::LongInt(*i),
        FieldValue::LongUInt(i) => AMQPValue::LongUInt(*i),
        FieldValue::LongLongInt(i) => AMQPValue::LongLongInt(*i),
        FieldValue::Float(f) => AMQPValue::Float(*f),
        FieldValue::Double(f) => AMQPValue::Double(*f),
        FieldValue::LongString(s) => AMQPValue::LongString(LongString::from(s.as_str())),
        FieldValue::Timestamp(t) => AMQPValue::Timestamp(*t),
        FieldValue::FieldTable(t) => AMQPValue::FieldTable(to_amqp_table(t)),
        FieldValue::FieldArray(a) => AMQPValue::FieldArray(FieldArray::from(a.iter().map(to_amqp).collect::<Vec<_>>())),
        FieldValue::ByteArray(b) => AMQPValue::ByteArray(b.as_slice().into()),
        FieldValue::Void => AMQPValue::Void,
    }
}

/// Converts lapin's field value to the engine's.
pub fn from_amqp(v: &AMQPValue) -> FieldValue {
    match v {
        AMQPValue::Boolean(b) => FieldValue::Boolean(*b),
        AMQPValue::ShortShortInt(i) => FieldValue::ShortShortInt(*i),
        AMQPValue::ShortShortUInt(i) => FieldValue::ShortShortUInt(*i),
        AMQPValue::ShortInt(i) => FieldValue::ShortInt(*i),
        AMQPValue::ShortUInt(i) => FieldValue::ShortUInt(*i),
        AMQPValue::LongInt(i) => FieldValue::LongInt(*i),
        AMQPValue::LongUInt(i) => FieldValue::LongUInt(*i),
        AMQPValue::LongLongInt(i) => FieldValue::LongLongInt(*i),
        AMQPValue::Float(f) => FieldValue::Float(*f),
        AMQPValue::Double(f) => FieldValue::Double(*f),
        AMQPValue::DecimalValue(d) => FieldValue::Double(f64::from(d.value) / 10f64.powi(i32::from(d.scale))),
        AMQPValue::ShortString(s) => FieldValue::LongString(s.as_str().to_string()),
        AMQPValue::LongString(s) => FieldValue::LongString(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::FieldArray(a) => FieldValue::FieldArray(a.as_slice().iter().map(from_amqp).collect()),
        AMQPValue::Timestamp(t) => FieldValue::Timestamp(*t),
        AMQPValue::FieldTable(t) => FieldValue::FieldTable(from_amqp_table(t)),
        AMQPValue::ByteArray(b) => FieldValue::ByteArray(b.as_slice().to_vec()),
        AMQPValue::Void => FieldValue::Void,
    }
}

/// Converts an engine table to lapin's.
pub fn to_amqp_table(t: &FieldTable) -> lapin::types::FieldTable {
    let mut out = lapin::types::FieldTable::default();
    for (k, v) in t {
        out.insert(ShortString::from(k.as_str()), to_amqp(v));
    }
    out
}

/// Converts lapin's table to the engine's.
pub fn from_amqp_table(t: &lapin::types::FieldTable) -> FieldTable {
    t.inner().iter().map(|(k, v)| (k.as_str().to_string(), from_amqp(v))).collect()
}

pub(crate) fn to_amqp_properties(p: &BasicProperties) -> lapin::BasicProperties {
    let mut out = lapin::BasicProperties::default();
    if let Some(v) = &p.content_type {
        out = out.with_content_type(v.as_str().into());
    }
    if let Some(h) = &p.headers {
        out = out.with_headers(to_amqp_table(h));
    }
    if let Some(v) = p.delivery_mode {
        out = out.with_delivery_mode(v);
    }
    if let Some(v) = p.priority {
        out = out.with_priority(v);
    }
    if let Some(v) = &p.correlation_id {
        out = out.with_correlation_id(v.as_str().into());
    }
    if let Some(v) = &p.reply_to {
        out = out.with_reply_to(v.as_str().into());
    }
    if let Some(v) = &p.expiration {
        out = out.with_expiration(v.as_str().into());
    }
    if let Some(v) = &p.message_id {
        out = out.with_message_id(v.as_str().into());
    }
    if let Some(v) = p.timestamp {
        out = out.with_timestamp(v);
    }
    if let Some(v) = &p.app_id {
        out = out.with_app_id(v.as_str().into());
    }
    out
}

pub(crate) fn lapin_kind(k: ExchangeKind) -> lapin::ExchangeKind {
    match k {
        ExchangeKind::Direct => lapin::ExchangeKind::Direct,
        ExchangeKind::Fanout => lapin::ExchangeKind::Fanout,
        ExchangeKind::Topic => lapin::ExchangeKind::Topic,
        ExchangeKind::Headers => lapin::ExchangeKind::Headers,
    }
}

pub(crate) fn observed_from_delivery(d: &lapin::message::Delivery) -> Observed {
    let p = &d.properties;
    Observed {
        body: String::from_utf8_lossy(&d.data).into_owned(),
        exchange: d.exchange.as_str().to_string(),
        routing_key: d.routing_key.as_str().to_string(),
        redelivered: d.redelivered,
        headers: p.headers().as_ref().map(from_amqp_table).unwrap_or_default(),
        expiration: p.expiration().as_ref().map(|s| s.as_str().to_string()),
        delivery_mode: *p.delivery_mode(),
        priority: *p.priority(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vhost_url_replaces_only_the_path_and_encodes_the_name() {
        let base = "amqp://guest:guest@127.0.0.1:5672/%2f";
        assert_eq!(vhost_url(base, "shop"), "amqp://guest:guest@127.0.0.1:5672/shop");
        assert_eq!(vhost_url(base, "/"), "amqp://guest:guest@127.0.0.1:5672/%2F");
        assert_eq!(vhost_url(base, "a b/ü"), "amqp://guest:guest@127.0.0.1:5672/a%20b%2F%C3%BC");
        assert_eq!(vhost_url("amqp://h", "x.y-z_~"), "amqp://h/x.y-z_~");
        assert_eq!(vhost_url("amqps://u:p@h:5671/old?heartbeat=10#f", "new"), "amqps://u:p@h:5671/new?heartbeat=10");
    }
}
