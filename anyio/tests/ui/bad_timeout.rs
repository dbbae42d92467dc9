#[anyio::test(timeout = "ten seconds")]
async fn unreadable() {}

#[anyio::test(timeout = 0)]
async fn zero() {}

#[anyio::test(timeout = "5h")]
async fn unknown_unit() {}

fn main() {}
