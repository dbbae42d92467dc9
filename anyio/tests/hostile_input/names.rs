//! Property tests of the strings anyio takes from outside, on every backend: host names and
//! IP literals (`getaddrinfo`, `connect_tcp`, `create_tcp_listener`), numeric reverse lookups
//! (`getnameinfo`), UNIX socket paths, and backend names (`Backend::from_str` and the
//! `ANYIO_BACKEND` variable). Random strings give the right value or a clear error, and none
//! reaches a name server: only strings that are refused before resolving, or IP literals, are
//! looked up.

use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::os::unix::ffi::OsStrExt;
use std::process::Command;

use anyio::Backend;
use anyio::net::{
    NameInfoFlags, TcpConnector, UnixStream, create_tcp_listener, getaddrinfo, getnameinfo,
};
use proptest::prelude::*;

use crate::props::{config, on_every_backend, one_at_a_time};

/// What `getaddrinfo` must answer for `host` without asking the resolver: the address of an
/// IP literal (bare, or an IPv6 one in brackets), or a refusal for a string that cannot be a
/// host name. `None`: a name the resolver would be asked about.
fn expected_without_resolving(host: &str) -> Option<Result<IpAddr, io::ErrorKind>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Some(Ok(ip));
    }
    let bracketed = host
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'));
    if let Some(ip) = bracketed.and_then(|inner| inner.parse::<Ipv6Addr>().ok()) {
        return Some(Ok(IpAddr::V6(ip)));
    }
    let name_characters = host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if host.is_empty() || host.len() > 253 || !name_characters {
        return Some(Err(io::ErrorKind::InvalidInput));
    }
    None
}

/// Host strings: random ones, IP literals in their forms, and near misses (zones, ports,
/// brackets, spaces).
fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>(),
        2 => "[ -~]{0,40}",
        2 => any::<IpAddr>().prop_map(|ip| ip.to_string()),
        1 => any::<Ipv6Addr>().prop_map(|ip| format!("[{ip}]")),
        1 => any::<Ipv6Addr>().prop_map(|ip| format!("[{ip}")),
        1 => (any::<Ipv6Addr>(), "[a-z0-9]{1,5}").prop_map(|(ip, zone)| format!("{ip}%{zone}")),
        1 => (any::<IpAddr>(), any::<u16>()).prop_map(|(ip, port)| SocketAddr::new(ip, port).to_string()),
        1 => any::<IpAddr>().prop_map(|ip| format!(" {ip}")),
        1 => "[a-z.]{0,10}[^a-zA-Z0-9._-][a-z.]{0,10}",
    ]
}

proptest! {
    #![proptest_config(config(256))]

    /// `getaddrinfo` gives an IP literal back at once, and refuses a string that is no host
    /// name with `InvalidInput` naming it; so do `connect_tcp` and `create_tcp_listener`.
    #[test]
    fn host_strings_give_their_address_or_a_clear_error(host in host(), port: u16) {
        let Some(expected) = expected_without_resolving(&host) else {
            return Ok(()); // a name: the resolver's business
        };
        on_every_backend(|| async {
            let answer = getaddrinfo(&host, port).await;
            match (&expected, answer) {
                (Ok(ip), Ok(addresses)) => {
                    assert_eq!(addresses, [SocketAddr::new(*ip, port)], "{host:?}");
                }
                (Err(kind), Err(error)) => {
                    assert_eq!(error.kind(), *kind, "{host:?}: {error}");
                    assert!(error.to_string().contains(&format!("{host:?}")), "{error}");
                }
                (expected, answer) => panic!("{host:?}: {answer:?}, expected {expected:?}"),
            }
            if expected.is_err() {
                let error = TcpConnector::new(host.as_str(), port.max(1)).connect().await.unwrap_err();
                assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "{host:?}: {error}");
                let error = create_tcp_listener(Some(&host), 0).await.unwrap_err();
                assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "{host:?}: {error}");
            }
        });
    }

    /// A numeric reverse lookup of any address gives the address back, as text.
    #[test]
    fn numeric_name_info_gives_any_address_back(
        address in prop_oneof![
            any::<SocketAddr>(),
            (any::<Ipv6Addr>(), any::<u16>(), any::<u32>(), any::<u32>())
                .prop_map(|(ip, port, flow, scope)| SocketAddr::V6(SocketAddrV6::new(ip, port, flow, scope))),
        ],
    ) {
        on_every_backend(|| async {
            let numeric = NameInfoFlags::new().numeric_host(true).numeric_service(true);
            let (host, service) = getnameinfo(address, numeric).await.unwrap();
            // A scoped IPv6 address may carry its zone ("fe80::1%2").
            let ip = host.split('%').next().unwrap().parse::<IpAddr>();
            assert_eq!(ip.ok(), Some(address.ip()), "{address}: {host}");
            assert_eq!(service, address.port().to_string());
        });
    }

    /// A UNIX socket path: an empty or too long one is refused with `InvalidInput` naming
    /// the limit; any other is tried (and here fails, as nothing listens there).
    #[test]
    fn unix_socket_paths_are_checked(
        path in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..140),
            proptest::collection::vec(1..=255u8, 100..=112),
            "[a-z]{1,8}".prop_map(|name| format!("\0anyio-proptest-{name}").into_bytes()),
        ],
    ) {
        let path = std::path::PathBuf::from(std::ffi::OsStr::from_bytes(&path));
        let bytes = path.as_os_str().as_bytes().len();
        let fits = bytes > 0 && bytes <= if path.as_os_str().as_bytes()[0] == 0 { 108 } else { 107 };
        on_every_backend(|| async {
            match UnixStream::connect(&path).await {
                Ok(_) => panic!("{path:?}: connected to nothing"),
                Err(error) if !fits => {
                    assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "{path:?}: {error}");
                    let said = error.to_string();
                    assert!(said.contains("empty") || said.contains("at most"), "{said}");
                }
                Err(error) => assert!(
                    !error.to_string().contains("at most"),
                    "{path:?} fits, yet: {error}"
                ),
            }
        });
    }

    /// A backend name: its name in any ASCII case, with any whitespace around it, names it;
    /// anything else is an `UnknownBackendError` that keeps the string and lists the backends.
    #[test]
    fn backend_names_parse_or_give_a_clear_error(name in backend_name()) {
        let expected = Backend::ALL
            .into_iter()
            .find(|backend| name.trim().to_ascii_lowercase() == backend.name());
        match (name.parse::<Backend>(), expected) {
            (Ok(backend), Some(want)) => prop_assert_eq!(backend, want),
            (Err(error), None) => {
                prop_assert_eq!(error.name(), name.as_str());
                let said = error.to_string();
                prop_assert!(said.contains(&format!("{name:?}")) && said.contains("tokio, smol"), "{}", said);
            }
            (parsed, expected) => prop_assert!(false, "{:?}: {:?}, expected {:?}", name, parsed, expected),
        }
    }
}

