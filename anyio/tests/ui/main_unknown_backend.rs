#[anyio::main(backend = "asyncio")]
async fn main() {}
