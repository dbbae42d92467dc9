//! The smol backend's pool of threads for blocking work (tokio has its own blocking pool).
//!
//! smol's `unblock` uses the `blocking` crate's process-wide pool, whose threads outlive any one
//! runtime by their idle time. anyio's runner promises more: when `Runner::run` returns, no
//! thread it started is left. So each smol runner owns a pool and shuts it down (joining every
//! thread) after its executor is gone; code under a native smol runner, which has no end anyio
//! could see, shares one process-wide pool whose threads retire when idle.
//!
//! The pool keeps no queue: a job goes to the idle thread that has waited longest, or to a new
//! thread. (Handing it to the thread that went idle last, as AnyIO does, would let the others
//! retire sooner, but measured 1.6 times slower per round trip here: that thread is usually
//! still on its way to sleep when the next job comes. tokio's pool and the `blocking` crate
//! also wake the longest sleeper.) With its first thread the pool starts a spare, so that
//! consecutive calls alternate between two threads (see `Shared::execute` for why). The price:
//! under a light, steady load every idle thread is woken now and then, and none reaches its
//! idle timeout; the pool shrinks when the load stops.
//! How many jobs run at once is for the caller to bound (`to_thread` holds a capacity-limiter
//! token per job).

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A unit of blocking work.
pub(crate) type Job = crate::backend::blocking::BlockingJob;

/// How long a thread waits for work before it retires (AnyIO prunes its workers after 10 s).
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// A pool of threads for blocking work.
#[derive(Debug)]
pub(crate) struct WorkerPool {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    idle_timeout: Duration,
}

#[derive(Debug, Default)]
struct State {
    /// Idle threads, the one that has waited longest first.
    idle: std::collections::VecDeque<Arc<Mailbox>>,
    /// Every thread not yet joined; finished ones are pruned when a thread starts.
    threads: Vec<JoinHandle<()>>,
    started: usize,
    shut_down: bool,
}

/// Where an idle thread waits for its next job.
#[derive(Debug, Default)]
struct Mailbox {
    job: Mutex<Letter>,
    arrived: Condvar,
}

#[derive(Default)]
enum Letter {
    #[default]
    None,
    Job(Job),
    /// The pool shut down: exit.
    Stop,
}

impl std::fmt::Debug for Letter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Letter::None => "None",
            Letter::Job(_) => "Job",
            Letter::Stop => "Stop",
        })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Jobs run outside every lock of the pool, so no panic can poison one mid-update.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The pool has shut down; the job is handed back.
pub(crate) struct ShutDown(pub(crate) Job);

impl WorkerPool {
    /// An empty pool.
    pub(crate) fn new() -> WorkerPool {
        WorkerPool::with_idle_timeout(IDLE_TIMEOUT)
    }

    /// An empty pool whose threads retire after `idle_timeout` without work.
    pub(crate) fn with_idle_timeout(idle_timeout: Duration) -> WorkerPool {
        WorkerPool {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                idle_timeout,
            }),
        }
    }

    /// The process-wide pool, for code under a native smol runner.
    pub(crate) fn global() -> &'static WorkerPool {
        static GLOBAL: OnceLock<WorkerPool> = OnceLock::new();
        GLOBAL.get_or_init(WorkerPool::new)
    }

    /// Runs `job` on an idle thread, or on a new one.
    ///
    /// # Panics
    /// When the operating system refuses to start a thread (as tokio's `spawn_blocking`).
    pub(crate) fn execute(&self, job: Job) -> Result<(), ShutDown> {
        self.shared.execute(job)
    }

    /// Refuses new jobs, tells idle threads to exit, and waits until every thread has exited
    /// (busy ones when their job returns).
    pub(crate) fn shut_down(&self) {
        let threads = {
            let mut state = lock(&self.shared.state);
            state.shut_down = true;
            for mailbox in state.idle.drain(..) {
                *lock(&mailbox.job) = Letter::Stop;
                mailbox.arrived.notify_one();
            }
            std::mem::take(&mut state.threads)
        };
        for thread in threads {
            // A worker shutting its own pool down (a runner started inside a job) cannot join
            // itself; the others it can. Workers catch the panics of the work they run, so a
            // thread has nothing to report when joined.
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }

    /// How many threads the pool has started and not yet seen exit (for tests).
    #[cfg(test)]
    fn live_threads(&self) -> usize {
        let mut state = lock(&self.shared.state);
        join_finished(&mut state.threads);
        state.threads.len()
    }
}

