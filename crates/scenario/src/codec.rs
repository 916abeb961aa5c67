//! JSON files and share links, and the migration of older versions.
//!
//! A share link is `VERSION.PAYLOAD`: the format version in decimal, a dot,
//! then the compact JSON compressed with deflate in a zlib wrapper and
//! encoded as URL-safe base64 without padding. The version comes first so a
//! link from a newer site is recognised before anything is decoded. The
//! zlib wrapper costs six bytes but carries an Adler-32 checksum, so a
//! truncated or hand-edited link is reported as damaged rather than opening
//! as a silently different scenario. Decoding is bounded twice: the link's
//! length is checked before base64, and decompression stops at
//! [`MAX_DECODED_BYTES`], so a small link cannot expand into gigabytes.
//!
//! Every JSON reader goes through [`migrate`], which upgrades an older
//! document one version at a time to [`FORMAT_VERSION`].

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ScenarioError;
use crate::model::{FORMAT_VERSION, Scenario};

/// The longest link accepted, in characters. Lesson scenarios are well
/// under 2,000; this leaves room for large hand-built playgrounds.
pub const MAX_LINK_CHARS: usize = 64 * 1024;

/// The most bytes a link or file may decode to.
pub const MAX_DECODED_BYTES: usize = 1024 * 1024;

/// The deflate level: the best compression miniz offers, since links are
/// written rarely and their length is what matters.
const LEVEL: u8 = 10;

impl Scenario {
    /// The scenario as pretty-printed JSON, for `.json` files.
    pub fn to_json(&self) -> String {
        let mut s = self.clone();
        s.version = FORMAT_VERSION;
        serde_json::to_string_pretty(&s).unwrap_or_default()
    }

    /// Reads a scenario file of this or any earlier version.
    pub fn from_json(json: &str) -> Result<Scenario, ScenarioError> {
        let scenario = Scenario::decode_json(json)?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Reads a scenario file as [`Scenario::from_json`] does, bounds,
    /// migrations and all, but without [`Scenario::validate`]'s consistency
    /// checks. The playground opens files this way: a canvas may hold what
    /// an engine will refuse (an exchange called `amq.direct`, more replicas
    /// than brokers), and shows the engine's words on the canvas instead.
    pub fn decode_json(json: &str) -> Result<Scenario, ScenarioError> {
        if json.trim().is_empty() {
            return Err(ScenarioError::Empty);
        }
        if json.len() > MAX_DECODED_BYTES {
            return Err(ScenarioError::TooLarge { max: MAX_DECODED_BYTES });
        }
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| ScenarioError::Json(e.to_string()))?;
        let value = migrate(value)?;
        serde_json::from_value(value).map_err(|e| ScenarioError::Json(e.to_string()))
    }

    /// The whole scenario as a share-link payload (`1.eJy...`), safe in a URL
    /// fragment or query without escaping.
    pub fn to_link(&self) -> String {
        let mut s = self.clone();
        s.version = FORMAT_VERSION;
        let json = serde_json::to_vec(&s).unwrap_or_default();
        let packed = miniz_oxide::deflate::compress_to_vec_zlib(&json, LEVEL);
        format!("{FORMAT_VERSION}.{}", URL_SAFE_NO_PAD.encode(packed))
    }

