//! [`gather`] and [`try_gather`]: run futures as the children of a task group and collect
//! their outputs in argument order; and the runner they share with [`amap`](super::amap).

use std::any::type_name;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use super::error::TaskGroupError;
use super::group::{TaskGroup, task_group};
use super::handle::TaskHandle;
use crate::sync::Semaphore;

/// Runs every future of `futures` concurrently, each as a child task of a
/// [task group](crate::task_group), and returns their outputs in the order of `futures`
/// (AnyIO's `gather`), whatever order they finish in.
///
/// It is structured: the futures are tasks of a group that lives inside this call, so none of
/// them outlives it. If one panics, the others are cancelled and the panic is re-raised here
/// once they have wound down; if the caller is cancelled (an enclosing
/// [`CancelScope`](crate::CancelScope), a deadline), every future is cancelled. For futures that
/// return a `Result`, where the first error should cancel the others, use [`try_gather`].
///
/// The futures run as runtime tasks: on a multi-thread runtime they run in parallel, and so
/// they must be `Send + 'static`. To gather futures of different types, box them
/// (`Box::pin(fut) as Pin<Box<dyn Future<Output = T> + Send>>`) or wrap them in an enum.
///
/// # Panics
/// Re-raises the first panic of a future, after the others have been cancelled and have
/// finished. Panics too, outside any runtime.
///
/// # Cancel safety
/// Cancelling the caller cancels every future that has not finished; their outputs are lost,
/// as with any cancelled task. The caller's enclosing scope waits for them to wind down
/// (see [`task_group`](crate::task_group)). Dropping the returned future from outside anyio's
/// scopes (a `select!`) aborts them without waiting.
///
/// # Examples
/// ```
/// use std::time::Duration;
///
/// anyio::run(async {
///     let lengths = anyio::task::gather(["a", "bbb", "cc"].map(|word| async move {
///         // The longest word sleeps longest: they finish in another order.
///         anyio::sleep(Duration::from_millis(word.len() as u64)).await;
///         word.len()
///     }))
///     .await;
///     assert_eq!(lengths, [1, 3, 2]); // in argument order
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub async fn gather<I>(futures: I) -> Vec<<I::Item as Future>::Output>
where
    I: IntoIterator,
    I::Item: Future + Send + 'static,
    <I::Item as Future>::Output: Send + 'static,
{
    let name = type_name::<I::Item>();
    match run_all(futures.into_iter().map(infallible), None, name).await {
        Ok(outputs) => outputs,
        Err(error) => error.unreachable(),
    }
}

/// Runs every future of `futures` concurrently, each as a child task of a
/// [task group](crate::task_group), and returns their values in the order of `futures`; the
/// first error cancels the others (structured concurrency's answer to `try_join_all`).
///
/// Like a task group, it keeps every error: a future that fails while the others are being
/// cancelled adds its own (on a multi-thread runtime, two can fail at the same moment).
/// [`TaskGroupError::first`] is the one that caused the cancellation.
///
/// # Errors
/// [`TaskGroupError`] with the errors of the futures that failed, in the order they failed.
///
/// # Panics
/// Re-raises the first panic of a future, after the others have been cancelled and have
/// finished. Panics too, outside any runtime.
///
/// # Cancel safety
/// As for [`gather`]: cancelling the caller cancels every future that has not finished.
///
/// # Examples
/// ```
/// use std::pin::Pin;
///
/// #[derive(Debug, PartialEq)]
/// struct NotFound(&'static str);
///
/// type Lookup = Pin<Box<dyn Future<Output = Result<usize, NotFound>> + Send>>;
///
/// anyio::run(async {
///     let sizes = anyio::task::try_gather(["a.txt", "b.txt"].map(|name| async move {
///         anyio::lowlevel::checkpoint().await;
///         Ok::<_, NotFound>(name.len())
///     }))
///     .await;
///     assert_eq!(sizes.unwrap(), [5, 5]);
///
///     let failed = anyio::task::try_gather([
///         Box::pin(async { Err(NotFound("missing.txt")) }) as Lookup,
///         Box::pin(async {
///             anyio::sleep_forever().await; // cancelled by the other's error
///             Ok(0)
///         }),
///     ])
///     .await;
///     assert_eq!(failed.unwrap_err().into_first(), NotFound("missing.txt"));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub async fn try_gather<I, T, E>(futures: I) -> Result<Vec<T>, TaskGroupError<E>>
where
    I: IntoIterator,
    I::Item: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    run_all(futures.into_iter(), None, type_name::<I::Item>()).await
}

/// A future that cannot fail, as a task that cannot fail.
pub(crate) async fn infallible<F: Future>(future: F) -> Result<F::Output, Infallible> {
    Ok(future.await)
}

/// Spawns the futures of `futures` into a task group, at most `limit` of them running at once
/// (the next one is taken from the iterator only once a slot is free), and collects their
/// values in the iterator's order. Every child is named `name`.
pub(crate) async fn run_all<I, Fut, T, E>(
    futures: I,
    limit: Option<usize>,
    name: &'static str,
) -> Result<Vec<T>, TaskGroupError<E>>
where
    I: Iterator<Item = Fut>,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let outcome = task_group(|tg: TaskGroup<E>| async move {
        let mut futures = futures;
        let mut handles: Vec<TaskHandle<T>> = Vec::with_capacity(futures.size_hint().0);
        match limit {
            None => handles.extend(futures.map(|future| tg.spawn_named(name, future))),
            Some(limit) => {
                let slots = Arc::new(Semaphore::new(limit));
                loop {
                    // The slot first: the next future is only made once it can run.
                    let slot = Arc::clone(&slots).acquire_owned().await;
                    let Some(future) = futures.next() else { break };
                    handles.push(tg.spawn_named(name, async move {
                        let output = future.await;
                        drop(slot);
                        output
                    }));
                }
            }
        }
        Ok::<_, E>(handles)
    })
    .await?;
    let lost = "anyio: a shield was switched on around a gather or amap after an enclosing \
                cancellation had already cancelled some of its futures; their outputs are lost";
    let Some(handles) = outcome else {
        panic!("{lost}")
    };
    Ok(handles
        .iter()
        .map(|handle| handle.take_finished().unwrap_or_else(|| panic!("{lost}")))
        .collect())
}
