#[anyio::test(retries = 5)]
async fn unknown_option() {}

fn main() {}
