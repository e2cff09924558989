//! Who is calling: the bearer token checked, the client's registration looked up, and its
//! request budget charged. Handlers take a [`Caller`] argument and get all three.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::{ApiError, AppState, Limits};
use crate::auth::{AuthError, Role};

pub use crate::auth::Caller;

/// How many token requests pass between two sweeps of the per-address budgets.
const SWEEP_EVERY: u64 = 1024;

/// The request budgets: per client for API calls (as D365's service protection limits each
/// user), per address for token requests.
#[derive(Debug)]
pub struct Rates {
    clients: DefaultKeyedRateLimiter<String>,
    addresses: DefaultKeyedRateLimiter<IpAddr>,
    /// Token requests charged so far, to sweep the per-address budgets now and then.
    address_charges: AtomicU64,
}

impl Rates {
    /// Budgets from `limits`.
    pub fn new(limits: &Limits) -> Rates {
        let per_second = NonZeroU32::new(limits.requests_per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limits.burst).unwrap_or(per_second);
        let per_minute = NonZeroU32::new(limits.token_requests_per_minute).unwrap_or(NonZeroU32::MIN);
        // `Quota::per_minute` alone lets a whole minute's budget through at once: 120 token
        // requests from one address ran 120 argon2 hashes side by side. The burst is what an
        // address may spend at once; the rest of its budget comes back one request at a time.
        let token_burst = NonZeroU32::new(limits.token_burst.min(per_minute.get())).unwrap_or(NonZeroU32::MIN);
        Rates {
            clients: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)),
            addresses: RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(token_burst)),
            address_charges: AtomicU64::new(0),
        }
    }

    /// Charges one request to `client`; a 429 when its budget is spent.
    pub fn charge_client(&self, client: &str) -> Result<(), ApiError> {
        match self.clients.check_key(&client.to_owned()) {
            Ok(()) => Ok(()),
            Err(not_until) => Err(too_many(not_until.wait_time_from(DefaultClock::default().now()))),
        }
    }

    /// Charges one token request to `address`. An IPv6 address is charged as its /64 network:
    /// a host is commonly given a whole /64 and could send each request from a new address.
    pub fn charge_address(&self, address: IpAddr) -> Result<(), ApiError> {
        let address = match address.to_canonical() {
            IpAddr::V6(address) => IpAddr::V6(Ipv6Addr::from(u128::from(address) & !u128::from(u64::MAX))),
            address => address,
        };
        // The budgets hold an entry per address ever seen; without a sweep, requests from ever
        // new addresses would grow them without end. A sweep forgets the addresses whose
        // budget is whole again, which are the same as never seen.
        if self.address_charges.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.addresses.retain_recent();
            self.addresses.shrink_to_fit();
        }
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

/// The token of `headers`' `Authorization: Bearer …`, the scheme matched in any case
/// (RFC 7235 §2.1).
pub(super) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let (scheme, token) = headers.get(header::AUTHORIZATION)?.to_str().ok()?.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let token = bearer_token(&parts.headers).ok_or_else(ApiError::unauthorized)?;
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
