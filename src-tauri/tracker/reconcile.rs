//! The reconcile engine: `(previous records, snapshot, now) -> (changed records, events)`.
//!
//! Pure: no I/O, no clock reads. The rules are those of the domain notes:
//! phases move forward only on evidence; a failed service is no evidence; a
//! complete listing without an item is evidence of removal; FAILED is left on
//! new evidence; finished records are frozen; evidence for a media belongs to
//! the newest open request for it.

use std::borrow::Cow;
use std::cell::{Cell, OnceCell};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use hashbrown::HashTable;

use super::model::*;

/// Reason texts the engine writes itself (service messages are kept verbatim).
pub mod reasons {
    pub const DECLINED: &str = "declined in Jellyseerr";
    pub const SEERR_FAILED: &str =
        "Jellyseerr could not hand the request to Radarr/Sonarr (request failed)";
    pub const DELETED: &str = "deleted in Jellyseerr";
    pub const WAIT_RADARR_IMPORT: &str = "waiting for Radarr to import";
    pub const WAIT_SONARR_IMPORT: &str = "waiting for Sonarr to import";
    pub const STALLED: &str = "stalled in qBittorrent: no connection to peers";
    pub const PAUSED: &str = "paused in qBittorrent";
    pub const METADATA: &str = "qBittorrent is fetching the torrent's metadata";
    pub const TORRENT_ERROR: &str = "qBittorrent reports an error for this torrent";
    pub const MISSING_FILES: &str = "qBittorrent reports the torrent's files missing";
    pub const REMOVED_QBIT: &str = "removed from qBittorrent";
    pub const HELD: &str = "Radarr/Sonarr holds the release (delay profile or no download client)";
    pub const NOT_MONITORED_RADARR: &str = "not monitored in Radarr";
    pub const NOT_RELEASED: &str = "not released yet (Radarr waits for its minimum availability)";
    pub const NOT_IN_RADARR: &str = "not in Radarr yet";
    pub const NOT_IN_SONARR: &str = "not in Sonarr yet";
    pub const SHOKO_NOT_SEEN: &str = "Shoko has not seen the file yet";
    pub const SHOKO_UNRECOGNIZED: &str = "Shoko cannot recognise the file (waiting for AniDB)";
    pub const SHOKO_LIMBO: &str = "Shoko matched the file and is creating its AniDB metadata";
    pub const SHOKO_MATCHED: &str = "matched by Shoko, waiting for Jellyfin";
    pub const WAIT_JELLYFIN: &str = "imported, waiting for Jellyfin to show it";
    pub const FILE_DELETED: &str = "the file was deleted from the library";
    pub const REMOVED_JELLYFIN: &str = "no longer in Jellyfin (its item was removed)";
    pub const NOTHING_AIRED: &str = "no episode of the requested seasons has aired yet";
    pub const STUCK: &str = "in this phase far longer than usual";
}

/// A reason text: one of [`reasons`] borrowed, or a service's message owned
/// (most verdicts offer a fixed text, and most are never written).
type Text = Cow<'static, str>;

/// A record under evaluation: borrowed from the previous records until a
/// write changes something, then owned. Most records change nothing in a
/// cycle, so most are never copied.
type Draft<'r> = Cow<'r, RequestRecord>;

/// `rec.<place> = value` on a [`Draft`], cloning a borrowed record only when
/// the value differs from the one it holds.
macro_rules! put {
    ($rec:ident, [$($place:tt)+], $value:expr) => {{
        let value = $value;
        if $rec.$($place)+ != value {
            $rec.to_mut().$($place)+ = value;
        }
    }};
}

/// Is `held` the upper-case form of `id` (what storing `id` would write)?
fn is_upper_of(held: &str, id: &str) -> bool {
    held.len() == id.len()
        && held
            .bytes()
            .zip(id.bytes())
            .all(|(h, i)| h == i.to_ascii_uppercase())
}

/// How long a phase may last before the request needs attention.
fn stuck_after(phase: Phase) -> Option<TimeDelta> {
    match phase {
        Phase::Requested => Some(TimeDelta::days(7)),
        Phase::Approved => Some(TimeDelta::days(7)),
        Phase::Grabbing => Some(TimeDelta::days(2)),
        Phase::Downloading => Some(TimeDelta::days(2)),
        Phase::DownloadDone => Some(TimeDelta::hours(1)),
        Phase::Importing => Some(TimeDelta::hours(12)),
        Phase::AnimeMatching => Some(TimeDelta::hours(6)),
        Phase::Available | Phase::Failed => None,
    }
}

/// Is this record still being followed (not finished, not deleted)?
pub fn is_open(rec: &RequestRecord) -> bool {
    !rec.deleted && rec.phase != Phase::Available
}

/// An id hashed and compared without regard to ASCII case, borrowed (torrent
/// hashes: qBittorrent writes them lower-case, the *arr upper-case), with its
/// hash computed once. Keys the per-cycle indexes without a lower-cased copy
/// of each id.
#[derive(Debug, Clone, Copy)]
struct NoCase<'a> {
    hash: u64,
    id: &'a str,
}

impl<'a> NoCase<'a> {
    fn new(id: &'a str) -> Self {
        let mut h = FastHasher::default();
        let bytes = id.as_bytes();
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0_u8; 8];
            w.copy_from_slice(c);
            h.add(ascii_lower_word(u64::from_le_bytes(w)));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            h.add(ascii_lower_word(tail_word(rest)));
        }
        h.add(bytes.len() as u64);
        NoCase { hash: mix(h.0), id }
    }
}

/// Spreads every bit of `h` over all bits (the finaliser of MurmurHash3):
/// ids that differ only in their last bytes (hex hashes) otherwise differ
/// only in the high bits of the hasher's last multiply, and collide.
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The eight bytes of `w` ASCII-lower-cased at once (other bytes unchanged).
fn ascii_lower_word(w: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low = w & LOW7;
    // Per byte, no carries: the high bit is set when the byte is >= b'A',
    // and when it is > b'Z'.
    let from_a = low + 0x3f3f_3f3f_3f3f_3f3f;
    let past_z = low + 0x2525_2525_2525_2525;
    let upper = from_a & !past_z & !w & HIGH;
    w | (upper >> 2)
}

impl PartialEq for NoCase<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && eq_ignore_ascii_case(self.id, other.id)
    }
}

/// The last (fewer than eight) bytes of an id as one word, zero-padded,
/// byte by byte (a copy of a length only known at run time is a call).
fn tail_word(rest: &[u8]) -> u64 {
    rest.iter().rev().fold(0, |w, b| (w << 8) | u64::from(*b))
}

/// `a.eq_ignore_ascii_case(b)`, eight bytes at a time.
fn eq_ignore_ascii_case(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let word = |c: &[u8]| {
        let mut w = [0_u8; 8];
        w.copy_from_slice(c);
        ascii_lower_word(u64::from_le_bytes(w))
    };
    let (mut x, mut y) = (a.chunks_exact(8), b.chunks_exact(8));
    x.by_ref().zip(y.by_ref()).all(|(x, y)| word(x) == word(y))
        && ascii_lower_word(tail_word(x.remainder())) == ascii_lower_word(tail_word(y.remainder()))
}

impl Eq for NoCase<'_> {}

impl Hash for NoCase<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// A fast, non-cryptographic hasher (the multiply-rotate scheme of rustc's
/// `FxHasher`) for the per-cycle indexes. Their keys are ids from the user's
/// own services, so hash flooding is no concern; SipHash cost a large share
/// of a cycle.
#[derive(Default, Clone, Copy)]
struct FastHasher(u64);

impl FastHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0_u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            self.add(tail_word(rest));
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    fn finish(&self) -> u64 {
        // hashbrown takes the bucket from the low bits and a tag from the
        // high ones: rotate so both see the well-mixed high bits.
        self.0.rotate_left(26)
    }
}

type Fast = BuildHasherDefault<FastHasher>;
type FastMap<K, V> = HashMap<K, V, Fast>;
type FastSet<T> = HashSet<T, Fast>;

fn is_torrent_hash(id: &str) -> bool {
    id.len() == 40 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

fn same_id(a: &str, b: &str) -> bool {
    eq_ignore_ascii_case(a, b)
}

fn human_size(bytes: f64) -> String {
    const GB: f64 = 1024.0 * 1024.0 * 1024.0;
    const MB: f64 = 1024.0 * 1024.0;
    if bytes >= GB {
        format!("{:.1} GB", bytes / GB)
    } else {
        format!("{:.0} MB", (bytes / MB).max(0.0))
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

// ---------------------------------------------------------------------------
// Indexes over the snapshot, built once per call.
// ---------------------------------------------------------------------------

/// Items grouped by an id: one array sorted by id, and where each id's run
/// starts (no vector per id: a cycle's queue holds one item per episode of
/// every download, and most ids have one).
struct Grouped<'a, T> {
    items: Vec<&'a T>,
    runs: FastMap<i64, (u32, u32)>,
}

impl<'a, T> Grouped<'a, T> {
    /// Groups `pairs` by id; within an id, `then` orders the items (a
    /// stable sort: equal items keep their order in `pairs`).
    fn new(
        mut pairs: Vec<(i64, &'a T)>,
        mut then: impl FnMut(&T, &T) -> std::cmp::Ordering,
    ) -> Self {
        pairs.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| then(a.1, b.1)));
        let mut runs = FastMap::with_capacity_and_hasher(pairs.len(), Fast::default());
        for (pos, (id, _)) in pairs.iter().enumerate() {
            let Ok(pos) = u32::try_from(pos) else { break };
            runs.entry(*id).or_insert((pos, 0)).1 += 1;
        }
        Grouped {
            items: pairs.into_iter().map(|(_, item)| item).collect(),
            runs,
        }
    }

    fn get(&self, id: &i64) -> Option<&[&'a T]> {
        let (start, len) = self.runs.get(id)?;
        self.items.get(*start as usize..(start + len) as usize)
    }

    fn contains_key(&self, id: &i64) -> bool {
        self.runs.contains_key(id)
    }
}

impl<T> Default for Grouped<'_, T> {
    fn default() -> Self {
        Grouped {
            items: Vec::new(),
            runs: FastMap::default(),
        }
    }
}

#[derive(Default)]
struct ArrIdx<'a> {
    queue_by_media: Grouped<'a, ArrQueueItem>,
    queue_by_episode: Grouped<'a, ArrQueueItem>,
    /// Oldest first.
    history_by_media: Grouped<'a, ArrHistoryEvent>,
    /// Oldest first.
    history_by_episode: Grouped<'a, ArrHistoryEvent>,
    queue: &'a [ArrQueueItem],
    /// Size of each download (queue), for the progress of a season pack
    /// whose torrent qBittorrent does not list: built on first use.
    size_by_download: OnceCell<FastMap<NoCase<'a>, f64>>,
}

impl<'a> ArrIdx<'a> {
    fn build(queue: &'a [ArrQueueItem], history: &'a [ArrHistoryEvent]) -> Self {
        let in_order = |_: &ArrQueueItem, _: &ArrQueueItem| std::cmp::Ordering::Equal;
        let pairs = |key: fn(&ArrQueueItem) -> Option<i64>| {
            queue.iter().filter_map(|q| Some((key(q)?, q))).collect()
        };
        let mut seen = FastSet::with_capacity_and_hasher(history.len(), Fast::default());
        // Overlapping windows repeat events: each id counts once.
        let events: Vec<&ArrHistoryEvent> = history.iter().filter(|h| seen.insert(h.id)).collect();
        let by_date =
            |a: &ArrHistoryEvent, b: &ArrHistoryEvent| a.date.cmp(&b.date).then(a.id.cmp(&b.id));
        ArrIdx {
            queue_by_media: Grouped::new(pairs(|q| q.media_id), in_order),
            queue_by_episode: Grouped::new(pairs(|q| q.episode_id), in_order),
            history_by_media: Grouped::new(
                events.iter().map(|h| (h.media_id, *h)).collect(),
                by_date,
            ),
            history_by_episode: Grouped::new(
                events
                    .iter()
                    .filter_map(|h| Some((h.episode_id?, *h)))
                    .collect(),
                by_date,
            ),
            queue,
            size_by_download: OnceCell::new(),
        }
    }

    /// The size the queue gives a download (the last item naming it).
    fn download_size(&self, download_id: &str) -> Option<f64> {
        self.size_by_download
            .get_or_init(|| {
                let mut m = FastMap::with_capacity_and_hasher(self.queue.len(), Fast::default());
                for q in self.queue {
                    if let Some(d) = &q.download_id {
                        m.insert(NoCase::new(d), q.size);
                    }
                }
                m
            })
            .get(&NoCase::new(download_id))
            .copied()
    }
}

