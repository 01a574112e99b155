//! The poller's loop: cycles when services are due, commands from the app
//! (poll now, pause, stop), and a wall clock that jumped (the machine slept).

use super::*;

/// A cycle that received at least this much (a first contact, a sweep)
/// built and dropped as much again; the heap's free pages are returned to
/// the system after it. A steady cycle receives a few KB.
const GIVE_BACK_AFTER_BYTES: u64 = 4 * 1024 * 1024;

/// Runs the loop until `Stop` (or the sender is dropped). Each report goes to
/// `publish` after its cycle is committed. A wall clock that jumped (the
/// machine slept) triggers an immediate poll of everything.
pub async fn run(
    tracker: &mut Poller,
    mut commands: mpsc::Receiver<Command>,
    mut publish: impl FnMut(&CycleReport, &mut Poller),
    mut on_error: impl FnMut(&StoreError),
) {
    let heartbeat = Duration::from_secs(5);
    let mut last_wall = Utc::now();
    let mut last_mono = Instant::now();
    let mut poll_all = true;
    let mut paused = false;
    let mut last_save = Instant::now();
    loop {
        if last_save.elapsed() >= Duration::from_secs(300) {
            if let Err(e) = tracker.save_client_states() {
                on_error(&e);
            }
            last_save = Instant::now();
        }
        if poll_all || !paused && tracker.next_due() <= Instant::now() {
            match tracker.cycle(poll_all).await {
                Ok(report) => {
                    publish(&report, tracker);
                    if report.bytes_received >= GIVE_BACK_AFTER_BYTES {
                        drop(report);
                        crate::memory::give_back();
                    }
                }
                Err(e) => on_error(&e),
            }
            poll_all = false;
        }
        let wait = tracker
            .next_due()
            .saturating_duration_since(Instant::now())
            .min(heartbeat);
        tokio::select! {
            cmd = commands.recv() => match cmd {
                Some(Command::PollNow) => poll_all = true,
                Some(Command::SetPaused(p)) => paused = p,
                Some(Command::Acknowledge(id)) => {
                    match tracker.acknowledge(id) {
                        Ok(_) => publish(&CycleReport { at: Utc::now(), ..CycleReport::default() }, tracker),
                        Err(e) => on_error(&e),
                    }
                }
                Some(Command::Stop) | None => {
                    if let Err(e) = tracker.save_client_states() {
                        on_error(&e);
                    }
                    return;
                }
            },
            _ = tokio::time::sleep(wait) => {}
        }
        // Resume from sleep: the monotonic clock stops while suspended on
        // some systems, the wall clock does not.
        let wall = Utc::now();
        let mono = Instant::now();
        let wall_elapsed = (wall - last_wall).to_std().unwrap_or_default();
        if wall_elapsed > mono.duration_since(last_mono) + Duration::from_secs(30) {
            poll_all = true;
        }
        last_wall = wall;
        last_mono = mono;
    }
}
