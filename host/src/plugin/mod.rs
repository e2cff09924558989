//! The plugin runtime: loads WebAssembly components, checks them against their manifests,
//! calls them under limits, and keeps the registry of current versions.
//!
//! The only module that names wasmtime types; WIT types do not leave it.
mod bindings;
mod cache;
mod convert;
pub mod entities;
pub mod manifest;
mod runtime;
mod state;

pub use entities::{Entities, MemoryEntities, NoEntities, UnitOfWork};
pub use manifest::{Limits, Manifest, Role, CONTRACT_VERSION};
pub use runtime::{engine_config, CallError, CallErrorKind, EntityRows, MapOutput, Plugin, Runtime, RuntimeConfig};
mod registry;
mod watcher;

pub use registry::{LoadFailure, PluginStatus, Registry};
pub use watcher::Watcher;
