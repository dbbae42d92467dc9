#[anyio::test(backends(smol), flavor = "multi_thread")]
async fn tokio_option_on_smol() {}

#[anyio::test(backends(tokio), threads = 2)]
async fn smol_option_on_tokio() {}

fn main() {}