    /// Opens a share link. Accepts the payload alone (`1.eJy...`) or a whole
    /// URL or fragment carrying it in an `s=` parameter. Every failure is a
    /// [`ScenarioError`] with a message to show; the caller keeps its last
    /// good scenario.
    pub fn from_link(link: &str) -> Result<Scenario, ScenarioError> {
        let scenario = Scenario::decode_link(link)?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Opens a share link as [`Scenario::from_link`] does (every bound and
    /// every check of the encoding), but without [`Scenario::validate`]'s
    /// consistency checks; see [`Scenario::decode_json`].
    pub fn decode_link(link: &str) -> Result<Scenario, ScenarioError> {
        let payload = link_payload(link.trim());
        if payload.is_empty() {
            return Err(ScenarioError::Empty);
        }
        if payload.len() > MAX_LINK_CHARS {
            return Err(ScenarioError::LinkTooLong { len: payload.len(), max: MAX_LINK_CHARS });
        }
        let (version, data) = payload.split_once('.').ok_or(ScenarioError::NotALink)?;
        if version.is_empty() || version.len() > 6 || !version.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ScenarioError::NotALink);
        }
        let version: u32 = version.parse().map_err(|_| ScenarioError::NotALink)?;
        if version == 0 {
            return Err(ScenarioError::NotALink);
        }
        if version > FORMAT_VERSION {
            return Err(ScenarioError::NewerVersion { found: version, supported: FORMAT_VERSION });
        }
        let packed = URL_SAFE_NO_PAD.decode(data).map_err(|e| ScenarioError::Encoding(e.to_string()))?;
        let json =
            miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&packed, MAX_DECODED_BYTES).map_err(|e| {
                if matches!(e.status, miniz_oxide::inflate::TINFLStatus::HasMoreOutput) {
                    ScenarioError::TooLarge { max: MAX_DECODED_BYTES }
                } else {
                    ScenarioError::Corrupt(format!("{:?}", e.status))
                }
            })?;
        let json = String::from_utf8(json).map_err(|_| ScenarioError::Corrupt("not UTF-8 text".into()))?;
        let scenario = Scenario::decode_json(&json)?;
        // The prefix is read before decoding; the document must agree with it,
        // or the link was spliced together from two others.
        let inner = serde_json::from_str::<serde_json::Value>(&json)
            .ok()
            .and_then(|v| v.get("version").and_then(serde_json::Value::as_u64));
        if inner != Some(u64::from(version)) {
            return Err(ScenarioError::Corrupt("the version in the link does not match its contents".into()));
        }
        Ok(scenario)
    }
}

/// Finds the payload in a bare link, a fragment (`#/playground?s=1.x`) or a
/// whole URL.
fn link_payload(link: &str) -> &str {
    for sep in ["?s=", "&s="] {
        if let Some(i) = link.find(sep) {
            let rest = &link[i + sep.len()..];
            return rest.split(['&', '#']).next().unwrap_or_default();
        }
    }
    link
}

/// One migration step: rewrites a document of version `n` (its index plus
/// one) into version `n + 1`.
type Migration = fn(serde_json::Value) -> Result<serde_json::Value, ScenarioError>;

/// The steps from each earlier version, in order: `MIGRATIONS[0]` upgrades
/// version 1 to 2, and so on. The golden files under `tests/golden/vN/` keep
/// proving that links of every version still open.
const MIGRATIONS: &[Migration] = &[v1_to_v2];

/// Version 2 gave the RabbitMQ part a release, `"4.3"` when left out, and
/// RabbitMQ 4.3 refuses transient queues that are not exclusive. Version 1
/// had no release: its broker accepted them, as RabbitMQ 4.2 does, and the
/// playground wrote every queue transient. So a version-1 document whose
/// RabbitMQ part names no release keeps running as it did, on 4.2.
fn v1_to_v2(mut value: serde_json::Value) -> Result<serde_json::Value, ScenarioError> {
    if let Some(rabbit) = value.get_mut("rabbitmq").and_then(serde_json::Value::as_object_mut)
        && !rabbit.contains_key("version")
    {
        rabbit.insert("version".into(), serde_json::Value::from("4.2"));
    }
    Ok(value)
}

/// Upgrades a scenario document of any earlier version to
/// [`FORMAT_VERSION`], one step at a time, and refuses a newer one.
pub fn migrate(mut value: serde_json::Value) -> Result<serde_json::Value, ScenarioError> {
    let Some(obj) = value.as_object() else {
        return Err(ScenarioError::Json("a scenario is a JSON object".into()));
    };
    let version = match obj.get("version") {
        Some(v) => v.as_u64().ok_or_else(|| ScenarioError::Json("`version` must be a whole number".into()))?,
        None => return Err(ScenarioError::Json("missing field `version`".into())),
    };
    if version == 0 {
        return Err(ScenarioError::Json("`version` starts at 1".into()));
    }
    if version > u64::from(FORMAT_VERSION) {
        return Err(ScenarioError::NewerVersion {
            found: u32::try_from(version).unwrap_or(u32::MAX),
            supported: FORMAT_VERSION,
        });
    }
    let first = usize::try_from(version - 1).unwrap_or(usize::MAX);
    for step in MIGRATIONS.iter().skip(first) {
        value = step(value)?;
    }
    if let Some(obj) = value.as_object_mut() {
        obj.insert("version".into(), serde_json::Value::from(FORMAT_VERSION));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_is_one_migration_step_per_earlier_version() {
        assert_eq!(MIGRATIONS.len() as u32, FORMAT_VERSION - 1);
    }
}
