#[anyio::test]
async fn with_arguments(count: u32) {
    let _ = count;
}

fn main() {}
