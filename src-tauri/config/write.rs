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
fn notify_fields(n: &NotifyPrefs) -> [(&'static str, bool, bool); 6] {
    let d = NotifyPrefs::default();
    [
        (NOTIFY_KEYS[0], n.available, d.available),
        (NOTIFY_KEYS[1], n.failed, d.failed),
        (NOTIFY_KEYS[2], n.stuck, d.stuck),
        (NOTIFY_KEYS[3], n.episodes, d.episodes),
        (NOTIFY_KEYS[4], n.pending, d.pending),
        (NOTIFY_KEYS[5], n.no_release, d.no_release),
    ]
}

/// `[attention]`'s keys with their values in `a` and their defaults, in
/// [`ATTENTION_KEYS`] order.
fn attention_fields(a: &AttentionRules) -> [(&'static str, u32, u32); 4] {
    let (v, d) = (
        attention_values(a),
        attention_values(&AttentionRules::default()),
    );
    std::array::from_fn(|i| (ATTENTION_KEYS[i], v[i], d[i]))
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
        out.push_str("[notifications]\n");
        for (key, v, _) in notify_fields(&c.notifications) {
            out.push_str(&format!("{key} = {v}\n"));
        }
        out.push('\n');
    }
    let mut attention = String::new();
    for (key, v, dv) in attention_fields(&c.attention) {
        if v != dv {
            attention.push_str(&format!("{key} = {v}\n"));
        }
    }
    if !attention.is_empty() {
        out.push_str("[attention]\n");
        out.push_str(&attention);
        out.push('\n');
    }
    if let Some(level) = &c.log_level {
        out.push_str(&format!("[app]\nlog_level = {}\n\n", toml_str(level)));
    }
    for s in c.services() {
        match &s.instance {
            Some(instance) => out.push_str(&format!(
                "[[{}]]\nname = {}\nurl = {}\n",
                kind_of(&s.name),
                toml_str(instance),
                toml_str(s.url.as_str())
            )),
            None => out.push_str(&format!(
                "[{}]\nurl = {}\n",
                s.name,
                toml_str(s.url.as_str())
            )),
        }
        if s.is_4k {
            out.push_str("is_4k = true\n");
        }
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
    use toml_edit::{ArrayOfTables, DocumentMut, Item, Table};
    let mut doc: DocumentMut = old.parse().ok()?;
    /// Sets `key` in `section` unless it already says `v` (see [`put_in`]).
    fn put(doc: &mut DocumentMut, section: &str, key: &str, v: Option<toml_edit::Value>) {
        if v.is_some() && !doc.contains_table(section) {
            doc.insert(section, Item::Table(Table::new()));
        }
        if let Some(table) = doc.get_mut(section).and_then(Item::as_table_like_mut) {
            put_in(table, key, v);
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
    for (key, v, dv) in attention_fields(&c.attention) {
        let named = doc.get("attention").and_then(|t| t.get(key)).is_some();
        if v != dv || named {
            put(&mut doc, "attention", key, Some(i64::from(v).into()));
        }
    }
    put(
        &mut doc,
        "app",
        "log_level",
        c.log_level.as_deref().map(Into::into),
    );
    for kind in ServiceId::ALL.map(ServiceId::name) {
        let wanted: Vec<&ServiceConfig> = c
            .services()
            .into_iter()
            .filter(|s| kind_of(&s.name) == kind)
            .collect();
        let Some(first) = wanted.first() else {
            doc.remove(kind);
            continue;
        };
        if first.instance.is_none() {
            if !doc.get(kind).is_some_and(Item::is_table) {
                doc.insert(kind, Item::Table(Table::new()));
            }
            if let Some(table) = doc.get_mut(kind).and_then(Item::as_table_like_mut) {
                fill(table, first);
            }
            continue;
        }
        // The array form: edited in place when the file names the same
        // instances in the same order, else written anew.
        let same =
            doc.get(kind)
                .and_then(Item::as_array_of_tables)
                .is_some_and(|tables| {
                    tables.len() == wanted.len()
                        && tables.iter().zip(&wanted).all(|(t, s)| {
                            t.get("name").and_then(Item::as_str) == s.instance.as_deref()
                        })
                });
        if !same {
            let mut tables = ArrayOfTables::new();
            for s in &wanted {
                let mut t = Table::new();
                t.insert(
                    "name",
                    toml_edit::value(s.instance.clone().unwrap_or_default()),
                );
                tables.push(t);
            }
            doc.insert(kind, Item::ArrayOfTables(tables));
        }
        if let Some(tables) = doc.get_mut(kind).and_then(Item::as_array_of_tables_mut) {
            for (t, s) in tables.iter_mut().zip(&wanted) {
                fill(t, s);
            }
        }
    }
    for empty in ["poll", "notifications", "attention", "app"] {
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

/// A value as written, without its spacing and comment.
fn bare(v: &toml_edit::Value) -> String {
    let mut v = v.clone();
    v.decor_mut().clear();
    v.to_string()
}

/// Sets `key` in `table` unless it already says `v` (a new value keeps the
/// old one's spacing and comment); `None` removes it.
fn put_in(table: &mut dyn toml_edit::TableLike, key: &str, v: Option<toml_edit::Value>) {
    let Some(mut new) = v else {
        table.remove(key);
        return;
    };
    match table.get_mut(key).and_then(toml_edit::Item::as_value_mut) {
        Some(old) if bare(old) == bare(&new) => {}
        Some(old) => {
            *new.decor_mut() = old.decor().clone();
            *old = new;
        }
        None => {
            table.insert(key, toml_edit::value(new));
        }
    }
}

/// One service's keys in its table: defaults are written only where the
/// file already names the key.
fn fill(table: &mut dyn toml_edit::TableLike, s: &ServiceConfig) {
    let named = |table: &dyn toml_edit::TableLike, key: &str| table.get(key).is_some();
    put_in(table, "url", Some(s.url.as_str().into()));
    put_in(table, "username", s.username.as_deref().map(Into::into));
    let timeout = (s.timeout != DEFAULT_TIMEOUT || named(table, "timeout_secs"))
        .then(|| toml_edit::Value::from(s.timeout.as_secs() as i64));
    put_in(table, "timeout_secs", timeout);
    let ca = s
        .ca_file
        .as_ref()
        .map(|p| p.to_string_lossy().into_owned().into());
    put_in(table, "ca_file", ca);
    let is_4k = (s.is_4k || named(table, "is_4k")).then(|| s.is_4k.into());
    put_in(table, "is_4k", is_4k);
}