/// Jellyfin's items, indexed by position in `JellyfinData::items` rather
/// than by reference, so that an index can outlive one call and be used again
/// while Jellyfin's data is the same allocation ([`Reconciler`]).
#[derive(Default)]
struct JfIndex {
    /// Positions (with the item's kind) by item id, for ids in Jellyfin's
    /// own form (32 lower-case hex digits): found without reading the item.
    by_hex_id: FastMap<u128, (u32, JellyfinKind)>,
    /// Positions, hashed by item id, for any other id.
    by_id: HashTable<u32>,
    movie_by_tmdb: FastMap<i64, u32>,
    /// With the series' id in Jellyfin's form, when it has one.
    series_by_tvdb: FastMap<i64, (u32, Option<u128>)>,
    series_by_tmdb: FastMap<i64, u32>,
    by_anidb: FastMap<i64, Vec<u32>>,
    /// Episode positions by series id in Jellyfin's form.
    episodes_by_hex_series: FastMap<u128, Vec<u32>>,
    /// (position of one episode naming the series, every such episode),
    /// hashed by series id, for any other id.
    episodes_by_series: HashTable<(u32, Vec<u32>)>,
}

fn hash_str(s: &str) -> u64 {
    Fast::default().hash_one(s)
}

/// An id of 32 lower-case hex digits as a number (Jellyfin's ids); None for
/// anything else, so that no two different ids share a number.
fn hex_id(id: &str) -> Option<u128> {
    let b = id.as_bytes();
    if b.len() != 32 {
        return None;
    }
    let mut n = 0_u128;
    for &c in b {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => return None,
        };
        n = n << 4 | u128::from(d);
    }
    Some(n)
}

impl JfIndex {
    fn build(data: &JellyfinData) -> Self {
        let items = &data.items;
        // Sized up front: growing a map of 40,000 items rehashes it several
        // times. Ids not in Jellyfin's form are rare: that table grows.
        let mut idx = JfIndex {
            by_hex_id: FastMap::with_capacity_and_hasher(items.len(), Fast::default()),
            ..JfIndex::default()
        };
        let at = |pos: &u32| items.get(*pos as usize);
        for (pos, it) in items.iter().enumerate() {
            let Ok(pos) = u32::try_from(pos) else { break };
            // The last item with an id has it (Jellyfin repeats none).
            if let Some(n) = hex_id(&it.id) {
                idx.by_hex_id.insert(n, (pos, it.kind));
            } else {
                let h = hash_str(&it.id);
                match idx
                    .by_id
                    .find_mut(h, |p| at(p).is_some_and(|o| o.id == it.id))
                {
                    Some(p) => *p = pos,
                    None => {
                        idx.by_id
                            .insert_unique(h, pos, |p| at(p).map_or(0, |o| hash_str(&o.id)));
                    }
                }
            }
            match it.kind {
                JellyfinKind::Movie => {
                    if let Some(t) = it.tmdb_id {
                        // Prefer a playable item when several carry the same id.
                        let e = idx.movie_by_tmdb.entry(t).or_insert(pos);
                        if !at(e).is_some_and(|o| o.playable) && it.playable {
                            *e = pos;
                        }
                    }
                }
                JellyfinKind::Series => {
                    if let Some(t) = it.tvdb_id {
                        idx.series_by_tvdb
                            .entry(t)
                            .or_insert_with(|| (pos, hex_id(&it.id)));
                    }
                    if let Some(t) = it.tmdb_id {
                        idx.series_by_tmdb.entry(t).or_insert(pos);
                    }
                }
                JellyfinKind::Episode => {
                    if let Some(n) = it.series_id.as_deref().and_then(hex_id) {
                        idx.episodes_by_hex_series.entry(n).or_default().push(pos);
                    } else if let Some(s) = &it.series_id {
                        let series_of = |p: &u32| at(p).and_then(|o| o.series_id.as_deref());
                        let h = hash_str(s);
                        match idx
                            .episodes_by_series
                            .find_mut(h, |(p, _)| series_of(p) == Some(s.as_str()))
                        {
                            Some((_, eps)) => eps.push(pos),
                            None => {
                                idx.episodes_by_series.insert_unique(
                                    h,
                                    (pos, vec![pos]),
                                    |(p, _)| series_of(p).map_or(0, hash_str),
                                );
                            }
                        }
                    }
                }
                JellyfinKind::Other => {}
            }
            if let Some(a) = it.anidb_id {
                if matches!(it.kind, JellyfinKind::Movie | JellyfinKind::Series) {
                    idx.by_anidb.entry(a).or_default().push(pos);
                }
            }
        }
        idx
    }
}

/// Jellyfin's data with its index, for one call.
struct JfIdx<'a> {
    data: &'a JellyfinData,
    idx: IndexRef<'a>,
}

/// An index built for this call, or kept by a [`Reconciler`].
enum IndexRef<'a> {
    Built(Box<JfIndex>),
    Kept(&'a JfIndex),
}

impl<'a> JfIdx<'a> {
    fn index(&self) -> &JfIndex {
        match &self.idx {
            IndexRef::Built(i) => i,
            IndexRef::Kept(i) => i,
        }
    }

    fn at(&self, pos: u32) -> Option<&'a JellyfinItem> {
        self.data.items.get(pos as usize).map(|i| &**i)
    }

    fn by_id(&self, id: &str) -> Option<&'a JellyfinItem> {
        if let Some(n) = hex_id(id) {
            return self.at(self.index().by_hex_id.get(&n)?.0);
        }
        let pos = self
            .index()
            .by_id
            .find(hash_str(id), |p| self.at(*p).is_some_and(|o| o.id == id))?;
        self.at(*pos)
    }

    /// The kind of the item with this id: `by_id(id).map(|i| i.kind)`,
    /// answered from the index alone for ids in Jellyfin's form.
    fn kind_of(&self, id: &str) -> Option<JellyfinKind> {
        match hex_id(id) {
            Some(n) => self.index().by_hex_id.get(&n).map(|(_, kind)| *kind),
            None => self.by_id(id).map(|i| i.kind),
        }
    }

    fn movie_by_tmdb(&self, tmdb: i64) -> Option<&'a JellyfinItem> {
        self.at(*self.index().movie_by_tmdb.get(&tmdb)?)
    }

    fn series_by_tvdb(&self, tvdb: i64) -> Option<&'a JellyfinItem> {
        self.at(self.index().series_by_tvdb.get(&tvdb)?.0)
    }

    /// Is the series item with this Tvdb id the one with this id (in
    /// Jellyfin's form)? Answered from the index alone.
    fn series_by_tvdb_is(&self, tvdb: i64, id: u128) -> bool {
        self.index()
            .series_by_tvdb
            .get(&tvdb)
            .is_some_and(|(_, hex)| *hex == Some(id))
    }

    fn series_by_tmdb(&self, tmdb: i64) -> Option<&'a JellyfinItem> {
        self.at(*self.index().series_by_tmdb.get(&tmdb)?)
    }

    fn by_anidb(&self, anidb: i64) -> impl Iterator<Item = &'a JellyfinItem> + '_ {
        let found = self.index().by_anidb.get(&anidb);
        found.into_iter().flatten().filter_map(|p| self.at(*p))
    }

    /// The episode items of a series.
    fn episodes_of(&self, series_id: &str) -> Episodes<'a, '_> {
        if let Some(n) = hex_id(series_id) {
            let found = self.index().episodes_by_hex_series.get(&n);
            return Episodes {
                data: self.data,
                positions: found.map_or(&[][..], Vec::as_slice),
            };
        }
        let found = self
            .index()
            .episodes_by_series
            .find(hash_str(series_id), |(p, _)| {
                self.at(*p)
                    .is_some_and(|o| o.series_id.as_deref() == Some(series_id))
            });
        Episodes {
            data: self.data,
            positions: found.map_or(&[][..], |(_, eps)| eps.as_slice()),
        }
    }
}

/// The episode items of one series.
#[derive(Clone, Copy)]
struct Episodes<'a, 'i> {
    data: &'a JellyfinData,
    positions: &'i [u32],
}

impl<'a> Episodes<'a, '_> {
    fn iter(&self) -> impl Iterator<Item = &'a JellyfinItem> + '_ {
        let items = &self.data.items;
        self.positions
            .iter()
            .filter_map(move |p| items.get(*p as usize).map(|i| &**i))
    }
}

/// The torrent whose own hash `id` is (in any case), found by its map key:
/// qBittorrent's torrents are keyed by their lower-case hash.
fn by_own_hash<'q>(q: &'q QbitData, id: &str) -> Option<&'q Torrent> {
    let mut buf = [0_u8; 64];
    let lower = buf.get_mut(..id.len())?;
    for (d, s) in lower.iter_mut().zip(id.bytes()) {
        *d = s.to_ascii_lowercase();
    }
    let key = std::str::from_utf8(lower).ok()?;
    q.torrents
        .get(key)
        .filter(|t| t.hash.eq_ignore_ascii_case(id))
}

/// The lookups [`by_own_hash`] cannot make: a torrent's own hash when its
/// key is not that hash in lower case, then its v1 and v2 aliases where no
/// torrent holds that id as its own hash.
fn torrent_aliases(q: &QbitData) -> FastMap<NoCase<'_>, &Torrent> {
    let mut m: FastMap<NoCase<'_>, &Torrent> = FastMap::default();
    for t in q.torrents.values() {
        if !by_own_hash(q, &t.hash).is_some_and(|found| std::ptr::eq(found, t)) {
            m.insert(NoCase::new(&t.hash), t);
        }
    }
    for t in q.torrents.values() {
        let v1 = t.infohash_v1.as_deref().filter(|s| !s.is_empty());
        let v2 = t.infohash_v2.as_deref().filter(|s| s.len() >= 40);
        for alias in [v1, v2.and_then(|v2| v2.get(..40))].into_iter().flatten() {
            if same_id(alias, &t.hash) || by_own_hash(q, alias).is_some() {
                continue;
            }
            m.entry(NoCase::new(alias)).or_insert(t);
        }
    }
    m
}

/// Jellyseerr's requests of this cycle, by id: one array sorted by id.
/// Records are walked in the order of their local ids, which follow
/// Jellyseerr's (new requests get the next local ids, in Jellyseerr's
/// order), so a record's request is most often the one after the last.
#[derive(Default)]
struct Listing<'a> {
    ids: Vec<i64>,
    requests: Vec<&'a SeerrRequest>,
}

impl<'a> Listing<'a> {
    fn new(requests: &'a [SeerrRequest]) -> Self {
        let mut by_id: Vec<(i64, &SeerrRequest)> = requests.iter().map(|r| (r.id, r)).collect();
        if !by_id.is_sorted_by_key(|(id, _)| *id) {
            by_id.sort_by_key(|(id, _)| *id); // stable: equal ids keep their order
        }
        // A request listed twice (pages that overlap) counts once, as listed last.
        by_id.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                *earlier = *later;
            }
            same
        });
        let (ids, requests) = by_id.into_iter().unzip();
        Listing { ids, requests }
    }

    fn len(&self) -> usize {
        self.ids.len()
    }

    fn values(&self) -> impl Iterator<Item = &&'a SeerrRequest> {
        self.requests.iter()
    }

    fn get(&self, id: &i64) -> Option<&&'a SeerrRequest> {
        self.requests.get(self.ids.binary_search(id).ok()?)
    }

    /// [`Listing::get`], looking first just after the request `next` found
    /// last (then `next` moves on past the one found).
    fn get_next(&self, next: &mut usize, id: i64) -> Option<&'a SeerrRequest> {
        let pos = match self.ids.get(*next) {
            Some(k) if *k == id => *next,
            _ => self.ids.binary_search(&id).ok()?,
        };
        *next = pos + 1;
        self.requests.get(pos).copied()
    }
}

/// A download id of up to 64 bytes (a torrent hash, v1 or v2), held by
/// value.
#[derive(Clone, Copy)]
struct ShortId {
    len: u8,
    bytes: [u8; 64],
}

impl ShortId {
    /// Is this `id`? (Without making a `ShortId` of it.)
    fn is(&self, id: &str) -> bool {
        usize::from(self.len) == id.len() && self.bytes.get(..id.len()) == Some(id.as_bytes())
    }

    fn of(id: &str) -> Option<Self> {
        let mut bytes = [0_u8; 64];
        bytes.get_mut(..id.len())?.copy_from_slice(id.as_bytes());
        Some(ShortId {
            len: u8::try_from(id.len()).ok()?,
            bytes,
        })
    }
}

