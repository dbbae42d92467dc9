//! `anyio::net::free_tcp_port` and `free_udp_port`: ports that bind on loopback, never the same
//! one twice in a process, also when asked from many threads at once.

use std::collections::HashSet;
use std::net::{TcpListener, UdpSocket};

#[test]
fn free_ports_bind_and_are_never_handed_out_twice() {
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(|| {
                let mut ports = Vec::new();
                for _ in 0..25 {
                    let tcp = anyio::net::free_tcp_port().unwrap();
                    // Held while the test goes on, so the system cannot hand it out again.
                    let listener = TcpListener::bind(("127.0.0.1", tcp)).unwrap();
                    let udp = anyio::net::free_udp_port().unwrap();
                    let socket = UdpSocket::bind(("127.0.0.1", udp)).unwrap();
                    ports.push((tcp, udp, listener, socket));
                }
                ports
            })
        })
        .collect();
    let mut tcp_ports = HashSet::new();
    let mut udp_ports = HashSet::new();
    let mut held = Vec::new();
    for thread in threads {
        for (tcp, udp, listener, socket) in thread.join().unwrap() {
            assert!(tcp_ports.insert(tcp), "TCP port {tcp} came twice");
            assert!(udp_ports.insert(udp), "UDP port {udp} came twice");
            held.push((listener, socket));
        }
    }
    assert_eq!((tcp_ports.len(), udp_ports.len()), (100, 100));
}

#[test]
fn a_port_freed_again_is_still_not_handed_out_twice() {
    // The system may offer a port this process was given and let go of; the helper does not.
    let mut seen = HashSet::new();
    for _ in 0..50 {
        let port = anyio::net::free_tcp_port().unwrap();
        assert!(seen.insert(port), "TCP port {port} came twice");
    }
}
