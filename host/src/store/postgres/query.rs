//! OData's queries over one entity table on PostgreSQL: the shared renderer (`store::query`)
//! writes the SQL in PostgreSQL's dialect, and this file binds its values and reads its rows.

use anyhow::{Context as _, Result};
use tokio_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::types::{ToSql, Type};
use wharf_plugin_sdk::Value;

use super::Database;
use super::values::{Parameter, select_list, stored_value};
use crate::entity::Entity;
use crate::store::query::{Dialect, Sql};
use crate::store::schema::{self, VERSION_COLUMN, quote};
use crate::store::{Condition, Query, QueryRow};

/// The type a query's parameter is bound as. The renderer writes parameters bare (`$1`), so
/// the value says what it is: a whole number is `bigint`, a decimal `numeric` (exact, and
/// compared with a decimal column as it is, so the column's index serves it), a
/// floating-point number `double precision`, text, dates and date-times `text`.
fn parameter_type(value: &Value) -> Type {
    match value {
        Value::Integer(_) => Type::INT8,
        Value::Float(_) => Type::FLOAT8,
        Value::Boolean(_) => Type::BOOL,
        Value::Decimal(_) => Type::NUMERIC,
        Value::Null | Value::String(_) | Value::Date(_) | Value::DateTime(_) => Type::TEXT,
    }
}

/// Runs a rendered statement in one round trip, its parameters typed by their values.
async fn rows(client: &impl GenericClient, sql: &Sql<'_>) -> Result<Vec<Row>> {
    let bound: Vec<(Parameter<'_>, Type)> =
        sql.parameters.iter().map(|value| (Parameter(value.as_ref()), parameter_type(value))).collect();
    let parameters: Vec<(&(dyn ToSql + Sync), Type)> =
        bound.iter().map(|(parameter, ty)| (parameter as &(dyn ToSql + Sync), ty.clone())).collect();
    Ok(client.query_typed(&sql.text, &parameters).await?)
}

impl Database {
    pub(in crate::store) fn query(&self, entity: &Entity, query: &Query) -> Result<Vec<QueryRow>> {
        self.check_prepared(entity)?;
        let head =
            format!("SELECT {}, {} FROM {}", select_list(&entity.fields), quote(VERSION_COLUMN), schema::table(entity));
        let sql = Sql::page(entity, Dialect::Postgres, &head, query)?;
        let found = self
            .postgres
            .wait(async {
                let client = self.postgres.client().await?;
                rows(&**client, &sql).await
            })
            .with_context(|| format!("cannot query {}", entity.name))?;
        found
            .iter()
            .map(|row| {
                let values = entity
                    .fields
                    .iter()
                    .enumerate()
                    .map(|(column, field)| Ok(stored_value(field, row, column)?.to_owned()))
                    .collect::<Result<Vec<Value>>>()?;
                let version: i64 = row.try_get(entity.fields.len())?;
                Ok(QueryRow { values, version: crate::store::stored_version(version)? })
            })
            .collect::<Result<_>>()
            .with_context(|| format!("cannot read {}", entity.name))
    }

    pub(in crate::store) fn query_count(&self, entity: &Entity, condition: &Condition) -> Result<u64> {
        self.check_prepared(entity)?;
        let head = format!("SELECT count(*) FROM {}", schema::table(entity));
        let sql = Sql::filtered(entity, Dialect::Postgres, &head, condition, None)?;
        let count: i64 = self
            .postgres
            .wait(async {
                let client = self.postgres.client().await?;
                let found = rows(&**client, &sql).await?;
                Ok(found.first().context("no count")?.try_get(0)?)
            })
            .with_context(|| format!("cannot count the rows of {}", entity.name))?;
        u64::try_from(count).context("a negative row count")
    }

    /// PostgreSQL's plan for `query`, one line per step. Sequential scans are switched off
    /// for it: a test's table is small enough that a scan would win anyway, and the question
    /// is whether an index can serve the query at all.
    pub(in crate::store) fn query_plan(&self, entity: &Entity, query: &Query) -> Result<Vec<String>> {
        self.check_prepared(entity)?;
        let head = format!("EXPLAIN SELECT * FROM {}", schema::table(entity));
        let sort = query.sort(entity);
        let sql = Sql::filtered(entity, Dialect::Postgres, &head, &query.condition, Some(&sort))?;
        self.postgres.wait(async {
            let mut client = self.postgres.client().await?;
            // Rolled back when dropped: the setting ends with it.
            let transaction = client.transaction().await?;
            transaction.batch_execute("SET LOCAL enable_seqscan = off").await?;
            let steps = rows(&*transaction, &sql).await?;
            steps.iter().map(|step| Ok(step.try_get::<_, String>(0)?)).collect()
        })
    }
}
