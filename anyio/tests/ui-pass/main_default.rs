// `#[anyio::main]` without options: the default backend (ANYIO_BACKEND, else tokio), and the
// declared return type, with `?` inside the body.
use std::time::Duration;

#[anyio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    anyio::sleep(Duration::from_millis(1)).await;
    let backend = anyio::current_async_library()?;
    assert_eq!(backend, anyio::Runner::from_env()?.backend());
    Ok(())
}
