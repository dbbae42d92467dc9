//! Streams of objects and bytes (AnyIO's `anyio.streams`).
//!
//! - [`memory`]: memory object streams, the channels tasks send each other items through.

pub mod memory;
