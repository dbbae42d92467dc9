//! [`RunVar`]: a variable with a value per runtime (AnyIO's `lowlevel.RunVar`).

use std::error::Error;
use std::fmt;

use crate::backend::runtime_local::{RuntimeLocal, RuntimeTicket};
use crate::runtime::NoEventLoopError;

/// A variable whose value belongs to one runtime (AnyIO's `lowlevel.RunVar`): each
/// [`run`](crate::run) (each tokio runtime, each anyio smol runner) sees its own value, and
/// the value goes when the runtime ends.
///
/// A library uses one for state that must not leak between event loops, as anyio keeps the
/// default thread limiter: a cache of connections, a per-loop registry. Declare it as a
/// `static`; its methods take `&'static self`. Values are cloned out, so make `T` cheap to
/// clone (wrap larger state in an `Arc`).
///
/// Code under a native `smol::block_on` shares one value per process: anyio serves all such
/// code from one process-wide executor, which never ends.
///
/// # Examples
/// ```
/// use anyio::lowlevel::RunVar;
///
/// static REQUESTS: RunVar<u64> = RunVar::with_default("requests", || 0);
///
/// fn count_request() -> u64 {
///     let next = REQUESTS.get().unwrap() + 1;
///     REQUESTS.set(next).unwrap();
///     next
/// }
///
/// anyio::run(async {
///     count_request();
///     assert_eq!(count_request(), 2);
/// })?;
/// // A new run starts from the default again.
/// anyio::run(async { assert_eq!(count_request(), 1) })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct RunVar<T> {
    name: &'static str,
    default: Option<fn() -> T>,
    values: RuntimeLocal<T>,
}

impl<T: Clone + Send + 'static> RunVar<T> {
    /// A variable called `name` (for errors and `Debug`) with no value until one is
    /// [`set`](Self::set).
    ///
    /// # Examples
    /// ```
    /// use anyio::lowlevel::{RunVar, RunVarError};
    ///
    /// static NAME: RunVar<String> = RunVar::new("name");
    ///
    /// anyio::run(async {
    ///     assert!(matches!(NAME.get(), Err(RunVarError::NotSet { name: "name" })));
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub const fn new(name: &'static str) -> RunVar<T> {
        RunVar {
            name,
            default: None,
            values: RuntimeLocal::new(),
        }
    }

    /// A variable called `name` whose value, until one is set, is `default()`.
    ///
    /// # Examples
    /// See [`RunVar`].
    pub const fn with_default(name: &'static str, default: fn() -> T) -> RunVar<T> {
        RunVar {
            name,
            default: Some(default),
            values: RuntimeLocal::new(),
        }
    }

    /// The variable's name.
    ///
    /// # Examples
    /// ```
    /// static LIMIT: anyio::lowlevel::RunVar<u32> = anyio::lowlevel::RunVar::new("limit");
    /// assert_eq!(LIMIT.name(), "limit");
    /// ```
    pub fn name(&'static self) -> &'static str {
        self.name
    }

    /// The value for the runtime that runs the calling code (a clone), or the default.
    ///
    /// # Errors
    /// [`RunVarError::NotSet`] when no value was set in this runtime and there is no
    /// default; [`RunVarError::NoEventLoop`] outside any runtime anyio can use.
    ///
    /// # Examples
    /// See [`RunVar`].
    pub fn get(&'static self) -> Result<T, RunVarError> {
        match self.values.get()? {
            Some(value) => Ok(value),
            None => match self.default {
                Some(default) => Ok(default()),
                None => Err(RunVarError::NotSet { name: self.name }),
            },
        }
    }

    /// Sets the value for the runtime that runs the calling code, and returns a token that
    /// [`reset`](Self::reset) takes to put back what was there before.
    ///
    /// # Errors
    /// [`RunVarError::NoEventLoop`] outside any runtime anyio can use.
    ///
    /// # Examples
    /// ```
    /// use anyio::lowlevel::RunVar;
    ///
    /// static DEPTH: RunVar<u32> = RunVar::with_default("depth", || 0);
    ///
    /// anyio::run(async {
    ///     let token = DEPTH.set(5).unwrap();
    ///     assert_eq!(DEPTH.get().unwrap(), 5);
    ///     DEPTH.reset(token).unwrap();
    ///     assert_eq!(DEPTH.get().unwrap(), 0);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn set(&'static self, value: T) -> Result<RunVarToken<T>, RunVarError> {
        let runtime = RuntimeTicket::current()?;
        let previous = self.values.replace(Some(value))?;
        Ok(RunVarToken {
            var: self.identity(),
            var_name: self.name,
            runtime,
            previous,
        })
    }

    /// Puts back the value that was there before the [`set`](Self::set) that made `token`.
    ///
    /// A token is used up by its reset, so it cannot be reset twice (AnyIO checks for that
    /// at run time; here the compiler does).
    ///
    /// # Errors
    /// [`RunVarError::ForeignToken`] for a token of another variable or of another runtime;
    /// [`RunVarError::NoEventLoop`] outside any runtime anyio can use.
    ///
    /// # Examples
    /// ```
    /// use anyio::lowlevel::{RunVar, RunVarError};
    ///
    /// static A: RunVar<u8> = RunVar::new("a");
    /// static B: RunVar<u8> = RunVar::new("b");
    ///
    /// anyio::run(async {
    ///     let token = A.set(1).unwrap();
    ///     assert!(matches!(B.reset(token), Err(RunVarError::ForeignToken { .. })));
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn reset(&'static self, token: RunVarToken<T>) -> Result<(), RunVarError> {
        let here = RuntimeTicket::current()?;
        let other_runtime = !token.runtime.same_runtime(&here);
        if token.var != self.identity() || other_runtime {
            return Err(RunVarError::ForeignToken {
                name: self.name,
                token_of: token.var_name,
                other_runtime,
            });
        }
        self.values.replace(token.previous)?;
        Ok(())
    }

    fn identity(&'static self) -> usize {
        std::ptr::from_ref(self) as usize
    }
}

