//! Write Wharf plugins in Rust.
//!
//! A plugin is a library crate built for `wasm32-wasip2` (`wharf plugin build <crate dir>`)
//! that implements one role trait — [`Mapper`], [`Filter`], [`Transform`] or [`Action`] — and
//! exports it with the matching macro. A manifest (`wharf-plugin.toml`) beside the crate names
//! the plugin, the entities it serves, its configuration and its limits.
//!
//! Rows arrive in a [`Batch`]; read them with [`Row`]'s accessors, which borrow from the
//! batch, and reject a bad row with [`Row::error`] so the others go on.
//!
//! # A complete mapper
//!
//! ```
//! use wharf_plugin_sdk::{Batch, Context, Mapped, Mapper, PluginError, ValueRef};
//!
//! /// Maps a partner's vendor list onto the `Vendor` entity.
//! struct VendorMapper;
//!
//! impl Mapper for VendorMapper {
//!     fn map(_ctx: &Context, input: &Batch) -> Result<Mapped, PluginError> {
//!         let mut mapped = Mapped::new();
//!         let vendors = mapped.entity("Vendor", &["VendorAccount", "Name", "Blocked"]);
//!         for row in input.rows() {
//!             let account = match row.required("vendor_no") {
//!                 Ok(account) => account,
//!                 Err(error) => {
//!                     mapped.reject(error);
//!                     continue;
//!                 }
//!             };
//!             let name = row.str("vendor_name").unwrap_or_default().trim();
//!             let blocked = matches!(row.str("status"), Ok("B" | "blocked"));
//!             mapped.push(vendors, &row, &[account.into(), name.into(), blocked.into()]);
//!         }
//!         Ok(mapped)
//!     }
//! }
//!
//! wharf_plugin_sdk::export_mapper!(VendorMapper);
//!
//! # let mut input = wharf_plugin_sdk::BatchBuilder::new(["vendor_no", "vendor_name", "status"]);
//! # input.push_row(&["V-1".into(), " Fabrikam ".into(), "B".into()]);
//! # input.push_row(&["".into(), "Nameless".into(), "".into()]);
//! # let mapped = VendorMapper::map(&Context::default(), &input.finish()).unwrap();
//! # assert_eq!(mapped.errors()[0].field.as_deref(), Some("vendor_no"));
//! # let vendors = mapped.outputs()[0].batch();
//! # assert_eq!(vendors.row(0).unwrap().get("Blocked"), Some(ValueRef::Boolean(true)));
//! ```
//!
//! Native tests (`cargo test`) call the role trait directly; [`testing::TestHost`] gives them
//! the configuration values and entity rows the host would.
//!
//! Instances: the mapper and filter calls of one execution (all the batches of one entity of
//! one import or export) share one instance, made for it and dropped when it ends; every
//! other call runs in a fresh instance. A plugin may keep a cache in its own memory from one
//! batch to the next, and never sees anything of another execution, company or job: the
//! contract's header (`wit/wharf.wit`) gives the whole rule.
//!
//! Limits: every call runs with the memory (per instance), time and output size its
//! manifest allows. There are no files, no sockets, no environment variables: what a plugin
//! needs comes through [`host`], for actions [`unit_of_work`], and for mappers and actions the
//! web services its manifest allows through [`outbound`].
#![deny(missing_docs)]

mod batch;
#[doc(hidden)]
mod bindings;
mod convert;
mod error;
pub mod host;
pub mod outbound;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
pub mod unit_of_work;
mod value;

/// The JSON crate actions take their parameters and give their results in, so a plugin
/// needs no dependency of its own for `json!`.
pub use serde_json;

pub use batch::{Batch, BatchBuilder, BatchError, Row};
pub use error::{PluginError, RowError};
pub use value::{Value, ValueRef};

/// Where a call comes from. Everything but `entity` is `None` when not known, e.g. when a
/// plugin runs on a sample file from the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// The entity the call is for.
    pub entity: String,
    /// The company (`dataAreaId`) the data belongs to.
    pub company: Option<String>,
    /// The recurring job's activity id.
    pub job: Option<String>,
    /// The queue message being processed.
    pub message: Option<String>,
    /// The sender's correlation id.
    pub correlation_id: Option<String>,
}

/// A whole document: an inbound file, or an outbound one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// The format: `csv`, `xml`, `json`, `xlsx`, `text` or a partner's own name.
    pub format: String,
    /// The file's name, when it has one.
    pub name: Option<String>,
    /// The bytes.
    pub content: Vec<u8>,
}

