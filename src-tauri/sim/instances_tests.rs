//! Specifications of the second (4K) Radarr and Sonarr, over real HTTP: each
//! instance's own library, key, queue, history, blocklist and failure mode;
//! the shared qBittorrent and Jellyfin; Seerr's 4K request and media
//! fields; Jellyfin's merged versions and separate libraries; the config's
//! array form.

use std::time::Duration;

use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

use super::actions_tests::{
    answer, date, h, Answer, Api, DUNE, GB, SEVERANCE_TMDB, SEVERANCE_TVDB,
};
use super::*;

/// A stack with the 4K instances, and a client.
async fn start_4k() -> Api {
    crate::services::install_tls_provider();
    Api {
        stack: SimStack::start_4k().await.expect("sim starts with 4K"),
        http: Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("client builds"),
    }
}

fn key(service: Service, instance: ArrInstance) -> &'static str {
    match (service, instance) {
        (Service::Radarr, ArrInstance::FourK) => SIM_RADARR_4K_API_KEY,
        (Service::Sonarr, ArrInstance::FourK) => SIM_SONARR_4K_API_KEY,
        (Service::Sonarr, _) => SIM_SONARR_API_KEY,
        _ => SIM_RADARR_API_KEY,
    }
}

impl Api {
    fn url_in(&self, service: Service, instance: ArrInstance, path: &str) -> String {
        let base = self
            .stack
            .urls()
            .of_instance(service, instance)
            .expect("the stack has this instance");
        format!("{base}{path}")
    }

    /// A call to one instance with a given key (a body is sent as JSON).
    async fn call_in(
        &self,
        (service, instance): (Service, ArrInstance),
        method: Method,
        path: &str,
        (api_key, body): (&str, Option<&str>),
    ) -> Answer {
        let mut req = self
            .http
            .request(method, self.url_in(service, instance, path))
            .header("X-Api-Key", api_key);
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(b.to_string());
        }
        answer(req).await
    }

    /// A GET on one instance with its own key, which must answer 200.
    async fn get_in(&self, service: Service, instance: ArrInstance, path: &str) -> Value {
        let a = self
            .call_in(
                (service, instance),
                Method::GET,
                path,
                (key(service, instance), None),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "GET {path}: {}", a.text);
        a.json
    }

    async fn jellyfin(&self, path: &str) -> Value {
        let url = format!("{}{path}", self.stack.urls().jellyfin);
        let a = answer(self.http.get(url).header(
            "Authorization",
            format!("MediaBrowser Token=\"{SIM_JELLYFIN_API_KEY}\""),
        ))
        .await;
        assert_eq!(a.status, StatusCode::OK, "GET {path}: {}", a.text);
        a.json
    }
}

fn ids(list: &Value, field: &str) -> Vec<u64> {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.get(field).and_then(Value::as_u64))
                .collect()
        })
        .unwrap_or_default()
}

fn records(page: &Value) -> Vec<Value> {
    page["records"].as_array().cloned().unwrap_or_default()
}

