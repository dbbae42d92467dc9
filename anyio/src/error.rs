//! Errors shared by several areas of the crate (AnyIO's exception names).

use std::fmt;

/// The operation would have to wait, and the caller asked it not to (AnyIO's `WouldBlock`):
/// a `try_*` call on a held lock, an empty semaphore, a full or empty stream.
///
/// # Examples
/// ```
/// let lock = anyio::sync::Lock::new();
/// let _held = lock.try_lock().unwrap();
/// let error = lock.try_lock().unwrap_err();
/// assert_eq!(error, anyio::WouldBlock::new());
/// assert_eq!(error.to_string(), "the operation would block");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct WouldBlock {
    _private: (),
}

impl WouldBlock {
    /// The error, for code that wraps anyio's `try_*` operations.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::WouldBlock::new(), anyio::WouldBlock::default());
    /// ```
    pub const fn new() -> Self {
        WouldBlock { _private: () }
    }
}

impl fmt::Display for WouldBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the operation would block")
    }
}

impl std::error::Error for WouldBlock {}

impl From<WouldBlock> for std::io::Error {
    fn from(error: WouldBlock) -> Self {
        std::io::Error::new(std::io::ErrorKind::WouldBlock, error)
    }
}

/// A resource that allows one user at a time is already in use (AnyIO's `BusyResourceError`):
/// "another task is already *reading from* this resource".
///
/// # Examples
/// ```
/// let error = anyio::BusyResourceError::new("reading from");
/// assert_eq!(error.action(), "reading from");
/// assert_eq!(error.to_string(), "another task is already reading from this resource");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BusyResourceError {
    action: &'static str,
}

impl BusyResourceError {
    /// The error for a resource busy with `action` ("reading from", "writing to", ...).
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::BusyResourceError::new("writing to").action(), "writing to");
    /// ```
    pub const fn new(action: &'static str) -> Self {
        BusyResourceError { action }
    }

    /// What the other user is doing with the resource.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::BusyResourceError::new("using").action(), "using");
    /// ```
    pub fn action(&self) -> &'static str {
        self.action
    }
}

impl fmt::Display for BusyResourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "another task is already {} this resource", self.action)
    }
}

impl std::error::Error for BusyResourceError {}

impl From<BusyResourceError> for std::io::Error {
    fn from(error: BusyResourceError) -> Self {
        std::io::Error::new(std::io::ErrorKind::ResourceBusy, error)
    }
}

/// Defines a unit-like error type with a constructor, `Display`, `Error` and a conversion into
/// `io::Error` of the given kind.
macro_rules! unit_error {
    ($(#[$doc:meta])* $name:ident, $message:literal, $kind:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
        pub struct $name {
            _private: (),
        }

        impl $name {
            /// The error, for code that implements anyio's streams.
            ///
            /// # Examples
            /// ```
            #[doc = concat!("assert_eq!(anyio::", stringify!($name), "::new(), anyio::", stringify!($name), "::default());")]
            /// ```
            pub const fn new() -> Self {
                $name { _private: () }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($message)
            }
        }

        impl std::error::Error for $name {}

        impl From<$name> for std::io::Error {
            fn from(error: $name) -> Self {
                std::io::Error::new(std::io::ErrorKind::$kind, error)
            }
        }
    };
}

unit_error!(
    /// The other end closed the stream cleanly, and everything it sent has been received
    /// (AnyIO's `EndOfStream`).
    ///
    /// # Examples
    /// ```
    /// let error = std::io::Error::from(anyio::EndOfStream::new());
    /// assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof);
    /// assert_eq!(error.to_string(), "the stream has ended");
    /// ```
    EndOfStream,
    "the stream has ended",
    UnexpectedEof
);

unit_error!(
    /// The resource was closed by this side, and cannot be used any more (AnyIO's
    /// `ClosedResourceError`).
    ///
    /// # Examples
    /// ```
    /// let error = anyio::ClosedResourceError::new();
    /// assert_eq!(error.to_string(), "the resource was closed");
    /// ```
    ClosedResourceError,
    "the resource was closed",
    NotConnected
);

unit_error!(
    /// The resource was broken by the other side or an outside cause, such as every receiver
    /// of a stream being gone (AnyIO's `BrokenResourceError`).
    ///
    /// # Examples
    /// ```
    /// let error = anyio::BrokenResourceError::new();
    /// assert_eq!(error.to_string(), "the resource is broken");
    /// ```
    BrokenResourceError,
    "the resource is broken",
    BrokenPipe
);

/// The message of a panic's payload when it is a string (as `panic!` makes them), for logs.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("Box<dyn Any>")
}
