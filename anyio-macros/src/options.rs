//! Parsing and checking the options of `#[anyio::test(...)]` and `#[anyio::main(...)]`.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::meta::ParseNestedMeta;
use syn::{LitInt, LitStr};

/// A backend named in an option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    Tokio,
    Smol,
}

impl Backend {
    pub(crate) const ALL: [Backend; 2] = [Backend::Tokio, Backend::Smol];

    fn parse(name: &str, span: Span) -> syn::Result<Backend> {
        match name {
            "tokio" => Ok(Backend::Tokio),
            "smol" => Ok(Backend::Smol),
            other => Err(syn::Error::new(
                span,
                format!("unknown backend `{other}`; the backends are `tokio` and `smol`"),
            )),
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Backend::Tokio => "tokio",
            Backend::Smol => "smol",
        }
    }

    /// The `anyio::Backend` variant, as a path.
    pub(crate) fn path(self) -> TokenStream {
        match self {
            Backend::Tokio => quote!(::anyio::Backend::Tokio),
            Backend::Smol => quote!(::anyio::Backend::Smol),
        }
    }
}

/// Which macro is parsing: the two accept different options.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Macro {
    Test,
    Main,
}

/// The options as written, each with the span to point an error at.
#[derive(Default)]
pub(crate) struct Options {
    /// `backends(tokio, smol)` (tests).
    pub(crate) backends: Option<(Vec<Backend>, Span)>,
    /// `backend = "smol"` (main).
    pub(crate) backend: Option<(Backend, Span)>,
    /// `flavor = "current_thread" | "multi_thread"`; `true` for multi-thread.
    pub(crate) multi_thread: Option<(bool, Span)>,
    pub(crate) worker_threads: Option<(usize, Span)>,
    pub(crate) threads: Option<(usize, Span)>,
    /// `virtual_time` (tests).
    pub(crate) virtual_time: Option<Span>,
    /// `timeout = "10s"` or `timeout = 10` (tests), in milliseconds.
    pub(crate) timeout: Option<(u64, Span)>,
}

impl Options {
    /// Parses the attribute's arguments and checks them against each other.
    pub(crate) fn parse(args: TokenStream, which: Macro) -> syn::Result<Options> {
        let mut options = Options::default();
        let parser = syn::meta::parser(|meta| options.parse_one(meta, which));
        syn::parse::Parser::parse2(parser, args)?;
        options.check(which)?;
        Ok(options)
    }

    fn parse_one(&mut self, meta: ParseNestedMeta<'_>, which: Macro) -> syn::Result<()> {
        let span = meta
            .path
            .get_ident()
            .map_or_else(Span::call_site, |ident| ident.span());
        let name = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        match (name.as_str(), which) {
            ("backends", Macro::Test) => {
                let mut backends = Vec::new();
                meta.parse_nested_meta(|inner| {
                    let ident = inner.path.require_ident()?;
                    let backend = Backend::parse(&ident.to_string(), ident.span())?;
                    if backends.contains(&backend) {
                        return Err(inner.error(format!("`{}` is listed twice", backend.name())));
                    }
                    backends.push(backend);
                    Ok(())
                })?;
                if backends.is_empty() {
                    return Err(meta.error("`backends(...)` needs at least one backend"));
                }
                set(&mut self.backends, (backends, span), &meta)
            }
            ("backend", Macro::Main) => {
                let value: LitStr = meta.value()?.parse()?;
                let backend = Backend::parse(&value.value(), value.span())?;
                set(&mut self.backend, (backend, span), &meta)
            }
            ("backend", Macro::Test) => Err(meta.error(
                "a test runs on every backend; restrict it with `backends(tokio)` or `backends(smol)`",
            )),
            ("backends", Macro::Main) => Err(meta.error(
                "`main` runs on one backend; choose it with `backend = \"tokio\"` or `backend = \"smol\"`",
            )),
            ("flavor", _) => {
                let value: LitStr = meta.value()?.parse()?;
                let multi_thread = match value.value().as_str() {
                    "current_thread" => false,
                    "multi_thread" => true,
                    other => {
                        return Err(syn::Error::new(
                            value.span(),
                            format!(
                                "unknown tokio flavor `{other}`; expected `current_thread` or `multi_thread`"
                            ),
                        ));
                    }
                };
                set(&mut self.multi_thread, (multi_thread, span), &meta)
            }
            ("worker_threads", _) => {
                let count = positive(&meta)?;
                set(&mut self.worker_threads, (count, span), &meta)
            }
            ("threads", _) => {
                let count = positive(&meta)?;
                set(&mut self.threads, (count, span), &meta)
            }
            ("virtual_time", Macro::Test) => {
                if meta.input.peek(syn::Token![=]) || meta.input.peek(syn::token::Paren) {
                    return Err(meta.error("`virtual_time` takes no value"));
                }
                set(&mut self.virtual_time, span, &meta)
            }
            ("timeout", Macro::Test) => {
                let millis = timeout_millis(&meta)?;
                set(&mut self.timeout, (millis, span), &meta)
            }
            ("virtual_time" | "timeout", Macro::Main) => Err(meta.error(format!(
                "`{}` is an option of #[anyio::test]; for a program, see anyio::Runner",
                path_text(&meta)
            ))),
            _ => {
                let expected = match which {
                    Macro::Test => {
                        "`backends`, `flavor`, `worker_threads`, `threads`, `virtual_time`, `timeout`"
                    }
                    Macro::Main => "`backend`, `flavor`, `worker_threads`, `threads`",
                };
                Err(meta.error(format!(
                    "unknown option `{}`; expected one of {expected}",
                    path_text(&meta)
                )))
            }
        }
    }

