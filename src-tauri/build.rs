//! Builds the Tauri context, with a permission per app command
//! (`allow-<command>`), so that each window kind's capability in
//! `tauri.conf.json` grants only the commands its page calls: a detail
//! window cannot save settings.

/// Every command of `app::build`'s `generate_handler!`.
const COMMANDS: &[&str] = &[
    "list_requests",
    "request_detail",
    "statistics",
    "acknowledge",
    "poll_now",
    "set_paused",
    "open_detail",
    "open_settings",
    "open_link",
    "get_settings",
    "save_service",
    "remove_service",
    "test_connection",
    "save_preferences",
    "start_demo",
    "act",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build: {e:#}");
    }
}
