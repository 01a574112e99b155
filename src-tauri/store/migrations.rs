//! The schema as an append-only list of migrations. `PRAGMA user_version`
//! counts how many have been applied. Never edit a released migration: add one.

/// Migration `i` brings the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: requests, episodes, timeline, service status, client state.
    r#"
CREATE TABLE requests (
    id                    INTEGER PRIMARY KEY,
    jellyseerr_request_id INTEGER NOT NULL UNIQUE,
    media_type            TEXT    NOT NULL CHECK (media_type IN ('movie', 'tv')),
    title                 TEXT    NOT NULL,
    year                  INTEGER,
    tmdb_id               INTEGER,
    tvdb_id               INTEGER,
    is_anime              INTEGER NOT NULL,
    requested_by          TEXT    NOT NULL,
    phase                 TEXT    NOT NULL,
    reason                TEXT,
    attention             INTEGER NOT NULL,
    acknowledged          INTEGER NOT NULL,
    deleted               INTEGER NOT NULL,
    updated_at            TEXT    NOT NULL,
    -- the full record as JSON (without episodes), the source of truth on load
    record                TEXT    NOT NULL
);
CREATE INDEX requests_phase ON requests(phase);
CREATE INDEX requests_tmdb ON requests(tmdb_id);
CREATE INDEX requests_tvdb ON requests(tvdb_id);

CREATE TABLE episodes (
    request_id     INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
    arr_episode_id INTEGER NOT NULL,
    season         INTEGER NOT NULL,
    number         INTEGER NOT NULL,
    title          TEXT,
    air_date       TEXT,
    monitored      INTEGER NOT NULL,
    phase          TEXT    NOT NULL,
    download_id    TEXT,
    imported_path  TEXT,
    reason         TEXT,
    progress       REAL,
    PRIMARY KEY (request_id, arr_episode_id)
);

CREATE TABLE timeline (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
    at         TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('phase_change', 'reason', 'episode_available')),
    from_phase TEXT,
    to_phase   TEXT,
    evidence   TEXT    NOT NULL,
    season     INTEGER,
    episode    INTEGER
);
CREATE INDEX timeline_request ON timeline(request_id, id);

CREATE TABLE service_status (
    name         TEXT PRIMARY KEY,
    ok           INTEGER NOT NULL,
    error        TEXT,
    error_kind   TEXT,
    error_since  TEXT,
    last_success TEXT,
    version      TEXT
);

CREATE TABLE client_state (
    service TEXT PRIMARY KEY,
    state   TEXT NOT NULL
);
"#,
    // 2: desktop notifications, recorded with the phase change that causes
    // them (shown at most once: marked shown before they are displayed).
    r#"
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('available', 'failed', 'episodes', 'stuck')),
    summary    TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    shown_at   TEXT
);
CREATE INDEX notifications_pending ON notifications(shown_at) WHERE shown_at IS NULL;
"#,
    // 3: actions the user sent from the app or the CLI (approve, decline,
    // search, blocklist) on the timeline, and notifications of new pending
    // requests. SQLite cannot change a CHECK, so both tables are rebuilt
    // with their rows and ids.
    r#"
CREATE TABLE timeline_v3 (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
    at         TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('phase_change', 'reason', 'episode_available', 'action')),
    from_phase TEXT,
    to_phase   TEXT,
    evidence   TEXT    NOT NULL,
    season     INTEGER,
    episode    INTEGER
);
INSERT INTO timeline_v3(id, request_id, at, kind, from_phase, to_phase, evidence, season, episode)
    SELECT id, request_id, at, kind, from_phase, to_phase, evidence, season, episode FROM timeline;
DROP TABLE timeline;
ALTER TABLE timeline_v3 RENAME TO timeline;
CREATE INDEX timeline_request ON timeline(request_id, id);
CREATE TABLE notifications_v3 (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('available', 'failed', 'episodes', 'stuck', 'pending')),
    summary    TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    shown_at   TEXT
);
INSERT INTO notifications_v3(id, request_id, created_at, kind, summary, body, shown_at)
    SELECT id, request_id, created_at, kind, summary, body, shown_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_v3 RENAME TO notifications;
CREATE INDEX notifications_pending ON notifications(shown_at) WHERE shown_at IS NULL;
"#,
];