/// Everything reconcile reads, with what each configured service said.
struct Ctx<'a> {
    now: DateTime<Utc>,
    /// Every configured service answered this cycle.
    all_ok: bool,
    seerr: Listing<'a>,
    seerr_complete: bool,
    radarr_configured: bool,
    radarr: Option<(&'a RadarrData, ArrIdx<'a>, FastMap<i64, &'a RadarrMovie>)>,
    sonarr: Option<(&'a SonarrData, ArrIdx<'a>, FastMap<i64, &'a SonarrSeries>)>,
    /// qBittorrent's torrents, looked up by their map key (the lower-case hash).
    torrents: Option<&'a QbitData>,
    /// The torrents a download id can name other than by its own lower-case
    /// key (a v1/v2 alias, a key that is not the hash): built on the first
    /// lookup that misses, which most cycles never make.
    torrent_aliases: OnceCell<FastMap<NoCase<'a>, &'a Torrent>>,
    /// The last download id looked up, and what it found: the episodes of
    /// a season pack all name one download.
    last_torrent: Cell<Option<(ShortId, Option<&'a Torrent>)>>,
    shoko_configured: bool,
    shoko: Option<&'a ShokoData>,
    jf_configured: bool,
    jf: Option<JfIdx<'a>>,
    /// Jellyfin's data is not the very data of the last call (finished films
    /// then look for their item again: see [`finished_film_item`]).
    jf_new: bool,
}

impl<'a> Ctx<'a> {
    fn build(snap: &'a Snapshot, now: DateTime<Utc>) -> Self {
        Self::build_with(snap, now, None, true)
    }

    /// `kept`: an index of `snap.jellyfin`'s data; `jf_new`: that data is
    /// not the data of the last call.
    fn build_with(
        snap: &'a Snapshot,
        now: DateTime<Utc>,
        kept: Option<&'a JfIndex>,
        jf_new: bool,
    ) -> Self {
        let failed = |configured: bool, ok: bool| configured && !ok;
        let all_ok = !(failed(
            snap.jellyseerr.is_configured(),
            snap.jellyseerr.ok().is_some(),
        ) || failed(snap.radarr.is_configured(), snap.radarr.ok().is_some())
            || failed(snap.sonarr.is_configured(), snap.sonarr.ok().is_some())
            || failed(
                snap.qbittorrent.is_configured(),
                snap.qbittorrent.ok().is_some(),
            )
            || failed(snap.shoko.is_configured(), snap.shoko.ok().is_some())
            || failed(snap.jellyfin.is_configured(), snap.jellyfin.ok().is_some()));
        Ctx {
            now,
            all_ok,
            seerr: snap
                .jellyseerr
                .ok()
                .map(|d| Listing::new(&d.requests))
                .unwrap_or_default(),
            seerr_complete: snap.jellyseerr.ok().is_some_and(|d| d.complete),
            radarr_configured: snap.radarr.is_configured(),
            radarr: snap.radarr.ok().map(|d| {
                (
                    d,
                    ArrIdx::build(&d.queue, &d.history),
                    d.movies.iter().map(|m| (m.tmdb_id, m)).collect(),
                )
            }),
            sonarr: snap.sonarr.ok().map(|d| {
                (
                    d,
                    ArrIdx::build(&d.queue, &d.history),
                    d.series.iter().map(|s| (s.tvdb_id, s)).collect(),
                )
            }),
            torrents: snap.qbittorrent.ok(),
            torrent_aliases: OnceCell::new(),
            last_torrent: Cell::new(None),
            shoko_configured: snap.shoko.is_configured(),
            shoko: snap.shoko.ok(),
            jf_configured: snap.jellyfin.is_configured(),
            jf: snap.jellyfin.ok().map(|d| JfIdx {
                data: d,
                idx: match kept {
                    Some(i) => IndexRef::Kept(i),
                    None => IndexRef::Built(Box::new(JfIndex::build(d))),
                },
            }),
            jf_new,
        }
    }

    /// The torrent a download id names: the one whose hash it is (any case),
    /// else one that carries it as its v1 or (truncated) v2 info-hash.
    fn torrent(&self, download_id: &str) -> Option<&'a Torrent> {
        if let Some((last, found)) = self.last_torrent.get() {
            if last.is(download_id) {
                return found;
            }
        }
        let found = self.find_torrent(download_id);
        if let Some(key) = ShortId::of(download_id) {
            self.last_torrent.set(Some((key, found)));
        }
        found
    }

    fn find_torrent(&self, download_id: &str) -> Option<&'a Torrent> {
        let q = self.torrents?;
        if let Some(t) = by_own_hash(q, download_id) {
            return Some(t);
        }
        self.torrent_aliases
            .get_or_init(|| torrent_aliases(q))
            .get(&NoCase::new(download_id))
            .copied()
    }
}

// ---------------------------------------------------------------------------
// Verdicts: what this cycle's evidence says about one film or one episode.
// ---------------------------------------------------------------------------

/// A failure seen this cycle.
#[derive(Debug, Clone, PartialEq)]
struct Failure {
    reason: String,
    evidence: String,
    download_id: Option<String>,
}

/// Evidence text. Most of it is never shown (only a phase change records
/// it), so the frequent kinds are kept as data and rendered on demand.
#[derive(Debug, Clone, Default)]
enum Evidence<'a> {
    #[default]
    Empty,
    Static(&'static str),
    Text(String),
    /// Pieces of text (fixed ones and names from the snapshot), joined.
    Concat([&'a str; 4]),
    /// "ARR grabbed 'TITLE'", with " (SIZE)" when the size is known.
    Grabbed {
        arr: &'static str,
        title: &'a str,
        size: Option<f64>,
    },
    /// "qBittorrent P%: 'NAME'".
    TorrentAt {
        percent: f64,
        name: &'a str,
    },
    /// "Sonarr has SxxEyy's file".
    SonarrFile {
        season: i32,
        number: i32,
    },
    /// "Jellyfin has SxxEyy (playable)".
    JellyfinEpisode {
        season: i32,
        number: i32,
    },
    /// "Jellyfin has all N aired episodes (playable)".
    JellyfinAllEpisodes(usize),
    /// "K of N aired episodes at PHASE".
    EpisodesAt {
        count: usize,
        total: usize,
        phase: Phase,
    },
}

impl Evidence<'_> {
    fn render(&self) -> String {
        match self {
            Evidence::Empty => String::new(),
            Evidence::Static(s) => (*s).to_string(),
            Evidence::Text(s) => s.clone(),
            Evidence::Concat(parts) => parts.concat(),
            Evidence::Grabbed { arr, title, size } => {
                let size = size
                    .map(|s| format!(" ({})", human_size(s)))
                    .unwrap_or_default();
                format!("{arr} grabbed '{title}'{size}")
            }
            Evidence::TorrentAt { percent, name } => format!("qBittorrent {percent:.0}%: '{name}'"),
            Evidence::SonarrFile { season, number } => {
                format!("Sonarr has S{season:02}E{number:02}'s file")
            }
            Evidence::JellyfinEpisode { season, number } => {
                format!("Jellyfin has S{season:02}E{number:02} (playable)")
            }
            Evidence::JellyfinAllEpisodes(n) => {
                format!("Jellyfin has all {n} aired episodes (playable)")
            }
            Evidence::EpisodesAt {
                count,
                total,
                phase,
            } => format!("{count} of {total} aired episodes at {phase}"),
        }
    }
}

impl From<String> for Evidence<'_> {
    fn from(s: String) -> Self {
        Evidence::Text(s)
    }
}

impl From<&'static str> for Evidence<'_> {
    fn from(s: &'static str) -> Self {
        Evidence::Static(s)
    }
}

#[derive(Debug, Clone, Default)]
struct Verdict<'a> {
    /// The most advanced non-failed phase with evidence this cycle.
    phase: Option<Phase>,
    evidence: Evidence<'a>,
    reason: Option<Text>,
    warning: bool,
    failure: Option<Failure>,
    /// Playable in Jellyfin (or the best evidence of it): evidence text.
    available: Option<Evidence<'a>>,
    progress: Option<f64>,
    eta: Option<i64>,
    speed: Option<i64>,
    /// Something disappeared upstream (phase kept): the reason.
    removed: Option<String>,
}

impl<'a> Verdict<'a> {
    fn offer(
        &mut self,
        phase: Phase,
        evidence: impl Into<Evidence<'a>>,
        reason: Option<Text>,
        warning: bool,
    ) {
        let better = self.phase.is_none_or(|p| phase.rank() > p.rank());
        if better {
            self.phase = Some(phase);
            self.evidence = evidence.into();
            self.reason = reason;
            self.warning = warning;
        } else if self.phase == Some(phase) && self.reason.is_none() && reason.is_some() {
            self.reason = reason;
            self.warning |= warning;
        }
    }

    fn fail(&mut self, reason: String, evidence: String, download_id: Option<&str>) {
        if self.failure.is_none() {
            self.failure = Some(Failure {
                reason,
                evidence,
                download_id: download_id.map(str::to_string),
            });
        }
    }
}

fn queue_messages(q: &ArrQueueItem) -> Option<String> {
    let msgs: Vec<&str> = q
        .messages
        .iter()
        .map(String::as_str)
        .filter(|m| !m.trim().is_empty())
        .collect();
    if msgs.is_empty() {
        q.error_message.clone().filter(|m| !m.trim().is_empty())
    } else {
        Some(msgs.join("; "))
    }
}

/// The *arr queue's word on one download.
fn queue_verdict<'a>(
    v: &mut Verdict<'a>,
    q: &'a ArrQueueItem,
    arr: &'static str,
    wait_reason: &'static str,
) {
    let warning = matches!(q.tracked_status.as_deref(), Some("warning") | Some("error"));
    match q.tracked_state.as_deref() {
        Some("failed") | Some("failedPending") => {
            let reason = queue_messages(q).unwrap_or_else(|| "the download failed".into());
            v.fail(
                reason.clone(),
                format!("{arr}: {reason}"),
                q.download_id.as_deref(),
            );
        }
        Some("importBlocked") | Some("importPending") => {
            let reason: Text = queue_messages(q).map_or(Cow::Borrowed(wait_reason), Cow::Owned);
            v.offer(
                Phase::DownloadDone,
                format!("{arr}: {reason}"),
                Some(reason),
                warning,
            );
        }
        Some("importing") | Some("imported") => {
            v.offer(
                Phase::Importing,
                Evidence::Concat([arr, " is importing '", &q.title, "'"]),
                None,
                false,
            );
        }
        _ if q.download_id.is_none()
            && matches!(
                q.status.as_str(),
                "delay" | "downloadClientUnavailable" | "fallback"
            ) =>
        {
            v.offer(
                Phase::Approved,
                format!("{arr} holds '{}' ({})", q.title, q.status),
                Some(reasons::HELD.into()),
                false,
            );
        }
        _ if q.status == "completed" => {
            let reason: Text = if warning {
                queue_messages(q).map_or(Cow::Borrowed(wait_reason), Cow::Owned)
            } else {
                Cow::Borrowed(wait_reason)
            };
            v.offer(
                Phase::DownloadDone,
                Evidence::Concat([arr, ": download of '", &q.title, "' complete"]),
                Some(reason),
                warning,
            );
        }
        _ => {
            let reason = if warning {
                queue_messages(q).map(Cow::Owned)
            } else {
                None
            };
            v.offer(
                Phase::Downloading,
                Evidence::Grabbed {
                    arr,
                    title: &q.title,
                    size: Some(q.size),
                },
                reason,
                warning,
            );
            if q.size > 0.0 {
                let p = (1.0 - q.sizeleft / q.size).clamp(0.0, 1.0);
                if v.progress.is_none() {
                    v.progress = Some(p);
                    v.eta = q.timeleft_secs.filter(|s| *s >= 0);
                }
            }
        }
    }
}

/// qBittorrent's word on one download. Returns false when the torrent is not
/// in a complete listing (it was removed), true otherwise.
fn torrent_verdict<'a>(
    v: &mut Verdict<'a>,
    ctx: &Ctx<'a>,
    dl: &str,
    wait_reason: &'static str,
) -> bool {
    if !is_torrent_hash(dl) || ctx.torrents.is_none() {
        return true;
    }
    let Some(t) = ctx.torrent(dl) else {
        return false;
    };
    match &t.state {
        TorrentState::Error => v.fail(
            reasons::TORRENT_ERROR.to_string(),
            format!("qBittorrent: error on '{}'", t.name),
            Some(dl),
        ),
        TorrentState::MissingFiles => v.fail(
            reasons::MISSING_FILES.to_string(),
            format!("qBittorrent: files of '{}' missing", t.name),
            Some(dl),
        ),
        state if *state == TorrentState::Completed || t.progress >= 1.0 => {
            v.offer(
                Phase::DownloadDone,
                Evidence::Concat(["qBittorrent 100%: '", &t.name, "'", ""]),
                Some(wait_reason.into()),
                false,
            );
        }
        state => {
            let (reason, warning) = match state {
                TorrentState::Stalled => (Some(reasons::STALLED), true),
                TorrentState::StoppedDownload => (Some(reasons::PAUSED), true),
                TorrentState::FetchingMetadata => (Some(reasons::METADATA), false),
                _ => (None, false),
            };
            v.offer(
                Phase::Downloading,
                Evidence::TorrentAt {
                    percent: (t.progress * 100.0).floor(),
                    name: &t.name,
                },
                reason.map(Cow::Borrowed),
                warning,
            );
            if v.phase == Some(Phase::Downloading) {
                v.reason = reason.map(Cow::Borrowed).or(v.reason.take());
                v.warning = warning || v.warning;
            }
            v.progress = Some(t.progress.clamp(0.0, 1.0));
            v.eta = t.eta_secs;
            v.speed = Some(t.dlspeed.max(0));
        }
    }
    true
}

