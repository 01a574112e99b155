//! The libraries: Radarr's movies and movie files, Sonarr's series,
//! episodes and episode files.

use super::*;

// ----- Radarr library -----

pub(super) fn file_json(
    f: &MediaFile,
    owner_key: &str,
    owner_id: u64,
    app: ArrApp,
    season: Option<u32>,
) -> Value {
    let mut o = Map::new();
    o.insert(owner_key.into(), json!(owner_id));
    if let Some(s) = season {
        o.insert("seasonNumber".into(), json!(s));
    }
    o.insert("relativePath".into(), json!(f.relative_path));
    o.insert("path".into(), json!(f.path));
    o.insert("size".into(), json!(f.size));
    o.insert("dateAdded".into(), json!(arr_date(f.date_added)));
    o.insert("sceneName".into(), json!(f.scene_name));
    o.insert("releaseGroup".into(), json!(f.release_group));
    o.insert("languages".into(), languages());
    o.insert("quality".into(), quality(&f.scene_name, app));
    o.insert("customFormats".into(), json!([]));
    o.insert("customFormatScore".into(), json!(0));
    o.insert("indexerFlags".into(), json!(0));
    if app.is_sonarr() {
        o.insert("releaseType".into(), json!("singleEpisode"));
    }
    o.insert("qualityCutoffNotMet".into(), json!(false));
    o.insert("id".into(), json!(f.id));
    Value::Object(o)
}

pub(super) fn clean_title(title: &str) -> String {
    title
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

pub(super) fn movie_json(m: &Movie) -> Value {
    let size = m.file.as_ref().map(|f| f.size).unwrap_or(0);
    let mut o = Map::new();
    o.insert("title".into(), json!(m.title));
    o.insert("originalTitle".into(), json!(m.title));
    o.insert("sortTitle".into(), json!(m.title.to_lowercase()));
    o.insert("sizeOnDisk".into(), json!(size));
    o.insert("status".into(), json!("released"));
    o.insert(
        "overview".into(),
        json!(format!("{} ({}), a simulated film.", m.title, m.year)),
    );
    o.insert("images".into(), json!([]));
    o.insert("year".into(), json!(m.year));
    o.insert("path".into(), json!(m.path()));
    o.insert("qualityProfileId".into(), json!(1));
    o.insert("hasFile".into(), json!(m.file.is_some()));
    o.insert(
        "movieFileId".into(),
        json!(m.file.as_ref().map(|f| f.id).unwrap_or(0)),
    );
    o.insert("monitored".into(), json!(true));
    o.insert("minimumAvailability".into(), json!("released"));
    o.insert("isAvailable".into(), json!(true));
    o.insert("folderName".into(), json!(m.path()));
    o.insert("runtime".into(), json!(110));
    o.insert("cleanTitle".into(), json!(clean_title(&m.title)));
    o.insert("imdbId".into(), json!(m.imdb_id));
    o.insert("tmdbId".into(), json!(m.tmdb_id));
    o.insert("titleSlug".into(), json!(m.tmdb_id.to_string()));
    o.insert("rootFolderPath".into(), json!(m.root));
    o.insert(
        "genres".into(),
        json!(if m.anime {
            vec!["Animation"]
        } else {
            vec!["Drama"]
        }),
    );
    o.insert(
        "tags".into(),
        json!(if m.anime { vec![1] } else { Vec::<u64>::new() }),
    );
    o.insert("added".into(), json!(arr_date(m.added)));
    if let Some(f) = &m.file {
        o.insert(
            "movieFile".into(),
            file_json(f, "movieId", m.radarr_id, ArrApp::Radarr, None),
        );
    }
    o.insert(
        "statistics".into(),
        json!({
            "movieFileCount": usize::from(m.file.is_some()),
            "sizeOnDisk": size,
            "releaseGroups": m.file.as_ref().map(|f| vec![f.release_group.clone()]).unwrap_or_default()
        }),
    );
    o.insert("id".into(), json!(m.radarr_id));
    Value::Object(o)
}

pub(super) async fn all_movies(
    State(arr): State<Arr>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let tmdb = param(&q, "tmdbId").and_then(|v| v.parse::<u64>().ok());
    let list = arr.world.with(|w| {
        let mut movies: Vec<&Movie> = w
            .radarr_movies(arr.instance)
            .filter(|m| tmdb.is_none_or(|t| m.tmdb_id == t))
            .collect();
        movies.sort_by_key(|m| m.radarr_id);
        movies.into_iter().map(movie_json).collect::<Vec<_>>()
    });
    json_ok(&Value::Array(list))
}

pub(super) async fn one_movie(
    State(arr): State<Arr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Q,
) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    arr.world.with(
        |w| match w.radarr_movies(arr.instance).find(|m| m.radarr_id == id) {
            Some(m) => json_ok(&movie_json(m)),
            None => not_found(),
        },
    )
}

