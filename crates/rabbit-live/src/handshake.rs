//! Reading the broker's version from the start of the AMQP 0-9-1
//! handshake. lapin answers `connection.start` itself and keeps none of the
//! server's properties, so [`server_version`] opens a plain TCP connection,
//! sends the protocol header, reads the one `connection.start` frame the
//! broker sends back and takes `version` from its server properties. It
//! then drops the socket: the broker logs a closed handshake and nothing
//! else happens.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::LiveError;

/// The largest `connection.start` frame read; RabbitMQ's is under 1 KiB.
const MAX_START_FRAME: usize = 64 * 1024;

/// The `version` the broker at `url` (an `amqp://` URL) announces in
/// `connection.start`, for example `"3.10.8"`.
pub fn server_version(url: &str) -> Result<String, LiveError> {
    let addr = host_port(url)?;
    let fail = |what: &str, e: &dyn std::fmt::Display| LiveError(format!("{what} {addr}: {e}"));
    let target = addr
        .to_socket_addrs()
        .map_err(|e| fail("cannot resolve", &e))?
        .next()
        .ok_or_else(|| LiveError(format!("cannot resolve {addr}")))?;
    let mut socket =
        TcpStream::connect_timeout(&target, Duration::from_secs(5)).map_err(|e| fail("cannot connect to", &e))?;
    socket.set_read_timeout(Some(Duration::from_secs(5))).map_err(|e| fail("cannot set a timeout on", &e))?;
    socket.write_all(b"AMQP\x00\x00\x09\x01").map_err(|e| fail("cannot write to", &e))?;
    let mut header = [0u8; 7];
    socket.read_exact(&mut header).map_err(|e| fail("no connection.start from", &e))?;
    let size = u32::from_be_bytes([header[3], header[4], header[5], header[6]]) as usize;
    if header[0] != 1 || size > MAX_START_FRAME {
        return Err(LiveError(format!("{addr} did not answer with an AMQP 0-9-1 method frame")));
    }
    let mut payload = vec![0u8; size + 1];
    socket.read_exact(&mut payload).map_err(|e| fail("a short connection.start from", &e))?;
    version_in_start(&payload[..size]).ok_or_else(|| LiveError(format!("{addr} announced no server version")))
}

/// `host:port` from an `amqp://user:pass@host:port/vhost` URL (port 5672
/// when left out).
fn host_port(url: &str) -> Result<String, LiveError> {
    let rest = url.strip_prefix("amqp://").ok_or_else(|| LiveError(format!("'{url}' is not an amqp:// URL")))?;
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    if host.is_empty() {
        return Err(LiveError(format!("'{url}' names no host")));
    }
    let has_port = host.rsplit_once(':').is_some_and(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    Ok(if has_port { host.to_string() } else { format!("{host}:5672") })
}

/// The `version` long string in a `connection.start` method payload: class
/// 10, method 10, two version octets, then the server-properties table.
fn version_in_start(p: &[u8]) -> Option<String> {
    if p.get(..4)? != [0, 10, 0, 10] {
        return None;
    }
    let len = u32::from_be_bytes(p.get(6..10)?.try_into().ok()?) as usize;
    let mut table = p.get(10..10 + len)?;
    while !table.is_empty() {
        let key_len = usize::from(*table.first()?);
        let key = table.get(1..1 + key_len)?;
        let kind = *table.get(1 + key_len)?;
        let value = table.get(2 + key_len..)?;
        let used = value_len(kind, value)?;
        if key == b"version" && kind == b'S' {
            return String::from_utf8(value.get(4..used)?.to_vec()).ok();
        }
        table = value.get(used..)?;
    }
    None
}

/// How many bytes a field value of type `kind` takes at the start of `v`.
fn value_len(kind: u8, v: &[u8]) -> Option<usize> {
    let long = |v: &[u8]| v.get(..4).map(|b| 4 + u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize);
    Some(match kind {
        b't' | b'b' | b'B' => 1,
        b's' | b'u' => 2,
        b'I' | b'i' | b'f' => 4,
        b'l' | b'd' | b'T' => 8,
        b'D' => 5,
        b'V' => 0,
        b'S' | b'F' | b'A' | b'x' => long(v)?,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, kind: u8, value: &[u8]) -> Vec<u8> {
        let mut out = vec![key.len() as u8];
        out.extend_from_slice(key.as_bytes());
        out.push(kind);
        out.extend_from_slice(value);
        out
    }

    fn long_string(s: &str) -> Vec<u8> {
        let mut out = (s.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(s.as_bytes());
        out
    }

    #[test]
    fn the_version_is_read_past_other_server_properties() {
        let mut table = entry("capabilities", b'F', &0u32.to_be_bytes());
        table.extend(entry("cluster_name", b'S', &long_string("rabbit@localhost")));
        table.extend(entry("version", b'S', &long_string("3.10.8")));
        let mut payload = vec![0, 10, 0, 10, 0, 9];
        payload.extend_from_slice(&(table.len() as u32).to_be_bytes());
        payload.extend(table);
        assert_eq!(version_in_start(&payload).as_deref(), Some("3.10.8"));
        assert_eq!(version_in_start(&payload[..12]), None);
    }

    #[test]
    fn urls_give_their_host_and_port() {
        assert_eq!(host_port("amqp://guest:guest@127.0.0.1:5672/%2f").unwrap(), "127.0.0.1:5672");
        assert_eq!(host_port("amqp://localhost").unwrap(), "localhost:5672");
        assert!(host_port("http://localhost").is_err());
    }
}
