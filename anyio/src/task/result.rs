//! What a task returns: `()` or a `Result`.

/// The output of a task body or a task group's body: `()` (it cannot fail) or
/// `Result<T, E>`, where `E` is the group's error type.
///
/// Implemented for `()` and `Result<T, E>` only (sealed).
///
/// # Examples
/// ```
/// use anyio::TaskGroup;
///
/// #[derive(Debug)]
/// struct Failed;
///
/// anyio::run(async {
///     let result = anyio::task_group(|tg: TaskGroup<Failed>| async move {
///         tg.spawn(async {});                          // `()`: cannot fail
///         tg.spawn(async { Ok::<u32, Failed>(1) });     // `Result<_, Failed>`
///         Ok::<_, Failed>("body value")
///     })
///     .await;
///     assert_eq!(result.unwrap(), "body value");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub trait TaskResult<E>: sealed::Sealed<E> {
    /// The value on success.
    type Ok;

    /// The output as a `Result`.
    fn into_result(self) -> Result<Self::Ok, E>;
}

impl<E> TaskResult<E> for () {
    type Ok = ();

    fn into_result(self) -> Result<(), E> {
        Ok(())
    }
}

impl<T, E> TaskResult<E> for Result<T, E> {
    type Ok = T;

    fn into_result(self) -> Result<T, E> {
        self
    }
}

mod sealed {
    pub trait Sealed<E> {}
    impl<E> Sealed<E> for () {}
    impl<T, E> Sealed<E> for Result<T, E> {}
}
