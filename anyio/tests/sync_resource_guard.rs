//! `ResourceGuard`, on every backend: a second concurrent user is refused, not queued.
#![cfg(feature = "macros")]

use std::sync::Arc;

use anyio::BusyResourceError;
use anyio::sync::{Event, ResourceGuard};

#[anyio::test]
async fn a_second_task_using_the_resource_is_refused() {
    let guard = Arc::new(ResourceGuard::new("reading from"));
    let (inside, leave) = (Arc::new(Event::new()), Arc::new(Event::new()));
    let shared = Arc::clone(&guard);
    anyio::task_group(|tg| async move {
        {
            let (guard, inside, leave) =
                (Arc::clone(&shared), Arc::clone(&inside), Arc::clone(&leave));
            tg.spawn(async move {
                let _in_use = guard.enter().unwrap();
                inside.set();
                leave.wait().await; // still using it across a suspension
            });
        }
        inside.wait().await;
        let refused = shared.enter().unwrap_err();
        assert_eq!(refused, BusyResourceError::new("reading from"));
        leave.set();
    })
    .await
    .unwrap();
    assert!(!guard.is_busy(), "the user's drop freed the resource");
    drop(guard.enter().unwrap());
}