/// Shoko's word on an imported file; returns the AniDB ids it matched.
fn shoko_verdict<'a>(v: &mut Verdict<'a>, ctx: &Ctx<'a>, path: Option<&str>) -> &'a [i64] {
    let Some(shoko) = ctx.shoko else {
        // Shoko failed this cycle: the phase stands on the *arr's evidence alone.
        v.offer(
            Phase::AnimeMatching,
            "imported; waiting for Shoko",
            None,
            false,
        );
        return &[];
    };
    // The key Shoko holds is the path itself, borrowed from the snapshot.
    let found = path.and_then(|p| shoko.files.get_key_value(p));
    let (reason, warning, ids) = match found.map(|(_, m)| m) {
        None | Some(ShokoMatch::NotSeen) => (reasons::SHOKO_NOT_SEEN, false, &[][..]),
        Some(ShokoMatch::Unrecognized) => (reasons::SHOKO_UNRECOGNIZED, true, &[][..]),
        Some(ShokoMatch::ImportLimbo) => (reasons::SHOKO_LIMBO, false, &[][..]),
        Some(ShokoMatch::Matched { anidb_ids }) => {
            (reasons::SHOKO_MATCHED, false, anidb_ids.as_slice())
        }
    };
    let evidence = match (found, path) {
        (Some((p, _)), _) => Evidence::Concat(["Shoko: '", file_name(p), "' — ", reason]),
        (None, Some(p)) => format!("Shoko: '{}' — {reason}", file_name(p)).into(),
        (None, None) => Evidence::Concat(["Shoko: ", reason, "", ""]),
    };
    v.offer(Phase::AnimeMatching, evidence, Some(reason.into()), warning);
    if v.phase == Some(Phase::AnimeMatching) {
        v.reason = Some(reason.into());
        v.warning = warning;
    }
    ids
}

// ---------------------------------------------------------------------------
// Jellyseerr's word, shared by films and series.
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, Default)]
struct SeerrWord {
    declined: bool,
    failed: bool,
    /// Media AVAILABLE in Jellyseerr (weak evidence: only used with no Jellyfin and no *arr).
    available: bool,
}

fn seerr_verdict<'a>(
    v: &mut Verdict<'a>,
    rec: &mut Draft<'_>,
    req: Option<&'a SeerrRequest>,
) -> SeerrWord {
    let mut word = SeerrWord::default();
    let Some(req) = req else {
        // Not in this cycle's listing: Jellyseerr said nothing new.
        return word;
    };
    put!(rec, [seerr_status], Some(req.status));
    put!(rec, [seerr_media_status], Some(req.media_status));
    put!(rec, [seerr_updated_at], Some(req.updated_at));
    if let Some(id) = &req.jellyfin_media_id {
        if rec.jellyfin_id.is_none() {
            rec.to_mut().jellyfin_id = Some(id.clone());
        }
    }
    if let Some(t) = &req.title {
        if *t != rec.title {
            rec.to_mut().title.clone_from(t);
        }
    }
    if req.year.is_some() {
        put!(rec, [year], req.year);
    }
    if req.poster_path.is_some() && rec.poster_path != req.poster_path {
        rec.to_mut().poster_path.clone_from(&req.poster_path);
    }
    if req.is_anime {
        put!(rec, [is_anime], true);
    }
    let by = &req.requested_by;
    match req.status {
        SeerrRequestStatus::Pending => v.offer(
            Phase::Requested,
            Evidence::Concat([
                "Jellyseerr: requested by ",
                by,
                ", waiting for approval",
                "",
            ]),
            None,
            false,
        ),
        SeerrRequestStatus::Approved | SeerrRequestStatus::Completed => {
            v.offer(Phase::Approved, "Jellyseerr: request approved", None, false)
        }
        SeerrRequestStatus::Declined => word.declined = true,
        SeerrRequestStatus::Failed => word.failed = true,
        SeerrRequestStatus::Unknown(_) => {}
    }
    word.available = matches!(req.media_status, SeerrMediaStatus::Available)
        && matches!(
            req.status,
            SeerrRequestStatus::Approved | SeerrRequestStatus::Completed
        );
    word
}

/// `*slot = Some(text.to_string())`, reusing the slot's allocation.
fn set_text(slot: &mut Option<String>, text: &str) {
    match slot {
        Some(s) if s == text => {}
        Some(s) => {
            s.clear();
            s.push_str(text);
        }
        None => *slot = Some(text.to_string()),
    }
}

/// `set_text(&mut rec.jellyfin_id, id)` on a draft.
fn set_jellyfin_id(rec: &mut Draft<'_>, id: &str) {
    if rec.jellyfin_id.as_deref() != Some(id) {
        set_text(&mut rec.to_mut().jellyfin_id, id);
    }
}

/// Adds the AniDB ids `found` that the record does not know yet.
fn remember_anidb(rec: &mut Draft<'_>, found: &[i64]) {
    if found.iter().all(|id| rec.anidb_ids.contains(id)) {
        return;
    }
    let known = &mut rec.to_mut().anidb_ids;
    for id in found {
        if !known.contains(id) {
            known.push(*id);
        }
    }
}

/// Records a film's download id as its newest.
fn push_download(rec: &mut Draft<'_>, dl: &str) {
    let ids = &rec.download_ids;
    let pos = ids.iter().position(|d| same_id(d, dl));
    // Already known: it stays where it is unless it is a re-grab of an older one.
    if pos.is_some_and(|p| p + 1 == ids.len()) {
        return;
    }
    let ids = &mut rec.to_mut().download_ids;
    if let Some(p) = pos {
        ids.remove(p);
    }
    ids.push(dl.to_ascii_uppercase());
}

fn is_failed_download(failed: Option<&str>, dl: &str) -> bool {
    failed.is_some_and(|f| same_id(f, dl))
}

// ---------------------------------------------------------------------------
// Films
// ---------------------------------------------------------------------------

/// Has Radarr deleted a finished film's file since it became AVAILABLE, and
/// the record not said so yet?
fn file_deletion_unrecorded(r: &RequestRecord, ctx: &Ctx<'_>) -> bool {
    file_deleted_since_available(r, ctx) && r.reason.as_deref() != Some(reasons::FILE_DELETED)
}

/// Has Radarr deleted a finished film's file since it became AVAILABLE? (A
/// finished record is frozen: this only adds a line to its timeline.)
fn file_deleted_since_available(r: &RequestRecord, ctx: &Ctx<'_>) -> bool {
    r.phase == Phase::Available
        && r.arr_id.is_some_and(|id| {
            ctx.radarr.as_ref().is_some_and(|(_, idx, _)| {
                idx.history_by_media.get(&id).is_some_and(|h| {
                    h.iter()
                        .any(|e| e.kind == HistoryKind::FileDeleted && e.date > r.phase_since)
                })
            })
        })
}

/// A finished film whose Jellyfin item Jellyfin no longer has.
enum ItemGone<'a> {
    /// Another playable item of the same film took its place (a replaced or
    /// upgraded file is a new item, with a new id): the record follows it.
    Replaced(&'a JellyfinItem),
    /// No playable item of the film is left, and the record does not say so
    /// yet. It stays AVAILABLE (it was true) with a line on its timeline.
    Removed,
}

/// What Jellyfin's data says of a finished film's item, when it is gone.
/// (Jellyfin's data holds every movie of the library: its absence there,
/// in an answer that came, is evidence.)
fn finished_film_item<'a>(r: &RequestRecord, ctx: &Ctx<'a>) -> Option<ItemGone<'a>> {
    if r.phase != Phase::Available || r.media_type != MediaType::Movie || r.deleted {
        return None;
    }
    let jf = ctx.jf.as_ref()?;
    let id = r.jellyfin_id.as_deref()?;
    if jf.by_id(id).is_some_and(|i| i.playable) {
        return None;
    }
    let other = r
        .tmdb_id
        .and_then(|t| jf.movie_by_tmdb(t))
        .filter(|i| i.playable)
        .or_else(|| {
            r.anidb_ids
                .iter()
                .find_map(|a| jf.by_anidb(*a).find(|i| i.playable))
        });
    match other {
        Some(i) => Some(ItemGone::Replaced(i)),
        None => {
            let said = matches!(
                r.reason.as_deref(),
                Some(reasons::REMOVED_JELLYFIN) | Some(reasons::FILE_DELETED)
            );
            (!said).then_some(ItemGone::Removed)
        }
    }
}

/// Must a finished film be evaluated for its Jellyfin item? Only looked at
/// when Jellyfin's data is new (the rule's outcome cannot change otherwise).
fn film_item_news(r: &RequestRecord, ctx: &Ctx<'_>) -> bool {
    ctx.jf_new && finished_film_item(r, ctx).is_some()
}

struct FilmFacts {
    word: SeerrWord,
    file_deleted: bool,
}

fn film_verdict<'a>(
    rec: &mut Draft<'_>,
    ctx: &Ctx<'a>,
    req: Option<&'a SeerrRequest>,
    owner: bool,
) -> (Verdict<'a>, FilmFacts) {
    let mut v = Verdict::default();
    let word = seerr_verdict(&mut v, rec, req);
    let mut facts = FilmFacts {
        word,
        file_deleted: false,
    };
    if !owner {
        facts.file_deleted = file_deleted_since_available(rec, ctx);
        return (v, facts);
    }
    let mut has_file = false;
    let mut imported = false;
    let failed = rec.failed_download_id.clone();
    if let Some((_, idx, movies)) = &ctx.radarr {
        if let Some(m) = rec.tmdb_id.and_then(|t| movies.get(&t)) {
            put!(rec, [arr_id], Some(m.id));
            if m.is_anime {
                put!(rec, [is_anime], true);
            }
            for h in idx.history_by_media.get(&m.id).into_iter().flatten() {
                if h.date < rec.requested_at {
                    continue; // belongs to an older request
                }
                match h.kind {
                    HistoryKind::Grabbed => {
                        if let Some(dl) = &h.download_id {
                            if is_failed_download(failed.as_deref(), dl) {
                                continue;
                            }
                            push_download(rec, dl);
                        }
                        v.offer(
                            Phase::Downloading,
                            Evidence::Grabbed {
                                arr: "Radarr",
                                title: &h.source_title,
                                size: h.size,
                            },
                            None,
                            false,
                        );
                    }
                    HistoryKind::Imported => {
                        imported = true;
                        if let Some(p) = &h.imported_path {
                            if rec.imported_path.as_ref() != Some(p) {
                                rec.to_mut().imported_path = Some(p.clone());
                            }
                        }
                        let name = h
                            .imported_path
                            .as_deref()
                            .map(file_name)
                            .unwrap_or(&h.source_title);
                        v.offer(
                            Phase::Importing,
                            Evidence::Concat(["Radarr imported '", name, "'", ""]),
                            Some(reasons::WAIT_JELLYFIN.into()),
                            false,
                        );
                    }
                    HistoryKind::DownloadFailed => {
                        let current = rec.download_ids.last();
                        let ours = match (&h.download_id, current) {
                            (Some(dl), Some(cur)) => same_id(dl, cur),
                            (None, _) => true,
                            (Some(_), None) => true,
                        };
                        if ours {
                            let msg = h
                                .message
                                .clone()
                                .unwrap_or_else(|| "the download failed".into());
                            v.fail(
                                msg.clone(),
                                format!("Radarr: {msg}"),
                                h.download_id.as_deref(),
                            );
                        }
                    }
                    HistoryKind::Ignored => {
                        if h.download_id
                            .as_deref()
                            .zip(rec.download_ids.last())
                            .is_some_and(|(a, b)| same_id(a, b))
                        {
                            v.removed = Some("removed from the Radarr queue".into());
                        }
                    }
                    HistoryKind::FileDeleted => facts.file_deleted = true,
                    HistoryKind::Other => {}
                }
            }
            for q in idx.queue_by_media.get(&m.id).into_iter().flatten() {
                if let Some(dl) = &q.download_id {
                    if is_failed_download(failed.as_deref(), dl) {
                        continue;
                    }
                    push_download(rec, dl);
                }
                queue_verdict(&mut v, q, "Radarr", reasons::WAIT_RADARR_IMPORT);
            }
            if m.has_file {
                has_file = true;
                if rec.imported_path.is_none() && m.file_path.is_some() {
                    rec.to_mut().imported_path.clone_from(&m.file_path);
                }
                v.offer(
                    Phase::Importing,
                    "Radarr has the film's file",
                    Some(reasons::WAIT_JELLYFIN.into()),
                    false,
                );
            }
            if v.phase == Some(Phase::Approved) && v.reason.is_none() {
                if !m.monitored {
                    v.reason = Some(reasons::NOT_MONITORED_RADARR.into());
                } else if !m.is_available {
                    v.reason = Some(reasons::NOT_RELEASED.into());
                }
            }
        } else if v.phase == Some(Phase::Approved) && v.reason.is_none() {
            v.reason = Some(reasons::NOT_IN_RADARR.into());
        }
    }
    if let Some(dl) = rec.download_ids.last() {
        if !is_failed_download(failed.as_deref(), dl) {
            let present = torrent_verdict(&mut v, ctx, dl, reasons::WAIT_RADARR_IMPORT);
            if !present
                && rec.phase == Phase::Downloading
                && v.phase.is_none_or(|p| p <= Phase::Downloading)
            {
                v.removed = Some(reasons::REMOVED_QBIT.into());
            }
        }
    }
    // Imported: Radarr has the file or says it imported it. A queue item
    // still being imported is IMPORTING, not yet Shoko's (ANIME_MATCHING
    // means imported and not playable yet).
    let imported_any =
        has_file || imported || rec.phase >= Phase::AnimeMatching && rec.phase != Phase::Failed;
    let mut found: &[i64] = &[];
    if rec.is_anime && ctx.shoko_configured && imported_any {
        found = shoko_verdict(&mut v, ctx, rec.imported_path.as_deref());
        remember_anidb(rec, found);
    }
    let known;
    let anidb = if found.is_empty() {
        known = rec.anidb_ids.clone();
        &known
    } else {
        found
    };
    // A new download for this request while Radarr has no file: a Jellyfin
    // item is then a leftover of an older copy, not this request's film.
    let new_download_running = !has_file
        && !imported
        && matches!(
            v.phase,
            Some(Phase::Downloading) | Some(Phase::DownloadDone)
        );
    if let Some(jf) = &ctx.jf {
        let item = rec
            .jellyfin_id
            .as_deref()
            .and_then(|id| jf.by_id(id))
            .filter(|i| i.playable && i.kind == JellyfinKind::Movie)
            .or_else(|| {
                rec.tmdb_id
                    .and_then(|t| jf.movie_by_tmdb(t))
                    .filter(|i| i.playable)
            })
            .or_else(|| {
                anidb
                    .iter()
                    .find_map(|a| jf.by_anidb(*a).find(|i| i.playable))
            });
        // An item Jellyfin had before this request was made belongs to an
        // older copy (a re-request after a deletion Jellyfin may not have
        // caught up with): it counts only once Radarr has this request's file.
        let older_copy = |i: &JellyfinItem| {
            i.date_created.is_some_and(|d| d < rec.requested_at)
                && ctx.radarr_configured
                && !has_file
                && !imported
        };
        if let Some(i) = item.filter(|i| !new_download_running && !older_copy(i)) {
            set_jellyfin_id(rec, &i.id);
            v.available = Some(Evidence::Concat([
                "Jellyfin has '",
                &i.name,
                "' (playable)",
                "",
            ]));
        }
    } else if !ctx.jf_configured {
        if rec.is_anime && ctx.shoko_configured {
            if !anidb.is_empty() {
                v.available = Some("Shoko matched the file (no Jellyfin configured)".into());
            }
        } else if has_file {
            v.available = Some("Radarr has the film's file (no Jellyfin configured)".into());
        } else if !ctx.radarr_configured && facts.word.available {
            v.available =
                Some("Jellyseerr says it is available (no Radarr or Jellyfin configured)".into());
        }
    }
    (v, facts)
}