/// One row read from the host: field names with their values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    fields: Vec<(String, Value)>,
}

impl Record {
    /// A record of these fields.
    pub fn new(fields: Vec<(String, Value)>) -> Self {
        Record { fields }
    }

    /// The value of `field`, if the record has it.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.fields.iter().find(|(name, _)| name == field).map(|(_, value)| value)
    }

    /// The fields in order.
    pub fn fields(&self) -> &[(String, Value)] {
        &self.fields
    }

    /// The fields borrowed as [`unit_of_work`] takes them, e.g. a bound row's key to read it
    /// with: `unit_of_work::read(&ctx.entity, &key.as_fields())`.
    pub fn as_fields(&self) -> Vec<(&str, ValueRef<'_>)> {
        self.fields.iter().map(|(name, value)| (name.as_str(), value.as_ref())).collect()
    }
}

/// Names one entity's output in a [`Mapped`]; returned by [`Mapped::entity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityOutput(usize);

/// The rows one entity receives from one input batch.
#[derive(Debug, Clone)]
pub struct EntityRows {
    entity: String,
    batch: BatchBuilder,
    source_rows: Vec<u32>,
}

impl EntityRows {
    /// The entity.
    pub fn entity(&self) -> &str {
        &self.entity
    }

    /// The rows so far, as a batch.
    pub fn batch(&self) -> Batch {
        self.batch.clone().finish()
    }

    /// For each row, the 0-based index in the input batch of the row it came from.
    pub fn source_rows(&self) -> &[u32] {
        &self.source_rows
    }

    /// The entity, its finished rows and their source rows.
    pub fn into_parts(self) -> (String, Batch, Vec<u32>) {
        (self.entity, self.batch.finish(), self.source_rows)
    }
}

/// What a [`Mapper`] made of a batch: rows for one or more entities, and the input rows it
/// rejected.
#[derive(Debug, Clone, Default)]
pub struct Mapped {
    outputs: Vec<EntityRows>,
    errors: Vec<RowError>,
}

impl Mapped {
    /// Nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares rows for `entity` with these fields; push them with [`push`](Self::push).
    pub fn entity(&mut self, entity: &str, fields: &[&str]) -> EntityOutput {
        self.outputs.push(EntityRows {
            entity: entity.to_owned(),
            batch: BatchBuilder::new(fields.iter().copied()),
            source_rows: Vec::new(),
        });
        EntityOutput(self.outputs.len() - 1)
    }

    /// Adds a row to `output`, made from input row `source`: one value per declared field.
    ///
    /// # Panics
    ///
    /// When the number of values differs from the number of declared fields (a plugin bug).
    pub fn push(&mut self, output: EntityOutput, source: &Row<'_>, values: &[ValueRef<'_>]) {
        let rows = &mut self.outputs[output.0];
        rows.batch.push_row(values);
        rows.source_rows.push(source.index());
    }

    /// Rejects an input row; it is reported with its error and left out.
    pub fn reject(&mut self, error: RowError) {
        self.errors.push(error);
    }

    /// The output rows per entity.
    pub fn outputs(&self) -> &[EntityRows] {
        &self.outputs
    }

    /// The rejected rows.
    pub fn errors(&self) -> &[RowError] {
        &self.errors
    }

    /// The outputs and the rejected rows.
    pub fn into_parts(self) -> (Vec<EntityRows>, Vec<RowError>) {
        (self.outputs, self.errors)
    }
}

/// Maps source rows onto entity rows. Export with [`export_mapper!`].
pub trait Mapper {
    /// Maps one batch. Reject single rows with [`Mapped::reject`]; return `Err` only when
    /// the whole batch is unusable.
    fn map(ctx: &Context, input: &Batch) -> Result<Mapped, PluginError>;
}

/// Keeps or drops rows. Export with [`export_filter!`].
pub trait Filter {
    /// One answer per input row, in order: `true` keeps it.
    fn keep(ctx: &Context, input: &Batch) -> Result<Vec<bool>, PluginError>;
}

/// Reshapes a whole document. Export with [`export_transform!`].
pub trait Transform {
    /// The reshaped document.
    fn transform(ctx: &Context, input: Document) -> Result<Document, PluginError>;
}