pub(super) async fn movie_files(
    State(arr): State<Arr>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let ids: Vec<u64> = params(&q, "movieId")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    let list = arr.world.with(|w| {
        w.radarr_movies(arr.instance)
            .filter(|m| ids.contains(&m.radarr_id))
            .filter_map(|m| {
                m.file
                    .as_ref()
                    .map(|f| file_json(f, "movieId", m.radarr_id, ArrApp::Radarr, None))
            })
            .collect::<Vec<_>>()
    });
    json_ok(&Value::Array(list))
}

// ----- Sonarr library -----

pub(super) fn air_utc(d: NaiveDate) -> String {
    format!("{d}T20:00:00Z")
}

pub(super) fn episode_json(s: &Series, e: &Episode, include_file: bool) -> Value {
    let mut o = Map::new();
    o.insert("seriesId".into(), json!(s.sonarr_id));
    o.insert("tvdbId".into(), json!(e.tvdb_id));
    o.insert(
        "episodeFileId".into(),
        json!(e.file.as_ref().map(|f| f.id).unwrap_or(0)),
    );
    if include_file {
        if let Some(f) = &e.file {
            o.insert(
                "episodeFile".into(),
                file_json(f, "seriesId", s.sonarr_id, ArrApp::Sonarr, Some(e.season)),
            );
        }
    }
    o.insert("seasonNumber".into(), json!(e.season));
    o.insert("episodeNumber".into(), json!(e.number));
    o.insert("title".into(), json!(e.title));
    if let Some(d) = e.air_date {
        o.insert("airDate".into(), json!(d.to_string()));
        o.insert("airDateUtc".into(), json!(air_utc(d)));
    }
    o.insert("runtime".into(), json!(24));
    o.insert("hasFile".into(), json!(e.file.is_some()));
    o.insert("monitored".into(), json!(e.monitored));
    if let Some(a) = e.absolute {
        o.insert("absoluteEpisodeNumber".into(), json!(a));
    }
    o.insert("unverifiedSceneNumbering".into(), json!(false));
    o.insert("grabbed".into(), json!(false));
    o.insert("id".into(), json!(e.id));
    Value::Object(o)
}

pub(super) fn stats<'a>(
    eps: impl Iterator<Item = &'a Episode>,
    today: NaiveDate,
) -> Map<String, Value> {
    let eps: Vec<&Episode> = eps.collect();
    let files = eps.iter().filter(|e| e.file.is_some()).count();
    let counted = eps
        .iter()
        .filter(|e| e.file.is_some() || (e.monitored && e.air_date.is_some_and(|d| d <= today)))
        .count();
    let size: u64 = eps
        .iter()
        .filter_map(|e| e.file.as_ref().map(|f| f.size))
        .sum();
    let mut groups: Vec<String> = eps
        .iter()
        .filter_map(|e| e.file.as_ref().map(|f| f.release_group.clone()))
        .collect();
    groups.sort();
    groups.dedup();
    let mut o = Map::new();
    if let Some(next) = eps
        .iter()
        .filter_map(|e| e.air_date)
        .filter(|d| *d > today)
        .min()
    {
        o.insert("nextAiring".into(), json!(air_utc(next)));
    }
    if let Some(prev) = eps
        .iter()
        .filter_map(|e| e.air_date)
        .filter(|d| *d <= today)
        .max()
    {
        o.insert("previousAiring".into(), json!(air_utc(prev)));
    }
    o.insert("episodeFileCount".into(), json!(files));
    o.insert("episodeCount".into(), json!(counted));
    o.insert("totalEpisodeCount".into(), json!(eps.len()));
    o.insert("sizeOnDisk".into(), json!(size));
    o.insert("releaseGroups".into(), json!(groups));
    let pct = if counted == 0 {
        0.0
    } else {
        files as f64 * 100.0 / counted as f64
    };
    o.insert("percentOfEpisodes".into(), json!(pct));
    o
}

