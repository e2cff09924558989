//! The OAuth token request: a urlencoded body (`serde_urlencoded` into `auth::TokenRequest`, as
//! `api/token.rs` reads it) and the checks `Auth::issue` makes before it hashes a secret, at
//! both endpoints (v1 `resource`, v2 `scope`).
//!
//! The argon2 hash is kept out of the loop (tens of milliseconds each would leave the fuzzer a
//! few hundred runs): each body is issued once without a secret, and once with HTTP Basic
//! credentials *and* a secret in the body, which `issue` refuses before hashing. So no request
//! here may get a token.
//!
//! Checks, besides no panic: a body that parses, encoded again, parses to the same fields; every
//! refusal is a 400 or a 401 whose JSON names its OAuth error code and does not echo the Basic
//! secret.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use wharf::auth::{Auth, AuthSettings, TokenEndpoint, TokenRequest};

/// The secret sent with HTTP Basic, which no answer may show.
const BASIC_SECRET: &str = "basic-secret-4f1d9c";

static AUTH: LazyLock<Auth> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let settings = AuthSettings {
        issuer: "https://wharf.example".to_owned(),
        audience: "https://wharf.example/".to_owned(),
        ..AuthSettings::default()
    };
    // Registrations are read into memory when opened, and nothing here writes any, so the
    // files can go at once rather than outlive the fuzzer in the temporary directory.
    Auth::open(
        &wharf::backend::Backend::Sqlite,
        &dir.path().join("server.db"),
        &dir.path().join("signing.pem"),
        settings,
    )
    .expect("auth opens")
});

fn fields(form: &TokenRequest) -> [Option<&str>; 5] {
    [
        form.grant_type.as_deref(),
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
        form.resource.as_deref(),
        form.scope.as_deref(),
    ]
}

fn check_reencoding(form: &TokenRequest) {
    let names = ["grant_type", "client_id", "client_secret", "resource", "scope"];
    let pairs: Vec<(&str, &str)> =
        names.iter().zip(fields(form)).filter_map(|(name, value)| value.map(|value| (*name, value))).collect();
    let encoded = serde_urlencoded::to_string(&pairs).expect("pairs of strings encode");
    let decoded: TokenRequest = serde_urlencoded::from_str(&encoded).expect("an encoded token request decodes");
    assert_eq!(fields(&decoded), fields(form), "the token request {encoded:?} did not survive an encoding");
}

fn check_refused(endpoint: TokenEndpoint, form: &TokenRequest, basic: Option<(String, String)>) {
    let error = match AUTH.issue(endpoint, form, basic) {
        Ok(_) => panic!("a token was issued to {form:?} at {endpoint:?} without a valid secret"),
        Err(error) => error,
    };
    assert!(matches!(error.status(), 400 | 401), "a refusal answered {}: {error}", error.status());
    let body = error.body();
    assert_eq!(body["error"], error.kind.code(), "the answer {body} does not name its error code");
    assert!(!body.to_string().contains(BASIC_SECRET), "the answer {body} shows the Basic secret");
}

fuzz_target!(|data: &[u8]| {
    let Ok(form) = serde_urlencoded::from_bytes::<TokenRequest>(data) else {
        return;
    };
    check_reencoding(&form);
    for endpoint in [TokenEndpoint::V1, TokenEndpoint::V2] {
        let without_secret = TokenRequest { client_secret: None, ..form.clone() };
        check_refused(endpoint, &without_secret, None);
        let client_id = form.client_id.clone().unwrap_or_else(|| "fuzz-client".to_owned());
        let with_both =
            TokenRequest { client_secret: Some(form.client_secret.clone().unwrap_or_default()), ..form.clone() };
        check_refused(endpoint, &with_both, Some((client_id, BASIC_SECRET.to_owned())));
    }
});
