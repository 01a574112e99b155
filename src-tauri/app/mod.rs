//! The desktop shell: the only module that knows about Tauri.
//!
//! A tray icon lives for the whole run; windows come and go. WebKit keeps a
//! closed webview's memory, so a few seconds after the last window closes the
//! app restarts itself in place, tray only ([`release`]). The poller runs on
//! Tauri's async runtime; each cycle reaches the UI through [`view`], the one
//! translation point.

mod actions;
mod commands;
mod desktop;
mod error;
mod links;
mod notify;
mod posters;
mod release;
mod state;
mod tray;
mod view;
mod windows;

use std::path::PathBuf;

use tauri::{Manager, RunEvent, Runtime, WindowEvent};

use state::AppState;

/// How a run begins: `--hidden` (or `STATUS_TRACKER_START_HIDDEN=1`, which
/// a restart in place sets) starts in the tray without opening the main
/// window: the login autostart runs `status-tracker --hidden`;
/// `STATUS_TRACKER_PAUSED=1` starts with polling paused.
#[derive(Debug, Clone, Default)]
pub(crate) struct Start {
    hidden: bool,
    paused: bool,
    /// The arguments the login autostart entry runs this program with:
    /// `--hidden`, and the config and data dir given to this run.
    autostart_args: Vec<String>,
}

impl Start {
    fn new(hidden: bool, config: Option<&PathBuf>, data_dir: Option<&PathBuf>) -> Start {
        let mut autostart_args = vec!["--hidden".to_string()];
        for (flag, path) in [("--config", config), ("--data-dir", data_dir)] {
            if let Some(path) = path {
                autostart_args.push(flag.to_string());
                autostart_args.push(desktop::exec_arg(&path.display().to_string()));
            }
        }
        Start {
            hidden: desktop::take_flag(desktop::ENV_START_HIDDEN) || hidden,
            paused: desktop::take_flag(desktop::ENV_PAUSED),
            autostart_args,
        }
    }
}

/// Runs the GUI on the user's config: `config` and `data_dir` as the
/// command line (or its environment variables) gave them, the defaults
/// otherwise, as for every command. Returns the exit code.
pub fn run_gui(config: Option<PathBuf>, data_dir: Option<PathBuf>, hidden: bool) -> i32 {
    desktop::prefer_software_rendering();
    desktop::reap_inherited_children();
    let start = Start::new(hidden, config.as_ref(), data_dir.as_ref());
    let config = config.unwrap_or_else(crate::config::default_config_path);
    let data_dir = data_dir.unwrap_or_else(crate::config::default_data_dir);
    run(config, data_dir, start, false, None)
}

/// Runs the GUI on the built-in simulated stack, with its own data dir.
pub fn run_demo(hidden: bool) -> i32 {
    desktop::prefer_software_rendering();
    let start = Start::new(hidden, None, None);
    if let Some(msg) = desktop::no_display() {
        eprintln!("status-tracker: {msg} (the terminal demo: status-tracker demo --headless)");
        return 2;
    }
    let demo = match tauri::async_runtime::block_on(crate::sim::Demo::start_4k()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("status-tracker: {e}");
            return 1;
        }
    };
    run(
        demo.config_path,
        demo.dir.join("data"),
        start,
        true,
        Some(demo.stack),
    )
}

