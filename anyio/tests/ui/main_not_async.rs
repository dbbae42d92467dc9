#[anyio::main]
fn main() {}
