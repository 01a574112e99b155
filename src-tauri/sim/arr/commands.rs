//! `POST /api/v3/command`: the search commands, taken as Radarr v5 and
//! Sonarr v4 take them (`CommandController.StartCommand`).
//!
//! In the order the real server checks: the API key (401); `Content-Type:
//! application/json` (`[Consumes]`: 415 with ASP.NET's ProblemDetails); a
//! body that binds to a `CommandResource` (400 ValidationProblemDetails);
//! a non-blank `name` (FluentValidation `NotBlank`: 400 with the array of
//! failures); a known command name (`Single()` throws: 500 with Radarr's
//! `{message, description}`); the body read again as that command, where a
//! wrongly typed field is a `System.Text.Json` exception (500). A command
//! that passes is queued and answered **201 Created** with a `Location`
//! header and the `CommandResource`, `status: "queued"`, whatever it will
//! find. The sim then runs it at once: an unknown movie, series or episode
//! id finds nothing. The 500s' `description` is the exception's first line
//! (the real one continues with the .NET stack trace), and the texts of the
//! 400s for a body that is not JSON follow `System.Text.Json`'s pattern
//! without being byte-exact.

use axum::body::Bytes;
use axum::http::header;

use super::*;
use crate::sim::world::ReleaseSource;

/// The type of a command's own field, as `System.Text.Json` names it.
#[derive(Clone, Copy)]
enum Field {
    IntList,
    Int,
    NullableInt,
    Bool,
    Text,
}

impl Field {
    fn dotnet(self) -> &'static str {
        match self {
            Field::IntList => "System.Collections.Generic.List`1[System.Int32]",
            Field::Int => "System.Int32",
            Field::NullableInt => "System.Nullable`1[System.Int32]",
            Field::Bool => "System.Boolean",
            Field::Text => "System.String",
        }
    }
}

/// The commands the sim runs: name and own typed fields. Both apps also
/// know `RefreshMonitoredDownloads` (Seerr sends it), which does nothing
/// here. Other real command names are unknown to the sim (500).
const RADARR_COMMANDS: &[(&str, &[(&str, Field)])] = &[
    ("MoviesSearch", &[("movieIds", Field::IntList)]),
    (
        "MissingMoviesSearch",
        &[("filterKey", Field::Text), ("filterValue", Field::Text)],
    ),
    ("RefreshMonitoredDownloads", &[]),
];

const SONARR_COMMANDS: &[(&str, &[(&str, Field)])] = &[
    ("EpisodeSearch", &[("episodeIds", Field::IntList)]),
    (
        "SeasonSearch",
        &[("seriesId", Field::Int), ("seasonNumber", Field::Int)],
    ),
    ("SeriesSearch", &[("seriesId", Field::Int)]),
    (
        "MissingEpisodeSearch",
        &[("seriesId", Field::NullableInt), ("monitored", Field::Bool)],
    ),
    ("RefreshMonitoredDownloads", &[]),
];

/// The fields every `Command` takes from a body.
const BASE_FIELDS: &[(&str, Field)] = &[
    ("sendUpdatesToClient", Field::Bool),
    ("suppressMessages", Field::Bool),
    ("clientUserAgent", Field::Text),
];

