//! Managed state: where things live, and the running poller.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use serde_json::Value;
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::mpsc;

use crate::config::{self, Config, ConfigError};
use crate::poller::{self, Command, CycleReport, Poller};
use crate::store::Store;

use super::{notify, tray, view};

pub struct AppState {
    pub config_path: PathBuf,
    pub data_dir: PathBuf,
    pub demo: bool,
    pub paused: AtomicBool,
    /// The tray icon is up on a StatusNotifierItem host: closing the main
    /// window keeps the app in the tray. False until a host shows the icon
    /// (one may start after the app, e.g. a panel at login).
    tray_host: AtomicBool,
    /// The running poller, if any (Jellyseerr set up).
    poller: Mutex<Option<PollerHandle>>,
    /// The last list payload, for a window that opens between cycles.
    latest: Mutex<Option<Value>>,
    /// Quit was chosen: nothing may restart the app any more.
    pub quitting: AtomicBool,
    /// A restart in place is scheduled (see `release.rs`).
    pub releasing: AtomicBool,
    /// When a notification was last put on screen.
    last_notification: Mutex<Option<Instant>>,
    /// What the main window must say that no request shows (a database
    /// moved aside at start).
    notice: Mutex<Option<String>>,
    /// Jellyseerr request ids with an action in flight: a second click on
    /// the same request meanwhile is ignored (`actions.rs`).
    acting: Mutex<HashSet<i64>>,
}

impl AppState {
    pub fn new(config_path: PathBuf, data_dir: PathBuf, demo: bool, tray_host: bool) -> Self {
        AppState {
            config_path,
            data_dir,
            demo,
            paused: AtomicBool::new(false),
            tray_host: AtomicBool::new(tray_host),
            poller: Mutex::new(None),
            latest: Mutex::new(None),
            quitting: AtomicBool::new(false),
            releasing: AtomicBool::new(false),
            last_notification: Mutex::new(None),
            notice: Mutex::new(None),
            acting: Mutex::new(HashSet::new()),
        }
    }

    /// See the field: is the app's tray icon on a host?
    pub fn has_tray(&self) -> bool {
        self.tray_host.load(Ordering::SeqCst)
    }

    pub fn set_tray(&self, shown: bool) {
        self.tray_host.store(shown, Ordering::SeqCst);
    }

    pub fn notice(&self) -> Option<String> {
        self.notice.lock().ok().and_then(|g| g.clone())
    }

    pub fn load_config(&self) -> Result<Config, ConfigError> {
        match config::load(&self.config_path) {
            Err(ConfigError::Missing { .. }) => Ok(Config::default()),
            other => other,
        }
    }

    /// Sends a command to the poller; false when none runs.
    pub fn send(&self, cmd: Command) -> bool {
        self.poller
            .lock()
            .is_ok_and(|g| g.as_ref().is_some_and(|p| p.send(cmd)))
    }

    pub fn latest(&self) -> Option<Value> {
        self.latest.lock().ok().and_then(|g| g.clone())
    }

    fn set_latest(&self, v: Value) {
        if let Ok(mut g) = self.latest.lock() {
            *g = Some(v);
        }
    }

    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::Relaxed)
    }

    /// Is a poller running (Jellyseerr is set up)?
    pub fn poller_running(&self) -> bool {
        self.poller.lock().is_ok_and(|g| g.is_some())
    }

    /// Remembers that a notification went on screen now.
    pub fn note_notification(&self) {
        if let Ok(mut g) = self.last_notification.lock() {
            *g = Some(Instant::now());
        }
    }

    /// Marks an action on this request as in flight; false when one already is.
    pub fn begin_action(&self, jellyseerr_request_id: i64) -> bool {
        self.acting
            .lock()
            .is_ok_and(|mut g| g.insert(jellyseerr_request_id))
    }

    /// The action on this request is over.
    pub fn end_action(&self, jellyseerr_request_id: i64) {
        if let Ok(mut g) = self.acting.lock() {
            g.remove(&jellyseerr_request_id);
        }
    }

    pub fn last_notification(&self) -> Option<Instant> {
        self.last_notification.lock().ok().and_then(|g| *g)
    }
}

