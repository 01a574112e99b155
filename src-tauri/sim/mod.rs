//! The simulated media stack.
