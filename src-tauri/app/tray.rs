//! The tray icon: attention state, per-phase counts (in the tooltip and in
//! the first, disabled, menu entry, which hosts without tooltips still show),
//! a left click that opens the main window, and the menu.
//!
//! On Linux the icon is a StatusNotifierItem served over D-Bus by the app
//! itself (tray-icon's `ksni` backend, chosen in Cargo.toml): no
//! appindicator library, and the host gets a tooltip and click events.

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Runtime};

use crate::poller::Command;
use crate::tracker::Records;

use super::state::{self, AppState};
use super::{desktop, view, windows};

const TRAY_ID: &str = "status-tracker";
/// The tray's title: the app's name (the tooltip's heading; KDE shows no
/// label beside the icon, so the counts are in the tooltip and the menu).
const TITLE: &str = "Status Tracker";
const ICON_OK: &[u8] = include_bytes!("../../icons/tray.png");
const ICON_ATTENTION: &[u8] = include_bytes!("../../icons/tray-attention.png");

/// Menu items whose text changes.
pub struct TrayItems<R: Runtime> {
    summary: MenuItem<R>,
    pause: MenuItem<R>,
}

/// Puts the icon on the tray host, now if there is one, else as soon as one
/// appears on the session bus (a panel that starts after the app at login):
/// the StatusNotifierItem must register with a watcher that exists.
pub fn show<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    if state.has_tray() {
        if let Err(e) = build(app) {
            eprintln!("status-tracker: no tray icon: {e}");
            state.set_tray(false);
        }
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(HOST_CHECK).await;
            if desktop::tray_host_on_bus().await {
                break;
            }
        }
        let handle = app.clone();
        let _ = app.run_on_main_thread(move || match build(&handle) {
            Ok(()) => {
                log::info!("a tray appeared: the icon is on it");
                handle.state::<AppState>().set_tray(true);
            }
            Err(e) => eprintln!("status-tracker: no tray icon: {e}"),
        });
    });
}

/// How often the app looks for a tray host that was missing at start.
const HOST_CHECK: std::time::Duration = std::time::Duration::from_secs(2);

fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
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
        // Left click opens the window; the menu is on the right button.
        .show_menu_on_left_click(false)
        .title(TITLE)
        .tooltip("Starting…")
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()))
        .on_tray_icon_event(|tray, event| {
            if is_left_click(&event) {
                let _ = windows::open_main(tray.app_handle());
            }
        })
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

/// A left click on the icon (on Linux, the host's "Activate").
fn is_left_click(event: &TrayIconEvent) -> bool {
    matches!(
        event,
        TrayIconEvent::Click {
            button: MouseButton::Left,
            ..
        }
    )
}

fn pause_text(paused: bool) -> &'static str {
    if paused {
        "Resume polling"
    } else {
        "Pause polling"
    }
}

/// Updates the icon, tooltip and summary entry from the records; while first
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
        let _ = tray.set_tooltip(Some(&summary));
    }
}
