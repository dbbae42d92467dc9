//! What a task returns: `()` or a `Result`.

/// The output of a child task: `()` (it cannot fail) or `Result<T, E>`, where `E` is its
/// task group's error type.
///
/// Implemented for `()` and `Result<T, E>` only (sealed).
///
/// # Examples
/// ```
/// #[derive(Debug)]
/// struct Failed;
///
/// anyio::run(async {
///     let result = anyio::task_group(|tg| async move {
///         tg.spawn(async {});                          // `()`: cannot fail
///         tg.spawn(async { Ok::<u32, Failed>(1) });     // `Result<_, Failed>`
///         Ok::<_, Failed>("body value")                 // the body names the error type
///     })
///     .await;
///     assert_eq!(result.unwrap(), Some("body value"));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "a child task must return `()` or `Result<_, {E}>`, where `{E}` is its task group's error type",
    label = "this task returns `{Self}`",
    note = "a task group's error type is the error type of its body: a body that returns `()` makes it `Infallible`; return `Ok::<_, YourError>(..)` from the body to choose another"
)]
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

/// The output of a task group's body, which decides the group's error type: `()` (the group's
/// tasks cannot fail: the error type is [`Infallible`](std::convert::Infallible)) or
/// `Result<T, E>` (the error type is `E`).
///
/// Because the error type comes from the body's output, the closure given to
/// [`task_group`](crate::task_group) needs no annotation: `|tg| async move { .. }`.
///
/// Implemented for `()` and `Result<T, E>` only (sealed).
///
/// # Examples
/// ```
/// anyio::run(async {
///     // The body returns `()`: the group cannot fail.
///     let nothing = anyio::task_group(|tg| async move { tg.spawn(async {}); }).await;
///     assert_eq!(nothing.unwrap(), Some(()));
///     // The body returns `Result<_, std::io::Error>`: so may its children.
///     let value = anyio::task_group(|tg| async move {
///         tg.spawn(async { Ok::<(), std::io::Error>(()) });
///         Ok::<_, std::io::Error>(7)
///     })
///     .await;
///     assert_eq!(value.unwrap(), Some(7));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "a task group's body must return `()` or a `Result`, not `{Self}`",
    label = "the body returns `{Self}`"
)]
pub trait BodyResult: sealed::SealedBody {
    /// The value on success.
    type Ok;
    /// The group's error type.
    type Error;

    /// The output as a `Result`.
    fn into_result(self) -> Result<Self::Ok, Self::Error>;
}

impl BodyResult for () {
    type Ok = ();
    type Error = std::convert::Infallible;

    fn into_result(self) -> Result<(), std::convert::Infallible> {
        Ok(())
    }
}

impl<T, E> BodyResult for Result<T, E> {
    type Ok = T;
    type Error = E;

    fn into_result(self) -> Result<T, E> {
        self
    }
}

mod sealed {
    pub trait Sealed<E> {}
    impl<E> Sealed<E> for () {}
    impl<T, E> Sealed<E> for Result<T, E> {}

    pub trait SealedBody {}
    impl SealedBody for () {}
    impl<T, E> SealedBody for Result<T, E> {}
}
