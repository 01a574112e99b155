//! The pure domain: phases, correlation and reconcile. No I/O, no clock reads.

pub mod model;

pub use model::*;
