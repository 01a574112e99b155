//! One listener per service, with the failure-mode gate and request counter
//! in front of the service's router, and for Jellyseerr, Radarr and Sonarr
//! the acting log in front of both.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{ArrInstance, FailureMode, Service, SimWorld};

/// A running server: its address, a stop signal and its supervisor task.
pub(crate) struct ServerHandle {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

#[derive(Clone)]
struct Gate {
    world: SimWorld,
    service: Service,
    instance: ArrInstance,
    stop: watch::Receiver<bool>,
}

impl ServerHandle {
    /// Binds `addr` (port 0: any free port) and serves `router` until
    /// stopped; `instance` says which Radarr/Sonarr it is (whose failure
    /// mode and counter it follows; `Hd` for the other services).
    pub async fn start(
        service: Service,
        instance: ArrInstance,
        addr: SocketAddr,
        router: Router,
        world: SimWorld,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (stop, stop_rx) = watch::channel(false);
        let gate = Gate {
            world: world.clone(),
            service,
            instance,
            stop: stop_rx.clone(),
        };
        let mut app = router.layer(middleware::from_fn_with_state(gate, gate_requests));
        if super::acts::logged(service) {
            let recorder = super::acts::Recorder {
                world: world.clone(),
                service,
                instance: matches!(service, Service::Radarr | Service::Sonarr).then_some(instance),
            };
            app = app.layer(middleware::from_fn_with_state(
                recorder,
                super::acts::record,
            ));
        }
        let task = tokio::spawn(supervise(
            (service, instance),
            addr,
            listener,
            app,
            world,
            stop_rx,
        ));
        Ok(Self { addr, stop, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, releases hung requests, and waits (bounded) for the
    /// supervisor to end.
    pub async fn stop(self) {
        self.stop.send_replace(true);
        let mut task = self.task;
        if tokio::time::timeout(Duration::from_secs(3), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}

/// Serves while the mode is not `Refused`; drops the listener while it is,
/// and binds the same port again afterwards.
async fn supervise(
    (service, instance): (Service, ArrInstance),
    addr: SocketAddr,
    first: TcpListener,
    app: Router,
    world: SimWorld,
    mut stop: watch::Receiver<bool>,
) {
    let Some(mut modes) = world.mode_receiver(service, instance) else {
        return;
    };
    let mut listener = Some(first);
    loop {
        if *stop.borrow() {
            return;
        }
        if *modes.borrow() == FailureMode::Refused {
            listener = None;
            tokio::select! {
                _ = modes.wait_for(|m| *m != FailureMode::Refused) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            continue;
        }
        let l = match listener.take() {
            Some(l) => l,
            None => match TcpListener::bind(addr).await {
                Ok(l) => l,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let (closing_tx, mut closing_rx) = watch::channel(false);
        let mut modes_s = modes.clone();
        let mut stop_s = stop.clone();
        let signal = async move {
            tokio::select! {
                _ = modes_s.wait_for(|m| *m == FailureMode::Refused) => {}
                _ = stop_s.wait_for(|s| *s) => {}
            }
            closing_tx.send_replace(true);
        };
        let serve = axum::serve(l, app.clone()).with_graceful_shutdown(signal);
        // Bound the graceful shutdown: connections still busy a second after
        // the signal are left to finish on their own.
        let deadline = async move {
            let _ = closing_rx.wait_for(|c| *c).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        };
        tokio::select! {
            _ = serve => {}
            _ = deadline => {}
        }
    }
}

/// Counts the request, then answers according to the failure mode.
async fn gate_requests(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    gate.world.count_request(gate.service, gate.instance);
    match gate.world.instance_mode(gate.service, gate.instance) {
        FailureMode::Up | FailureMode::Unauthorized => next.run(request).await,
        FailureMode::Refused => {
            let mut r = (StatusCode::SERVICE_UNAVAILABLE, "closing").into_response();
            r.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            r
        }
        FailureMode::Status500 => status_500(gate.service),
        FailureMode::Hang => {
            hang(&gate).await;
            (StatusCode::SERVICE_UNAVAILABLE, "released").into_response()
        }
        FailureMode::Html200 => html_200(),
        FailureMode::Malformed => malformed(),
        FailureMode::Slow(ms) => {
            tokio::time::sleep(Duration::from_millis(u64::from(ms))).await;
            next.run(request).await
        }
    }
}

async fn hang(gate: &Gate) {
    let Some(mut modes) = gate.world.mode_receiver(gate.service, gate.instance) else {
        return;
    };
    let mut stop = gate.stop.clone();
    tokio::select! {
        _ = modes.wait_for(|m| *m != FailureMode::Hang) => {}
        _ = stop.wait_for(|s| *s) => {}
    }
}

fn status_500(service: Service) -> Response {
    match service {
        Service::Jellyseerr => json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &serde_json::json!({"message": "Something went wrong."}),
        ),
        Service::Radarr | Service::Sonarr => json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &serde_json::json!({"message": "Database is locked", "description": "database is locked"}),
        ),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response(),
    }
}

fn html_200() -> Response {
    let body = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n\
                <body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n";
    let mut r = Response::new(Body::from(body));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

fn malformed() -> Response {
    let mut r = Response::new(Body::from(
        "{\"page\":1,\"records\":[{\"id\":12,\"title\":\"Dune",
    ));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

/// A JSON response with the given status.
pub(crate) fn json_response(status: StatusCode, value: &serde_json::Value) -> Response {
    let mut r = Response::new(Body::from(value.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

/// A 200 JSON response.
pub(crate) fn json_ok(value: &serde_json::Value) -> Response {
    json_response(StatusCode::OK, value)
}

/// A plain-text response.
pub(crate) fn text(status: StatusCode, body: impl Into<String>) -> Response {
    let mut r = Response::new(Body::from(body.into()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=UTF-8"),
    );
    r
}

/// The first value of a query parameter, matched case-insensitively (ASP.NET
/// binds query names that way).
pub(crate) fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Every value of a repeated query parameter (case-insensitive name).
pub(crate) fn params<'a>(query: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    query
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

/// A boolean query parameter (`true`/`false`, any case).
pub(crate) fn flag(query: &[(String, String)], name: &str) -> Option<bool> {
    param(query, name).and_then(|v| match v.to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    })
}

/// Routes matched case-insensitively, as ASP.NET does: the request path is
/// lower-cased before `inner` (registered with lower-case paths) routes it.
pub(crate) fn case_insensitive(inner: Router) -> Router {
    Router::new()
        .fallback_service(inner)
        .layer(middleware::map_request(lowercase_path))
}

async fn lowercase_path(mut request: Request) -> Request {
    let uri = request.uri();
    let path = uri.path().to_ascii_lowercase();
    let rebuilt = match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    if let Ok(new) = rebuilt.parse::<axum::http::Uri>() {
        *request.uri_mut() = new;
    }
    request
}
