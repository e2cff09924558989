//! Who is calling: the bearer token checked, the client's registration looked up, and its
//! request budget charged. Handlers take a [`Caller`] argument and get all three.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::{ApiError, AppState, Limits};
use crate::auth::{AuthError, Role};

pub use crate::auth::Caller;

/// The request budgets: per client for API calls (as D365's service protection limits each
/// user), per address for token requests.
#[derive(Debug)]
pub struct Rates {
    clients: DefaultKeyedRateLimiter<String>,
    addresses: DefaultKeyedRateLimiter<IpAddr>,
}

impl Rates {
    /// Budgets from `limits`.
    pub fn new(limits: &Limits) -> Rates {
        let per_second = NonZeroU32::new(limits.requests_per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limits.burst).unwrap_or(per_second);
        let per_minute = NonZeroU32::new(limits.token_requests_per_minute).unwrap_or(NonZeroU32::MIN);
        Rates {
            clients: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)),
            addresses: RateLimiter::keyed(Quota::per_minute(per_minute)),
        }
    }

    /// Charges one request to `client`; a 429 when its budget is spent.
    pub fn charge_client(&self, client: &str) -> Result<(), ApiError> {
        match self.clients.check_key(&client.to_owned()) {
            Ok(()) => Ok(()),
            Err(not_until) => Err(too_many(not_until.wait_time_from(DefaultClock::default().now()))),
        }
    }

    /// Charges one token request to `address`.
    pub fn charge_address(&self, address: IpAddr) -> Result<(), ApiError> {
        match self.addresses.check_key(&address) {
            Ok(()) => Ok(()),
            Err(not_until) => Err(too_many(not_until.wait_time_from(DefaultClock::default().now()))),
        }
    }
}

fn too_many(wait: std::time::Duration) -> ApiError {
    // Whole seconds, rounded up: a client that waits what it is told then succeeds.
    ApiError::too_many_requests(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(ApiError::unauthorized)?;
        let caller = state.auth.validate(token).map_err(|error| match error {
            AuthError::NotMapped(client) => {
                tracing::info!(client = %client, "refused a token of an unregistered or disabled client");
                ApiError::forbidden("The application is not registered with this server or is disabled.")
            }
            other => {
                tracing::info!("refused a bearer token: {other}");
                ApiError::unauthorized()
            }
        })?;
        state.rates.charge_client(&caller.client_id)?;
        Ok(caller)
    }
}

/// The caller's address, for budgets of unauthenticated routes.
pub fn address(parts: &Parts) -> Option<IpAddr> {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip())
}

/// A 403 unless the caller has `role` (or is an admin).
pub fn require(caller: &Caller, role: Role) -> Result<(), ApiError> {
    if caller.is(role) || caller.is(Role::Admin) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!("This needs the {role} role.")))
    }
}
