//! The server's connections: an accept loop on hyper that bounds what a client can hold
//! without making requests, and keeps room for the clients that do.
//!
//! `axum::serve` kept a connection for as long as its client liked: no deadline for a request
//! head, none between requests, no cap on how many are open. An attacker that opened 1,100
//! connections and sent nothing made a server with 1,024 descriptors unreachable (slowloris).
//! Here every connection is watched by its task, and closed:
//!
//! - when it has not sent a whole request head `header_read_timeout` after it was accepted,
//!   or after the first byte of a later request;
//! - when it has sent nothing for `idle_timeout` after a response (kept alive), or while a
//!   handler waits for its request body (a body sent a byte a minute holds a connection as
//!   surely as silence does);
//! - to make room: at `max_connections` a new connection closes the one that has waited
//!   longest without sending a complete request. Real clients send their request as soon as
//!   they connect, so whatever an attacker holds open is closed first, and a health check
//!   always gets in. A connection with a request under way is never closed for room.
//!
//! A connection the server ends after answering a request whose body it did not read (a 401,
//! a 413, a 507) is not simply closed: see [`LINGER`].
//!
//! With `[tls]`, a connection's TLS handshake runs in its own task, under the deadline for its
//! first request head and closable for room like any connection still waiting for one; HTTP
//! then runs over the TLS stream exactly as over a plain socket.
//!
//! hyper's own `header_read_timeout` is not used: its clock runs whenever hyper waits for a
//! head, the wait between requests included, so it cannot tell a slow head from a kept-alive
//! connection, and hyper gives no way to close a connection from outside, which the cap needs.
//!
//! The cap is kept below the process's descriptor limit, which start-up raises to its hard
//! limit, so that the databases and body files always have descriptors left. Should accept
//! fail anyway (EMFILE), the longest-waiting connection is closed and the loop pauses instead
//! of spinning on a connection it cannot take.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use hyper::body::{Body as _, Bytes, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::{Service as _, service_fn};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::Limits;

/// Descriptors kept for everything but connections: the databases, body and blob files,
/// executions' files, the plugin watcher, the runtime.
const DESCRIPTORS_RESERVED: u64 = 256;

/// How long the accept loop pauses after an error that is not one connection's (EMFILE), or
/// before it looks again for room at the cap.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// How often the same accept error is logged while it lasts.
const ACCEPT_ERROR_LOG_EVERY: Duration = Duration::from_secs(10);

/// How long a connection the server closes goes on reading what its client still sends.
/// Closing a socket with unread bytes makes the kernel answer them with a reset, which can
/// destroy the last response before the client reads it: a 413, 401 or 507 answered before
/// the request body was read in full. So the server shuts its side, reads and drops what still
/// comes for this long (or [`LINGER_BYTES`]), then closes, as nginx's lingering close does.
const LINGER: Duration = Duration::from_secs(2);

/// How much a closing connection reads and drops at most; see [`LINGER`].
const LINGER_BYTES: usize = 16 << 20;

/// The connection deadlines, from the limits.
#[derive(Debug, Clone, Copy)]
struct Timeouts {
    header_read: Duration,
    idle: Duration,
}

/// Serves `router` on `listener` (over TLS with `tls`) until `shutdown` completes, then stops
/// accepting and waits for the connections to finish the requests under way (each closes
/// when idle).
pub(super) async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    limits: &Limits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let cap = connection_cap(limits.max_connections);
    let timeouts = Timeouts { header_read: limits.header_read_timeout, idle: limits.idle_timeout };
    let open = Arc::new(Open::default());
    let stop = CancellationToken::new();
    let mut tasks = JoinSet::new();
    let mut shutdown = pin!(shutdown);
    let (mut next_id, mut last_logged) = (0u64, None::<Instant>);
    loop {
        // At the cap with every connection's request under way, nothing can make room: wait
        // for a connection to end or to finish its request (looked at again every pause).
        // Connections wait in the listener's backlog meanwhile.
        if open.len() >= cap && !open.any_waiting() {
            tokio::select! {
                ended = tasks.join_next() => log_panic(ended),
                () = tokio::time::sleep(ACCEPT_PAUSE) => {}
                () = &mut shutdown => break,
            }
            continue;
        }
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            Some(ended) = tasks.join_next() => {
                log_panic(Some(ended));
                continue;
            }
            () = &mut shutdown => break,
        };
        let (stream, remote) = match accepted {
            Ok(accepted) => accepted,
            // One connection's trouble: the next one is fine.
            Err(error) if is_connection_error(&error) => continue,
            Err(error) => {
                // Out of descriptors or memory: the connection stays in the backlog and
                // accept would fail again at once. A descriptor freed is a connection taken.
                let closed = open.close_longest_waiting();
                if last_logged.is_none_or(|logged| logged.elapsed() >= ACCEPT_ERROR_LOG_EVERY) {
                    tracing::warn!(closed_one_waiting = closed, "cannot accept connections: {error}");
                    last_logged = Some(Instant::now());
                }
                tokio::select! {
                    () = tokio::time::sleep(ACCEPT_PAUSE) => {}
                    () = &mut shutdown => break,
                }
                continue;
            }
        };
        // At the cap, the new connection takes the place of the one waiting longest for a
        // request (if that one got a request meanwhile, the cap is passed by one for a while).
        if open.len() >= cap {
            open.close_longest_waiting();
        }
        // Without TCP_NODELAY a streamed body (a download) waits for the client's delayed ACK
        // of the headers before it leaves: about 40 ms per download.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY on a connection: {error}");
        }
        let connection = Arc::new(Connection::new());
        let registered = Registered { open: open.clone(), id: next_id };
        open.insert(next_id, connection.clone());
        next_id += 1;
        let accepted =
            Accepted { stream, remote, router: router.clone(), connection, timeouts, stop: stop.clone(), registered };
        match &tls {
            None => tasks.spawn(serve_connection(accepted)),
            Some(tls) => tasks.spawn(handshake(tls.clone(), accepted)),
        };
    }
    drop(listener);
    stop.cancel();
    while let Some(ended) = tasks.join_next().await {
        log_panic(Some(ended));
    }
    Ok(())
}

