#[anyio::test(worker_threads = 0)]
async fn zero_threads() {}

fn main() {}
