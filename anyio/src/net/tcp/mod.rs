//! TCP: connections and listeners.

mod connect;
mod create;
mod listener;
mod split;
mod stream;

pub use connect::{ConnectError, TcpConnector, connect_tcp};
pub use create::{TcpListenerBuilder, create_tcp_listener};
pub use listener::TcpListener;
pub use split::{ReuniteError, TcpReadHalf, TcpWriteHalf};
pub use stream::TcpStream;