    /// Checks that each option belongs to a backend the macro will run and that they agree.
    fn check(&self, which: Macro) -> syn::Result<()> {
        if let (Some((false, _)), Some((_, span))) = (self.multi_thread, self.worker_threads) {
            return Err(syn::Error::new(
                span,
                "a current-thread tokio runtime has no worker threads",
            ));
        }
        let targets: Vec<Backend> = match which {
            Macro::Test => self
                .backends
                .as_ref()
                .map_or_else(|| Backend::ALL.to_vec(), |(list, _)| list.clone()),
            // Without `backend`, main's backend is chosen at run time, where the runner refuses
            // an option of another backend.
            Macro::Main => match self.backend {
                Some((backend, _)) => vec![backend],
                None => return Ok(()),
            },
        };
        let tokio_options = [
            self.multi_thread.map(|(_, s)| ("flavor", s)),
            self.worker_threads.map(|(_, s)| ("worker_threads", s)),
        ];
        for (option, span) in tokio_options.into_iter().flatten() {
            if !targets.contains(&Backend::Tokio) {
                return Err(syn::Error::new(
                    span,
                    format!("`{option}` is a tokio option, but this does not run on tokio"),
                ));
            }
        }
        if let Some((_, span)) = self.threads {
            if !targets.contains(&Backend::Smol) {
                return Err(syn::Error::new(
                    span,
                    "`threads` is a smol option, but this does not run on smol; tokio's is `worker_threads`",
                ));
            }
        }
        Ok(())
    }

    /// The `anyio::__private::RuntimeOptions` value the generated code passes on.
    pub(crate) fn runtime_options(&self) -> TokenStream {
        let backend = option_tokens(self.backend.map(|(backend, _)| backend.path()));
        let multi_thread = option_tokens(self.multi_thread.map(|(multi, _)| quote!(#multi)));
        let worker_threads = option_tokens(self.worker_threads.map(|(n, _)| quote!(#n)));
        let threads = option_tokens(self.threads.map(|(n, _)| quote!(#n)));
        let virtual_time = self.virtual_time.is_some();
        let timeout = option_tokens(
            self.timeout
                .map(|(millis, _)| quote!(::core::time::Duration::from_millis(#millis))),
        );
        quote! {
            ::anyio::__private::RuntimeOptions {
                backend: #backend,
                multi_thread: #multi_thread,
                worker_threads: #worker_threads,
                threads: #threads,
                virtual_time: #virtual_time,
                timeout: #timeout,
            }
        }
    }
}

fn option_tokens(value: Option<TokenStream>) -> TokenStream {
    match value {
        Some(value) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    }
}

fn set<T>(slot: &mut Option<T>, value: T, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if slot.is_some() {
        return Err(meta.error(format!("`{}` is set twice", path_text(meta))));
    }
    *slot = Some(value);
    Ok(())
}

fn positive(meta: &ParseNestedMeta<'_>) -> syn::Result<usize> {
    let literal: LitInt = meta.value()?.parse()?;
    let count: usize = literal.base10_parse()?;
    if count == 0 {
        return Err(syn::Error::new(
            literal.span(),
            format!("`{}` must be at least 1", path_text(meta)),
        ));
    }
    Ok(count)
}

/// `timeout = 10` (seconds) or `timeout = "250ms"` / `"10s"` / `"2m"`, in milliseconds.
fn timeout_millis(meta: &ParseNestedMeta<'_>) -> syn::Result<u64> {
    let value = meta.value()?;
    let (millis, span) = if value.peek(LitInt) {
        let literal: LitInt = value.parse()?;
        let seconds: u64 = literal.base10_parse()?;
        (seconds.checked_mul(1000), literal.span())
    } else {
        let literal: LitStr = value.parse()?;
        let text = literal.value();
        let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let unit = &text[digits.len()..];
        let scale = match unit {
            "ms" => Some(1),
            "s" => Some(1000),
            "m" => Some(60_000),
            _ => None,
        };
        let millis = match (digits.parse::<u64>(), scale) {
            (Ok(number), Some(scale)) => number.checked_mul(scale),
            _ => {
                return Err(syn::Error::new(
                    literal.span(),
                    format!(
                        "cannot read `{text}` as a timeout; write a whole number of seconds \
                         (`timeout = 10`) or a number with `ms`, `s` or `m` (`timeout = \"250ms\"`)"
                    ),
                ));
            }
        };
        (millis, literal.span())
    };
    match millis {
        Some(0) => Err(syn::Error::new(
            span,
            "the timeout must be longer than zero",
        )),
        Some(millis) => Ok(millis),
        None => Err(syn::Error::new(span, "this timeout is too long")),
    }
}

fn path_text(meta: &ParseNestedMeta<'_>) -> String {
    let path = &meta.path;
    quote!(#path).to_string().replace(' ', "")
}
