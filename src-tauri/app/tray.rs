//! The tray icon: attention state, per-phase counts (Linux tray icons have
//! no tooltip and no click, so the counts go into the first, disabled, menu
//! entry and the title), and the menu.

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

use crate::poller::Command;
use crate::tracker::Records;

use super::state::{self, AppState};
use super::{view, windows};

const TRAY_ID: &str = "status-tracker";
const ICON_OK: &[u8] = include_bytes!("../../icons/tray.png");
const ICON_ATTENTION: &[u8] = include_bytes!("../../icons/tray-attention.png");

/// Menu items whose text changes.
pub struct TrayItems<R: Runtime> {
    summary: MenuItem<R>,
    pause: MenuItem<R>,
}

pub fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let summary = MenuItem::with_id(app, "summary", "Starting…", false, None::<&str>)?;
    let open = MenuItem::with_id(app, "open", "Open", true, None::<&str>)?;
    let refresh = MenuItem::with_id(app, "refresh", "Refresh now", true, None::<&str>)?;
    let paused = app.try_state::<AppState>().is_some_and(|s| s.is_paused());
    let pause = MenuItem::with_id(app, "pause", pause_text(paused), true, None::<&str>)?;
    let settings = MenuItem::with_id(app, "settings", "Settings", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &summary,
            &PredefinedMenuItem::separator(app)?,
            &open,
            &refresh,
            &pause,
            &settings,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(Image::from_bytes(ICON_OK)?)
        .menu(&menu)
        .show_menu_on_left_click(true)
        .title("Status Tracker")
        .tooltip("Status Tracker")
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()))
        .build(app)?;
    app.manage(TrayItems { summary, pause });
    Ok(())
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    match id {
        "open" => {
            let _ = windows::open_main(app);
        }
        "refresh" => {
            state.send(Command::PollNow);
        }
        "pause" => {
            let paused = !state.is_paused();
            state
                .paused
                .store(paused, std::sync::atomic::Ordering::Relaxed);
            state.send(Command::SetPaused(paused));
            if let Some(items) = app.try_state::<TrayItems<R>>() {
                let _ = items.pause.set_text(pause_text(paused));
            }
        }
        "settings" => {
            let _ = windows::open_settings(app);
        }
        "quit" => {
            state
                .quitting
                .store(true, std::sync::atomic::Ordering::SeqCst);
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                if let Some(state) = app.try_state::<AppState>() {
                    state::stop_poller(&state).await;
                }
                app.exit(0);
            });
        }
        _ => {}
    }
}

fn pause_text(paused: bool) -> &'static str {
    if paused {
        "Resume polling"
    } else {
        "Pause polling"
    }
}

/// Updates the icon, title and summary entry from the records; while first
/// contact is still reading the library, the summary says how far it got.
pub fn update<R: Runtime>(
    app: &AppHandle<R>,
    records: &Records,
    paused: bool,
    first_contact: Option<(usize, usize)>,
) {
    let (mut summary, attention) = view::tray_summary(records);
    if let Some(reading) = view::first_contact_text(first_contact) {
        summary = reading;
    }
    if paused {
        summary.push_str(" (paused)");
    }
    if let Some(items) = app.try_state::<TrayItems<R>>() {
        let _ = items.summary.set_text(&summary);
    }
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let icon = if attention { ICON_ATTENTION } else { ICON_OK };
        if let Ok(img) = Image::from_bytes(icon) {
            let _ = tray.set_icon(Some(img));
        }
        let _ = tray.set_title(Some(&summary));
    }
}
