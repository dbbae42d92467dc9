// `#[anyio::main]` on a chosen backend with its options.
#[anyio::main(backend = "smol", threads = 2)]
async fn main() {
    anyio::lowlevel::checkpoint().await;
    assert_eq!(anyio::current_async_library(), Ok(anyio::Backend::Smol));
}