impl<T> fmt::Debug for RunVar<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunVar")
            .field("name", &self.name)
            .field("has_default", &self.default.is_some())
            .finish_non_exhaustive()
    }
}

/// What [`RunVar::set`] returns: the way back to the value before it, for
/// [`RunVar::reset`].
///
/// # Examples
/// See [`RunVar::set`].
pub struct RunVarToken<T> {
    var: usize,
    var_name: &'static str,
    runtime: RuntimeTicket,
    previous: Option<T>,
}

impl<T> fmt::Debug for RunVarToken<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunVarToken")
            .field("var", &self.var_name)
            .field("had_a_value", &self.previous.is_some())
            .finish_non_exhaustive()
    }
}

/// Why a [`RunVar`] operation failed.
///
/// # Examples
/// See [`RunVar::new`] and [`RunVar::reset`].
#[derive(Debug)]
#[non_exhaustive]
pub enum RunVarError {
    /// No value was set in this runtime, and the variable has no default (AnyIO's
    /// `LookupError`).
    NotSet {
        /// The variable's name.
        name: &'static str,
    },
    /// The token passed to `reset` was made by another variable's `set`, or in another
    /// runtime (AnyIO's `ValueError`).
    ForeignToken {
        /// The variable being reset.
        name: &'static str,
        /// The variable whose `set` made the token.
        token_of: &'static str,
        /// Whether the token was made in another runtime.
        other_runtime: bool,
    },
    /// Called outside any runtime anyio can use.
    NoEventLoop(NoEventLoopError),
}

impl From<NoEventLoopError> for RunVarError {
    fn from(error: NoEventLoopError) -> Self {
        RunVarError::NoEventLoop(error)
    }
}

impl fmt::Display for RunVarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunVarError::NotSet { name } => {
                write!(f, "the run variable `{name}` has no value in this runtime")
            }
            RunVarError::ForeignToken {
                name,
                token_of,
                other_runtime: true,
            } => write!(
                f,
                "cannot reset the run variable `{name}` with a token made in another runtime \
                 (by `{token_of}`)"
            ),
            RunVarError::ForeignToken { name, token_of, .. } => write!(
                f,
                "cannot reset the run variable `{name}` with a token made by `{token_of}`"
            ),
            RunVarError::NoEventLoop(error) => fmt::Display::fmt(error, f),
        }
    }
}

impl Error for RunVarError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            RunVarError::NoEventLoop(error) => Some(error),
            _ => None,
        }
    }
}
