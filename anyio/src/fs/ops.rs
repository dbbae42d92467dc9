//! Whole-file and path operations: each one system call (or a few) on a worker thread.
//!
//! Every function takes its paths by value (anything `AsRef<Path>`), copies them, and returns a
//! `Send + 'static` future: it can be spawned, and it borrows nothing from the caller.
//!
//! # Cancel safety
//! The same for each function: the call runs on a worker thread that cannot be stopped, so a
//! cancelled caller waits for it (the wait holds the enclosing scopes, as
//! [`to_thread::run_sync`](crate::to_thread::run_sync) does) and its result is then dropped.
//! The operation has happened, or failed, by the time the cancellation takes effect; it is
//! never left half done by anyio.

use std::fs::{Metadata, Permissions};
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};

use super::error::{with_path, with_paths};
use crate::to_thread;

/// Runs `operation` on `path` on a worker thread, naming the path and `action` in its error.
fn on_path<T, F>(
    action: &'static str,
    path: impl AsRef<Path>,
    operation: F,
) -> impl Future<Output = io::Result<T>> + Send + 'static
where
    F: FnOnce(&Path) -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    let path = path.as_ref().to_owned();
    to_thread::run_sync(move || operation(&path).map_err(|error| with_path(action, &path, error)))
}

/// Runs `operation` on two paths on a worker thread, naming both in its error.
fn on_paths<T, F>(
    action: &'static str,
    from: impl AsRef<Path>,
    to: impl AsRef<Path>,
    operation: F,
) -> impl Future<Output = io::Result<T>> + Send + 'static
where
    F: FnOnce(&Path, &Path) -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    to_thread::run_sync(move || {
        operation(&from, &to).map_err(|error| with_paths(action, &from, &to, error))
    })
}

/// Whether `path` exists (`std::fs::exists`): `Ok(false)` when it is not found, an error when
/// that cannot be told (a permission denied on a parent directory) and, as in std, when a
/// parent is not a directory (where Python's `Path.exists` says `False`).
///
/// # Cancel safety
/// Runs to its end once started; see [Cancel safety](crate::fs#cancel-safety).
///
/// # Examples
/// ```
/// anyio::run(async {
///     assert!(anyio::fs::exists("/").await?);
///     assert!(!anyio::fs::exists("/no/such/path").await?);
///     Ok::<(), std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn exists(path: impl AsRef<Path>) -> impl Future<Output = io::Result<bool>> + Send + 'static {
    on_path("look for", path, |path| std::fs::exists(path))
}

/// The metadata of `path`, following symbolic links (`std::fs::metadata`).
///
/// # Cancel safety
/// Runs to its end once started; see [Cancel safety](crate::fs#cancel-safety).
///
/// # Examples
/// ```
/// anyio::run(async {
///     assert!(anyio::fs::metadata("/").await?.is_dir());
///     Ok::<(), std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn metadata(
    path: impl AsRef<Path>,
) -> impl Future<Output = io::Result<Metadata>> + Send + 'static {
    on_path("read the metadata of", path, |path| std::fs::metadata(path))
}

/// The metadata of `path` itself, not following a symbolic link (`std::fs::symlink_metadata`).
///
/// # Cancel safety
/// Runs to its end once started; see [Cancel safety](crate::fs#cancel-safety).
///
/// # Examples
/// ```
/// anyio::run(async {
///     assert!(anyio::fs::symlink_metadata("/").await?.is_dir());
///     Ok::<(), std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn symlink_metadata(
    path: impl AsRef<Path>,
) -> impl Future<Output = io::Result<Metadata>> + Send + 'static {
    on_path("read the metadata of", path, |path| {
        std::fs::symlink_metadata(path)
    })
}

/// The whole contents of the file at `path` (`std::fs::read`).
///
/// # Cancel safety
/// Runs to its end once started; see [Cancel safety](crate::fs#cancel-safety).
///
/// # Examples
/// ```
/// anyio::run(async {
///     let path = std::env::temp_dir().join(format!("anyio-doc-read-{}", std::process::id()));
///     anyio::fs::write(&path, b"hello").await?;
///     assert_eq!(anyio::fs::read(&path).await?, b"hello");
///     anyio::fs::remove_file(&path).await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read(path: impl AsRef<Path>) -> impl Future<Output = io::Result<Vec<u8>>> + Send + 'static {
    on_path("read", path, |path| std::fs::read(path))
}

/// The whole contents of the file at `path`, as UTF-8 (`std::fs::read_to_string`).
///
/// # Cancel safety
/// Runs to its end once started; see [Cancel safety](crate::fs#cancel-safety).
///
/// # Examples
/// ```
/// anyio::run(async {
///     let path = std::env::temp_dir().join(format!("anyio-doc-text-{}", std::process::id()));
///     anyio::fs::write(&path, "héllo").await?;
///     assert_eq!(anyio::fs::read_to_string(&path).await?, "héllo");
///     anyio::fs::remove_file(&path).await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_to_string(
    path: impl AsRef<Path>,
) -> impl Future<Output = io::Result<String>> + Send + 'static {
    on_path("read", path, |path| std::fs::read_to_string(path))
}

