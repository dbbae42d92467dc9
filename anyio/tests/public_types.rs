//! Auto traits of the public types: what users can move across threads and share.

fn send_sync<T: Send + Sync>() {}
fn send<T: Send>() {}

#[test]
fn public_types_are_send_and_sync_where_sound() {
    send_sync::<anyio::Backend>();
    send_sync::<anyio::Sleep>();
    send_sync::<anyio::lowlevel::Checkpoint>();
    send_sync::<anyio::RunError>();
    send_sync::<anyio::NoEventLoopError>();
    send_sync::<anyio::UnknownBackendError>();
    send_sync::<anyio::CancelHandle>();
    send_sync::<anyio::TimeoutError>();
    send::<anyio::CancelScope>();
    send_sync::<anyio::Scoped<anyio::Sleep>>();
    // A runner may be built on one thread and run on another; its tokio runtime factory is a
    // `Send` closure but not a `Sync` one, so the runner is not shared by reference.
    send::<anyio::Runner>();
    // Threads.
    send::<anyio::to_thread::RunSync<fn() -> u8, u8>>();
    // Memory object streams (their ends share the state behind a lock of anyio's own).
    send_sync::<anyio::streams::memory::MemoryObjectSender<String>>();
    send_sync::<anyio::streams::memory::MemoryObjectReceiver<String>>();
    send_sync::<anyio::streams::memory::SendFuture<'static, String>>();
    send_sync::<anyio::streams::memory::ReceiveFuture<'static, String>>();
    send_sync::<anyio::lowlevel::EventLoopToken>();
    send_sync::<anyio::from_thread::BlockingPortal>();
    send_sync::<anyio::from_thread::PortalTask<u8>>();
    send_sync::<anyio::from_thread::PortalThread>();
    send_sync::<anyio::from_thread::BlockingPortalProvider>();
    send_sync::<anyio::from_thread::PortalLease>();
    send_sync::<anyio::from_thread::PortalResource<u8>>();
    send::<anyio::from_thread::ResourceLease<u8>>();
    send_sync::<anyio::from_thread::CallError>();
}

/// Every public error type is a `std::error::Error + Send + Sync + 'static`, so that it boxes
/// into `Box<dyn Error + Send + Sync>` (and `anyhow::Error`), crosses threads and can be
/// downcast; the generic ones when their parameters are. Checked when this file compiles.
const _: () = {
    const fn error<T: std::error::Error + Send + Sync + 'static>() {}
    // Runner and detection.
    error::<anyio::RunError>();
    error::<anyio::NoEventLoopError>();
    error::<anyio::UnknownBackendError>();
    // AnyIO's exceptions.
    error::<anyio::BrokenResourceError>();
    error::<anyio::BusyResourceError>();
    error::<anyio::ClosedResourceError>();
    error::<anyio::EndOfStream>();
    error::<anyio::WouldBlock>();
    error::<anyio::TimeoutError>();
    error::<anyio::TypedAttributeLookupError>();
    // Tasks.
    error::<anyio::TaskGroupError<std::io::Error>>();
    error::<anyio::GroupClosedError>();
    error::<anyio::TaskError>();
    error::<anyio::StartError<std::io::Error>>();
    // Streams.
    error::<anyio::streams::StreamError>();
    error::<anyio::streams::SendError<String>>();
    error::<anyio::streams::memory::SendError<String>>();
    error::<anyio::streams::memory::TrySendError<String>>();
    error::<anyio::streams::memory::ReceiveError>();
    error::<anyio::streams::memory::TryReceiveError>();
    // Synchronization.
    error::<anyio::sync::CapacityLimiterError>();
    error::<anyio::sync::SemaphoreValueError>();
    // Networking and files.
    error::<anyio::net::ConnectError>();
    error::<anyio::net::ReuniteError>();
    error::<anyio::net::ReuniteError<anyio::net::UnixReadHalf, anyio::net::UnixWriteHalf>>();
    error::<anyio::fs::PathError>();
    // Threads.
    error::<anyio::from_thread::CallError>();
    error::<anyio::from_thread::RunFinishedError>();
    error::<anyio::process::ProcessError>();
    error::<anyio::process::CalledProcessError>();
    error::<anyio::process::SpawnError>();
    error::<anyio::signal::UnsupportedSignalError>();
    #[cfg(feature = "tls")]
    error::<anyio::tls::HandshakeError>();
};

/// The networking types of issue 18: a mixed listener and its streams move to tasks, and a
/// wrapped tokio future is `Send` when the future inside is.
#[cfg(unix)]
#[test]
fn mixed_listeners_and_compat_futures_are_send() {
    send_sync::<anyio::net::SocketListener>();
    send_sync::<anyio::net::SocketStream>();
    send_sync::<anyio::net::MultiListener<anyio::net::SocketListener>>();
    send_sync::<anyio::net::UdpSocketBuilder>();
    #[cfg(all(feature = "tokio", feature = "smol"))]
    send_sync::<anyio::compat::TokioCompat<std::future::Ready<u8>>>();
}

#[cfg(unix)]
#[test]
fn process_types_and_futures_are_send() {
    use anyio::process::*;
    fn future_is_send<F: std::future::Future + Send>(_: F) {}
    send_sync::<Command>();
    send_sync::<Stdio>();
    send_sync::<Process>();
    send_sync::<ProcessStdin>();
    send_sync::<ProcessStdout>();
    send_sync::<ProcessStderr>();
    send_sync::<ExitStatus>();
    send_sync::<CompletedProcess>();
    future_is_send(run_process(["true"]));
    future_is_send(open_process(["true"]));
    // Only built, never run: the futures of a process's methods are `Send` as well.
    fn methods(process: &mut Process) {
        future_is_send(process.wait());
        future_is_send(process.aclose());
    }
    fn consumed(process: Process) {
        future_is_send(process.wait_with_output());
    }
    let _ = (methods, consumed);
}
