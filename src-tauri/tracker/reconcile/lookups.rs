//! Indexes over the snapshot, built once per call.
//! The lookups a verdict needs: the *arrs' queues and histories by id, Jellyfin's items, qBittorrent's torrents, Shoko's files.

use super::*;

/// Items grouped by an id: one array sorted by id, and where each id's run
/// starts (no vector per id: a cycle's queue holds one item per episode of
/// every download, and most ids have one).
pub(super) struct Grouped<'a, T> {
    pub(super) items: Vec<&'a T>,
    pub(super) runs: FastMap<i64, (u32, u32)>,
}

impl<'a, T> Grouped<'a, T> {
    /// Groups `pairs` by id; within an id, `then` orders the items (a
    /// stable sort: equal items keep their order in `pairs`).
    pub(super) fn new(
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

    pub(super) fn get(&self, id: &i64) -> Option<&[&'a T]> {
        let (start, len) = self.runs.get(id)?;
        self.items.get(*start as usize..(start + len) as usize)
    }

    pub(super) fn contains_key(&self, id: &i64) -> bool {
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
pub(super) struct ArrIdx<'a> {
    pub(super) queue_by_media: Grouped<'a, ArrQueueItem>,
    pub(super) queue_by_episode: Grouped<'a, ArrQueueItem>,
    /// Oldest first.
    pub(super) history_by_media: Grouped<'a, ArrHistoryEvent>,
    /// Oldest first.
    pub(super) history_by_episode: Grouped<'a, ArrHistoryEvent>,
    pub(super) queue: &'a [ArrQueueItem],
    /// Size of each download (queue), for the progress of a season pack
    /// whose torrent qBittorrent does not list: built on first use.
    pub(super) size_by_download: OnceCell<FastMap<NoCase<'a>, f64>>,
}

impl<'a> ArrIdx<'a> {
    pub(super) fn build(queue: &'a [ArrQueueItem], history: &'a [ArrHistoryEvent]) -> Self {
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
    pub(super) fn download_size(&self, download_id: &str) -> Option<f64> {
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
pub(super) struct JellyfinIndex {
    /// Positions (with the item's kind) by item id, for ids in Jellyfin's
    /// own form (32 lower-case hex digits): found without reading the item.
    pub(super) by_hex_id: FastMap<u128, (u32, JellyfinKind)>,
    /// Positions, hashed by item id, for any other id.
    pub(super) by_id: HashTable<u32>,
    pub(super) movie_by_tmdb: FastMap<i64, u32>,
    /// With the series' id in Jellyfin's form, when it has one.
    pub(super) series_by_tvdb: FastMap<i64, (u32, Option<u128>)>,
    pub(super) series_by_tmdb: FastMap<i64, u32>,
    pub(super) by_anidb: FastMap<i64, Vec<u32>>,
    /// Episode positions by series id in Jellyfin's form.
    pub(super) episodes_by_hex_series: FastMap<u128, Vec<u32>>,
    /// (position of one episode naming the series, every such episode),
    /// hashed by series id, for any other id.
    pub(super) episodes_by_series: HashTable<(u32, Vec<u32>)>,
}

pub(super) fn hash_str(s: &str) -> u64 {
    Fast::default().hash_one(s)
}

/// An id of 32 lower-case hex digits as a number (Jellyfin's ids); None for
/// anything else, so that no two different ids share a number.
pub(super) fn hex_id(id: &str) -> Option<u128> {
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

impl JellyfinIndex {
    pub(super) fn build(data: &JellyfinData) -> Self {
        let items = &data.items;
        // Sized up front: growing a map of 40,000 items rehashes it several
        // times. Ids not in Jellyfin's form are rare: that table grows.
        let mut idx = JellyfinIndex {
            by_hex_id: FastMap::with_capacity_and_hasher(items.len(), Fast::default()),
            ..JellyfinIndex::default()
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
pub(super) struct JellyfinView<'a> {
    pub(super) data: &'a JellyfinData,
    pub(super) idx: IndexRef<'a>,
}

/// An index built for this call, or kept by a [`Reconciler`].
pub(super) enum IndexRef<'a> {
    Built(Box<JellyfinIndex>),
    Kept(&'a JellyfinIndex),
}

impl<'a> JellyfinView<'a> {
    pub(super) fn index(&self) -> &JellyfinIndex {
        match &self.idx {
            IndexRef::Built(i) => i,
            IndexRef::Kept(i) => i,
        }
    }

    pub(super) fn at(&self, pos: u32) -> Option<&'a JellyfinItem> {
        self.data.items.get(pos as usize).map(|i| &**i)
    }

    pub(super) fn by_id(&self, id: &str) -> Option<&'a JellyfinItem> {
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
    pub(super) fn kind_of(&self, id: &str) -> Option<JellyfinKind> {
        match hex_id(id) {
            Some(n) => self.index().by_hex_id.get(&n).map(|(_, kind)| *kind),
            None => self.by_id(id).map(|i| i.kind),
        }
    }

    pub(super) fn movie_by_tmdb(&self, tmdb: i64) -> Option<&'a JellyfinItem> {
        self.at(*self.index().movie_by_tmdb.get(&tmdb)?)
    }

    /// A playable film item holding the file `file` (by name): the record's
    /// own item, the film's indexed item, else any item of the film (versions
    /// in separate libraries are separate items with the same TMDB id).
    pub(super) fn movie_with_file(
        &self,
        own: Option<&str>,
        tmdb: Option<i64>,
        file: &str,
    ) -> Option<&'a JellyfinItem> {
        let holds = |i: &&'a JellyfinItem| {
            i.playable && i.kind == JellyfinKind::Movie && i.files.iter().any(|f| f == file)
        };
        own.and_then(|id| self.by_id(id))
            .filter(holds)
            .or_else(|| tmdb.and_then(|t| self.movie_by_tmdb(t)).filter(holds))
            .or_else(|| {
                let t = tmdb?;
                self.data
                    .items
                    .iter()
                    .map(|i| &**i)
                    .find(|i| i.tmdb_id == Some(t) && holds(i))
            })
    }

    pub(super) fn series_by_tvdb(&self, tvdb: i64) -> Option<&'a JellyfinItem> {
        self.at(self.index().series_by_tvdb.get(&tvdb)?.0)
    }

    /// Is the series item with this Tvdb id the one with this id (in
    /// Jellyfin's form)? Answered from the index alone.
    pub(super) fn series_by_tvdb_is(&self, tvdb: i64, id: u128) -> bool {
        self.index()
            .series_by_tvdb
            .get(&tvdb)
            .is_some_and(|(_, hex)| *hex == Some(id))
    }

    pub(super) fn series_by_tmdb(&self, tmdb: i64) -> Option<&'a JellyfinItem> {
        self.at(*self.index().series_by_tmdb.get(&tmdb)?)
    }

    pub(super) fn by_anidb(&self, anidb: i64) -> impl Iterator<Item = &'a JellyfinItem> + '_ {
        let found = self.index().by_anidb.get(&anidb);
        found.into_iter().flatten().filter_map(|p| self.at(*p))
    }

    /// A playable item that plays Shoko's file `file_id` (Shokofin's
    /// `Shoko File`: a scan of the items; only with a 4K instance).
    pub(super) fn with_shoko_file(&self, file_id: i64) -> Option<&'a JellyfinItem> {
        self.data
            .items
            .iter()
            .map(|i| &**i)
            .find(|i| i.playable && i.shoko_file_ids.contains(&file_id))
    }

    /// Every series item with this TVDB id: an HD and a 4K library show one
    /// series as two items (a scan of the items; only with a 4K Sonarr).
    pub(super) fn all_series_by_tvdb(&self, tvdb: i64) -> Vec<&'a JellyfinItem> {
        self.data
            .items
            .iter()
            .map(|i| &**i)
            .filter(|i| i.kind == JellyfinKind::Series && i.tvdb_id == Some(tvdb))
            .collect()
    }

