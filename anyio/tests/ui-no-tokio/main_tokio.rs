// `#[anyio::main]` on the tokio backend, in a build without the `tokio` feature.
#[anyio::main(backend = "tokio", flavor = "current_thread")]
async fn main() {
    anyio::lowlevel::checkpoint().await;
}
