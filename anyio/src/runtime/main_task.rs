//! The runner's main future, running as an anyio task named "anyio::run".

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::task::{self, TaskInfo};

pin_project! {
    /// Makes the main future an anyio task: `get_current_task()` works in it, and the tasks it
    /// spawns name it as their parent.
    pub(crate) struct MainTask<F> {
        #[pin]
        future: F,
        task: Option<TaskInfo>,
        _registration: task::Registration,
    }
}

impl<F> MainTask<F> {
    pub(crate) fn new(future: F) -> Self {
        let info = TaskInfo::new("anyio::run".into(), None);
        MainTask {
            future,
            _registration: task::register(&info),
            task: Some(info),
        }
    }
}

impl<F: Future> Future for MainTask<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let future = this.future;
        // The task's own cooperative budget (smol; tokio refills its own).
        crate::backend::coop::refill();
        task::with_current(this.task, || future.poll(cx))
    }
}
