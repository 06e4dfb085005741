//! Fuzzes the DHT: the KRPC parser (a parsed message re-encodes to the same message) and a
//! node taking the bytes as a datagram (every reply it sends parses).
#![no_main]

use bitgocho::dht::krpc::Message;
use bitgocho::dht::{Dht, DhtOutput, NodeId};
use libfuzzer_sys::fuzz_target;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Mutex;
use std::time::Instant;

static NODE: Mutex<Option<Dht>> = Mutex::new(None);

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Message::parse(data) {
        assert_eq!(Message::parse(&m.encode()), Ok(m), "re-encoding changed the message");
    }
    let mut guard = NODE.lock().unwrap();
    let node = guard.get_or_insert_with(|| Dht::new(NodeId([9; 20]), Instant::now()));
    let from = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 6881);
    node.on_datagram(from, data, Instant::now());
    for out in node.take_output() {
        if let DhtOutput::Send(to, bytes) = out {
            assert_eq!(to, from, "a reply goes back to the sender");
            assert!(Message::parse(&bytes).is_ok(), "our reply does not parse");
        }
    }
});
