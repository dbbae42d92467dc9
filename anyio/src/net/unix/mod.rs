//! UNIX domain sockets: stream connections and listeners, and datagram sockets, on paths or
//! (on Linux) in the abstract namespace.

mod address;
mod datagram;
mod listener;
mod split;
mod stream;

pub use address::{LocalUnixAddress, RemoteUnixAddress};
pub use datagram::{ConnectedUnixDatagram, UnixDatagram};
pub use listener::UnixListener;
pub use split::{UnixReadHalf, UnixWriteHalf};
pub use stream::UnixStream;
