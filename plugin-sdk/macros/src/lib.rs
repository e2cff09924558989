//! Generates a plugin's export bindings for one role world, from the copy of the WIT this
//! crate carries. Used through `wharf-plugin-sdk`'s `export_*!` macros, never directly.

use proc_macro::TokenStream;
use quote::quote;

/// Where the contract lives: inside this crate's own package, so the crate works unpacked
/// anywhere (a registry, the user's cache), not only inside a checkout of Wharf. The copy is
/// held identical to the repository's `wit/wharf.wit` by a tidy test.
const WIT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/wit");

/// `imports_bindings!()` expands to the bindings of world `wharf:plugin/imports`: the
/// contract's types and host imports, which the SDK generates once for every role to share.
#[proc_macro]
pub fn imports_bindings(_input: TokenStream) -> TokenStream {
    quote! {
        ::wit_bindgen::generate!({
            path: #WIT_DIR,
            world: "wharf:plugin/imports",
        });
    }
    .into()
}

/// `bindings_for_role!(mapper)` expands to a hidden module `__wharf_bindings` holding the
/// bindings of world `wharf:plugin/mapper-plugin`, sharing the SDK's types and host imports.
#[proc_macro]
pub fn bindings_for_role(input: TokenStream) -> TokenStream {
    let role = input.to_string();
    if !["mapper", "filter", "transform", "action"].contains(&role.as_str()) {
        return quote!(compile_error!("expected one of: mapper, filter, transform, action");).into();
    }
    let world = format!("wharf:plugin/{role}-plugin");
    // Only actions import the unit of work, and wit-bindgen refuses a mapping nothing uses.
    let unit_of_work = (role == "action")
        .then(|| quote!("wharf:plugin/unit-of-work@0.1.0": ::wharf_plugin_sdk::__private::wit::unit_of_work,));
    // Only mappers and actions may call web services.
    let outbound = ["mapper", "action"]
        .contains(&role.as_str())
        .then(|| quote!("wharf:plugin/outbound@0.1.0": ::wharf_plugin_sdk::__private::wit::outbound,));
    quote! {
        #[doc(hidden)]
        #[allow(unsafe_code, missing_docs, unused_qualifications, clippy::all)]
        mod __wharf_bindings {
            ::wharf_plugin_sdk::__private::wit_bindgen::generate!({
                path: #WIT_DIR,
                world: #world,
                runtime_path: "::wharf_plugin_sdk::__private::wit_bindgen::rt",
                with: {
                    "wharf:plugin/types@0.1.0": ::wharf_plugin_sdk::__private::wit::types,
                    "wharf:plugin/host@0.1.0": ::wharf_plugin_sdk::__private::wit::host,
                    #unit_of_work
                    #outbound
                },
            });
        }
    }
    .into()
}