/// Backend names: random strings, and the real names in mixed case, padded with whitespace
/// (Unicode's too) or with a character more.
fn backend_name() -> impl Strategy<Value = String> {
    let padding = "[ \t\n\r\u{a0}\u{2003}\u{3000}\u{feff}]{0,3}";
    let real = prop::sample::select(&["tokio", "smol"][..]);
    let mixed_case =
        (real, proptest::collection::vec(any::<bool>(), 5)).prop_map(|(name, upper)| {
            name.chars()
                .zip(upper)
                .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
                .collect::<String>()
        });
    prop_oneof![
        2 => any::<String>(),
        3 => (padding, mixed_case.clone(), padding).prop_map(|(a, name, b)| format!("{a}{name}{b}")),
        1 => (mixed_case, any::<char>(), any::<prop::sample::Index>()).prop_map(|(name, c, at)| {
            let mut name: Vec<char> = name.chars().collect();
            let at = at.index(name.len() + 1);
            name.insert(at, c);
            name.into_iter().collect()
        }),
    ]
}

/// The variable that tells a child run of this binary what `Runner::from_env` must give.
const EXPECT: &str = "ANYIO_PROPTEST_EXPECT";

/// `ANYIO_BACKEND` as the environment gives it, bytes that need not be UTF-8: each value runs
/// this test binary again as a child with the variable set, and the child checks what
/// `Runner::from_env` makes of it (the environment is the process's, so each value needs a
/// process of its own).
#[test]
fn anyio_backend_values_give_a_runner_or_a_clear_error() {
    if let Some(expected) = std::env::var_os(EXPECT) {
        let expected = expected.into_string().unwrap();
        match (anyio::Runner::from_env(), expected.as_str()) {
            (Ok(runner), name) => assert_eq!(runner.backend().name(), name),
            (Err(error @ anyio::RunError::InvalidEnvironment { .. }), "invalid") => {
                assert!(
                    error
                        .to_string()
                        .starts_with("ANYIO_BACKEND: no such backend: ")
                );
            }
            (Err(error), expected) => panic!("expected {expected}, got {error}"),
        }
        return;
    }
    let default = if cfg!(feature = "tokio") {
        "tokio"
    } else {
        "smol"
    };
    let mut runner = proptest::test_runner::TestRunner::new(config(16));
    let value = prop_oneof![
        2 => proptest::collection::vec(1..=255u8, 0..12),
        2 => backend_name().prop_filter("no NUL in the environment", |name| !name.contains('\0')).prop_map(String::into_bytes),
        1 => (prop::sample::select(&["tokio", "smol"][..]), 0x80..=0xffu8)
            .prop_map(|(name, byte)| [name.as_bytes(), &[byte]].concat()),
    ];
    runner
        .run(&value, |value| {
            let text = String::from_utf8_lossy(&value);
            let expected = if value.is_empty() {
                default
            } else {
                Backend::ALL
                    .into_iter()
                    .find(|backend| text.trim().eq_ignore_ascii_case(backend.name()))
                    .map_or("invalid", Backend::name)
            };
            // A child's pipes are descriptors too: not while a case counts them.
            let _one_at_a_time = one_at_a_time();
            let output = Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "names::anyio_backend_values_give_a_runner_or_a_clear_error",
                    "--test-threads=1",
                ])
                .env("ANYIO_BACKEND", std::ffi::OsStr::from_bytes(&value))
                .env(EXPECT, expected)
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            prop_assert!(
                output.status.success() && stdout.contains("1 passed"),
                "ANYIO_BACKEND={:?}: {}\n{}",
                text,
                stdout,
                String::from_utf8_lossy(&output.stderr)
            );
            Ok(())
        })
        .unwrap();
}