fn last_component(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

const FOUR_K: ArrInstance = ArrInstance::FourK;
const HD: ArrInstance = ArrInstance::Hd;
const INTERSTELLAR: u64 = 157_336;

#[tokio::test]
async fn each_instance_has_its_own_library_ids_root_and_key() {
    let api = start_4k().await;
    let w = api.world();
    w.add_movie(DUNE, "Dune", 2021, false);
    w.add_movie_in(FOUR_K, DUNE, "Dune", 2021, false);
    w.add_movie_in(FOUR_K, INTERSTELLAR, "Interstellar", 2014, false);

    let hd = api.get_in(Service::Radarr, HD, "/api/v3/movie").await;
    let uhd = api.get_in(Service::Radarr, FOUR_K, "/api/v3/movie").await;
    assert_eq!(
        ids(&hd, "tmdbId"),
        vec![DUNE],
        "the HD Radarr has only Dune"
    );
    assert_eq!(
        ids(&uhd, "tmdbId"),
        vec![DUNE, INTERSTELLAR],
        "the 4K Radarr has its own library"
    );
    let hd_id = ids(&hd, "id")[0];
    let uhd_id = ids(&uhd, "id")[0];
    assert_ne!(hd_id, uhd_id, "each Radarr numbers its own films");
    assert_eq!(uhd[0]["rootFolderPath"], "/media/movies-4k/");
    assert_eq!(uhd[0]["path"], "/media/movies-4k/Dune (2021)");
    assert_eq!(hd[0]["path"], "/media/movies/Dune (2021)");
    let one = api
        .call_in(
            (Service::Radarr, FOUR_K),
            Method::GET,
            &format!("/api/v3/movie/{hd_id}"),
            (SIM_RADARR_4K_API_KEY, None),
        )
        .await;
    assert_eq!(
        one.status,
        StatusCode::NOT_FOUND,
        "the HD id is unknown to the 4K Radarr"
    );

    // Each instance takes its own key only.
    for (instance, wrong) in [(HD, SIM_RADARR_4K_API_KEY), (FOUR_K, SIM_RADARR_API_KEY)] {
        let a = api
            .call_in(
                (Service::Radarr, instance),
                Method::GET,
                "/api/v3/system/status",
                (wrong, None),
            )
            .await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{instance:?}");
    }
    let a = api
        .call_in(
            (Service::Sonarr, FOUR_K),
            Method::GET,
            "/api/v3/system/status",
            (SIM_SONARR_API_KEY, None),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "4K Sonarr, HD key");

    // Series: own series and episode ids, own root.
    let seasons = [(1, 3, date(2022, 2, 18))];
    w.add_series(
        SEVERANCE_TVDB,
        SEVERANCE_TMDB,
        "Severance",
        2022,
        false,
        &seasons,
    );
    w.add_series_in(
        FOUR_K,
        SEVERANCE_TVDB,
        SEVERANCE_TMDB,
        "Severance",
        2022,
        false,
        &seasons,
    );
    let hd = api.get_in(Service::Sonarr, HD, "/api/v3/series").await;
    let uhd = api.get_in(Service::Sonarr, FOUR_K, "/api/v3/series").await;
    assert_ne!(ids(&hd, "id"), ids(&uhd, "id"));
    assert_eq!(uhd[0]["path"], "/media/tv-4k/Severance (2022)");
    let sid = ids(&uhd, "id")[0];
    let eps_4k = api
        .get_in(
            Service::Sonarr,
            FOUR_K,
            &format!("/api/v3/episode?seriesId={sid}"),
        )
        .await;
    let hd_sid = ids(&hd, "id")[0];
    let eps_hd = api
        .get_in(
            Service::Sonarr,
            HD,
            &format!("/api/v3/episode?seriesId={hd_sid}"),
        )
        .await;
    assert_eq!(ids(&eps_4k, "id").len(), 3);
    assert!(
        ids(&eps_4k, "id")
            .iter()
            .all(|id| !ids(&eps_hd, "id").contains(id)),
        "episode ids are per instance"
    );
    api.stack.shutdown().await;
}

#[tokio::test]
async fn a_4k_grab_is_in_the_4k_queue_and_history_only_and_in_the_shared_qbittorrent() {
    let api = start_4k().await;
    let w = api.world();
    w.add_movie(DUNE, "Dune", 2021, false);
    w.add_movie_in(FOUR_K, DUNE, "Dune", 2021, false);
    let release = "Dune.2021.2160p.WEB-DL.DDP5.1.DV.HDR.H.265-NTb";
    w.grab_movie_in(FOUR_K, DUNE, &h(7), release, 21 * GB)
        .expect("4K grab");
    w.set_progress(&h(7), 0.4, 5_000_000).expect("progress");

    let hd_queue = api.get_in(Service::Radarr, HD, "/api/v3/queue").await;
    let uhd_queue = api.get_in(Service::Radarr, FOUR_K, "/api/v3/queue").await;
    assert!(records(&hd_queue).is_empty(), "the HD queue is empty");
    let rec = records(&uhd_queue);
    assert_eq!(rec.len(), 1);
    assert_eq!(rec[0]["downloadId"], h(7).to_uppercase());
    let uhd_movie_id = ids(
        &api.get_in(Service::Radarr, FOUR_K, "/api/v3/movie").await,
        "id",
    )[0];
    assert_eq!(rec[0]["movieId"], uhd_movie_id, "the 4K Radarr's own id");
    assert_eq!(rec[0]["quality"]["quality"]["resolution"], 2160);

    let torrents = api.qb_torrents("").await;
    assert_eq!(
        ids(&torrents, "size").len(),
        1,
        "the one qBittorrent has the 4K torrent"
    );
    assert_eq!(torrents[0]["hash"], h(7));

    w.import(&h(7)).expect("the 4K Radarr imports");
    let hd_history = api.get_in(Service::Radarr, HD, "/api/v3/history").await;
    assert!(records(&hd_history).is_empty(), "nothing in the HD history");
    let uhd_history = api
        .get_in(
            Service::Radarr,
            FOUR_K,
            "/api/v3/history?eventType=downloadFolderImported",
        )
        .await;
    let imported = records(&uhd_history);
    assert_eq!(imported.len(), 1);
    let path = imported[0]["data"]["importedPath"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(path, format!("/media/movies-4k/Dune (2021)/{release}.mkv"));
    let files = api
        .get_in(
            Service::Radarr,
            FOUR_K,
            &format!("/api/v3/moviefile?movieId={uhd_movie_id}"),
        )
        .await;
    assert_eq!(files[0]["path"], path.as_str());
    let hd_movie = api.get_in(Service::Radarr, HD, "/api/v3/movie").await;
    assert_eq!(hd_movie[0]["hasFile"], false, "the HD copy has no file");
    assert!(records(&api.get_in(Service::Radarr, FOUR_K, "/api/v3/queue").await).is_empty());

    // Sonarr: a 4K season pack lands in the 4K queue only.
    let seasons = [(1, 2, date(2022, 2, 18))];
    w.add_series(
        SEVERANCE_TVDB,
        SEVERANCE_TMDB,
        "Severance",
        2022,
        false,
        &seasons,
    );
    w.add_series_in(
        FOUR_K,
        SEVERANCE_TVDB,
        SEVERANCE_TMDB,
        "Severance",
        2022,
        false,
        &seasons,
    );
    w.grab_episodes_in(
        FOUR_K,
        SEVERANCE_TVDB,
        &[(1, 1), (1, 2)],
        &h(8),
        "Severance.S01.2160p.WEB-DL.DDP5.1.H.265-FLUX",
        9 * GB,
    )
    .expect("4K pack");
    assert!(records(&api.get_in(Service::Sonarr, HD, "/api/v3/queue").await).is_empty());
    assert_eq!(
        records(&api.get_in(Service::Sonarr, FOUR_K, "/api/v3/queue").await).len(),
        2,
        "one record per episode, in the 4K Sonarr"
    );
    api.stack.shutdown().await;
}

#[tokio::test]
async fn seerr_4k_request_carries_is4k_server_and_the_4k_media_fields() {
    let api = start_4k().await;
    let w = api.world();
    w.add_movie(DUNE, "Dune", 2021, false);
    // The HD copy is already available.
    let hd = w.request_movie(DUNE, "alice").expect("HD request");
    w.approve(hd).expect("approve");
    w.grab_movie(DUNE, &h(1), "Dune.2021.1080p.WEB-DL-FLUX", 9 * GB)
        .expect("grab");
    w.import(&h(1)).expect("import");
    let hd_item = w.jellyfin_add_movie(DUNE).expect("HD item");

    let id = w.request_movie_4k(DUNE, "bob").expect("4K request");
    let r = api
        .get(Service::Jellyseerr, &format!("/api/v1/request/{id}"))
        .await;
    assert_eq!(r["is4k"], true);
    assert_eq!(r["serverId"], 1, "the 4K Radarr is Seerr's server 1");
    let m = &r["media"];
    assert_eq!(m["status"], media_status::AVAILABLE, "the HD side");
    assert_eq!(m["status4k"], media_status::PENDING);
    assert_eq!(m["jellyfinMediaId"], hd_item.as_str());
    assert_eq!(m["jellyfinMediaId4k"], Value::Null);
    assert_eq!(m["externalServiceId4k"], Value::Null);
    assert!(m.get("serviceUrl4k").is_none());
    let hd_url = format!("{}/movie/{DUNE}", api.stack.urls().radarr);
    assert_eq!(m["serviceUrl"], hd_url.as_str());

    // Approving hands it to the 4K Radarr, which adds the film and searches
    // (its quality profile takes the 2160p release).
    let a = api
        .call(
            Service::Jellyseerr,
            Method::POST,
            &format!("/api/v1/request/{id}/approve"),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let r = api
        .get(Service::Jellyseerr, &format!("/api/v1/request/{id}"))
        .await;
    let m = &r["media"];
    assert_eq!(m["status4k"], media_status::PROCESSING);
    assert_eq!(m["status"], media_status::AVAILABLE);
    let uhd_movies = api.get_in(Service::Radarr, FOUR_K, "/api/v3/movie").await;
    let uhd_id = ids(&uhd_movies, "id")[0];
    assert_eq!(m["serviceId4k"], 1);
    assert_eq!(m["externalServiceId4k"], uhd_id);
    assert_eq!(m["externalServiceSlug4k"], DUNE.to_string());
    let uhd_url = format!(
        "{}/movie/{DUNE}",
        api.stack.urls().radarr_4k.clone().unwrap_or_default()
    );
    assert_eq!(m["serviceUrl4k"], uhd_url.as_str());
    assert_eq!(m["serviceId"], 0);
    let queue = records(&api.get_in(Service::Radarr, FOUR_K, "/api/v3/queue").await);
    assert_eq!(queue.len(), 1, "the 4K search grabbed");
    assert!(queue[0]["title"]
        .as_str()
        .is_some_and(|t| t.contains("2160p")));
    let processing = api
        .get(Service::Jellyseerr, "/api/v1/request?filter=processing")
        .await;
    assert_eq!(
        processing["pageInfo"]["results"], 1,
        "filters read status4k for a 4K request"
    );

    // The HD copy in Jellyfin does not complete it; the 4K file does.
    assert_eq!(r["status"], request_status::APPROVED);
    let hash = queue[0]["downloadId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    w.import(&hash).expect("4K import");
    let uhd_item = w.jellyfin_add_movie_in(FOUR_K, DUNE).expect("4K item");
    assert_ne!(uhd_item, hd_item);
    let r = api
        .get(Service::Jellyseerr, &format!("/api/v1/request/{id}"))
        .await;
    assert_eq!(r["status"], request_status::COMPLETED);
    assert_eq!(r["media"]["status4k"], media_status::AVAILABLE);
    assert_eq!(r["media"]["jellyfinMediaId4k"], uhd_item.as_str());
    assert_eq!(r["media"]["jellyfinMediaId"], hd_item.as_str());
    assert!(r["media"]["mediaUrl4k"]
        .as_str()
        .is_some_and(|u| u.contains(&uhd_item)));
    api.stack.shutdown().await;
}

#[tokio::test]
async fn jellyfin_merges_versions_in_one_folder_into_one_item() {
    let api = start_4k().await;
    let w = api.world();
    w.add_movie(DUNE, "Dune", 2021, false);
    w.grab_movie(DUNE, &h(1), "Dune.2021.1080p.WEB-DL-FLUX", 9 * GB)
        .expect("grab");
    let hd_path = w.import(&h(1)).expect("import").remove(0);
    let first = w.jellyfin_add_movie(DUNE).expect("item");

    // A 720p version never becomes the primary: the item keeps its Id.
    let p720 = "/media/movies/Dune (2021)/Dune (2021) - 720p.mkv";
    let same = w
        .jellyfin_add_movie_version(DUNE, p720, true)
        .expect("720p version");
    assert_eq!(same, first);

    // The 2160p version becomes the primary: new Id and Path.
    let p2160 = "/media/movies/Dune (2021)/Dune (2021) - 2160p.mkv";
    let merged = w
        .jellyfin_add_movie_version(DUNE, p2160, true)
        .expect("4K version");
    assert_ne!(merged, first, "the item's Id switches to the primary's");
    let list = api
        .jellyfin(&format!(
            "/Items?ids={merged}&fields=Path,MediaSources,ProviderIds"
        ))
        .await;
    let item = &list["Items"][0];
    assert_eq!(item["Path"], p2160);
    let sources = item["MediaSources"].as_array().cloned().unwrap_or_default();
    let paths: Vec<&str> = sources.iter().filter_map(|s| s["Path"].as_str()).collect();
    assert_eq!(
        paths,
        vec![p2160, hd_path.as_str(), p720],
        "own first, then by width"
    );
    assert_eq!(sources[0]["Id"], merged.as_str());
    assert_eq!(
        sources[1]["Id"],
        first.as_str(),
        "a version keeps its own Id"
    );
    assert_eq!(sources[0]["MediaStreams"][0]["Width"], 3840);
    assert_eq!(sources[0]["Name"], "2160p");
    let gone = api.jellyfin(&format!("/Items?ids={first}")).await;
    assert_eq!(gone["TotalRecordCount"], 0, "no item has the old Id now");
    let all = api
        .jellyfin("/Items?recursive=true&includeItemTypes=Movie&hasTmdbId=true")
        .await;
    assert_eq!(all["TotalRecordCount"], 1, "one item for the film");

    // Seerr's scan: both versions in one item make both sides available.
    let id = w.request_movie_4k(DUNE, "bob").expect("4K request");
    let r = api
        .get(Service::Jellyseerr, &format!("/api/v1/request/{id}"))
        .await;
    assert_eq!(r["media"]["status4k"], media_status::AVAILABLE);
    assert_eq!(r["media"]["jellyfinMediaId4k"], merged.as_str());
    assert_eq!(r["media"]["jellyfinMediaId"], merged.as_str());
    api.stack.shutdown().await;
}

#[tokio::test]
async fn jellyfin_shows_separate_libraries_as_separate_items_with_the_same_tmdb() {
    let api = start_4k().await;
    let w = api.world();
    w.add_movie(DUNE, "Dune", 2021, false);
    w.add_movie_in(FOUR_K, DUNE, "Dune", 2021, false);
    w.grab_movie(DUNE, &h(1), "Dune.2021.1080p.WEB-DL-FLUX", 9 * GB)
        .expect("grab");
    let hd_path = w.import(&h(1)).expect("import").remove(0);
    let release = "Dune.2021.2160p.WEB-DL.DDP5.1.DV.HDR.H.265-NTb";
    w.grab_movie_in(FOUR_K, DUNE, &h(2), release, 21 * GB)
        .expect("4K grab");
    let uhd_path = w.import(&h(2)).expect("4K import").remove(0);
    let hd_item = w.jellyfin_add_movie(DUNE).expect("HD item");
    let uhd_item = w.jellyfin_add_movie_in(FOUR_K, DUNE).expect("4K item");
    assert_ne!(hd_item, uhd_item);
    assert_eq!(w.jellyfin_movie_items(DUNE).len(), 2);

    let list = api
        .jellyfin(
            "/Items?recursive=true&includeItemTypes=Movie&hasTmdbId=true&fields=Path,MediaSources,ProviderIds",
        )
        .await;
    let items = list["Items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 2, "two items, one per library");
    let tmdb = DUNE.to_string();
    assert!(items
        .iter()
        .all(|i| i["ProviderIds"]["Tmdb"] == tmdb.as_str()));
    let by_id = |id: &str| {
        items
            .iter()
            .find(|i| i["Id"] == id)
            .cloned()
            .unwrap_or_default()
    };
    let uhd = by_id(&uhd_item);
    let jf_path = uhd["MediaSources"][0]["Path"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(jf_path.starts_with("/data/movies-4k/"), "{jf_path}");
    assert!(uhd_path.starts_with("/media/movies-4k/"), "{uhd_path}");
    assert_eq!(
        last_component(&jf_path),
        last_component(&uhd_path),
        "other prefix, same file name"
    );
    assert_eq!(by_id(&hd_item)["MediaSources"][0]["Path"], hd_path.as_str());

    // Seerr's scan put each item on its own side.
    let id = w.request_movie_4k(DUNE, "bob").expect("4K request");
    let r = api
        .get(Service::Jellyseerr, &format!("/api/v1/request/{id}"))
        .await;
    assert_eq!(r["media"]["jellyfinMediaId"], hd_item.as_str());
    assert_eq!(r["media"]["jellyfinMediaId4k"], uhd_item.as_str());

    // Episodes of a 4K series: a separate series item, /data/tv-4k paths.
    let seasons = [(1, 2, date(2022, 2, 18))];
    w.add_series(
        SEVERANCE_TVDB,
        SEVERANCE_TMDB,
        "Severance",
        2022,
        false,
        &seasons,
    );
    w.add_series_in(
        FOUR_K,
        SEVERANCE_TVDB,
        SEVERANCE_TMDB,
        "Severance",
        2022,
        false,
        &seasons,
    );
    w.grab_episodes_in(
        FOUR_K,
        SEVERANCE_TVDB,
        &[(1, 1)],
        &h(3),
        "Severance.S01E01.2160p.WEB-DL.DDP5.1.H.265-FLUX",
        4 * GB,
    )
    .expect("4K episode");
    let ep_path = w.import(&h(3)).expect("import").remove(0);
    w.jellyfin_add_episodes_in(FOUR_K, SEVERANCE_TVDB, &[(1, 1)])
        .expect("4K episode in Jellyfin");
    let eps = api
        .jellyfin(
            "/Items?recursive=true&includeItemTypes=Episode&fields=Path,MediaSources,ProviderIds",
        )
        .await;
    let ep = &eps["Items"][0];
    let jf_ep = ep["Path"].as_str().unwrap_or_default();
    assert!(jf_ep.starts_with("/data/tv-4k/Severance (2022)/Season 01/"));
    assert_eq!(last_component(jf_ep), last_component(&ep_path));
    api.stack.shutdown().await;
}

#[tokio::test]
async fn an_outage_of_the_4k_radarr_leaves_the_hd_one_up() {
    let api = start_4k().await;
    let w = api.world();
    w.add_movie(DUNE, "Dune", 2021, false);
    w.add_movie_in(FOUR_K, DUNE, "Dune", 2021, false);
    w.set_instance_mode(Service::Radarr, FOUR_K, FailureMode::Status500);
    assert_eq!(
        w.instance_mode(Service::Radarr, FOUR_K),
        FailureMode::Status500
    );
    assert_eq!(w.mode(Service::Radarr), FailureMode::Up);
    let a = api
        .call_in(
            (Service::Radarr, FOUR_K),
            Method::GET,
            "/api/v3/movie",
            (SIM_RADARR_4K_API_KEY, None),
        )
        .await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    api.get_in(Service::Radarr, HD, "/api/v3/movie").await;
    assert!(w.requests_served_in(Service::Radarr, FOUR_K) >= 1);

    // Refused: the 4K port closes, the HD one answers.
    w.set_instance_mode(Service::Radarr, FOUR_K, FailureMode::Refused);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let refused = api
        .http
        .get(api.url_in(Service::Radarr, FOUR_K, "/ping"))
        .send()
        .await;
    assert!(refused.is_err(), "the 4K Radarr refuses connections");
    api.get_in(Service::Radarr, HD, "/api/v3/system/status")
        .await;

    // Seerr's hand-off of a 4K request fails; an HD one goes through.
    let uhd = w.request_movie_4k(DUNE, "bob").expect("4K request");
    let hd = w.request_movie(DUNE, "alice").expect("HD request");
    for id in [uhd, hd] {
        let a = api
            .call(
                Service::Jellyseerr,
                Method::POST,
                &format!("/api/v1/request/{id}/approve"),
                None,
            )
            .await;
        assert_eq!(a.status, StatusCode::OK);
    }
    for (id, want) in [
        (uhd, request_status::FAILED),
        (hd, request_status::APPROVED),
    ] {
        let r = api
            .get(Service::Jellyseerr, &format!("/api/v1/request/{id}"))
            .await;
        assert_eq!(r["status"], want, "request {id}");
    }
    api.stack.shutdown().await;
}

#[tokio::test]
async fn acting_calls_and_the_blocklist_are_per_instance() {
    let api = start_4k().await;
    let w = api.world();
    w.add_movie(DUNE, "Dune", 2021, false);
    w.add_movie_in(FOUR_K, DUNE, "Dune", 2021, false);
    let uhd_id = ids(
        &api.get_in(Service::Radarr, FOUR_K, "/api/v3/movie").await,
        "id",
    )[0];
    let body = format!("{{\"name\":\"MoviesSearch\",\"movieIds\":[{uhd_id}]}}");
    let a = api
        .call_in(
            (Service::Radarr, FOUR_K),
            Method::POST,
            "/api/v3/command",
            (SIM_RADARR_4K_API_KEY, Some(&body)),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(a.json["id"], 1, "the 4K Radarr numbers its own commands");
    let queue = records(&api.get_in(Service::Radarr, FOUR_K, "/api/v3/queue").await);
    assert_eq!(queue.len(), 1, "the 4K search grabbed");
    assert!(records(&api.get_in(Service::Radarr, HD, "/api/v3/queue").await).is_empty());
    let title = queue[0]["title"].as_str().unwrap_or_default().to_string();
    let qid = queue[0]["id"].as_u64().unwrap_or_default();
    let a = api
        .call_in(
            (Service::Radarr, FOUR_K),
            Method::DELETE,
            &format!("/api/v3/queue/{qid}?blocklist=true&skipRedownload=true"),
            (SIM_RADARR_4K_API_KEY, None),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(w.blocklisted_in(Service::Radarr, FOUR_K), vec![title]);
    assert!(w.blocklisted(Service::Radarr).is_empty());
    let hd_list = api.get_in(Service::Radarr, HD, "/api/v3/blocklist").await;
    assert!(records(&hd_list).is_empty());

    let acts = w.acts();
    assert_eq!(acts.len(), 2);
    assert!(acts
        .iter()
        .all(|c| c.service == Service::Radarr && c.instance == Some(FOUR_K)));
    let _ = api
        .command(
            Service::Radarr,
            "{\"name\":\"MoviesSearch\",\"movieIds\":[1]}",
        )
        .await;
    assert_eq!(w.acts().last().and_then(|c| c.instance), Some(HD));
    api.stack.shutdown().await;
}

#[tokio::test]
async fn config_toml_writes_the_array_form_only_with_4k_instances() {
    let single = SimUrls {
        jellyseerr: "http://127.0.0.1:1".into(),
        radarr: "http://127.0.0.1:2".into(),
        sonarr: "http://127.0.0.1:3".into(),
        qbittorrent: "http://127.0.0.1:4".into(),
        shoko: "http://127.0.0.1:5".into(),
        jellyfin: "http://127.0.0.1:6".into(),
        radarr_4k: None,
        sonarr_4k: None,
    };
    let text = config_toml(&single);
    assert!(text.contains("[radarr]\nurl = \"http://127.0.0.1:2\"\n\n[sonarr]\nurl = \"http://127.0.0.1:3\"\n\n[jellyfin]"));
    assert!(!text.contains("[[radarr]]"));
    let both = SimUrls {
        radarr_4k: Some("http://127.0.0.1:7".into()),
        sonarr_4k: Some("http://127.0.0.1:8".into()),
        ..single
    };
    let text = config_toml(&both);
    assert!(text.contains(
        "[[radarr]]\nname = \"hd\"\nurl = \"http://127.0.0.1:2\"\n\n\
         [[radarr]]\nname = \"4k\"\nurl = \"http://127.0.0.1:7\"\nis_4k = true\n"
    ));
    assert!(text.contains(
        "[[sonarr]]\nname = \"hd\"\nurl = \"http://127.0.0.1:3\"\n\n\
         [[sonarr]]\nname = \"4k\"\nurl = \"http://127.0.0.1:8\"\nis_4k = true\n"
    ));
    assert!(!text.contains("[radarr]\n"));
    let parsed: toml::Table = text.parse().expect("valid TOML");
    let radarr = parsed["radarr"].as_array().expect("an array of tables");
    assert_eq!(radarr.len(), 2);
    assert_eq!(radarr[1]["is_4k"].as_bool(), Some(true));

    // Each instance's secret is its own; the HD instance uses the HD key.
    assert_eq!(
        sim_env().len(),
        6,
        "the single form's variables stay as they were"
    );
    let env: std::collections::HashMap<_, _> = sim_env_4k().into_iter().collect();
    assert_eq!(env["STATUS_TRACKER_RADARR_HD_API_KEY"], SIM_RADARR_API_KEY);
    assert_eq!(
        env["STATUS_TRACKER_RADARR_4K_API_KEY"],
        SIM_RADARR_4K_API_KEY
    );
    assert_eq!(env["STATUS_TRACKER_SONARR_HD_API_KEY"], SIM_SONARR_API_KEY);
    assert_eq!(
        env["STATUS_TRACKER_SONARR_4K_API_KEY"],
        SIM_SONARR_4K_API_KEY
    );
    assert_ne!(SIM_RADARR_4K_API_KEY, SIM_RADARR_API_KEY);
    assert_eq!(env["STATUS_TRACKER_RADARR_API_KEY"], SIM_RADARR_API_KEY);

    // A real stack: the URLs of the 4K servers are in the config and their
    // ports answer with their own key.
    let api = start_4k().await;
    let urls = api.stack.urls().clone();
    let text = config_toml(&urls);
    assert!(text.contains(urls.radarr_4k.as_deref().unwrap_or("missing")));
    assert!(text.contains(urls.sonarr_4k.as_deref().unwrap_or("missing")));
    api.get_in(Service::Sonarr, FOUR_K, "/api/v3/system/status")
        .await;
    api.stack.shutdown().await;
    let plain = SimStack::start().await.expect("plain stack");
    assert_eq!(plain.urls().radarr_4k, None);
    assert!(!config_toml(plain.urls()).contains("[[radarr]]"));
    plain.shutdown().await;
}

#[tokio::test]
async fn the_4k_demo_request_is_available_only_once_its_4k_file_is_in_jellyfin() {
    const ARRIVAL: u64 = 329_865;
    let api = start_4k().await;
    let w = api.world();
    demo_world(w.clone()).await;
    let id = w
        .newest_request_of(ARRIVAL, false, true)
        .expect("the demo asks for Arrival in 4K");
    let path = format!("/api/v1/request/{id}");
    let r = api.get(Service::Jellyseerr, &path).await;
    assert_eq!(r["is4k"], true);
    assert_eq!(r["status"], request_status::APPROVED);
    assert_eq!(r["media"]["status"], media_status::AVAILABLE, "the HD copy");
    assert_eq!(r["media"]["status4k"], media_status::PROCESSING);
    let queue = records(&api.get_in(Service::Radarr, FOUR_K, "/api/v3/queue").await);
    assert_eq!(queue.len(), 1, "the 4K Radarr grabbed");
    assert!(queue[0]["title"]
        .as_str()
        .is_some_and(|t| t.contains("2160p")));
    assert!(
        records(&api.get_in(Service::Radarr, HD, "/api/v3/queue").await)
            .iter()
            .all(|r| r["movieId"] != queue[0]["movieId"]),
        "nothing of it in the HD queue"
    );

    let mut ticks = 0;
    while w.jellyfin_movie_items(ARRIVAL).len() < 2 {
        let r = api.get(Service::Jellyseerr, &path).await;
        assert_eq!(
            r["media"]["status4k"],
            media_status::PROCESSING,
            "not available before the 4K file is in Jellyfin"
        );
        w.autopilot_tick();
        ticks += 1;
        assert!(ticks < 40, "the autopilot carries the 4K grab to Jellyfin");
    }
    let r = api.get(Service::Jellyseerr, &path).await;
    assert_eq!(r["status"], request_status::COMPLETED);
    assert_eq!(r["media"]["status4k"], media_status::AVAILABLE);
    let history = api
        .get_in(
            Service::Radarr,
            FOUR_K,
            "/api/v3/history?eventType=downloadFolderImported",
        )
        .await;
    let imported = records(&history)[0]["data"]["importedPath"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let items = api
        .jellyfin("/Items?recursive=true&includeItemTypes=Movie&fields=MediaSources")
        .await;
    let uhd_item = r["media"]["jellyfinMediaId4k"].as_str().unwrap_or_default();
    let source_path = items["Items"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["Id"] == uhd_item))
        .map(|i| i["MediaSources"][0]["Path"].clone())
        .unwrap_or_default();
    assert_eq!(
        source_path.as_str().map(last_component),
        Some(last_component(&imported))
    );
    api.stack.shutdown().await;

    // Without the 4K instances the demo has no 4K request.
    let plain = SimStack::start().await.expect("plain stack");
    demo_world(plain.world()).await;
    assert_eq!(plain.world().newest_request_of(ARRIVAL, false, true), None);
    plain.shutdown().await;
}
