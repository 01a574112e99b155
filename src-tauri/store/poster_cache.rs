//! Posters kept on disk, in `<data dir>/posters/`, one file per poster and
//! size, so a window shows them at once and the services are asked once.
//!
//! Invalidation rule: an entry is never stale. It is named by what names
//! the image ([`PosterKey::cache_name`](crate::services::posters::PosterKey::cache_name)):
//! the TMDB poster path (TMDB gives a new image a new path), else the *arr
//! id, else the Jellyfin item id (a replaced file is a new item, a new id);
//! a request whose poster changes asks for a new name and misses.
//! Size bound: after a write that takes the directory over [`BOUND_BYTES`],
//! the least recently used entries (modification time, refreshed on every
//! read) are removed until it holds at most [`TRIM_TO_BYTES`].

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The most the poster directory may hold (about 2,000 list posters).
pub const BOUND_BYTES: u64 = 48 * 1024 * 1024;
/// What a trim leaves, so that the next writes do not trim again at once.
pub const TRIM_TO_BYTES: u64 = BOUND_BYTES / 4 * 3;

/// The on-disk poster cache.
#[derive(Debug, Clone)]
pub struct PosterCache {
    dir: PathBuf,
    bound: u64,
    trim_to: u64,
}

impl PosterCache {
    /// The cache in `data_dir`; nothing is created until the first write.
    pub fn new(data_dir: &Path) -> Self {
        Self::with_bound(data_dir, BOUND_BYTES, TRIM_TO_BYTES)
    }

    /// A cache with another bound (tests).
    pub fn with_bound(data_dir: &Path, bound: u64, trim_to: u64) -> Self {
        PosterCache {
            dir: data_dir.join("posters"),
            bound,
            trim_to: trim_to.min(bound),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A name the cache accepts: `[A-Za-z0-9._-]`, not starting with a dot.
    fn path(&self, name: &str) -> Option<PathBuf> {
        let plain = !name.is_empty()
            && name.len() <= 200
            && !name.starts_with('.')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        plain.then(|| self.dir.join(name))
    }

    /// The poster stored under `name`, marked as just used.
    pub fn get(&self, name: &str) -> Option<Vec<u8>> {
        let path = self.path(name)?;
        let bytes = std::fs::read(&path).ok()?;
        if let Ok(f) = std::fs::File::options().write(true).open(&path) {
            let _ = f.set_modified(SystemTime::now());
        }
        Some(bytes)
    }

    /// Stores a poster (written aside, then renamed: a reader never sees
    /// half a file), then trims the directory to its bound.
    pub fn put(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let Some(path) = self.path(name) else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("not a poster cache name: {name:?}"),
            ));
        };
        std::fs::create_dir_all(&self.dir)?;
        let tmp = self.dir.join(format!(".{name}.{}.tmp", std::process::id()));
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
        }
        std::fs::rename(&tmp, &path)?;
        self.trim();
        Ok(())
    }

    /// Total bytes of the entries.
    pub fn size(&self) -> u64 {
        self.entries().iter().map(|(_, len, _)| len).sum()
    }

    /// (path, length, last used) of every entry.
    fn entries(&self) -> Vec<(PathBuf, u64, SystemTime)> {
        let Ok(dir) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        dir.flatten()
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                meta.is_file().then(|| {
                    (
                        e.path(),
                        meta.len(),
                        meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                    )
                })
            })
            .collect()
    }

    /// Removes the least recently used entries while over the bound.
    fn trim(&self) {
        let mut entries = self.entries();
        let mut total: u64 = entries.iter().map(|(_, len, _)| len).sum();
        if total <= self.bound {
            return;
        }
        entries.sort_by_key(|(_, _, used)| *used);
        for (path, len, _) in entries {
            if total <= self.trim_to {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total = total.saturating_sub(len);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn age(cache: &PosterCache, name: &str, secs_ago: u64) {
        let f = std::fs::File::options()
            .write(true)
            .open(cache.dir().join(name))
            .unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(secs_ago))
            .unwrap();
    }

    #[test]
    fn a_stored_poster_comes_back_and_odd_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cache = PosterCache::new(dir.path());
        assert_eq!(cache.get("tmdb-list-a.jpg"), None);
        cache.put("tmdb-list-a.jpg", b"one").unwrap();
        assert_eq!(cache.get("tmdb-list-a.jpg").as_deref(), Some(&b"one"[..]));
        for bad in ["../config.toml", "a/b", "", ".hidden", "x y"] {
            assert!(cache.put(bad, b"x").is_err(), "{bad:?}");
            assert_eq!(cache.get(bad), None, "{bad:?}");
        }
        assert!(!dir.path().join("config.toml").exists());
    }

    #[test]
    fn over_the_bound_the_least_recently_used_posters_go() {
        let dir = tempfile::tempdir().unwrap();
        let cache = PosterCache::with_bound(dir.path(), 1000, 600);
        for (i, name) in ["a", "b", "c", "d"].iter().enumerate() {
            cache.put(name, &[0u8; 250]).unwrap();
            age(&cache, name, 100 - i as u64 * 10);
        }
        // "a" is the oldest write, but it was just read: "b" and "c" go.
        assert!(cache.get("a").is_some());
        assert_eq!(cache.size(), 1000, "at the bound, nothing removed");
        cache.put("e", &[0u8; 250]).unwrap();
        assert!(cache.size() <= 600, "trimmed to 600: {}", cache.size());
        assert!(cache.get("a").is_some(), "recently read: kept");
        assert!(cache.get("e").is_some(), "just written: kept");
        assert_eq!(cache.get("b"), None, "least recently used: removed");
        assert_eq!(cache.get("c"), None);
    }
}
