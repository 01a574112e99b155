//! The poll loop: fetch a snapshot from every service concurrently, reconcile,
//! persist in one transaction, publish what changed.
//!
//! Cadence is per service (the *arrs refresh their own queue once a minute,
//! qBittorrent is live), with exponential backoff and jitter on errors. A
//! service that is not due this cycle contributes the data it gave last time
//! (without its one-shot history feed), so every service's evidence is always
//! present or explicitly absent; a service that failed contributes nothing.

mod cadence;
mod check;
mod clock;
mod follow_up;
mod lock;
mod run;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use crate::config::{Config, NotifyPrefs, PollConfig, ServiceConfig};
use crate::secrets;
use crate::services::jellyfin::JellyfinClient;
use crate::services::jellyseerr::JellyseerrClient;
use crate::services::qbittorrent::QbittorrentClient;
use crate::services::radarr::RadarrClient;
use crate::services::shoko::ShokoClient;
use crate::services::sonarr::SonarrClient;
use crate::services::{ErrorKind, HttpStats, ServiceError};
use crate::store::{ServiceStatus, Store, StoreError};
use crate::tracker::reconcile::{AttentionRules, Clock};
use crate::tracker::{self, Change, Reconciled, Records, Snapshot, Source, Wants};
pub use crate::tracker::{notifications_for, pending_notifications, stuck_notifications};
use crate::ServiceId;
pub use run::run;

pub use cadence::Cadence;
pub use check::{check_all, check_one, CheckResult};
pub use lock::{LockError, PollerLock};

/// The key under which the poller keeps its own state in the store.
const POLLER_STATE: &str = "_poller";

/// What the poller keeps between runs.
#[derive(serde::Serialize, serde::Deserialize)]
struct PollerState {
    last_sweep: Option<DateTime<Utc>>,
}

/// Commands for a running loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Poll every service now (also while paused).
    PollNow,
    /// Stop or resume the timed polling.
    SetPaused(bool),
    /// A person has seen this request's attention state.
    Acknowledge(i64),
    /// Finish the current cycle and stop.
    Stop,
}

/// A service that went down or came back.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ServiceEvent {
    pub name: String,
    pub ok: bool,
    pub error: Option<String>,
}

/// What one cycle did.
#[derive(Debug, Clone, Default)]
pub struct CycleReport {
    pub at: DateTime<Utc>,
    pub changes: Vec<Change>,
    pub service_events: Vec<ServiceEvent>,
    /// HTTP requests sent during the cycle (logins and retries included).
    pub http_requests: u64,
    pub bytes_received: u64,
    pub duration: Duration,
    /// The services that were polled this cycle.
    pub polled: Vec<String>,
    /// Was this the first cycle of this tracker (caches cold)?
    pub first: bool,
    /// Where the cycle's time went.
    pub stages: CycleStages,
}

/// Wall time of a cycle's three stages.
#[derive(Debug, Clone, Copy, Default)]
pub struct CycleStages {
    /// Reading the services (concurrently), until the last answered.
    pub fetch: Duration,
    /// `tracker::reconcile` and the notification rules.
    pub reconcile: Duration,
    /// The store transaction.
    pub persist: Duration,
}

/// One service's client and what we know of it.
struct PolledService<C, D> {
    id: ServiceId,
    /// `id.name()`, or `radarr.<name>` for an instance of the array form.
    name: String,
    config: Option<ServiceConfig>,
    client: Result<C, ServiceError>,
    last: Option<D>,
    status: ServiceStatus,
    failures: u32,
    next_due: Option<Instant>,
    /// HTTP requests and bytes of this service's client.
    stats: Arc<HttpStats>,
}

/// The services of one kind: one [`PolledService`], or the instances of
/// Radarr or Sonarr. The poller's bookkeeping walks both alike.
trait Slots<C, D> {
    fn slots(&self) -> std::slice::Iter<'_, PolledService<C, D>>;
    fn slots_mut(&mut self) -> std::slice::IterMut<'_, PolledService<C, D>>;
}

impl<C, D> Slots<C, D> for PolledService<C, D> {
    fn slots(&self) -> std::slice::Iter<'_, PolledService<C, D>> {
        std::slice::from_ref(self).iter()
    }
    fn slots_mut(&mut self) -> std::slice::IterMut<'_, PolledService<C, D>> {
        std::slice::from_mut(self).iter_mut()
    }
}