/// The cap on open connections: `configured`, kept [`DESCRIPTORS_RESERVED`] below the
/// descriptor limit after raising its soft value to the hard one (the soft limit is often
/// 1,024 while the hard one allows far more).
fn connection_cap(configured: usize) -> usize {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(error) => {
            tracing::warn!("cannot raise the open-file limit: {error}");
            return configured.max(1);
        }
    };
    let room = usize::try_from(limit.saturating_sub(DESCRIPTORS_RESERVED)).unwrap_or(usize::MAX).max(1);
    if configured > room {
        tracing::warn!(
            "limits.max_connections is {configured}, but the open-file limit of {limit} leaves room for {room}; \
             serving at most {room} connections at once"
        );
    }
    configured.clamp(1, room)
}

/// Errors of accept that concern one connection only.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

fn log_panic(ended: Option<Result<(), tokio::task::JoinError>>) {
    if let Some(Err(error)) = ended
        && error.is_panic()
    {
        tracing::error!("a connection's task panicked: {error}");
    }
}

/// An accepted connection, its stream a TCP socket or a TLS stream over one.
struct Accepted<S> {
    stream: S,
    remote: SocketAddr,
    router: Router,
    connection: Arc<Connection>,
    timeouts: Timeouts,
    stop: CancellationToken,
    registered: Registered,
}

/// Runs the TLS handshake of `accepted`, then serves it over TLS. The handshake is bounded
/// by the deadline for the first request head, which runs from the accept, and gives way
/// when the connection is closed for room or the server stops.
async fn handshake(tls: TlsAcceptor, accepted: Accepted<TcpStream>) {
    let Accepted { stream, remote, router, connection, timeouts, stop, registered } = accepted;
    let deadline = connection.deadline(timeouts);
    let stream = tokio::select! {
        handshake = tls.accept(stream) => match handshake {
            Ok(stream) => stream,
            Err(error) => {
                tracing::debug!(%remote, "TLS handshake failed: {error}");
                return;
            }
        },
        () = sleep_until(deadline) => {
            tracing::debug!(%remote, "closed a connection that did not finish its TLS handshake in time");
            return;
        }
        () = closed_for_room(&connection) => {
            tracing::debug!(%remote, "closed a connection in its TLS handshake, to make room");
            return;
        }
        () = stop.cancelled() => return,
    };
    serve_connection(Accepted { stream, remote, router, connection, timeouts, stop, registered }).await;
}

/// Resolves once `connection` is closed for room.
async fn closed_for_room(connection: &Connection) {
    loop {
        let woken = connection.wake.notified();
        if connection.closed_for_room() {
            return;
        }
        woken.await;
    }
}

