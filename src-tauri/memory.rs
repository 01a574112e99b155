//! The allocator's settings and its giving memory back, for glibc (Linux).
//! Elsewhere both are no-ops.
//!
//! glibc's malloc serves a block of 128 KB or more from its own mapping and
//! unmaps it when it is freed, but it raises that threshold each time such a
//! block is freed (up to 32 MB). After the first large answer (a page of
//! Jellyfin items, qBittorrent's full listing, Radarr's whole library) every
//! later one is served from the heap, where it leaves a hole the process
//! keeps: at 10,000 requests that was ~7 MB of peak RSS. [`tune`] pins the
//! threshold; [`give_back`] returns the free pages inside the heap after a
//! cycle, so the memory a first contact needed does not stay with the tray
//! app for the rest of its life.

/// Pins the mmap threshold at glibc's default (128 KB). Call once, first.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a malloc parameter; it is called before
    // any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Returns the heap's free pages to the system (after a poll cycle).
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes the allocator's own lock; it frees nothing
    // that is in use.
    unsafe {
        libc::malloc_trim(0);
    }
}