/// Joins the threads that have finished (at once: they have returned), keeping the others.
fn join_finished(threads: &mut Vec<JoinHandle<()>>) {
    let mut index = 0;
    while index < threads.len() {
        if threads[index].is_finished() {
            let _ = threads.swap_remove(index).join();
        } else {
            index += 1;
        }
    }
}

impl Shared {
    /// Runs `job` on an idle thread, or on a new one; see [`WorkerPool::execute`].
    fn execute(self: &Arc<Self>, job: Job) -> Result<(), ShutDown> {
        let mut state = lock(&self.state);
        if state.shut_down {
            return Err(ShutDown(job));
        }
        if let Some(mailbox) = state.idle.pop_front() {
            // Delivered under the pool's lock: a thread retiring at this moment checks the idle
            // list under the same lock, so it either is still listed (and leaves) or finds this.
            *lock(&mailbox.job) = Letter::Job(job);
            // Woken after both locks are let go, so that it does not wake only to wait for them.
            drop(state);
            mailbox.arrived.notify_one();
            return Ok(());
        }
        join_finished(&mut state.threads);
        let first = state.threads.is_empty();
        self.spawn_thread(&mut state, Some(job));
        if first {
            // A spare: consecutive calls then alternate between two threads, each woken after
            // a full sleep. Waking the one thread that has only just gone to sleep measured
            // 1.65 times slower per call (44 µs against 27 µs for a `metadata` call, on two
            // cores); the `blocking` crate and tokio get the same effect by starting threads
            // eagerly.
            self.spawn_thread(&mut state, None);
        }
        Ok(())
    }

    fn spawn_thread(self: &Arc<Self>, state: &mut State, job: Option<Job>) {
        state.started += 1;
        let index = state.started;
        let shared = Arc::clone(self);
        let thread = std::thread::Builder::new()
            .name(format!("anyio-worker-{index}"))
            .spawn(move || shared.work(job))
            .unwrap_or_else(|error| panic!("anyio: cannot start a worker thread: {error}"));
        state.threads.push(thread);
    }

    /// A worker thread's life: the first job, then whatever arrives until it idles out.
    fn work(self: Arc<Self>, first: Option<Job>) {
        let mailbox = Arc::new(Mailbox::default());
        let mut job = match first {
            Some(job) => job,
            None => {
                if !self.list_idle(&mailbox) {
                    return;
                }
                match self.next_job(&mailbox) {
                    Some(job) => job,
                    None => return,
                }
            }
        };
        loop {
            job.run();
            let go_on = if job.wanted() {
                // Listed as idle before the result goes out: whoever it wakes, and whatever they
                // submit next, finds this thread free. `deliver` runs no user code.
                let listed = self.list_idle(&mailbox);
                match panic::catch_unwind(AssertUnwindSafe(|| job.deliver())) {
                    Ok(None) | Err(_) => listed,
                    // The caller went away at the last moment: its value is dropped (user code,
                    // which may block or panic) off the idle list.
                    Ok(Some(leftover)) => {
                        let keep_going = listed && self.unlist(&mailbox);
                        let _ = panic::catch_unwind(AssertUnwindSafe(leftover));
                        keep_going && self.list_idle(&mailbox)
                    }
                }
            } else {
                // Nobody waits: the value is dropped before the thread is listed.
                let _ = panic::catch_unwind(AssertUnwindSafe(|| job.discard()));
                self.list_idle(&mailbox)
            };
            if !go_on {
                return;
            }
            match self.next_job(&mailbox) {
                Some(next) => job = next,
                None => return,
            }
        }
    }

    /// Lists the thread as idle; `false` when the pool has shut down (the thread should exit).
    fn list_idle(&self, mailbox: &Arc<Mailbox>) -> bool {
        let mut state = lock(&self.state);
        if state.shut_down {
            return false;
        }
        state.idle.push_back(Arc::clone(mailbox));
        true
    }

    /// Takes the thread off the idle list; a job handed to it meanwhile goes to another thread.
    /// `false` when the pool has shut down.
    fn unlist(self: &Arc<Self>, mailbox: &Arc<Mailbox>) -> bool {
        match self.leave_idle(mailbox) {
            None | Some(Letter::None) => true,
            // At shutdown the job is dropped, which its caller sees as the runtime ending.
            Some(Letter::Job(job)) => self.execute(job).is_ok(),
            Some(Letter::Stop) => false,
        }
    }

