//! [`TaskGroupExecutor`]: hyper's background tasks as children of an anyio task group.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;

use crate::TaskGroup;

/// A hyper [`Executor`](::hyper::rt::Executor) that spawns hyper's tasks into an anyio
/// [`TaskGroup`]: the streams of an HTTP/2 connection, a client connection's background work.
///
/// They are ordinary children of the group: cancelling the group (or a scope around it)
/// cancels them, and the group waits for them before it completes. Give a server one
/// group per connection (the handler of [`Listener::serve`](crate::streams::Listener::serve)
/// opens it), so that a connection's streams are that connection's children.
///
/// A task that hyper hands over once the group has completed (or while it is cancelled and
/// not accepting children: see [`TaskGroup::try_spawn`]) is dropped at once, which ends
/// the HTTP/2 stream or connection it drives; it is logged at `debug` level through `tracing`
/// (target `anyio::hyper`).
///
/// # Examples
/// ```
/// use anyio::hyper::{AnyioTimer, TaskGroupExecutor};
///
/// anyio::run(async {
///     anyio::task_group(|tg| async move {
///         // An HTTP/2 server connection whose streams are children of `tg`.
///         let mut builder = hyper::server::conn::http2::Builder::new(TaskGroupExecutor::new(tg));
///         builder.timer(AnyioTimer);
///         # drop(builder);
///     })
///     .await
///     .unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct TaskGroupExecutor<E = Infallible> {
    group: TaskGroup<E>,
}

impl<E> TaskGroupExecutor<E> {
    /// An executor that spawns into `group`.
    ///
    /// # Examples
    /// See [`TaskGroupExecutor`].
    pub fn new(group: TaskGroup<E>) -> Self {
        TaskGroupExecutor { group }
    }

    /// The group it spawns into.
    ///
    /// # Examples
    /// ```
    /// use anyio::hyper::TaskGroupExecutor;
    ///
    /// anyio::run(async {
    ///     anyio::task_group(|tg| async move {
    ///         let executor = TaskGroupExecutor::new(tg);
    ///         executor.task_group().spawn(async {});
    ///     })
    ///     .await
    ///     .unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn task_group(&self) -> &TaskGroup<E> {
        &self.group
    }
}

impl<E> Clone for TaskGroupExecutor<E> {
    fn clone(&self) -> Self {
        TaskGroupExecutor {
            group: self.group.clone(),
        }
    }
}

impl<E> fmt::Debug for TaskGroupExecutor<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroupExecutor")
            .field("group", &self.group)
            .finish()
    }
}

impl<E, F> ::hyper::rt::Executor<F> for TaskGroupExecutor<E>
where
    E: Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    fn execute(&self, future: F) {
        // The executor cannot return an error to hyper: a group that no longer takes
        // children has stopped serving, and dropping the task ends what it drives.
        if let Err(closed) = self.group.try_spawn(future) {
            tracing::debug!(
                target: "anyio::hyper",
                error = %closed,
                "hyper handed over a task after its task group closed; it was dropped"
            );
        }
    }
}