/// Serves one connection until it ends, times out, is closed for room, or the server stops.
async fn serve_connection<S>(accepted: Accepted<S>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // Held until the connection ends, however it ends: it gives up its place in `Open`.
    let Accepted { stream, remote, router, connection, timeouts, stop, registered: _registered } = accepted;
    let io = TokioIo::new(Watched { stream, connection: connection.clone() });
    let router = TowerToHyperService::new(router);
    let watched = connection.clone();
    let service = service_fn(move |request: Request<Incoming>| {
        let request_guard = watched.request_started(!request.body().is_end_stream());
        let mut request = request.map(|body| Body::new(WatchedBody { body, connection: watched.clone() }));
        // Handlers that budget by address read it here, as from `into_make_service_with_connect_info`.
        request.extensions_mut().insert(ConnectInfo(remote));
        let responding = router.call(request);
        let responded: Pin<Box<dyn Future<Output = Result<Response<GuardedBody>, Infallible>> + Send>> =
            Box::pin(async move {
                let response = responding.await?;
                Ok(response.map(|body| GuardedBody { body, _request: request_guard }))
            });
        responded
    });
    let mut builder = http1::Builder::new();
    // The deadlines are this module's (see its documentation).
    builder.header_read_timeout(None);
    let mut http_connection = builder.serve_connection(io, service);
    let mut stopping = false;
    let ended = loop {
        if connection.closed_for_room() {
            tracing::debug!(%remote, "closed a connection waiting for a request, to make room");
            return;
        }
        let deadline = connection.deadline(timeouts);
        tokio::select! {
            served = std::future::poll_fn(|context| http_connection.poll_without_shutdown(context)) => break served,
            () = connection.wake.notified() => {}
            () = sleep_until(deadline) => {
                if connection.deadline(timeouts).is_some_and(|deadline| deadline <= Instant::now()) {
                    tracing::debug!(%remote, "closed a connection that sent nothing in time");
                    return;
                }
            }
            () = stop.cancelled(), if !stopping => {
                stopping = true;
                Pin::new(&mut http_connection).graceful_shutdown();
            }
        }
    };
    if let Err(error) = ended {
        tracing::debug!(%remote, "connection failed: {error}");
        return;
    }
    // A client still sending a body the handler did not read needs to read its answer first.
    if connection.body_unread.load(Ordering::Acquire) {
        connection.closing();
        let stream = http_connection.into_parts().io.into_inner().stream;
        linger(stream, &connection).await;
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
        None => std::future::pending().await,
    }
}

/// Shuts the server's side of `stream` and reads what the client still sends, for at most
/// [`LINGER`] and [`LINGER_BYTES`] or until the connection is closed for room.
async fn linger(mut stream: impl AsyncRead + AsyncWrite + Unpin, connection: &Connection) {
    if stream.shutdown().await.is_err() {
        return;
    }
    let drain = async {
        let (mut buffer, mut read) = (vec![0; 16 * 1024], 0);
        while read < LINGER_BYTES {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(count) => read += count,
            }
        }
    };
    tokio::select! {
        () = drain => {}
        () = closed_for_room(connection) => {}
        () = tokio::time::sleep(LINGER) => {}
    }
}

/// The open connections, for the cap.
#[derive(Debug, Default)]
struct Open {
    connections: Mutex<HashMap<u64, Arc<Connection>>>,
}

impl Open {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<Connection>>> {
        self.connections.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn len(&self) -> usize {
        self.lock().len()
    }

    fn insert(&self, id: u64, connection: Arc<Connection>) {
        self.lock().insert(id, connection);
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Whether any connection may be closed for room.
    fn any_waiting(&self) -> bool {
        self.lock().values().any(|connection| connection.waiting().is_some())
    }

    /// Closes the connection that is closing already or has waited longest for a complete
    /// request, if any is not under way; it stops counting at once. False when all are busy.
    fn close_longest_waiting(&self) -> bool {
        let mut connections = self.lock();
        let longest = connections
            .iter()
            .filter_map(|(id, connection)| connection.waiting().map(|waiting| (waiting, *id)))
            .min()
            .map(|(_, id)| id);
        let Some(connection) = longest.and_then(|id| connections.remove(&id)) else { return false };
        connection.close_for_room();
        true
    }
}

/// A connection's place in [`Open`], given up when its task ends, however it ends.
#[derive(Debug)]
struct Registered {
    open: Arc<Open>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.open.remove(self.id);
    }
}

/// What a connection waits for, and since when.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// The first request's head, since the connection was accepted.
    FirstHead(Instant),
    /// The next request, since the last response was sent.
    Idle(Instant),
    /// The rest of a request head, since its first bytes.
    Head(Instant),
    /// Requests under way, their responses included; `body_wait` is when a handler started
    /// waiting for request body bytes that have not come yet.
    Busy { requests: usize, body_wait: Option<Instant> },
    /// Served; the server's side is shut and the client's last bytes are read and dropped.
    Closing,
}

/// The shared state of one connection: what its task, its IO and its requests tell each other.
#[derive(Debug)]
struct Connection {
    phase: Mutex<Phase>,
    /// Woken when the deadline may have come nearer or the connection is closed for room.
    wake: Notify,
    closed_for_room: AtomicBool,
    /// The last request has a body not read to its end: its client may still be sending it.
    body_unread: AtomicBool,
}