    /// The episode items of a series.
    pub(super) fn episodes_of(&self, series_id: &str) -> Episodes<'a, '_> {
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
pub(super) struct Episodes<'a, 'i> {
    pub(super) data: &'a JellyfinData,
    pub(super) positions: &'i [u32],
}

impl<'a> Episodes<'a, '_> {
    pub(super) fn iter(&self) -> impl Iterator<Item = &'a JellyfinItem> + '_ {
        let items = &self.data.items;
        self.positions
            .iter()
            .filter_map(move |p| items.get(*p as usize).map(|i| &**i))
    }
}

/// The torrent whose own hash `id` is (in any case), found by its map key:
/// qBittorrent's torrents are keyed by their lower-case hash.
pub(super) fn by_own_hash<'q>(q: &'q QbitData, id: &str) -> Option<&'q Torrent> {
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
pub(super) fn torrent_aliases(q: &QbitData) -> FastMap<NoCase<'_>, &Torrent> {
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
pub(super) struct Listing<'a> {
    pub(super) ids: Vec<i64>,
    pub(super) requests: Vec<&'a SeerrRequest>,
}

impl<'a> Listing<'a> {
    pub(super) fn new(requests: &'a [SeerrRequest]) -> Self {
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

    pub(super) fn len(&self) -> usize {
        self.ids.len()
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &&'a SeerrRequest> {
        self.requests.iter()
    }

    pub(super) fn get(&self, id: &i64) -> Option<&&'a SeerrRequest> {
        self.requests.get(self.ids.binary_search(id).ok()?)
    }

