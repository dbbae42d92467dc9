//! `#[anyio::test]`: one `#[test]` per backend.
//!
//! ```text
//! #[anyio::test]            async fn sleeps() { .. }   // kept as it is, and beside it:
//! async fn sleeps() {..}    mod sleeps {
//!                               #[test] fn tokio() { run_test(Tokio, .., super::sleeps()) }
//!                               #[test] fn smol()  { run_test(Smol,  .., super::sleeps()) }
//!                           }
//! ```
//! A function and a module may share a name (they live in different namespaces), so the test
//! body stays where the user wrote it, compiled once, and the tests are reported as
//! `sleeps::tokio` and `sleeps::smol`. Each wrapper exists only when anyio compiles its backend
//! in (`anyio::__if_tokio!`), since a proc macro cannot see another crate's features.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Attribute, ItemFn};

use crate::entry::check_signature;
use crate::options::{Backend, Macro, Options};

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let options = Options::parse(args, Macro::Test)?;
    let mut function: ItemFn = syn::parse2(item)?;
    check_signature(&function, "test functions")?;
    if let Some(attr) = function
        .attrs
        .iter()
        .find(|attr| attr.path().is_ident("test"))
    {
        return Err(syn::Error::new_spanned(
            attr,
            "#[anyio::test] already makes this a test; remove this #[test]",
        ));
    }

    let (cfgs, lints, others) = split_attributes(std::mem::take(&mut function.attrs));
    let name = &function.sig.ident;
    let output = &function.sig.output;
    let runtime_options = options.runtime_options();
    let backends = options
        .backends
        .as_ref()
        .map_or_else(|| Backend::ALL.to_vec(), |(list, _)| list.clone());

    let wrappers = backends.iter().map(|backend| {
        let test_name = format_ident!("{}", backend.name());
        let gate = format_ident!("__if_{}", backend.name());
        let backend_path = backend.path();
        quote! {
            ::anyio::#gate! {
                #[::core::prelude::v1::test]
                #(#lints)*
                #(#others)*
                fn #test_name() #output {
                    ::anyio::__private::run_test(
                        #backend_path,
                        #runtime_options,
                        ::core::module_path!(),
                        super::#name(),
                    )
                }
            }
        }
    });

    function.attrs = cfgs.iter().chain(&lints).cloned().collect();
    Ok(quote! {
        // The body is only called by the generated tests, which exist only under `cfg(test)`
        // and only for the backends anyio compiles in.
        #[allow(dead_code)]
        #function

        #(#cfgs)*
        #[allow(non_snake_case)]
        mod #name {
            #[allow(unused_imports)]
            use super::*;

            #(#wrappers)*
        }
    })
}

/// Splits the test's attributes into `cfg`s (for the function and the module), lint levels
/// (for the function and each test) and the rest (`should_panic`, `ignore`, docs: each test).
fn split_attributes(attrs: Vec<Attribute>) -> (Vec<Attribute>, Vec<Attribute>, Vec<Attribute>) {
    let mut cfgs = Vec::new();
    let mut lints = Vec::new();
    let mut others = Vec::new();
    for attr in attrs {
        let path = attr.path();
        if path.is_ident("cfg") || path.is_ident("cfg_attr") {
            cfgs.push(attr);
        } else if ["allow", "warn", "deny", "forbid", "expect"]
            .iter()
            .any(|lint| path.is_ident(lint))
        {
            lints.push(attr);
        } else {
            others.push(attr);
        }
    }
    (cfgs, lints, others)
}
