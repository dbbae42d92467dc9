//! Procedural macros for [anyio](https://docs.rs/anyio). Use them through the `anyio` crate, as
//! `#[anyio::test]` and `#[anyio::main]`; their documentation and examples live there.

use proc_macro::TokenStream;

mod entry;
mod options;
mod test_fn;

/// Runs an `async fn` test once on every backend compiled into anyio (`anyio::test`).
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    test_fn::expand(args.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Runs an `async fn main` on an anyio runtime (`anyio::main`).
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    match entry::expand(args.into(), item.clone()) {
        Ok(expanded) => expanded.into(),
        Err(error) => entry::with_stand_in(error, item).into(),
    }
}
