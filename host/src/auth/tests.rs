//! Tests of issuing and validating tokens, of client registrations and of key rotation, each
//! against both backends: real key and database files in a temporary directory, and a fresh
//! schema of a PostgreSQL test server. Forged tokens are built by hand, byte by byte.

use std::fs;
use std::sync::{Barrier, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::RsaPrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::traits::PublicKeyParts as _;
use serde_json::{Value, json};
use tempfile::TempDir;

use super::keys::{Keyring, SigningKey, StoredKey};
use super::state::{HANDOVER, POLL_INTERVAL, STALE_LIMIT};
use super::token::Claims;
use super::*;
use crate::backend::{Postgres, testing};

const URL: &str = "https://wharf.test";
const ENTRA_ISSUER: &str = "https://sts.windows.net/6d7c3f0e-0000-4000-8000-000000000001/";
const ENTRA_AUDIENCE: &str = "api://wharf";
const CLIENT_ID: &str = "11111111-2222-4333-8444-555555555555";

fn settings() -> AuthSettings {
    AuthSettings { issuer: URL.into(), audience: URL.into(), ..AuthSettings::default() }
}

/// Which backend a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sqlite,
    Postgres,
}

/// Defines a test that runs once against each backend, as `name::sqlite` and `name::postgres`.
macro_rules! on_both_backends {
    (fn $name:ident($kind:ident: Kind) $body:block) => {
        mod $name {
            use super::*;

            fn run($kind: Kind) $body

            #[test]
            fn sqlite() {
                run(Kind::Sqlite)
            }

            #[test]
            fn postgres() {
                run(Kind::Postgres)
            }
        }
    };
}

/// Where a test's auth state lives: files in a temporary directory (SQLite), or a fresh schema
/// of the test server (PostgreSQL), which every [`Place::open`] connects to anew, as another
/// replica would.
struct Place {
    kind: Kind,
    dir: TempDir,
    /// The schema's URL, with PostgreSQL.
    url: Option<String>,
}

impl Place {
    fn new(kind: Kind) -> Place {
        let dir = TempDir::new().expect("temporary directory");
        let url = (kind == Kind::Postgres).then(|| testing::scratch().expect("a PostgreSQL schema"));
        Place { kind, dir, url }
    }

    /// A backend of its own on the place: another process's SQLite connections, another
    /// replica's PostgreSQL pool.
    fn backend(&self) -> Backend {
        match &self.url {
            None => Backend::Sqlite,
            Some(url) => Backend::Postgres(Postgres::connect_blocking(url, 4).expect("the test database connects")),
        }
    }

    fn open(&self, settings: AuthSettings) -> Auth {
        let path = self.dir.path();
        Auth::open(&self.backend(), &path.join("wharf.db"), &path.join("keys/signing-key.pem"), settings)
            .expect("auth opens")
    }

    /// Waits until `check` holds, for as long as a change made through one `Auth` may take to
    /// count through another: not at all with SQLite, twice the poll interval with PostgreSQL
    /// (notifications make it milliseconds; the poll alone takes up to one interval).
    fn within_bound(&self, what: &str, check: impl Fn() -> bool) {
        self.within(Duration::ZERO, what, check)
    }

    /// Waits until `check` holds, for as long as a rotated key may take to sign: not at all
    /// with SQLite, the handover and the bound with PostgreSQL.
    fn within_handover(&self, what: &str, check: impl Fn() -> bool) {
        // A second more: retirements are kept in whole seconds.
        self.within(HANDOVER + Duration::from_secs(1), what, check)
    }

