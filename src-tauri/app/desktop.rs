//! What the desktop offers: a display, a tray host, and the single-instance
//! handshake.

use std::io::{Read, Write};
use std::path::Path;

/// Environment variables that make the app draw without OpenGL, unless the
/// user set them: a list of cards needs no GPU, and skipping GL keeps the
/// GL driver (with software rendering, Mesa's llvmpipe and its 26 MB LLVM)
/// out of both the app and the WebKit web process.
/// `GDK_GL=disable`: GTK does not probe GLX visuals when it opens the display.
/// `WEBKIT_DISABLE_COMPOSITING_MODE=1`: WebKit paints the page on the CPU.
/// Set `STATUS_TRACKER_GPU=1` to leave both alone.
pub const SOFTWARE_RENDERING: [(&str, &str); 2] = [
    ("GDK_GL", "disable"),
    ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
];

/// Applies [`SOFTWARE_RENDERING`] where the user has not decided. Call it
/// first thing, before GTK starts and before any other thread runs.
pub fn prefer_software_rendering() {
    if std::env::var_os("STATUS_TRACKER_GPU").is_some_and(|v| v == "1") {
        return;
    }
    for (name, value) in SOFTWARE_RENDERING {
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, value);
        }
    }
}

/// On Linux, GTK panics without a display: say so and point to the headless commands.
pub fn no_display() -> Option<String> {
    if cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none_or(|v| v.is_empty())
        && std::env::var_os("WAYLAND_DISPLAY").is_none_or(|v| v.is_empty())
    {
        Some(
            "no display found (neither DISPLAY nor WAYLAND_DISPLAY is set), so the desktop app \
             cannot open. The headless commands work anywhere: status-tracker check | poll --once \
             | watch | list (see --help)"
                .into(),
        )
    } else {
        None
    }
}

/// Is a StatusNotifierItem host on the session bus? (GNOME without the
/// AppIndicator extension has none: the icon would be invisible.)
pub fn tray_host_present() -> bool {
    tauri::async_runtime::block_on(tray_host_on_bus())
}

/// [`tray_host_present`] for async callers. Always true off Linux.
pub async fn tray_host_on_bus() -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    let check = async {
        let conn = zbus::Connection::session().await.ok()?;
        let proxy = zbus::fdo::DBusProxy::new(&conn).await.ok()?;
        let name = zbus::names::BusName::try_from("org.kde.StatusNotifierWatcher").ok()?;
        proxy.name_has_owner(name).await.ok()
    };
    tokio::time::timeout(std::time::Duration::from_secs(3), check)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
}

/// The socket a running GUI listens on for "show yourself" from a second launch.
fn socket_path(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("gui.sock")
}

/// Asks a running instance to show its window. True when one answered.
#[cfg(unix)]
pub fn wake_running_instance(data_dir: &Path) -> bool {
    let Ok(mut s) = std::os::unix::net::UnixStream::connect(socket_path(data_dir)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(2)));
    if s.write_all(b"show\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 3];
    s.read_exact(&mut buf).is_ok() && &buf == b"ok\n"
}

#[cfg(not(unix))]
pub fn wake_running_instance(_data_dir: &Path) -> bool {
    false
}

/// Listens for second launches; calls `on_show` for each.
#[cfg(unix)]
pub fn listen_for_second_launch(data_dir: &Path, on_show: impl Fn() + Send + 'static) {
    let path = socket_path(data_dir);
    let _ = std::fs::remove_file(&path);
    let Ok(listener) = std::os::unix::net::UnixListener::bind(&path) else {
        return;
    };
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 5];
            if stream.read_exact(&mut buf).is_ok() && &buf == b"show\n" {
                on_show();
                let _ = stream.write_all(b"ok\n");
            }
        }
    });
}

