//! The [stream traits](crate::streams) for memory object streams, so that code written
//! against any object stream can use them: a receiver is an `ObjectReceiveStream`, a sender
//! an `ObjectSendStream`, and the two [stapled](crate::streams::StapledStream) together an
//! `ObjectStream`.

use super::{MemoryObjectReceiver, MemoryObjectSender, ReceiveError, SendError};
use crate::streams::{
    self, AsyncResource, ObjectReceiveStream, ObjectSendStream, StreamError, TypedAttributeProvider,
};

impl From<ReceiveError> for StreamError {
    fn from(error: ReceiveError) -> Self {
        match error {
            ReceiveError::EndOfStream => StreamError::EndOfStream,
            ReceiveError::Closed => StreamError::Closed,
        }
    }
}

impl<T> From<SendError<T>> for streams::SendError<T> {
    fn from(error: SendError<T>) -> Self {
        match error {
            SendError::Closed(item) => streams::SendError::new(item, StreamError::Closed),
            SendError::Broken(item) => streams::SendError::new(item, StreamError::Broken(None)),
        }
    }
}

/// A memory object stream has no attributes of its own.
impl<T> TypedAttributeProvider for MemoryObjectReceiver<T> {}

/// A memory object stream has no attributes of its own.
impl<T> TypedAttributeProvider for MemoryObjectSender<T> {}

impl<T: Send> AsyncResource for MemoryObjectReceiver<T> {
    /// [`MemoryObjectReceiver::close`]: closes this clone, at once. Never fails.
    async fn aclose(&mut self) -> Result<(), StreamError> {
        MemoryObjectReceiver::close(self);
        Ok(())
    }
}

impl<T: Send> AsyncResource for MemoryObjectSender<T> {
    /// [`MemoryObjectSender::close`]: closes this clone, at once. Never fails.
    async fn aclose(&mut self) -> Result<(), StreamError> {
        MemoryObjectSender::close(self);
        Ok(())
    }
}

impl<T: Send> ObjectReceiveStream for MemoryObjectReceiver<T> {
    type Item = T;

    /// [`MemoryObjectReceiver::receive`], with its cancel safety: a receive dropped before it
    /// returned has taken nothing.
    async fn receive(&mut self) -> Result<T, StreamError> {
        Ok(MemoryObjectReceiver::receive(self).await?)
    }
}

impl<T: Send> ObjectSendStream<T> for MemoryObjectSender<T> {
    /// [`MemoryObjectSender::send`], with its cancel safety: a send dropped before it
    /// returned has sent nothing.
    async fn send(&mut self, item: T) -> Result<(), streams::SendError<T>> {
        Ok(MemoryObjectSender::send(self, item).await?)
    }
}