impl<C, D> Slots<C, D> for Vec<PolledService<C, D>> {
    fn slots(&self) -> std::slice::Iter<'_, PolledService<C, D>> {
        self.iter()
    }
    fn slots_mut(&mut self) -> std::slice::IterMut<'_, PolledService<C, D>> {
        self.iter_mut()
    }
}

impl<C, D> PolledService<C, D> {
    fn new(
        id: ServiceId,
        config: Option<&ServiceConfig>,
        build: impl FnOnce(&ServiceConfig, Arc<HttpStats>) -> Result<C, ServiceError>,
    ) -> Self {
        let name = config.map_or(id.name(), |c| c.name.as_str()).to_string();
        let stats = HttpStats::new();
        let client = match config {
            Some(cfg) => build(cfg, stats.clone()),
            None => Err(ServiceError::new(
                &name,
                ErrorKind::Config,
                "not configured",
            )),
        };
        PolledService {
            id,
            name: name.clone(),
            config: config.cloned(),
            client,
            last: None,
            status: ServiceStatus {
                name: name.to_string(),
                ok: false,
                error: None,
                error_kind: None,
                error_since: None,
                last_success: None,
                version: None,
            },
            failures: 0,
            next_due: None,
            stats,
        }
    }

    fn configured(&self) -> bool {
        self.config.is_some()
    }

    fn due(&self, now: Instant) -> bool {
        self.configured() && self.next_due.is_none_or(|t| t <= now)
    }

    /// This cycle's source and the poll's outcome without its data. Fresh
    /// data moves into the source (no copy); when the service was not
    /// polled, its last data is lent to the cycle (moved, not copied: at
    /// 10,000 requests Sonarr's is ~10 MB) and [`Self::record`] takes it
    /// back; a failed poll gives nothing.
    fn take(&mut self, polled: Polled<D>) -> (Source<D>, Outcome) {
        if !self.configured() {
            return (Source::NotConfigured, None);
        }
        match polled {
            Some(Ok(d)) => (Source::Ok(d), Some(Ok(()))),
            Some(Err(e)) => (Source::Failed, Some(Err(e))),
            None => (self.last.take().map_or(Source::Failed, Source::Ok), None),
        }
    }

    /// Records the outcome of a poll, and its fresh data (handed back by the
    /// snapshot once reconciled) as the last data through `keep`; returns a
    /// service event when it went down or came back.
    fn record(
        &mut self,
        outcome: &Outcome,
        data: Source<D>,
        at: DateTime<Utc>,
        keep: impl FnOnce(D) -> D,
    ) -> Option<ServiceEvent> {
        let Some(outcome) = outcome.as_ref() else {
            // Not polled: the last data lent to this cycle comes back.
            if let Source::Ok(d) = data {
                self.last = Some(d);
            }
            return None;
        };
        let was_ok = self.status.ok || self.status.last_success.is_none() && self.failures == 0;
        match outcome {
            Ok(()) => {
                if let Source::Ok(d) = data {
                    self.last = Some(keep(d));
                }
                self.failures = 0;
                self.status.ok = true;
                self.status.error = None;
                self.status.error_kind = None;
                self.status.error_since = None;
                self.status.last_success = Some(at);
                (!was_ok).then(|| ServiceEvent {
                    name: self.name.to_string(),
                    ok: true,
                    error: None,
                })
            }
            Err(e) => {
                self.failures = self.failures.saturating_add(1);
                let changed = self.status.ok || self.status.error.as_deref() != Some(&e.message);
                self.status.ok = false;
                self.status.error = Some(e.message.clone());
                self.status.error_kind = Some(e.kind.as_str().to_string());
                if self.status.error_since.is_none() {
                    self.status.error_since = Some(at);
                }
                (was_ok || changed).then(|| ServiceEvent {
                    name: self.name.to_string(),
                    ok: false,
                    error: Some(e.message.clone()),
                })
            }
        }
    }
}

/// What polling one service gave: nothing (not polled), its data, or why not.
type Polled<D> = Option<Result<D, ServiceError>>;
/// [`Polled`] without the data (which moved into the snapshot).
type Outcome = Option<Result<(), ServiceError>>;

/// Builds a client for a configured service: secret lookup, then the client.
fn build<C>(
    cfg: &ServiceConfig,
    make: impl FnOnce(&ServiceConfig, secrets::Secret) -> Result<C, ServiceError>,
) -> Result<C, ServiceError> {
    let secret = secrets::lookup(&cfg.name)
        .map_err(|e| ServiceError::new(&cfg.name, ErrorKind::Config, e.to_string()))?;
    make(cfg, secret)
}

