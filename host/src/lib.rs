//! Wharf, a WebAssembly plugin-based data-integration engine.
//!
//! Modules depend one way, each only on those before it: [`auth`] (client registrations
//! and access tokens; it uses no other module), [`formats`] (documents ⇄ row batches),
//! [`entity`] (entity definitions and value conversion), [`plugin`] (the WASM runtime and
//! registry), [`store`] (the embedded entity store), [`pipeline`] (one execution of a data
//! project), [`deployment`] (an operator's directory), [`jobs`] (recurring jobs, their queue
//! and scheduler), [`odata`] (the OData entity service), [`api`] (the REST surface), [`run`] (the command line).
//! [`watcher`] (directories watched while serving, debounced) uses no other module.
//! [`metrics`] names what every module records through the `metrics` facade; it uses no other module.
pub mod api;
pub mod auth;
pub mod backend;
pub mod deployment;
pub mod entity;
pub mod formats;
pub mod jobs;
pub mod metrics;
pub mod odata;
pub mod pipeline;
pub mod plugin;
pub mod releases;
pub mod run;
pub mod store;
pub mod watcher;
