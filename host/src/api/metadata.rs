//! D365's metadata service at `/Metadata/DataEntities` (d365fo.integrations' `metadata/…`
//! spelling too): the deployment's entities as D365 lists its data entities, one JSON object
//! each in a `value` array (wire spec, section 5, "Other"), with the query options the
//! d365fo.integrations module sends.
//!
//! The list is a handful of entities held in memory, so `$filter` is evaluated here over each
//! entity's JSON rather than translated like the OData service's queries over the store. It
//! takes what `Get-D365DmfDataEntity` writes: `eq`, `ne`, `and`, `or`, `not`, `tolower`,
//! `toupper`, `contains`, `startswith` and `endswith` over the listed members; anything else
//! answers 501.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::caller::Caller;
use super::{ApiError, ApiResult, AppState, odata_json};
use crate::entity::Entity;
use crate::odata::syntax::{BinaryOp, Expr, Literal, parse_query};

pub(super) fn routes() -> Router<AppState> {
    // D365 documents `/Metadata/…`; d365fo.integrations writes `metadata/…`. Paths are
    // case-sensitive here, so both are routes.
    Router::new()
        .route("/Metadata/DataEntities", get(data_entities))
        .route("/metadata/DataEntities", get(data_entities))
}

/// Any caller with a token may list the entities, as any may read `/data/$metadata`.
async fn data_entities(
    State(state): State<AppState>,
    _caller: Caller,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let options = parse_query(query.as_deref().unwrap_or_default())
        .map_err(|error| ApiError::bad_request(format!("The query is not valid: {}", error.message)))?;
    let unsupported = [
        (!options.orderby.is_empty(), "$orderby"),
        (!options.select.is_empty(), "$select"),
        (!options.expand.is_empty(), "$expand"),
        (options.count, "$count"),
        (options.skiptoken.is_some(), "$skiptoken"),
    ];
    let unsupported = unsupported
        .into_iter()
        .filter_map(|(present, name)| present.then_some(name.to_owned()))
        .chain(options.unsupported.iter().cloned())
        .collect::<Vec<_>>();
    if !unsupported.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            format!("The metadata service takes $filter, $top and $skip; not {}.", unsupported.join(", ")),
        ));
    }
    let definitions = state.jobs.deployment().definitions();
    let mut entities: Vec<Value> = definitions.catalog.iter().map(|entity| data_entity(entity)).collect();
    entities.sort_by(|a, b| a["Name"].as_str().cmp(&b["Name"].as_str()));
    if let Some(filter) = &options.filter {
        let mut kept = Vec::with_capacity(entities.len());
        for entity in entities {
            if evaluate(filter, &entity)? == Value::Bool(true) {
                kept.push(entity);
            }
        }
        entities = kept;
    }
    let skip = usize::try_from(options.skip.unwrap_or(0)).unwrap_or(usize::MAX);
    let top = usize::try_from(options.top.unwrap_or(u64::MAX)).unwrap_or(usize::MAX);
    let entities: Vec<Value> = entities.into_iter().skip(skip).take(top).collect();
    Ok(odata_json(&json!({
        "@odata.context": format!("{}/Metadata/$metadata#DataEntities", state.public_url),
        "value": entities,
    })))
}

/// One entity as D365's metadata service describes a data entity. Wharf's entity has one
/// name for code and OData alike, its type name, which stands for D365's AOT name too; the
/// DMF label is what packages and `entity=` use. Every entity is served over OData and by
/// data management, and takes writes.
fn data_entity(entity: &Entity) -> Value {
    json!({
        "Name": entity.name,
        "PublicEntityName": entity.name,
        "PublicCollectionName": entity.entity_set,
        "LabelId": entity.label,
        "DataServiceEnabled": true,
        "DataManagementEnabled": true,
        "IsReadOnly": false,
    })
}

fn unsupported(what: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_IMPLEMENTED, format!("The metadata service's $filter does not take {what}."))
}

/// The value of `expr` for `entity`: a JSON string, boolean or null.
fn evaluate(expr: &Expr, entity: &Value) -> ApiResult<Value> {
    Ok(match expr {
        Expr::Literal(Literal::Null) => Value::Null,
        Expr::Literal(Literal::Boolean(flag)) => Value::Bool(*flag),
        Expr::Literal(Literal::String(text)) => Value::String(text.clone()),
        Expr::Literal(_) => return Err(unsupported("literals other than strings, booleans and null")),
        Expr::Property(path) => match path.as_slice() {
            // OData names are case-sensitive.
            [name] => entity
                .get(name.as_str())
                .cloned()
                .ok_or_else(|| ApiError::bad_request(format!("A data entity has no property {name}.")))?,
            _ => return Err(unsupported("property paths")),
        },
        Expr::Not(operand) => match evaluate(operand, entity)? {
            Value::Bool(flag) => Value::Bool(!flag),
            _ => Value::Null,
        },
        Expr::Binary(operator, left, right) => {
            let (left, right) = (evaluate(left, entity)?, evaluate(right, entity)?);
            match operator {
                BinaryOp::Eq => Value::Bool(left == right),
                BinaryOp::Ne => Value::Bool(left != right),
                BinaryOp::And | BinaryOp::Or => {
                    let (Value::Bool(left), Value::Bool(right)) = (&left, &right) else {
                        return Err(ApiError::bad_request("and and or take boolean operands."));
                    };
                    Value::Bool(if *operator == BinaryOp::And { *left && *right } else { *left || *right })
                }
                _ => return Err(unsupported("this operator")),
            }
        }
        Expr::Call(name, arguments) => {
            let arguments =
                arguments.iter().map(|argument| evaluate(argument, entity)).collect::<ApiResult<Vec<Value>>>()?;
            let text = |index: usize| -> ApiResult<Option<&str>> {
                match &arguments[index] {
                    Value::String(text) => Ok(Some(text)),
                    Value::Null => Ok(None),
                    _ => Err(ApiError::bad_request(format!("{name} takes strings."))),
                }
            };
            // The parser has checked the number of arguments of every built-in function.
            match name.as_str() {
                "tolower" => text(0)?.map_or(Value::Null, |text| Value::String(text.to_lowercase())),
                "toupper" => text(0)?.map_or(Value::Null, |text| Value::String(text.to_uppercase())),
                "contains" | "startswith" | "endswith" => match (text(0)?, text(1)?) {
                    (Some(text), Some(part)) => Value::Bool(match name.as_str() {
                        "contains" => text.contains(part),
                        "startswith" => text.starts_with(part),
                        _ => text.ends_with(part),
                    }),
                    _ => Value::Null,
                },
                other => return Err(unsupported(&format!("the function {other}"))),
            }
        }
        Expr::Negate(_) | Expr::In(..) | Expr::Lambda { .. } => return Err(unsupported("this expression")),
    })
}
