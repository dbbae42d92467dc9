//! Runs a command, shows its output line by line as it comes, and tells how it ended.
//!
//! ```text
//! cargo run -p anyio --example shell_out                       # runs `ls -l`
//! cargo run -p anyio --example shell_out -- echo hello world
//! cargo run -p anyio --example shell_out -- --timeout 1 sleep 5
//! ANYIO_BACKEND=smol cargo run -p anyio --all-features --example shell_out -- ls -l /
//! ```
//!
//! The command runs directly, never through a shell (`sh -c '...'` if you want one). Its
//! standard output is streamed through a `BufferedByteReceiveStream`, each line numbered as
//! it arrives; its standard error goes straight to this program's. With `--timeout SECONDS`,
//! a command still running after that long is killed (and reaped) when the timeout's cancel
//! scope drops the work. This program exits with the command's exit code, or 128 plus the
//! number of the signal that killed it, as shells do.

use std::process::ExitCode;
use std::time::Duration;

use anyio::process::{Command, ExitStatus, Stdio, open_process};
use anyio::streams::{BufferedByteReceiveStream, StreamError};

/// Streams the command's output, numbering its lines, then waits for it to end.
async fn run(command: Command) -> Result<ExitStatus, Box<dyn std::error::Error>> {
    let mut process = open_process(command).await?;
    let mut stdout = BufferedByteReceiveStream::new(process.stdout.take().ok_or("no stdout")?);
    let mut number = 0;
    loop {
        match stdout.receive_until(b"\n", 1024 * 1024).await {
            Ok(line) => {
                number += 1;
                println!("{number:>4} | {}", String::from_utf8_lossy(&line));
            }
            // The output ended; a last line without a newline is still in the buffer.
            Err(StreamError::IncompleteRead) => {
                if !stdout.buffer().is_empty() {
                    number += 1;
                    println!("{number:>4} | {}", String::from_utf8_lossy(stdout.buffer()));
                }
                break;
            }
            Err(error) => return Err(error.into()),
        }
    }
    // `aclose` waits for the command; cancelled, it kills the command and reaps it first.
    Ok(process.aclose().await?)
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut timeout = None;
    if args.first().map(String::as_str) == Some("--timeout") {
        // A negative, infinite or NaN number of seconds is a usage error, not a panic.
        let parsed = args.get(1).and_then(|s| s.parse::<f64>().ok());
        let Some(seconds) = parsed.and_then(|s| Duration::try_from_secs_f64(s).ok()) else {
            eprintln!("usage: shell_out [--timeout SECONDS] [COMMAND [ARGS...]]");
            return ExitCode::from(2);
        };
        timeout = Some(seconds);
        args.drain(..2);
    }
    if args.is_empty() {
        args = vec!["ls".into(), "-l".into()];
    }
    let mut command = Command::from(args.clone());
    command.stdin(Stdio::null()).stderr(Stdio::inherit());

    let outcome = anyio::run(async move {
        let backend = anyio::current_async_library().map(|b| b.to_string());
        eprintln!("running {args:?} on {}", backend.unwrap_or_default());
        match timeout {
            Some(timeout) => anyio::move_on_after(timeout, run(command)).await,
            None => Some(run(command).await),
        }
    });
    match outcome {
        Ok(Some(Ok(status))) => {
            eprintln!("the command ended: {status}");
            let code = status
                .code()
                .or_else(|| status.signal().map(|signal| 128 + signal))
                .unwrap_or(1);
            ExitCode::from(u8::try_from(code).unwrap_or(1))
        }
        Ok(Some(Err(error))) => {
            eprintln!("error: {error}");
            ExitCode::from(127)
        }
        Ok(None) => {
            eprintln!("timed out: the command was killed");
            ExitCode::from(124)
        }
        Err(error) => {
            eprintln!("cannot start the runtime: {error}");
            ExitCode::FAILURE
        }
    }
}
