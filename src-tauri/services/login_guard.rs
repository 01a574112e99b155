//! The one retry decision for the services that log in with a username and
//! a password (qBittorrent, Shoko): a wrong password is not retried within a
//! call (each client logs in at most once per call), and where wrong logins
//! cost something, not across calls either. qBittorrent bans an IP after 5
//! failures by default, for an hour: after [`MAX_WRONG`] rejections in a row
//! its guard sends no login at all, except one an hour, until a login works
//! or the credentials change (a new client). Shoko bans nobody: its guard
//! counts but never stops, so a password fixed on Shoko's side works at the
//! next poll.
//!
//! qBittorrent keeps its count between runs (`poll --once` from cron must
//! not log in once per run into the ban).

use chrono::{DateTime, TimeDelta, Utc};

/// Rejections in a row after which logins stop.
pub(crate) const MAX_WRONG: u32 = 2;
/// How long logins stay stopped before one more is tried.
const PAUSE: TimeDelta = TimeDelta::hours(1);

/// Consecutive wrong passwords, and since when logins are stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LoginGuard {
    /// Rejections in a row after which logins stop; None: never stop.
    stop_after: Option<u32>,
    wrong: u32,
    locked_since: Option<DateTime<Utc>>,
}

impl LoginGuard {
    /// For a service that bans after failed logins: stops after [`MAX_WRONG`].
    pub(crate) fn stopping() -> Self {
        Self {
            stop_after: Some(MAX_WRONG),
            wrong: 0,
            locked_since: None,
        }
    }

    /// For a service that bans nobody: counts, never stops.
    pub(crate) fn never_stopping() -> Self {
        Self {
            stop_after: None,
            ..Self::stopping()
        }
    }

    /// What is kept between runs: the rejections in a row and since when
    /// logins are stopped.
    pub(crate) fn saved(&self) -> (u32, Option<DateTime<Utc>>) {
        (self.wrong, self.locked_since)
    }

    /// Takes back what [`Self::saved`] gave.
    pub(crate) fn restore(&mut self, wrong: u32, locked_since: Option<DateTime<Utc>>) {
        self.wrong = wrong;
        self.locked_since = locked_since;
    }

    /// May a login be sent now? `Err` says why not, in a sentence that
    /// names `product`.
    pub(crate) fn may_log_in(&mut self, product: &str, now: DateTime<Utc>) -> Result<(), String> {
        let Some(limit) = self.stop_after.filter(|limit| self.wrong >= *limit) else {
            return Ok(());
        };
        if self.locked_since.is_some_and(|t| now - t > PAUSE) {
            // One more attempt an hour: far below qBittorrent's ban threshold.
            self.wrong = limit - 1;
            self.locked_since = None;
            return Ok(());
        }
        Err(format!(
            "{product} rejected the username or password {limit} times; \
             not trying again until the credentials change (or for an hour)"
        ))
    }

    /// The login worked.
    pub(crate) fn accepted(&mut self) {
        self.wrong = 0;
        self.locked_since = None;
    }

    /// The login was refused: a wrong username or password.
    pub(crate) fn rejected(&mut self, now: DateTime<Utc>) {
        self.wrong = self.wrong.saturating_add(1);
        if self.stop_after.is_some_and(|limit| self.wrong >= limit) {
            self.locked_since.get_or_insert(now);
        }
    }

    /// Has any login been refused since the last success?
    pub(crate) fn any_rejected(&self) -> bool {
        self.wrong > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(minutes: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + TimeDelta::minutes(minutes)
    }

    #[test]
    fn two_rejections_stop_logins_for_an_hour_then_allow_one() {
        let mut g = LoginGuard::stopping();
        assert!(g.may_log_in("qBittorrent", t(0)).is_ok());
        g.rejected(t(0));
        assert!(g.may_log_in("qBittorrent", t(1)).is_ok(), "one more try");
        g.rejected(t(1));
        let err = g.may_log_in("qBittorrent", t(2)).unwrap_err();
        assert!(
            err.contains("rejected the username or password 2 times"),
            "{err}"
        );
        assert!(
            g.may_log_in("qBittorrent", t(60)).is_err(),
            "not before the hour"
        );
        assert!(g.may_log_in("qBittorrent", t(62)).is_ok(), "one after it");
        g.rejected(t(62));
        assert!(
            g.may_log_in("qBittorrent", t(63)).is_err(),
            "and stopped again"
        );
    }

    #[test]
    fn a_guard_for_a_service_that_bans_nobody_never_stops() {
        let mut g = LoginGuard::never_stopping();
        for minute in 0..5 {
            g.rejected(t(minute));
            assert!(g.may_log_in("Shoko", t(minute)).is_ok());
        }
    }

    #[test]
    fn a_success_clears_the_count() {
        let mut g = LoginGuard::stopping();
        g.rejected(t(0));
        g.accepted();
        g.rejected(t(1));
        assert!(g.may_log_in("Shoko", t(2)).is_ok());
        assert!(g.any_rejected());
    }
}
