//! The OpenAPI 3.1 document at `/openapi.json`: the connector, the data-package actions, the
//! token endpoint and the management API, generated from the handlers' own registrations (each
//! route is registered once, with `utoipa-axum`, for both routing and the document). OData
//! stays out: its contract is `$metadata`.
//!
//! What the handlers' attributes cannot say is added here, once for every operation: the
//! security schemes, the refusals every authenticated route can answer (401, 403, 429), a body
//! over the limit (413) and the server's own failures (500, 507), the language segment D365 puts before the connector's
//! paths, and the links a stateful client follows (enqueue → job status, dequeue → ack).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use utoipa_axum::router::OpenApiRouter;

use super::{AppState, connector, manage, packages, token};

/// The prefix of the connector's second registration, as D365's own examples write it.
const LANGUAGE_PREFIX: &str = "/{lang}/api/connector";

/// Every documented route: the routes to serve and, beside them, the document describing them.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(token::routes())
        .nest("/api/connector", connector::routes())
        // D365's own examples put a language segment first (`/en/api/connector/…`).
        .nest(LANGUAGE_PREFIX, connector::routes())
        .merge(packages::routes())
        .nest("/manage", manage::routes().merge(super::console::manage_routes()))
}

/// The document the routes describe, finished: what [`routes`] alone cannot say, added.
pub fn document() -> Value {
    let (_, api) = routes().split_for_parts();
    finished(&api)
}

/// `api`, as [`routes`] split it off, finished.
pub(super) fn finished(api: &utoipa::openapi::OpenApi) -> Value {
    finish(serde_json::to_value(api).unwrap_or_default())
}

/// The answer of `GET /openapi.json`: `document`, rendered once at start.
#[derive(Debug, Clone)]
pub(super) struct Rendered(bytes::Bytes);

impl Rendered {
    /// `document`, rendered.
    pub(super) fn new(document: &Value) -> Rendered {
        Rendered(bytes::Bytes::from(serde_json::to_vec_pretty(document).unwrap_or_default()))
    }

    /// The answer, with its content type.
    pub(super) fn response(&self) -> Response {
        let content_type = HeaderValue::from_static("application/json");
        ([(header::CONTENT_TYPE, content_type)], self.0.clone()).into_response()
    }
}

/// `api` (as utoipa wrote it) with the document's title, its security schemes and what every
/// operation shares.
fn finish(mut api: Value) -> Value {
    api["info"] = json!({
        "title": "Wharf",
        "description": "D365 F&O's recurring-integrations connector and data-package API, the OAuth \
            token endpoint and Wharf's management API. OData (`/data`) is described by `/data/$metadata`.",
        "version": env!("CARGO_PKG_VERSION"),
        "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" },
    });
    let components = object(&mut api, "components");
    components.insert(
        "securitySchemes".into(),
        json!({
            "oauth2": {
                "type": "oauth2",
                "description": "A client's credentials exchanged at the token endpoint.",
                "flows": { "clientCredentials": { "tokenUrl": "/oauth2/v2.0/token", "scopes": {} } },
            },
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "A token from the token endpoint, or from the external issuer when one is configured.",
            },
        }),
    );
    api["security"] = json!([{ "oauth2": [] }, { "bearer": [] }]);
    let paths = object(&mut api, "paths");
    let names: Vec<String> = paths.keys().cloned().collect();
    for path in names {
        let Some(item) = paths.get_mut(&path).and_then(Value::as_object_mut) else { continue };
        let in_language = path.starts_with(LANGUAGE_PREFIX);
        if in_language {
            let languages = json!({
                "name": "lang",
                "in": "path",
                "required": true,
                "description": "A language segment, as D365's examples write (`en`): accepted and ignored.",
                "schema": { "type": "string", "pattern": "^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$" },
            });
            item.insert("parameters".into(), json!([languages]));
        }
        for (method, operation) in item.iter_mut() {
            let Some(operation) = operation.as_object_mut() else { continue };
            if method == "parameters" {
                continue;
            }
            // Operation ids are unique: the connector's second registration gets its own.
            if in_language && let Some(Value::String(id)) = operation.get_mut("operationId") {
                id.push_str("_in_language");
            }
            shared_responses(method, operation);
            binary_bodies(operation);
        }
    }
    links(&mut api);
    api
}

/// The member `name` of `value`'s object, made an object when it is not one.
fn object<'a>(value: &'a mut Value, name: &str) -> &'a mut Map<String, Value> {
    if !value[name].is_object() {
        value[name] = json!({});
    }
    match &mut value[name] {
        Value::Object(object) => object,
        _ => unreachable!("made an object above"),
    }
}

