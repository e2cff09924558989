//! Generated host bindings of the plugin contract: the shared imports once, then one module
//! per role world reusing them.

#![allow(missing_debug_implementations, unused_qualifications, reason = "generated code")]

pub mod imports {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "wharf:plugin/imports",
    });
}

pub mod mapper {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "wharf:plugin/mapper-plugin",
        with: {
            "wharf:plugin/types": super::imports::wharf::plugin::types,
            "wharf:plugin/host": super::imports::wharf::plugin::host,
            "wharf:plugin/outbound": super::imports::wharf::plugin::outbound,
        },
    });
}

pub mod filter {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "wharf:plugin/filter-plugin",
        with: {
            "wharf:plugin/types": super::imports::wharf::plugin::types,
            "wharf:plugin/host": super::imports::wharf::plugin::host,
        },
    });
}

pub mod transform {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "wharf:plugin/transform-plugin",
        with: {
            "wharf:plugin/types": super::imports::wharf::plugin::types,
            "wharf:plugin/host": super::imports::wharf::plugin::host,
        },
    });
}

pub mod action {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "wharf:plugin/action-plugin",
        with: {
            "wharf:plugin/types": super::imports::wharf::plugin::types,
            "wharf:plugin/host": super::imports::wharf::plugin::host,
            "wharf:plugin/unit-of-work": super::imports::wharf::plugin::unit_of_work,
            "wharf:plugin/outbound": super::imports::wharf::plugin::outbound,
        },
    });
}

pub use imports::wharf::plugin::{host, outbound, types, unit_of_work};