// ---------------------------------------------------------------------------
// Deciding and advancing (forward only; FAILED left only on new evidence).
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
struct Decision<'a> {
    phase: Option<Phase>,
    reason: Option<Text>,
    warning: bool,
    evidence: Evidence<'a>,
    failure_download: Option<String>,
}

fn decide(v: Verdict<'_>, word: SeerrWord) -> Decision<'_> {
    if let Some(ev) = v.available {
        return Decision {
            phase: Some(Phase::Available),
            reason: None,
            warning: false,
            evidence: ev,
            failure_download: None,
        };
    }
    if let Some(f) = v.failure {
        return Decision {
            phase: Some(Phase::Failed),
            reason: Some(f.reason.into()),
            warning: true,
            evidence: f.evidence.into(),
            // Remember which download failed; "-" when the *arr named none.
            failure_download: Some(f.download_id.unwrap_or_else(|| "-".into())),
        };
    }
    let seerr_fail = if word.declined {
        Some(reasons::DECLINED)
    } else if word.failed && v.phase.is_none_or(|p| p <= Phase::Approved) {
        Some(reasons::SEERR_FAILED)
    } else {
        None
    };
    if let Some(reason) = seerr_fail {
        return Decision {
            phase: Some(Phase::Failed),
            reason: Some(reason.into()),
            warning: true,
            evidence: format!("Jellyseerr: {reason}").into(),
            failure_download: None,
        };
    }
    Decision {
        phase: v.phase,
        reason: v.reason,
        warning: v.warning,
        evidence: v.evidence,
        failure_download: None,
    }
}

/// The outcome of advancing one phase/reason pair.
#[derive(Debug, Clone, PartialEq)]
struct Advanced {
    phase: Phase,
    /// Some(the new reason) when it is not the one given (most cycles
    /// change no reason, and then nothing is copied).
    reason: Option<Option<String>>,
    /// Some(new attention flag) when phase or reason changed.
    warning: Option<bool>,
    /// Some(evidence) when the phase changed.
    evidence: Option<String>,
}

impl Advanced {
    /// The reason after the advance, given the one before.
    fn reason_after<'s>(&'s self, before: Option<&'s str>) -> Option<&'s str> {
        match &self.reason {
            Some(changed) => changed.as_deref(),
            None => before,
        }
    }
}

fn advance<'x>(
    phase: Phase,
    reason: &'x Option<String>,
    failed_download: Option<&str>,
    d: &'x Decision<'_>,
    removed: Option<&'x String>,
    all_ok: bool,
) -> Advanced {
    // `Advanced` with the reason borrowed: it is copied at the end, and
    // only when it changed.
    struct Out<'x> {
        phase: Phase,
        reason: Option<&'x str>,
        warning: Option<bool>,
        evidence: Option<String>,
    }
    let mut out = Out {
        phase,
        reason: reason.as_deref(),
        warning: None,
        evidence: None,
    };
    let set = |out: &mut Out<'x>, p: Phase| {
        if p != phase {
            out.evidence = Some(d.evidence.render());
        }
        out.phase = p;
        out.reason = d.reason.as_deref();
        out.warning = Some(d.warning);
    };
    match d.phase {
        None => {}
        Some(_) if phase == Phase::Available => {} // finished records are frozen
        Some(Phase::Available) => set(&mut out, Phase::Available),
        Some(Phase::Failed)
            if phase != Phase::Failed || reason.as_deref() != d.reason.as_deref() =>
        {
            set(&mut out, Phase::Failed);
        }
        Some(Phase::Failed) => {}
        Some(p) if phase == Phase::Failed => {
            // A failed download is left only for new positive evidence (a new
            // grab, an import); a Jellyseerr failure when Jellyseerr changes its mind.
            let recover = match failed_download {
                Some(_) => p >= Phase::Downloading,
                None => true,
            };
            if recover {
                set(&mut out, p);
            }
        }
        Some(p) if p > phase => set(&mut out, p),
        // Same phase: refresh the reason, but a service that failed this
        // cycle cannot clear one.
        Some(p)
            if p == phase
                && (d.reason.is_some() || all_ok)
                && out.reason != d.reason.as_deref() =>
        {
            out.warning = Some(d.warning);
            out.reason = d.reason.as_deref();
        }
        Some(_) => {} // never backwards
    }
    if let Some(r) = removed {
        if out.phase == phase && !matches!(phase, Phase::Available | Phase::Failed) {
            if out.reason != Some(r.as_str()) {
                out.warning = Some(true);
            }
            out.reason = Some(r);
        }
    }
    Advanced {
        phase: out.phase,
        reason: (out.reason != reason.as_deref()).then(|| out.reason.map(str::to_string)),
        warning: out.warning,
        evidence: out.evidence,
    }
}

/// Writes an advance into a record, with its events and attention.
fn settle(
    rec: &mut Draft<'_>,
    adv: Advanced,
    failure_download: Option<String>,
    is_new: bool,
    now: DateTime<Utc>,
    changes: &mut Vec<Change>,
) {
    let phase_changed = adv.phase != rec.phase || is_new;
    let reason_changed = adv.reason.is_some();
    if phase_changed {
        changes.push(Change::PhaseChanged {
            request_id: rec.id,
            at: now,
            from: if is_new { None } else { Some(rec.phase) },
            to: adv.phase,
            evidence: adv.evidence.clone().unwrap_or_else(|| {
                adv.reason_after(rec.reason.as_deref())
                    .unwrap_or("first seen in Jellyseerr")
                    .to_string()
            }),
        });
        if adv.phase != rec.phase || is_new {
            put!(rec, [phase_since], now);
        }
    } else if reason_changed {
        changes.push(Change::ReasonChanged {
            request_id: rec.id,
            at: now,
            phase: adv.phase,
            reason: adv.reason.clone().flatten(),
        });
    }
    if adv.phase == Phase::Failed && (phase_changed || reason_changed) {
        // On recovery the failed id is kept, so its late evidence stays ignored.
        put!(rec, [failed_download_id], failure_download);
    }
    if phase_changed || reason_changed {
        put!(rec, [updated_at], now);
        put!(rec, [acknowledged], false);
        put!(rec, [attention], adv.warning.unwrap_or(rec.attention));
    }
    put!(rec, [phase], adv.phase);
    if let Some(reason) = adv.reason {
        rec.to_mut().reason = reason;
    }
    if rec.phase == Phase::Failed {
        put!(rec, [attention], true);
    } else if rec.phase == Phase::Available && phase_changed {
        put!(rec, [attention], false);
    }
    if let Some(limit) = stuck_after(rec.phase) {
        if now - rec.phase_since > limit && !rec.attention {
            let rec = rec.to_mut();
            rec.attention = true;
            rec.acknowledged = false;
        }
    }
}

// ---------------------------------------------------------------------------
// Series: the sum of their episodes.
// ---------------------------------------------------------------------------

fn is_wanted(e: &EpisodeRecord, now: DateTime<Utc>) -> bool {
    e.monitored && e.air_date.is_some_and(|d| d <= now)
}

fn is_aired(e: &EpisodeRecord, now: DateTime<Utc>) -> bool {
    e.air_date.is_some_and(|d| d <= now)
}

/// The Jellyfin series item of a series request.
fn jf_series<'a>(rec: &RequestRecord, jf: &JfIdx<'a>, anidb: &[i64]) -> Option<&'a JellyfinItem> {
    rec.jellyfin_id
        .as_deref()
        .and_then(|id| jf.by_id(id))
        .filter(|i| i.kind == JellyfinKind::Series)
        .or_else(|| rec.tvdb_id.and_then(|t| jf.series_by_tvdb(t)))
        .or_else(|| rec.tmdb_id.and_then(|t| jf.series_by_tmdb(t)))
        .or_else(|| {
            anidb
                .iter()
                .find_map(|a| jf.by_anidb(*a).find(|i| i.kind == JellyfinKind::Series))
        })
}

#[allow(clippy::too_many_arguments)]
fn episode_verdict<'a>(
    rec: &mut Draft<'_>,
    i: usize,
    ctx: &Ctx<'a>,
    idx: &ArrIdx<'a>,
    sonarr_ep: Option<&SonarrEpisode>,
    anidb_out: &mut Vec<i64>,
) -> Verdict<'a> {
    let mut v = Verdict::default();
    let requested_at = rec.requested_at;
    let anime = rec.is_anime;
    let e = &rec.episodes[i];
    let episode_id = e.arr_episode_id;
    let failed = if e.phase == Phase::Failed {
        e.download_id.clone()
    } else {
        None
    };
    // `rec.episodes[i].download_id = Some(dl.to_ascii_uppercase())`.
    let set_download = |rec: &mut Draft<'_>, dl: &str| {
        if !rec.episodes[i]
            .download_id
            .as_deref()
            .is_some_and(|held| is_upper_of(held, dl))
        {
            rec.to_mut().episodes[i].download_id = Some(dl.to_ascii_uppercase());
        }
    };
    let mut imported_event = false;
    for h in idx
        .history_by_episode
        .get(&episode_id)
        .into_iter()
        .flatten()
    {
        if h.date < requested_at {
            continue;
        }
        match h.kind {
            HistoryKind::Grabbed => {
                if let Some(dl) = &h.download_id {
                    if is_failed_download(failed.as_deref(), dl) {
                        continue;
                    }
                    set_download(rec, dl);
                }
                v.offer(
                    Phase::Downloading,
                    Evidence::Grabbed {
                        arr: "Sonarr",
                        title: &h.source_title,
                        size: h.size,
                    },
                    None,
                    false,
                );
            }
            HistoryKind::Imported => {
                imported_event = true;
                if let Some(p) = &h.imported_path {
                    if rec.episodes[i].imported_path.as_ref() != Some(p) {
                        rec.to_mut().episodes[i].imported_path = Some(p.clone());
                    }
                }
                let name = h
                    .imported_path
                    .as_deref()
                    .map(file_name)
                    .unwrap_or(&h.source_title);
                v.offer(
                    Phase::Importing,
                    Evidence::Concat(["Sonarr imported '", name, "'", ""]),
                    Some(reasons::WAIT_JELLYFIN.into()),
                    false,
                );
            }
            HistoryKind::DownloadFailed => {
                let ours = match (&h.download_id, &rec.episodes[i].download_id) {
                    (Some(dl), Some(cur)) => same_id(dl, cur),
                    _ => true,
                };
                if ours {
                    let msg = h
                        .message
                        .clone()
                        .unwrap_or_else(|| "the download failed".into());
                    v.fail(
                        msg.clone(),
                        format!("Sonarr: {msg}"),
                        h.download_id.as_deref(),
                    );
                }
            }
            HistoryKind::Ignored | HistoryKind::FileDeleted | HistoryKind::Other => {}
        }
    }
    for q in idx.queue_by_episode.get(&episode_id).into_iter().flatten() {
        if let Some(dl) = &q.download_id {
            if is_failed_download(failed.as_deref(), dl) {
                continue;
            }
            set_download(rec, dl);
        }
        queue_verdict(&mut v, q, "Sonarr", reasons::WAIT_SONARR_IMPORT);
    }
    let mut has_file = false;
    let e = &rec.episodes[i];
    let (season, number) = (e.season, e.number);
    if let Some(se) = sonarr_ep {
        if se.has_file {
            has_file = true;
            if e.imported_path.is_none() && se.file_path.is_some() {
                rec.to_mut().episodes[i]
                    .imported_path
                    .clone_from(&se.file_path);
            }
            v.offer(
                Phase::Importing,
                Evidence::SonarrFile { season, number },
                Some(reasons::WAIT_JELLYFIN.into()),
                false,
            );
        }
    }
    let e = &rec.episodes[i];
    if let Some(dl) = e.download_id.as_deref() {
        if !is_failed_download(failed.as_deref(), dl) {
            let present = torrent_verdict(&mut v, ctx, dl, reasons::WAIT_SONARR_IMPORT);
            if !present
                && e.phase == Phase::Downloading
                && v.phase.is_none_or(|p| p <= Phase::Downloading)
            {
                v.removed = Some(reasons::REMOVED_QBIT.into());
            }
        }
    }
    // Imported, as for films: a file, or Sonarr's word that it imported one.
    let imported =
        has_file || imported_event || e.phase >= Phase::AnimeMatching && e.phase != Phase::Failed;
    if anime && ctx.shoko_configured && imported {
        let ids = shoko_verdict(&mut v, ctx, e.imported_path.as_deref());
        if !ids.is_empty() && !ctx.jf_configured {
            v.available = Some(
                format!("Shoko matched S{season:02}E{number:02} (no Jellyfin configured)").into(),
            );
        }
        anidb_out.extend_from_slice(ids);
    } else if has_file && !ctx.jf_configured {
        v.available = Some(
            format!("Sonarr has S{season:02}E{number:02}'s file (no Jellyfin configured)").into(),
        );
    }
    v
}

