//! TCP and UNIX sockets as one type, so that a [`MultiListener`](super::MultiListener) can
//! hold listeners of both kinds: [`SocketListener`] accepts [`SocketStream`]s.

mod listener;
mod stream;

pub use listener::SocketListener;
pub use stream::SocketStream;
