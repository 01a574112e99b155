//! `/api/v3/history`, `history/since` and the per-movie/per-series history,
//! the blocklist, and the tags.

use super::*;

pub(super) fn history_json(
    w: &World,
    r: &HistoryRecord,
    (app, instance): (ArrApp, ArrInstance),
    q: &[(String, String)],
) -> Value {
    let mut o = Map::new();
    if app.is_sonarr() {
        if let Some(e) = r.episode_id {
            o.insert("episodeId".into(), json!(e));
        }
        o.insert("seriesId".into(), json!(r.media_id));
    } else {
        o.insert("movieId".into(), json!(r.media_id));
    }
    o.insert("sourceTitle".into(), json!(r.source_title));
    o.insert("languages".into(), languages());
    o.insert("quality".into(), quality(&r.source_title, app));
    o.insert("customFormats".into(), json!([]));
    o.insert("customFormatScore".into(), json!(0));
    o.insert("qualityCutoffNotMet".into(), json!(false));
    o.insert("date".into(), json!(arr_date(r.date)));
    if let Some(d) = &r.download_id {
        o.insert("downloadId".into(), json!(d));
    }
    o.insert("eventType".into(), json!(r.event.name(app)));
    o.insert("data".into(), json!(r.data));
    if app.is_sonarr() {
        let series = w
            .sonarr_series_all(instance)
            .find(|s| s.sonarr_id == r.media_id);
        if flag(q, "includeSeries") == Some(true) {
            if let Some(s) = series {
                o.insert("series".into(), series_json(s, Utc::now().date_naive()));
            }
        }
        if flag(q, "includeEpisode") == Some(true) {
            if let Some((s, e)) = series.and_then(|s| {
                s.episodes
                    .iter()
                    .find(|e| Some(e.id) == r.episode_id)
                    .map(|e| (s, e))
            }) {
                o.insert("episode".into(), episode_json(s, e, false));
            }
        }
    } else if flag(q, "includeMovie") == Some(true) {
        if let Some(m) = w
            .radarr_movies(instance)
            .find(|m| m.radarr_id == r.media_id)
        {
            o.insert("movie".into(), movie_json(m));
        }
    }
    o.insert("id".into(), json!(r.id));
    Value::Object(o)
}

/// Accepts an event type as its integer or its camelCase name.
pub(super) fn event_matches(event: HistoryEvent, app: ArrApp, wanted: &str) -> bool {
    wanted == event.number(app).to_string() || wanted.eq_ignore_ascii_case(event.name(app))
}

pub(super) fn history_list(w: &World, app: ArrApp, instance: ArrInstance) -> &[HistoryRecord] {
    w.history(app, instance)
}

pub(super) async fn history(State(arr): State<Arr>, headers: HeaderMap, Query(q): Q) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let p = paging(&q, "date", true);
    let app = arr.app;
    let events = params(&q, "eventType");
    let media_ids: Vec<u64> = params(
        &q,
        if app.is_sonarr() {
            "seriesIds"
        } else {
            "movieIds"
        },
    )
    .iter()
    .filter_map(|v| v.parse().ok())
    .collect();
    let episode_id = param(&q, "episodeId").and_then(|v| v.parse::<u64>().ok());
    let download_id = param(&q, "downloadId");
    let records = arr.world.with(|w| {
        let mut rows: Vec<&HistoryRecord> = history_list(w, app, arr.instance)
            .iter()
            .filter(|r| events.is_empty() || events.iter().any(|e| event_matches(r.event, app, e)))
            .filter(|r| media_ids.is_empty() || media_ids.contains(&r.media_id))
            .filter(|r| episode_id.is_none() || r.episode_id == episode_id)
            .filter(|r| download_id.is_none() || r.download_id.as_deref() == download_id)
            .collect();
        rows.sort_by_key(|r| (r.date, r.id));
        if p.descending {
            rows.reverse();
        }
        let total = rows.len();
        let page = rows
            .into_iter()
            .skip(p.start())
            .take(p.page_size)
            .map(|r| history_json(w, r, (app, arr.instance), &q))
            .collect::<Vec<_>>();
        (total, page)
    });
    paged_response(&p, records.0, records.1)
}

pub(super) fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
                .ok()
                .map(|n| n.and_utc())
        })
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|n| n.and_utc())
        })
}

