//! Server discovery by DNS SRV records (RFC 6186, SC.MSS/CONF.04) with a static override.
//!
//! The DNS messages are encoded and decoded by hickory-proto; the query goes over UDP to the
//! configured resolver, blocking, with a timeout.

use crate::{DiscoveryError, MssError};
use hickory_proto::op::{Message, Query};
use hickory_proto::rr::{Name, RData, RecordType};
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

/// A server: host name (checked against its TLS certificate) and port.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Endpoint {
    /// Host name.
    pub host: String,
    /// Port.
    pub port: u16,
}

impl Endpoint {
    /// An endpoint.
    pub fn new(host: &str, port: u16) -> Self {
        Self {
            host: host.trim_end_matches('.').to_owned(),
            port,
        }
    }
}

/// Submission and IMAP servers of a mail domain.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MailServers {
    /// Submission servers in order of preference (`_submission._tcp`, STARTTLS on 587).
    pub submission: Vec<Endpoint>,
    /// IMAP servers in order of preference (`_imap._tcp`, STARTTLS on 143).
    pub imap: Vec<Endpoint>,
}

/// How servers are found.
#[derive(Clone, Debug)]
pub enum Discovery {
    /// Fixed servers (operator configuration), no DNS.
    Static(MailServers),
    /// RFC 6186 SRV lookup through this resolver.
    Srv {
        /// Resolver address (see [`system_resolver`]).
        resolver: SocketAddr,
        /// Query timeout.
        timeout: Duration,
    },
}

impl Discovery {
    /// The servers of `domain`.
    pub fn servers(&self, domain: &str) -> Result<MailServers, MssError> {
        match self {
            Self::Static(s) => Ok(s.clone()),
            Self::Srv { resolver, timeout } => Ok(MailServers {
                submission: lookup_srv(&format!("_submission._tcp.{domain}"), *resolver, *timeout)?,
                imap: lookup_srv(&format!("_imap._tcp.{domain}"), *resolver, *timeout)?,
            }),
        }
    }
}

/// The first `nameserver` of `/etc/resolv.conf`.
pub fn system_resolver() -> Result<SocketAddr, MssError> {
    let text = std::fs::read_to_string("/etc/resolv.conf").map_err(DiscoveryError::ResolvConf)?;
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .filter_map(|a| a.trim().parse::<std::net::IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, 53))
        .next()
        .ok_or(MssError::Discovery(DiscoveryError::NoNameserver))
}

/// Looks up SRV records of `name` and orders them by priority then weight (RFC 2782; equal
/// priorities are taken by decreasing weight, deterministically). A single target `.` means the
/// service is not offered (RFC 6186 §3).
pub fn lookup_srv(
    name: &str,
    resolver: SocketAddr,
    timeout: Duration,
) -> Result<Vec<Endpoint>, MssError> {
    let qname = Name::from_ascii(format!("{}.", name.trim_end_matches('.')))
        .map_err(|e| DiscoveryError::InvalidName(e.to_string()))?;
    let id: u16 = rand_id();
    let mut query = Message::new();
    query
        .set_id(id)
        .set_recursion_desired(true)
        .add_query(Query::query(qname, RecordType::SRV));
    let bytes = query
        .to_vec()
        .map_err(|e| DiscoveryError::Encode(e.to_string()))?;
    let bind: SocketAddr = if resolver.is_ipv4() {
        SocketAddr::from((std::net::Ipv4Addr::UNSPECIFIED, 0))
    } else {
        SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 0))
    };
    let socket_err = |stage: &'static str| {
        move |source: std::io::Error| DiscoveryError::Socket { stage, source }
    };
    let socket = UdpSocket::bind(bind).map_err(socket_err("bind"))?;
    socket
        .set_read_timeout(Some(timeout))
        .map_err(socket_err("timeout"))?;
    socket.connect(resolver).map_err(socket_err("connect"))?;
    socket.send(&bytes).map_err(socket_err("send"))?;
    let mut buf = [0u8; 4096];
    let response = loop {
        let n = socket.recv(&mut buf).map_err(DiscoveryError::NoAnswer)?;
        let msg = Message::from_vec(buf.get(..n).unwrap_or(&buf))
            .map_err(|e| DiscoveryError::MalformedAnswer(e.to_string()))?;
        if msg.id() == id {
            break msg;
        }
    };
    use hickory_proto::op::ResponseCode;
    match response.response_code() {
        ResponseCode::NoError => {}
        ResponseCode::NXDomain => return Ok(Vec::new()),
        code => return Err(DiscoveryError::ResolverError(code.to_string()).into()),
    }
    let mut records: Vec<(u16, u16, Endpoint)> = response
        .answers()
        .iter()
        .filter_map(|r| match r.data() {
            RData::SRV(srv) => Some((
                srv.priority(),
                srv.weight(),
                Endpoint::new(&srv.target().to_ascii(), srv.port()),
            )),
            _ => None,
        })
        .collect();
    // RFC 2782: a single target of "." means the service is decidedly not available.
    if let [(_, _, only)] = records.as_slice()
        && (only.host.is_empty() || only.host == ".")
    {
        return Ok(Vec::new());
    }
    records.retain(|(_, _, e)| !e.host.is_empty() && e.port != 0);
    records.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    Ok(records.into_iter().map(|(_, _, e)| e).collect())
}

fn rand_id() -> u16 {
    let b = uuid::Uuid::new_v4().into_bytes();
    u16::from_be_bytes([b[0], b[1]])
}
