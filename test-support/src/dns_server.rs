//! A DNS server on 127.0.0.1 (UDP) answering RFC 6186 SRV queries for the mail domain
//! `example.fr` in the wire format (hickory-proto): three `_submission._tcp` records in
//! priority/weight disorder, and `_imap._tcp` with target "." (no service). Shared by the
//! segur-mssante and segur-ffi tests.
#![allow(dead_code, clippy::unwrap_used)]

use hickory_proto::op::{Message, MessageType};
use hickory_proto::rr::rdata::SRV;
use hickory_proto::rr::{Name, RData, Record};
use std::net::UdpSocket;

/// Starts the server for three queries; returns its address.
pub fn dns_server() -> std::net::SocketAddr {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        for _ in 0..3 {
            let Ok((n, peer)) = sock.recv_from(&mut buf) else {
                return;
            };
            let q = Message::from_vec(&buf[..n]).unwrap();
            let query = q.queries()[0].clone();
            let name = query.name().clone();
            let mut r = Message::new();
            r.set_id(q.id())
                .set_message_type(MessageType::Response)
                .set_recursion_desired(true)
                .set_recursion_available(true)
                .add_query(query);
            let label = name.to_ascii();
            let srv = |p, w, port, t: &str| {
                Record::from_rdata(
                    name.clone(),
                    60,
                    RData::SRV(SRV::new(p, w, port, Name::from_ascii(t).unwrap())),
                )
            };
            if label.starts_with("_submission._tcp.") {
                r.add_answer(srv(20, 0, 587, "backup.example.fr."));
                r.add_answer(srv(10, 5, 587, "smtp-b.example.fr."));
                r.add_answer(srv(10, 50, 587, "smtp-a.example.fr."));
            } else if label.starts_with("_imap._tcp.") {
                r.add_answer(srv(0, 0, 0, "."));
            }
            sock.send_to(&r.to_vec().unwrap(), peer).unwrap();
        }
    });
    addr
}
