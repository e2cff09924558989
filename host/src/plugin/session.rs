//! One instance of a plugin kept for all the batches of one execution.
//!
//! A fresh instance per call costs tens of microseconds (see the plugin benchmark), which at
//! small batches is most of the call. An import calls the same mapper and filter, with the
//! same context, once per batch, so it keeps one instance per stage for the whole execution
//! and drops it when the execution ends. What may cross from one call to the next is what the
//! contract allows between the batches of one execution: the plugin's own memory (a cache, a
//! counter) and where its random generator stands. Nothing crosses from one execution to
//! another, nor between call contexts: a call with another context (company, job, message,
//! entity) than the instance was made for gets a new one, and so does any call after a call
//! that failed in the instance (a trap, a time, memory or output limit), which may have left
//! it half-way. Callers of one request each (OData writes, actions, custom services) keep a
//! fresh instance per call.

use std::sync::Arc;

use wasmtime::Store;
use wharf_plugin_sdk::{Batch, Context};

use super::bindings::{filter, mapper};
use super::convert;
use super::manifest::Role;
use super::runtime::{CallError, MapOutput, Plugin, row_batch};
use super::shares::Slot;
use super::state::CallState;

/// A plugin's instance for the calls of one execution (see the module's documentation).
/// Holds one slot of the plugin's share of the instance pool while it has an instance.
pub struct Session {
    plugin: Arc<Plugin>,
    live: Option<Live>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("plugin", &self.plugin.id()).field("live", &self.live.is_some()).finish()
    }
}

/// The instance a session holds, made on its first call.
struct Live {
    /// The context it serves.
    context: Context,
    store: Store<CallState>,
    mapper: Option<mapper::MapperPlugin>,
    filter: Option<filter::FilterPlugin>,
    _slot: Slot,
}

impl Session {
    /// A session of `plugin`, which makes its instance on its first call.
    pub fn new(plugin: Arc<Plugin>) -> Session {
        Session { plugin, live: None }
    }

    /// The plugin it calls.
    pub fn plugin(&self) -> &Arc<Plugin> {
        &self.plugin
    }

    /// Maps a batch of source rows, as [`Plugin::map`] does, in the session's instance.
    pub fn map(&mut self, ctx: &Context, input: &Batch) -> Result<MapOutput, CallError> {
        let plugin = self.plugin.clone();
        let pre = plugin.role(plugin.roles.mapper.as_ref(), Role::Mapper)?;
        let batch = row_batch(input);
        let live = self.live(ctx)?;
        let mapped = plugin.run(&mut live.store, |store| {
            store.data_mut().outbound.permit();
            let mapper = match &live.mapper {
                Some(mapper) => mapper,
                None => live.mapper.insert(pre.instantiate(&mut *store)?),
            };
            mapper.wharf_plugin_mapper().call_map(&mut *store, &convert::context(ctx), &batch)
        });
        self.settle(mapped.is_ok());
        plugin.checked_map(input, mapped?)
    }

    /// Which rows of a batch to keep, as [`Plugin::keep`] answers, in the session's instance.
    pub fn keep(&mut self, ctx: &Context, input: &Batch) -> Result<Vec<bool>, CallError> {
        let plugin = self.plugin.clone();
        let pre = plugin.role(plugin.roles.filter.as_ref(), Role::Filter)?;
        let batch = row_batch(input);
        let live = self.live(ctx)?;
        let keep = plugin.run(&mut live.store, |store| {
            let filter = match &live.filter {
                Some(filter) => filter,
                None => live.filter.insert(pre.instantiate(&mut *store)?),
            };
            filter.wharf_plugin_filter().call_keep(&mut *store, &convert::context(ctx), &batch)
        });
        self.settle(keep.is_ok());
        plugin.checked_keep(input, keep?)
    }

    /// The instance for a call with `ctx`: the session's own when it was made for `ctx`,
    /// else a new one in a new store (the old one, of another context, is dropped first).
    fn live(&mut self, ctx: &Context) -> Result<&mut Live, CallError> {
        drop(self.live.take_if(|live| live.context != *ctx));
        let live = match self.live.take() {
            Some(live) => live,
            None => {
                let (store, slot) = self.plugin.store(None)?;
                Live { context: ctx.clone(), store, mapper: None, filter: None, _slot: slot }
            }
        };
        Ok(self.live.insert(live))
    }

    /// Drops the instance after a call that failed in it (it may be half-way through
    /// something) or that filled its stdio pipes past what another call could use.
    fn settle(&mut self, ran: bool) {
        if !ran || self.live.as_ref().is_some_and(|live| !live.store.data().stdio_has_room()) {
            self.live = None;
        }
    }
}