pub(super) fn series_json(s: &Series, today: NaiveDate) -> Value {
    let airing = s.is_airing(today);
    let seasons: Vec<Value> = s
        .seasons
        .iter()
        .map(|def| {
            json!({
                "seasonNumber": def.number,
                "monitored": def.number > 0,
                "statistics": stats(s.episodes.iter().filter(|e| e.season == def.number), today)
            })
        })
        .collect();
    let mut series_stats = stats(s.episodes.iter().filter(|e| e.season > 0), today);
    series_stats.remove("nextAiring");
    series_stats.remove("previousAiring");
    series_stats.insert(
        "seasonCount".into(),
        json!(s.seasons.iter().filter(|d| d.number > 0).count()),
    );
    let mut o = Map::new();
    o.insert("title".into(), json!(s.title));
    o.insert("sortTitle".into(), json!(s.title.to_lowercase()));
    o.insert(
        "status".into(),
        json!(if airing { "continuing" } else { "ended" }),
    );
    o.insert("ended".into(), json!(!airing));
    o.insert(
        "overview".into(),
        json!(format!("{} ({}), a simulated series.", s.title, s.year)),
    );
    if let Some(next) = s
        .episodes
        .iter()
        .filter_map(|e| e.air_date)
        .filter(|d| *d > today)
        .min()
    {
        o.insert("nextAiring".into(), json!(air_utc(next)));
    }
    if let Some(prev) = s
        .episodes
        .iter()
        .filter_map(|e| e.air_date)
        .filter(|d| *d <= today)
        .max()
    {
        o.insert("previousAiring".into(), json!(air_utc(prev)));
    }
    o.insert(
        "network".into(),
        json!(if s.anime { "Tokyo MX" } else { "HBO" }),
    );
    o.insert("images".into(), json!([]));
    o.insert("seasons".into(), json!(seasons));
    o.insert("year".into(), json!(s.year));
    o.insert("path".into(), json!(s.path()));
    o.insert("qualityProfileId".into(), json!(1));
    o.insert("seasonFolder".into(), json!(true));
    o.insert("monitored".into(), json!(true));
    o.insert("monitorNewItems".into(), json!("all"));
    o.insert("useSceneNumbering".into(), json!(false));
    o.insert("runtime".into(), json!(24));
    o.insert("tvdbId".into(), json!(s.tvdb_id));
    o.insert("tvRageId".into(), json!(0));
    o.insert("tvMazeId".into(), json!(0));
    o.insert("tmdbId".into(), json!(s.tmdb_id));
    if let Some(first) = s.episodes.iter().filter_map(|e| e.air_date).min() {
        o.insert("firstAired".into(), json!(air_utc(first)));
    }
    o.insert(
        "seriesType".into(),
        json!(if s.anime { "anime" } else { "standard" }),
    );
    o.insert("cleanTitle".into(), json!(clean_title(&s.title)));
    o.insert("imdbId".into(), json!(s.imdb_id));
    o.insert("titleSlug".into(), json!(clean_title(&s.title)));
    o.insert("rootFolderPath".into(), json!(s.root));
    o.insert(
        "genres".into(),
        json!(if s.anime {
            vec!["Animation", "Anime"]
        } else {
            vec!["Drama"]
        }),
    );
    o.insert(
        "tags".into(),
        json!(if s.anime { vec![1] } else { Vec::<u64>::new() }),
    );
    o.insert("added".into(), json!(arr_date(s.added)));
    o.insert("statistics".into(), Value::Object(series_stats));
    o.insert("languageProfileId".into(), json!(1));
    o.insert("id".into(), json!(s.sonarr_id));
    Value::Object(o)
}

