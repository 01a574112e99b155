//! Follow-up passes inside one cycle.
//!
//! What one service answers decides what another must be asked: Radarr's
//! and Sonarr's imported files are what Shoko is asked about, and the AniDB
//! ids Shoko matches are how Jellyfin's Shokofin series (which carry no TVDB
//! id) are found, with their episodes. The cycle asks every service at once
//! with what the records wanted when it began. When its answers make the
//! records want more of Shoko or Jellyfin (first contact with a library, a
//! new anime import), those two are asked again, for the grown wants only,
//! before anything is reconciled for good: a request is shown in its right
//! phase in its first cycle, not after two or three, and no false phase lands
//! on its timeline in between.

use std::collections::HashSet;
use std::hash::Hash;

use crate::tracker::{self, Records, RequestRecord, Wants};

/// At most this many follow-ups per cycle: Shoko after the *arrs, then
/// Jellyfin after Shoko.
pub(super) const MAX_PASSES: usize = 2;

/// What a follow-up asks: the wants of the records as this pass left them,
/// and which of the two dependent services they ask more of.
#[derive(Debug)]
pub(super) struct More {
    pub wants: Wants,
    pub shoko: bool,
    pub jellyfin: bool,
}

/// Is there anything in `next` that `asked` lacked?
fn grew<T: Eq + Hash>(asked: &[T], next: &[T]) -> bool {
    if next.is_empty() {
        return false;
    }
    let asked: HashSet<&T> = asked.iter().collect();
    next.iter().any(|x| !asked.contains(x))
}

/// The follow-up this pass calls for, or None when the records, with
/// `changed` merged, want nothing of Shoko or Jellyfin beyond `asked`.
pub(super) fn more(asked: &Wants, records: &Records, changed: &[RequestRecord]) -> Option<More> {
    if changed.is_empty() {
        return None;
    }
    let next = tracker::wants_after(records, changed);
    let shoko = grew(&asked.shoko_paths, &next.shoko_paths);
    let jellyfin = grew(&asked.anidb_ids, &next.anidb_ids)
        || grew(&asked.jellyfin_series_ids, &next.jellyfin_series_ids);
    (shoko || jellyfin).then_some(More {
        wants: merged(asked, next),
        shoko,
        jellyfin,
    })
}

/// `next`, with what `asked` held that the records do not (this cycle's
/// Jellyseerr requests not yet in a record, say) kept.
fn merged(asked: &Wants, mut next: Wants) -> Wants {
    fn union<T: Ord + Clone>(into: &mut Vec<T>, from: &[T]) {
        into.extend_from_slice(from);
        into.sort_unstable();
        into.dedup();
    }
    union(&mut next.movie_tmdb_ids, &asked.movie_tmdb_ids);
    union(&mut next.series_tvdb_ids, &asked.series_tvdb_ids);
    union(&mut next.jellyfin_item_ids, &asked.jellyfin_item_ids);
    next.downloading |= asked.downloading;
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grew_is_only_about_new_members() {
        assert!(!grew::<i64>(&[1, 2], &[]));
        assert!(!grew(&[1, 2, 3], &[3, 1]));
        assert!(grew(&[1, 2], &[2, 4]));
        assert!(grew(&[], &[7]));
    }

    #[test]
    fn merged_keeps_what_was_asked() {
        let asked = Wants {
            movie_tmdb_ids: vec![1, 5],
            series_tvdb_ids: vec![9],
            downloading: true,
            ..Wants::default()
        };
        let next = Wants {
            movie_tmdb_ids: vec![5, 7],
            shoko_paths: vec!["/a.mkv".into()],
            ..Wants::default()
        };
        let m = merged(&asked, next);
        assert_eq!(m.movie_tmdb_ids, vec![1, 5, 7]);
        assert_eq!(m.series_tvdb_ids, vec![9]);
        assert_eq!(m.shoko_paths, vec!["/a.mkv".to_string()]);
        assert!(m.downloading);
    }

    #[test]
    fn nothing_changed_asks_nothing() {
        assert!(more(&Wants::default(), &Records::new(), &[]).is_none());
    }
}