/// Runs one fetch under the service's per-cycle deadline.
async fn with_deadline<T>(
    name: &str,
    cfg: Option<&ServiceConfig>,
    fut: impl std::future::Future<Output = Result<T, ServiceError>>,
) -> Result<T, ServiceError> {
    let timeout = cfg.map_or(crate::config::DEFAULT_TIMEOUT, |c| c.timeout);
    let deadline = (timeout * 6).max(Duration::from_secs(15));
    match tokio::time::timeout(deadline, fut).await {
        Ok(r) => r,
        Err(_) => Err(ServiceError::new(
            name,
            ErrorKind::Timeout,
            format!(
                "did not finish within this cycle's deadline ({} s)",
                deadline.as_secs()
            ),
        )),
    }
}

/// The tracker: clients, records and the store, driven one cycle at a time.
pub struct Poller {
    poll: PollConfig,
    /// Shared with the blocking thread a cycle's commit runs on.
    store: Arc<Mutex<Store>>,
    records: Records,
    jellyseerr: PolledService<JellyseerrClient, tracker::SeerrData>,
    /// Every Radarr instance, in config order.
    radarr: Vec<PolledService<RadarrClient, tracker::RadarrData>>,
    /// Every Sonarr instance, in config order.
    sonarr: Vec<PolledService<SonarrClient, tracker::SonarrData>>,
    qbittorrent: PolledService<QbittorrentClient, tracker::QbitData>,
    shoko: PolledService<ShokoClient, tracker::ShokoData>,
    /// Shared (`Arc`), so that the reconciler keeps its index of Jellyfin's
    /// items while they stay the same allocation.
    jellyfin: PolledService<JellyfinClient, Arc<tracker::JellyfinData>>,
    /// Wall-clock time of the last full sweep (kept across runs in the store).
    last_sweep: Option<DateTime<Utc>>,
    cycles: u64,
    /// Record desktop notifications with the changes (the desktop app only).
    notify: Option<NotifyPrefs>,
    /// Keeps its index of Jellyfin's items while they stay the same.
    reconciler: tracker::Reconciler,
    /// `[attention]`: how long a situation may last before it is stuck.
    attention: AttentionRules,
    /// The last cycle's wall-clock and monotonic times, to tell the wall
    /// time the app watched from a jump ([`Poller::cycle_clock`]).
    last_cycle: Option<(DateTime<Utc>, Instant)>,
}

impl Poller {
    /// Builds every configured client (a missing secret becomes that service's
    /// error, not a failure of the whole tracker) and loads the records.
    pub fn new(config: &Config, store: Store) -> Result<Self, StoreError> {
        let records = store.load_records()?;
        let mut t = Poller {
            poll: config.poll.clone(),
            jellyseerr: PolledService::new(
                ServiceId::Jellyseerr,
                config.jellyseerr.as_ref(),
                |c, s| build(c, |c, k| JellyseerrClient::new(c, k, s)),
            ),
            radarr: config
                .radarr
                .iter()
                .map(|cfg| {
                    PolledService::new(ServiceId::Radarr, Some(cfg), |c, s| {
                        build(c, |c, k| RadarrClient::new(c, k, s))
                    })
                })
                .collect(),
            sonarr: config
                .sonarr
                .iter()
                .map(|cfg| {
                    PolledService::new(ServiceId::Sonarr, Some(cfg), |c, s| {
                        build(c, |c, k| SonarrClient::new(c, k, s))
                    })
                })
                .collect(),
            qbittorrent: PolledService::new(
                ServiceId::Qbittorrent,
                config.qbittorrent.as_ref(),
                |c, s| build(c, |c, k| QbittorrentClient::new(c, k, s)),
            ),
            shoko: PolledService::new(ServiceId::Shoko, config.shoko.as_ref(), |c, s| {
                build(c, |c, k| ShokoClient::new(c, k, s))
            }),
            jellyfin: PolledService::new(ServiceId::Jellyfin, config.jellyfin.as_ref(), |c, s| {
                build(c, |c, k| JellyfinClient::new(c, k, s))
            }),
            store: Arc::new(Mutex::new(store)),
            records,
            last_sweep: None,
            cycles: 0,
            notify: None,
            reconciler: tracker::Reconciler::default(),
            attention: config.attention,
            last_cycle: None,
        };
        // Carry the last known statuses (error_since, last_success) across runs.
        let saved = lock(&t.store).service_statuses();
        for s in saved.into_iter().flatten() {
            t.restore_status(s);
        }
        t.restore_client_states();
        let saved = lock(&t.store).client_state(POLLER_STATE);
        if let Ok(Some(saved)) = saved {
            if let Ok(state) = serde_json::from_str::<PollerState>(&saved) {
                t.last_sweep = state.last_sweep;
            }
        }
        Ok(t)
    }

