//! Native notifications (notify-rust). Each was recorded with its phase change
//! and marked shown before it reaches here, so none is ever shown twice.
//!
//! Where the notification server supports actions: every notification opens
//! the request's detail window ("Open", also a click); a new pending request
//! offers Approve and Decline (the same as the card's buttons); a request
//! that became available offers "Open in Jellyfin".

use std::time::Duration;

use tauri::{AppHandle, Manager, Runtime};

use crate::act::ActRequest;
use crate::store::{Notification, Store};
use crate::tracker::actions::Action;
use crate::tracker::Phase;

use super::state::AppState;
use super::{actions, links, windows};

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

/// The Jellyfin page of the notification's request, when Jellyfin is set up
/// and has the item.
fn jellyfin_page<R: Runtime>(app: &AppHandle<R>, request_id: i64) -> Option<String> {
    let state = app.try_state::<AppState>()?;
    let config = state.load_config().ok()?;
    let record = Store::open_in(&state.data_dir)
        .ok()?
        .load_record(request_id)
        .ok()??;
    links::links(&config, &record).jellyfin
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
    let mut jellyfin = None;
    if actions {
        note.action("default", "Open");
        match n.kind.as_str() {
            "pending" => {
                note.action(Action::Approve.name(), "Approve");
                note.action(Action::Decline.name(), "Decline");
            }
            "available" => {
                jellyfin = jellyfin_page(app, n.request_id);
                if jellyfin.is_some() {
                    note.action("open-jellyfin", "Open in Jellyfin");
                }
            }
            _ => {}
        }
    }
    match note.show() {
        #[cfg(all(unix, not(target_os = "macos")))]
        Ok(handle) if actions => {
            let id = n.request_id;
            let app = app.clone();
            handle.wait_for_action(move |action| match action {
                "default" => {
                    let _ = windows::open_detail(&app, id);
                }
                "open-jellyfin" => {
                    if let Some(url) = jellyfin {
                        if let Err(e) = links::open_in_browser(&url) {
                            log::warn!("Open in Jellyfin: {}", e.message);
                        }
                    }
                }
                other => {
                    if let Ok(action) = other.parse::<Action>() {
                        tauri::async_runtime::block_on(act_from_notification(&app, id, action));
                    }
                }
            });
        }
        Ok(_) => {}
        Err(e) => log::warn!("the notification could not be shown: {e}"),
    }
}

/// Approve or Decline from a pending request's notification: as the card's
/// button, for the request as the notification showed it (REQUESTED). A
/// refusal comes back as a notification with the service's words.
async fn act_from_notification<R: Runtime>(app: &AppHandle<R>, request_id: i64, action: Action) {
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    let record = Store::open_in(&state.data_dir).and_then(|s| s.load_record(request_id));
    let record = match record {
        Ok(Some(r)) => r,
        Ok(None) => return,
        Err(e) => {
            log::warn!("{action} from a notification: {e}");
            return;
        }
    };
    let request = ActRequest {
        jellyseerr_request_id: record.jellyseerr_request_id,
        action,
        expected_phase: Some(Phase::Requested),
    };
    if let Some(outcome) = actions::run(app, request).await {
        if !outcome.ok {
            let mut note = notify_rust::Notification::new();
            note.appname("Status Tracker")
                .summary(&format!("Could not {action} {}", record.title))
                .body(&outcome.message)
                .icon("status-tracker")
                .timeout(notify_rust::Timeout::from(SHOWN_FOR));
            if let Err(e) = note.show() {
                log::warn!("the notification could not be shown: {e}");
            }
        }
    }
}