/// Marks episodes that Jellyfin can play. An item Jellyfin had before the
/// request was made (a re-request after a deletion Jellyfin has not caught
/// up with) counts only once Sonarr has the episode's file, as for films.
fn jellyfin_episodes(
    episodes: &Episodes<'_, '_>,
    season: i32,
    number: i32,
    newer_than: Option<DateTime<Utc>>,
) -> Option<&'static str> {
    episodes
        .iter()
        .any(|it| {
            it.playable
                && newer_than.is_none_or(|t| it.date_created.is_none_or(|d| d >= t))
                && it.season == Some(season)
                && it.episode.is_some_and(|first| {
                    let last = it.episode_end.unwrap_or(first).max(first);
                    (first..=last).contains(&number)
                })
        })
        .then_some("playable")
}

struct SeriesOutcome<'a> {
    decision: Decision<'a>,
    removed: Option<String>,
}

fn series_eval<'a>(
    rec: &mut Draft<'_>,
    ctx: &Ctx<'a>,
    req: Option<&'a SeerrRequest>,
    owner: bool,
    changes: &mut Vec<Change>,
) -> SeriesOutcome<'a> {
    let now = ctx.now;
    let mut seerr_v = Verdict::default();
    let word = seerr_verdict(&mut seerr_v, rec, req);
    let mut removed = None;
    if owner {
        if let Some((_, idx, series_map)) = &ctx.sonarr {
            if let Some(s) = rec.tvdb_id.and_then(|t| series_map.get(&t)) {
                put!(rec, [arr_id], Some(s.id));
                if s.is_anime {
                    put!(rec, [is_anime], true);
                }
                sync_episodes(rec, s, seerr_v.phase);
                let by_id = EpisodeFinder::new(&s.episodes);
                let mut anidb = Vec::new();
                let mut verdicts = Vec::with_capacity(rec.episodes.len());
                for i in 0..rec.episodes.len() {
                    let sonarr_ep = by_id.get(rec.episodes[i].arr_episode_id);
                    let v = episode_verdict(rec, i, ctx, idx, sonarr_ep, &mut anidb);
                    verdicts.push(v);
                }
                remember_anidb(rec, &anidb);
                let jf_eps: Option<Episodes<'_, '_>> = ctx.jf.as_ref().and_then(|jf| {
                    let series = jf_series(rec, jf, &rec.anidb_ids)?;
                    set_jellyfin_id(rec, &series.id);
                    Some(jf.episodes_of(&series.id))
                });
                let request_id = rec.id;
                for (i, mut v) in verdicts.into_iter().enumerate() {
                    let e = &rec.episodes[i];
                    if let Some(eps) = &jf_eps {
                        let sonarr_file = by_id.get(e.arr_episode_id).is_some_and(|se| se.has_file);
                        let newer_than = (!sonarr_file).then_some(rec.requested_at);
                        if jellyfin_episodes(eps, e.season, e.number, newer_than).is_some() {
                            v.available = Some(Evidence::JellyfinEpisode {
                                season: e.season,
                                number: e.number,
                            });
                        }
                    }
                    let ep_removed = v.removed.take();
                    let ep_progress = v.progress;
                    let d = decide(v, SeerrWord::default());
                    let failed_dl =
                        (e.phase == Phase::Failed).then(|| e.download_id.as_deref().unwrap_or("-"));
                    let adv = advance(
                        e.phase,
                        &e.reason,
                        failed_dl,
                        &d,
                        ep_removed.as_ref(),
                        ctx.all_ok,
                    );
                    if adv.phase == Phase::Available && e.phase != Phase::Available {
                        changes.push(Change::EpisodeAvailable {
                            request_id,
                            at: now,
                            season: e.season,
                            number: e.number,
                        });
                    }
                    if ep_removed.is_some()
                        && adv.reason_after(e.reason.as_deref()) == ep_removed.as_deref()
                    {
                        removed = ep_removed;
                    }
                    let progress = if adv.phase == Phase::Downloading {
                        ep_progress
                    } else {
                        None
                    };
                    put!(rec, [episodes[i].phase], adv.phase);
                    if let Some(reason) = adv.reason {
                        rec.to_mut().episodes[i].reason = reason;
                    }
                    put!(rec, [episodes[i].progress], progress);
                }
                series_progress(rec, ctx, idx);
            } else if seerr_v.phase == Some(Phase::Approved) && seerr_v.reason.is_none() {
                seerr_v.reason = Some(reasons::NOT_IN_SONARR.into());
            }
        }
    }
    SeriesOutcome {
        decision: series_decision(rec, seerr_v, word, now),
        removed,
    }
}

/// Sonarr's episodes of a series by id. Sonarr lists them with increasing
/// ids as a rule, and then they are searched where they lie; otherwise they
/// go in a map (where an id listed twice is found as listed last).
enum EpisodeFinder<'s> {
    Sorted(&'s [SonarrEpisode]),
    Map(FastMap<i64, &'s SonarrEpisode>),
}

impl<'s> EpisodeFinder<'s> {
    fn new(episodes: &'s [SonarrEpisode]) -> Self {
        if episodes.windows(2).all(|w| w[0].id < w[1].id) {
            EpisodeFinder::Sorted(episodes)
        } else {
            EpisodeFinder::Map(episodes.iter().map(|e| (e.id, e)).collect())
        }
    }

    fn get(&self, id: i64) -> Option<&'s SonarrEpisode> {
        match self {
            EpisodeFinder::Sorted(eps) => eps
                .binary_search_by_key(&id, |e| e.id)
                .ok()
                .and_then(|pos| eps.get(pos)),
            EpisodeFinder::Map(m) => m.get(&id).copied(),
        }
    }
}

/// Keeps one episode record per Sonarr episode of the requested seasons.
fn sync_episodes(rec: &mut Draft<'_>, s: &SonarrSeries, seerr_phase: Option<Phase>) {
    if s.episodes.is_empty() {
        return; // no evidence that episodes went away
    }
    let base = match seerr_phase.or(Some(rec.phase)) {
        Some(Phase::Requested) => Phase::Requested,
        _ => Phase::Approved,
    };
    if !sync_episodes_in_place(rec, s, base) {
        let requested = rec.seasons.clone();
        rebuild_episodes(rec.to_mut(), s, &Seasons(&requested), base);
    }
}

/// Rebuilds a series record's episode list from Sonarr's, keeping what each
/// known episode already recorded.
fn rebuild_episodes(rec: &mut RequestRecord, s: &SonarrSeries, seasons: &Seasons<'_>, base: Phase) {
    let mut old: FastMap<i64, EpisodeRecord> = rec
        .episodes
        .drain(..)
        .map(|e| (e.arr_episode_id, e))
        .collect();
    let mut eps: Vec<EpisodeRecord> = s
        .episodes
        .iter()
        .filter(|e| seasons.contains(&e.season))
        .map(|se| {
            let mut e = old.remove(&se.id).unwrap_or(EpisodeRecord {
                arr_episode_id: se.id,
                season: se.season,
                number: se.number,
                title: None,
                air_date: None,
                monitored: se.monitored,
                phase: base,
                download_id: None,
                imported_path: None,
                reason: None,
                progress: None,
            });
            e.season = se.season;
            e.number = se.number;
            e.title = se.title.clone();
            e.air_date = se.air_date_utc;
            e.monitored = se.monitored;
            if e.phase == Phase::Requested && base == Phase::Approved {
                e.phase = Phase::Approved;
            }
            e
        })
        .collect();
    eps.sort_by_key(|e| (e.season, e.number));
    rec.episodes = eps;
}

/// The seasons a series request follows.
struct Seasons<'a>(&'a [i32]);

impl Seasons<'_> {
    fn contains(&self, season: &i32) -> bool {
        if self.0.is_empty() {
            *season > 0
        } else {
            self.0.contains(season)
        }
    }
}

/// Copies Sonarr's episode facts onto a series record's episodes, and
/// returns true, when they are already the record's episodes in the same
/// order (every cycle but those where Sonarr's list changes); returns false,
/// changing nothing, otherwise.
fn sync_episodes_in_place(rec: &mut Draft<'_>, s: &SonarrSeries, base: Phase) -> bool {
    let seasons = Seasons(&rec.seasons);
    let wanted = || s.episodes.iter().filter(|e| seasons.contains(&e.season));
    let mut next = wanted();
    let same_ids = rec
        .episodes
        .iter()
        .all(|e| next.next().is_some_and(|se| se.id == e.arr_episode_id))
        && next.next().is_none();
    if !same_ids {
        return false;
    }
    let sorted = wanted().map(|se| (se.season, se.number)).is_sorted();
    if !sorted || !distinct_ids(&rec.episodes) {
        // The full path resolves duplicates and reorders.
        return false;
    }
    let promote = |e: &EpisodeRecord| e.phase == Phase::Requested && base == Phase::Approved;
    let stale = rec.episodes.iter().zip(wanted()).any(|(e, se)| {
        e.season != se.season
            || e.number != se.number
            || e.title != se.title
            || e.air_date != se.air_date_utc
            || e.monitored != se.monitored
            || promote(e)
    });
    if !stale {
        return true;
    }
    let requested = rec.seasons.clone();
    let seasons = Seasons(&requested);
    let wanted = s.episodes.iter().filter(|e| seasons.contains(&e.season));
    for (e, se) in rec.to_mut().episodes.iter_mut().zip(wanted) {
        e.season = se.season;
        e.number = se.number;
        e.title.clone_from(&se.title);
        e.air_date = se.air_date_utc;
        e.monitored = se.monitored;
        if e.phase == Phase::Requested && base == Phase::Approved {
            e.phase = Phase::Approved;
        }
    }
    true
}

/// No two episode records share a Sonarr episode id.
fn distinct_ids(episodes: &[EpisodeRecord]) -> bool {
    if episodes.len() <= 64 {
        episodes.iter().enumerate().all(|(i, e)| {
            episodes[i + 1..]
                .iter()
                .all(|o| o.arr_episode_id != e.arr_episode_id)
        })
    } else {
        let mut seen = FastSet::default();
        episodes.iter().all(|e| seen.insert(e.arr_episode_id))
    }
}