    fn restore_status(&mut self, s: ServiceStatus) {
        macro_rules! restore {
            ($($slot:ident),*) => {
                $( for slot in self.$slot.slots_mut() {
                    if slot.name == s.name && slot.configured() {
                        slot.status = s.clone();
                    }
                } )*
            };
        }
        restore!(jellyseerr, radarr, sonarr, qbittorrent, shoko, jellyfin);
    }

    fn restore_client_states(&mut self) {
        macro_rules! restore {
            ($($slot:ident),*) => {
                $( for slot in self.$slot.slots_mut() {
                    if let Ok(client) = &mut slot.client {
                        if let Ok(Some(state)) = lock(&self.store).client_state(&slot.name) {
                            client.restore_state(&state);
                        }
                    }
                } )*
            };
        }
        restore!(jellyseerr, radarr, sonarr, qbittorrent, shoko, jellyfin);
    }

    /// Saves every client's caches and cursors, so the next run's first cycle
    /// is a steady one. Called after `poll --once`, periodically by the loop,
    /// and when it stops (not every cycle: the caches can be large).
    pub fn save_client_states(&mut self) -> Result<(), StoreError> {
        macro_rules! save {
            ($($slot:ident),*) => {
                $( for slot in self.$slot.slots() {
                    if let Ok(client) = &slot.client {
                        lock(&self.store).save_client_state_json(&slot.name, &client.saved())?;
                    }
                } )*
            };
        }
        save!(jellyseerr, radarr, sonarr, qbittorrent, shoko, jellyfin);
        let state = PollerState {
            last_sweep: self.last_sweep,
        };
        lock(&self.store).save_client_state_json(POLLER_STATE, &state)?;
        Ok(())
    }

    /// Records notifications for AVAILABLE, FAILED and new episodes (as the
    /// preferences say) in the same transaction as the changes.
    /// The cycle's [`Clock`] ([`cycle_clock`]); remembers this cycle's times.
    fn cycle_clock(&mut self, now: DateTime<Utc>, mono: Instant) -> Clock {
        let clock = clock::cycle_clock(self.last_cycle, now, mono);
        self.last_cycle = Some((now, mono));
        clock
    }

    pub fn set_notify(&mut self, prefs: Option<NotifyPrefs>) {
        self.notify = prefs;
    }

    /// Marks a request's attention as seen.
    pub fn acknowledge(&mut self, id: i64) -> Result<bool, StoreError> {
        let found = lock(&self.store).set_acknowledged(id, true)?;
        if let Some(r) = self.records.get_mut(&id) {
            r.acknowledged = true;
        }
        Ok(found)
    }

    pub fn records(&self) -> &Records {
        &self.records
    }

    /// The store (held while the guard lives: a cycle's commit waits).
    pub fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    /// HTTP requests sent and bytes received by every client since the
    /// tracker was built: `(requests, bytes)`.
    pub fn http_totals(&self) -> (u64, u64) {
        self.service_stats()
            .iter()
            .fold((0, 0), |(r, b), (_, sr, sb)| (r + sr, b + sb))
    }

    /// Per configured service: its name, the HTTP requests its client sent
    /// (logins and retries included) and the bytes it received, since the
    /// tracker was built.
    pub fn service_stats(&self) -> Vec<(&str, u64, u64)> {
        let mut v = Vec::new();
        macro_rules! push {
            ($($slot:ident),*) => {
                $( for slot in self.$slot.slots().filter(|s| s.configured()) {
                    v.push((slot.name.as_str(), slot.stats.requests(), slot.stats.bytes()));
                } )*
            };
        }
        push!(jellyseerr, radarr, sonarr, qbittorrent, shoko, jellyfin);
        v
    }

    /// First contact with a big library: `(requests read whole, requests
    /// listed)` while Jellyseerr's title pages are still being read over
    /// several cycles; `None` once every listed request is read.
    pub fn first_contact_progress(&self) -> Option<(usize, usize)> {
        let (read, listed) = self.jellyseerr.client.as_ref().ok()?.progress();
        (read < listed).then_some((read, listed))
    }