/// A named business operation. Export with [`export_action!`].
///
/// The manifest's `[action.<name>]` tables say how callers reach each action and which
/// parameters it takes; the host checks the parameters' presence and types before the call.
/// A result whose members the table declares (`returns = { type = "object", type_name = …,
/// members = […] }`) must have exactly those members, each of its type: otherwise the call
/// fails as malformed and nothing is committed.
/// What the call sees depends on where it comes from:
///
/// | Called as | `ctx.entity` | `ctx.company` | `input` |
/// |---|---|---|---|
/// | an OData action bound to one row | the bound entity | the row's company | the parameters, and the row's key under `@key` ([`Params::key`]) |
/// | an OData action bound to an entity set | the bound entity | the caller's company | the parameters |
/// | a custom-service operation | empty | the caller's company | the parameters |
pub trait Action {
    /// Runs action `name` with its parameters. Changes made through [`unit_of_work`] are
    /// committed only when this returns `Ok`; an `Err` reaches the caller as its message.
    fn invoke(ctx: &Context, name: &str, input: &Params) -> Result<serde_json::Value, PluginError>;
}

/// An action's parameters: a JSON object keyed by parameter name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(serde_json::Map<String, serde_json::Value>);

impl Params {
    /// Reads parameters from JSON text, which must be an object.
    pub fn from_json(text: &str) -> Result<Params, PluginError> {
        match serde_json::from_str(text) {
            Ok(serde_json::Value::Object(map)) => Ok(Params(map)),
            Ok(_) => Err(PluginError::new("action input must be a JSON object")),
            Err(error) => Err(PluginError::new(format!("action input is not JSON: {error}"))),
        }
    }

    /// Parameter `name` as a `T`; an error names the parameter when it is missing or of the
    /// wrong type.
    pub fn required<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<T, PluginError> {
        self.optional(name)?.ok_or_else(|| PluginError::new(format!("parameter {name} is required")))
    }

    /// Parameter `name` as a `T`, or `None` when it is missing or null.
    pub fn optional<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<Option<T>, PluginError> {
        match self.0.get(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(value) => serde_json::from_value(value.clone())
                .map(Some)
                .map_err(|error| PluginError::new(format!("parameter {name}: {error}"))),
        }
    }

    /// The key of the row an instance-bound action was called on (the `@key` member the
    /// host adds): every key field with its value, `dataAreaId` included for company-scoped
    /// entities. Pass it on with [`Record::as_fields`].
    ///
    /// ```
    /// # use wharf_plugin_sdk::{Params, Value};
    /// let input = Params::from_json(r#"{"approver":"000123","@key":{"dataAreaId":"usmf","BOMId":"B-1"}}"#)?;
    /// let key = input.key()?;
    /// assert_eq!(key.get("BOMId"), Some(&Value::String("B-1".into())));
    /// # Ok::<(), wharf_plugin_sdk::PluginError>(())
    /// ```
    pub fn key(&self) -> Result<Record, PluginError> {
        let Some(serde_json::Value::Object(key)) = self.0.get(KEY_MEMBER) else {
            return Err(PluginError::new("the action was not called on a row: its input has no @key"));
        };
        let fields = key
            .iter()
            .map(|(name, value)| {
                let value = match value {
                    serde_json::Value::Null => Value::Null,
                    serde_json::Value::Bool(flag) => Value::Boolean(*flag),
                    serde_json::Value::Number(number) => match number.as_i64() {
                        Some(integer) => Value::Integer(integer),
                        None => Value::Decimal(number.to_string()),
                    },
                    serde_json::Value::String(text) => Value::String(text.clone()),
                    _ => return Err(PluginError::new(format!("@key field {name} is not a single value"))),
                };
                Ok((name.clone(), value))
            })
            .collect::<Result<_, PluginError>>()?;
        Ok(Record::new(fields))
    }
}

/// The member of an instance-bound action's input that holds the bound row's key.
const KEY_MEMBER: &str = "@key";

/// Exports a [`Mapper`] as this component's `wharf:plugin/mapper` implementation.
///
/// The export macros expand to nothing outside WebAssembly, so a plugin crate also builds
/// natively for its own tests and benchmarks.
#[macro_export]
macro_rules! export_mapper {
    ($plugin:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::__private::bindings_for_role!(mapper);
        #[cfg(target_arch = "wasm32")]
        impl __wharf_bindings::exports::wharf::plugin::mapper::Guest for $plugin {
            fn map(
                ctx: $crate::__private::wit::types::CallContext,
                input: $crate::__private::wit::types::RowBatch,
            ) -> ::core::result::Result<
                __wharf_bindings::exports::wharf::plugin::mapper::Mapped,
                $crate::__private::wit::types::PluginError,
            > {
                use __wharf_bindings::exports::wharf::plugin::mapper::{EntityRows, Mapped};
                let (outputs, errors) = $crate::__private::map::<$plugin>(ctx, input)?;
                let outputs = outputs
                    .into_iter()
                    .map(|(entity, batch, source_rows)| EntityRows { entity, batch, source_rows })
                    .collect();
                Ok(Mapped { outputs, errors })
            }
        }
        #[cfg(target_arch = "wasm32")]
        __wharf_bindings::export!($plugin with_types_in __wharf_bindings);
    };
}

