//! IPC commands: adapters of a few lines over the core. SQLite and keyring
//! calls run on blocking threads; every error is `{code, message}`.

use serde::Deserialize;
use serde_json::{json, Value};
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

use crate::config::{self, Config};
use crate::contract::{
    DetailState, EpisodeJson, LinksJson, RequestJson, ServiceSettings, StatisticsJson,
};
use crate::poller::{self, Command};
use crate::secrets::{self, Secret};
use crate::store::Store;

use super::error::{IpcError, IpcResult};
use super::links::{links, open_in_browser};
use super::state::{self, AppState};
use super::{view, windows};

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> IpcResult<T> + Send + 'static,
) -> IpcResult<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| IpcError::new("internal", e.to_string()))?
}

#[tauri::command]
pub async fn list_requests(state: State<'_, AppState>) -> IpcResult<Value> {
    if let Some(v) = state.latest() {
        return Ok(v);
    }
    let (dir, paused, demo) = (state.data_dir.clone(), state.is_paused(), state.demo);
    let notice = state.notice();
    blocking(move || {
        let store = Store::open_in(&dir)?;
        Ok(view::list_payload(
            &store.load_records()?,
            &view::medians(&store),
            &store.service_statuses()?,
            view::RunMode { paused, demo },
            &[],
            None,
            notice.as_deref(),
        ))
    })
    .await
}

#[tauri::command]
pub async fn request_detail(state: State<'_, AppState>, id: i64) -> IpcResult<Value> {
    let dir = state.data_dir.clone();
    let config = state.load_config().unwrap_or_default();
    blocking(move || {
        let store = Store::open_in(&dir)?;
        let records = store.load_records()?;
        let rec = records
            .get(&id)
            .ok_or_else(|| IpcError::new("not_found", format!("no request {id}")))?;
        let timeline = store.timeline(id)?;
        let evidence = timeline
            .iter()
            .rev()
            .find(|e| e.kind == "phase_change")
            .map(|e| e.evidence.clone());
        let links = links(&config, rec);
        let detail = DetailState {
            request: RequestJson::new(
                rec,
                chrono::Utc::now(),
                &store.phase_medians().unwrap_or_default(),
            ),
            timeline: &timeline,
            episodes: rec
                .episodes
                .iter()
                .map(|e| EpisodeJson {
                    season: e.season,
                    number: e.number,
                    title: e.title.as_deref(),
                    air_date: e.air_date,
                    phase: e.phase,
                    reason: e.reason.as_deref(),
                    progress: e.progress,
                })
                .collect(),
            links: LinksJson {
                jellyfin: links.jellyfin.is_some(),
                jellyseerr: links.jellyseerr.is_some(),
                arr: links.arr.is_some(),
            },
            evidence: evidence.as_deref(),
        };
        serde_json::to_value(detail).map_err(|e| IpcError::new("internal", e.to_string()))
    })
    .await
}

/// The statistics view: how long requests take, from the store's timeline
/// (the figures of `status-tracker stats`, with the histograms' bins).
#[tauri::command]
pub async fn statistics(state: State<'_, AppState>) -> IpcResult<StatisticsJson> {
    let dir = state.data_dir.clone();
    blocking(move || statistics_in(&dir)).await
}

fn statistics_in(dir: &std::path::Path) -> IpcResult<StatisticsJson> {
    let read = Store::open_in(dir).and_then(|store| {
        Ok(crate::tracker::stats::timings(
            &store.load_records()?,
            &store.phase_changes()?,
        ))
    });
    let timings = read.map_err(|e| {
        IpcError::new(
            "store",
            format!("cannot read the history in {}: {e}", dir.display()),
        )
    })?;
    Ok(StatisticsJson::new(&timings))
}

#[tauri::command]
pub async fn open_link(state: State<'_, AppState>, id: i64, kind: String) -> IpcResult<()> {
    let dir = state.data_dir.clone();
    let config = state.load_config()?;
    let url = blocking(move || {
        let store = Store::open_in(&dir)?;
        let records = store.load_records()?;
        let rec = records
            .get(&id)
            .ok_or_else(|| IpcError::new("not_found", format!("no request {id}")))?;
        let l = links(&config, rec);
        let url = match kind.as_str() {
            "jellyfin" => l.jellyfin,
            "jellyseerr" => l.jellyseerr,
            "arr" => l.arr,
            _ => None,
        };
        url.ok_or_else(|| IpcError::new("not_found", "no such link for this request"))
    })
    .await?;
    open_in_browser(&url)
}

