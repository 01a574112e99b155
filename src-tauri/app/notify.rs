//! Native notifications (notify-rust). Each was recorded with its phase change
//! and marked shown before it reaches here, so none is ever shown twice.

use std::time::Duration;

use tauri::{AppHandle, Manager, Runtime};

use crate::store::Notification;

use super::state::AppState;
use super::windows;

/// How long a notification stays on screen (where the daemon honours it).
pub const SHOWN_FOR: Duration = Duration::from_secs(10);

/// Shows notifications on a background thread; a click (or the "Open"
/// action) opens the request's detail window.
pub fn show_all<R: Runtime>(app: &AppHandle<R>, pending: Vec<Notification>) {
    if pending.is_empty() {
        return;
    }
    if let Some(state) = app.try_state::<AppState>() {
        state.note_notification();
    }
    for n in pending {
        let app = app.clone();
        std::thread::spawn(move || show(&app, &n));
    }
}

fn show<R: Runtime>(app: &AppHandle<R>, n: &Notification) {
    let mut note = notify_rust::Notification::new();
    note.appname("Status Tracker")
        .summary(&n.summary)
        .body(&n.body)
        .icon("status-tracker")
        .timeout(notify_rust::Timeout::from(SHOWN_FOR));
    let actions = notify_rust::get_capabilities()
        .map(|c| c.iter().any(|x| x == "actions"))
        .unwrap_or(false);
    if actions {
        note.action("default", "Open");
    }
    match note.show() {
        #[cfg(all(unix, not(target_os = "macos")))]
        Ok(handle) if actions => {
            let id = n.request_id;
            let app = app.clone();
            handle.wait_for_action(move |action| {
                if action == "default" {
                    let _ = windows::open_detail(&app, id);
                }
            });
        }
        Ok(_) => {}
        Err(e) => log::warn!("the notification could not be shown: {e}"),
    }
}