/// Exports a [`Filter`] as this component's `wharf:plugin/filter` implementation.
#[macro_export]
macro_rules! export_filter {
    ($plugin:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::__private::bindings_for_role!(filter);
        #[cfg(target_arch = "wasm32")]
        impl __wharf_bindings::exports::wharf::plugin::filter::Guest for $plugin {
            fn keep(
                ctx: $crate::__private::wit::types::CallContext,
                input: $crate::__private::wit::types::RowBatch,
            ) -> ::core::result::Result<
                ::std::vec::Vec<bool>,
                $crate::__private::wit::types::PluginError,
            > {
                $crate::__private::keep::<$plugin>(ctx, input)
            }
        }
        #[cfg(target_arch = "wasm32")]
        __wharf_bindings::export!($plugin with_types_in __wharf_bindings);
    };
}

/// Exports a [`Transform`] as this component's `wharf:plugin/transform` implementation.
#[macro_export]
macro_rules! export_transform {
    ($plugin:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::__private::bindings_for_role!(transform);
        #[cfg(target_arch = "wasm32")]
        impl __wharf_bindings::exports::wharf::plugin::transform::Guest for $plugin {
            fn transform(
                ctx: $crate::__private::wit::types::CallContext,
                input: $crate::__private::wit::types::Document,
            ) -> ::core::result::Result<
                $crate::__private::wit::types::Document,
                $crate::__private::wit::types::PluginError,
            > {
                $crate::__private::transform::<$plugin>(ctx, input)
            }
        }
        #[cfg(target_arch = "wasm32")]
        __wharf_bindings::export!($plugin with_types_in __wharf_bindings);
    };
}

/// Exports an [`Action`] as this component's `wharf:plugin/action` implementation.
#[macro_export]
macro_rules! export_action {
    ($plugin:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::__private::bindings_for_role!(action);
        #[cfg(target_arch = "wasm32")]
        impl __wharf_bindings::exports::wharf::plugin::action::Guest for $plugin {
            fn invoke(
                ctx: $crate::__private::wit::types::CallContext,
                name: ::std::string::String,
                input: ::std::string::String,
            ) -> ::core::result::Result<
                ::std::string::String,
                $crate::__private::wit::types::PluginError,
            > {
                $crate::__private::invoke::<$plugin>(ctx, name, input)
            }
        }
        #[cfg(target_arch = "wasm32")]
        __wharf_bindings::export!($plugin with_types_in __wharf_bindings);
    };
}

/// What the export macros expand to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use wharf_plugin_sdk_macros::bindings_for_role;
    pub use wit_bindgen;

    pub use crate::bindings::wharf::plugin as wit;
    use crate::bindings::wharf::plugin::types::{CallContext, Document, PluginError, RowBatch, RowError};
    use crate::{Action, Filter, Mapper, Params, Transform, convert};

    /// Entity, rows and source rows per output, and the rejected rows.
    pub type MapOutput = (Vec<(String, RowBatch, Vec<u32>)>, Vec<RowError>);

    pub fn map<P: Mapper>(ctx: CallContext, input: RowBatch) -> Result<MapOutput, PluginError> {
        let (outputs, errors) = P::map(&ctx.into(), &convert::batch(input)?)?.into_parts();
        let outputs = outputs
            .into_iter()
            .map(|rows| {
                let (entity, batch, source_rows) = rows.into_parts();
                (entity, batch.into(), source_rows)
            })
            .collect();
        Ok((outputs, errors.into_iter().map(Into::into).collect()))
    }

    pub fn keep<P: Filter>(ctx: CallContext, input: RowBatch) -> Result<Vec<bool>, PluginError> {
        Ok(P::keep(&ctx.into(), &convert::batch(input)?)?)
    }

    pub fn transform<P: Transform>(ctx: CallContext, input: Document) -> Result<Document, PluginError> {
        Ok(P::transform(&ctx.into(), input.into())?.into())
    }

    pub fn invoke<P: Action>(ctx: CallContext, name: String, input: String) -> Result<String, PluginError> {
        let params = Params::from_json(&input)?;
        let output = P::invoke(&ctx.into(), &name, &params)?;
        Ok(output.to_string())
    }
}
