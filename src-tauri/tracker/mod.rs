//! The pure domain: phases, correlation and reconcile. No I/O, no clock reads.

pub mod actions;
pub mod model;
pub mod notifications;
pub mod reconcile;
pub mod stats;

pub use model::*;
pub use notifications::{
    notifications_for, pending_notifications, stuck_notifications, NewNotification, NotifyPrefs,
};
pub use reconcile::{episode_counts, is_open, reasons, reconcile, wants, wants_after, Reconciler};
