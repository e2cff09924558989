//! Generated bindings of the `imports` world: the contract's types and host imports, shared by
//! every role's export bindings. The WIT is the copy the macros crate carries.

wharf_plugin_sdk_macros::imports_bindings!();
