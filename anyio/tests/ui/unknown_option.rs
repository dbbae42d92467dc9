#[anyio::test(timeout = 5)]
async fn unknown_option() {}

fn main() {}