    /// The current status of every configured service.
    pub fn statuses(&self) -> Vec<ServiceStatus> {
        let mut v = Vec::new();
        macro_rules! push {
            ($($slot:ident),*) => {
                $( for slot in self.$slot.slots().filter(|s| s.configured()) {
                    v.push(slot.status.clone());
                } )*
            };
        }
        push!(jellyseerr, radarr, sonarr, qbittorrent, shoko, jellyfin);
        v
    }

    /// Re-reads the records from the store (after an acknowledge from elsewhere).
    pub fn reload(&mut self) -> Result<(), StoreError> {
        self.records = lock(&self.store).load_records()?;
        Ok(())
    }

    /// Runs one cycle. `all` polls every configured service; otherwise only
    /// the ones that are due.
    pub async fn cycle(&mut self, all: bool) -> Result<CycleReport, StoreError> {
        let started = Instant::now();
        let (req0, bytes0) = self.http_totals();
        let first = self.cycles == 0;
        let wants: Wants = tracker::wants(&self.records);
        let wall_start = Utc::now();
        let sweep = self.last_sweep.is_none_or(|t| {
            (wall_start - t).to_std().unwrap_or_default() >= self.poll.sweep || t > wall_start
        });

        let due = |slot_due: bool| all || slot_due;
        let d_seerr = due(self.jellyseerr.due(started)) && self.jellyseerr.configured();
        let d_radarr: Vec<bool> = self
            .radarr
            .iter()
            .map(|s| due(s.due(started)) && s.configured())
            .collect();
        let d_sonarr: Vec<bool> = self
            .sonarr
            .iter()
            .map(|s| due(s.due(started)) && s.configured())
            .collect();
        let d_qbit = due(self.qbittorrent.due(started)) && self.qbittorrent.configured();
        let d_shoko = due(self.shoko.due(started)) && self.shoko.configured();
        let d_jf = due(self.jellyfin.due(started)) && self.jellyfin.configured();

        // Jellyseerr first: this cycle's new requests tell the other clients
        // which media to read, so a new request is followed in its first cycle.
        let r_seerr = if d_seerr {
            let cfg = self.jellyseerr.config.as_ref();
            Some(match &mut self.jellyseerr.client {
                Ok(c) => with_deadline(ServiceId::Jellyseerr.name(), cfg, c.fetch(sweep)).await,
                Err(e) => Err(e.clone()),
            })
        } else {
            None
        };
        let mut wants = wants;
        if let Some(Ok(seerr)) = &r_seerr {
            extend_wants(&mut wants, seerr);
        }

        let Poller {
            radarr,
            sonarr,
            qbittorrent,
            shoko,
            jellyfin,
            ..
        } = self;
        let wants_ref = &wants;
        let (r_radarr, r_sonarr, r_qbit, r_shoko, r_jf) = tokio::join!(
            // The instances of one kind one after the other (few, and each
            // under its own deadline).
            async {
                let mut out = Vec::new();
                for (slot, due) in radarr.iter_mut().zip(&d_radarr) {
                    if !due {
                        out.push(None);
                        continue;
                    }
                    let cfg = slot.config.as_ref();
                    out.push(Some(match &mut slot.client {
                        Ok(c) => with_deadline(&slot.name, cfg, c.fetch(wants_ref, sweep)).await,
                        Err(e) => Err(e.clone()),
                    }));
                }
                out
            },
            async {
                let mut out = Vec::new();
                for (slot, due) in sonarr.iter_mut().zip(&d_sonarr) {
                    if !due {
                        out.push(None);
                        continue;
                    }
                    let cfg = slot.config.as_ref();
                    out.push(Some(match &mut slot.client {
                        Ok(c) => with_deadline(&slot.name, cfg, c.fetch(wants_ref, sweep)).await,
                        Err(e) => Err(e.clone()),
                    }));
                }
                out
            },
            async {
                if !d_qbit {
                    return None;
                }
                let cfg = qbittorrent.config.as_ref();
                Some(match &mut qbittorrent.client {
                    Ok(c) => with_deadline(ServiceId::Qbittorrent.name(), cfg, c.fetch()).await,
                    Err(e) => Err(e.clone()),
                })
            },
            async {
                if !d_shoko {
                    return None;
                }
                let cfg = shoko.config.as_ref();
                Some(match &mut shoko.client {
                    Ok(c) => with_deadline(ServiceId::Shoko.name(), cfg, c.fetch(wants_ref)).await,
                    Err(e) => Err(e.clone()),
                })
            },
            async {
                if !d_jf {
                    return None;
                }
                let cfg = jellyfin.config.as_ref();
                Some(match &mut jellyfin.client {
                    Ok(c) => {
                        with_deadline(ServiceId::Jellyfin.name(), cfg, c.fetch(wants_ref, sweep))
                            .await
                            .map(Arc::new)
                    }
                    Err(e) => Err(e.clone()),
                })
            },
        );

        // Each service's data moves into the snapshot, and from it into the
        // slot's last data once reconciled: a library is held once, not
        // copied per stage.
        let (jellyseerr, o_seerr) = self.jellyseerr.take(r_seerr);
        let (radarr, o_radarr) = take_instances(&mut self.radarr, r_radarr);
        let (sonarr, o_sonarr) = take_instances(&mut self.sonarr, r_sonarr);
        let (qbittorrent, o_qbit) = self.qbittorrent.take(r_qbit);
        let (shoko, mut o_shoko) = self.shoko.take(r_shoko);
        let (jellyfin, mut o_jf) = self.jellyfin.take(r_jf);
        let mut snapshot = Snapshot {
            jellyseerr,
            radarr,
            sonarr,
            qbittorrent,
            shoko,
            jellyfin: same_as_last(self.jellyfin.last.as_ref(), jellyfin),
        };

        let now = Utc::now();
        let clock = self.cycle_clock(now, Instant::now());
        let mut reconcile_time = Duration::ZERO;
        let mut fetch_time = started.elapsed();
        let t = Instant::now();
        let mut reconciled =
            self.reconciler
                .reconcile_at(&self.records, &snapshot, &clock, &self.attention);
        reconcile_time += t.elapsed();

        // Follow-ups: Shoko and Jellyfin asked again when this cycle's answers
        // want more of them (see follow_up.rs).
        let (mut d_shoko, mut d_jf) = (d_shoko, d_jf);
        let mut asked = wants;
        for _ in 0..follow_up::MAX_PASSES {
            let Some(more) = follow_up::more(&asked, &self.records, &reconciled.changed) else {
                break;
            };
            let t = Instant::now();
            let Poller {
                shoko, jellyfin, ..
            } = self;
            let wants_ref = &more.wants;
            let ask_shoko = more.shoko && !matches!(o_shoko, Some(Err(_)));
            let ask_jf = more.jellyfin && !matches!(o_jf, Some(Err(_)));
            let (f_shoko, f_jf) = tokio::join!(
                async {
                    let c = shoko.client.as_mut().ok().filter(|_| ask_shoko)?;
                    Some(
                        with_deadline(
                            ServiceId::Shoko.name(),
                            shoko.config.as_ref(),
                            c.fetch(wants_ref),
                        )
                        .await,
                    )
                },
                async {
                    let c = jellyfin.client.as_mut().ok().filter(|_| ask_jf)?;
                    let cfg = jellyfin.config.as_ref();
                    Some(
                        with_deadline(ServiceId::Jellyfin.name(), cfg, c.fetch(wants_ref, false))
                            .await,
                    )
                },
            );
            fetch_time += t.elapsed();
            let mut read = false;
            // A follow-up that fails keeps the pass's first answer: what was
            // read stays read, and the next cycle asks again.
            for (name, failed) in [
                (
                    ServiceId::Shoko.name(),
                    f_shoko.as_ref().and_then(|r| r.as_ref().err()),
                ),
                (
                    ServiceId::Jellyfin.name(),
                    f_jf.as_ref().and_then(|r| r.as_ref().err()),
                ),
            ] {
                if let Some(e) = failed {
                    log::warn!("{name}: follow-up read failed: {}", e.message);
                }
            }
            if let Some(Ok(d)) = f_shoko {
                snapshot.shoko = Source::Ok(d);
                o_shoko = Some(Ok(()));
                d_shoko = true;
                read = true;
            }
            if let Some(Ok(d)) = f_jf {
                let current = match &snapshot.jellyfin {
                    Source::Ok(k) => Some(k.clone()),
                    _ => self.jellyfin.last.clone(),
                };
                snapshot.jellyfin = same_as_last(current.as_ref(), Source::Ok(Arc::new(d)));
                o_jf = Some(Ok(()));
                d_jf = true;
                read = true;
            }
            asked = more.wants;
            if !read {
                break;
            }
            let t = Instant::now();
            // The pass's result goes before the next is built: at 10,000 new
            // requests each is tens of megabytes.
            drop(std::mem::take(&mut reconciled));
            reconciled =
                self.reconciler
                    .reconcile_at(&self.records, &snapshot, &clock, &self.attention);
            reconcile_time += t.elapsed();
        }

        let mut service_events = Vec::new();
        // Keep last data for cycles where a service is not due: one-shot feeds
        // (history, a partial Jellyseerr page) are not replayed.
        let Snapshot {
            jellyseerr,
            radarr,
            sonarr,
            qbittorrent,
            shoko,
            jellyfin,
        } = snapshot;
        service_events.extend(self.jellyseerr.record(&o_seerr, jellyseerr, now, |mut d| {
            d.complete = false;
            d
        }));
        for ((slot, outcome), instance) in self.radarr.iter_mut().zip(&o_radarr).zip(radarr) {
            service_events.extend(slot.record(outcome, instance.data, now, |mut d| {
                d.history.clear();
                d
            }));
        }
        for ((slot, outcome), instance) in self.sonarr.iter_mut().zip(&o_sonarr).zip(sonarr) {
            service_events.extend(slot.record(outcome, instance.data, now, |mut d| {
                d.history.clear();
                d
            }));
        }
        service_events.extend(self.qbittorrent.record(&o_qbit, qbittorrent, now, |d| d));
        service_events.extend(self.shoko.record(&o_shoko, shoko, now, |d| d));
        service_events.extend(self.jellyfin.record(&o_jf, jellyfin, now, |d| d));

        let reconcile_start = Instant::now();
        let statuses = self.statuses();
        let notifications = match self.notify {
            Some(prefs) => {
                let mut n = notifications_for(&reconciled, prefs);
                if prefs.stuck {
                    n.extend(stuck_notifications(&self.records, &reconciled, prefs, now));
                }
                if prefs.pending {
                    // First contact with a library (no records before, or
                    // still reading it) announces no old pending requests.
                    let first_contact =
                        self.records.is_empty() || self.first_contact_progress().is_some();
                    n.extend(pending_notifications(&reconciled, first_contact));
                }
                n
            }
            None => Vec::new(),
        };
        let persist_start = Instant::now();
        let store = Arc::clone(&self.store);
        let Reconciled { changed, changes } = reconciled;
        let (committed, changed, changes) = tokio::task::spawn_blocking(move || {
            let committed =
                lock(&store).commit_cycle_with(&changed, &changes, &statuses, &notifications, now);
            (committed, changed, changes)
        })
        .await
        .map_err(|e| StoreError::Interrupted(e.to_string()))?;
        committed?;
        let reconciled = Reconciled { changed, changes };
        let persisted = Instant::now();
        for rec in reconciled.changed {
            self.records.insert(rec.id, rec);
        }

        if sweep && self.statuses().iter().all(|s| s.ok) {
            // A sweep only counts when every listing was read in full.
            self.last_sweep = Some(wall_start);
        }
        self.cycles += 1;
        let mut polled = Vec::new();
        for (name, polled_now) in [
            (ServiceId::Jellyseerr.name(), d_seerr),
            (ServiceId::Qbittorrent.name(), d_qbit),
            (ServiceId::Shoko.name(), d_shoko),
            (ServiceId::Jellyfin.name(), d_jf),
        ] {
            if polled_now {
                polled.push(name.to_string());
            }
        }
        let radarr_names = self.radarr.iter().map(|s| &s.name).zip(&d_radarr);
        let sonarr_names = self.sonarr.iter().map(|s| &s.name).zip(&d_sonarr);
        for (name, polled_now) in radarr_names.chain(sonarr_names) {
            if *polled_now {
                polled.push(name.clone());
            }
        }
        self.schedule(Instant::now(), now, &polled);
        let (req1, bytes1) = self.http_totals();
        Ok(CycleReport {
            at: now,
            changes: reconciled.changes,
            service_events,
            http_requests: req1 - req0,
            bytes_received: bytes1 - bytes0,
            duration: started.elapsed(),
            polled,
            first,
            stages: CycleStages {
                fetch: fetch_time,
                reconcile: reconcile_time + (persist_start - reconcile_start),
                persist: persisted - persist_start,
            },
        })
    }

