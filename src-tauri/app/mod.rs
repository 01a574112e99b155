//! The desktop shell: the only module that knows about Tauri.

/// Runs the GUI. Returns the exit code.
pub fn run_gui() -> i32 {
    if let Some(msg) = no_display() {
        eprintln!("status-tracker: {msg}");
        return 2;
    }
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        .setup(|app| {
            tauri::WebviewWindowBuilder::new(
                app,
                "main",
                tauri::WebviewUrl::App("index.html".into()),
            )
            .title("Status Tracker")
            .inner_size(900.0, 640.0)
            .build()?;
            Ok(())
        })
        .run(tauri::generate_context!());
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("status-tracker: the desktop app could not start: {e}");
            1
        }
    }
}

/// On Linux, GTK panics without a display: say so and point to the headless commands.
fn no_display() -> Option<String> {
    if cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none_or(|v| v.is_empty())
        && std::env::var_os("WAYLAND_DISPLAY").is_none_or(|v| v.is_empty())
    {
        Some(
            "no display found (neither DISPLAY nor WAYLAND_DISPLAY is set), so the desktop app cannot open. \
             The headless commands work anywhere: status-tracker check | poll --once | watch | list (see --help)"
                .into(),
        )
    } else {
        None
    }
}
