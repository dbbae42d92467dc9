//! Networking (AnyIO's sockets): TCP connections and listeners, on whichever backend runs the
//! caller, with AnyIO's stream semantics and both families of I/O traits.
//!
//! - TCP: connections ([`connect_tcp`] by Happy Eyeballs, or [`TcpStream::connect`] to one
//!   address), [`TcpListener`], and listeners on every address of a host
//!   ([`create_tcp_listener`], a [`MultiListener`]) that
//!   [`serve`](crate::streams::Listener::serve) each connection in a task of its own; TCP and
//!   UNIX listeners together in one [`MultiListener`], as [`SocketListener`]s.
//! - UDP: [`UdpSocket`], [`ConnectedUdpSocket`], and from host names
//!   ([`create_udp_socket`], [`create_connected_udp_socket`], a [`UdpSocketBuilder`]).
//! - UNIX domain sockets, on paths or in Linux's abstract namespace: stream ([`UnixStream`],
//!   [`UnixListener`], with descriptor passing) and datagram ([`UnixDatagram`],
//!   [`ConnectedUnixDatagram`]).
//! - TCP and UNIX streams split into a receiving and a sending half
//!   ([`TcpStream::into_split`], [`UnixStream::into_split`]) for two tasks.
//! - Name resolution off the event loop: [`getaddrinfo`], and [`getnameinfo`] the other way.
//! - For descriptors anyio does not manage, [`wait_readable`] and [`wait_writable`] wait for
//!   readiness, and [`notify_closing`] wakes those waits before the descriptor is closed.
//! - TLS over any of these streams is in `anyio::tls` (feature `tls`).
//!
//! A socket is registered with the reactor of the backend that made it (tokio's, or
//! async-io's under smol) and must be used on that backend.
//!
//! # Examples
//! An echo over loopback:
//! ```
//! use anyio::net::{TcpListener, TcpStream};
//! use anyio::streams::{ByteReceiveStream, ByteSendStream, ByteStream, StreamError};
//!
//! anyio::run(async {
//!     let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
//!     let mut client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
//!     let (mut server, _) = listener.accept().await.unwrap();
//!
//!     client.send(b"echo me").await.unwrap();
//!     client.send_eof().await.unwrap();
//!     let mut buf = [0; 64];
//!     loop {
//!         match server.receive(&mut buf).await {
//!             Ok(n) => server.send(&buf[..n]).await.unwrap(),
//!             Err(StreamError::EndOfStream) => break,
//!             Err(error) => panic!("{error}"),
//!         }
//!     }
//!     let n = client.receive(&mut buf).await.unwrap();
//!     assert_eq!(&buf[..n], b"echo me");
//! })?;
//! # Ok::<(), anyio::RunError>(())
//! ```

mod attributes;
mod busy;
mod datagram;
mod free_port;
mod mixed;
mod multi_listener;
mod name_info;
mod resolve;
mod socket_stream;
mod split;
mod tcp;
mod udp;
mod udp_create;
mod unix;
mod wait;

pub use attributes::{
    AddressFamily, Family, LocalAddress, LocalPort, RawSocket, RemoteAddress, RemotePort,
};
pub use free_port::{free_tcp_port, free_udp_port};
pub use mixed::{SocketListener, SocketStream};
pub use multi_listener::MultiListener;
pub use name_info::{NameInfoFlags, getnameinfo};
pub use resolve::getaddrinfo;
pub use tcp::{
    ConnectError, ReuniteError, TcpConnector, TcpListener, TcpListenerBuilder, TcpReadHalf,
    TcpStream, TcpWriteHalf, connect_tcp, create_tcp_listener,
};
pub use udp::{ConnectedUdpSocket, UdpSocket};
pub use udp_create::{UdpSocketBuilder, create_connected_udp_socket, create_udp_socket};
pub use unix::{
    ConnectedUnixDatagram, LocalUnixAddress, RemoteUnixAddress, UnixDatagram, UnixListener,
    UnixReadHalf, UnixStream, UnixWriteHalf,
};
pub use wait::{notify_closing, wait_readable, wait_writable};