    /// Sets each service's next poll time from the records and its errors.
    /// A service polled this cycle is planned afresh; one that was not keeps
    /// its plan unless the new cadence brings it forward (a faster service
    /// polling often must never push a slower one back for ever).
    fn schedule(&mut self, now: Instant, wall: DateTime<Utc>, polled: &[String]) {
        let cadence = Cadence::new(&self.poll, &self.records, wall);
        macro_rules! plan {
            ($($slot:ident),*) => {
                $( for slot in self.$slot.slots_mut().filter(|s| s.configured()) {
                    let interval = if slot.failures > 0 {
                        cadence::backoff(slot.failures, self.poll.idle)
                    } else {
                        cadence.interval(slot.id)
                    };
                    let fresh = now + interval;
                    let was_polled = polled.iter().any(|p| *p == slot.name);
                    slot.next_due = Some(match slot.next_due {
                        Some(due) if !was_polled => due.min(fresh),
                        _ => fresh,
                    });
                } )*
            };
        }
        plan!(jellyseerr, radarr, sonarr, qbittorrent, shoko, jellyfin);
    }

    /// When the next service is due.
    pub fn next_due(&self) -> Instant {
        let far = Instant::now() + self.poll.idle;
        let singles = [
            self.jellyseerr
                .configured()
                .then_some(self.jellyseerr.next_due),
            self.qbittorrent
                .configured()
                .then_some(self.qbittorrent.next_due),
            self.shoko.configured().then_some(self.shoko.next_due),
            self.jellyfin.configured().then_some(self.jellyfin.next_due),
        ];
        let arrs = self
            .radarr
            .iter()
            .map(|s| s.next_due)
            .chain(self.sonarr.iter().map(|s| s.next_due));
        singles
            .into_iter()
            .flatten()
            .chain(arrs)
            .map(|d| d.unwrap_or_else(Instant::now))
            .min()
            .unwrap_or(far)
    }
}