/// Writes `contents` to the file at `path`, creating it or replacing what it held
/// (`std::fs::write`).
///
/// # Cancel safety
/// Runs to its end once started; see [Cancel safety](crate::fs#cancel-safety).
///
/// # Examples
/// See [`read`].
pub fn write(
    path: impl AsRef<Path>,
    contents: impl AsRef<[u8]>,
) -> impl Future<Output = io::Result<()>> + Send + 'static {
    let contents = contents.as_ref().to_owned();
    on_path("write", path, move |path| std::fs::write(path, contents))
}

/// Creates the directory `path`; its parent must exist (`std::fs::create_dir`).
///
/// # Cancel safety
/// Runs to its end once started; see [Cancel safety](crate::fs#cancel-safety).
///
/// # Examples
/// ```
/// anyio::run(async {
///     let path = std::env::temp_dir().join(format!("anyio-doc-dir-{}", std::process::id()));
///     anyio::fs::create_dir(&path).await?;
///     assert!(anyio::fs::metadata(&path).await?.is_dir());
///     anyio::fs::remove_dir(&path).await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn create_dir(path: impl AsRef<Path>) -> impl Future<Output = io::Result<()>> + Send + 'static {
    on_path("create the directory", path, |path| {
        std::fs::create_dir(path)
    })
}

/// Creates the directory `path` and every missing parent (`std::fs::create_dir_all`).
///
/// # Cancel safety
/// Runs to its end once started; see [Cancel safety](crate::fs#cancel-safety).
///
/// # Examples
/// ```
/// anyio::run(async {
///     let top = std::env::temp_dir().join(format!("anyio-doc-dirs-{}", std::process::id()));
///     anyio::fs::create_dir_all(top.join("a/b")).await?;
///     assert!(anyio::fs::exists(top.join("a/b")).await?);
///     anyio::fs::remove_dir_all(&top).await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn create_dir_all(
    path: impl AsRef<Path>,
) -> impl Future<Output = io::Result<()>> + Send + 'static {
    on_path("create the directory", path, |path| {
        std::fs::create_dir_all(path)
    })
}

/// Removes the file (or symbolic link) at `path` (`std::fs::remove_file`).
///
/// # Cancel safety
/// Runs to its end once started; see [Cancel safety](crate::fs#cancel-safety).
///
/// # Examples
/// See [`read`].
pub fn remove_file(
    path: impl AsRef<Path>,
) -> impl Future<Output = io::Result<()>> + Send + 'static {
    on_path("remove", path, |path| std::fs::remove_file(path))
}

/// Removes the empty directory at `path` (`std::fs::remove_dir`).
///
/// # Cancel safety
/// Runs to its end once started; see [Cancel safety](crate::fs#cancel-safety).
///
/// # Examples
/// See [`create_dir`].
pub fn remove_dir(path: impl AsRef<Path>) -> impl Future<Output = io::Result<()>> + Send + 'static {
    on_path("remove the directory", path, |path| {
        std::fs::remove_dir(path)
    })
}

/// Removes the directory at `path` and everything in it (`std::fs::remove_dir_all`).
///
/// # Cancel safety
/// Runs to its end once started; see [Cancel safety](crate::fs#cancel-safety).
///
/// # Examples
/// See [`create_dir_all`].
pub fn remove_dir_all(
    path: impl AsRef<Path>,
) -> impl Future<Output = io::Result<()>> + Send + 'static {
    on_path("remove the directory", path, |path| {
        std::fs::remove_dir_all(path)
    })
}

/// Renames `from` to `to`, replacing `to` if it is a file (`std::fs::rename`).
///
/// # Cancel safety
/// Runs to its end once started; see [Cancel safety](crate::fs#cancel-safety).
///
/// # Examples
/// ```
/// anyio::run(async {
///     let dir = std::env::temp_dir();
///     let id = std::process::id();
///     let (a, b) = (dir.join(format!("anyio-doc-a-{id}")), dir.join(format!("anyio-doc-b-{id}")));
///     anyio::fs::write(&a, "x").await?;
///     anyio::fs::rename(&a, &b).await?;
///     assert!(!anyio::fs::exists(&a).await? && anyio::fs::exists(&b).await?);
///     anyio::fs::remove_file(&b).await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn rename(
    from: impl AsRef<Path>,
    to: impl AsRef<Path>,
) -> impl Future<Output = io::Result<()>> + Send + 'static {
    on_paths("rename", from, to, |from, to| std::fs::rename(from, to))
}

