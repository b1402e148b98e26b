//! One simulated SDK client: its connection, its `x-mq-client-id`, and the call metadata the
//! official SDKs send with every request, signed with `MQv2-HMAC-SHA1` (spec §5, §9.1). Also
//! the SDK-shaped message ids and resources the producers and consumers put in requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use petrel_proto::v2;
use petrel_proto::v2::messaging_service_client::MessagingServiceClient;
use tonic::Request;
use tonic::metadata::{AsciiMetadataValue, MetadataMap};
use tonic::transport::{Channel, Endpoint};

use crate::config::{BenchConfig, Credentials};
use crate::error::BenchError;

/// The generated client over one HTTP/2 connection.
pub type Client = MessagingServiceClient<Channel>;

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Deadline of unary calls (the SDKs' request timeout is 3 s; a loaded server may need more).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The connection settings every client of a run shares.
pub fn endpoint(config: &BenchConfig) -> Result<Endpoint, BenchError> {
    let uri = format!("http://{}", config.endpoint.trim());
    let endpoint = Endpoint::from_shared(uri).map_err(|e| BenchError::InvalidEndpoint {
        endpoint: config.endpoint.clone(),
        reason: e.to_string(),
    })?;
    Ok(endpoint
        .connect_timeout(CONNECT_TIMEOUT)
        .tcp_nodelay(true)
        // Receive answers of 32 bodies must not stall on HTTP/2 flow control.
        .initial_connection_window_size(Some(16 << 20))
        .initial_stream_window_size(Some(4 << 20)))
}

/// Opens a connection of its own (as each SDK client does).
pub async fn connect(endpoint: &Endpoint, name: &str) -> Result<Client, BenchError> {
    let channel = endpoint.connect().await.map_err(|e| BenchError::Connect {
        endpoint: name.to_owned(),
        reason: crate::error::root_cause(&e),
    })?;
    Ok(MessagingServiceClient::new(channel)
        .max_decoding_message_size(64 << 20)
        .max_encoding_message_size(64 << 20))
}

/// What a client puts in every call's metadata besides the date and signature.
#[derive(Debug, Clone)]
pub struct Identity {
    client_id: AsciiMetadataValue,
    namespace: Option<AsciiMetadataValue>,
    credentials: Arc<Credentials>,
}

fn ascii(value: &str, what: &'static str) -> Result<AsciiMetadataValue, BenchError> {
    value
        .parse::<AsciiMetadataValue>()
        .map_err(|_| BenchError::InvalidOption {
            option: what,
            reason: format!("`{value}` cannot be sent in a gRPC header"),
        })
}

impl Identity {
    /// The identity of client `index` of `role` (`p` producer, `c` consumer): its client id is
    /// `petrel-bench@<pid>#<role><index>`, in the Rust SDK's `host@pid#seq` shape.
    pub fn new(config: &BenchConfig, role: char, index: usize) -> Result<Identity, BenchError> {
        let client_id = format!("petrel-bench@{}#{role}{index}", std::process::id());
        // The secret never goes on the wire, but the id does: check it is sendable now.
        ascii(&config.credentials.access_key_id, "ak")?;
        Ok(Identity {
            // Digits and ASCII letters only, so the fallback is never used.
            client_id: AsciiMetadataValue::try_from(client_id.as_str())
                .unwrap_or_else(|_| AsciiMetadataValue::from_static("petrel-bench")),
            namespace: match config.namespace.as_deref().filter(|n| !n.is_empty()) {
                Some(n) => Some(ascii(n, "namespace")?),
                None => None,
            },
            credentials: Arc::new(config.credentials.clone()),
        })
    }

    /// A signer for one task (each keeps its own per-second cache, so tasks never contend).
    pub fn signer(&self) -> Signer {
        Signer {
            identity: self.clone(),
            cached: None,
        }
    }
}

/// Signs requests. The signature covers only the `x-mq-date-time` value, which has a
/// resolution of one second, so it is computed once per second.
#[derive(Debug)]
pub struct Signer {
    identity: Identity,
    cached: Option<(u64, AsciiMetadataValue, AsciiMetadataValue)>,
}

static REQUEST_SEQ: AtomicU64 = AtomicU64::new(0);

/// `yyyyMMddTHHmmssZ` in UTC (the Node SDK's form; Python sends the same shape).
fn date_time(unix_secs: u64) -> String {
    const FORMAT: &[time::format_description::BorrowedFormatItem<'_>] =
        time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let secs = i64::try_from(unix_secs).unwrap_or(0);
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(FORMAT).ok())
        .unwrap_or_else(|| "19700101T000000Z".to_owned())
}

impl Signer {
    fn date_and_authorization(&mut self) -> (AsciiMetadataValue, AsciiMetadataValue) {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if let Some((at, date, auth)) = &self.cached
            && *at == secs
        {
            return (date.clone(), auth.clone());
        }
        let date = date_time(secs);
        let creds = &self.identity.credentials;
        let auth = petrel_iam::signature::mqv2::sign(
            &creds.access_key_id,
            &creds.access_key_secret,
            &date,
        );
        // Both are ASCII by construction (digits, hex, and the id checked in `Identity::new`).
        let date = AsciiMetadataValue::try_from(date.as_str())
            .unwrap_or_else(|_| AsciiMetadataValue::from_static("19700101T000000Z"));
        let auth = AsciiMetadataValue::try_from(auth.as_str())
            .unwrap_or_else(|_| AsciiMetadataValue::from_static(""));
        self.cached = Some((secs, date.clone(), auth.clone()));
        (date, auth)
    }

    /// `msg` with the SDK headers, a fresh request id, the date and its signature, and
    /// `timeout` as the call's deadline.
    pub fn request<T>(&mut self, msg: T, timeout: Duration) -> Request<T> {
        let (date, auth) = self.date_and_authorization();
        let mut request = Request::new(msg);
        request.set_timeout(timeout);
        let md: &mut MetadataMap = request.metadata_mut();
        md.insert("x-mq-client-id", self.identity.client_id.clone());
        md.insert("x-mq-date-time", date);
        md.insert("authorization", auth);
        if let Some(ns) = &self.identity.namespace {
            md.insert("x-mq-namespace", ns.clone());
        }
        md.insert("x-mq-language", AsciiMetadataValue::from_static("RUST"));
        md.insert("x-mq-protocol", AsciiMetadataValue::from_static("v2"));
        md.insert(
            "x-mq-client-version",
            AsciiMetadataValue::from_static(concat!("petrel-bench/", env!("CARGO_PKG_VERSION"))),
        );
        let seq = REQUEST_SEQ.fetch_add(1, Ordering::Relaxed);
        if let Ok(id) = format!("{:08x}-{seq:016x}", std::process::id()).parse() {
            md.insert("x-mq-request-id", id);
        }
        request
    }
}

/// A resource in `namespace` (empty when the server should resolve it).
pub fn resource(namespace: Option<&str>, name: &str) -> v2::Resource {
    v2::Resource {
        resource_namespace: namespace.unwrap_or_default().to_owned(),
        name: name.to_owned(),
    }
}

/// Mints message ids as the SDKs do: 34 upper-case hex digits, `01` + 6 bytes of host
/// identity + 2 bytes of pid + 4 bytes of seconds since 2021-01-01 + a 4-byte sequence.
#[derive(Debug)]
pub struct MessageIds {
    prefix: String,
    seq: AtomicU32,
}

/// 2021-01-01T00:00:00Z.
const ID_EPOCH_SECS: u64 = 1_609_459_200;

impl MessageIds {
    /// A generator with a random host identity and starting sequence.
    pub fn new() -> MessageIds {
        let host: [u8; 6] = rand::random();
        let pid = u16::try_from(std::process::id() & 0xffff).unwrap_or(0);
        let mut prefix = String::with_capacity(18);
        prefix.push_str("01");
        for b in host {
            prefix.push_str(&format!("{b:02X}"));
        }
        prefix.push_str(&format!("{pid:04X}"));
        MessageIds {
            prefix,
            seq: AtomicU32::new(rand::random()),
        }
    }

    /// The next id.
    pub fn next(&self) -> String {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            .saturating_sub(ID_EPOCH_SECS);
        let secs = u32::try_from(secs & 0xffff_ffff).unwrap_or(0);
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        format!("{}{secs:08X}{seq:08X}", self.prefix)
    }
}

impl Default for MessageIds {
    fn default() -> Self {
        MessageIds::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use petrel_iam::signature::mqv2::MqV2Signature;

    fn config() -> BenchConfig {
        BenchConfig::new(
            "127.0.0.1:8081",
            Credentials {
                access_key_id: "LTAIbench".to_owned(),
                access_key_secret: "s3cret".to_owned(),
            },
            "t",
            crate::config::Limit::Count(1),
        )
    }

    #[test]
    fn requests_carry_the_sdk_headers_and_a_signature_the_server_verifies() {
        let mut cfg = config();
        cfg.namespace = Some("orders".to_owned());
        let id = Identity::new(&cfg, 'p', 3).unwrap();
        let mut signer = id.signer();
        let req = signer.request((), Duration::from_secs(3));
        let md = req.metadata();
        let get = |k: &str| md.get(k).unwrap().to_str().unwrap().to_owned();
        assert!(get("x-mq-client-id").ends_with("#p3"));
        assert_eq!(get("x-mq-namespace"), "orders");
        assert_eq!(get("x-mq-language"), "RUST");
        let date = get("x-mq-date-time");
        assert_eq!(date.len(), 16, "yyyyMMddTHHmmssZ: {date}");
        let sig = MqV2Signature::parse(Some(&get("authorization")), Some(&date)).unwrap();
        assert_eq!(sig.access_key_id(), "LTAIbench");
        assert!(sig.verify("s3cret").is_ok());
        assert!(sig.verify("wrong").is_err());
        assert!(sig.parsed_date_time().is_some());
    }

    #[test]
    fn no_namespace_header_without_a_namespace() {
        let id = Identity::new(&config(), 'c', 0).unwrap();
        let req = id.signer().request((), Duration::from_secs(3));
        assert!(req.metadata().get("x-mq-namespace").is_none());
    }

    #[test]
    fn message_ids_have_the_sdk_shape_and_differ() {
        let ids = MessageIds::new();
        let (a, b) = (ids.next(), ids.next());
        assert_eq!(a.len(), 34);
        assert!(a.starts_with("01"));
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn dates_are_utc_basic_format() {
        assert_eq!(date_time(1_767_225_600), "20260101T000000Z");
    }
}