pub(super) async fn history_since(
    State(arr): State<Arr>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let Some(since) = param(&q, "date").and_then(parse_date) else {
        return bad_request("date is required");
    };
    let app = arr.app;
    let event = param(&q, "eventType");
    let records = arr.world.with(|w| {
        let mut rows: Vec<&HistoryRecord> = history_list(w, app, arr.instance)
            .iter()
            .filter(|r| r.date >= since)
            .filter(|r| event.is_none_or(|e| event_matches(r.event, app, e)))
            .collect();
        rows.sort_by_key(|r| (r.date, r.id));
        rows.into_iter()
            .map(|r| history_json(w, r, (app, arr.instance), &q))
            .collect::<Vec<_>>()
    });
    json_ok(&Value::Array(records))
}

pub(super) async fn history_of_media(
    State(arr): State<Arr>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let app = arr.app;
    let key = if app.is_sonarr() {
        "seriesId"
    } else {
        "movieId"
    };
    let Some(id) = param(&q, key).and_then(|v| v.parse::<u64>().ok()) else {
        return bad_request(&format!("{key} is required"));
    };
    let season = param(&q, "seasonNumber").and_then(|v| v.parse::<u32>().ok());
    let event = param(&q, "eventType");
    let records = arr.world.with(|w| {
        let season_eps: Option<Vec<u64>> = season.map(|n| {
            w.sonarr_series_all(arr.instance)
                .filter(|s| s.sonarr_id == id)
                .flat_map(|s| s.episodes.iter().filter(|e| e.season == n).map(|e| e.id))
                .collect()
        });
        let mut rows: Vec<&HistoryRecord> = history_list(w, app, arr.instance)
            .iter()
            .filter(|r| r.media_id == id)
            .filter(|r| event.is_none_or(|e| event_matches(r.event, app, e)))
            .filter(|r| {
                season_eps
                    .as_ref()
                    .is_none_or(|eps| r.episode_id.is_some_and(|e| eps.contains(&e)))
            })
            .collect();
        rows.sort_by_key(|r| std::cmp::Reverse((r.date, r.id)));
        rows.into_iter()
            .map(|r| history_json(w, r, (app, arr.instance), &q))
            .collect::<Vec<_>>()
    });
    json_ok(&Value::Array(records))
}

pub(super) async fn tags(State(arr): State<Arr>, headers: HeaderMap, Query(q): Q) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    json_ok(&json!([{"id": 1, "label": "anime"}, {"id": 2, "label": "family"}]))
}

/// `GET /api/v3/blocklist` (paged by 10, newest first): the releases this
/// *arr refuses to grab again, filtered by `movieIds=` (Radarr) or
/// `seriesIds=` (Sonarr). Each record embeds its movie or series.
pub(super) async fn blocklist(State(arr): State<Arr>, headers: HeaderMap, Query(q): Q) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let p = paging(&q, "date", true);
    let app = arr.app;
    let key = if app.is_sonarr() {
        "seriesIds"
    } else {
        "movieIds"
    };
    let wanted: Vec<u64> = params(&q, key)
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    let today = Utc::now().date_naive();
    let (total, page) = arr.world.with(|w| {
        let mut rows: Vec<_> = w
            .blocklist
            .iter()
            .filter(|b| b.app == app && b.instance == arr.instance)
            .filter(|b| wanted.is_empty() || wanted.contains(&b.media_id))
            .collect();
        rows.sort_by_key(|b| (b.date, b.id));
        if p.descending {
            rows.reverse();
        }
        let total = rows.len();
        let page: Vec<Value> = rows
            .into_iter()
            .skip(p.start())
            .take(p.page_size)
            .map(|b| {
                let mut o = Map::new();
                if app.is_sonarr() {
                    o.insert("seriesId".into(), json!(b.media_id));
                    o.insert("episodeIds".into(), json!(b.episode_ids));
                } else {
                    o.insert("movieId".into(), json!(b.media_id));
                }
                o.insert("sourceTitle".into(), json!(b.source_title));
                o.insert("languages".into(), languages());
                o.insert("quality".into(), quality(&b.source_title, app));
                o.insert("customFormats".into(), json!([]));
                o.insert("date".into(), json!(arr_date(b.date)));
                o.insert("protocol".into(), json!("torrent"));
                o.insert("indexer".into(), json!(INDEXER));
                o.insert("message".into(), json!(b.message));
                if app.is_sonarr() {
                    if let Some(s) = w
                        .sonarr_series_all(arr.instance)
                        .find(|s| s.sonarr_id == b.media_id)
                    {
                        o.insert("series".into(), series_json(s, today));
                    }
                } else if let Some(m) = w
                    .radarr_movies(arr.instance)
                    .find(|m| m.radarr_id == b.media_id)
                {
                    o.insert("movie".into(), movie_json(m));
                }
                o.insert("id".into(), json!(b.id));
                Value::Object(o)
            })
            .collect();
        (total, page)
    });
    paged_response(&p, total, page)
}
