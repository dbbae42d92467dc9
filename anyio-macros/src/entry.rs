//! `#[anyio::main]`: run `async fn main` on an anyio runtime.
//!
//! ```text
//! #[anyio::main]                 fn main() -> R {
//! async fn main() -> R { .. }        async fn __anyio_main() -> R { .. }
//!                                    ::anyio::__private::run_main(options, __anyio_main())
//!                                }
//! ```
//! The body becomes an inner `async fn` with the declared return type, so `?` and `return`
//! inside it behave exactly as written.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

use crate::options::{Backend, Macro, Options};

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let options = Options::parse(args, Macro::Main)?;
    let function: ItemFn = syn::parse2(item)?;
    check_signature(&function, "`main`")?;

    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = function;
    let name = &sig.ident;
    let output = &sig.output;
    let runtime_options = options.runtime_options();
    let requirement = options.backend.map(|(backend, _)| match backend {
        Backend::Tokio => quote!(::anyio::__require_tokio!();),
        Backend::Smol => quote!(::anyio::__require_smol!();),
    });
    Ok(quote! {
        #(#attrs)*
        #vis fn #name() #output {
            #requirement
            async fn __anyio_main() #output #block
            ::anyio::__private::run_main(#runtime_options, __anyio_main())
        }
    })
}

/// Checks what both macros need: an `async fn` without arguments or generics.
pub(crate) fn check_signature(function: &ItemFn, what: &str) -> syn::Result<()> {
    let sig = &function.sig;
    if sig.asyncness.is_none() {
        return Err(syn::Error::new_spanned(
            sig.fn_token,
            "the `async` keyword is missing from the function declaration",
        ));
    }
    if !sig.inputs.is_empty() {
        return Err(syn::Error::new_spanned(
            &sig.inputs,
            format!("{what} must take no arguments"),
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return Err(syn::Error::new_spanned(
            &sig.generics,
            format!("{what} cannot be generic"),
        ));
    }
    Ok(())
}

/// The compile error, plus a synchronous stand-in for the function when it parses, so that the
/// error is not followed by a second, misleading one ("`main` function not found").
pub(crate) fn with_stand_in(error: syn::Error, item: TokenStream) -> TokenStream {
    let error = error.into_compile_error();
    match syn::parse2::<ItemFn>(item) {
        Ok(ItemFn {
            attrs, vis, sig, ..
        }) => {
            let name = &sig.ident;
            let output = &sig.output;
            quote! {
                #error
                #(#attrs)*
                #vis fn #name() #output {
                    ::core::panic!("#[anyio::main] failed to compile")
                }
            }
        }
        Err(_) => error,
    }
}
