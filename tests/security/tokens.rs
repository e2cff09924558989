//! API2, broken authentication: tokens whose header asks for more than Wharf checks.
//!
//! A JWS header's `crit` names extensions that a recipient must understand and enforce, or else
//! reject the token (RFC 7515 §4.1.11). Wharf understands none. Each test signs tokens that are
//! good in every other way, checks that the one without `crit` is accepted, and that each one
//! with `crit` is refused: Wharf's own tokens and an external issuer's alike.

use std::path::Path;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{Value, json};
use wharf::api::ServerConfig;
use wharf::auth::ExternalIssuer;

use super::{good_claims, mint, odata_error, own_header, seconds_now, send};
use crate::server::{CUSTOMERS_EXPORT_JOB, FABRIKAM, TestServer};

/// A call that needs nothing but a good token of FABRIKAM: its export job has nothing queued.
fn probe() -> String {
    format!("/api/connector/dequeue/{CUSTOMERS_EXPORT_JOB}")
}

/// The headers that differ from `base` only in a `crit` the server cannot honour: naming an
/// extension the header carries, naming RFC 7797's unencoded payload (with the payload encoded
/// all the same, so the signature checks out either way), and an empty list.
fn with_crit(base: &Header) -> Vec<(&'static str, Header)> {
    let mut extension = base.clone();
    extension.crit = Some(vec!["urn:example:max-uses".into()]);
    extension.extras.insert("urn:example:max-uses", 1);
    let mut b64 = base.clone();
    b64.crit = Some(vec!["b64".into()]);
    b64.extras.insert("b64", true);
    let mut empty = base.clone();
    empty.crit = Some(Vec::new());
    vec![("a crit naming a private extension", extension), ("a crit naming b64", b64), ("an empty crit", empty)]
}

/// Asserts that `good` is accepted and that each of `refused` answers 401 with a challenge.
fn good_accepted_and_crit_refused(server: &TestServer, good: &str, refused: Vec<(&str, String)>) {
    let response = send(server, Some(good), Method::GET, &probe(), Vec::new());
    assert_eq!(response.status(), 204, "the token without crit is accepted: the others differ in crit alone");
    for (what, token) in refused {
        let response = send(server, Some(&token), Method::GET, &probe(), Vec::new());
        let challenge =
            response.headers().get("www-authenticate").and_then(|value| value.to_str().ok()).unwrap_or("").to_owned();
        assert!(challenge.starts_with("Bearer"), "{what}: WWW-Authenticate {challenge:?}");
        odata_error(response, 401, what);
    }
}

#[test]
fn own_tokens_with_a_crit_header_are_refused_with_401() {
    let server = TestServer::start();
    let jwks: Value = server
        .http
        .get(server.at("/.well-known/jwks.json"))
        .send()
        .and_then(|response| response.json())
        .expect("the key set");
    let kid = jwks["keys"][0]["kid"].as_str().expect("a kid");
    let header = own_header(kid);
    let good = mint(&server, &header, &good_claims(&server));
    let refused = with_crit(&header)
        .into_iter()
        .map(|(what, header)| (what, mint(&server, &header, &good_claims(&server))))
        .collect();
    good_accepted_and_crit_refused(&server, &good, refused);
}

