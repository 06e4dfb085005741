//! The UDP tracker front over real loopback sockets, with a small BEP 15-shaped test handler.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bitgocho::tracker::front::{Front, FrontConfig, Handlers};
use bitgocho::tracker::handler::{HttpHandler, HttpRequest, HttpResponse, UdpHandler};

const PROTOCOL_ID: u64 = 0x41727101980;

/// Answers BEP 15 connect requests with a fixed connection id, echoes anything starting with
/// `echo`, drops everything else; records the peers it saw.
#[derive(Default)]
struct TestUdp {
    calls: AtomicUsize,
    peers: Mutex<Vec<SocketAddr>>,
}

impl UdpHandler for TestUdp {
    fn handle_udp(&self, d: &[u8], peer: SocketAddr, out: &mut Vec<u8>) -> bool {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.peers.lock().unwrap().push(peer);
        if d.len() == 16 && d[..8] == PROTOCOL_ID.to_be_bytes() && d[8..12] == [0, 0, 0, 0] {
            out.extend_from_slice(&0u32.to_be_bytes());
            out.extend_from_slice(&d[12..16]);
            out.extend_from_slice(&0x1122334455667788u64.to_be_bytes());
            return true;
        }
        if d.starts_with(b"echo") {
            out.extend_from_slice(d);
            return true;
        }
        false
    }
}

impl HttpHandler for TestUdp {
    fn handle_http(&self, _r: &HttpRequest<'_>) -> HttpResponse {
        HttpResponse::new(200, "OK", "text/plain", b"http".to_vec())
    }
}

fn start(binds: &[&str]) -> (Front, Arc<TestUdp>) {
    let handler = Arc::new(TestUdp::default());
    let config =
        FrontConfig { binds: binds.iter().map(|b| b.parse().unwrap()).collect(), workers: 2, ..Default::default() };
    let front =
        Front::start(&config, Handlers { http: Some(handler.clone()), udp: Some(handler.clone()), log: None }).unwrap();
    (front, handler)
}

fn client(local: &str) -> UdpSocket {
    let s = UdpSocket::bind(local).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

fn connect_request(tx: u32) -> Vec<u8> {
    let mut v = PROTOCOL_ID.to_be_bytes().to_vec();
    v.extend_from_slice(&0u32.to_be_bytes());
    v.extend_from_slice(&tx.to_be_bytes());
    v
}

#[test]
fn connect_is_answered_on_the_http_port_number() {
    let (front, handler) = start(&["127.0.0.1"]);
    let addr = front.udp_addrs()[0];
    assert_eq!(addr.port(), front.http_addrs()[0].port());
    let c = client("127.0.0.1:0");
    c.send_to(&connect_request(0xdeadbeef), addr).unwrap();
    let mut buf = [0u8; 64];
    let (n, from) = c.recv_from(&mut buf).unwrap();
    assert_eq!(from, addr);
    assert_eq!(&buf[..n], &[0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
    assert_eq!(handler.peers.lock().unwrap()[0], c.local_addr().unwrap());
}

#[test]
fn dropped_datagrams_get_no_reply_and_the_server_goes_on() {
    let (front, handler) = start(&["127.0.0.1"]);
    let addr = front.udp_addrs()[0];
    let c = client("127.0.0.1:0");
    for junk in [&b""[..], b"x", &[0xff; 1500], &[0u8; 16]] {
        c.send_to(junk, addr).unwrap();
    }
    c.send_to(b"echo after junk", addr).unwrap();
    let mut buf = [0u8; 2048];
    let (n, _) = c.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"echo after junk");
    assert_eq!(handler.calls.load(Ordering::SeqCst), 5);
}

#[test]
fn many_clients_are_all_answered() {
    let (front, handler) = start(&["127.0.0.1"]);
    let addr = front.udp_addrs()[0];
    let clients: Vec<UdpSocket> = (0..50).map(|_| client("127.0.0.1:0")).collect();
    for round in 0..20u32 {
        for (i, c) in clients.iter().enumerate() {
            c.send_to(&connect_request(round * 1000 + i as u32), addr).unwrap();
        }
        for (i, c) in clients.iter().enumerate() {
            let mut buf = [0u8; 64];
            let (n, _) = c.recv_from(&mut buf).unwrap();
            assert_eq!(n, 16);
            assert_eq!(buf[4..8], (round * 1000 + i as u32).to_be_bytes());
        }
    }
    assert_eq!(handler.calls.load(Ordering::SeqCst), 1000);
}

#[test]
fn ipv6_datagrams_are_answered() {
    let (front, handler) = start(&["::1"]);
    let addr = front.udp_addrs()[0];
    assert!(addr.is_ipv6());
    let c = client("[::1]:0");
    c.send_to(b"echo six", addr).unwrap();
    let mut buf = [0u8; 64];
    let (n, _) = c.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"echo six");
    assert!(handler.peers.lock().unwrap()[0].is_ipv6());
}

#[test]
fn dual_stack_socket_reports_ipv4_peers_as_ipv4() {
    let handler = Arc::new(TestUdp::default());
    let config = FrontConfig { ipv6_enabled: true, ipv6_binds_v4: true, workers: 1, ..Default::default() };
    let front = Front::start(&config, Handlers { http: None, udp: Some(handler.clone()), log: None }).unwrap();
    let port = front.udp_addrs()[0].port();
    assert!(front.http_addrs().is_empty());
    let c = client("127.0.0.1:0");
    c.send_to(b"echo mapped", SocketAddr::from(([127, 0, 0, 1], port))).unwrap();
    let mut buf = [0u8; 64];
    let (n, _) = c.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"echo mapped");
    assert_eq!(handler.peers.lock().unwrap()[0], c.local_addr().unwrap());
}

#[test]
fn a_burst_larger_than_a_batch_is_answered_in_order() {
    let (front, handler) = start(&["127.0.0.1"]);
    let addr = front.udp_addrs()[0];
    let c = client("127.0.0.1:0");
    for i in 0..100u32 {
        c.send_to(&connect_request(i), addr).unwrap();
    }
    let mut buf = [0u8; 64];
    for i in 0..100u32 {
        let (n, _) = c.recv_from(&mut buf).unwrap();
        assert_eq!(n, 16);
        assert_eq!(buf[4..8], i.to_be_bytes(), "reply {i} out of order");
    }
    assert_eq!(handler.calls.load(Ordering::SeqCst), 100);
}