pub(super) async fn all_series(
    State(arr): State<Arr>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let tvdb = param(&q, "tvdbId").and_then(|v| v.parse::<u64>().ok());
    let today = Utc::now().date_naive();
    let list = arr.world.with(|w| {
        let mut all: Vec<&Series> = w
            .sonarr_series_all(arr.instance)
            .filter(|s| tvdb.is_none_or(|t| s.tvdb_id == t))
            .collect();
        all.sort_by_key(|s| s.sonarr_id);
        all.into_iter()
            .map(|s| series_json(s, today))
            .collect::<Vec<_>>()
    });
    json_ok(&Value::Array(list))
}

pub(super) async fn one_series(
    State(arr): State<Arr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Q,
) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    let today = Utc::now().date_naive();
    arr.world.with(|w| {
        match w
            .sonarr_series_all(arr.instance)
            .find(|s| s.sonarr_id == id)
        {
            Some(s) => json_ok(&series_json(s, today)),
            None => not_found(),
        }
    })
}

pub(super) async fn episodes(State(arr): State<Arr>, headers: HeaderMap, Query(q): Q) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let series_id = param(&q, "seriesId").and_then(|v| v.parse::<u64>().ok());
    let ids: Vec<u64> = params(&q, "episodeIds")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    let file_id = param(&q, "episodeFileId").and_then(|v| v.parse::<u64>().ok());
    if series_id.is_none() && ids.is_empty() && file_id.is_none() {
        return bad_request("seriesId or episodeIds must be provided");
    }
    let season = param(&q, "seasonNumber").and_then(|v| v.parse::<u32>().ok());
    let include_file = flag(&q, "includeEpisodeFile") == Some(true);
    let include_series = flag(&q, "includeSeries") == Some(true);
    let today = Utc::now().date_naive();
    let list = arr.world.with(|w| {
        let mut out = Vec::new();
        for s in w.sonarr_series_all(arr.instance) {
            if series_id.is_some_and(|id| id != s.sonarr_id) {
                continue;
            }
            for e in &s.episodes {
                let wanted = season.is_none_or(|n| n == e.season)
                    && (ids.is_empty() || ids.contains(&e.id))
                    && file_id.is_none_or(|f| e.file.as_ref().is_some_and(|x| x.id == f));
                if wanted {
                    let mut v = episode_json(s, e, include_file);
                    if include_series {
                        if let Some(o) = v.as_object_mut() {
                            o.insert("series".into(), series_json(s, today));
                        }
                    }
                    out.push(v);
                }
            }
        }
        out
    });
    json_ok(&Value::Array(list))
}

pub(super) async fn episode_files(
    State(arr): State<Arr>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let series_id = param(&q, "seriesId").and_then(|v| v.parse::<u64>().ok());
    let ids: Vec<u64> = params(&q, "episodeFileIds")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    if series_id.is_none() && ids.is_empty() {
        return bad_request("seriesId or episodeFileIds must be provided");
    }
    let list = arr.world.with(|w| {
        let mut out = Vec::new();
        for s in w.sonarr_series_all(arr.instance) {
            if series_id.is_some_and(|id| id != s.sonarr_id) {
                continue;
            }
            for e in &s.episodes {
                if let Some(f) = &e.file {
                    if ids.is_empty() || ids.contains(&f.id) {
                        out.push(file_json(
                            f,
                            "seriesId",
                            s.sonarr_id,
                            ArrApp::Sonarr,
                            Some(e.season),
                        ));
                    }
                }
            }
        }
        out
    });
    json_ok(&Value::Array(list))
}