#[tauri::command]
pub async fn acknowledge(state: State<'_, AppState>, id: i64) -> IpcResult<()> {
    if state.send(Command::Acknowledge(id)) {
        return Ok(());
    }
    let dir = state.data_dir.clone();
    blocking(move || {
        Store::open_in(&dir)?.set_acknowledged(id, true)?;
        Ok(())
    })
    .await
}

#[tauri::command]
pub fn poll_now(state: State<'_, AppState>) -> IpcResult<()> {
    if state.send(Command::PollNow) {
        Ok(())
    } else {
        Err(IpcError::new(
            "config",
            "nothing to poll: set up Jellyseerr in Settings first",
        ))
    }
}

#[tauri::command]
pub fn set_paused<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    paused: bool,
) -> IpcResult<()> {
    state
        .paused
        .store(paused, std::sync::atomic::Ordering::Relaxed);
    state.send(Command::SetPaused(paused));
    if let Some(mut v) = state.latest() {
        v["paused"] = json!(paused);
        let _ = app.emit(view::EVENT_REQUESTS_CHANGED, v);
    }
    Ok(())
}

#[tauri::command]
pub async fn open_detail<R: Runtime>(app: AppHandle<R>, id: i64) -> IpcResult<()> {
    Ok(windows::open_detail(&app, id)?)
}

#[tauri::command]
pub async fn open_settings<R: Runtime>(app: AppHandle<R>) -> IpcResult<()> {
    Ok(windows::open_settings(&app)?)
}

#[tauri::command]
pub async fn get_settings<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> IpcResult<Value> {
    let config = state.load_config()?;
    let first_run = config.jellyseerr.is_none();
    let demo = state.demo;
    let autostart = {
        use tauri_plugin_autostart::ManagerExt;
        app.autolaunch().is_enabled().unwrap_or(false)
    };
    blocking(move || {
        // Each configured service, each instance apart; a kind not
        // configured is one empty card to fill in.
        let mut services: Vec<ServiceSettings> = Vec::new();
        for id in crate::ServiceId::ALL {
            let kind = id.name();
            let configured: Vec<Option<&config::ServiceConfig>> = config
                .services()
                .into_iter()
                .filter(|s| config::kind_of(&s.name) == kind)
                .map(Some)
                .collect();
            let cards = if configured.is_empty() {
                vec![None]
            } else {
                configured
            };
            for svc in cards {
                let name = svc.map_or_else(|| kind.to_string(), |s| s.name.clone());
                let instance = svc.and_then(|s| s.instance.clone());
                // Only "set" or "not set" ever reaches the UI.
                let secret_set = secrets::lookup(&name).is_ok();
                services.push(ServiceSettings {
                    label: match &instance {
                        Some(i) => format!("{} {i}", id.label()),
                        None => id.label().to_string(),
                    },
                    name,
                    kind,
                    instance,
                    is_4k: svc.is_some_and(|s| s.is_4k),
                    has_instances: id.arr_app().is_some(),
                    secret_kind: id.secret_kind(),
                    needs_username: id.needs_username(),
                    default_port: id.default_port(),
                    enabled: svc.is_some(),
                    url: svc.map(|s| s.url.to_string()).unwrap_or_default(),
                    username: svc.and_then(|s| s.username.clone()),
                    timeout_secs: svc.map_or(10, |s| s.timeout.as_secs()),
                    secret_set,
                });
            }
        }
        let p = &config.poll;
        Ok(json!({
            "services": services,
            "poll": {
                "downloading_secs": p.downloading.as_secs(),
                "active_secs": p.active.as_secs(),
                "jellyseerr_secs": p.jellyseerr.as_secs(),
                "idle_secs": p.idle.as_secs(),
            },
            "notifications": config.notifications,
            "attention": config.attention,
            "autostart": autostart,
            "log_level": config.log_level.clone().unwrap_or_else(|| "info".into()),
            "first_run": first_run,
            "demo": demo,
        }))
    })
    .await
}

/// A service as typed in the Settings window. The secret, when typed, goes
/// straight to the keyring and is never sent back.
#[derive(Debug, Deserialize)]
pub struct ServiceInput {
    name: String,
    url: String,
    username: Option<String>,
    timeout_secs: Option<u64>,
    secret: Option<String>,
    /// Radarr/Sonarr: follows 4K requests (None: as the file says).
    #[serde(default)]
    is_4k: Option<bool>,
}

