//! The one error type at the HTTP edge: every failure answers in OData's error JSON, with text
//! safe to show a client. Details that are not are logged once, here.

use std::io;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::jobs::bodies::ReceiveError;

/// The seconds a client is told to wait when the disk is full: long enough for an operator or
/// the retention to free space, short enough that a queue drains soon after.
const STORAGE_RETRY_AFTER_SECONDS: u32 = 60;

/// A failed request: its status and what the client is told.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// What went wrong, for the client.
    pub message: String,
    /// Extra headers (`WWW-Authenticate`, `Retry-After`, `Allow`).
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl ApiError {
    /// A failure with `status` and a message for the client.
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError { status, message: message.into(), headers: Vec::new() }
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 404: no such object, or one outside the caller's grants (the two look the same, so a
    /// caller learns nothing about objects it may not see).
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    /// 403: the caller is known but may not do this.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, message)
    }

    /// 401 with RFC 6750's challenge.
    pub fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "The bearer token is missing, invalid or expired.")
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer error=\"invalid_token\""))
    }

    /// 429 with the whole seconds to wait, as D365's clients parse `Retry-After`.
    pub fn too_many_requests(retry_after_seconds: u64) -> ApiError {
        let seconds = HeaderValue::from(retry_after_seconds.max(1));
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Too many requests; retry after the time Retry-After gives.")
            .with_header(header::RETRY_AFTER, seconds)
    }

    /// 507 with `Retry-After`: the server has no room to store the request now. Not 413,
    /// which tells a client that the request is refused as it is, for good; not 500, which
    /// says nothing. The same request succeeds once space is freed.
    pub fn insufficient_storage() -> ApiError {
        ApiError::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "The server has no room to store the request now; retry after the time Retry-After gives.",
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from(STORAGE_RETRY_AFTER_SECONDS))
    }

    /// 500 for a failure of the server itself, or 507 when it is a full disk or an exhausted
    /// quota: logged with its details, which the client does not see.
    pub fn internal(error: &anyhow::Error) -> ApiError {
        if storage_full(error) {
            tracing::warn!("no room to store a request: {error:#}");
            return ApiError::insufficient_storage();
        }
        tracing::error!("request failed: {error:#}");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "An error has occurred.")
    }

    /// This error with one more header.
    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> ApiError {
        self.headers.push((name, value));
        self
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> Self {
        ApiError::internal(&error)
    }
}

impl From<ReceiveError> for ApiError {
    fn from(error: ReceiveError) -> Self {
        match error {
            ReceiveError::TooLarge { .. } => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("{error}.")),
            ReceiveError::Write(error) => ApiError::internal(&error),
        }
    }
}

/// Whether anything in `error`'s chain says that the file system is full (ENOSPC) or the
/// quota spent (EDQUOT): an IO error of a file write, SQLite's `SQLITE_FULL`, or PostgreSQL's
/// `disk_full` (53100).
fn storage_full(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        if let Some(error) = cause.downcast_ref::<io::Error>() {
            return matches!(error.kind(), io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded);
        }
        if let Some(rusqlite::Error::SqliteFailure(error, _)) = cause.downcast_ref::<rusqlite::Error>() {
            return error.code == rusqlite::ErrorCode::DiskFull;
        }
        if let Some(error) = cause.downcast_ref::<tokio_postgres::Error>() {
            return error.code() == Some(&tokio_postgres::error::SqlState::DISK_FULL);
        }
        false
    })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = crate::odata::error_body(self.status.as_u16(), &self.message);
        let content_type = HeaderValue::from_static("application/json; odata.metadata=minimal; charset=utf-8");
        let mut response = (self.status, [(header::CONTENT_TYPE, content_type)], body).into_response();
        response.headers_mut().insert("OData-Version", HeaderValue::from_static("4.0"));
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// The result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

/// The body of every [`ApiError`], as the OpenAPI document describes it once (named
/// `ApiError` there): OData's error object, written by [`crate::odata::error_body`].
#[derive(utoipa::ToSchema)]
#[schema(as = ApiError)]
#[allow(dead_code, reason = "describes the body in the OpenAPI document; `odata::error_body` writes it")]
pub(crate) struct ErrorBody {
    /// The error.
    error: ErrorObject,
}

/// OData's error object.
#[derive(utoipa::ToSchema)]
#[allow(dead_code, reason = "describes the body in the OpenAPI document")]
struct ErrorObject {
    /// Empty: Wharf's kind of error is in `innererror.type`.
    code: String,
    /// What went wrong, for the client.
    message: String,
    /// The same message, with the kind of error.
    innererror: InnerError,
}

/// The detail of an OData error, as D365 writes it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code, reason = "describes the body in the OpenAPI document")]
struct InnerError {
    /// What went wrong, for the client.
    message: String,
    /// The kind of error: `Wharf.BadRequest`, `Wharf.NotFound`, `Wharf.ServerError`, ….
    #[schema(rename = "type")]
    kind: String,
    /// Always empty: no stack trace leaves the server.
    stacktrace: String,
}
