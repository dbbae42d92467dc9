#[anyio::test]
async fn generic<T: Default>() {}

fn main() {}
