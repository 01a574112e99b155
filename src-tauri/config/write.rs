//! Writing a config back: a new file from scratch ([`to_toml`]), or an
//! existing one edited in place ([`edit_toml`]) so that the user's comments,
//! order and formatting stay.

use std::path::Path;
use std::time::Duration;

use super::*;

/// `[poll]`'s keys with their values in `p` and their defaults, in
/// [`POLL_KEYS`] order: what both writers ([`to_toml`], [`edit_toml`]) walk.
fn poll_fields(p: &PollConfig) -> [(&'static str, Duration, Duration); 5] {
    let d = PollConfig::default();
    [
        (POLL_KEYS[0], p.downloading, d.downloading),
        (POLL_KEYS[1], p.active, d.active),
        (POLL_KEYS[2], p.jellyseerr, d.jellyseerr),
        (POLL_KEYS[3], p.idle, d.idle),
        (POLL_KEYS[4], p.sweep, d.sweep),
    ]
}

/// `[notifications]`'s keys with their values in `n` and their defaults,
/// in [`NOTIFY_KEYS`] order.
fn notify_fields(n: &NotifyPrefs) -> [(&'static str, bool, bool); 5] {
    let d = NotifyPrefs::default();
    [
        (NOTIFY_KEYS[0], n.available, d.available),
        (NOTIFY_KEYS[1], n.failed, d.failed),
        (NOTIFY_KEYS[2], n.stuck, d.stuck),
        (NOTIFY_KEYS[3], n.episodes, d.episodes),
        (NOTIFY_KEYS[4], n.pending, d.pending),
    ]
}

/// Writes a config as TOML text (what [`parse`] reads back).
pub fn to_toml(c: &Config) -> String {
    let mut out = String::new();
    let mut poll = String::new();
    for (key, v, dv) in poll_fields(&c.poll) {
        if v != dv {
            poll.push_str(&format!("{key} = {}\n", v.as_secs()));
        }
    }
    if !poll.is_empty() {
        out.push_str("[poll]\n");
        out.push_str(&poll);
        out.push('\n');
    }
    if c.notifications != NotifyPrefs::default() {
        let n = c.notifications;
        out.push_str(&format!(
            "[notifications]\navailable = {}\nfailed = {}\nstuck = {}\nepisodes = {}\npending = {}\n\n",
            n.available, n.failed, n.stuck, n.episodes, n.pending
        ));
    }
    if let Some(level) = &c.log_level {
        out.push_str(&format!("[app]\nlog_level = {}\n\n", toml_str(level)));
    }
    for s in c.services() {
        out.push_str(&format!(
            "[{}]\nurl = {}\n",
            s.name,
            toml_str(s.url.as_str())
        ));
        if let Some(u) = &s.username {
            out.push_str(&format!("username = {}\n", toml_str(u)));
        }
        if s.timeout != DEFAULT_TIMEOUT {
            out.push_str(&format!("timeout_secs = {}\n", s.timeout.as_secs()));
        }
        if let Some(ca) = &s.ca_file {
            out.push_str(&format!("ca_file = {}\n", toml_str(&ca.to_string_lossy())));
        }
        out.push('\n');
    }
    out
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Writes a config file atomically (a temp file renamed over it). An
/// existing file is edited in place ([`edit_toml`]): the user's comments,
/// order and formatting stay; only what changed is written.
pub fn save(path: &Path, c: &Config) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // The edited file must read back as `c`; otherwise it is written anew.
    let text = std::fs::read_to_string(path)
        .ok()
        .and_then(|old| edit_toml(&old, c))
        .filter(|text| parse(text, path).is_ok_and(|back| back == *c))
        .unwrap_or_else(|| to_toml(c));
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// `old` (a config file's text) changed to say `c`, keeping comments, key
/// order, blank lines and every value that did not change as it was
/// written. `None` when `old` is not TOML (then the file is written anew).
pub fn edit_toml(old: &str, c: &Config) -> Option<String> {
    use toml_edit::{value, DocumentMut, Item, Table};
    let mut doc: DocumentMut = old.parse().ok()?;
    /// A value as written, without its spacing and comment.
    fn bare(v: &toml_edit::Value) -> String {
        let mut v = v.clone();
        v.decor_mut().clear();
        v.to_string()
    }
    /// Sets `key` in `section` unless it already says `v` (a new value keeps
    /// the old one's spacing and comment); `None` removes it.
    fn put(doc: &mut DocumentMut, section: &str, key: &str, v: Option<toml_edit::Value>) {
        match v {
            Some(mut new) => {
                if !doc.contains_table(section) {
                    doc.insert(section, Item::Table(Table::new()));
                }
                let Some(table) = doc[section].as_table_like_mut() else {
                    return;
                };
                match table.get_mut(key).and_then(Item::as_value_mut) {
                    Some(old) if bare(old) == bare(&new) => {}
                    Some(old) => {
                        *new.decor_mut() = old.decor().clone();
                        *old = new;
                    }
                    None => {
                        table.insert(key, value(new));
                    }
                }
            }
            None => {
                if let Some(table) = doc.get_mut(section).and_then(Item::as_table_like_mut) {
                    table.remove(key);
                }
            }
        }
    }
    let secs = |d: Duration| Some(toml_edit::Value::from(d.as_secs() as i64));
    for (key, v, dv) in poll_fields(&c.poll) {
        // A default is written only where the file already names the key.
        let named = doc.get("poll").and_then(|t| t.get(key)).is_some();
        if v != dv || named {
            put(&mut doc, "poll", key, secs(v));
        }
    }
    for (key, v, dv) in notify_fields(&c.notifications) {
        let named = doc.get("notifications").and_then(|t| t.get(key)).is_some();
        if v != dv || named {
            put(&mut doc, "notifications", key, Some(v.into()));
        }
    }
    put(
        &mut doc,
        "app",
        "log_level",
        c.log_level.as_deref().map(Into::into),
    );
    for name in ServiceId::ALL.map(ServiceId::name) {
        let Some(s) = c.services().into_iter().find(|s| s.name == name) else {
            doc.remove(name);
            continue;
        };
        put(&mut doc, name, "url", Some(s.url.as_str().into()));
        put(
            &mut doc,
            name,
            "username",
            s.username.as_deref().map(Into::into),
        );
        let named = doc.get(name).and_then(|t| t.get("timeout_secs")).is_some();
        let timeout = (s.timeout != DEFAULT_TIMEOUT || named).then(|| secs(s.timeout));
        put(&mut doc, name, "timeout_secs", timeout.flatten());
        let ca = s
            .ca_file
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned().into());
        put(&mut doc, name, "ca_file", ca);
    }
    for empty in ["poll", "notifications", "app"] {
        if doc
            .get(empty)
            .and_then(Item::as_table_like)
            .is_some_and(|t| t.is_empty())
        {
            doc.remove(empty);
        }
    }
    Some(doc.to_string())
}
