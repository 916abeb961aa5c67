//! AMQP 0-9-1 field values and tables, as carried by queue and exchange
//! arguments, binding arguments and message headers. The variants follow the
//! field types of the specification (and lapin's `AMQPValue`) so a header
//! survives a trip through a real broker unchanged. The module also holds the
//! comparison RabbitMQ's headers exchange uses, which ignores the type tag of
//! integers but keeps strings, integers and floats apart.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// An AMQP field table. Keys are sorted, which is also how RabbitMQ and lapin
/// hand tables back, so two equal tables always compare and print equally.
pub type FieldTable = BTreeMap<String, FieldValue>;

/// One AMQP 0-9-1 field value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value")]
pub enum FieldValue {
    Boolean(bool),
    ShortShortInt(i8),
    ShortShortUInt(u8),
    ShortInt(i16),
    ShortUInt(u16),
    LongInt(i32),
    LongUInt(u32),
    LongLongInt(i64),
    Float(f32),
    Double(f64),
    LongString(String),
    /// Seconds since the Unix epoch, as the protocol defines it.
    Timestamp(u64),
    FieldTable(FieldTable),
    FieldArray(Vec<FieldValue>),
    ByteArray(Vec<u8>),
    Void,
}

impl FieldValue {
    /// Shorthand for a long string, the most common header and argument type.
    pub fn str(s: impl Into<String>) -> Self {
        FieldValue::LongString(s.into())
    }

    /// The value as a string, when it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            FieldValue::LongString(s) => Some(s),
            _ => None,
        }
    }

    /// The value as an integer of any width, when it is one. RabbitMQ accepts
    /// any integer type for numeric arguments such as `x-max-length`.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            FieldValue::ShortShortInt(v) => Some(v.into()),
            FieldValue::ShortShortUInt(v) => Some(v.into()),
            FieldValue::ShortInt(v) => Some(v.into()),
            FieldValue::ShortUInt(v) => Some(v.into()),
            FieldValue::LongInt(v) => Some(v.into()),
            FieldValue::LongUInt(v) => Some(v.into()),
            FieldValue::LongLongInt(v) => Some(v),
            _ => None,
        }
    }

    /// The type name RabbitMQ uses in its error texts and management UI.
    pub fn type_name(&self) -> &'static str {
        match self {
            FieldValue::Boolean(_) => "bool",
            FieldValue::ShortShortInt(_) => "byte",
            FieldValue::ShortShortUInt(_) => "unsignedbyte",
            FieldValue::ShortInt(_) => "short",
            FieldValue::ShortUInt(_) => "unsignedshort",
            FieldValue::LongInt(_) => "signedint",
            FieldValue::LongUInt(_) => "unsignedint",
            FieldValue::LongLongInt(_) => "long",
            FieldValue::Float(_) => "float",
            FieldValue::Double(_) => "double",
            FieldValue::LongString(_) => "longstr",
            FieldValue::Timestamp(_) => "timestamp",
            FieldValue::FieldTable(_) => "table",
            FieldValue::FieldArray(_) => "array",
            FieldValue::ByteArray(_) => "binary",
            FieldValue::Void => "void",
        }
    }
}

/// The untyped form of a value that RabbitMQ's headers exchange compares.
/// Erlang keeps integers of every width as one type, keeps floats apart from
/// integers, and (for message headers only) turns timestamps into
/// milliseconds before matching.
#[derive(PartialEq)]
enum Untyped<'a> {
    Int(i128),
    Float(f64),
    Bytes(&'a [u8]),
    Bool(bool),
    Void,
    Other(&'a FieldValue),
}

fn untyped(v: &FieldValue, is_message_header: bool) -> Untyped<'_> {
    match v {
        FieldValue::Boolean(b) => Untyped::Bool(*b),
        FieldValue::Float(f) => Untyped::Float(f64::from(*f)),
        FieldValue::Double(f) => Untyped::Float(*f),
        FieldValue::LongString(s) => Untyped::Bytes(s.as_bytes()),
        FieldValue::ByteArray(b) => Untyped::Bytes(b),
        FieldValue::Timestamp(t) if is_message_header => Untyped::Int(i128::from(*t) * 1000),
        FieldValue::Timestamp(t) => Untyped::Int(i128::from(*t)),
        FieldValue::Void => Untyped::Void,
        FieldValue::FieldTable(_) | FieldValue::FieldArray(_) => Untyped::Other(v),
        other => match other.as_i64() {
            Some(i) => Untyped::Int(i128::from(i)),
            None => Untyped::Other(other),
        },
    }
}

/// Whether a binding argument value equals a message header value the way the
/// headers exchange of RabbitMQ 4.x decides it (Erlang `=:=` on the untyped
/// values): `1` equals `1i64` but not `1.0` and not `"1"`.
pub fn headers_value_matches(binding: &FieldValue, header: &FieldValue) -> bool {
    untyped(binding, false) == untyped(header, true)
}

/// The same decision as RabbitMQ 3.10 makes it: `rabbit_exchange_type_headers`
/// compares the raw table values with Erlang `==`, so an integer equals a
/// float of the same value, and a timestamp header stays in seconds.
pub fn headers_value_matches_loosely(binding: &FieldValue, header: &FieldValue) -> bool {
    match (untyped(binding, false), untyped(header, false)) {
        (Untyped::Int(i), Untyped::Float(f)) | (Untyped::Float(f), Untyped::Int(i)) => i as f64 == f,
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_of_different_widths_are_equal_but_floats_and_strings_are_not() {
        assert!(headers_value_matches(&FieldValue::ShortInt(1), &FieldValue::LongLongInt(1)));
        assert!(!headers_value_matches(&FieldValue::LongInt(1), &FieldValue::Double(1.0)));
        assert!(!headers_value_matches(&FieldValue::str("1"), &FieldValue::LongInt(1)));
    }

    #[test]
    fn rabbitmq_3_10_compares_header_values_with_erlang_double_equals() {
        assert!(headers_value_matches_loosely(&FieldValue::LongInt(1), &FieldValue::Double(1.0)));
        assert!(!headers_value_matches_loosely(&FieldValue::str("1"), &FieldValue::LongInt(1)));
        assert!(headers_value_matches_loosely(&FieldValue::LongLongInt(5), &FieldValue::Timestamp(5)));
    }

    #[test]
    fn message_timestamps_are_compared_in_milliseconds() {
        assert!(headers_value_matches(&FieldValue::LongLongInt(5000), &FieldValue::Timestamp(5)));
        assert!(!headers_value_matches(&FieldValue::Timestamp(5), &FieldValue::Timestamp(5)));
    }
}