#[cfg(not(unix))]
pub fn listen_for_second_launch(_data_dir: &Path, _on_show: impl Fn() + Send + 'static) {}

/// One argument of a desktop entry's `Exec` line, quoted as the Desktop Entry
/// Specification asks (the autostart entry joins its arguments with spaces
/// and quotes none): a path with a space stays one argument.
pub fn exec_arg(arg: &str) -> String {
    let arg = arg.replace('%', "%%");
    let plain = !arg.is_empty()
        && !arg.chars().any(|c| {
            c.is_whitespace()
                || matches!(
                    c,
                    '"' | '\''
                        | '\\'
                        | '>'
                        | '<'
                        | '~'
                        | '|'
                        | '&'
                        | ';'
                        | '$'
                        | '*'
                        | '?'
                        | '#'
                        | '('
                        | ')'
                        | '`'
                )
        });
    if plain {
        return arg;
    }
    let mut quoted = String::from("\"");
    for c in arg.chars() {
        if matches!(c, '"' | '`' | '$' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

/// Set by [`restart_in_place`] for the new image: start in the tray.
pub const ENV_START_HIDDEN: &str = "STATUS_TRACKER_START_HIDDEN";
/// Set by [`restart_in_place`] for the new image: polling was paused.
pub const ENV_PAUSED: &str = "STATUS_TRACKER_PAUSED";

/// Reads a "1" flag from the environment and removes it, so that programs
/// the app starts (the demo, a browser) do not inherit it. Call it before
/// any other thread runs.
pub fn take_flag(name: &str) -> bool {
    let on = std::env::var_os(name).is_some_and(|v| v == "1");
    std::env::remove_var(name);
    on
}

/// Executes this program again in this process, tray only: the same PID,
/// the same arguments, a fresh address space. Returns only on failure.
/// Nothing but stdin, stdout and stderr passes to the new image: the instance
/// lock and the single-instance socket are free for it to take again.
#[cfg(unix)]
pub fn restart_in_place(paused: bool) -> std::io::Error {
    use std::os::unix::process::CommandExt;
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return e,
    };
    close_on_exec_all();
    std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(ENV_START_HIDDEN, "1")
        .env(ENV_PAUSED, if paused { "1" } else { "0" })
        .exec()
}

/// Marks every open file descriptor above stderr close-on-exec. Rust and
/// SQLite open theirs that way, but not every library does: WebKit's memory
/// monitor keeps /proc/meminfo and the cgroup's memory files open without it,
/// and each restart would carry them over (seven more descriptors each time).
#[cfg(unix)]
fn close_on_exec_all() {
    let fds: Vec<libc::c_int> = std::fs::read_dir("/proc/self/fd")
        .or_else(|_| std::fs::read_dir("/dev/fd"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .filter(|fd| *fd > 2)
        .collect();
    for fd in fds {
        // SAFETY: fcntl(F_SETFD) only sets a flag on a descriptor number;
        // on one that has been closed meanwhile it fails with EBADF.
        unsafe {
            libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
        }
    }
}

#[cfg(not(unix))]
pub fn restart_in_place(_paused: bool) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::Unsupported, "unix only")
}

/// Reaps, on a thread, the processes an earlier image of this process left
/// (after [`restart_in_place`]: WebKit's network process, which ends when the
/// image that started it goes). Nobody else waits for them, so without this
/// each restart would leave a zombie. Call it before the app starts any
/// process of its own.
#[cfg(target_os = "linux")]
pub fn reap_inherited_children() {
    let children: Vec<libc::pid_t> = std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|list| {
            list.split_whitespace()
                .filter_map(|pid| pid.parse().ok())
                .collect::<Vec<_>>()
        })
        .collect();
    if children.is_empty() {
        return;
    }
    std::thread::spawn(move || {
        for pid in children {
            let mut status = 0;
            // SAFETY: waitpid only writes the exit status into `status`, a
            // live local; `pid` is a child of this process.
            unsafe {
                libc::waitpid(pid, &mut status, 0);
            }
        }
    });
}

#[cfg(not(target_os = "linux"))]
pub fn reap_inherited_children() {}

#[cfg(test)]
mod tests {
    use super::exec_arg;

    #[test]
    fn exec_arguments_are_quoted_as_desktop_entries_want() {
        assert_eq!(exec_arg("--hidden"), "--hidden");
        assert_eq!(exec_arg("/home/me/st.toml"), "/home/me/st.toml");
        assert_eq!(
            exec_arg("/home/me/My Config/st.toml"),
            "\"/home/me/My Config/st.toml\""
        );
        assert_eq!(exec_arg("/tmp/a\"b$c"), "\"/tmp/a\\\"b\\$c\"");
        assert_eq!(
            exec_arg("/tmp/100%"),
            "/tmp/100%%",
            "% is the field-code escape"
        );
    }
}
