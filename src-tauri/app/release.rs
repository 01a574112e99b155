//! Giving a closed window's memory back.
//!
//! WebKitGTK keeps what a webview used until its process ends: the JavaScript
//! engine, WebKit's heap, the graphics driver, and (on purpose, in
//! tauri-runtime-wry) the network process. Measured under Xvfb: 48 MB tray
//! only, 245 MB with the main window open, still 133 MB ten seconds after the
//! window was closed and its webview destroyed. Hosting the windows in a child
//! process instead was measured too: the second process costs about 25 MB more
//! while a window is open (270 MB), over the 250 MB budget.
//!
//! So when the last window has been closed for [`DELAY`], the app lets its
//! poller finish the current cycle, then executes itself again in the same
//! process: same PID (autostart and process monitors see nothing change), tray
//! only, paused if it was. Everything the tracker knows is in SQLite already
//! (a restart at any moment is safe, `tests/desktop.rs` kills it with SIGKILL
//! in a loop), and a notification recorded but not yet shown is shown by the
//! new image. The tray icon registers again, which takes about 150 ms.
//!
//! Not done for the demo, whose simulated stack lives in this process.
//! `STATUS_TRACKER_KEEP_PROCESS=1` turns it off.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tauri::{AppHandle, Manager, Runtime};

use super::state::{self, AppState};
use super::{desktop, notify};

/// How long the last window stays closed before the app restarts in place.
pub const DELAY: Duration = Duration::from_secs(3);

/// Is restarting in place possible and wanted for this run?
fn wanted(state: &AppState) -> bool {
    cfg!(unix)
        && state.has_tray()
        && !state.demo
        && std::env::var_os("STATUS_TRACKER_KEEP_PROCESS").is_none_or(|v| v != "1")
}

/// Called when the last window has closed: restarts in place after [`DELAY`]
/// unless a window opens again or the user quits.
pub fn schedule<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    if !wanted(&state) || state.releasing.swap(true, Ordering::SeqCst) {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        tokio::time::sleep(DELAY).await;
        // A notification's "Open" is answered by this process: wait until
        // the last one has left the screen.
        while let Some(wait) = state
            .last_notification()
            .and_then(|at| notify::SHOWN_FOR.checked_sub(at.elapsed()))
        {
            tokio::time::sleep(wait).await;
        }
        if !app.webview_windows().is_empty() || state.quitting.load(Ordering::SeqCst) {
            state.releasing.store(false, Ordering::SeqCst);
            return;
        }
        let had_poller = state.poller_running();
        state::stop_poller(&state).await;
        if app.webview_windows().is_empty() && !state.quitting.load(Ordering::SeqCst) {
            log::info!("no window is open: restarting in place to give its memory back");
            let err = desktop::restart_in_place(state.is_paused());
            log::warn!("could not restart in place ({err}); the window's memory stays in use");
        }
        if had_poller && !state.quitting.load(Ordering::SeqCst) {
            if let Err(e) = state::start_poller(&app, &state) {
                log::error!("the poller could not start again: {e}");
            }
        }
        state.releasing.store(false, Ordering::SeqCst);
    });
}
