//! Typed attributes: facts a stream can tell about itself, looked up by a typed key (AnyIO's
//! `typed_attribute` and `TypedAttributeProvider`).
//!
//! A key is a type that implements [`TypedAttribute`]; its `Value` is the type of the answer.
//! A stream answers through [`TypedAttributeProvider::provide_attributes`], and callers ask
//! with [`extra`](TypedAttributeProvider::extra):
//!
//! ```
//! use anyio::streams::{AttributeRequest, TypedAttribute, TypedAttributeProvider};
//!
//! /// The name of the peer at the other end.
//! struct PeerName;
//! impl TypedAttribute for PeerName {
//!     type Value = String;
//! }
//!
//! struct Connection;
//! impl TypedAttributeProvider for Connection {
//!     fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
//!         request.provide::<PeerName>(|| "example.org".to_owned());
//!     }
//! }
//!
//! assert_eq!(Connection.extra(PeerName).unwrap(), "example.org");
//! ```
//!
//! A wrapper provides its own attributes first and then asks the stream it wraps, so it
//! inherits every attribute of the inner stream and overrides those it provides itself: the
//! first provider to answer wins. Values are computed only for the key asked for.

use std::{
    any::{Any, TypeId, type_name},
    error::Error,
    fmt,
};

/// A key for a [typed attribute](TypedAttributeProvider): the implementing type names the attribute, and
/// `Value` is the type of its value.
///
/// Keys are usually unit structs, so that `stream.extra(Key)` reads as a lookup.
///
/// # Examples
/// ```
/// use anyio::streams::TypedAttribute;
///
/// /// The number of bytes the peer may send before it waits for us.
/// struct WindowSize;
/// impl TypedAttribute for WindowSize {
///     type Value = u32;
/// }
/// ```
pub trait TypedAttribute: 'static {
    /// The type of the attribute's value.
    type Value: 'static;
}

/// A question "what is the value of attribute `A`?" being passed along a chain of
/// [providers](TypedAttributeProvider); the first to answer fills it.
///
/// # Examples
/// ```
/// use anyio::streams::{AttributeRequest, TypedAttribute, TypedAttributeProvider};
///
/// struct Label;
/// impl TypedAttribute for Label {
///     type Value = &'static str;
/// }
///
/// struct Inner;
/// impl TypedAttributeProvider for Inner {
///     fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
///         request.provide::<Label>(|| "inner");
///     }
/// }
///
/// struct Wrapper(Inner);
/// impl TypedAttributeProvider for Wrapper {
///     fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
///         // Ours first, so that ours wins; then everything the inner stream provides.
///         request.provide::<Label>(|| "wrapper");
///         self.0.provide_attributes(request);
///     }
/// }
///
/// assert_eq!(Wrapper(Inner).extra(Label).unwrap(), "wrapper");
/// ```
pub struct AttributeRequest<'a> {
    key: TypeId,
    key_name: &'static str,
    // An `Option<A::Value>` for the key `A` asked for; `None` until a provider answers.
    slot: &'a mut dyn Any,
}

impl AttributeRequest<'_> {
    /// Answers with `value()` if the request is for `A` and nobody has answered yet; `value`
    /// is not called otherwise.
    ///
    /// # Examples
    /// See [`AttributeRequest`].
    pub fn provide<A: TypedAttribute>(&mut self, value: impl FnOnce() -> A::Value) -> &mut Self {
        if let Some(slot) = self.slot_for::<A>() {
            *slot = Some(value());
        }
        self
    }

    /// Answers with `value()` if the request is for `A`, nobody has answered yet, and
    /// `value()` returns `Some`: for attributes a stream has only sometimes, such as the
    /// address of a peer it may not be connected to.
    ///
    /// # Examples
    /// ```
    /// use anyio::streams::{AttributeRequest, TypedAttribute, TypedAttributeProvider};
    ///
    /// struct Peer;
    /// impl TypedAttribute for Peer {
    ///     type Value = String;
    /// }
    ///
    /// struct Socket {
    ///     peer: Option<String>,
    /// }
    /// impl TypedAttributeProvider for Socket {
    ///     fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
    ///         request.provide_optional::<Peer>(|| self.peer.clone());
    ///     }
    /// }
    ///
    /// assert!(Socket { peer: None }.extra(Peer).is_err());
    /// assert_eq!(Socket { peer: Some("a".into()) }.extra(Peer).unwrap(), "a");
    /// ```
    pub fn provide_optional<A: TypedAttribute>(
        &mut self,
        value: impl FnOnce() -> Option<A::Value>,
    ) -> &mut Self {
        if let Some(slot) = self.slot_for::<A>() {
            *slot = value();
        }
        self
    }

    /// Whether this request is for `A` and still unanswered; for providers whose answer costs
    /// more than a closure can express.
    ///
    /// # Examples
    /// ```
    /// use anyio::streams::{AttributeRequest, TypedAttribute, TypedAttributeProvider};
    ///
    /// struct Expensive;
    /// impl TypedAttribute for Expensive {
    ///     type Value = u64;
    /// }
    ///
    /// struct Stream;
    /// impl TypedAttributeProvider for Stream {
    ///     fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
    ///         if request.wants::<Expensive>() {
    ///             request.provide::<Expensive>(|| 42);
    ///         }
    ///     }
    /// }
    /// assert_eq!(Stream.extra(Expensive).unwrap(), 42);
    /// ```
    pub fn wants<A: TypedAttribute>(&mut self) -> bool {
        self.slot_for::<A>().is_some()
    }

    /// The empty slot for `A`'s value, if this request is for `A` and unanswered.
    fn slot_for<A: TypedAttribute>(&mut self) -> Option<&mut Option<A::Value>> {
        if self.key != TypeId::of::<A>() {
            return None;
        }
        self.slot
            .downcast_mut::<Option<A::Value>>()
            .filter(|slot| slot.is_none())
    }
}

