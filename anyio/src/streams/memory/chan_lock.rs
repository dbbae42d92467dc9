//! The lock around a stream's shared state: a spin lock whose release is a plain store.
//!
//! Every send and every receive takes the channel's lock once, and the state it guards is
//! touched for a few dozen instructions (no user code runs under it: items refused or left
//! over are dropped after the release, and wakers are woken after it). With `std::sync::Mutex`
//! the two atomic read-modify-writes of each lock and unlock (a compare-exchange, then a swap
//! that tells the unlocker whether a thread sleeps on the lock) were most of the cost of an
//! operation. Here the release is one store: no thread ever sleeps on this lock, so there is
//! nobody to tell.
//!
//! A thread that finds the lock taken spins briefly (the holder is about to release it), then
//! gives its time slice away with `thread::yield_now`, so that a holder that was preempted on
//! this core gets to run.
//!
//! Under `--cfg anyio_loom` it is loom's mutex, so that the model checker explores the
//! channel's interleavings.

#[cfg(anyio_loom)]
pub(super) use crate::sync::shim::{Mutex, lock};

#[cfg(not(anyio_loom))]
pub(super) use spin::{Mutex, lock};

#[cfg(not(anyio_loom))]
mod spin {
    use std::cell::UnsafeCell;
    use std::fmt;
    use std::ops::{Deref, DerefMut};
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Spins (with a pause each) before yielding the thread.
    const SPINS_BEFORE_YIELD: u32 = 64;

    /// A value behind a spin lock; see the [module docs](super).
    pub(in super::super) struct Mutex<T> {
        locked: AtomicBool,
        value: UnsafeCell<T>,
    }

    // SAFETY: the lock hands out access to the value to one thread at a time (acquire on
    // taking, release on giving back), so sharing the lock moves the value between threads,
    // which `T: Send` allows; it never hands out a `&T` to two threads at once.
    unsafe impl<T: Send> Sync for Mutex<T> {}

    impl<T> Mutex<T> {
        pub(in super::super) fn new(value: T) -> Self {
            Mutex {
                locked: AtomicBool::new(false),
                value: UnsafeCell::new(value),
            }
        }

        #[inline]
        fn try_acquire(&self) -> bool {
            self.locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
        }

        /// Waits for the lock: spinning on a plain load (which keeps the cache line shared
        /// until the holder releases it), then yielding the thread between rounds.
        #[cold]
        fn acquire_contended(&self) {
            loop {
                for _ in 0..SPINS_BEFORE_YIELD {
                    std::hint::spin_loop();
                    if !self.locked.load(Ordering::Relaxed) && self.try_acquire() {
                        return;
                    }
                }
                std::thread::yield_now();
                if self.try_acquire() {
                    return;
                }
            }
        }
    }

    impl<T: fmt::Debug> fmt::Debug for Mutex<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            // Never waits: the caller may hold the lock already.
            if !self.try_acquire() {
                return f.write_str("Mutex(<locked>)");
            }
            let guard = MutexGuard { mutex: self };
            f.debug_struct("Mutex").field("value", &*guard).finish()
        }
    }

    /// Takes the lock; released when the guard is dropped.
    #[inline]
    pub(in super::super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
        if !mutex.try_acquire() {
            mutex.acquire_contended();
        }
        MutexGuard { mutex }
    }

    /// Access to the locked value.
    pub(in super::super) struct MutexGuard<'a, T> {
        mutex: &'a Mutex<T>,
    }

    impl<T> Deref for MutexGuard<'_, T> {
        type Target = T;

        #[inline]
        fn deref(&self) -> &T {
            // SAFETY: the guard exists only while this thread holds the lock.
            unsafe { &*self.mutex.value.get() }
        }
    }

    impl<T> DerefMut for MutexGuard<'_, T> {
        #[inline]
        fn deref_mut(&mut self) -> &mut T {
            // SAFETY: the guard exists only while this thread holds the lock, and `&mut self`
            // makes this the only reference through it.
            unsafe { &mut *self.mutex.value.get() }
        }
    }

    impl<T> Drop for MutexGuard<'_, T> {
        #[inline]
        fn drop(&mut self) {
            self.mutex.locked.store(false, Ordering::Release);
        }
    }
}
