//! Wharf, a WebAssembly plugin-based data-integration engine.
//!
//! Modules depend one way, each only on those before it: [`formats`] (documents ⇄ row
//! batches), [`plugin`] (the WASM runtime and registry), [`run`] (the command line).
pub mod formats;
pub mod plugin;
pub mod run;