    /// Waits until `check` holds, for `extra` and the bound with PostgreSQL, and not at all
    /// with SQLite.
    fn within(&self, extra: Duration, what: &str, check: impl Fn() -> bool) {
        let bound = match self.kind {
            Kind::Sqlite => Duration::ZERO,
            Kind::Postgres => extra + POLL_INTERVAL * 2,
        };
        let start = Instant::now();
        while !check() {
            assert!(start.elapsed() <= bound, "{what}: not within {bound:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The secret hash stored for `client_id`.
    fn stored_secret_hash(&self, client_id: &str) -> String {
        match &self.url {
            None => {
                let database = rusqlite::Connection::open(self.dir.path().join("wharf.db")).expect("database");
                database
                    .query_row("SELECT secret_hash FROM auth_clients WHERE id = ?1", [client_id], |row| row.get(0))
                    .expect("stored")
            }
            Some(_) => self.query_one("SELECT secret_hash FROM auth_clients WHERE id = $1", client_id),
        }
    }

    /// Runs `sql` on the PostgreSQL schema.
    fn execute(&self, sql: &str) {
        let Backend::Postgres(postgres) = self.backend() else { panic!("not a PostgreSQL place") };
        postgres.block_on(async { anyhow::Ok(postgres.client().await?.batch_execute(sql).await?) }).expect("executed");
    }

    /// The first column of the one row `sql` returns with `parameter`, from the PostgreSQL schema.
    fn query_one(&self, sql: &str, parameter: &str) -> String {
        let Backend::Postgres(postgres) = self.backend() else { panic!("not a PostgreSQL place") };
        postgres
            .block_on(async {
                let row = postgres.client().await?.query_one(sql, &[&parameter]).await?;
                anyhow::Ok(row.get::<_, String>(0))
            })
            .expect("queried")
    }
}

fn new_client(id: &str) -> NewClient {
    NewClient {
        id: Some(id.into()),
        name: "Integration".into(),
        roles: [Role::DataManagement].into(),
        companies: Companies::Only(["usmf".to_owned()].into()),
        enabled: true,
    }
}

/// An auth state with one registered client.
struct Fixture {
    place: Place,
    auth: Auth,
    client: Client,
    secret: String,
}

fn fixture_with(kind: Kind, settings: AuthSettings) -> Fixture {
    let place = Place::new(kind);
    let auth = place.open(settings);
    let (client, secret) = auth.add_client(new_client(CLIENT_ID)).expect("client added");
    Fixture { place, auth, client, secret }
}

fn fixture(kind: Kind) -> Fixture {
    fixture_with(kind, settings())
}

fn request(client_id: &str, secret: &str) -> TokenRequest {
    TokenRequest {
        grant_type: Some("client_credentials".into()),
        client_id: Some(client_id.into()),
        client_secret: Some(secret.into()),
        resource: Some(URL.into()),
        scope: Some(format!("{URL}/.default")),
    }
}

impl Fixture {
    fn token(&self) -> String {
        let request = request(&self.client.id, &self.secret);
        self.auth.issue(TokenEndpoint::V1, &request, None).expect("token issued").access_token
    }

    /// The claims Wharf would put in a token for the fixture's client now.
    fn claims(&self) -> Claims {
        let now = jsonwebtoken::get_current_timestamp();
        Claims {
            iss: URL.into(),
            aud: URL.into(),
            sub: self.client.id.clone(),
            client_id: self.client.id.clone(),
            appid: None,
            azp: Some(self.client.id.clone()),
            roles: vec![Role::DataManagement],
            iat: now,
            nbf: now,
            exp: now + 3600,
            jti: "jti".into(),
        }
    }

    fn signed(&self, claims: &Claims) -> String {
        self.auth.inner.state.last().keyring.signing().sign(claims).expect("token signed")
    }
}

fn invalid_reason(result: Result<Caller, AuthError>) -> String {
    match result {
        Err(AuthError::Invalid(reason)) => reason,
        other => panic!("expected an invalid token, got {other:?}"),
    }
}

fn encoded(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// The decoded header and payload of a JWT, unchecked.
fn parts(token: &str) -> (Value, Value) {
    let mut parts = token.split('.').map(|part| {
        let json = URL_SAFE_NO_PAD.decode(part).expect("base64url part");
        serde_json::from_slice::<Value>(&json).expect("JSON part")
    });
    (parts.next().expect("header"), parts.next().expect("payload"))
}

on_both_backends! {
    fn a_v1_token_request_gets_an_entra_shaped_response_and_a_token_that_validates_to_the_client(kind: Kind) {
        let fixture = fixture(kind);
        let response = fixture.auth.issue(TokenEndpoint::V1, &request(CLIENT_ID, &fixture.secret), None).expect("issued");

        let body = serde_json::to_value(&response).expect("serializable");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3600);
        assert_eq!(body["ext_expires_in"], 3600);
        assert_eq!(body["resource"], URL);
        let expires_on: u64 = body["expires_on"].as_str().expect("a string").parse().expect("a number");
        let not_before: u64 = body["not_before"].as_str().expect("a string").parse().expect("a number");
        assert_eq!(expires_on - not_before, 3600);

        let (header, payload) = parts(&response.access_token);
        assert_eq!(header["alg"], "EdDSA");
        assert_eq!(header["typ"], "at+jwt");
        assert_eq!(header["kid"], fixture.auth.jwks()["keys"][0]["kid"]);
        assert_eq!((payload["iss"].as_str(), payload["aud"].as_str()), (Some(URL), Some(URL)));
        assert_eq!((payload["sub"].as_str(), payload["appid"].as_str()), (Some(CLIENT_ID), Some(CLIENT_ID)));
        assert_eq!(payload["azp"], Value::Null);
        assert_eq!(payload["roles"], json!(["data-management"]));

        let caller = fixture.auth.validate(&response.access_token).expect("valid");
        assert_eq!(caller.client_id, CLIENT_ID);
        assert!(caller.is(Role::DataManagement) && !caller.is(Role::Admin));
        assert!(caller.may_see("USMF") && !caller.may_see("DEMF"));
    }
}

on_both_backends! {
    fn a_v2_token_request_with_basic_credentials_gets_a_token_naming_the_client_in_azp(kind: Kind) {
        let fixture = fixture(kind);
        let mut request = request(CLIENT_ID, &fixture.secret);
        (request.client_id, request.client_secret, request.resource) = (None, None, None);
        let basic = Some((CLIENT_ID.to_uppercase(), fixture.secret.clone()));
        let response = fixture.auth.issue(TokenEndpoint::V2, &request, basic).expect("issued");

        let body = serde_json::to_value(&response).expect("serializable");
        assert_eq!(body.as_object().map(|body| body.len()), Some(4), "{body}");
        let (_, payload) = parts(&response.access_token);
        assert_eq!((payload["azp"].as_str(), &payload["appid"]), (Some(CLIENT_ID), &Value::Null));
        assert_eq!(fixture.auth.validate(&response.access_token).expect("valid").client_id, CLIENT_ID);
    }
}

on_both_backends! {
    fn a_wrong_secret_an_unknown_client_and_a_disabled_client_get_the_same_invalid_client_error(kind: Kind) {
        let fixture = fixture(kind);
        let wrong_secret = fixture.auth.issue(TokenEndpoint::V1, &request(CLIENT_ID, "guess"), None).expect_err("refused");
        let unknown =
            fixture.auth.issue(TokenEndpoint::V1, &request("nobody", &fixture.secret), None).expect_err("refused");
        fixture.auth.set_client(&Client { enabled: false, ..fixture.client.clone() }).expect("disabled");
        let disabled =
            fixture.auth.issue(TokenEndpoint::V1, &request(CLIENT_ID, &fixture.secret), None).expect_err("refused");

        assert_eq!(wrong_secret.kind, TokenErrorKind::InvalidClient);
        assert_eq!((&wrong_secret, &wrong_secret), (&unknown, &disabled));
        assert_eq!(wrong_secret.status(), 401);
        assert_eq!(wrong_secret.body()["error"], "invalid_client");
    }
}

on_both_backends! {
    fn a_resource_or_scope_other_than_the_audience_is_refused(kind: Kind) {
        let fixture = fixture(kind);
        let issue = |endpoint, resource: Option<&str>, scope: Option<&str>| {
            let mut request = request(CLIENT_ID, &fixture.secret);
            request.resource = resource.map(str::to_owned);
            request.scope = scope.map(str::to_owned);
            fixture.auth.issue(endpoint, &request, None).map(|_| ()).map_err(|error| error.kind)
        };
        use TokenErrorKind::*;
        assert_eq!(issue(TokenEndpoint::V1, Some("https://wharf.test/"), None), Ok(()));
        assert_eq!(issue(TokenEndpoint::V1, Some("https://wharf.test//"), None), Err(InvalidResource));
        assert_eq!(issue(TokenEndpoint::V1, Some("https://other.test"), None), Err(InvalidResource));
        assert_eq!(issue(TokenEndpoint::V1, None, Some("https://wharf.test/.default")), Err(InvalidRequest));
        assert_eq!(issue(TokenEndpoint::V2, None, Some("https://wharf.test/.default")), Ok(()));
        assert_eq!(issue(TokenEndpoint::V2, None, Some("https://wharf.test.default")), Err(InvalidScope));
        assert_eq!(issue(TokenEndpoint::V2, None, Some("https://other.test/.default")), Err(InvalidScope));
        assert_eq!(issue(TokenEndpoint::V2, Some(URL), None), Err(InvalidRequest));
    }
}

on_both_backends! {
    fn grant_types_other_than_client_credentials_are_unsupported(kind: Kind) {
        let fixture = fixture(kind);
        let mut request = request(CLIENT_ID, &fixture.secret);
        request.grant_type = Some("password".into());
        let error = fixture.auth.issue(TokenEndpoint::V1, &request, None).expect_err("refused");
        assert_eq!((error.kind, error.status()), (TokenErrorKind::UnsupportedGrantType, 400));
        assert_eq!(error.body()["error"], "unsupported_grant_type");

        request.grant_type = None;
        let error = fixture.auth.issue(TokenEndpoint::V1, &request, None).expect_err("refused");
        assert_eq!(error.kind, TokenErrorKind::InvalidRequest);
    }
}

on_both_backends! {
    fn a_secret_both_in_the_header_and_in_the_body_is_refused(kind: Kind) {
        let fixture = fixture(kind);
        let basic = Some((CLIENT_ID.to_owned(), fixture.secret.clone()));
        let error =
            fixture.auth.issue(TokenEndpoint::V1, &request(CLIENT_ID, &fixture.secret), basic).expect_err("refused");
        assert_eq!(error.kind, TokenErrorKind::InvalidRequest);
    }
}

on_both_backends! {
    fn expired_tokens_are_invalid_once_past_the_leeway(kind: Kind) {
        let fixture = fixture(kind);
        let now = jsonwebtoken::get_current_timestamp();
        let within_leeway = Claims { iat: now - 3630, nbf: now - 3630, exp: now - 30, ..fixture.claims() };
        assert!(fixture.auth.validate(&fixture.signed(&within_leeway)).is_ok());
        let expired = Claims { iat: now - 3720, nbf: now - 3720, exp: now - 120, ..fixture.claims() };
        assert_eq!(invalid_reason(fixture.auth.validate(&fixture.signed(&expired))), "expired");
    }
}

on_both_backends! {
    fn tokens_not_valid_yet_beyond_the_leeway_are_invalid(kind: Kind) {
        let fixture = fixture(kind);
        let now = jsonwebtoken::get_current_timestamp();
        let early = Claims { nbf: now + 300, ..fixture.claims() };
        assert!(invalid_reason(fixture.auth.validate(&fixture.signed(&early))).contains("nbf"));
    }
}

on_both_backends! {
    fn tokens_for_another_audience_or_from_another_issuer_are_invalid(kind: Kind) {
        let fixture = fixture(kind);
        let other_audience = Claims { aud: "https://other.test".into(), ..fixture.claims() };
        assert_eq!(invalid_reason(fixture.auth.validate(&fixture.signed(&other_audience))), "wrong audience");
        let other_issuer = Claims { iss: "https://other.test".into(), ..fixture.claims() };
        assert_eq!(invalid_reason(fixture.auth.validate(&fixture.signed(&other_issuer))), "wrong issuer");
    }
}

on_both_backends! {
    fn tokens_signed_with_the_key_but_not_typed_at_jwt_are_invalid(kind: Kind) {
        let fixture = fixture(kind);
        let snapshot = fixture.auth.inner.state.last();
        let key = &snapshot.keyring.active.encoding;
        let plain_jwt = jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &fixture.claims(), key).expect("signed");
        assert!(invalid_reason(fixture.auth.validate(&plain_jwt)).contains("typ"));
    }
}

on_both_backends! {
    fn unsigned_tokens_with_alg_none_are_invalid(kind: Kind) {
        let fixture = fixture(kind);
        let claims = serde_json::to_value(fixture.claims()).expect("serializable");
        let unsigned = format!("{}.{}.", encoded(&json!({"alg": "none", "typ": "at+jwt"})), encoded(&claims));
        invalid_reason(fixture.auth.validate(&unsigned));
    }
}

on_both_backends! {
    fn hs256_tokens_keyed_with_the_public_key_are_invalid(kind: Kind) {
        let fixture = fixture(kind);
        let public_key = URL_SAFE_NO_PAD.decode(fixture.auth.jwks()["keys"][0]["x"].as_str().expect("x")).expect("base64");
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some("at+jwt".into());
        let forged =
            jsonwebtoken::encode(&header, &fixture.claims(), &EncodingKey::from_secret(&public_key)).expect("signed");
        assert!(invalid_reason(fixture.auth.validate(&forged)).contains("HS256"));
    }
}

on_both_backends! {
    fn a_token_whose_payload_was_changed_is_invalid(kind: Kind) {
        let fixture = fixture(kind);
        fixture.auth.add_client(NewClient { roles: [Role::Admin].into(), ..new_client("admin") }).expect("added");
        let token = fixture.token();
        let (_, mut payload) = parts(&token);
        payload["client_id"] = json!("admin");
        let pieces: Vec<&str> = token.split('.').collect();
        let tampered = format!("{}.{}.{}", pieces[0], encoded(&payload), pieces[2]);
        assert_eq!(invalid_reason(fixture.auth.validate(&tampered)), "bad signature");
    }
}

on_both_backends! {
    fn garbage_and_oversized_tokens_are_invalid_and_no_token_is_missing(kind: Kind) {
        let fixture = fixture(kind);
        assert_eq!(fixture.auth.validate("  "), Err(AuthError::Missing));
        invalid_reason(fixture.auth.validate("garbage"));
        invalid_reason(fixture.auth.validate("a.b.c"));
        let token = fixture.token();
        let oversized = format!("{token}{}", "A".repeat(20 * 1024));
        assert!(invalid_reason(fixture.auth.validate(&oversized)).contains("longer than"));
    }
}

on_both_backends! {
    fn a_removed_or_disabled_clients_unexpired_token_is_not_mapped(kind: Kind) {
        let fixture = fixture(kind);
        let token = fixture.token();
        assert!(fixture.auth.validate(&token).is_ok(), "validated once, so the token is remembered");

        fixture.auth.set_client(&Client { enabled: false, ..fixture.client.clone() }).expect("disabled");
        assert_eq!(fixture.auth.validate(&token), Err(AuthError::NotMapped(CLIENT_ID.into())));
        fixture.auth.set_client(&fixture.client).expect("enabled");
        assert!(fixture.auth.validate(&token).is_ok());

        assert!(fixture.auth.remove_client(CLIENT_ID).expect("removed"));
        assert_eq!(fixture.auth.validate(&token), Err(AuthError::NotMapped(CLIENT_ID.into())));
    }
}

on_both_backends! {
    fn changes_made_through_another_handle_on_the_database_count_at_once_or_within_the_bound(kind: Kind) {
        let fixture = fixture(kind);
        let place = &fixture.place;
        let token = fixture.token();
        assert!(fixture.auth.validate(&token).is_ok(), "validated once, so the token is remembered");
        // As `wharf client` does from another process, or another replica: connections and a
        // memory copy of its own.
        let other = place.open(settings());
        let secret_works = |secret: &str| fixture.auth.issue(TokenEndpoint::V1, &request(CLIENT_ID, secret), None).is_ok();
        let refused = || fixture.auth.validate(&token) == Err(AuthError::NotMapped(CLIENT_ID.into()));

        other.set_client(&Client { enabled: false, ..fixture.client.clone() }).expect("disabled");
        place.within_bound("a disabled client's token is refused", refused);
        assert!(!secret_works(&fixture.secret), "a disabled client's secret");
        other.set_client(&fixture.client).expect("enabled");
        place.within_bound("an enabled client's token is accepted", || fixture.auth.validate(&token).is_ok());

        let secret = other.reset_secret(CLIENT_ID).expect("a new secret");
        place.within_bound("the new secret works", || secret_works(&secret));
        assert!(!secret_works(&fixture.secret), "the old secret");

        assert!(other.remove_client(CLIENT_ID).expect("removed"));
        place.within_bound("a removed client's token is refused", refused);
        assert_eq!(fixture.auth.client(CLIENT_ID), None);
    }
}

on_both_backends! {
    fn a_token_issued_before_reopening_validates_after_it(kind: Kind) {
        let fixture = fixture(kind);
        let token = fixture.token();
        let jwks = fixture.auth.jwks();
        drop(fixture.auth);

        let auth = fixture.place.open(settings());
        assert_eq!(auth.jwks(), jwks);
        assert_eq!(auth.validate(&token).expect("valid").client_id, CLIENT_ID);
    }
}

#[cfg(unix)]
#[test]
fn the_signing_key_file_is_created_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let fixture = fixture(Kind::Sqlite);
    let metadata = fs::metadata(fixture.place.dir.path().join("keys/signing-key.pem")).expect("key file");
    assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
}

on_both_backends! {
    fn registrations_persist_and_secrets_are_kept_only_as_argon2id_hashes(kind: Kind) {
        let fixture = fixture(kind);
        let (generated, _) = fixture
            .auth
            .add_client(NewClient { id: None, companies: Companies::All, ..new_client("ignored") })
            .expect("added");
        assert!(uuid::Uuid::parse_str(&generated.id).is_ok(), "{}", generated.id);
        let clients = fixture.auth.clients();
        drop(fixture.auth);

        let auth = fixture.place.open(settings());
        assert_eq!(auth.clients(), clients);
        let hash = fixture.place.stored_secret_hash(CLIENT_ID);
        assert!(hash.starts_with("$argon2id$") && !hash.contains(&fixture.secret), "{hash}");

        let secret = auth.reset_secret(CLIENT_ID).expect("reset");
        assert!(auth.issue(TokenEndpoint::V1, &request(CLIENT_ID, &fixture.secret), None).is_err());
        assert!(auth.issue(TokenEndpoint::V1, &request(CLIENT_ID, &secret), None).is_ok());
    }
}

on_both_backends! {
    fn clients_are_listed_by_id_and_changed_only_where_they_exist(kind: Kind) {
        let fixture = fixture(kind);
        let auth = &fixture.auth;
        let (added, _) = auth.add_client(new_client("Batch.Import")).expect("added");
        assert_eq!(added.id, "batch.import");
        assert!(auth.add_client(new_client("batch.import")).is_err(), "a duplicate id");
        assert!(auth.add_client(new_client("no spaces")).is_err(), "an invalid id");
        let ids: Vec<String> = auth.clients().into_iter().map(|client| client.id).collect();
        assert_eq!(ids, ["11111111-2222-4333-8444-555555555555", "batch.import"]);

        let changed = Client {
            name: "Renamed".into(),
            roles: [Role::Admin].into(),
            companies: Companies::Only(["DEMF".to_owned()].into()),
            created: "ignored".into(),
            ..added.clone()
        };
        auth.set_client(&changed).expect("changed");
        let stored = auth.client("BATCH.IMPORT").expect("found");
        assert_eq!((stored.name.as_str(), &stored.created), ("Renamed", &added.created));
        assert_eq!(stored.companies, Companies::Only(["demf".to_owned()].into()));
        assert!(auth.set_client(&Client { id: "nobody".into(), ..changed }).is_err());
        assert!(!auth.remove_client("nobody").expect("nothing removed"));
    }
}

#[test]
fn companies_are_a_star_or_a_lowercased_list_and_roles_are_kebab_case() {
    assert_eq!(serde_json::from_value::<Companies>(json!("*")).expect("star"), Companies::All);
    let only: Companies = serde_json::from_value(json!(["USMF", "demf"])).expect("list");
    assert_eq!(only, Companies::Only(["demf".to_owned(), "usmf".to_owned()].into()));
    assert!(serde_json::from_value::<Companies>(json!("usmf")).is_err());
    assert!(serde_json::from_value::<Companies>(json!(["*"])).is_err());
    assert_eq!(serde_json::to_value(Companies::All).expect("serializable"), json!("*"));

    assert_eq!(serde_json::to_value(Role::DataManagement).expect("serializable"), json!("data-management"));
    assert_eq!(serde_json::from_value::<Role>(json!("admin")).expect("a role"), Role::Admin);
    assert_eq!(Role::DataManagement.to_string(), "data-management");
}

#[test]
fn settings_take_durations_written_for_humans_and_refuse_unknown_fields() {
    let settings: AuthSettings = toml::from_str(
        r#"
        issuer = "https://wharf.test"
        token_lifetime = "2h"
        leeway = "30s"
        [external]
        issuer = "https://sts.windows.net/tenant/"
        audience = "api://wharf"
        jwks = "entra-keys.json"
        "#,
    )
    .expect("valid settings");
    assert_eq!((settings.token_lifetime, settings.leeway), (Duration::from_secs(7200), Duration::from_secs(30)));
    assert_eq!(settings.audience, "");
    assert!(toml::from_str::<AuthSettings>("lifetime = \"1h\"").is_err());

    let dir = TempDir::new().expect("temporary directory");
    let forever = AuthSettings { token_lifetime: Duration::from_secs(365 * 86_400), ..self::settings() };
    let path = dir.path();
    let error =
        Auth::open(&Backend::Sqlite, &path.join("wharf.db"), &path.join("key.pem"), forever).expect_err("refused");
    assert!(error.to_string().contains("token_lifetime"), "{error}");
}

// Key rotation, on both backends.

fn kid_of(token: &str) -> Value {
    parts(token).0["kid"].clone()
}

fn kids(jwks: &Value) -> Vec<Value> {
    jwks["keys"].as_array().expect("a key list").iter().map(|key| key["kid"].clone()).collect()
}

on_both_backends! {
    fn a_rotated_key_signs_new_tokens_and_the_retired_one_verifies_older_tokens_everywhere(kind: Kind) {
        let fixture = fixture(kind);
        let place = &fixture.place;
        // Another process (`wharf client rotate-key`) or another replica.
        let other = place.open(settings());
        // Not validated before the rotation, so that no replica remembers it.
        let before = fixture.token();
        let old_kid = kid_of(&before);

        let new_kid = json!(other.rotate_key().expect("rotated"));
        assert_ne!(new_kid, old_kid);
        if kind == Kind::Postgres {
            // Published at once, signing only once every replica has read it.
            assert_eq!(kid_of(&fixture.token()), old_kid, "the old key signs during the handover");
            place.within_bound("the first replica publishes the new key", || kids(&fixture.auth.jwks())[0] == new_kid);
        }
        place.within_handover("the first replica signs with the new key", || kid_of(&fixture.token()) == new_kid);
        let after = fixture.token();
        assert_eq!(kid_of(&after), new_kid);
        let other_token = other.issue(TokenEndpoint::V2, &request(CLIENT_ID, &fixture.secret), None);
        assert_eq!(kid_of(&other_token.expect("issued").access_token), new_kid);

        for auth in [&fixture.auth, &other] {
            assert_eq!(auth.validate(&before).expect("a token of the retired key").client_id, CLIENT_ID);
            assert_eq!(auth.validate(&after).expect("a token of the new key").client_id, CLIENT_ID);
            assert_eq!(kids(&auth.jwks()), [new_kid.clone(), old_kid.clone()]);
        }
        drop(other);
        let reopened = place.open(settings());
        assert_eq!(reopened.jwks(), fixture.auth.jwks());
        assert_eq!(reopened.validate(&before).expect("valid after reopening").client_id, CLIENT_ID);

        let newest = json!(reopened.rotate_key().expect("rotated again"));
        place.within_handover("the first replica signs with the newest key", || kid_of(&fixture.token()) == newest);
        // The active key first; two keys retired within the same second come in either order.
        let kids = kids(&fixture.auth.jwks());
        assert_eq!(kids.len(), 3, "{kids:?}");
        assert!(kids[0] == newest && kids.contains(&new_kid) && kids.contains(&old_kid), "{kids:?}");
        assert!(fixture.auth.validate(&before).is_ok(), "two rotations later");
    }
}

#[test]
fn a_retired_key_verifies_until_its_tokens_cannot_be_valid_any_more_then_drops_out() {
    let now = jsonwebtoken::get_current_timestamp();
    let [active, recent, old] = [(); 3].map(|()| SigningKey::generate().expect("a key"));
    let stored = |key: &SigningKey, retired_at: Option<u64>| StoredKey { pem: key.pem.clone(), retired_at };
    let retention = Duration::from_secs(60);
    let keys = vec![stored(&recent, Some(now - 50)), stored(&active, None), stored(&old, Some(now - 70))];
    let keyring = Keyring::new(keys, retention).expect("a keyring");
    assert_eq!(keyring.active.kid, active.kid);
    assert!(keyring.key(&active.kid).is_some() && keyring.key(&recent.kid).is_some());
    assert!(keyring.key(&old.kid).is_none(), "retired longer ago than the retention");
    assert_eq!(kids(&keyring.jwks()), [json!(active.kid), json!(recent.kid)]);

    assert_eq!(keyring.signing().kid, active.kid);

    // Rotations whose handover is under way: the replaced keys sign on, the first to retire first.
    let keys = vec![stored(&active, None), stored(&recent, Some(now + 20)), stored(&old, Some(now + 10))];
    let keyring = Keyring::new(keys, retention).expect("a keyring");
    assert_eq!(keyring.signing().kid, old.kid);
    assert_eq!(kids(&keyring.jwks()), [json!(active.kid), json!(recent.kid), json!(old.kid)]);

    // A rotation interrupted after the active key was recorded as retired.
    let keyring = Keyring::new(vec![stored(&active, None), stored(&active, Some(now))], retention).expect("a keyring");
    assert_eq!(kids(&keyring.jwks()), [json!(active.kid)]);

    assert!(Keyring::new(vec![stored(&recent, Some(now))], retention).is_err(), "no active key");
    let two_active = vec![stored(&active, None), stored(&recent, None)];
    assert!(Keyring::new(two_active, retention).is_err(), "two active keys");
}

// Replicas sharing a PostgreSQL database.

/// Two replicas on one fresh PostgreSQL schema, each with a pool and a memory copy of its own.
fn replicas() -> (Place, Auth, Auth) {
    let place = Place::new(Kind::Postgres);
    let (first, second) = (place.open(settings()), place.open(settings()));
    (place, first, second)
}

#[test]
fn a_token_one_replica_issues_is_accepted_by_another_and_both_publish_the_same_keys() {
    let (place, first, second) = replicas();
    let (_, secret) = first.add_client(new_client(CLIENT_ID)).expect("added");
    place.within_bound("the second replica knows the client", || second.client(CLIENT_ID).is_some());

    let token = first.issue(TokenEndpoint::V1, &request(CLIENT_ID, &secret), None).expect("issued").access_token;
    assert_eq!(second.validate(&token).expect("valid on the second replica").client_id, CLIENT_ID);
    let token = second.issue(TokenEndpoint::V1, &request(CLIENT_ID, &secret), None).expect("issued").access_token;
    assert_eq!(first.validate(&token).expect("valid on the first replica").client_id, CLIENT_ID);
    assert_eq!(first.jwks(), second.jwks());
    assert_eq!(kids(&first.jwks()).len(), 1);
}

#[test]
fn a_client_disabled_through_one_replica_is_refused_by_another_within_the_bound() {
    let (place, first, second) = replicas();
    let (client, secret) = first.add_client(new_client(CLIENT_ID)).expect("added");
    place.within_bound("the second replica knows the client", || second.client(CLIENT_ID).is_some());
    let token = second.issue(TokenEndpoint::V1, &request(CLIENT_ID, &secret), None).expect("issued").access_token;
    assert!(second.validate(&token).is_ok(), "validated once, so the token is remembered");

    first.set_client(&Client { enabled: false, ..client }).expect("disabled");
    assert_eq!(first.validate(&token), Err(AuthError::NotMapped(CLIENT_ID.into())), "at once where it changed");
    place.within_bound("the second replica refuses the token", || {
        second.validate(&token) == Err(AuthError::NotMapped(CLIENT_ID.into()))
    });
    assert!(second.issue(TokenEndpoint::V1, &request(CLIENT_ID, &secret), None).is_err(), "nor issues one");
}

#[test]
fn a_replica_reads_the_clients_again_when_the_database_counts_fewer_changes_as_after_a_restore() {
    let (place, first, second) = replicas();
    first.add_client(new_client(CLIENT_ID)).expect("added");
    first.add_client(new_client("other")).expect("added");
    place.within_bound("the second replica knows the clients", || second.clients().len() == 2);

    // The database as a backup taken before the clients were added: fewer changes counted.
    place.execute(
        "ALTER TABLE auth_clients DISABLE TRIGGER auth_clients_changed;
         DELETE FROM auth_clients WHERE id = 'other';
         ALTER TABLE auth_clients ENABLE TRIGGER auth_clients_changed;
         UPDATE auth_changes SET clients = 1",
    );
    place.within_bound("the second replica reads the restored clients", || second.clients().len() == 1);
    assert!(second.client(CLIENT_ID).is_some());
}

#[test]
fn a_replica_that_cannot_read_the_database_refuses_tokens_once_its_copy_may_be_stale() {
    let (place, first, second) = replicas();
    let (_, secret) = first.add_client(new_client(CLIENT_ID)).expect("added");
    place.within_bound("the second replica knows the client", || second.client(CLIENT_ID).is_some());
    let token = second.issue(TokenEndpoint::V1, &request(CLIENT_ID, &secret), None).expect("issued").access_token;

    // Every read of the state fails from now on, as with the database out of reach.
    place.execute("DROP TABLE auth_changes CASCADE");
    let start = Instant::now();
    while second.validate(&token).is_ok() {
        assert!(start.elapsed() <= STALE_LIMIT + POLL_INTERVAL * 2, "still accepted after {:?}", start.elapsed());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(start.elapsed() >= STALE_LIMIT - POLL_INTERVAL * 2, "refused after {:?} only", start.elapsed());
    assert_eq!(second.validate(&token), Err(AuthError::NotMapped(CLIENT_ID.into())));
}

#[test]
fn on_a_servers_runtime_auth_opens_on_a_blocking_thread_and_changes_clients_from_a_handler() {
    let url = testing::scratch().expect("a PostgreSQL schema");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let dir = TempDir::new().expect("temporary directory");
    let path = dir.path().to_owned();
    // Another replica, with a runtime of its own.
    let other =
        Place { kind: Kind::Postgres, dir: TempDir::new().expect("temporary directory"), url: Some(url.clone()) };
    let removing = other.open(settings());
    runtime.block_on(async move {
        // As `wharf serve` does: the pool's connections live on the server's runtime.
        let backend = Backend::Postgres(Postgres::connect(&url, 4).await.expect("the test database connects"));
        let opening = move || Auth::open(&backend, &path.join("wharf.db"), &path.join("key.pem"), settings());
        let auth = tokio::task::spawn_blocking(opening).await.expect("no panic").expect("auth opens");
        let adding = auth.clone();
        let (client, secret) = tokio::task::spawn_blocking(move || adding.add_client(new_client(CLIENT_ID)))
            .await
            .expect("no panic")
            .expect("added");

        // On a worker thread, as a handler that does not move the call to a blocking thread.
        auth.set_client(&Client { enabled: false, ..client.clone() }).expect("disabled from a worker");
        assert_eq!(auth.client(CLIENT_ID).map(|client| client.enabled), Some(false));
        auth.set_client(&client).expect("enabled from a worker");
        let issuing = auth.clone();
        let issued = tokio::task::spawn_blocking(move || {
            issuing.issue(TokenEndpoint::V1, &request(CLIENT_ID, &secret), None).map(|response| response.access_token)
        });
        let token = issued.await.expect("no panic").expect("issued");
        assert_eq!(auth.validate(&token).expect("valid").client_id, CLIENT_ID);
        // The refresher runs on this runtime too: a change by another replica arrives.
        tokio::task::spawn_blocking(move || removing.remove_client(CLIENT_ID))
            .await
            .expect("no panic")
            .expect("removed");
        let start = Instant::now();
        while auth.validate(&token).is_ok() {
            assert!(start.elapsed() <= POLL_INTERVAL * 2, "the removal did not arrive");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
}

#[test]
fn replicas_starting_together_on_an_empty_database_end_with_one_active_key() {
    let place = Place::new(Kind::Postgres);
    // Connected (and migrated) first, so that the replicas race for the key alone.
    let backends: Vec<Backend> = (0..4).map(|_| place.backend()).collect();
    let barrier = Barrier::new(backends.len());
    let dir = place.dir.path();
    let auths: Vec<Auth> = std::thread::scope(|scope| {
        let opening: Vec<_> = backends
            .iter()
            .map(|backend| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    Auth::open(backend, &dir.join("wharf.db"), &dir.join("key.pem"), settings())
                })
            })
            .collect();
        opening.into_iter().map(|opened| opened.join().expect("no panic").expect("auth opens")).collect()
    });
    assert_eq!(place.query_one("SELECT count(*)::text FROM auth_keys WHERE $1 = ''", ""), "1");
    let jwks = auths[0].jwks();
    assert_eq!(kids(&jwks).len(), 1);
    assert!(auths.iter().all(|auth| auth.jwks() == jwks), "every replica signs with the one key");
    assert!(!dir.join("key.pem").exists(), "no key file with PostgreSQL");
}

// External issuer: RSA keys, made once per test run because generating them is slow.

fn issuer_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("RSA key"))
}