/// The external issuer's signing key: made for this test and published here on purpose; it
/// signs nothing but test tokens.
const ISSUER_KEY: &str = "\
-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQC4c6abq9miQ6Ad
s3iig+j7XuUCaOXBHXg+xuw5KEb2mZNPnk+A2V5o3TDuRqtAzTDgD5okCn4uFGPS
tXCT+x+DDWpbEm0D5Q0pr4gNkxDN/q3/014v5H2hAZgxWbbCIav+X2r0vL5C9zg9
1DB2zkzc9UmuOGIHcIYdqagOHtN9hsmJgzumQUFCHc5+kSooZzTpLQ1N0fcIzc/H
1iKKMJPNobrrywIrdnx1tg8R8NWt0b0WLaYAsEJ78khNnnVY7baUCnJYa5kbGFOf
pjXyPwuOyQF7C+WqQOoL4gFne8Uoz2gEy8dMpmGIyhdCZIYflRqdMYj9Olv3AsV/
5+L0w80pAgMBAAECggEAMWjNewrcSCKsW/hs+r+yI8/mMbCOxx3RTaO0uJTo+Xrn
Ip9KNb5Ek3uY9WMZ0ciFbKfRRxFGfqp4mQOAbiuJY+4ujMnRSQdM8Nsz60r3Z+7u
hkaFBvhCjOQj9ChPlA44B/JgcMG0h7S4rJtQBis6HMBaJeC1pb+HNZ/yRCIOziNd
bejgcHAKnEJVqgv6q+T478cpOuubalMOGJvFIQbNiuoRH96yyH/rd6j1Xf6o9fSH
390E1hDz9Cg6STUADubnV7DMmMntWRD+iAZ44URg1+TnkEGIRV7DwNowB5ByyVHP
BZdQ1TO4DSQl0CnBOryIvBASoEHxgZjXqI7H5wLA7wKBgQDynBCJ3+w3akMrhBgo
SwvmBv/U6kWljTV5SRClHO3HOaW7SOobklj3+88QMcuEouI1FLI2fqhU9hBe0Nfu
iAtFeXDRGdbIkD2aJJUSCbA5vTLdBe5cRf8dB/yJm+vQtO5uypRHVqI2jyp+CCAz
6TpixH9jovVqQwutmgY0LiWJQwKBgQDCodlKY4XLM07Silb9pvhEd9OJ8lVUq4cQ
9tvc8amCO/ThwC1PVw3t8RH2R6wujchyIkPJWTBfIdwSmmyqnfLz5hCymJy7F4Zs
NW3TsAS5L2fSgKJO8Jbqg3h+90uHjiPjCNnHxXpvIondP+bmqvVE8291S57PqPNR
8cJ/vlzDIwKBgAof5zTJyoLZhWoYfiWYVCvKWPzatgNdrECegvpRBb9NsZPqTBLQ
fbQDpzWGznZ/ka8jaPiLOp0pE6/RSWGj/cxtb/7Z9DO0iU2YfzwceWU/dxLwP21M
YoQkpC5d+m5gTp8DB0Me43Ahc2WFE0r3Tb93cdWHpHRFzgP1rJKa5mgfAoGAJt8u
R6Yi1ZeUuYX5o8VSNlJ8REPK+RMc8a1r8e+t/B2/Zcr9AaiQVqJcBQUBhXa5vtnL
Eg6nE4jurCR9aYIMQNwFH7ZNLyyeo0P0gF/aQaYPJUKdqAhzC7lgOnNneVZRIonk
/Poa3tFWGYMmuZERVUkNTK7is/S5S/dt8hdx7WMCgYBXsn6NzPi/1PUsFtG+pypv
WIJgHyRG30H7U56n8ttHgo4Bv0SstFxc91VllO2dSFvDNdFuzc9oZ7pL5XAYZuq4
vHRkPboRDNqFIAfTnn7PZ2628+BCAFOEmG/1Lt7fIrTC+AE3k5IvkYQ/YcTwlWUI
oVYexME1x6LAKCuW2vPzsw==
-----END PRIVATE KEY-----
";

/// The modulus of [`ISSUER_KEY`], base64url, as a JWKS file gives it.
const ISSUER_MODULUS: &str = concat!(
    "uHOmm6vZokOgHbN4ooPo-17lAmjlwR14PsbsOShG9pmTT55PgNleaN0w7karQM0w4A-aJAp-LhRj0rVwk_sfgw1q",
    "WxJtA-UNKa-IDZMQzf6t_9NeL-R9oQGYMVm2wiGr_l9q9Ly-Qvc4PdQwds5M3PVJrjhiB3CGHamoDh7TfYbJiYM7",
    "pkFBQh3OfpEqKGc06S0NTdH3CM3Px9YiijCTzaG668sCK3Z8dbYPEfDVrdG9Fi2mALBCe_JITZ51WO22lApyWGuZ",
    "GxhTn6Y18j8LjskBewvlqkDqC-IBZ3vFKM9oBMvHTKZhiMoXQmSGH5UanTGI_Tpb9wLFf-fi9MPNKQ",
);

const ISSUER: &str = "https://login.microsoftonline.com/8d2c1b7e-0000-4000-8000-000000000001/v2.0";
const AUDIENCE: &str = "api://wharf-tests";

/// Writes the test issuer's key set into `dir` and makes `config` trust the issuer.
pub(crate) fn trust_test_issuer(config: &mut ServerConfig, dir: &Path) {
    let jwks = dir.join("entra-keys.json");
    let key_set = json!({ "keys": [{ "kty": "RSA", "use": "sig", "kid": "k1", "n": ISSUER_MODULUS, "e": "AQAB" }] });
    std::fs::write(&jwks, key_set.to_string()).expect("the key set is written");
    config.auth.external = Some(ExternalIssuer { issuer: ISSUER.into(), audience: AUDIENCE.into(), jwks });
}

/// The header of the test issuer's tokens: RS256 with its key's id.
pub(crate) fn issuer_header() -> Header {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("k1".into());
    header
}

/// A token of the test issuer for client `azp`, good for an hour, signed with `header`.
pub(crate) fn issuer_token(azp: &str, header: &Header) -> String {
    let now = seconds_now();
    let claims = json!({ "iss": ISSUER, "aud": AUDIENCE, "azp": azp, "iat": now, "nbf": now, "exp": now + 3600 });
    let key = EncodingKey::from_rsa_pem(ISSUER_KEY.as_bytes()).expect("an RSA key");
    jsonwebtoken::encode(header, &claims, &key).expect("a token")
}

#[test]
fn external_issuer_tokens_with_a_crit_header_are_refused_with_401() {
    let keys = tempfile::tempdir().expect("a directory for the key set");
    let server = TestServer::start_with(|config| trust_test_issuer(config, keys.path()));
    let header = issuer_header();
    let good = issuer_token(FABRIKAM, &header);
    let refused =
        with_crit(&header).into_iter().map(|(what, header)| (what, issuer_token(FABRIKAM, &header))).collect();
    good_accepted_and_crit_refused(&server, &good, refused);
}
