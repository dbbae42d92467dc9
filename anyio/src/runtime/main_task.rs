//! The runner's main future, running as an anyio task named "anyio::run".

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use std::sync::Arc;
use std::task::Waker;

use pin_project_lite::pin_project;

use crate::backend::instruments::{Instruments, TaskTrack};
use crate::task::{self, TaskInfo};

pin_project! {
    /// Makes the main future an anyio task: `get_current_task()` works in it, and the tasks it
    /// spawns name it as their parent.
    pub(crate) struct MainTask<F> {
        #[pin]
        future: F,
        task: TaskInfo,
        _registration: task::Registration,
        // The runtime's instruments, when it is run for testing: the main future is tracked
        // like a spawned task.
        tracking: Option<(Arc<Instruments>, Arc<TaskTrack>, Waker)>,
    }

    impl<F> PinnedDrop for MainTask<F> {
        fn drop(this: Pin<&mut Self>) {
            if let Some((_, track, _)) = this.tracking.as_ref() {
                track.finish_if_live();
            }
        }
    }
}

impl<F> MainTask<F> {
    /// The main task's identity.
    #[cfg(feature = "tracing")]
    pub(crate) fn info(&self) -> &TaskInfo {
        &self.task
    }

    pub(crate) fn new(future: F, instruments: Option<Arc<Instruments>>) -> Self {
        let info = TaskInfo::new("anyio::run".into(), None);
        let tracking = instruments.map(|instruments| {
            let track = TaskTrack::new(Arc::clone(&instruments));
            let waker = Waker::from(Arc::clone(&track));
            (instruments, track, waker)
        });
        MainTask {
            future,
            _registration: task::register(&info),
            task: info,
            tracking,
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
        let task = this.task;
        match this.tracking.as_ref() {
            Some((instruments, track, waker)) => {
                // On the first poll, inside the runtime: from now on its tasks are tracked.
                instruments.install();
                track.poll_with(waker, cx, |cx| task::with_current(task, || future.poll(cx)))
            }
            None => task::with_current(task, || future.poll(cx)),
        }
    }
}
