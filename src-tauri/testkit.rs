//! Builders shared by the unit tests, the integration tests and the
//! benchmarks, so that a record is written out field by field in one place.
//! Not part of the app's behaviour.

use chrono::{DateTime, Utc};

use crate::tracker::{MediaType, Phase, RequestRecord};

/// A film request in `phase`, requested by alice at `at`, with nothing
/// known from the services yet. Change what a test needs with struct
/// update syntax: `RequestRecord { attention: true, ..film(1, Phase::Failed, at) }`.
pub fn film(id: i64, phase: Phase, at: DateTime<Utc>) -> RequestRecord {
    RequestRecord {
        id,
        jellyseerr_request_id: id,
        media_type: MediaType::Movie,
        title: "Dune: Part Two".into(),
        year: Some(2024),
        poster_path: None,
        tmdb_id: Some(1),
        tvdb_id: None,
        is_anime: false,
        is_4k: false,
        requested_by: "alice".into(),
        requested_at: at,
        seasons: Vec::new(),
        phase,
        reason: None,
        attention: false,
        acknowledged: false,
        progress: None,
        eta_secs: None,
        download_speed: None,
        updated_at: at,
        phase_since: at,
        deleted: false,
        arr_id: None,
        download_ids: Vec::new(),
        failed_download_id: None,
        imported_path: None,
        anidb_ids: Vec::new(),
        jellyfin_id: None,
        instance: None,
        seerr_status: None,
        seerr_media_status: None,
        seerr_updated_at: None,
        episodes: Vec::new(),
        watch: None,
    }
}
