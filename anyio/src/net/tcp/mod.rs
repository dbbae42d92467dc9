//! TCP: connections and listeners.

mod connect;
mod listener;
mod stream;

pub use connect::{ConnectError, TcpConnector, connect_tcp};
pub use listener::TcpListener;
pub use stream::TcpStream;
