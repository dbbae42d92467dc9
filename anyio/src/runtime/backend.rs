//! The names of the backends.

use std::fmt;
use std::str::FromStr;

/// An async runtime that anyio can run on.
///
/// Every variant exists whatever features are enabled, so a backend can be named (parsed from
/// `ANYIO_BACKEND`, say) and then reported as not compiled in; [`Backend::is_available`] tells.
///
/// # Examples
/// ```
/// use anyio::Backend;
///
/// let backend: Backend = "smol".parse()?;
/// assert_eq!(backend, Backend::Smol);
/// assert_eq!(backend.to_string(), "smol");
/// assert!("trio".parse::<Backend>().is_err());
/// # Ok::<(), anyio::UnknownBackendError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Backend {
    /// [tokio](https://docs.rs/tokio): the default backend (cargo feature `tokio`, a default
    /// feature).
    Tokio,
    /// [smol](https://docs.rs/smol)'s components: an `async-executor` driven by `async-io`'s
    /// reactor (cargo feature `smol`).
    Smol,
}

impl Backend {
    /// Every backend anyio knows, compiled in or not (AnyIO's `get_all_backends`).
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::Backend::ALL, [anyio::Backend::Tokio, anyio::Backend::Smol]);
    /// ```
    pub const ALL: [Backend; 2] = [Backend::Tokio, Backend::Smol];

    /// The backend's name, as `ANYIO_BACKEND` and [`FromStr`] spell it.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::Backend::Tokio.name(), "tokio");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Backend::Tokio => "tokio",
            Backend::Smol => "smol",
        }
    }

    /// The cargo feature of anyio that compiles this backend in.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::Backend::Smol.feature(), "smol");
    /// ```
    pub const fn feature(self) -> &'static str {
        self.name()
    }

    /// Whether this backend is compiled into this build.
    ///
    /// # Examples
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// // `tokio` is a default feature.
    /// assert!(anyio::Backend::Tokio.is_available());
    /// # }
    /// ```
    pub const fn is_available(self) -> bool {
        match self {
            Backend::Tokio => cfg!(feature = "tokio"),
            Backend::Smol => cfg!(feature = "smol"),
        }
    }

    /// The backends compiled into this build (AnyIO's `get_available_backends`).
    ///
    /// # Examples
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// assert!(anyio::Backend::available().any(|b| b == anyio::Backend::Tokio));
    /// # }
    /// ```
    pub fn available() -> impl Iterator<Item = Backend> {
        Backend::ALL
            .into_iter()
            .filter(|backend| backend.is_available())
    }
}

impl fmt::Display for Backend {
    /// Writes the name; width and alignment flags apply (`{:<5}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for Backend {
    type Err = UnknownBackendError;

    /// Parses a backend name, ignoring ASCII case and surrounding whitespace.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let trimmed = name.trim();
        Backend::ALL
            .into_iter()
            .find(|backend| backend.name().eq_ignore_ascii_case(trimmed))
            .ok_or_else(|| UnknownBackendError {
                name: name.to_owned(),
            })
    }
}

/// A backend name that anyio does not know.
///
/// # Examples
/// ```
/// let error = "trio".parse::<anyio::Backend>().unwrap_err();
/// assert_eq!(error.name(), "trio");
/// assert_eq!(error.to_string(), r#"no such backend: "trio" (the backends are: tokio, smol)"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownBackendError {
    name: String,
}

impl UnknownBackendError {
    /// The name that was not recognised.
    ///
    /// # Examples
    /// ```
    /// assert_eq!("uvloop".parse::<anyio::Backend>().unwrap_err().name(), "uvloop");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for UnknownBackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no such backend: {:?} (the backends are: ", self.name)?;
        for (i, backend) in Backend::ALL.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(backend.name())?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for UnknownBackendError {}
