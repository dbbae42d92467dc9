//! [`dump`]: the running tasks as a tree, with what each is doing.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use super::info::{Activity, TaskId, TaskInfo, get_running_tasks};

/// A snapshot of the anyio tasks running in the process, as a tree: each task under the task
/// that spawned it, with its id, its name and what it is doing (running on a thread now, or
/// what it waits on: see [`TaskInfo::waiting_on`]). A task whose cancellation is pending says
/// so. Works the same on every backend, under anyio's runner and native runners.
///
/// Print it (`Display`) when a program hangs, from a signal handler's task, a debug endpoint,
/// or a test's time limit:
///
/// ```text
/// #1 anyio::run: waits on its task group's children
///   #2 server: waits on a listener's accept
///     #5 connection 127.0.0.1:50312: waits on a receive from a socket
///   #3 ticker: waits on a sleep or a deadline (cancellation pending)
/// ```
///
/// The snapshot has what [`get_running_tasks`] lists: a child that has not yet reached its
/// first suspension point may be missing. Each task's activity is read when the snapshot is
/// taken, one task after the other, so it is not one instant across threads.
///
/// # Examples
/// ```
/// use std::sync::Arc;
///
/// use anyio::sync::Event;
///
/// anyio::run(async {
///     let event = Arc::new(Event::new());
///     anyio::task_group(|tg| async move {
///         let waiter = Arc::clone(&event);
///         tg.spawn_named("waiter", async move { waiter.wait().await });
///         anyio::sleep(std::time::Duration::from_millis(10)).await;
///         let dump = anyio::task::dump().to_string();
///         assert!(dump.contains("waiter: waits on an event"), "{dump}");
///         println!("{dump}");
///         event.set();
///     })
///     .await
///     .unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn dump() -> TaskDump {
    let tasks = get_running_tasks();
    let present: HashSet<TaskId> = tasks.iter().map(TaskInfo::id).collect();
    let mut children: BTreeMap<Option<TaskId>, Vec<TaskInfo>> = BTreeMap::new();
    for task in tasks {
        // A task whose parent has ended (or is not anyio's) is a root of its own.
        let parent = task.parent_id().filter(|parent| present.contains(parent));
        children.entry(parent).or_default().push(task);
    }
    for siblings in children.values_mut() {
        siblings.sort_by_key(TaskInfo::id);
    }
    let mut entries = Vec::new();
    let mut stack: Vec<(TaskInfo, usize)> = children
        .remove(&None)
        .unwrap_or_default()
        .into_iter()
        .rev()
        .map(|task| (task, 0))
        .collect();
    while let Some((task, depth)) = stack.pop() {
        if let Some(kids) = children.remove(&Some(task.id())) {
            stack.extend(kids.into_iter().rev().map(|kid| (kid, depth + 1)));
        }
        entries.push(DumpedTask {
            activity: task.activity(),
            cancelling: task.has_pending_cancellation(),
            task,
            depth,
        });
    }
    TaskDump { entries }
}

/// The tasks of a [`dump`], in tree order.
///
/// # Examples
/// ```
/// anyio::run(async {
///     let dump = anyio::task::dump();
///     assert!(dump.tasks().any(|task| task.name() == "anyio::run"));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, Debug)]
pub struct TaskDump {
    entries: Vec<DumpedTask>,
}

#[derive(Clone, Debug)]
struct DumpedTask {
    task: TaskInfo,
    depth: usize,
    activity: Activity,
    cancelling: bool,
}

impl TaskDump {
    /// The tasks, each before its children, siblings in the order they were spawned.
    pub fn tasks(&self) -> impl Iterator<Item = &TaskInfo> {
        self.entries.iter().map(|entry| &entry.task)
    }

    /// How many tasks the dump holds.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::task::dump().len(), 0); // no runtime, no task
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the dump holds no task.
    ///
    /// # Examples
    /// ```
    /// assert!(anyio::task::dump().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl fmt::Display for TaskDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for entry in &self.entries {
            let indent = entry.depth * 2;
            write!(
                f,
                "{:indent$}#{} {}: ",
                "",
                entry.task.id(),
                entry.task.name()
            )?;
            match entry.activity {
                Activity::New => f.write_str("not started yet")?,
                Activity::Running => f.write_str("running")?,
                Activity::Waiting(point) => write!(f, "waits on {}", point.describe())?,
            }
            if entry.cancelling {
                f.write_str(" (cancellation pending)")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