impl ServiceInput {
    fn secret(&mut self) -> Option<Secret> {
        self.secret
            .take()
            .filter(|s| !s.is_empty())
            .map(Secret::new)
    }
}

#[tauri::command]
pub async fn test_connection(mut service: ServiceInput) -> IpcResult<Value> {
    let cfg = config::service_from_input(
        &service.name,
        &service.url,
        service.username.as_deref(),
        service.timeout_secs,
    )?;
    let secret = match service.secret() {
        Some(s) => s,
        None => {
            let name = service.name.clone();
            blocking(move || {
                secrets::lookup(&name).map_err(|e| IpcError::new("config", e.to_string()))
            })
            .await?
        }
    };
    let r = poller::check_one(&cfg, secret).await;
    Ok(json!({"ok": r.ok, "version": r.version, "error": r.error}))
}

async fn restart<R: Runtime>(app: &AppHandle<R>, state: &AppState) -> IpcResult<()> {
    restart_clearing(app, state, None).await
}

/// Restarts the poller; `clear` names a service whose saved client state
/// (caches, a wrong-password lock-out) is forgotten, after new credentials.
async fn restart_clearing<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    clear: Option<String>,
) -> IpcResult<()> {
    state::stop_poller(state).await;
    // New credentials or addresses: the posters are fetched anew from them.
    if let Some(posters) = app.try_state::<super::posters::Posters>() {
        posters.forget_sources();
    }
    if let Some(name) = clear {
        let dir = state.data_dir.clone();
        blocking(move || {
            Store::open_in(&dir)?.save_client_state(&name, "")?;
            Ok(())
        })
        .await?;
    }
    state::start_poller(app, state).map_err(|e| IpcError::new("config", e))?;
    Ok(())
}

#[tauri::command]
pub async fn save_service<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    mut service: ServiceInput,
) -> IpcResult<()> {
    let cfg = config::service_from_input(
        &service.name,
        &service.url,
        service.username.as_deref(),
        service.timeout_secs,
    )?;
    let new_secret = service.secret();
    let cleared = new_secret.as_ref().map(|_| service.name.clone());
    if let Some(secret) = new_secret {
        let name = service.name.clone();
        blocking(move || {
            secrets::keyring_set(&name, &secret).map_err(|e| {
                IpcError::new(
                    "keyring_unavailable",
                    format!("the OS keyring could not store the credential: {e}"),
                )
            })
        })
        .await?;
    }
    let mut config = state.load_config()?;
    // A first named instance beside a single [radarr]: that one becomes
    // `radarr.main`, and its credential moves with it.
    if let Some((kind, instance)) = service.name.split_once('.') {
        if let Some((old, new)) = config.instances_from_single(kind, instance) {
            blocking(move || move_credential(&old, &new)).await?;
        }
    }
    let name = cfg.name.clone();
    if !set_service(&mut config, cfg, service.is_4k) {
        return Err(IpcError::new(
            "config",
            format!(
                "{name} cannot be added beside the config's other {} entries",
                config::kind_of(&name)
            ),
        ));
    }
    config::save(&state.config_path, &config).map_err(|e| {
        IpcError::new(
            "config",
            format!("cannot write {}: {e}", state.config_path.display()),
        )
    })?;
    restart_clearing(&app, &state, cleared).await
}

/// Puts the edited service in the config; what the form does not show (the
/// CA file; `is_4k` when not sent) stays as the file says. False when it
/// cannot go beside the others ([`Config::set_service`]).
fn set_service(config: &mut Config, cfg: config::ServiceConfig, is_4k: Option<bool>) -> bool {
    let kept = config.service(&cfg.name).cloned();
    let cfg = match kept {
        Some(old) => config::ServiceConfig {
            is_4k: old.is_4k,
            ca_file: old.ca_file,
            ..cfg
        },
        None => cfg,
    };
    config.set_service(config::ServiceConfig {
        is_4k: is_4k.unwrap_or(cfg.is_4k),
        ..cfg
    })
}

/// Moves a credential from one keyring account to another (a single
/// `radarr` become the instance `radarr.main`). Nothing to move when the
/// keyring has none (it came from the environment).
fn move_credential(old: &str, new: &str) -> IpcResult<()> {
    let unavailable = |e: String| {
        IpcError::new(
            "keyring_unavailable",
            format!("the OS keyring could not move the credential of {old} to {new}: {e}"),
        )
    };
    if let Some(secret) = secrets::keyring_get(old).map_err(unavailable)? {
        secrets::keyring_set(new, &secret).map_err(unavailable)?;
        secrets::keyring_delete(old).map_err(unavailable)?;
    }
    Ok(())
}

