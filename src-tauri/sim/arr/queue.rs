//! `/api/v3/queue` (paged by 10 unless asked otherwise) and
//! `/api/v3/queue/details`: one record per download (Sonarr: per episode);
//! `DELETE /api/v3/queue/{id}` takes a download out of the queue.

use super::*;

pub(super) fn languages() -> Value {
    json!([{"id": 1, "name": "English"}])
}

pub(super) fn quality(title: &str, app: ArrApp) -> Value {
    let (id, name, resolution) = if title.contains("2160p") {
        (18, "WEBDL-2160p", 2160)
    } else if title.contains("720p") {
        (5, "WEBDL-720p", 720)
    } else {
        (3, "WEBDL-1080p", 1080)
    };
    let mut q = json!({"id": id, "name": name, "source": if app.is_sonarr() { "web" } else { "webdl" }, "resolution": resolution});
    if !app.is_sonarr() {
        if let Some(o) = q.as_object_mut() {
            o.insert("modifier".into(), json!("none"));
        }
    }
    json!({"quality": q, "revision": {"version": 1, "real": 0, "isRepack": false}})
}

/// .NET `TimeSpan.ToString()`: `hh:mm:ss`, or `d.hh:mm:ss` past a day.
pub(crate) fn timespan(secs: u64) -> String {
    let (d, rem) = (secs / 86_400, secs % 86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    if d > 0 {
        format!("{d}.{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// Radarr's `HashConverter.GetHashInt31` stand-in: a stable positive id.
pub(super) fn hash_int31(s: &str) -> u64 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    u64::from(h & 0x7fff_ffff)
}

/// The queue `status` the *arr derives from a qBittorrent state (docs/services.md,
/// "qBittorrent › Torrent states"), and
/// the client message that goes with it.
pub(super) fn client_status(state: &str) -> (&'static str, Option<&'static str>) {
    match state {
        "error" => ("warning", Some("qBittorrent is reporting an error")),
        "missingFiles" => ("warning", Some("The download is missing files")),
        "uploading" | "stalledUP" | "queuedUP" | "forcedUP" | "pausedUP" | "stoppedUP" => {
            ("completed", None)
        }
        "checkingUP" | "queuedDL" | "checkingDL" | "checkingResumeData" | "metaDL"
        | "forcedMetaDL" => ("queued", None),
        "pausedDL" | "stoppedDL" => ("paused", None),
        "stalledDL" => (
            "warning",
            Some("The download is stalled with no connections"),
        ),
        _ => ("downloading", None),
    }
}

/// Queue records for one download: one for a film, one per episode for a
/// series (same downloadId, title, size and sizeleft).
pub(super) fn queue_records(
    w: &World,
    d: &Download,
    app: ArrApp,
    q: &[(String, String)],
    now: DateTime<Utc>,
) -> Vec<(Option<u64>, Value)> {
    let (mut status, client_msg) = client_status(&d.state);
    let mut tracked_status = "ok";
    let mut tracked_state = "downloading";
    let mut messages: Vec<Value> = Vec::new();
    let mut error_message = client_msg.map(str::to_string);
    match &d.arr {
        ArrState::ImportBlocked(msg) => {
            status = "completed";
            tracked_status = "warning";
            tracked_state = "importBlocked";
            messages.push(json!({"title": d.name, "messages": [msg]}));
        }
        ArrState::Failed(msg) => {
            status = "failed";
            tracked_status = "error";
            tracked_state = "failedPending";
            error_message = Some(msg.clone());
            messages.push(json!({"title": d.name, "messages": [msg]}));
        }
        ArrState::Importing => {
            status = "completed";
            tracked_state = "importing";
        }
        _ => {}
    }
    let sizeleft = d.amount_left();
    let timeleft = if d.is_complete() || status == "completed" {
        Some(0)
    } else if d.dlspeed > 0 && status == "downloading" {
        Some(sizeleft / d.dlspeed)
    } else {
        None
    };
    let mut base = Map::new();
    base.insert("languages".into(), languages());
    base.insert("quality".into(), quality(&d.name, app));
    base.insert("customFormats".into(), json!([]));
    base.insert("customFormatScore".into(), json!(0));
    base.insert("size".into(), json!(d.size));
    base.insert("title".into(), json!(d.name));
    base.insert("sizeleft".into(), json!(sizeleft));
    if let Some(t) = timeleft {
        base.insert("timeleft".into(), json!(timespan(t)));
        base.insert(
            "estimatedCompletionTime".into(),
            json!(arr_date(now + chrono::Duration::seconds(t as i64))),
        );
    }
    base.insert("added".into(), json!(arr_date(d.added)));
    base.insert("status".into(), json!(status));
    base.insert("trackedDownloadStatus".into(), json!(tracked_status));
    base.insert("trackedDownloadState".into(), json!(tracked_state));
    base.insert("statusMessages".into(), json!(messages));
    if let Some(m) = error_message {
        base.insert("errorMessage".into(), json!(m));
    }
    base.insert("downloadId".into(), json!(d.upper_hash()));
    base.insert("protocol".into(), json!("torrent"));
    base.insert("downloadClient".into(), json!("qBittorrent"));
    base.insert("downloadClientHasPostImportCategory".into(), json!(false));
    base.insert("indexer".into(), json!(INDEXER));
    base.insert(
        "outputPath".into(),
        json!(format!("{DOWNLOADS}/{}", d.name)),
    );
    let key = format!("trackedDownload-1-{}", d.upper_hash());
    match (&d.target, app) {
        (Target::Movie { tmdb_id }, ArrApp::Radarr) => {
            let Some(m) = w.radarr_movie(d.instance, *tmdb_id) else {
                return Vec::new();
            };
            let mut r = base;
            r.insert("movieId".into(), json!(m.radarr_id));
            if flag(q, "includeMovie") == Some(true) {
                r.insert("movie".into(), movie_json(m));
            }
            r.insert("id".into(), json!(hash_int31(&key)));
            vec![(timeleft, Value::Object(r))]
        }
        (Target::Episodes { tvdb_id, episodes }, ArrApp::Sonarr) => {
            let Some(s) = w.sonarr_series(d.instance, *tvdb_id) else {
                return Vec::new();
            };
            episodes
                .iter()
                .filter_map(|(season, n)| s.episode(*season, *n))
                .map(|e| {
                    let mut r = base.clone();
                    r.insert("episodeHasFile".into(), json!(e.file.is_some()));
                    r.insert("seriesId".into(), json!(s.sonarr_id));
                    r.insert("episodeId".into(), json!(e.id));
                    r.insert("seasonNumber".into(), json!(e.season));
                    if flag(q, "includeSeries") == Some(true) {
                        r.insert("series".into(), series_json(s, now.date_naive()));
                    }
                    if flag(q, "includeEpisode") == Some(true) {
                        r.insert("episode".into(), episode_json(s, e, false));
                    }
                    r.insert("id".into(), json!(hash_int31(&format!("{key}-ep{}", e.id))));
                    (timeleft, Value::Object(r))
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// The queue of one instance: the downloads it grabbed.
pub(super) fn all_queue_records(
    w: &World,
    app: ArrApp,
    instance: ArrInstance,
    q: &[(String, String)],
) -> Vec<(Option<u64>, Value)> {
    let now = Utc::now();
    w.downloads
        .values()
        .filter(|d| d.instance == instance)
        .filter(|d| d.in_client || matches!(d.arr, ArrState::Failed(_)))
        .filter(|d| {
            matches!(
                d.arr,
                ArrState::Tracking
                    | ArrState::ImportBlocked(_)
                    | ArrState::Failed(_)
                    | ArrState::Importing
            )
        })
        .flat_map(|d| queue_records(w, d, app, q, now))
        .collect()
}

pub(super) struct Paging {
    pub(super) page: usize,
    pub(super) page_size: usize,
    pub(super) sort_key: String,
    pub(super) descending: bool,
}

pub(super) fn paging(q: &[(String, String)], default_key: &str, default_desc: bool) -> Paging {
    let page = param(q, "page")
        .and_then(|v| v.parse().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let page_size = param(q, "pageSize")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let sort_key = param(q, "sortKey").unwrap_or(default_key).to_string();
    let descending = match param(q, "sortDirection") {
        Some("descending") => true,
        Some("ascending") => false,
        _ => default_desc,
    };
    Paging {
        page,
        page_size,
        sort_key,
        descending,
    }
}

pub(super) fn paged(p: &Paging, records: Vec<Value>) -> Response {
    let total = records.len();
    let page: Vec<Value> = records
        .into_iter()
        .skip(p.start())
        .take(p.page_size)
        .collect();
    paged_response(p, total, page)
}

impl Paging {
    pub(super) fn start(&self) -> usize {
        (self.page - 1).saturating_mul(self.page_size)
    }
}

pub(super) fn paged_response(p: &Paging, total: usize, page: Vec<Value>) -> Response {
    json_ok(&json!({
        "page": p.page,
        "pageSize": p.page_size,
        "sortKey": p.sort_key,
        "sortDirection": if p.descending { "descending" } else { "ascending" },
        "totalRecords": total,
        "records": page
    }))
}

pub(super) async fn queue(State(arr): State<Arr>, headers: HeaderMap, Query(q): Q) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let p = paging(&q, "timeleft", false);
    // `movieIds=` (Radarr) / `seriesIds=` (Sonarr), repeated for several.
    let (key, field) = if arr.app.is_sonarr() {
        ("seriesIds", "seriesId")
    } else {
        ("movieIds", "movieId")
    };
    let wanted: Vec<u64> = params(&q, key)
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    let mut records: Vec<(Option<u64>, Value)> = arr
        .world
        .with(|w| all_queue_records(w, arr.app, arr.instance, &q))
        .into_iter()
        .filter(|(_, v)| {
            wanted.is_empty()
                || v.get(field)
                    .and_then(Value::as_u64)
                    .is_some_and(|id| wanted.contains(&id))
        })
        .collect();
    let text_key = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    match p.sort_key.as_str() {
        "added" => records.sort_by_key(|(_, v)| text_key(v, "added")),
        "title" => records.sort_by_key(|(_, v)| text_key(v, "title")),
        "size" => records.sort_by_key(|(_, v)| v.get("size").and_then(Value::as_u64).unwrap_or(0)),
        _ => records.sort_by_key(|(t, v)| {
            (
                t.unwrap_or(u64::MAX),
                v.get("id").and_then(Value::as_u64).unwrap_or(0),
            )
        }),
    }
    if p.descending {
        records.reverse();
    }
    paged(&p, records.into_iter().map(|(_, v)| v).collect())
}

pub(super) async fn queue_details(
    State(arr): State<Arr>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let records: Vec<Value> = arr
        .world
        .with(|w| all_queue_records(w, arr.app, arr.instance, &q))
        .into_iter()
        .map(|(_, v)| v)
        .filter(|v| {
            let by = |key: &str, field: &str| {
                param(&q, key).is_none_or(|want| {
                    v.get(field)
                        .and_then(Value::as_u64)
                        .map(|x| x.to_string())
                        .as_deref()
                        == Some(want)
                })
            };
            by("movieId", "movieId") && by("seriesId", "seriesId")
        })
        .collect();
    json_ok(&Value::Array(records))
}

/// `DELETE /api/v3/queue/{id}?removeFromClient=&blocklist=&skipRedownload=&changeCategory=`
/// (`QueueController.RemoveAction`): the whole download the record belongs
/// to leaves the queue (every record of a Sonarr season pack), removed from
/// qBittorrent unless `removeFromClient=false`; `blocklist=true` marks it
/// failed ("Manually marked as failed"), blocklists it and, unless
/// `skipRedownload=true`, searches again; with all three flags false it is
/// ignored ("Manually ignored"). Answers 200 with an empty body; 404
/// `{"message":"NotFound"}` for an id not in the queue (or not a number);
/// 400 for an id of 0 or less.
pub(super) async fn remove_queue_item(
    State(arr): State<Arr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Q,
) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let Ok(id) = id.parse::<i64>() else {
        return not_found();
    };
    if id <= 0 {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"message": format!("BadRequest: {id} is not a valid ID"),
                    "content": format!("{id} is not a valid ID")}),
        );
    }
    let how = QueueRemoval {
        remove_from_client: flag(&q, "removeFromClient").unwrap_or(true),
        blocklist: flag(&q, "blocklist").unwrap_or(false),
        skip_redownload: flag(&q, "skipRedownload").unwrap_or(false),
        change_category: flag(&q, "changeCategory").unwrap_or(false),
    };
    let now = Utc::now();
    let found = arr.world.with(|w| {
        let hash = all_queue_records(w, arr.app, arr.instance, &[])
            .into_iter()
            .map(|(_, v)| v)
            .find(|v| v.get("id").and_then(Value::as_u64) == u64::try_from(id).ok())
            .and_then(|v| {
                v.get("downloadId")
                    .and_then(Value::as_str)
                    .map(str::to_lowercase)
            });
        match hash {
            Some(hash) => {
                w.remove_from_queue(arr.app, &hash, how, now);
                true
            }
            None => false,
        }
    });
    if found {
        // A `void` action: 200, no body, no content type.
        Response::new(axum::body::Body::empty())
    } else {
        not_found()
    }
}