pub(super) async fn post_command(
    State(arr): State<Arr>,
    headers: HeaderMap,
    Query(q): Q,
    body: Bytes,
) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return arr.problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "https://tools.ietf.org/html/rfc7231#section-6.5.13",
            "Unsupported Media Type",
            None,
        );
    }
    let text = String::from_utf8_lossy(&body).into_owned();
    if text.trim().is_empty() {
        return arr.invalid_body("", "A non-empty request body is required.");
    }
    let object = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(o)) => o,
        Ok(_) => {
            let start = skip_ws(text.as_bytes(), 0);
            let (end, _) = value_span(text.as_bytes(), start);
            let resource = format!("{}.Api.V3.Commands.CommandResource", arr.app.product());
            return arr.invalid_body("$", &conversion_message(&resource, "$", &text, end));
        }
        Err(e) => {
            let message = format!(
                "The JSON is invalid. Path: $ | LineNumber: {} | BytePositionInLine: {}.",
                e.line().saturating_sub(1),
                e.column().saturating_sub(1)
            );
            return arr.invalid_body("$", &message);
        }
    };
    let spans = members(&text);
    let name = match lookup(&object, "name") {
        None | Some(Value::Null) => return name_failures(None),
        Some(Value::String(s)) if s.trim().is_empty() => return name_failures(Some(s)),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            let at = spans
                .iter()
                .rev()
                .find(|m| m.key.eq_ignore_ascii_case("name"));
            let path = at.map(|m| m.key.as_str()).unwrap_or("name");
            let message = stj_message(Field::Text, &format!("$.{path}"), &text, at.map(|m| m.end));
            return arr.invalid_body(&format!("$.{path}"), &message);
        }
    };
    let known = if arr.app.is_sonarr() {
        SONARR_COMMANDS
    } else {
        RADARR_COMMANDS
    };
    let Some((command, fields)) = known
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(&name))
        .copied()
    else {
        return server_error(
            "Sequence contains no matching element",
            "System.InvalidOperationException",
        );
    };
    if let Some(message) = type_error(&object, &spans, &text, fields) {
        return server_error(&message, "System.Text.Json.JsonException");
    }
    let user_agent = headers
        .get("useragent")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost")
        .to_string();
    let now = Utc::now();
    let (id, resource) = arr.world.with(|w| {
        run(w, (arr.app, arr.instance), command, &object, now);
        let slot = World::command_slot(arr.app, arr.instance);
        w.command_ids[slot] += 1;
        let id = w.command_ids[slot];
        let resource = command_json(arr.app, id, command, fields, &object, user_agent, now);
        (id, resource)
    });
    let mut r = json_response(StatusCode::CREATED, &resource);
    if let Ok(v) = header::HeaderValue::from_str(&format!("http://{host}/api/v3/command/{id}")) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

impl Arr {
    /// ASP.NET's ProblemDetails for a client error (`application/problem+json`).
    fn problem(
        &self,
        status: StatusCode,
        kind: &str,
        title: &str,
        errors: Option<Value>,
    ) -> Response {
        let trace = self.world.with(|w| {
            format!(
                "00-{}-{}-00",
                hex_id(&mut w.rng, 32),
                hex_id(&mut w.rng, 16)
            )
        });
        let mut body = json!({
            "type": kind,
            "title": title,
            "status": status.as_u16(),
            "traceId": trace,
        });
        if let (Some(o), Some(e)) = (body.as_object_mut(), errors) {
            o.insert("errors".into(), e);
        }
        let mut r = json_response(status, &body);
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json; charset=utf-8"),
        );
        r
    }

    /// The 400 of a body that does not bind to a `CommandResource`.
    fn invalid_body(&self, key: &str, message: &str) -> Response {
        let mut errors = Map::new();
        errors.insert(key.to_string(), json!([message]));
        self.problem(
            StatusCode::BAD_REQUEST,
            "https://tools.ietf.org/html/rfc7231#section-6.5.1",
            "One or more validation errors occurred.",
            Some(Value::Object(errors)),
        )
    }
}

/// `NotBlank` on `Name`: a missing or null name fails `NotNullValidator`
/// and `NotEmptyValidator`, a blank one the latter only.
fn name_failures(attempted: Option<&str>) -> Response {
    let failure = |code: &str| {
        let mut o = Map::new();
        o.insert("propertyName".into(), json!("Name"));
        o.insert("errorMessage".into(), json!("'Name' must not be empty."));
        if let Some(a) = attempted {
            o.insert("attemptedValue".into(), json!(a));
        }
        o.insert("severity".into(), json!("error"));
        o.insert("errorCode".into(), json!(code));
        o.insert("formattedMessageArguments".into(), json!([]));
        o.insert(
            "formattedMessagePlaceholderValues".into(),
            json!({"propertyName": "Name", "propertyValue": attempted}),
        );
        Value::Object(o)
    };
    let mut failures = Vec::new();
    if attempted.is_none() {
        failures.push(failure("NotNullValidator"));
    }
    failures.push(failure("NotEmptyValidator"));
    json_response(StatusCode::BAD_REQUEST, &Value::Array(failures))
}

/// Radarr's and Sonarr's answer to an exception they do not map: 500 with
/// the message and the exception (its first line only).
fn server_error(message: &str, exception: &str) -> Response {
    json_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        &json!({"message": message, "description": format!("{exception}: {message}")}),
    )
}

/// A field, matched case-insensitively as `System.Text.Json` is set up to.
fn lookup<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object
        .iter()
        .rev()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn as_int(v: &Value) -> Option<i64> {
    v.as_i64().filter(|n| i32::try_from(*n).is_ok())
}