/// Adds the answers an operation shares with others: the refusals of an authenticated route,
/// of a body over the limit, and the server's own failures.
fn shared_responses(method: &str, operation: &mut Map<String, Value>) {
    // `security: [{}]` marks the routes that take no bearer token.
    let open = operation.get("security").is_some_and(|security| security == &json!([{}]));
    let error = |description: &str| {
        json!({
            "description": description,
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ApiError" } } },
        })
    };
    let retry_after = json!({
        "Retry-After": { "description": "Whole seconds to wait.", "schema": { "type": "integer", "minimum": 1 } },
    });
    let mut shared = Vec::new();
    if !open {
        let mut unauthorized = error("The bearer token is missing, invalid or expired.");
        unauthorized["headers"] = json!({
            "WWW-Authenticate": { "description": "RFC 6750's challenge.", "schema": { "type": "string" } },
        });
        shared.push(("401", unauthorized));
        shared.push(("403", error("The client is not registered or disabled, or lacks the role or grant.")));
        let mut too_many = error("The client's request budget is spent.");
        too_many["headers"] = retry_after.clone();
        shared.push(("429", too_many));
    }
    shared.push(("500", error("The server failed; the details are in its log.")));
    if method != "get" {
        shared.push(("413", error("The body is larger than the server takes.")));
        let mut full = error("The server has no room to store the request now.");
        full["headers"] = retry_after;
        shared.push(("507", full));
    }
    let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else { return };
    for (status, response) in shared {
        responses.entry(status).or_insert(response);
    }
    // Sorted by status, as utoipa sorts the handlers' own.
    let sorted: std::collections::BTreeMap<String, Value> = std::mem::take(responses).into_iter().collect();
    responses.extend(sorted);
}

/// Marks streamed bodies (documents, packages) as bytes: utoipa writes them as text.
fn binary_bodies(operation: &mut Map<String, Value>) {
    if let Some(content) = operation.get_mut("requestBody").and_then(|body| body.get_mut("content")) {
        binary(content);
    }
    if let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) {
        responses.values_mut().filter_map(|response| response.get_mut("content")).for_each(binary);
    }
}

/// `content` (a map of media types) with its packages' and files' schemas made bytes.
fn binary(content: &mut Value) {
    let Some(content) = content.as_object_mut() else { return };
    for (media_type, entry) in content.iter_mut() {
        if media_type == "application/octet-stream" || media_type == "application/zip" {
            entry["schema"] = json!({ "type": "string", "format": "binary" });
        }
    }
}

/// The links a stateful client follows through the connector: an enqueue's message id to its
/// job status, and a dequeue's answer to its ack (whose body is that answer) and to its job
/// status.
fn links(api: &mut Value) {
    for (prefix, suffix) in [("/api/connector", ""), (LANGUAGE_PREFIX, "_in_language")] {
        let activity = "$request.path.activity";
        let mut parameters = json!({ "activity": activity });
        if !suffix.is_empty() {
            parameters["lang"] = json!("$request.path.lang");
        }
        let enqueued = json!({
            "JobStatus": {
                "operationId": format!("job_status{suffix}"),
                "description": "The status of the message just enqueued.",
                "parameters": merged(&parameters, json!({ "jobId": "$response.body" })),
            },
        });
        let dequeued = json!({
            "Ack": {
                "operationId": format!("ack{suffix}"),
                "description": "Acknowledges the message just dequeued: the body is the dequeue's answer.",
                "parameters": parameters.clone(),
                "requestBody": "$response.body",
            },
            "JobStatus": {
                "operationId": format!("job_status{suffix}"),
                "description": "The status of the message just dequeued.",
                "parameters": merged(&parameters, json!({ "jobId": "$response.body#/CorrelationId" })),
            },
        });
        let paths = &mut api["paths"];
        paths[format!("{prefix}/enqueue/{{activity}}")]["post"]["responses"]["200"]["links"] = enqueued;
        paths[format!("{prefix}/dequeue/{{activity}}")]["get"]["responses"]["200"]["links"] = dequeued;
    }
}

/// `base` with `more`'s members added.
fn merged(base: &Value, more: Value) -> Value {
    let mut merged = base.clone();
    if let (Some(merged), Value::Object(more)) = (merged.as_object_mut(), more) {
        merged.extend(more);
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_connector_operation_is_documented_twice_with_unique_operation_ids() {
        let document = document();
        let mut ids = Vec::new();
        for (path, item) in document["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("a path item") {
                if method == "parameters" {
                    continue;
                }
                let id = operation["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has an id"));
                ids.push(id.to_owned());
            }
        }
        let count = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), count, "operation ids repeat: {ids:?}");
        for id in ["enqueue", "enqueue_in_language", "ack", "ack_in_language", "job_status_in_language"] {
            assert!(ids.iter().any(|known| known == id), "no operation {id}: {ids:?}");
        }
    }

    #[test]
    fn an_authenticated_operation_answers_401_and_an_open_one_does_not() {
        let document = document();
        let dequeue = &document["paths"]["/api/connector/dequeue/{activity}"]["get"]["responses"];
        assert!(dequeue["401"].is_object() && dequeue["429"].is_object(), "{dequeue}");
        let token = &document["paths"]["/oauth2/v2.0/token"]["post"]["responses"];
        assert!(token["401"]["content"]["application/json"]["schema"]["$ref"] != "#/components/schemas/ApiError");
        let jwks = &document["paths"]["/.well-known/jwks.json"]["get"]["responses"];
        assert!(jwks.get("401").is_none(), "{jwks}");
    }
}
