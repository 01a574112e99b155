//! The app's clock as a cycle sees it: what time it is, and how much of the
//! time since the last cycle the app did not watch (no stuck duration
//! counts it: see `tracker::reconcile::stuck`).

use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc};

use crate::tracker::reconcile::Clock;

/// A cycle's [`Clock`], from the last cycle's wall-clock and monotonic
/// times: the wall time since then, and the part of it the monotonic clock
/// did not see pass (the machine slept: Linux's monotonic clock stops in
/// suspend; or the clock was set forward), which no stuck duration counts.
/// A clock set back counts nothing. The first cycle after a start knows
/// only the time.
pub(super) fn cycle_clock(
    last: Option<(DateTime<Utc>, Instant)>,
    now: DateTime<Utc>,
    mono: Instant,
) -> Clock {
    let Some((wall, at)) = last else {
        return Clock::at(now);
    };
    let since_last = (now - wall).max(TimeDelta::zero());
    let watched = TimeDelta::from_std(mono.saturating_duration_since(at))
        .map_or(since_last, |w| w.min(since_last));
    // A minute of slack: a busy machine's cycle runs late.
    let unwatched = if since_last - watched > TimeDelta::minutes(1) {
        since_last - watched
    } else {
        TimeDelta::zero()
    };
    Clock {
        now,
        since_last,
        unwatched,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_cycle_clock_counts_no_suspend_and_no_clock_set_back() {
        use chrono::TimeZone;
        let t0 = Utc
            .with_ymd_and_hms(2026, 12, 7, 10, 0, 0)
            .single()
            .unwrap();
        let m0 = Instant::now();
        let first = cycle_clock(None, t0, m0);
        assert_eq!(first, Clock::at(t0), "the first cycle knows only the time");

        // An ordinary cycle: 30 s on both clocks (a late one too).
        let late = cycle_clock(
            Some((t0, m0)),
            t0 + TimeDelta::seconds(75),
            m0 + Duration::from_secs(30),
        );
        assert_eq!(late.since_last, TimeDelta::seconds(75));
        assert_eq!(
            late.unwatched,
            TimeDelta::zero(),
            "45 s late is a busy machine"
        );

        // The machine slept 9 hours: the wall clock moved, the monotonic did not.
        let woke = cycle_clock(
            Some((t0, m0)),
            t0 + TimeDelta::hours(9) + TimeDelta::seconds(30),
            m0 + Duration::from_secs(30),
        );
        assert_eq!(
            woke.since_last,
            TimeDelta::hours(9) + TimeDelta::seconds(30)
        );
        assert_eq!(woke.unwatched, TimeDelta::hours(9));

        // The clock was set back an hour: nothing passed.
        let back = cycle_clock(
            Some((t0, m0)),
            t0 - TimeDelta::hours(1),
            m0 + Duration::from_secs(30),
        );
        assert_eq!(back.since_last, TimeDelta::zero());
        assert_eq!(back.unwatched, TimeDelta::zero());
    }
}
