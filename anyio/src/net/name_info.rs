//! Reverse name resolution without blocking the event loop (AnyIO's `getnameinfo`).

use std::ffi::{CStr, c_char, c_int};
use std::io;
use std::net::SocketAddr;

use crate::backend;

/// What [`getnameinfo`] should answer with: the flags of the system's `getnameinfo` (`NI_*`).
/// All are off by default: names are looked up, and an address without one is given in
/// numeric form.
///
/// # Examples
/// ```
/// use anyio::net::NameInfoFlags;
///
/// let numeric = NameInfoFlags::new().numeric_host(true).numeric_service(true);
/// assert!(numeric.is_numeric_host() && numeric.is_numeric_service());
/// assert_eq!(NameInfoFlags::default(), NameInfoFlags::new());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NameInfoFlags {
    numeric_host: bool,
    numeric_service: bool,
    name_required: bool,
    datagram: bool,
    no_fqdn: bool,
}

impl NameInfoFlags {
    /// No flags.
    ///
    /// # Examples
    /// See [`NameInfoFlags`].
    pub const fn new() -> NameInfoFlags {
        NameInfoFlags {
            numeric_host: false,
            numeric_service: false,
            name_required: false,
            datagram: false,
            no_fqdn: false,
        }
    }

    /// `NI_NUMERICHOST`: the host in numeric form, without looking its name up.
    ///
    /// # Examples
    /// See [`NameInfoFlags`].
    #[must_use]
    pub const fn numeric_host(mut self, on: bool) -> NameInfoFlags {
        self.numeric_host = on;
        self
    }

    /// `NI_NUMERICSERV`: the service as a port number, without looking its name up.
    ///
    /// # Examples
    /// See [`NameInfoFlags`].
    #[must_use]
    pub const fn numeric_service(mut self, on: bool) -> NameInfoFlags {
        self.numeric_service = on;
        self
    }

    /// `NI_NAMEREQD`: fail if the host has no name, instead of giving it in numeric form.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::NameInfoFlags;
    ///
    /// assert!(NameInfoFlags::new().name_required(true).is_name_required());
    /// ```
    #[must_use]
    pub const fn name_required(mut self, on: bool) -> NameInfoFlags {
        self.name_required = on;
        self
    }

    /// `NI_DGRAM`: the service is a datagram (UDP) one; a few ports name different services
    /// for UDP and TCP.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::NameInfoFlags;
    ///
    /// assert!(NameInfoFlags::new().datagram(true).is_datagram());
    /// ```
    #[must_use]
    pub const fn datagram(mut self, on: bool) -> NameInfoFlags {
        self.datagram = on;
        self
    }

    /// `NI_NOFQDN`: only the first part of a name in the local domain.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::NameInfoFlags;
    ///
    /// assert!(NameInfoFlags::new().no_fqdn(true).is_no_fqdn());
    /// ```
    #[must_use]
    pub const fn no_fqdn(mut self, on: bool) -> NameInfoFlags {
        self.no_fqdn = on;
        self
    }

    /// Whether `NI_NUMERICHOST` is set.
    ///
    /// # Examples
    /// See [`NameInfoFlags`].
    pub const fn is_numeric_host(self) -> bool {
        self.numeric_host
    }

    /// Whether `NI_NUMERICSERV` is set.
    ///
    /// # Examples
    /// See [`NameInfoFlags`].
    pub const fn is_numeric_service(self) -> bool {
        self.numeric_service
    }

    /// Whether `NI_NAMEREQD` is set.
    ///
    /// # Examples
    /// See [`name_required`](Self::name_required).
    pub const fn is_name_required(self) -> bool {
        self.name_required
    }

    /// Whether `NI_DGRAM` is set.
    ///
    /// # Examples
    /// See [`datagram`](Self::datagram).
    pub const fn is_datagram(self) -> bool {
        self.datagram
    }

    /// Whether `NI_NOFQDN` is set.
    ///
    /// # Examples
    /// See [`no_fqdn`](Self::no_fqdn).
    pub const fn is_no_fqdn(self) -> bool {
        self.no_fqdn
    }

    /// The flags as the system takes them.
    fn bits(self) -> c_int {
        [
            (self.numeric_host, libc::NI_NUMERICHOST),
            (self.numeric_service, libc::NI_NUMERICSERV),
            (self.name_required, libc::NI_NAMEREQD),
            (self.datagram, libc::NI_DGRAM),
            (self.no_fqdn, libc::NI_NOFQDN),
        ]
        .into_iter()
        .filter(|&(on, _)| on)
        .fold(0, |bits, (_, flag)| bits | flag)
    }
}

/// The host name and service name of `address` (AnyIO's `getnameinfo`), as `(host, service)`;
/// with [`NameInfoFlags`] asking for numeric forms or requiring a name.
///
/// The system's `getnameinfo` runs on the backend's pool of blocking threads (a host name may
/// be looked up in DNS), so the event loop keeps running. An address or port without a name is
/// given in numeric form, unless [`name_required`](NameInfoFlags::name_required) is set.
///
/// # Errors
/// When the system's `getnameinfo` fails, with its message and the address: `NotFound` for a
/// host without a name when one is required (`EAI_NONAME`), the operating system's error for
/// `EAI_SYSTEM`, and an error of another kind for other failures (such as a name server that
/// cannot be reached). Outside a runtime, an error carrying
/// [`NoEventLoopError`](crate::NoEventLoopError).
///
/// # Cancel safety
/// Cancel safe: a lookup dropped before it returned has no effect (the blocking thread
/// finishes the call and its answer is dropped).
///
/// # Examples
/// ```
/// use anyio::net::{NameInfoFlags, getnameinfo};
///
/// anyio::run(async {
///     let numeric = NameInfoFlags::new().numeric_host(true).numeric_service(true);
///     let (host, service) = getnameinfo("[::1]:443".parse().unwrap(), numeric).await.unwrap();
///     assert_eq!((host.as_str(), service.as_str()), ("::1", "443"));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub async fn getnameinfo(
    address: SocketAddr,
    flags: NameInfoFlags,
) -> io::Result<(String, String)> {
    let backend = backend::current().map_err(io::Error::other)?;
    backend::run_blocking(backend, move || lookup(address, flags)).await
}

