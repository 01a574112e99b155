//! The desktop shell: the only module that knows about Tauri.

/// Runs the GUI. Returns the exit code.
pub fn run_gui() -> i32 {
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        .run(tauri::generate_context!());
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("status-tracker: the desktop app could not start: {e}");
            1
        }
    }
}
