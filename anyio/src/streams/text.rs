//! [`TextStream`]: strings over a byte stream, decoded as UTF-8 as they arrive.

use std::{fmt, str};

use super::{
    AsyncResource, AttributeRequest, ByteReceiveStream, ByteSendStream, ByteStream,
    ObjectReceiveStream, ObjectSendStream, ObjectStream, SendError, StreamError,
    TypedAttributeProvider,
};

/// How many bytes a receive asks the inner stream for, at most.
const READ_CHUNK: usize = 8 * 1024;

/// A stream of strings over a byte stream, in UTF-8 (AnyIO's `TextReceiveStream`,
/// `TextSendStream` and `TextStream` in one: it receives if the inner stream receives, sends
/// if it sends).
///
/// Decoding is incremental. A receive returns the text that has arrived, as soon as some has,
/// and never an empty string; a character split between two chunks of bytes is held back
/// until its last byte arrives, so no string ever ends in half a character.
///
/// Bytes that are not UTF-8 make the receive fail with [`StreamError::InvalidUtf8`], after
/// the valid text before them has been received, as soon as they arrive: only bytes that the
/// next ones can still complete are waited for (`0xE2 0x82` may become `€`; `0xF0 0x80`
/// cannot become anything). The stream stops there: every later receive
/// fails the same way, and [`into_parts`](Self::into_parts) gives the undecoded bytes back.
/// So does a stream that ends inside a character. (AnyIO's other encodings and error modes
/// have no counterpart: Rust strings are UTF-8.)
///
/// # Examples
/// ```
/// use anyio::streams::{ChunkedByteStream, ObjectReceiveStream, TextStream};
///
/// anyio::run(async {
///     let (tx, rx) = anyio::create_memory_object_stream::<Vec<u8>>(4);
///     let euro = "€".as_bytes(); // three bytes
///     tx.send([b"5 ", &euro[..1]].concat()).await.unwrap();
///     tx.send(euro[1..].to_vec()).await.unwrap();
///     let mut text = TextStream::new(ChunkedByteStream::new(rx));
///     assert_eq!(text.receive().await.unwrap(), "5 ", "half a character is held back");
///     assert_eq!(text.receive().await.unwrap(), "€");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct TextStream<S> {
    inner: S,
    /// Received bytes not yet decoded are `undecoded[..held]`: the start of a character, or
    /// bytes that are not UTF-8. The rest is room for the next receive (allocated at the
    /// first).
    undecoded: Vec<u8>,
    held: usize,
    closed: bool,
}

impl<S> TextStream<S> {
    /// Strings over the byte stream `inner`.
    ///
    /// # Examples
    /// See [`TextStream`].
    pub fn new(inner: S) -> Self {
        TextStream {
            inner,
            undecoded: Vec::new(),
            held: 0,
            closed: false,
        }
    }

    /// The inner stream.
    ///
    /// # Examples
    /// ```
    /// let text = anyio::streams::TextStream::new(3);
    /// assert_eq!(*text.get_ref(), 3);
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner stream, mutably. Receiving through it bypasses the decoder.
    ///
    /// # Examples
    /// ```
    /// let mut text = anyio::streams::TextStream::new(3);
    /// *text.get_mut() = 4;
    /// assert_eq!(*text.get_ref(), 4);
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner stream, and the bytes received but not decoded: the start of a character
    /// still arriving, or bytes that are not UTF-8.
    ///
    /// # Examples
    /// ```
    /// let (inner, undecoded) = anyio::streams::TextStream::new(()).into_parts();
    /// assert!(undecoded.is_empty());
    /// ```
    pub fn into_parts(mut self) -> (S, Vec<u8>) {
        self.undecoded.truncate(self.held);
        (self.inner, self.undecoded)
    }

    /// Decodes the held bytes: `Ok(Some)` with the valid text at their start, if any, or
    /// `Ok(None)` if they are all the start of one character (or none), keeping what is left.
    fn decode_held(&mut self) -> Result<Option<String>, StreamError> {
        let held = &self.undecoded[..self.held];
        // Setting a character still arriving aside first lets one validation pass do.
        let complete = &held[..held.len() - unfinished_character(held)];
        let text = match str::from_utf8(complete) {
            Ok(text) => text,
            // The text before invalid bytes, which the next call reports.
            Err(error) if error.valid_up_to() > 0 => {
                str::from_utf8(&complete[..error.valid_up_to()]).expect("valid up to there")
            }
            Err(error) => return Err(StreamError::InvalidUtf8(error)),
        };
        if text.is_empty() {
            return Ok(None);
        }
        let text = text.to_owned();
        self.undecoded.copy_within(text.len()..self.held, 0);
        self.held -= text.len();
        Ok(Some(text))
    }
}