/// Starts the poller for the current config (none when Jellyseerr is not set up).
pub fn start_poller<R: Runtime>(app: &AppHandle<R>, state: &AppState) -> Result<bool, String> {
    let config = state.load_config().map_err(|e| e.to_string())?;
    if config.jellyseerr.is_none() {
        return Ok(false);
    }
    let (store, moved) = Store::open_or_recover(&state.data_dir).map_err(|e| e.to_string())?;
    if let Some(moved) = moved {
        let message = moved.message();
        // Said once on stderr; the log file keeps it (at info: the logger
        // echoes warnings to stderr, which would say it twice).
        eprintln!("status-tracker: {message}");
        log::info!("{message}");
        if let Ok(mut g) = state.notice.lock() {
            *g = Some(message);
        }
    }
    let mut tracker = Poller::new(&config, store).map_err(|e| e.to_string())?;
    tracker.set_notify(Some(config.notifications));
    // Notifications recorded by a run that died before showing them are shown
    // now if recent; older ones are dropped (no burst of old news).
    if let Ok(pending) = tracker
        .store()
        .take_pending_notifications(chrono::Utc::now(), chrono::TimeDelta::minutes(10))
    {
        notify::show_all(app, pending);
    }
    let (tx, rx) = mpsc::channel(32);
    if state.is_paused() {
        let _ = tx.try_send(Command::SetPaused(true));
    }
    let demo = state.demo;
    let app2 = app.clone();
    let handle = tauri::async_runtime::spawn(async move {
        poller::run(
            &mut tracker,
            rx,
            |report, t| on_cycle(&app2, report, t, demo),
            |e| log::error!("a cycle could not be saved: {e}"),
        )
        .await;
    });
    if let Ok(mut g) = state.poller.lock() {
        *g = Some(PollerHandle {
            commands: tx,
            task: Some(handle),
        });
    }
    Ok(true)
}

/// Stops the poller after its current cycle (settings changed: drop and respawn).
pub async fn stop_poller(state: &AppState) {
    let poller = state.poller.lock().ok().and_then(|mut g| g.take());
    if let Some(poller) = poller {
        poller.stop().await;
    }
}

/// The running poller: its command channel and its task. Dropping the
/// handle asks the poller to stop after its current cycle; [`stop`](Self::stop)
/// also waits for it (at most 30 s).
pub struct PollerHandle {
    commands: mpsc::Sender<Command>,
    task: Option<tauri::async_runtime::JoinHandle<()>>,
}

impl PollerHandle {
    /// Sends a command without waiting; false when the poller is gone or busy.
    fn send(&self, cmd: Command) -> bool {
        self.commands.try_send(cmd).is_ok()
    }

    async fn stop(mut self) {
        let _ = self.commands.send(Command::Stop).await;
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(30), task).await;
        }
    }
}

impl Drop for PollerHandle {
    fn drop(&mut self) {
        let _ = self.commands.try_send(Command::Stop);
    }
}

fn on_cycle<R: Runtime>(app: &AppHandle<R>, report: &CycleReport, t: &mut Poller, demo: bool) {
    use tauri::Manager;
    log::debug!(
        "cycle: {} changes, {} HTTP requests, {} bytes, {} ms, polled {:?}",
        report.changes.len(),
        report.http_requests,
        report.bytes_received,
        report.duration.as_millis(),
        report.polled
    );
    for ev in &report.service_events {
        match &ev.error {
            None => log::info!("{} is back", ev.name),
            Some(e) => log::warn!("{} is down: {e}", ev.name),
        }
    }
    for c in &report.changes {
        log::info!("{c:?}");
    }
    let paused = app.try_state::<AppState>().is_some_and(|s| s.is_paused());
    let mut changed: Vec<i64> = report.changes.iter().map(|c| c.request_id()).collect();
    changed.sort_unstable();
    changed.dedup();
    let notice = app.try_state::<AppState>().and_then(|s| s.notice());
    let payload = view::tracker_payload(
        t,
        view::RunMode { paused, demo },
        &changed,
        notice.as_deref(),
    );
    if let Some(state) = app.try_state::<AppState>() {
        state.set_latest(payload.clone());
    }
    let _ = app.emit(view::EVENT_REQUESTS_CHANGED, payload);
    tray::update(app, t.records(), paused, t.first_contact_progress());
    match t
        .store()
        .take_pending_notifications(chrono::Utc::now(), chrono::TimeDelta::minutes(10))
    {
        Ok(pending) => notify::show_all(app, pending),
        Err(e) => log::error!("notifications could not be read: {e}"),
    }
}
