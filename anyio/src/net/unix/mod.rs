//! UNIX domain sockets: stream connections and listeners, on paths or (on Linux) in the
//! abstract namespace.

mod address;
mod listener;
mod stream;

pub use address::{LocalUnixAddress, RemoteUnixAddress};
pub use listener::UnixListener;
pub use stream::UnixStream;