    /// [`Listing::get`], looking first just after the request `next` found
    /// last (then `next` moves on past the one found).
    pub(super) fn get_next(&self, next: &mut usize, id: i64) -> Option<&'a SeerrRequest> {
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
pub(super) struct ShortId {
    pub(super) len: u8,
    pub(super) bytes: [u8; 64],
}

impl ShortId {
    /// Is this `id`? (Without making a `ShortId` of it.)
    pub(super) fn is(&self, id: &str) -> bool {
        usize::from(self.len) == id.len() && self.bytes.get(..id.len()) == Some(id.as_bytes())
    }

    pub(super) fn of(id: &str) -> Option<Self> {
        let mut bytes = [0_u8; 64];
        bytes.get_mut(..id.len())?.copy_from_slice(id.as_bytes());
        Some(ShortId {
            len: u8::try_from(id.len()).ok()?,
            bytes,
        })
    }
}

/// One Radarr or Sonarr instance as reconcile reads it.
pub(super) struct ArrView<'a, D, M> {
    pub(super) name: &'a str,
    pub(super) is_4k: bool,
    /// "host:port" of its URL.
    pub(super) authority: &'a str,
    /// Its data, indexed (queue and history by media, the library by TMDB
    /// or TVDB id), when it answered this cycle.
    pub(super) data: Option<(&'a D, ArrIdx<'a>, FastMap<i64, &'a M>)>,
}

/// The instance that follows a request, among those of its kind that take
/// its resolution (4K or not): the one already following it; else the one
/// Jellyseerr's `serviceUrl` names (host and port); else the first, in
/// config order, that has the film or series (`key`: its TMDB/TVDB id);
/// else the first. None when no instance takes it (a 4K request and no
/// 4K instance).
pub(super) fn follow<'v, 'a, D, M>(
    views: &'v [ArrView<'a, D, M>],
    rec: &RequestRecord,
    service_url: Option<&str>,
    key: Option<i64>,
) -> Option<&'v ArrView<'a, D, M>> {
    let mut candidates = views.iter().filter(|v| v.is_4k == rec.is_4k);
    let first = candidates.clone().next()?;
    if let Some(name) = rec.instance.as_deref() {
        if let Some(v) = candidates.clone().find(|v| v.name == name) {
            return Some(v);
        }
    }
    if let Some(named) = service_url.and_then(url_authority) {
        if let Some(v) = candidates.clone().find(|v| v.authority == named) {
            return Some(v);
        }
    }
    let has = |v: &&ArrView<'a, D, M>| {
        key.is_some_and(|k| {
            v.data
                .as_ref()
                .is_some_and(|(_, _, map)| map.contains_key(&k))
        })
    };
    Some(candidates.find(has).unwrap_or(first))
}