/// The first field, in the order of the text, whose value the command type
/// cannot take, as `System.Text.Json`'s message.
fn type_error(
    object: &Map<String, Value>,
    spans: &[Member],
    text: &str,
    fields: &[(&str, Field)],
) -> Option<String> {
    for m in spans {
        let Some((_, kind)) = fields
            .iter()
            .chain(BASE_FIELDS)
            .find(|(n, _)| n.eq_ignore_ascii_case(&m.key))
        else {
            continue;
        };
        let Some(v) = object.get(&m.key) else {
            continue;
        };
        let path = format!("$.{}", m.key);
        let fits = match kind {
            Field::IntList => match v {
                Value::Null => true,
                Value::Array(items) => {
                    if let Some(i) = items.iter().position(|x| as_int(x).is_none()) {
                        let at = m.elements.get(i).copied();
                        let path = format!("{path}[{i}]");
                        return Some(stj_message(Field::Int, &path, text, at));
                    }
                    true
                }
                _ => false,
            },
            Field::Int => as_int(v).is_some(),
            Field::NullableInt => v.is_null() || as_int(v).is_some(),
            Field::Bool => v.is_boolean(),
            Field::Text => v.is_null() || v.is_string(),
        };
        if !fits {
            return Some(stj_message(*kind, &path, text, Some(m.end)));
        }
    }
    None
}

/// `System.Text.Json`'s conversion error for a field of this kind.
fn stj_message(kind: Field, path: &str, text: &str, at: Option<usize>) -> String {
    conversion_message(kind.dotnet(), path, text, at.unwrap_or(0))
}

/// `System.Text.Json`'s conversion error, positioned after the token it
/// failed on (line and byte in that line, both from 0).
fn conversion_message(dotnet_type: &str, path: &str, text: &str, at: usize) -> String {
    let before = text.as_bytes().get(..at).unwrap_or(text.as_bytes());
    let line = before.iter().filter(|b| **b == b'\n').count();
    let column = before.len()
        - before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |p| p + 1);
    format!(
        "The JSON value could not be converted to {dotnet_type}. Path: {path} | \
         LineNumber: {line} | BytePositionInLine: {column}."
    )
}

/// A member of the body's top-level object: its key, where its value's
/// first token ends and, for an array, where each element's first token
/// ends (byte offsets; the body already parsed as JSON).
struct Member {
    key: String,
    end: usize,
    elements: Vec<usize>,
}

