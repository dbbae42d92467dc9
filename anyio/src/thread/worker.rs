//! What a worker thread started by `to_thread::run_sync` knows about the task that started it:
//! the event loop to call back into, and the scope the task was in.

use std::cell::RefCell;
use std::sync::Arc;

use super::token::EventLoopToken;
use crate::backend::instruments::Instruments;
use crate::cancel::node::ScopeNode;
use crate::task::TaskId;

/// The task that started a worker thread, as the thread sees it.
#[derive(Clone, Debug)]
pub(crate) struct Host {
    pub(crate) token: EventLoopToken,
    /// The scope the task was in when it called `run_sync`; `None` outside every scope.
    pub(crate) scope: Option<Arc<ScopeNode>>,
    pub(crate) task: Option<TaskId>,
    /// The instruments whose virtual clock the `run_sync` call holds while the thread works;
    /// a call back into the loop lends that hold (see `Instruments::lend_hold`).
    pub(crate) clock: Option<Arc<Instruments>>,
}

thread_local! {
    static HOST: RefCell<Option<Host>> = const { RefCell::new(None) };
}

/// Runs `work` on this thread with `host` as its host.
pub(crate) fn hosted_by<R>(host: Host, work: impl FnOnce() -> R) -> R {
    struct Restore(Option<Host>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            // The host goes before the caller learns the result, so that its scope is not
            // kept alive by an idle thread.
            drop(HOST.with(|current| current.replace(previous)));
        }
    }
    let _restore = Restore(HOST.with(|current| current.replace(Some(host))));
    work()
}

/// The host of this thread, if a `to_thread::run_sync` call runs on it.
pub(crate) fn host() -> Option<Host> {
    HOST.with(|current| current.borrow().clone())
}

/// Whether the host's scope is cancelled; `None` on a thread without a host.
pub(crate) fn host_cancelled() -> Option<bool> {
    HOST.with(|current| {
        current.borrow().as_ref().map(|host| {
            host.scope
                .as_ref()
                .is_some_and(|scope| scope.effectively_cancelled())
        })
    })
}