/// How many bytes at the end of `bytes` are the start of a character that the bytes still to
/// come can complete: 0 to 3. Bytes that no continuation can make valid (a lone `0xC0`,
/// `0xF5`, `0xF0 0x80`, a surrogate's start) are not held back, but left for validation to
/// report at once: a peer that sends them must not make the receive wait for more.
fn unfinished_character(bytes: &[u8]) -> usize {
    // The last character starts at its first byte that is not a continuation byte, at most 3
    // bytes back for one still unfinished.
    let start = (bytes.len().saturating_sub(3)..bytes.len())
        .rev()
        .find(|&at| bytes[at] & 0b1100_0000 != 0b1000_0000);
    match start.map(|start| (start, str::from_utf8(&bytes[start..]))) {
        // Nothing valid there, and the error is the end of the input: a prefix of a
        // character.
        Some((start, Err(error))) if error.valid_up_to() == 0 && error.error_len().is_none() => {
            bytes.len() - start
        }
        _ => 0,
    }
}

impl<S: fmt::Debug> fmt::Debug for TextStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextStream")
            .field("inner", &self.inner)
            .field("undecoded", &&self.undecoded[..self.held])
            .finish()
    }
}

impl<S: TypedAttributeProvider> TypedAttributeProvider for TextStream<S> {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        self.inner.provide_attributes(request);
    }
}

impl<S: AsyncResource> AsyncResource for TextStream<S> {
    /// Closes the inner stream. Undecoded bytes are kept for
    /// [`into_parts`](TextStream::into_parts).
    async fn aclose(&mut self) -> Result<(), StreamError> {
        self.closed = true;
        self.inner.aclose().await
    }
}

impl<S: ByteReceiveStream> ObjectReceiveStream for TextStream<S> {
    type Item = String;

    /// Receives the text that has arrived, waiting for some if need be; never an empty
    /// string.
    ///
    /// # Errors
    /// [`StreamError::InvalidUtf8`] at bytes that are not UTF-8, and when the stream ends
    /// inside a character; the inner stream's errors.
    ///
    /// # Cancel safety
    /// Cancel safe when the inner stream's receive is: bytes are kept from the moment they
    /// are received.
    async fn receive(&mut self) -> Result<String, StreamError> {
        if self.closed {
            return Err(StreamError::Closed);
        }
        loop {
            if let Some(text) = self.decode_held()? {
                return Ok(text);
            }
            // At most 3 bytes are held here (the start of a character), so there is room.
            if self.undecoded.len() < READ_CHUNK {
                self.undecoded.resize(READ_CHUNK, 0);
            }
            match self.inner.receive(&mut self.undecoded[self.held..]).await {
                Ok(n) => self.held += n,
                Err(StreamError::EndOfStream) if self.held > 0 => {
                    let truncated = str::from_utf8(&self.undecoded[..self.held])
                        .expect_err("the held bytes are an unfinished character");
                    return Err(StreamError::InvalidUtf8(truncated));
                }
                Err(error) => return Err(error),
            }
        }
    }
}

impl<S: ByteSendStream, T: AsRef<str> + Send> ObjectSendStream<T> for TextStream<S> {
    /// Sends the UTF-8 bytes of `text`, with the inner stream's cancel safety (for most byte
    /// streams, a send dropped midway may have sent part of the text). A failed send hands
    /// `text` back.
    async fn send(&mut self, text: T) -> Result<(), SendError<T>> {
        if self.closed {
            return Err(SendError::new(text, StreamError::Closed));
        }
        match self.inner.send(text.as_ref().as_bytes()).await {
            Ok(()) => Ok(()),
            Err(error) => Err(SendError::new(text, error)),
        }
    }
}

impl<S: ByteStream> ObjectStream<String> for TextStream<S> {
    async fn send_eof(&mut self) -> Result<(), StreamError> {
        if self.closed {
            return Err(StreamError::Closed);
        }
        self.inner.send_eof().await
    }
}

#[cfg(test)]
mod tests {
    use super::unfinished_character;

    #[test]
    fn unfinished_characters_are_found_at_the_end_only() {
        let euro = "€".as_bytes(); // e2 82 ac
        let clef = "𝄞".as_bytes(); // f0 9d 84 9e
        assert_eq!(unfinished_character(b""), 0);
        assert_eq!(unfinished_character(b"abc"), 0);
        assert_eq!(unfinished_character(euro), 0);
        assert_eq!(unfinished_character(&euro[..1]), 1);
        assert_eq!(unfinished_character(&[b"x", &euro[..2]].concat()), 2);
        assert_eq!(unfinished_character(&clef[..3]), 3);
        assert_eq!(unfinished_character(clef), 0);
        assert_eq!(
            unfinished_character(&[0x82, 0x82, 0x82]),
            0,
            "no first byte in reach"
        );
        assert_eq!(
            unfinished_character(&[0xff]),
            0,
            "not UTF-8: for validation to report"
        );
        // Starts of characters that no byte can complete: reported, not waited for.
        for invalid in [
            &[0xc0][..],
            &[0xc1],
            &[0xf5],
            &[0xf0, 0x80],
            &[0xed, 0xa0],
            &[0xe0, 0x80],
        ] {
            assert_eq!(unfinished_character(invalid), 0, "{invalid:x?}");
        }
        assert_eq!(unfinished_character(&[0xf4, 0x8f]), 2, "U+10FFFF's start");
    }
}
