#[anyio::test(backends(trio))]
async fn unknown_backend() {}

fn main() {}