fn members(text: &str) -> Vec<Member> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return out;
    }
    i += 1;
    loop {
        i = skip_ws(b, i);
        if b.get(i) != Some(&b'"') {
            break;
        }
        let key_end = string_end(b, i);
        let key = text
            .get(i..key_end)
            .and_then(|k| serde_json::from_str::<String>(k).ok())
            .unwrap_or_default();
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            break;
        }
        i = skip_ws(b, i + 1);
        let (first, end) = value_span(b, i);
        let mut elements = Vec::new();
        if b.get(i) == Some(&b'[') {
            let mut j = skip_ws(b, i + 1);
            while j < end && b.get(j) != Some(&b']') {
                let (f, e) = value_span(b, j);
                elements.push(f);
                j = skip_ws(b, e);
                if b.get(j) == Some(&b',') {
                    j = skip_ws(b, j + 1);
                }
            }
        }
        out.push(Member {
            key,
            end: first,
            elements,
        });
        i = skip_ws(b, end);
        if b.get(i) != Some(&b',') {
            break;
        }
        i += 1;
    }
    out
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// The end of the string starting at `start` (just past its closing quote).
fn string_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while let Some(c) = b.get(i) {
        match c {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// Where the value at `i` has its first token end, and where it ends.
fn value_span(b: &[u8], i: usize) -> (usize, usize) {
    match b.get(i) {
        Some(b'"') => {
            let e = string_end(b, i);
            (e, e)
        }
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut j = i;
            while let Some(c) = b.get(j) {
                match c {
                    b'"' => {
                        j = string_end(b, j);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return (i + 1, j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            (i + 1, b.len())
        }
        _ => {
            let mut j = i;
            while b
                .get(j)
                .is_some_and(|c| !matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
            {
                j += 1;
            }
            (j, j)
        }
    }
}

fn int_list(object: &Map<String, Value>, name: &str) -> Option<Vec<u64>> {
    lookup(object, name)?
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
}

fn int(object: &Map<String, Value>, name: &str) -> Option<u64> {
    lookup(object, name).and_then(Value::as_u64)
}

/// Runs a command against the world (it was pushed with the manual trigger:
/// its grabs are user-invoked searches).
fn run(
    w: &mut World,
    (app, instance): (ArrApp, ArrInstance),
    command: &str,
    object: &Map<String, Value>,
    now: DateTime<Utc>,
) {
    let source = ReleaseSource::UserInvokedSearch;
    match (app, command) {
        (ArrApp::Radarr, "MoviesSearch") => {
            let ids = int_list(object, "movieIds").unwrap_or_default();
            w.search_movies(instance, &ids, source, now);
        }
        (ArrApp::Radarr, "MissingMoviesSearch") => {
            w.search_missing_movies(instance, source, now);
        }
        (ArrApp::Sonarr, "EpisodeSearch") => {
            let ids = int_list(object, "episodeIds").unwrap_or_default();
            w.search_episode_ids(instance, &ids, source, now);
        }
        (ArrApp::Sonarr, "SeasonSearch") => {
            let (series, season) = (int(object, "seriesId"), int(object, "seasonNumber"));
            if let (Some(series), Some(season)) =
                (series, season.and_then(|s| u32::try_from(s).ok()))
            {
                w.search_season(instance, series, season, source, now);
            }
        }
        (ArrApp::Sonarr, "SeriesSearch") => {
            if let Some(series) = int(object, "seriesId") {
                w.search_series(instance, series, source, now);
            }
        }
        (ArrApp::Sonarr, "MissingEpisodeSearch") => {
            let monitored = lookup(object, "monitored")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            w.search_missing_episodes(instance, int(object, "seriesId"), monitored, source, now);
        }
        _ => {}
    }
}

/// `MoviesSearch` → `Movies Search` (`SplitCamelCase`).
fn split_camel_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if i > 0 && c.is_ascii_uppercase() {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The `CommandResource` of a command just queued: its `body` is the
/// command as the *arr deserialized it (its own fields, then `Command`'s),
/// null fields left out.
fn command_json(
    app: ArrApp,
    id: u64,
    command: &str,
    fields: &[(&str, Field)],
    object: &Map<String, Value>,
    user_agent: Option<String>,
    now: DateTime<Utc>,
) -> Value {
    let mut body = Map::new();
    for (name, kind) in fields {
        let value = match (lookup(object, name), kind) {
            (Some(v), _) if !v.is_null() => v.clone(),
            (_, Field::Int) => json!(0),
            // MissingEpisodeSearchCommand's constructor sets `Monitored`.
            (_, Field::Bool) => json!(true),
            _ => continue,
        };
        body.insert((*name).to_string(), value);
    }
    // A command that overrides `SendUpdatesToClient` always says true; for
    // the others the client's value is read, and the controller then sets
    // it true. `SuppressMessages` is the opposite of the value read.
    let overrides = command != "RefreshMonitoredDownloads";
    let read = lookup(object, "sendUpdatesToClient")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let suppress = !(overrides || read);
    body.insert("sendUpdatesToClient".into(), json!(true));
    body.insert("updateScheduledTask".into(), json!(true));
    body.insert("requiresDiskAccess".into(), json!(false));
    body.insert("isExclusive".into(), json!(false));
    if !app.is_sonarr() {
        body.insert("isTypeExclusive".into(), json!(false));
    }
    body.insert("isLongRunning".into(), json!(false));
    body.insert("name".into(), json!(command));
    body.insert("trigger".into(), json!("manual"));
    body.insert("suppressMessages".into(), json!(suppress));
    if let Some(ua) = &user_agent {
        body.insert("clientUserAgent".into(), json!(ua));
    }
    let mut o = Map::new();
    o.insert("name".into(), json!(command));
    o.insert("commandName".into(), json!(split_camel_case(command)));
    o.insert("body".into(), Value::Object(body));
    o.insert("priority".into(), json!("normal"));
    o.insert("status".into(), json!("queued"));
    o.insert("result".into(), json!("unknown"));
    o.insert("queued".into(), json!(arr_date(now)));
    o.insert("trigger".into(), json!("manual"));
    if let Some(ua) = user_agent {
        o.insert("clientUserAgent".into(), json!(ua));
    }
    o.insert("sendUpdatesToClient".into(), json!(true));
    o.insert("updateScheduledTask".into(), json!(true));
    o.insert("id".into(), json!(id));
    Value::Object(o)
}