    /// Leaves the idle list: `None` if the thread was still listed, or else the letter that
    /// `execute` or `shut_down` put in its mailbox when they took it off (under the pool's
    /// lock, so it is there by now).
    fn leave_idle(&self, mailbox: &Arc<Mailbox>) -> Option<Letter> {
        let mut state = lock(&self.state);
        if let Some(position) = state
            .idle
            .iter()
            .position(|listed| Arc::ptr_eq(listed, mailbox))
        {
            state.idle.remove(position);
            return None;
        }
        drop(state);
        Some(std::mem::take(&mut *lock(&mailbox.job)))
    }

    /// Waits, listed as idle, for a job; `None` when it should exit.
    fn next_job(&self, mailbox: &Arc<Mailbox>) -> Option<Job> {
        let deadline = Instant::now() + self.idle_timeout;
        let mut letter = lock(&mailbox.job);
        loop {
            match std::mem::take(&mut *letter) {
                Letter::Job(job) => return Some(job),
                Letter::Stop => return None,
                Letter::None => {}
            }
            let now = Instant::now();
            if now >= deadline {
                drop(letter);
                return self.retire(mailbox);
            }
            letter = mailbox
                .arrived
                .wait_timeout(letter, deadline - now)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }

    /// Leaves the idle list after the idle timeout, unless a job was delivered meanwhile.
    fn retire(&self, mailbox: &Arc<Mailbox>) -> Option<Job> {
        match self.leave_idle(mailbox) {
            Some(Letter::Job(job)) => Some(job),
            None | Some(Letter::Stop | Letter::None) => None,
        }
    }
}

thread_local! {
    /// The pool of the smol runner whose executor this thread runs.
    static CURRENT: std::cell::RefCell<Option<Arc<WorkerPool>>> =
        const { std::cell::RefCell::new(None) };
}

/// Publishes `pool` as this thread's pool until the guard drops.
pub(crate) fn enter(pool: &Arc<WorkerPool>) -> PoolGuard {
    let previous = CURRENT.with(|current| current.replace(Some(Arc::clone(pool))));
    PoolGuard { previous }
}

/// Restores the thread's previous pool when dropped.
#[derive(Debug)]
pub(crate) struct PoolGuard {
    previous: Option<Arc<WorkerPool>>,
}

impl Drop for PoolGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|current| *current.borrow_mut() = previous);
    }
}

/// Runs `job` on the pool of the runner on this thread, or on the process-wide pool.
pub(crate) fn execute(job: Job) -> Result<(), ShutDown> {
    match CURRENT.with(|current| current.borrow().clone()) {
        Some(pool) => pool.execute(job),
        None => WorkerPool::global().execute(job),
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        self.shut_down();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::BlockingWork;
    use std::sync::mpsc;

    /// Work that runs `run`, then calls `deliver`.
    struct Steps<R, D>(Option<R>, Option<D>);

    impl<R: FnOnce() + Send + 'static, D: FnOnce() + Send + 'static> BlockingWork for Steps<R, D> {
        fn run(&mut self) {
            if let Some(run) = self.0.take() {
                run();
            }
        }

        fn wanted(&self) -> bool {
            true
        }

        fn deliver(mut self: Box<Self>) -> Option<crate::backend::Leftover> {
            if let Some(deliver) = self.1.take() {
                deliver();
            }
            None
        }

        fn discard(self: Box<Self>) {}
    }

    fn job(run: impl FnOnce() + Send + 'static) -> Job {
        Box::new(Steps(Some(run), Some(|| {})))
    }

    #[test]
    fn sequential_calls_start_no_thread_beyond_the_spare() {
        // Each call is submitted as soon as the previous one delivered: the thread is listed
        // as idle before it delivers, so the pool never starts one beyond its first and the
        // spare it starts with it.
        let pool = WorkerPool::new();
        let (sender, receiver) = mpsc::channel();
        for _ in 0..1_000 {
            let sender = sender.clone();
            let delivered = Box::new(Steps(Some(|| {}), Some(move || sender.send(()).unwrap())));
            let _ = pool.execute(delivered);
            receiver.recv().unwrap();
        }
        assert_eq!(lock(&pool.shared.state).started, 2);
    }

    #[test]
    fn idle_threads_retire_and_shut_down_joins_the_rest() {
        let pool = WorkerPool::with_idle_timeout(Duration::from_millis(20));
        let (sender, receiver) = mpsc::channel::<()>();
        let _ = pool.execute(job(move || sender.send(()).unwrap()));
        receiver.recv().unwrap();
        let started = Instant::now();
        while pool.live_threads() != 0 {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the thread never retired"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = pool.execute(job(|| std::thread::sleep(Duration::from_millis(10))));
        pool.shut_down();
        assert_eq!(pool.live_threads(), 0);
        assert!(pool.execute(job(|| {})).is_err());
    }
}
