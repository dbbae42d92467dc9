//! The errors of task groups: [`TaskGroupError`] (what failed) and [`GroupClosedError`]
//! (spawning into a group that does not run).

use std::fmt;

/// Every error of a failed task group, in the order the tasks failed (AnyIO raises an
/// exception group).
///
/// It is never empty. A group that was only cancelled is not an error: see
/// [`task_group`](crate::task_group).
///
/// It is a [`std::error::Error`] whenever the group's error type can be displayed, which
/// covers `io::Error`, `Box<dyn Error + Send + Sync>`, `anyhow::Error` and your own error
/// types, so `?` turns it into a `Box<dyn Error>`. Its message shows every error's message.
///
/// # Examples
/// ```
/// use std::io;
///
/// async fn fetch_both() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
///     anyio::task_group(|tg| async move {
///         tg.spawn(async { Err::<(), _>(io::Error::other("first mirror is down")) });
///         Ok::<_, io::Error>(())
///     })
///     .await?; // a `TaskGroupError<io::Error>` becomes a boxed error
///     Ok(())
/// }
///
/// anyio::run(async {
///     let error = fetch_both().await.unwrap_err();
///     assert_eq!(error.to_string(), "a task group failed: first mirror is down");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Debug)]
pub struct TaskGroupError<E> {
    errors: Vec<E>,
}

impl<E> TaskGroupError<E> {
    /// The error of a group whose tasks failed with `errors`.
    pub(crate) fn new(errors: Vec<E>) -> Self {
        debug_assert!(!errors.is_empty(), "a task group error holds an error");
        TaskGroupError { errors }
    }

    /// The errors, in the order the tasks failed.
    ///
    /// # Examples
    /// ```
    /// # anyio::run(async {
    /// let error = anyio::task_group(|_tg| async { Err::<(), _>("bad") }).await.unwrap_err();
    /// assert_eq!(error.errors(), ["bad"]);
    /// # })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn errors(&self) -> &[E] {
        &self.errors
    }

    /// The errors, owned.
    ///
    /// # Examples
    /// ```
    /// # anyio::run(async {
    /// let error = anyio::task_group(|_tg| async { Err::<(), _>("bad") }).await.unwrap_err();
    /// assert_eq!(error.into_errors(), vec!["bad"]);
    /// # })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn into_errors(self) -> Vec<E> {
        self.errors
    }

    /// The first error, which usually caused the others' cancellation.
    ///
    /// # Examples
    /// ```
    /// # anyio::run(async {
    /// let error = anyio::task_group(|_tg| async { Err::<(), _>("bad") }).await.unwrap_err();
    /// assert_eq!(error.first(), &"bad");
    /// # })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn first(&self) -> &E {
        &self.errors[0]
    }

    /// The first error, owned (the others are dropped).
    ///
    /// # Examples
    /// ```
    /// # anyio::run(async {
    /// let error = anyio::task_group(|_tg| async { Err::<(), _>(7) }).await.unwrap_err();
    /// assert_eq!(error.into_first(), 7);
    /// # })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn into_first(self) -> E {
        self.errors
            .into_iter()
            .next()
            .expect("a task group error holds an error")
    }
}

impl TaskGroupError<std::convert::Infallible> {
    /// The error of a group whose tasks cannot fail, which cannot exist.
    pub(crate) fn unreachable(self) -> ! {
        match self.errors.into_iter().next() {
            Some(never) => match never {},
            None => unreachable!("a task group error holds an error"),
        }
    }
}

impl<E: fmt::Display> fmt::Display for TaskGroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errors.as_slice() {
            [only] => write!(f, "a task group failed: {only}"),
            errors => {
                write!(f, "{} tasks in a task group failed: ", errors.len())?;
                for (index, error) in errors.iter().enumerate() {
                    if index > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{error}")?;
                }
                Ok(())
            }
        }
    }
}

/// The bound is `Debug + Display` rather than `Error` so that groups of boxed errors and
/// `anyhow::Error` (which are not `Error` themselves) are errors too. For the same reason the
/// errors cannot be offered as [`source`](std::error::Error::source): read them with
/// [`errors`](TaskGroupError::errors).
impl<E: fmt::Debug + fmt::Display> std::error::Error for TaskGroupError<E> {}

/// Spawning into a task group that is not running: it has not started, or has finished.
///
/// # Examples
/// ```
/// let error = anyio::GroupClosedError::new();
/// assert_eq!(error.to_string(), "this task group is not active; no new tasks can be started");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupClosedError {
    _private: (),
}

impl GroupClosedError {
    /// The error, for code that wraps anyio's spawning.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::GroupClosedError::new(), anyio::GroupClosedError::default());
    /// ```
    pub fn new() -> Self {
        GroupClosedError { _private: () }
    }
}

impl Default for GroupClosedError {
    fn default() -> Self {
        GroupClosedError::new()
    }
}

impl fmt::Display for GroupClosedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("this task group is not active; no new tasks can be started")
    }
}

impl std::error::Error for GroupClosedError {}