/// Copies the contents and permissions of the file `from` to `to`, and returns the number of
/// bytes copied (`std::fs::copy`).
///
/// # Cancel safety
/// Runs to its end once started; see [Cancel safety](crate::fs#cancel-safety).
///
/// # Examples
/// ```
/// anyio::run(async {
///     let dir = std::env::temp_dir();
///     let id = std::process::id();
///     let (a, b) = (dir.join(format!("anyio-doc-c-{id}")), dir.join(format!("anyio-doc-d-{id}")));
///     anyio::fs::write(&a, "copy me").await?;
///     assert_eq!(anyio::fs::copy(&a, &b).await?, 7);
///     anyio::fs::remove_file(&a).await?;
///     anyio::fs::remove_file(&b).await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn copy(
    from: impl AsRef<Path>,
    to: impl AsRef<Path>,
) -> impl Future<Output = io::Result<u64>> + Send + 'static {
    on_paths("copy", from, to, |from, to| std::fs::copy(from, to))
}

/// Makes `link` a new name (a hard link) for the file `original` (`std::fs::hard_link`).
///
/// # Cancel safety
/// Runs to its end once started; see [Cancel safety](crate::fs#cancel-safety).
///
/// # Examples
/// ```
/// anyio::run(async {
///     let dir = std::env::temp_dir();
///     let id = std::process::id();
///     let (a, b) = (dir.join(format!("anyio-doc-e-{id}")), dir.join(format!("anyio-doc-f-{id}")));
///     anyio::fs::write(&a, "shared").await?;
///     anyio::fs::hard_link(&a, &b).await?;
///     assert_eq!(anyio::fs::read(&b).await?, b"shared");
///     anyio::fs::remove_file(&a).await?;
///     anyio::fs::remove_file(&b).await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn hard_link(
    original: impl AsRef<Path>,
    link: impl AsRef<Path>,
) -> impl Future<Output = io::Result<()>> + Send + 'static {
    on_paths("link", original, link, |original, link| {
        std::fs::hard_link(original, link)
    })
}

/// Makes `link` a symbolic link pointing at `original` (`std::os::unix::fs::symlink`).
///
/// # Cancel safety
/// Runs to its end once started; see [Cancel safety](crate::fs#cancel-safety).
///
/// # Examples
/// ```
/// anyio::run(async {
///     let link = std::env::temp_dir().join(format!("anyio-doc-link-{}", std::process::id()));
///     anyio::fs::symlink("/", &link).await?;
///     assert_eq!(anyio::fs::read_link(&link).await?, std::path::Path::new("/"));
///     anyio::fs::remove_file(&link).await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(unix)]
pub fn symlink(
    original: impl AsRef<Path>,
    link: impl AsRef<Path>,
) -> impl Future<Output = io::Result<()>> + Send + 'static {
    on_paths("link", original, link, |original, link| {
        std::os::unix::fs::symlink(original, link)
    })
}

/// Where the symbolic link `path` points (`std::fs::read_link`).
///
/// # Cancel safety
/// Runs to its end once started; see [Cancel safety](crate::fs#cancel-safety).
///
/// # Examples
/// See [`symlink`].
pub fn read_link(
    path: impl AsRef<Path>,
) -> impl Future<Output = io::Result<PathBuf>> + Send + 'static {
    on_path("read the link", path, |path| std::fs::read_link(path))
}

/// The absolute form of `path`, with every symbolic link resolved (`std::fs::canonicalize`).
///
/// # Cancel safety
/// Runs to its end once started; see [Cancel safety](crate::fs#cancel-safety).
///
/// # Examples
/// ```
/// anyio::run(async {
///     assert_eq!(anyio::fs::canonicalize("/.").await?, std::path::Path::new("/"));
///     Ok::<(), std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn canonicalize(
    path: impl AsRef<Path>,
) -> impl Future<Output = io::Result<PathBuf>> + Send + 'static {
    on_path("resolve", path, |path| std::fs::canonicalize(path))
}

/// Sets the permissions of `path` (`std::fs::set_permissions`).
///
/// # Cancel safety
/// Runs to its end once started; see [Cancel safety](crate::fs#cancel-safety).
///
/// # Examples
/// ```
/// anyio::run(async {
///     let path = std::env::temp_dir().join(format!("anyio-doc-perm-{}", std::process::id()));
///     anyio::fs::write(&path, "").await?;
///     let mut permissions = anyio::fs::metadata(&path).await?.permissions();
///     permissions.set_readonly(true);
///     anyio::fs::set_permissions(&path, permissions).await?;
///     assert!(anyio::fs::metadata(&path).await?.permissions().readonly());
///     anyio::fs::remove_file(&path).await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn set_permissions(
    path: impl AsRef<Path>,
    permissions: Permissions,
) -> impl Future<Output = io::Result<()>> + Send + 'static {
    on_path("set the permissions of", path, move |path| {
        std::fs::set_permissions(path, permissions)
    })
}
