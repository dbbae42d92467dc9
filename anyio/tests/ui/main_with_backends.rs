#[anyio::main(backends(tokio))]
async fn main() {}