#[tauri::command]
pub async fn remove_service<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    name: String,
) -> IpcResult<()> {
    let mut config = state.load_config()?;
    if crate::ServiceId::parse(config::kind_of(&name)).is_none() {
        return Err(IpcError::new("config", format!("unknown service {name}")));
    }
    // Not configured (only a stored credential) is fine: the credential goes.
    config.remove_service(&name);
    let n = name.clone();
    blocking(move || {
        secrets::keyring_delete(&n).map_err(|e| {
            IpcError::new(
                "keyring_unavailable",
                format!("the OS keyring could not remove the credential: {e}"),
            )
        })
    })
    .await?;
    config::save(&state.config_path, &config).map_err(|e| {
        IpcError::new(
            "config",
            format!("cannot write {}: {e}", state.config_path.display()),
        )
    })?;
    restart(&app, &state).await
}

#[derive(Debug, Deserialize)]
pub struct PollInput {
    downloading_secs: u64,
    active_secs: u64,
    jellyseerr_secs: u64,
    idle_secs: u64,
}

#[derive(Debug, Deserialize)]
pub struct Prefs {
    poll: Option<PollInput>,
    notifications: Option<config::NotifyPrefs>,
    /// The stuck thresholds; each must be from 1 to its maximum.
    attention: Option<config::AttentionRules>,
    autostart: Option<bool>,
    log_level: Option<String>,
}

#[tauri::command]
pub async fn save_preferences<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    prefs: Prefs,
) -> IpcResult<()> {
    let mut config = state.load_config()?;
    if let Some(p) = prefs.poll {
        let secs = |n: u64| std::time::Duration::from_secs(n.clamp(1, 86_400));
        config.poll.downloading = secs(p.downloading_secs);
        config.poll.active = secs(p.active_secs);
        config.poll.jellyseerr = secs(p.jellyseerr_secs);
        config.poll.idle = secs(p.idle_secs);
    }
    if let Some(n) = prefs.notifications {
        config.notifications = n;
    }
    if let Some(a) = prefs.attention {
        config.attention =
            config::checked_attention(a).map_err(|message| IpcError::new("config", message))?;
    }
    if let Some(level) = prefs.log_level {
        if !["error", "warn", "info", "debug", "trace"].contains(&level.as_str()) {
            return Err(IpcError::new(
                "config",
                format!("unknown log level {level}"),
            ));
        }
        config.log_level = Some(level);
    }
    if let Some(on) = prefs.autostart {
        use tauri_plugin_autostart::ManagerExt;
        let a = app.autolaunch();
        let r = if on { a.enable() } else { a.disable() };
        r.map_err(|e| IpcError::new("internal", format!("start at login: {e}")))?;
    }
    config::save(&state.config_path, &config).map_err(|e| {
        IpcError::new(
            "config",
            format!("cannot write {}: {e}", state.config_path.display()),
        )
    })?;
    restart(&app, &state).await
}

#[tauri::command]
pub fn start_demo<R: Runtime>(app: AppHandle<R>) -> IpcResult<()> {
    let exe = std::env::current_exe().map_err(|e| IpcError::new("internal", e.to_string()))?;
    std::process::Command::new(exe)
        .arg("demo")
        .spawn()
        .map_err(|e| IpcError::new("internal", format!("cannot start the demo: {e}")))?;
    app.exit(0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_of_a_new_store_are_empty() {
        let dir = tempfile::tempdir().unwrap();
        let s = statistics_in(dir.path()).unwrap();
        assert_eq!(
            (
                s.all.finished,
                s.movie.histogram.len(),
                s.tv.histogram.len()
            ),
            (0, 0, 0)
        );
    }

    #[test]
    fn a_store_that_cannot_be_read_is_a_clear_store_error() {
        let dir = tempfile::tempdir().unwrap();
        // The data dir is a file: no database can be opened there.
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, "x").unwrap();
        let err = statistics_in(&file).expect_err("a file is no data dir");
        assert_eq!(err.code, "store");
        assert!(
            err.message.starts_with("cannot read the history in ")
                && err.message.contains("not-a-dir"),
            "the message says what and where: {}",
            err.message
        );
    }
}