fn run(
    config_path: PathBuf,
    data_dir: PathBuf,
    start: Start,
    demo: bool,
    stack: Option<crate::sim::SimStack>,
) -> i32 {
    if let Some(msg) = desktop::no_display() {
        eprintln!("status-tracker: {msg}");
        return 2;
    }
    // One instance per data dir: a second launch shows the running one.
    let lock = match crate::poller::PollerLock::acquire(&data_dir) {
        Ok(l) => l,
        Err(e) => {
            if desktop::wake_running_instance(&data_dir) {
                return 0;
            }
            eprintln!("status-tracker: {e}");
            return 2;
        }
    };
    let tray_host = desktop::tray_host_present();
    if !tray_host {
        eprintln!(
            "status-tracker: no system tray on this desktop yet (on GNOME, install the \
             AppIndicator extension, e.g. gnome-shell-extension-appindicator); the icon appears \
             when a tray starts, and until then closing the window minimizes it"
        );
    }
    let level = crate::config::load(&config_path)
        .ok()
        .and_then(|c| c.log_level);
    if let Some(path) = crate::logging::init(level.as_deref()) {
        log::info!("status tracker started (log: {})", path.display());
    }
    let state = AppState::new(config_path, data_dir.clone(), demo, tray_host);
    state
        .paused
        .store(start.paused, std::sync::atomic::Ordering::Relaxed);
    let app = match build(tauri::Builder::default(), state, true, &start) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("status-tracker: the desktop app could not start: {e}");
            return 1;
        }
    };
    let handle = app.handle().clone();
    desktop::listen_for_second_launch(&data_dir, move || {
        let h = handle.clone();
        let _ = handle.run_on_main_thread(move || {
            let _ = windows::open_main(&h);
        });
    });
    app.run(move |app, event| match event {
        // Closing the last window keeps the app in the tray (and soon gives
        // the window's memory back); Quit exits.
        RunEvent::ExitRequested {
            code: None, api, ..
        } if app.state::<AppState>().has_tray() => {
            api.prevent_exit();
            release::schedule(app);
        }
        RunEvent::Exit => {
            let _ = &lock;
            let _ = &stack;
        }
        _ => {}
    });
    0
}

/// The app on any runtime (a test can build it on `tauri::test::mock_builder()`).
pub fn build<R: Runtime>(
    builder: tauri::Builder<R>,
    state: AppState,
    with_tray: bool,
    start: &Start,
) -> tauri::Result<tauri::App<R>> {
    let hidden = start.hidden;
    let poster_state = posters::Posters::new(state.data_dir.clone());
    builder
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .args(start.autostart_args.iter().cloned())
                .build(),
        )
        .manage(state)
        .manage(poster_state)
        .register_asynchronous_uri_scheme_protocol(posters::SCHEME, |ctx, request, responder| {
            let app = ctx.app_handle().clone();
            tauri::async_runtime::spawn(async move {
                responder.respond(posters::answer(&app, &request).await);
            });
        })
        .invoke_handler(tauri::generate_handler![
            actions::act,
            commands::list_requests,
            commands::request_detail,
            commands::statistics,
            commands::acknowledge,
            commands::poll_now,
            commands::set_paused,
            commands::open_detail,
            commands::open_settings,
            commands::open_link,
            commands::get_settings,
            commands::save_service,
            commands::remove_service,
            commands::test_connection,
            commands::save_preferences,
            commands::start_demo,
        ])
        .on_window_event(|window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                let tray_host = window.state::<AppState>().has_tray();
                if window.label() == windows::MAIN && !tray_host {
                    // No tray to come back from: minimize instead of closing.
                    api.prevent_close();
                    let _ = window.minimize();
                }
            }
        })
        .setup(move |app| {
            let handle = app.handle().clone();
            if with_tray {
                tray::show(&handle);
            }
            let state = app.state::<AppState>();
            match state::start_poller(&handle, &state) {
                // Tray only (autostart, footprint measurements): the window
                // opens from the tray or a second launch.
                Ok(true) if hidden => {}
                Ok(true) => windows::open_main(&handle)?,
                Ok(false) => windows::open_settings(&handle)?,
                Err(e) => {
                    eprintln!("status-tracker: {e}");
                    windows::open_settings(&handle)?;
                }
            }
            Ok(())
        })
        .build(tauri::generate_context!())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_entry_starts_hidden_with_the_paths_this_run_was_given() {
        let plain = Start::new(false, None, None);
        assert!(!plain.hidden, "a plain start shows the main window");
        assert_eq!(plain.autostart_args, ["--hidden"]);
        let config = PathBuf::from("/home/me/My Media/st.toml");
        let data = PathBuf::from("/srv/st-data");
        let given = Start::new(true, Some(&config), Some(&data));
        assert!(given.hidden);
        assert_eq!(
            given.autostart_args,
            [
                "--hidden",
                "--config",
                "\"/home/me/My Media/st.toml\"",
                "--data-dir",
                "/srv/st-data"
            ]
        );
    }
}
