//! Generated bindings of the `imports` world: the contract's types and host imports, shared by
//! every role's export bindings.

wit_bindgen::generate!({
    path: "../wit",
    world: "wharf:plugin/imports",
});