/// Each instance's source for the snapshot and its poll's outcome (see
/// [`PolledService::take`]).
fn take_instances<C, D>(
    slots: &mut [PolledService<C, D>],
    polled: Vec<Polled<D>>,
) -> (Vec<tracker::ArrInstance<D>>, Vec<Outcome>) {
    slots
        .iter_mut()
        .zip(polled)
        .map(|(slot, polled)| {
            let (data, outcome) = slot.take(polled);
            let instance = tracker::ArrInstance {
                name: slot.name.clone(),
                is_4k: slot.config.as_ref().is_some_and(|c| c.is_4k),
                authority: slot.config.as_ref().map(authority).unwrap_or_default(),
                data,
            };
            (instance, outcome)
        })
        .unzip()
}

/// "host:port" of a service's URL, the port written or the scheme's.
fn authority(cfg: &ServiceConfig) -> String {
    let host = cfg.url.host_str().unwrap_or_default().to_ascii_lowercase();
    match cfg.url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

/// The store. A commit that panicked rolled its transaction back, so a
/// poisoned lock still guards a sound database.
fn lock(store: &Mutex<Store>) -> MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Jellyfin's data as the snapshot shares it: the last cycle's allocation
/// when nothing in it changed (most cycles), so that reconcile keeps its
/// index; the new one only when it changed.
fn same_as_last<D: PartialEq>(last: Option<&Arc<D>>, source: Source<Arc<D>>) -> Source<Arc<D>> {
    match (source, last) {
        (Source::Ok(d), Some(k)) if **k == *d => Source::Ok(k.clone()),
        (source, _) => source,
    }
}

/// Adds the media of this cycle's Jellyseerr requests to what the clients read.
/// (A sweep lists every request: sets, not a search of the list per request.)
fn extend_wants(wants: &mut Wants, seerr: &tracker::SeerrData) {
    let mut movies: HashSet<i64> = wants.movie_tmdb_ids.iter().copied().collect();
    let mut series: HashSet<i64> = wants.series_tvdb_ids.iter().copied().collect();
    for r in &seerr.requests {
        if matches!(
            r.status,
            tracker::SeerrRequestStatus::Declined | tracker::SeerrRequestStatus::Unknown(_)
        ) {
            continue;
        }
        match r.media_type {
            tracker::MediaType::Movie => {
                if let Some(t) = r.tmdb_id {
                    if movies.insert(t) {
                        wants.movie_tmdb_ids.push(t);
                    }
                }
                if let Some(j) = &r.jellyfin_media_id {
                    wants.jellyfin_item_ids.push(j.clone());
                }
            }
            tracker::MediaType::Tv => {
                if let Some(t) = r.tvdb_id {
                    if series.insert(t) {
                        wants.series_tvdb_ids.push(t);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
