//! The three windows: main (requests by phase), request detail, settings.

use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

pub const MAIN: &str = "main";
pub const SETTINGS: &str = "settings";

fn show_or_build<R: Runtime>(
    app: &AppHandle<R>,
    label: &str,
    url: &str,
    title: &str,
    size: (f64, f64),
) -> tauri::Result<()> {
    if let Some(w) = app.get_webview_window(label) {
        w.show()?;
        w.unminimize()?;
        w.set_focus()?;
        return Ok(());
    }
    WebviewWindowBuilder::new(app, label, WebviewUrl::App(url.into()))
        .title(title)
        .inner_size(size.0, size.1)
        .min_inner_size(420.0, 320.0)
        .build()?;
    Ok(())
}

pub fn open_main<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    show_or_build(app, MAIN, "index.html", "Status Tracker", (1000.0, 720.0))
}

pub fn open_settings<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    show_or_build(
        app,
        SETTINGS,
        "settings.html",
        "Status Tracker — Settings",
        (760.0, 760.0),
    )
}

pub fn open_detail<R: Runtime>(app: &AppHandle<R>, id: i64) -> tauri::Result<()> {
    show_or_build(
        app,
        &format!("detail-{id}"),
        &format!("detail.html?id={id}"),
        "Status Tracker — Request",
        (820.0, 720.0),
    )
}
