//! The plugin runtime: loads WebAssembly components, checks them against their manifests,
//! calls them under limits, and keeps the registry of current versions.
//!
//! The only module that names wasmtime types; WIT types do not leave it.
mod bindings;
mod cache;
mod compile;
mod complex;
mod convert;
pub mod entities;
pub mod manifest;
mod observe;
pub mod outbound;
mod runtime;
mod session;
mod shares;
pub mod signature;
mod state;

pub use compile::{Compiler, LoadLimits, compile_to_file};
pub use entities::{Entities, MemoryEntities, NoEntities, ReadOnly, UnitOfWork};
pub use manifest::{Budgets, CONTRACT_VERSION, ComplexType, Limits, Manifest, Member, ParamType, Role, ValueType};
pub use outbound::{Outbound, OutboundCount, OutboundSettings, PluginGrant, SecretSource};
pub use runtime::{
    CallCost, CallError, CallErrorKind, EntityRows, LIFT_FACTOR, MapOutput, Plugin, Runtime, RuntimeConfig,
    engine_config,
};
pub use signature::{Signing, SigningSettings};
mod registry;
mod watcher;

pub use observe::{CallCounts, CallObserver, Fault};
pub use registry::{LoadFailure, PluginStatus, Registry};
pub use session::Session;
pub use watcher::Watcher;
