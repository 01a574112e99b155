//! Headless subcommands.

pub fn main() -> i32 {
    crate::app::run_gui()
}
