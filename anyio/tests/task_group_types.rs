//! Task groups with the error types real programs use: each must compile inside futures that
//! are spawned (into a task group, and with `tokio::spawn`), infer the closure's type from the
//! body, and give a `TaskGroupError` that is a `std::error::Error` usable with `?`.
//!
//! A group awaited inside a spawned future used to fail to compile for
//! `Box<dyn Error + Send + Sync>` ("implementation of `TaskResult` is not general enough"):
//! this file compiling is the regression test for that, and the tests check the values.
#![cfg(feature = "macros")]

use std::convert::Infallible;
use std::error::Error;
use std::fmt;
use std::io;

use anyio::TaskGroupError;

type BoxError = Box<dyn Error + Send + Sync>;

/// Shaped like `anyhow::Error`: `Display` and `Debug`, `From` any error, but not an `Error`
/// itself (so that the `From` impl does not conflict).
struct AnyError(BoxError);

impl fmt::Debug for AnyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for AnyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl<E: Error + Send + Sync + 'static> From<E> for AnyError {
    fn from(error: E) -> Self {
        AnyError(Box::new(error))
    }
}

async fn boxed_group() -> Result<u32, BoxError> {
    let value = anyio::task_group(|tg| async move {
        tg.spawn(async {});
        tg.spawn(async { Err::<(), BoxError>("a boxed failure".into()) });
        Ok::<_, BoxError>(1)
    })
    .await?;
    Ok(value.unwrap_or(0))
}

async fn io_group() -> io::Result<()> {
    anyio::task_group(|tg| async move {
        tg.spawn(async { Err::<(), _>(io::Error::other("an io failure")) });
        Ok::<_, io::Error>(())
    })
    .await
    .map_err(io::Error::other)?;
    Ok(())
}

async fn any_error_group() -> Result<(), AnyError> {
    anyio::task_group(|tg| async move {
        tg.spawn(async { Err::<(), AnyError>(io::Error::other("an anyhow-like failure").into()) });
        Ok::<_, AnyError>(())
    })
    .await
    .map_err(|error| AnyError(error.to_string().into()))?;
    Ok(())
}

async fn infallible_group() -> Option<u8> {
    anyio::task_group(|tg| async move {
        tg.spawn(async {});
        Ok::<_, Infallible>(7)
    })
    .await
    .unwrap()
}

/// A `TaskGroupError` goes into a `Box<dyn Error + Send + Sync>` with `?`.
async fn nested_with_question_mark() -> Result<(), BoxError> {
    anyio::task_group(|tg| async move {
        tg.spawn(async { Err::<(), _>(io::Error::other("inner")) });
        Ok::<_, io::Error>(())
    })
    .await?;
    Ok(())
}

fn assert_error<E: Error + Send + Sync + 'static>(_: &E) {}

#[anyio::test]
async fn groups_of_every_common_error_type_run_inside_spawned_tasks() {
    let outcome = anyio::task_group(|tg| async move {
        let boxed = tg.spawn(async { Ok::<_, BoxError>(boxed_group().await.is_err()) });
        let io = tg.spawn(async { Ok::<_, BoxError>(io_group().await.is_err()) });
        let any = tg.spawn(async { Ok::<_, BoxError>(any_error_group().await.is_err()) });
        let infallible = tg.spawn(async { Ok::<_, BoxError>(infallible_group().await) });
        let nested = tg.spawn(async { Ok::<_, BoxError>(nested_with_question_mark().await) });
        assert!(boxed.await.unwrap());
        assert!(io.await.unwrap());
        assert!(any.await.unwrap());
        assert_eq!(infallible.await.unwrap(), Some(7));
        let nested = nested.await.unwrap().unwrap_err();
        assert_eq!(nested.to_string(), "a task group failed: inner");
        Ok::<_, BoxError>(())
    })
    .await;
    assert!(matches!(outcome, Ok(Some(()))));
}

#[test]
fn groups_of_every_common_error_type_run_inside_tokio_spawn() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        assert!(tokio::spawn(boxed_group()).await.unwrap().is_err());
        assert!(tokio::spawn(io_group()).await.unwrap().is_err());
        assert!(tokio::spawn(any_error_group()).await.unwrap().is_err());
        assert_eq!(tokio::spawn(infallible_group()).await.unwrap(), Some(7));
        assert!(
            tokio::spawn(nested_with_question_mark())
                .await
                .unwrap()
                .is_err()
        );
    });
}

#[anyio::test]
async fn task_group_errors_are_errors_for_every_common_error_type() {
    let boxed: TaskGroupError<BoxError> =
        anyio::task_group(|_tg| async { Err::<(), BoxError>("boxed".into()) })
            .await
            .unwrap_err();
    assert_error(&boxed);
    assert_eq!(boxed.to_string(), "a task group failed: boxed");

    let io: TaskGroupError<io::Error> =
        anyio::task_group(|_tg| async { Err::<(), _>(io::Error::other("io")) })
            .await
            .unwrap_err();
    assert_error(&io);

    let any: TaskGroupError<AnyError> = anyio::task_group(|_tg| async {
        Err::<(), AnyError>(io::Error::other("anyhow-like").into())
    })
    .await
    .unwrap_err();
    assert_error(&any);
    assert_eq!(any.to_string(), "a task group failed: anyhow-like");

    // A group that cannot fail still has an error type that is an error (it is never made).
    fn infallible_is_an_error(error: &TaskGroupError<Infallible>) {
        assert_error(error);
    }
    let _ = infallible_is_an_error;
}

#[anyio::test]
async fn the_message_shows_each_error_with_display_also_when_nested() {
    let inner = anyio::task_group(|tg| async move {
        tg.spawn(async { Err::<(), _>(io::Error::other("disk full")) });
        tg.spawn(async { Err::<(), _>(io::Error::other("network down")) });
        Ok::<_, io::Error>(())
    })
    .await
    .unwrap_err();
    let mut messages: Vec<String> = inner.errors().iter().map(ToString::to_string).collect();
    messages.sort();
    assert_eq!(messages, ["disk full", "network down"]);
    let text = inner.to_string();
    assert!(
        text.starts_with("2 tasks in a task group failed: ")
            && text.contains("disk full")
            && text.contains("network down"),
        "{text}"
    );
    // Nested: the outer message shows the inner one as text, not as `Debug` escapes.
    let outer = anyio::task_group(|_tg| async move { Err::<(), _>(inner) })
        .await
        .unwrap_err();
    assert!(
        outer
            .to_string()
            .starts_with("a task group failed: 2 tasks in a task group failed: "),
        "{outer}"
    );
    assert!(!outer.to_string().contains('\\'), "{outer}");
}