impl fmt::Debug for AttributeRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttributeRequest")
            .field("attribute", &self.key_name)
            .finish_non_exhaustive()
    }
}

/// Something that can tell typed attributes about itself: facts looked up by a typed key
/// (AnyIO's `TypedAttributeProvider`). Every stream of this module is one.
///
/// A key is a type that implements [`TypedAttribute`]; its `Value` is the type of the answer.
/// Implement [`provide_attributes`](Self::provide_attributes) to answer (the default provides
/// nothing); call [`extra`](Self::extra) to ask.
///
/// A wrapper provides its own attributes first and then asks the stream it wraps, so it
/// inherits every attribute of the inner stream and overrides those it provides itself: the
/// first provider to answer wins ([`AttributeRequest`] shows one). Values are computed only
/// for the key asked for.
///
/// # Examples
/// ```
/// use anyio::streams::{AttributeRequest, TypedAttribute, TypedAttributeProvider};
///
/// struct Version;
/// impl TypedAttribute for Version {
///     type Value = u8;
/// }
///
/// struct Protocol;
/// impl TypedAttributeProvider for Protocol {
///     fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
///         request.provide::<Version>(|| 2);
///     }
/// }
/// assert_eq!(Protocol.extra(Version).unwrap(), 2);
/// ```
pub trait TypedAttributeProvider {
    /// Answers `request` if it is for an attribute this value has, and passes it on to the
    /// stream it wraps, if any (after answering, so that its own answers win).
    ///
    /// # Examples
    /// See [`AttributeRequest`].
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        let _ = request;
    }

    /// The value of the attribute `attribute`.
    ///
    /// # Errors
    /// [`TypedAttributeLookupError`], naming the attribute, when neither this value nor
    /// anything it wraps provides it.
    ///
    /// # Examples
    /// ```
    /// use anyio::streams::{TypedAttribute, TypedAttributeProvider};
    ///
    /// struct Missing;
    /// impl TypedAttribute for Missing {
    ///     type Value = ();
    /// }
    ///
    /// let (tx, _rx) = anyio::create_memory_object_stream::<u8>(1);
    /// let error = tx.extra(Missing).unwrap_err();
    /// assert!(error.to_string().contains("Missing"), "{error}");
    /// ```
    fn extra<A: TypedAttribute>(&self, attribute: A) -> Result<A::Value, TypedAttributeLookupError>
    where
        Self: Sized,
    {
        let _ = attribute;
        let mut value: Option<A::Value> = None;
        self.provide_attributes(&mut AttributeRequest {
            key: TypeId::of::<A>(),
            key_name: type_name::<A>(),
            slot: &mut value,
        });
        value.ok_or(TypedAttributeLookupError {
            attribute: type_name::<A>(),
        })
    }
}

impl<P: TypedAttributeProvider + ?Sized> TypedAttributeProvider for &mut P {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        (**self).provide_attributes(request);
    }
}

impl<P: TypedAttributeProvider + ?Sized> TypedAttributeProvider for Box<P> {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        (**self).provide_attributes(request);
    }
}

/// [`extra`](TypedAttributeProvider::extra) asked for an attribute that nothing provides
/// (AnyIO's `TypedAttributeLookupError`).
///
/// # Examples
/// ```
/// use anyio::streams::{TypedAttribute, TypedAttributeProvider};
///
/// struct Colour;
/// impl TypedAttribute for Colour {
///     type Value = u32;
/// }
///
/// let (_tx, rx) = anyio::create_memory_object_stream::<u8>(1);
/// let error = rx.extra(Colour).unwrap_err();
/// assert!(error.attribute().ends_with("Colour"));
/// assert!(error.to_string().starts_with("no typed attribute `"), "{error}");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TypedAttributeLookupError {
    attribute: &'static str,
}

impl TypedAttributeLookupError {
    /// The type name of the attribute that was asked for.
    ///
    /// # Examples
    /// See [`TypedAttributeLookupError`].
    pub fn attribute(&self) -> &'static str {
        self.attribute
    }
}

impl fmt::Display for TypedAttributeLookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no typed attribute `{}` is provided by this stream or any stream it wraps",
            self.attribute
        )
    }
}

impl Error for TypedAttributeLookupError {}