/// "host:port" of a URL ("http://radarr:7878/movie/1" → "radarr:7878"),
/// with the scheme's default port when it names none.
pub(crate) fn url_authority(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host_port = rest.split(['/', '?', '#']).next()?;
    let host_port = host_port.rsplit('@').next()?.to_ascii_lowercase();
    if host_port.is_empty() {
        return None;
    }
    let has_port = host_port
        .rsplit_once(':')
        .is_some_and(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && !host_port.ends_with(']');
    if has_port {
        return Some(host_port);
    }
    let port = match scheme.to_ascii_lowercase().as_str() {
        "https" => 443,
        _ => 80,
    };
    Some(format!("{host_port}:{port}"))
}

/// Everything reconcile reads, with what each configured service said.
pub(super) struct Lookups<'a> {
    pub(super) now: DateTime<Utc>,
    /// Every configured service answered this cycle.
    pub(super) all_ok: bool,
    pub(super) seerr: Listing<'a>,
    pub(super) seerr_complete: bool,
    /// Some Radarr instance is configured.
    pub(super) radarr_configured: bool,
    pub(super) radarr: Vec<ArrView<'a, RadarrData, RadarrMovie>>,
    pub(super) sonarr: Vec<ArrView<'a, SonarrData, SonarrSeries>>,
    /// qBittorrent's torrents, looked up by their map key (the lower-case hash).
    pub(super) torrents: Option<&'a QbitData>,
    /// The torrents a download id can name other than by its own lower-case
    /// key (a v1/v2 alias, a key that is not the hash): built on the first
    /// lookup that misses, which most cycles never make.
    pub(super) torrent_aliases: OnceCell<FastMap<NoCase<'a>, &'a Torrent>>,
    /// The last download id looked up, and what it found: the episodes of
    /// a season pack all name one download.
    pub(super) last_torrent: Cell<Option<(ShortId, Option<&'a Torrent>)>>,
    pub(super) shoko_configured: bool,
    pub(super) shoko: Option<&'a ShokoData>,
    pub(super) jf_configured: bool,
    pub(super) jf: Option<JellyfinView<'a>>,
    /// Jellyfin's data is not the very data of the last call (finished films
    /// then look for their item again: see [`finished_film_item`]).
    pub(super) jf_new: bool,
    /// The cycle's clock and thresholds, for the stuck clocks ([`super::stuck`]).
    pub(super) clock: Clock,
    pub(super) rules: AttentionRules,
    pub(super) answered: Answered,
}

/// Did a configured instance of this kind fail this cycle?
fn any_failed<D>(list: &[ArrInstance<D>]) -> bool {
    list.iter()
        .any(|i| i.data.is_configured() && i.data.ok().is_none())
}

impl<'a> Lookups<'a> {
    /// Shoko's id of the file at `path` (as the *arr imported it), once
    /// Shoko matched it.
    pub(super) fn shoko_file_id(&self, path: &str) -> Option<i64> {
        match self.shoko?.files.get(path)? {
            ShokoMatch::Matched { file_id, .. } => *file_id,
            _ => None,
        }
    }

    pub(super) fn build(snap: &'a Snapshot, now: DateTime<Utc>) -> Self {
        Self::build_with(snap, now, None, true)
    }

    /// `kept`: an index of `snap.jellyfin`'s data; `jf_new`: that data is
    /// not the data of the last call.
    pub(super) fn build_with(
        snap: &'a Snapshot,
        now: DateTime<Utc>,
        kept: Option<&'a JellyfinIndex>,
        jf_new: bool,
    ) -> Self {
        let failed = |configured: bool, ok: bool| configured && !ok;
        let answered = Answered {
            jellyseerr: !failed(
                snap.jellyseerr.is_configured(),
                snap.jellyseerr.ok().is_some(),
            ),
            radarr: !any_failed(&snap.radarr),
            sonarr: !any_failed(&snap.sonarr),
            qbittorrent: !failed(
                snap.qbittorrent.is_configured(),
                snap.qbittorrent.ok().is_some(),
            ),
        };
        let all_ok = answered.jellyseerr
            && answered.radarr
            && answered.sonarr
            && answered.qbittorrent
            && !failed(snap.shoko.is_configured(), snap.shoko.ok().is_some())
            && !failed(snap.jellyfin.is_configured(), snap.jellyfin.ok().is_some());
        Lookups {
            now,
            all_ok,
            seerr: snap
                .jellyseerr
                .ok()
                .map(|d| Listing::new(&d.requests))
                .unwrap_or_default(),
            seerr_complete: snap.jellyseerr.ok().is_some_and(|d| d.complete),
            radarr_configured: snap.radarr.iter().any(|i| i.data.is_configured()),
            radarr: snap
                .radarr
                .iter()
                .map(|i| ArrView {
                    name: &i.name,
                    is_4k: i.is_4k,
                    authority: &i.authority,
                    data: i.data.ok().map(|d| {
                        (
                            d,
                            ArrIdx::build(&d.queue, &d.history),
                            d.movies.iter().map(|m| (m.tmdb_id, m)).collect(),
                        )
                    }),
                })
                .collect(),
            sonarr: snap
                .sonarr
                .iter()
                .map(|i| ArrView {
                    name: &i.name,
                    is_4k: i.is_4k,
                    authority: &i.authority,
                    data: i.data.ok().map(|d| {
                        (
                            d,
                            ArrIdx::build(&d.queue, &d.history),
                            d.series.iter().map(|s| (s.tvdb_id, s)).collect(),
                        )
                    }),
                })
                .collect(),
            torrents: snap.qbittorrent.ok(),
            torrent_aliases: OnceCell::new(),
            last_torrent: Cell::new(None),
            shoko_configured: snap.shoko.is_configured(),
            shoko: snap.shoko.ok(),
            jf_configured: snap.jellyfin.is_configured(),
            jf: snap.jellyfin.ok().map(|d| JellyfinView {
                data: d,
                idx: match kept {
                    Some(i) => IndexRef::Kept(i),
                    None => IndexRef::Built(Box::new(JellyfinIndex::build(d))),
                },
            }),
            jf_new,
            clock: Clock::at(now),
            rules: AttentionRules::default(),
            answered,
        }
    }

    /// The same lookups, for a cycle with this clock and these thresholds.
    pub(super) fn watching(mut self, clock: &Clock, rules: &AttentionRules) -> Self {
        self.clock = *clock;
        self.rules = *rules;
        self
    }

    /// The torrent a download id names: the one whose hash it is (any case),
    /// else one that carries it as its v1 or (truncated) v2 info-hash.
    pub(super) fn torrent(&self, download_id: &str) -> Option<&'a Torrent> {
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

    pub(super) fn find_torrent(&self, download_id: &str) -> Option<&'a Torrent> {
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