fn attacker_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("RSA key"))
}

fn jwk(key: &RsaPrivateKey, kid: &str) -> Value {
    json!({
        "kty": "RSA",
        "use": "sig",
        "kid": kid,
        "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    })
}

fn write_jwks(fixture: &Fixture, keys: &[Value]) {
    fs::write(fixture.place.dir.path().join("entra-keys.json"), json!({ "keys": keys }).to_string())
        .expect("JWKS written");
}

/// An auth state accepting Entra tokens signed with the issuer key as kid "k1". The JWKS file
/// also has keys Wharf must skip: an HMAC secret, and an Ed25519 key too short to be one.
fn external_fixture(kind: Kind) -> Fixture {
    let place = Place::new(kind);
    let dir = &place.dir;
    let skipped = [
        json!({"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}),
        json!({"kty": "OKP", "crv": "Ed25519", "kid": "short", "x": "AAAA"}),
    ];
    let keys = json!({ "keys": [jwk(issuer_key(), "k1"), skipped[0], skipped[1]] });
    fs::write(dir.path().join("entra-keys.json"), keys.to_string()).expect("JWKS written");
    let external = ExternalIssuer {
        issuer: ENTRA_ISSUER.into(),
        audience: ENTRA_AUDIENCE.into(),
        jwks: dir.path().join("entra-keys.json"),
    };
    let auth = place.open(AuthSettings { external: Some(external), ..settings() });
    let (client, secret) = auth.add_client(new_client(CLIENT_ID)).expect("client added");
    Fixture { place, auth, client, secret }
}

fn entra_claims(calling_app: Value) -> Value {
    let now = jsonwebtoken::get_current_timestamp();
    let mut claims = json!({"iss": ENTRA_ISSUER, "aud": ENTRA_AUDIENCE, "iat": now, "nbf": now, "exp": now + 3600});
    if let (Some(claims), Some(extra)) = (claims.as_object_mut(), calling_app.as_object()) {
        claims.extend(extra.clone());
    }
    claims
}

fn rs256(key: &RsaPrivateKey, header: Header, claims: &Value) -> String {
    let der = key.to_pkcs1_der().expect("DER");
    jsonwebtoken::encode(
        &Header { alg: Algorithm::RS256, ..header },
        claims,
        &EncodingKey::from_rsa_der(der.as_bytes()),
    )
    .expect("signed")
}

fn kid(kid: &str) -> Header {
    Header { kid: Some(kid.into()), ..Header::new(Algorithm::RS256) }
}

on_both_backends! {
    fn an_external_token_maps_to_the_client_named_in_azp_or_appid(kind: Kind) {
        let fixture = external_fixture(kind);
        let v2 = rs256(issuer_key(), kid("k1"), &entra_claims(json!({"azp": CLIENT_ID})));
        let v1 = rs256(issuer_key(), kid("k1"), &entra_claims(json!({"appid": CLIENT_ID})));
        for token in [v2, v1] {
            let caller = fixture.auth.validate(&token).expect("valid");
            assert_eq!((caller.client_id.as_str(), caller.may_see("usmf")), (CLIENT_ID, true));
        }

        let unmapped =
            rs256(issuer_key(), kid("k1"), &entra_claims(json!({"azp": "99999999-0000-4000-8000-000000000000"})));
        assert!(matches!(fixture.auth.validate(&unmapped), Err(AuthError::NotMapped(_))));
        let anonymous = rs256(issuer_key(), kid("k1"), &entra_claims(json!({})));
        assert_eq!(invalid_reason(fixture.auth.validate(&anonymous)), "no azp or appid claim");
        let wrong_issuer = rs256(issuer_key(), kid("k1"), &entra_claims(json!({"azp": CLIENT_ID, "iss": URL})));
        assert_eq!(invalid_reason(fixture.auth.validate(&wrong_issuer)), "wrong issuer");
        let hmac_header = Header { alg: Algorithm::HS256, ..kid("hmac") };
        let hmac = jsonwebtoken::encode(
            &hmac_header,
            &entra_claims(json!({"azp": CLIENT_ID})),
            &EncodingKey::from_secret(b"secret"),
        );
        assert!(invalid_reason(fixture.auth.validate(&hmac.expect("signed"))).contains("HS256"));
    }
}

on_both_backends! {
    fn an_unknown_kid_is_invalid_until_the_jwks_file_may_be_read_again(kind: Kind) {
        let fixture = external_fixture(kind);
        let rolled_over = rs256(attacker_key(), kid("k2"), &entra_claims(json!({"azp": CLIENT_ID})));
        assert_eq!(invalid_reason(fixture.auth.validate(&rolled_over)), r#"unknown kid "k2""#);

        write_jwks(&fixture, &[jwk(issuer_key(), "k1"), jwk(attacker_key(), "k2")]);
        assert!(fixture.auth.validate(&rolled_over).is_err(), "the file was read less than a minute ago");
        let external = fixture.auth.inner.external.as_ref().expect("an external issuer");
        *external.keys.next_read.lock().expect("unpoisoned") = Instant::now();
        assert_eq!(fixture.auth.validate(&rolled_over).expect("valid").client_id, CLIENT_ID);
    }
}

on_both_backends! {
    fn an_external_token_carrying_its_own_key_in_the_header_is_invalid(kind: Kind) {
        let fixture = external_fixture(kind);
        let attacker_jwk = serde_json::from_value(jwk(attacker_key(), "k1")).expect("a JWK");
        let header = Header { jwk: Some(attacker_jwk), jku: Some("https://attacker.test/keys".into()), ..kid("k1") };
        let forged = rs256(attacker_key(), header, &entra_claims(json!({"azp": CLIENT_ID})));
        assert_eq!(invalid_reason(fixture.auth.validate(&forged)), "bad signature");
    }
}

on_both_backends! {
    fn rs256_tokens_are_invalid_when_no_external_issuer_is_configured(kind: Kind) {
        let fixture = fixture(kind);
        let token = rs256(issuer_key(), kid("k1"), &entra_claims(json!({"azp": CLIENT_ID})));
        assert!(invalid_reason(fixture.auth.validate(&token)).contains("RS256"));
    }
}
