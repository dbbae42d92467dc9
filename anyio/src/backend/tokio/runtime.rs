//! Building and running a tokio runtime for [`Runner`](crate::Runner).

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};

use ::tokio::runtime::Builder;

use crate::backend::{self, Active};
use crate::runtime::{Backend, RunError, TokioFlavor, TokioOptions};

/// Builds the runtime the options describe, runs `future` on it, and shuts it down.
pub(crate) fn run<F: Future>(options: TokioOptions, future: F) -> Result<F::Output, RunError> {
    let mut builder = match options.factory {
        Some(factory) => factory(),
        None => match options.flavor.unwrap_or(TokioFlavor::MultiThread) {
            TokioFlavor::CurrentThread => Builder::new_current_thread(),
            TokioFlavor::MultiThread => {
                let mut builder = Builder::new_multi_thread();
                if let Some(count) = options.worker_threads {
                    builder.worker_threads(count);
                }
                builder
            }
        },
    };
    let runtime = builder
        .enable_all()
        .build()
        .map_err(|source| RunError::Build {
            backend: Backend::Tokio,
            source,
        })?;

    // The marker outlives the runtime: tasks dropped during shutdown still see tokio.
    let _marker = backend::enter(Active::Tokio);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| runtime.block_on(future)));
    drop(runtime);
    match outcome {
        Ok(output) => Ok(output),
        Err(payload) => panic::resume_unwind(payload),
    }
}
