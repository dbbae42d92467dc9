//! Name resolution without blocking the event loop (AnyIO's `getaddrinfo`).

use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use crate::backend;

/// The addresses of `host` (a name, or an IP address literal) at `port`, in the order the
/// system's resolver gives them (AnyIO's `getaddrinfo`).
///
/// An IP literal is answered at once. A name is looked up by the system's resolver
/// (`getaddrinfo`) on the backend's pool of blocking threads, so the event loop keeps running.
///
/// # Errors
/// `InvalidInput` for a string that is not a host name (empty, too long, or with characters
/// a name cannot hold; non-ASCII names, which need IDNA encoding, are not supported yet);
/// otherwise when the name does not resolve, or resolves to no address. The message names the
/// host.
///
/// # Cancel safety
/// Cancel safe: a lookup dropped before it returned has no effect (the resolver's thread
/// finishes the call and its answer is dropped).
///
/// # Panics
/// Outside a runtime, with [`NoEventLoopError`](crate::NoEventLoopError)'s message.
///
/// # Examples
/// ```
/// anyio::run(async {
///     let addresses = anyio::net::getaddrinfo("localhost", 8080).await.unwrap();
///     assert!(addresses.iter().all(|address| address.ip().is_loopback() && address.port() == 8080));
///     let literal = anyio::net::getaddrinfo("::1", 80).await.unwrap();
///     assert_eq!(literal, ["[::1]:80".parse().unwrap()]);
///     let error = anyio::net::getaddrinfo("not a host!", 80).await.unwrap_err();
///     assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub async fn getaddrinfo(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    // A bracketed IPv6 literal, as in URLs.
    if let Some(ip) = host
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|inner| inner.parse::<IpAddr>().ok())
    {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    check_host_name(host)?;
    let backend = backend::current_or_panic("anyio::net::getaddrinfo");
    let name = host.to_owned();
    let looked_up = backend::run_blocking(backend, move || {
        (name.as_str(), port)
            .to_socket_addrs()
            .map(Iterator::collect::<Vec<_>>)
    })
    .await;
    match looked_up {
        Ok(addresses) if addresses.is_empty() => Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("cannot resolve {host:?}: it has no address"),
        )),
        Ok(mut addresses) => {
            // The resolver may list an address once per socket type.
            let mut seen = std::collections::HashSet::new();
            addresses.retain(|address| seen.insert(*address));
            Ok(addresses)
        }
        Err(error) => Err(io::Error::new(
            error.kind(),
            format!("cannot resolve {host:?}: {error}"),
        )),
    }
}

/// Rejects what cannot be a host name before the resolver sees it (and perhaps asks a DNS
/// server about it).
fn check_host_name(host: &str) -> io::Result<()> {
    let invalid = |why: &str| {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{host:?} is not a host name: {why}"),
        ))
    };
    if host.is_empty() {
        return invalid("it is empty");
    }
    if !host.is_ascii() {
        return invalid("non-ASCII names need IDNA encoding, which anyio does not do yet");
    }
    if host.len() > 253 {
        return invalid("it is longer than 253 characters");
    }
    for label in host.strip_suffix('.').unwrap_or(host).split('.') {
        if label.is_empty() || label.len() > 63 {
            return invalid("each dot-separated label must have 1 to 63 characters");
        }
        if !label
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
        {
            return invalid("a label may hold only letters, digits, '-' and '_'");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return invalid("a label cannot start or end with '-'");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_host_name;
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngSeed};

    #[test]
    fn host_names_are_checked_before_resolving() {
        for good in [
            "localhost",
            "example.org",
            "example.org.",
            "a-b.c_d.e1",
            &"a".repeat(63),
        ] {
            assert!(check_host_name(good).is_ok(), "{good}");
        }
        let too_long = vec!["a".repeat(63); 4].join(".") + ".abc";
        for bad in [
            "",
            "not a host!",
            "a..b",
            "-a.b",
            "a-.b",
            "bücher.de",
            &"a".repeat(64),
            &too_long,
        ] {
            let error = check_host_name(bad).unwrap_err();
            assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{bad}");
            assert!(error.to_string().contains("is not a host name"), "{error}");
        }
    }

    /// A label as RFC 1123 (and the underscores of service names) allow it.
    fn label() -> impl Strategy<Value = String> {
        "[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
    }

    /// A name made of labels, perhaps ending in the root's dot.
    fn name() -> impl Strategy<Value = String> {
        (vec(label(), 1..6), any::<bool>()).prop_map(|(labels, rooted)| {
            let name = labels.join(".");
            if rooted { name + "." } else { name }
        })
    }

    /// A well-formed name broken in one of the ways a name can be.
    fn broken_name() -> impl Strategy<Value = String> {
        let forbidden = prop_oneof![
            prop::sample::select(&[' ', '!', '/', ':', '%', '@', '\0', '\n', '*', '\u{e9}'][..]),
            any::<char>().prop_filter("not allowed in a name", |c| {
                !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_' || *c == '.')
            }),
        ];
        (name(), any::<prop::sample::Index>(), forbidden, 0..5u8).prop_map(
            |(name, at, forbidden, how)| {
                let body = name.strip_suffix('.').unwrap_or(&name).to_owned();
                let at = at.index(body.len() + 1);
                match how {
                    0 => format!("{}{forbidden}{}", &body[..at], &body[at..]),
                    1 => format!("{}..{}", &body[..at], &body[at..]), // an empty label
                    2 => format!("-{body}"),
                    3 => format!("{body}-.x"),
                    _ => format!("{body}.{}", "a".repeat(64)),
                }
            },
        )
    }

    /// As the integration tests' property tests (tests/support/props.rs): a fixed seed and
    /// 512 cases, unless `PROPTEST_RNG_SEED` or `PROPTEST_CASES` say otherwise; no failure
    /// files.
    fn config() -> Config {
        let mut config = Config {
            failure_persistence: None,
            ..Config::default()
        };
        if std::env::var_os("PROPTEST_CASES").is_none() {
            config.cases = 512;
        }
        if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
            config.rng_seed = RngSeed::Fixed(0x616e_7969_6f21);
        }
        config
    }

    proptest! {
        #![proptest_config(config())]

        /// Every well-formed name of at most 253 characters passes.
        #[test]
        fn well_formed_names_pass(name in name()) {
            prop_assume!(name.len() <= 253);
            prop_assert!(check_host_name(&name).is_ok(), "{name:?}");
        }

        /// Every name broken in one place is refused, with an error that says so.
        #[test]
        fn broken_names_are_refused(name in broken_name()) {
            let error = check_host_name(&name).unwrap_err();
            prop_assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
            prop_assert!(error.to_string().contains("is not a host name"), "{error}");
        }

        /// Any string: refused with a clear error, or a name made of labels of 1 to 63
        /// letters, digits, '-' and '_' (not at either end of a label for '-').
        #[test]
        fn any_string_is_a_name_or_a_clear_error(
            host in prop_oneof![any::<String>(), "[a-z0-9_.-]{0,80}", "[ -~]{0,300}"],
        ) {
            match check_host_name(&host) {
                Ok(()) => {
                    prop_assert!(!host.is_empty() && host.len() <= 253);
                    let body = host.strip_suffix('.').unwrap_or(&host);
                    for label in body.split('.') {
                        prop_assert!((1..=63).contains(&label.len()), "{host:?}");
                        prop_assert!(!label.starts_with('-') && !label.ends_with('-'));
                        prop_assert!(label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
                    }
                }
                Err(error) => {
                    prop_assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
                    prop_assert!(error.to_string().contains("is not a host name"), "{error}");
                }
            }
        }
    }
}