/// The size of the host buffer (glibc's `NI_MAXHOST`, which fits any DNS name).
const MAX_HOST: usize = 1025;
/// The size of the service buffer (glibc's `NI_MAXSERV`).
const MAX_SERVICE: usize = 32;

/// The blocking call.
fn lookup(address: SocketAddr, flags: NameInfoFlags) -> io::Result<(String, String)> {
    let sockaddr = socket2::SockAddr::from(address);
    let mut host = [0u8; MAX_HOST];
    let mut service = [0u8; MAX_SERVICE];
    // SAFETY: `sockaddr` is a valid socket address of `sockaddr.len()` bytes (socket2's
    // storage starts with a `sockaddr`); each output buffer is writable for the length passed
    // with it, and the system writes NUL-terminated strings of at most that length.
    let code = unsafe {
        libc::getnameinfo(
            sockaddr.as_ptr().cast::<libc::sockaddr>(),
            sockaddr.len(),
            host.as_mut_ptr().cast::<c_char>(),
            MAX_HOST as libc::socklen_t,
            service.as_mut_ptr().cast::<c_char>(),
            MAX_SERVICE as libc::socklen_t,
            flags.bits(),
        )
    };
    if code != 0 {
        // Read at once, before anything else on this thread can change it.
        let os_error = io::Error::last_os_error();
        return Err(gai_error(code, os_error, address));
    }
    Ok((c_string(&host)?, c_string(&service)?))
}

/// The string the system wrote at the start of `buffer`.
fn c_string(buffer: &[u8]) -> io::Result<String> {
    let string = CStr::from_bytes_until_nul(buffer).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "getnameinfo returned a string without its terminating NUL",
        )
    })?;
    Ok(string.to_string_lossy().into_owned())
}

/// The error for `getnameinfo`'s failure `code` (an `EAI_*` value); `os_error` is the
/// operating system's error read right after the call, which `EAI_SYSTEM` refers to.
fn gai_error(code: c_int, os_error: io::Error, address: SocketAddr) -> io::Error {
    if code == libc::EAI_SYSTEM {
        return io::Error::new(
            os_error.kind(),
            format!("cannot look up the name of {address}: {os_error}"),
        );
    }
    // SAFETY: `gai_strerror` returns a pointer to a static NUL-terminated string, for any
    // code (an unknown one gets a generic message).
    let message = unsafe { CStr::from_ptr(libc::gai_strerror(code)) }.to_string_lossy();
    let kind = match code {
        libc::EAI_NONAME => io::ErrorKind::NotFound,
        libc::EAI_FAMILY | libc::EAI_BADFLAGS => io::ErrorKind::InvalidInput,
        libc::EAI_MEMORY => io::ErrorKind::OutOfMemory,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(
        kind,
        format!("cannot look up the name of {address}: {message} (getnameinfo error {code})"),
    )
}

#[cfg(test)]
mod tests {
    use super::{NameInfoFlags, gai_error, lookup};
    use std::io;

    #[test]
    fn flags_map_to_the_system_bits() {
        assert_eq!(NameInfoFlags::new().bits(), 0);
        let all = NameInfoFlags::new()
            .numeric_host(true)
            .numeric_service(true)
            .name_required(true)
            .datagram(true)
            .no_fqdn(true);
        assert_eq!(
            all.bits(),
            libc::NI_NUMERICHOST
                | libc::NI_NUMERICSERV
                | libc::NI_NAMEREQD
                | libc::NI_DGRAM
                | libc::NI_NOFQDN
        );
        assert_eq!(all.numeric_host(false).bits() & libc::NI_NUMERICHOST, 0);
    }

    #[test]
    fn failures_become_clear_errors() {
        let address = "127.0.0.1:80".parse().unwrap();
        let no_name = gai_error(libc::EAI_NONAME, io::Error::from_raw_os_error(0), address);
        assert_eq!(no_name.kind(), io::ErrorKind::NotFound);
        assert!(no_name.to_string().contains("127.0.0.1:80"), "{no_name}");
        let system = gai_error(
            libc::EAI_SYSTEM,
            io::Error::from_raw_os_error(libc::EMFILE),
            address,
        );
        assert_eq!(
            system.kind(),
            io::Error::from_raw_os_error(libc::EMFILE).kind()
        );
        assert!(
            system
                .to_string()
                .contains(&io::Error::from_raw_os_error(libc::EMFILE).to_string()),
            "{system}"
        );
        let flags = gai_error(libc::EAI_BADFLAGS, io::Error::from_raw_os_error(0), address);
        assert_eq!(flags.kind(), io::ErrorKind::InvalidInput);
        let other = gai_error(libc::EAI_AGAIN, io::Error::from_raw_os_error(0), address);
        assert_eq!(other.kind(), io::ErrorKind::Other);
        assert!(other.to_string().contains("getnameinfo error"), "{other}");
    }

    #[test]
    fn numeric_lookups_need_no_resolver() {
        let numeric = NameInfoFlags::new()
            .numeric_host(true)
            .numeric_service(true);
        let answer = lookup("127.0.0.1:80".parse().unwrap(), numeric).unwrap();
        assert_eq!(answer, ("127.0.0.1".to_owned(), "80".to_owned()));
    }
}
