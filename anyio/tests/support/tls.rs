// Certificates and TLS configurations made fresh for each test (rcgen), shared by the TLS
// integration tests (as a module) and the doc examples of `anyio::tls` (which `include!` it
// into a module). Every path is spelled in full, so that it compiles wherever it lands.

/// A self-signed certificate for `localhost`, 127.0.0.1 and ::1, with a client configuration
/// that trusts it and a server configuration that presents it, both offering `alpn`.
#[allow(dead_code)]
pub(crate) fn tls_configs_with_alpn(
    alpn: &[&[u8]],
) -> (
    std::sync::Arc<rustls::ClientConfig>,
    std::sync::Arc<rustls::ServerConfig>,
) {
    let names = ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec();
    let certified = rcgen::generate_simple_self_signed(names).unwrap();
    let certificate = certified.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());

    let mut roots = rustls::RootCertStore::empty();
    roots.add(certificate.clone()).unwrap();
    let mut client = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certificate], key)
        .unwrap();
    client.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
    server.alpn_protocols = client.alpn_protocols.clone();
    (std::sync::Arc::new(client), std::sync::Arc::new(server))
}

/// [`tls_configs_with_alpn`] without ALPN.
#[allow(dead_code)]
pub(crate) fn tls_configs() -> (
    std::sync::Arc<rustls::ClientConfig>,
    std::sync::Arc<rustls::ServerConfig>,
) {
    tls_configs_with_alpn(&[])
}

/// Both ends of a TLS session over a loopback TCP connection: (client, server).
#[allow(dead_code)]
pub(crate) async fn tls_pair(
    client: std::sync::Arc<rustls::ClientConfig>,
    server: std::sync::Arc<rustls::ServerConfig>,
) -> (
    anyio::tls::TlsStream<anyio::net::TcpStream>,
    anyio::tls::TlsStream<anyio::net::TcpStream>,
) {
    let mut listener = anyio::net::TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let address = listener.local_addr().unwrap();
    let connector = anyio::tls::TlsConnector::new(client);
    let acceptor = anyio::tls::TlsAcceptor::new(server);
    futures_lite::future::zip(
        async {
            let tcp = anyio::net::TcpStream::connect(address).await.unwrap();
            connector.connect("localhost", tcp).await.unwrap()
        },
        async {
            let (tcp, _) = listener.accept().await.unwrap();
            acceptor.accept(tcp).await.unwrap()
        },
    )
    .await
}
