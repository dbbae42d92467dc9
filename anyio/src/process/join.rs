//! [`try_join`]: two fallible operations on one child at once, in one future.
//!
//! `run_process` reads the child's pipes and waits for its exit at the same time, not one after
//! the other. The result is the same (it needs both), but the exit is watched from the start:
//! on async-io, whose readiness interest is registered only when a task waits, the exit then
//! arrives in the same reactor turn as the pipes' ends, instead of in a turn of its own after
//! them (tokio registers every interest up front, so there it makes no difference).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::ExitStatus;
use super::child::Child;
use super::communicate::Communicate;

/// What `pipes` read to their ends, and how the child ended: the exit is watched while the
/// pipes are read, but the child is reaped only after they end. Until then it stays a zombie
/// once exited, whose pid still names the process group it may lead, so that a cancellation
/// meanwhile (a grandchild in its group holding the pipes) can still kill that group.
pub(super) async fn output(
    pipes: Communicate,
    child: &Child,
) -> io::Result<((Vec<u8>, Vec<u8>), ExitStatus)> {
    let (output, ()) = try_join(pipes, child.exited()).await?;
    Ok((output, child.wait().await?))
}

pin_project! {
    /// The future of [`try_join`].
    pub(super) struct TryJoin<A, B, T, U> {
        #[pin]
        a: A,
        #[pin]
        b: B,
        a_output: Option<T>,
        b_output: Option<U>,
    }
}

/// Runs `a` and `b` at once: both their values, or the first error (dropping the other
/// operation).
fn try_join<A, B, T, U>(a: A, b: B) -> TryJoin<A, B, T, U>
where
    A: Future<Output = io::Result<T>>,
    B: Future<Output = io::Result<U>>,
{
    TryJoin {
        a,
        b,
        a_output: None,
        b_output: None,
    }
}

impl<A, B, T, U> Future for TryJoin<A, B, T, U>
where
    A: Future<Output = io::Result<T>>,
    B: Future<Output = io::Result<U>>,
{
    type Output = io::Result<(T, U)>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if this.a_output.is_none() {
            if let Poll::Ready(output) = this.a.poll(cx) {
                *this.a_output = Some(output?);
            }
        }
        if this.b_output.is_none() {
            if let Poll::Ready(output) = this.b.poll(cx) {
                *this.b_output = Some(output?);
            }
        }
        match (this.a_output.take(), this.b_output.take()) {
            (Some(a), Some(b)) => Poll::Ready(Ok((a, b))),
            (a, b) => {
                *this.a_output = a;
                *this.b_output = b;
                Poll::Pending
            }
        }
    }
}
