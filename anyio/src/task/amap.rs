//! [`amap`] and [`try_amap`]: an async function mapped over an iterator by child tasks, with
//! bounded concurrency, the outputs in argument order.

use std::any::type_name;
use std::future::Future;

use super::error::TaskGroupError;
use super::gather::{infallible, run_all};

/// Calls `f` on every item of `args` and runs the futures it returns concurrently, each as a
/// child task of a [task group](crate::task_group), at most `limit` at a time; returns their
/// outputs in the order of `args` (AnyIO's `amap`, with a limit).
///
/// `limit` is a count or `None`. As in `futures`' `for_each_concurrent`, `None` and `0` mean
/// no limit: every future is started at once. With a limit, `f` is called for the next item
/// only when a running future has finished, so the items are taken from `args` lazily; `f`
/// runs in the calling task, the futures it returns in their own tasks.
///
/// It is structured, as [`gather`](super::gather) is: a panic cancels the other futures and
/// is re-raised here, and cancelling the caller cancels them all. For functions that return a
/// `Result`, where the first error should cancel the others, use [`try_amap`].
///
/// # Panics
/// Re-raises the first panic of a future, after the others have been cancelled and have
/// finished; a panic of `f` itself, after the futures already started have been cancelled.
/// Panics too, outside any runtime.
///
/// # Cancel safety
/// Cancelling the caller cancels every future that has not finished (their outputs are lost)
/// and takes no more items from `args`.
///
/// # Examples
/// ```
/// use std::time::Duration;
///
/// anyio::run(async {
///     // At most two "downloads" at a time.
///     let sizes = anyio::task::amap(
///         |page: u32| async move {
///             anyio::sleep(Duration::from_millis(1)).await;
///             page * 100
///         },
///         1..=5,
///         2,
///     )
///     .await;
///     assert_eq!(sizes, [100, 200, 300, 400, 500]);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub async fn amap<A, F, Fut>(
    mut f: F,
    args: impl IntoIterator<Item = A>,
    limit: impl Into<Option<usize>>,
) -> Vec<Fut::Output>
where
    F: FnMut(A) -> Fut,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    let futures = args.into_iter().map(move |arg| infallible(f(arg)));
    match run_all(futures, bound(limit.into()), type_name::<Fut>()).await {
        Ok(outputs) => outputs,
        Err(error) => error.unreachable(),
    }
}

/// Calls `f` on every item of `args` and runs the futures it returns concurrently, each as a
/// child task of a [task group](crate::task_group), at most `limit` at a time; returns their
/// values in the order of `args`, or the errors: the first error cancels the others, and
/// (with a limit) no further item is taken from `args`.
///
/// `limit` is as for [`amap`]: a count, or `None` (or `0`) for no limit.
///
/// # Errors
/// [`TaskGroupError`] with the errors of the futures that failed, in the order they failed
/// (as for [`try_gather`](super::try_gather)).
///
/// # Panics
/// As for [`amap`].
///
/// # Cancel safety
/// As for [`amap`].
///
/// # Examples
/// ```
/// #[derive(Debug, PartialEq)]
/// struct Negative(i32);
///
/// anyio::run(async {
///     let checked = |n: i32| async move {
///         anyio::lowlevel::checkpoint().await;
///         if n < 0 { Err(Negative(n)) } else { Ok(n * 2) }
///     };
///     assert_eq!(anyio::task::try_amap(checked, [1, 2, 3], 2).await.unwrap(), [2, 4, 6]);
///     let error = anyio::task::try_amap(checked, [1, -2, 3], None).await.unwrap_err();
///     assert_eq!(error.into_first(), Negative(-2));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub async fn try_amap<A, F, Fut, T, E>(
    f: F,
    args: impl IntoIterator<Item = A>,
    limit: impl Into<Option<usize>>,
) -> Result<Vec<T>, TaskGroupError<E>>
where
    F: FnMut(A) -> Fut,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    run_all(
        args.into_iter().map(f),
        bound(limit.into()),
        type_name::<Fut>(),
    )
    .await
}

/// `0` is no limit, as `None` is.
fn bound(limit: Option<usize>) -> Option<usize> {
    limit.filter(|&limit| limit > 0)
}