/// Series progress: bytes of the downloads of wanted episodes, each download counted once.
fn series_progress(rec: &mut Draft<'_>, ctx: &Ctx<'_>, idx: &ArrIdx<'_>) {
    let now = ctx.now;
    // Every download of the wanted episodes that is not past the download
    // step, each counted once (a season pack is one download); a finished
    // one counts as complete so the whole stays a fraction of all bytes.
    let in_flight = |p: Phase| matches!(p, Phase::Downloading | Phase::DownloadDone);
    let downloading = rec
        .episodes
        .iter()
        .any(|e| is_wanted(e, now) && e.phase == Phase::Downloading);
    let mut seen = FastSet::default();
    let (mut total, mut done) = (0.0_f64, 0.0_f64);
    let mut eta: Option<i64> = None;
    let mut speed: i64 = 0;
    for e in rec
        .episodes
        .iter()
        .filter(|e| downloading && is_wanted(e, now) && in_flight(e.phase))
    {
        let Some(dl) = &e.download_id else { continue };
        if !seen.insert(NoCase::new(dl)) {
            continue;
        }
        let finished = e.phase == Phase::DownloadDone;
        let (size, progress) = match ctx.torrent(dl) {
            Some(t) => {
                if !finished {
                    speed += t.dlspeed.max(0);
                    if let Some(s) = t.eta_secs {
                        eta = Some(eta.map_or(s, |e: i64| e.max(s)));
                    }
                }
                let p = if finished {
                    1.0
                } else {
                    t.progress.clamp(0.0, 1.0)
                };
                (t.size.max(0) as f64, p)
            }
            None => (
                idx.download_size(dl).unwrap_or(0.0),
                if finished {
                    1.0
                } else {
                    e.progress.unwrap_or(0.0)
                },
            ),
        };
        let size = if size > 0.0 { size } else { 1.0 };
        total += size;
        done += size * progress;
    }
    if downloading && total > 0.0 {
        put!(rec, [progress], Some((done / total).clamp(0.0, 1.0)));
        put!(rec, [eta_secs], eta);
        put!(
            rec,
            [download_speed],
            ctx.torrents.is_some().then_some(speed)
        );
    } else {
        put!(rec, [progress], None);
        put!(rec, [eta_secs], None);
        put!(rec, [download_speed], None);
    }
}

fn ep_label(e: &EpisodeRecord) -> String {
    format!("S{:02}E{:02}", e.season, e.number)
}

fn series_decision<'a>(
    rec: &RequestRecord,
    seerr_v: Verdict<'a>,
    word: SeerrWord,
    now: DateTime<Utc>,
) -> Decision<'a> {
    let wanted: Vec<&EpisodeRecord> = rec.episodes.iter().filter(|e| is_wanted(e, now)).collect();
    let d = |phase: Phase, reason: Option<Text>, warning: bool, evidence: Evidence<'a>| Decision {
        phase: Some(phase),
        reason,
        warning,
        evidence,
        failure_download: None,
    };
    if !wanted.is_empty() && wanted.iter().all(|e| e.phase == Phase::Available) {
        return d(
            Phase::Available,
            None,
            false,
            Evidence::JellyfinAllEpisodes(wanted.len()),
        );
    }
    if let Some(f) = wanted.iter().find(|e| e.phase == Phase::Failed) {
        let reason = format!(
            "{}: {}",
            ep_label(f),
            f.reason.as_deref().unwrap_or("the download failed")
        );
        return Decision {
            phase: Some(Phase::Failed),
            reason: Some(reason.clone().into()),
            warning: true,
            evidence: reason.into(),
            failure_download: Some(f.download_id.clone().unwrap_or_else(|| "-".into())),
        };
    }
    let grabbed = wanted
        .iter()
        .filter(|e| e.phase >= Phase::Downloading)
        .count();
    if word.declined || word.failed && grabbed == 0 {
        return decide(seerr_v, word);
    }
    if wanted.is_empty() {
        if rec.episodes.is_empty() || seerr_v.phase == Some(Phase::Requested) {
            return decide(seerr_v, word);
        }
        let next = rec
            .episodes
            .iter()
            .filter_map(|e| e.air_date)
            .filter(|d| *d > now)
            .min();
        let reason = match next {
            Some(t) => format!(
                "{} (next on {})",
                reasons::NOTHING_AIRED,
                t.format("%Y-%m-%d")
            ),
            None => reasons::NOTHING_AIRED.to_string(),
        };
        return d(
            Phase::Approved,
            Some(reason.into()),
            false,
            "Sonarr: nothing aired yet".into(),
        );
    }
    if grabbed == 0 {
        return decide(seerr_v, word);
    }
    if grabbed < wanted.len() {
        let reason = format!("grabbed {grabbed}/{} episodes", wanted.len());
        return d(
            Phase::Grabbing,
            Some(reason.clone().into()),
            false,
            format!("Sonarr {reason}").into(),
        );
    }
    let least = wanted.iter().min_by_key(|e| e.phase).copied();
    match least {
        Some(e) => {
            let reason = e.reason.clone().map(|r| {
                if wanted.len() > 1 {
                    format!("{}: {r}", ep_label(e))
                } else {
                    r
                }
            });
            let warning = reason.as_deref().is_some_and(|r| {
                [
                    reasons::STALLED,
                    reasons::PAUSED,
                    reasons::REMOVED_QBIT,
                    reasons::SHOKO_UNRECOGNIZED,
                ]
                .iter()
                .any(|w| r.contains(w))
                    || e.phase == Phase::DownloadDone && !r.contains(reasons::WAIT_SONARR_IMPORT)
            });
            d(
                e.phase,
                reason.map(Cow::Owned),
                warning,
                Evidence::EpisodesAt {
                    count: wanted.iter().filter(|x| x.phase == e.phase).count(),
                    total: wanted.len(),
                    phase: e.phase,
                },
            )
        }
        None => decide(seerr_v, word),
    }
}

// ---------------------------------------------------------------------------
// The engine
// ---------------------------------------------------------------------------

fn media_key(r: &RequestRecord) -> Option<(MediaType, i64)> {
    match r.media_type {
        MediaType::Movie => r.tmdb_id.map(|t| (MediaType::Movie, t)),
        MediaType::Tv => r.tvdb_id.or(r.tmdb_id).map(|t| (MediaType::Tv, t)),
    }
}

fn new_record(id: i64, req: &SeerrRequest, now: DateTime<Utc>) -> RequestRecord {
    let title = req
        .title
        .clone()
        .unwrap_or_else(|| match (req.media_type, req.tmdb_id) {
            (MediaType::Movie, Some(t)) => format!("TMDB movie {t}"),
            (MediaType::Tv, Some(t)) => format!("TMDB series {t}"),
            _ => format!("Jellyseerr request {}", req.id),
        });
    RequestRecord {
        id,
        jellyseerr_request_id: req.id,
        media_type: req.media_type,
        title,
        year: req.year,
        poster_path: req.poster_path.clone(),
        tmdb_id: req.tmdb_id,
        tvdb_id: req.tvdb_id,
        is_anime: req.is_anime,
        is_4k: req.is_4k,
        requested_by: req.requested_by.clone(),
        requested_at: req.created_at,
        seasons: req.seasons.clone(),
        phase: Phase::Requested,
        reason: None,
        attention: false,
        acknowledged: false,
        progress: None,
        eta_secs: None,
        download_speed: None,
        updated_at: now,
        phase_since: now,
        deleted: false,
        arr_id: None,
        download_ids: Vec::new(),
        failed_download_id: None,
        imported_path: None,
        anidb_ids: Vec::new(),
        jellyfin_id: req.jellyfin_media_id.clone(),
        seerr_status: None,
        seerr_media_status: None,
        seerr_updated_at: None,
        episodes: Vec::new(),
    }
}

/// Records for requests seen for the first time, in Jellyseerr's order,
/// with the local ids after the last one in `prev`.
fn records_for_new(
    prev: &Records,
    mut fresh: Vec<&SeerrRequest>,
    now: DateTime<Utc>,
) -> Vec<RequestRecord> {
    fresh.sort_by_key(|r| r.id);
    let first_id = prev.keys().next_back().map_or(1, |k| k + 1);
    fresh
        .into_iter()
        .zip(first_id..)
        .map(|(req, id)| new_record(id, req, now))
        .collect()
}

/// Would Jellyseerr's word leave this record as it is? (What
/// `seerr_verdict` writes, read without writing.)
fn seerr_unchanged(r: &RequestRecord, req: &SeerrRequest) -> bool {
    r.seerr_status == Some(req.status)
        && r.seerr_media_status == Some(req.media_status)
        && r.seerr_updated_at == Some(req.updated_at)
        && (req.jellyfin_media_id.is_none() || r.jellyfin_id.is_some())
        && req.title.as_ref().is_none_or(|t| *t == r.title)
        && (req.year.is_none() || req.year == r.year)
        && (req.poster_path.is_none() || req.poster_path == r.poster_path)
        && (!req.is_anime || r.is_anime)
}

/// Is a finished record that Jellyseerr lists this cycle certain to come out
/// of evaluation unchanged? Finished records are frozen (`advance`), so only
/// what the evaluation copies onto them can change: Jellyseerr's fields, and
/// for a series what Sonarr, Jellyfin and Shoko say of it and its episodes.
/// Any doubt (a Sonarr listing that differs, any queue or history entry for
/// one of its episodes, an AniDB id from Shoko it lacks) means "evaluate". The
/// proptest `fast_path_equals_full_copy_evaluation` holds this to the full
/// evaluation of every record.
fn settled(r: &RequestRecord, req: &SeerrRequest, ctx: &Ctx<'_>) -> bool {
    if r.deleted
        || r.phase != Phase::Available
        || r.progress.is_some()
        || r.eta_secs.is_some()
        || r.download_speed.is_some()
        || !seerr_unchanged(r, req)
    {
        return false;
    }
    match r.media_type {
        // A finished film owns no evidence (see `reconcile_with`) but hears
        // of its file being deleted, and of its Jellyfin item.
        MediaType::Movie => !file_deletion_unrecorded(r, ctx) && !film_item_news(r, ctx),
        MediaType::Tv => series_settled(r, ctx),
    }
}

fn series_settled(r: &RequestRecord, ctx: &Ctx<'_>) -> bool {
    if r.episodes
        .iter()
        .any(|e| e.phase != Phase::Available || e.progress.is_some())
    {
        return false;
    }
    if let Some(jf) = &ctx.jf {
        // `jf_series` looks the series up by the record's id first, then by
        // its Tvdb id: found either way with the record's id, it is the
        // record's already. (The Tvdb map is the small one: most end there.)
        let own = r.jellyfin_id.as_deref();
        let found_as_own = own
            .and_then(hex_id)
            .zip(r.tvdb_id)
            .is_some_and(|(id, tvdb)| jf.series_by_tvdb_is(tvdb, id))
            || own.and_then(|id| jf.kind_of(id)) == Some(JellyfinKind::Series);
        if !found_as_own
            && jf_series(r, jf, &r.anidb_ids).is_some_and(|s| own != Some(s.id.as_str()))
        {
            return false;
        }
    }
    let Some((_, idx, series_map)) = &ctx.sonarr else {
        return true;
    };
    let Some(s) = r.tvdb_id.and_then(|t| series_map.get(&t)) else {
        return true;
    };
    if r.arr_id != Some(s.id) || (s.is_anime && !r.is_anime) {
        return false;
    }
    let seasons = Seasons(&r.seasons);
    let mut wanted = s.episodes.iter().filter(|e| seasons.contains(&e.season));
    let mut last = (i32::MIN, i32::MIN);
    for e in &r.episodes {
        let Some(se) = wanted.next() else {
            return false;
        };
        let same = se.id == e.arr_episode_id
            && se.season == e.season
            && se.number == e.number
            && se.title == e.title
            && se.air_date_utc == e.air_date
            && se.monitored == e.monitored
            && (se.season, se.number) >= last
            && !(se.has_file && e.imported_path.is_none() && se.file_path.is_some())
            && !idx.history_by_episode.contains_key(&e.arr_episode_id)
            && !idx.queue_by_episode.contains_key(&e.arr_episode_id)
            && shoko_adds_nothing(r, e, ctx);
        if !same {
            return false;
        }
        last = (se.season, se.number);
    }
    wanted.next().is_none() && distinct_ids(&r.episodes)
}

/// Would Shoko's word on a finished episode's file leave its series as it is?
/// Shoko is asked of an anime's imported episodes (`episode_verdict`), and a
/// match only adds the AniDB ids the record lacks (`remember_anidb`): the
/// episode itself is finished.
fn shoko_adds_nothing(r: &RequestRecord, e: &EpisodeRecord, ctx: &Ctx<'_>) -> bool {
    if !(r.is_anime && ctx.shoko_configured) {
        return true;
    }
    let Some(shoko) = ctx.shoko else {
        return true; // Shoko failed: nothing said
    };
    match e.imported_path.as_deref().and_then(|p| shoko.files.get(p)) {
        Some(ShokoMatch::Matched { anidb_ids }) => {
            anidb_ids.iter().all(|a| r.anidb_ids.contains(a))
        }
        _ => true,
    }
}