impl Connection {
    fn new() -> Connection {
        Connection {
            phase: Mutex::new(Phase::FirstHead(Instant::now())),
            wake: Notify::new(),
            closed_for_room: AtomicBool::new(false),
            body_unread: AtomicBool::new(false),
        }
    }

    fn phase(&self) -> MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// When the connection is closed unless something changes.
    fn deadline(&self, timeouts: Timeouts) -> Option<Instant> {
        match *self.phase() {
            Phase::FirstHead(since) | Phase::Head(since) => Some(since + timeouts.header_read),
            Phase::Idle(since) | Phase::Busy { body_wait: Some(since), .. } => Some(since + timeouts.idle),
            Phase::Busy { body_wait: None, .. } | Phase::Closing => None,
        }
    }

    /// How soon the cap closes this connection, when it may: a closing one first, then the
    /// one waiting longest for a complete request.
    fn waiting(&self) -> Option<(u8, Option<Instant>)> {
        match *self.phase() {
            Phase::Closing => Some((0, None)),
            Phase::FirstHead(since) | Phase::Idle(since) | Phase::Head(since) => Some((1, Some(since))),
            Phase::Busy { .. } => None,
        }
    }

    /// Bytes came in: on a kept-alive connection, the next request has begun.
    fn bytes_arrived(&self) {
        let mut phase = self.phase();
        if let Phase::Idle(_) = *phase {
            *phase = Phase::Head(Instant::now());
            drop(phase);
            self.wake.notify_one();
        }
    }

    /// A whole request head came, with a body (`with_body`) or not; the request is under way
    /// until the returned guard drops (with the response's body, once it is sent).
    fn request_started(self: &Arc<Connection>, with_body: bool) -> RequestGuard {
        self.body_unread.store(with_body, Ordering::Release);
        let mut phase = self.phase();
        *phase = match *phase {
            Phase::Busy { requests, body_wait } => Phase::Busy { requests: requests + 1, body_wait },
            _ => Phase::Busy { requests: 1, body_wait: None },
        };
        RequestGuard(self.clone())
    }

    fn request_ended(&self) {
        let mut phase = self.phase();
        if let Phase::Busy { requests, body_wait } = *phase {
            *phase = match requests {
                0 | 1 => Phase::Idle(Instant::now()),
                _ => Phase::Busy { requests: requests - 1, body_wait },
            };
            drop(phase);
            self.wake.notify_one();
        }
    }

    /// A handler waits for request body bytes (`true`), or got some or stopped reading.
    fn body_waiting(&self, waiting: bool) {
        let mut phase = self.phase();
        let Phase::Busy { body_wait, .. } = &mut *phase else { return };
        match (waiting, *body_wait) {
            (true, None) => {
                *body_wait = Some(Instant::now());
                drop(phase);
                self.wake.notify_one();
            }
            (false, Some(_)) => *body_wait = None,
            _ => {}
        }
    }

    fn closing(&self) {
        *self.phase() = Phase::Closing;
    }

    fn close_for_room(&self) {
        self.closed_for_room.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    fn closed_for_room(&self) -> bool {
        self.closed_for_room.load(Ordering::Acquire)
    }
}

/// A request under way on its connection; see [`Connection::request_started`].
#[derive(Debug)]
struct RequestGuard(Arc<Connection>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.request_ended();
    }
}

/// The socket (or the TLS stream over it), telling its connection when bytes arrive.
#[derive(Debug)]
struct Watched<S> {
    stream: S,
    connection: Arc<Connection>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(self: Pin<&mut Self>, context: &mut Context<'_>, buffer: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buffer.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(context, buffer);
        if matches!(polled, Poll::Ready(Ok(()))) && buffer.filled().len() > before {
            this.connection.bytes_arrived();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(self: Pin<&mut Self>, context: &mut Context<'_>, bytes: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(context, bytes)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffers: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(context, buffers)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(context)
    }

    fn poll_shutdown(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(context)
    }
}

/// A request body, telling its connection when the handler waits for bytes.
#[derive(Debug)]
struct WatchedBody {
    body: Incoming,
    connection: Arc<Connection>,
}

impl hyper::body::Body for WatchedBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.body).poll_frame(context);
        this.connection.body_waiting(polled.is_pending());
        if matches!(polled, Poll::Ready(None)) || this.body.is_end_stream() {
            this.connection.body_unread.store(false, Ordering::Release);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for WatchedBody {
    fn drop(&mut self) {
        self.connection.body_waiting(false);
    }
}

/// A response body that keeps its request under way until it is sent or dropped.
#[derive(Debug)]
struct GuardedBody {
    body: Body,
    _request: RequestGuard,
}

impl hyper::body::Body for GuardedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(context)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
