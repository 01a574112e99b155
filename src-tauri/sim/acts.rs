//! The acting log: every request other than a GET that Jellyseerr, Radarr or
//! Sonarr receive, as the server saw it and with the status it answered, so
//! that tests can check what a client asked a service to do
//! ([`SimWorld::acts`]).

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::server::text;
use super::{ArrInstance, Service, SimWorld};

/// The largest request body the simulated services read (1 MiB).
const MAX_BODY: usize = 1 << 20;

/// One request that asked a service to act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActCall {
    /// Which service received it.
    pub service: Service,
    /// Which Radarr or Sonarr received it (`Some(ArrInstance::Hd)` for the
    /// first one, the only one of a [`super::SimStack::start`] stack);
    /// `None` for Jellyseerr.
    pub instance: Option<ArrInstance>,
    /// `POST`, `PUT`, `DELETE`, ...
    pub method: String,
    /// The URL path, e.g. `/api/v3/queue/123`.
    pub path: String,
    /// The raw query string (no `?`), `None` when the URL has none.
    pub query: Option<String>,
    /// The body as text (lossy UTF-8), empty when none was sent.
    pub body: String,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The status answered.
    pub status: u16,
}

/// Whose requests a recorder logs.
#[derive(Clone)]
pub(crate) struct Recorder {
    pub world: SimWorld,
    pub service: Service,
    pub instance: Option<ArrInstance>,
}

/// Whether a service's acting calls are logged (qBittorrent's, Shoko's and
/// Jellyfin's are not).
pub(crate) fn logged(service: Service) -> bool {
    matches!(
        service,
        Service::Jellyseerr | Service::Radarr | Service::Sonarr
    )
}

/// Reads the body of every request but a GET, lets the service answer it,
/// and logs the call with the answer's status. A body over 1 MiB gets 413.
pub(crate) async fn record(State(rec): State<Recorder>, request: Request, next: Next) -> Response {
    if request.method() == Method::GET {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return text(StatusCode::PAYLOAD_TOO_LARGE, "");
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let mut call = ActCall {
        service: rec.service,
        instance: rec.instance,
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        body: String::from_utf8_lossy(&bytes).into_owned(),
        content_type,
        status: 0,
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    call.status = response.status().as_u16();
    rec.world.record_act(call);
    response
}