/// Does a record need looking at this cycle at all?
/// `req`: its request in this cycle's Jellyseerr listing.
fn needs_eval(r: &RequestRecord, req: Option<&SeerrRequest>, ctx: &Ctx<'_>) -> bool {
    if let Some(req) = req {
        return !settled(r, req, ctx);
    }
    if r.deleted {
        return false;
    }
    if ctx.seerr_complete {
        return true; // a complete listing without it: deleted upstream
    }
    match r.phase {
        Phase::Available => match r.media_type {
            // A finished film only hears of its file being deleted and of
            // its Jellyfin item.
            MediaType::Movie => file_deletion_unrecorded(r, ctx) || film_item_news(r, ctx),
            // A finished series follows episodes that air later.
            MediaType::Tv => r
                .episodes
                .iter()
                .any(|e| e.phase != Phase::Available && (e.air_date.is_none_or(|d| d <= ctx.now))),
        },
        _ => true,
    }
}

/// [`reconcile`] that keeps its index of Jellyfin's items from one call to
/// the next while Jellyfin's data is the same allocation (the poller passes
/// the same `Arc` when Jellyfin said nothing new): a library of 10,000 items
/// is then not indexed again every cycle. Same results as [`reconcile`].
#[derive(Default)]
pub struct Reconciler {
    jellyfin: Option<(Arc<JellyfinData>, JfIndex)>,
}

impl Reconciler {
    pub fn reconcile(&mut self, prev: &Records, snap: &Snapshot, now: DateTime<Utc>) -> Reconciled {
        // Jellyfin's data is new when it is not the allocation indexed last.
        let mut jf_new = false;
        match &snap.jellyfin {
            Source::Ok(data) => {
                jf_new = !self
                    .jellyfin
                    .as_ref()
                    .is_some_and(|(kept, _)| Arc::ptr_eq(kept, data));
                if jf_new {
                    self.jellyfin = Some((data.clone(), JfIndex::build(data)));
                }
            }
            // Kept: an outage does not make the next answer new.
            Source::Failed => {}
            Source::NotConfigured => self.jellyfin = None,
        }
        let kept = self.jellyfin.as_ref().map(|(_, idx)| idx);
        reconcile_with(prev, Ctx::build_with(snap, now, kept, jf_new), now)
    }
}

/// (previous records, snapshot of all services, now) -> (changed records, events). Pure.
pub fn reconcile(prev: &Records, snap: &Snapshot, now: DateTime<Utc>) -> Reconciled {
    reconcile_with(prev, Ctx::build(snap, now), now)
}

fn reconcile_with(prev: &Records, ctx: Ctx<'_>, now: DateTime<Utc>) -> Reconciled {
    let mut out = Reconciled::default();

    // Evidence for a media belongs to its newest open request (a finished
    // series still follows its later episodes when no newer request is open).
    // One pass over the records: each one's request in this cycle's listing
    // (in the order of `prev`), whether it needs looking at, and its claim
    // on its media, written down in order: only the media of the records
    // that need looking at (few) get a map.
    let mut next = 0;
    let mut matched = 0;
    let mut claims: Vec<((MediaType, i64), Claim)> = Vec::with_capacity(prev.len());
    let mut todo: Vec<(&RequestRecord, Option<&SeerrRequest>)> = Vec::new();
    for r in prev.values() {
        claims.extend(claim(r));
        let req = ctx.seerr.get_next(&mut next, r.jellyseerr_request_id);
        matched += usize::from(req.is_some());
        if needs_eval(r, req, &ctx) {
            todo.push((r, req));
        }
    }
    // New requests become new records with the next local ids. No two
    // records share a Jellyseerr id (the store holds it UNIQUE, and records
    // are only made for unknown ids), so when every listed request has its
    // record there is nothing new, and no set of known ids to build.
    let fresh: Vec<&SeerrRequest> = if matched == ctx.seerr.len() {
        Vec::new()
    } else {
        let known: FastSet<i64> = prev.values().map(|r| r.jellyseerr_request_id).collect();
        ctx.seerr
            .values()
            .copied()
            .filter(|r| !known.contains(&r.id))
            .collect()
    };
    let new_records = records_for_new(prev, fresh, now);
    claims.extend(new_records.iter().filter_map(claim));
    // The newest claim on each media a record to evaluate has.
    let mut owners: FastMap<(MediaType, i64), Option<Claim>> =
        FastMap::with_capacity_and_hasher(todo.len() + new_records.len(), Fast::default());
    for r in todo.iter().map(|(r, _)| *r).chain(&new_records) {
        if let Some(key) = media_key(r) {
            owners.insert(key, None);
        }
    }
    for (key, cand) in &claims {
        if let Some(cur) = owners.get_mut(key) {
            if cur.is_none_or(|c| *cand > c) {
                *cur = Some(*cand);
            }
        }
    }
    let is_owner = |r: &RequestRecord| {
        media_key(r)
            .and_then(|k| *owners.get(&k)?)
            .is_some_and(|o| o.2 == r.id)
    };

    // Each record is evaluated borrowed, and copied only when something
    // changes (most do not).
    for (r, req) in todo {
        let mut rec = Draft::Borrowed(r);
        evaluate(&mut rec, &ctx, req, is_owner(r), false, &mut out.changes);
        if let Draft::Owned(rec) = rec {
            if rec != *r {
                out.changed.push(rec);
            }
        }
    }
    for rec in new_records {
        let owner = is_owner(&rec);
        let req = ctx.seerr.get(&rec.jellyseerr_request_id).copied();
        let mut rec = Draft::Owned(rec);
        evaluate(&mut rec, &ctx, req, owner, true, &mut out.changes);
        out.changed.push(rec.into_owned());
    }
    out
}

/// A record's claim on the evidence for its media: (open, requested at,
/// local id), the greatest wins.
type Claim = (bool, DateTime<Utc>, i64);

fn claim(r: &RequestRecord) -> Option<((MediaType, i64), Claim)> {
    if r.deleted || r.seerr_status == Some(SeerrRequestStatus::Declined) {
        return None;
    }
    let key = media_key(r)?;
    let open = r.phase != Phase::Available;
    if !open && r.media_type == MediaType::Movie {
        return None;
    }
    Some((key, (open, r.requested_at, r.id)))
}

/// A line on a finished record's timeline (its phase stays: it was true),
/// once: nothing when the record says it already.
fn note_on_finished(
    rec: &mut Draft<'_>,
    reason: &str,
    now: DateTime<Utc>,
    changes: &mut Vec<Change>,
) {
    if rec.reason.as_deref() == Some(reason) {
        return;
    }
    changes.push(Change::ReasonChanged {
        request_id: rec.id,
        at: now,
        phase: rec.phase,
        reason: Some(reason.into()),
    });
    let rec = rec.to_mut();
    rec.reason = Some(reason.into());
    rec.updated_at = now;
}

/// `req`: the record's request in this cycle's Jellyseerr listing.
fn evaluate<'a>(
    rec: &mut Draft<'_>,
    ctx: &Ctx<'a>,
    req: Option<&'a SeerrRequest>,
    owner: bool,
    is_new: bool,
    changes: &mut Vec<Change>,
) {
    let now = ctx.now;
    let mut episode_changes = Vec::new();
    let (decision, removed, progress) = match rec.media_type {
        MediaType::Movie => {
            let (mut v, facts) = film_verdict(rec, ctx, req, owner);
            // A finished film follows its item to a replacement, or notes it gone.
            let gone = finished_film_item(rec, ctx);
            if let Some(ItemGone::Replaced(i)) = gone {
                set_jellyfin_id(rec, &i.id);
            }
            if facts.file_deleted && rec.phase == Phase::Available {
                note_on_finished(rec, reasons::FILE_DELETED, now, changes);
                return;
            }
            if let Some(ItemGone::Removed) = gone {
                note_on_finished(rec, reasons::REMOVED_JELLYFIN, now, changes);
                return;
            }
            let progress = (v.progress, v.eta, v.speed);
            let removed = v.removed.take();
            (decide(v, facts.word), removed, Some(progress))
        }
        MediaType::Tv => {
            let o = series_eval(rec, ctx, req, owner, &mut episode_changes);
            (o.decision, o.removed, None)
        }
    };
    let failed_download = if rec.phase == Phase::Failed && rec.media_type == MediaType::Movie {
        rec.failed_download_id.as_deref().or(None)
    } else {
        None
    };
    let adv = advance(
        rec.phase,
        &rec.reason,
        failed_download,
        &decision,
        removed.as_ref(),
        ctx.all_ok,
    );
    settle(
        rec,
        adv,
        decision.failure_download.clone(),
        is_new,
        now,
        changes,
    );
    if !is_new {
        // A request seen for the first time brings no episode news: its
        // episodes were watchable before we knew it.
        changes.extend(episode_changes);
    }

    if let Some((p, eta, speed)) = progress {
        if rec.phase == Phase::Downloading {
            // A service that failed this cycle leaves the last figures.
            if p.is_some() || ctx.all_ok {
                put!(rec, [progress], p);
                put!(rec, [eta_secs], eta);
                put!(rec, [download_speed], speed);
            }
        } else {
            put!(rec, [progress], None);
            put!(rec, [eta_secs], None);
            put!(rec, [download_speed], None);
        }
    }

    // Deleted upstream: a complete listing without the request.
    if ctx.seerr_complete && req.is_none() && !rec.deleted {
        let rec = rec.to_mut();
        rec.deleted = true;
        if rec.phase != Phase::Available {
            rec.attention = true;
            rec.acknowledged = false;
        }
        rec.reason = Some(reasons::DELETED.into());
        rec.updated_at = now;
        changes.push(Change::ReasonChanged {
            request_id: rec.id,
            at: now,
            phase: rec.phase,
            reason: rec.reason.clone(),
        });
    }
}

/// What the clients must fetch beyond their always-polled feeds.
pub fn wants(records: &Records) -> Wants {
    wants_of(records.values())
}

/// [`wants`] of `records` as they stand once `changed` (a cycle's changed
/// records, not yet merged) replaces them.
pub fn wants_after(records: &Records, changed: &[RequestRecord]) -> Wants {
    let ids: FastSet<i64> = changed.iter().map(|r| r.id).collect();
    wants_of(
        changed
            .iter()
            .chain(records.values().filter(|r| !ids.contains(&r.id))),
    )
}

fn wants_of<'a>(records: impl Iterator<Item = &'a RequestRecord>) -> Wants {
    let mut w = Wants::default();
    let mut movies = FastSet::default();
    let mut series = FastSet::default();
    let mut jf_series = FastSet::default();
    for r in records.filter(|r| !r.deleted) {
        let open = is_open(r);
        let airing =
            r.media_type == MediaType::Tv && r.episodes.iter().any(|e| e.phase != Phase::Available);
        if !open && !airing {
            continue;
        }
        match r.media_type {
            MediaType::Movie => {
                if let Some(t) = r.tmdb_id {
                    movies.insert(t);
                }
                if let Some(j) = &r.jellyfin_id {
                    w.jellyfin_item_ids.push(j.clone());
                }
            }
            MediaType::Tv => {
                if let Some(t) = r.tvdb_id {
                    series.insert(t);
                }
                if let Some(j) = &r.jellyfin_id {
                    jf_series.insert(j.clone());
                }
                w.anidb_ids.extend(r.anidb_ids.iter().copied());
            }
        }
        if r.phase == Phase::Downloading || r.episodes.iter().any(|e| e.phase == Phase::Downloading)
        {
            w.downloading = true;
        }
        if r.is_anime {
            let late = |p: Phase| matches!(p, Phase::Importing | Phase::AnimeMatching);
            if late(r.phase) {
                if let Some(p) = &r.imported_path {
                    w.shoko_paths.push(p.clone());
                }
            }
            for e in r.episodes.iter().filter(|e| late(e.phase)) {
                if let Some(p) = &e.imported_path {
                    w.shoko_paths.push(p.clone());
                }
            }
        }
    }
    w.movie_tmdb_ids = movies.into_iter().collect();
    w.movie_tmdb_ids.sort_unstable();
    w.series_tvdb_ids = series.into_iter().collect();
    w.series_tvdb_ids.sort_unstable();
    w.jellyfin_series_ids = jf_series.into_iter().collect();
    w.jellyfin_series_ids.sort_unstable();
    w.jellyfin_item_ids.sort_unstable();
    w.jellyfin_item_ids.dedup();
    w.anidb_ids.sort_unstable();
    w.anidb_ids.dedup();
    w.shoko_paths.sort_unstable();
    w.shoko_paths.dedup();
    w
}

/// Episode counts of a series record (None for films).
pub fn episode_counts(rec: &RequestRecord, now: DateTime<Utc>) -> Option<EpisodeCounts> {
    if rec.media_type != MediaType::Tv {
        return None;
    }
    let mut c = EpisodeCounts {
        total: rec.episodes.len() as u32,
        ..EpisodeCounts::default()
    };
    for e in rec.episodes.iter().filter(|e| is_aired(e, now)) {
        c.aired += 1;
        let p = e.phase;
        if p == Phase::Failed {
            continue;
        }
        if p >= Phase::Downloading {
            c.grabbed += 1;
        }
        if p >= Phase::DownloadDone {
            c.downloaded += 1;
        }
        if p >= Phase::Importing {
            c.imported += 1;
        }
        if p == Phase::Available {
            c.available += 1;
        }
    }
    Some(c)
}

#[cfg(test)]
#[path = "reconcile_tests.rs"]
mod tests;
