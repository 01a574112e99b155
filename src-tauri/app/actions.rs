//! The desktop's actions: the cards' buttons (Approve, Decline, Search
//! again, Blocklist and search) and the notifications' Approve and Decline,
//! each run once per click through [`crate::act`]. A second click on the
//! same request while the first is in flight is ignored; what the service
//! answered goes back to the windows (`action-done`), and a poll follows at
//! once so that they show what the services made of it.

use serde_json::Value;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::act::{self, ActOutcome, ActRequest};
use crate::contract::ActionJson;
use crate::poller::Command;
use crate::tracker::actions::Action;
use crate::tracker::Phase;

use super::error::{IpcError, IpcResult};
use super::state::AppState;
use super::view;

/// Runs one action unless one is in flight for the same request (None then).
pub async fn run<R: Runtime>(app: &AppHandle<R>, request: ActRequest) -> Option<ActOutcome> {
    let state = app.state::<AppState>();
    let id = request.jellyseerr_request_id;
    if !state.begin_action(id) {
        log::info!(
            "{} of request {id} ignored: one is in flight",
            request.action
        );
        return None;
    }
    let outcome = match state.load_config() {
        Ok(config) => act::act(&config, &state.data_dir, request).await,
        Err(e) => ActOutcome {
            request,
            ok: false,
            sent: false,
            service: None,
            message: e.to_string(),
        },
    };
    state.end_action(id);
    log::info!(
        "{} of request {id}: {}",
        request.action,
        outcome.message.replace(char::is_control, " ")
    );
    if outcome.sent {
        state.send(Command::PollNow);
    }
    let _ = app.emit(view::EVENT_ACTION_DONE, ActionJson::new(&outcome));
    Some(outcome)
}

/// `act`: a card's button. `expected_phase` is the phase the card showed:
/// nothing is sent when the request has moved since.
#[tauri::command(rename_all = "snake_case")]
pub async fn act<R: Runtime>(
    app: AppHandle<R>,
    jellyseerr_request_id: i64,
    action: String,
    expected_phase: Option<String>,
) -> IpcResult<Value> {
    let action: Action = action
        .parse()
        .map_err(|e: String| IpcError::new("bad_input", e))?;
    let expected_phase = expected_phase
        .map(|p| p.parse::<Phase>())
        .transpose()
        .map_err(|e| IpcError::new("bad_input", e.to_string()))?;
    let request = ActRequest {
        jellyseerr_request_id,
        action,
        expected_phase,
    };
    let value = match run(&app, request).await {
        Some(outcome) => serde_json::to_value(ActionJson::new(&outcome)),
        None => serde_json::to_value(serde_json::json!({
            "action": action.name(),
            "jellyseerr_request_id": jellyseerr_request_id,
            "ignored": true,
        })),
    };
    value.map_err(|e| IpcError::new("internal", e.to_string()))
}
