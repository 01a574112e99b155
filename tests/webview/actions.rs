//! The cards' buttons in the real webview: Approve and Decline on a
//! REQUESTED card, "Search again" and "Blocklist and search" on a FAILED or
//! stalled one; a click sends once (the buttons wait disabled while it is in
//! flight), Blocklist asks first, and a refusal is shown on the card in the
//! service's words. Each call is checked in the simulator's log of acting
//! calls. With `STATUS_TRACKER_SCREENSHOTS=DIR` the cards are saved as
//! `actions-*.png`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};
use status_tracker_lib::sim::{ActCall, FailureMode, Service, SimStack, SIM_RADARR_API_KEY};

use super::webdriver::Session;
use super::{assert_fits, launch, until, webdriver_shot, write_config, CALL};

const DUNE: u64 = 693134;
const ARRIVAL: u64 = 329865;
const OPPENHEIMER: u64 = 872585;
const INCEPTION: u64 = 27205;
const STALLED: &str = "3333333333333333333333333333333333333333";
const FAILED: &str = "4444444444444444444444444444444444444444";
const GOOD: &str = "5555555555555555555555555555555555555555";

/// A card as drawn: its title, phase, buttons and refusal.
#[derive(Debug, Clone)]
struct Card {
    /// The row's `data-request-id` (the tracker's id).
    row: String,
    title: String,
    phase: String,
    reason: String,
    /// `(data-action, text, disabled)` of each button, in order.
    buttons: Vec<(String, String, bool)>,
    error: Option<String>,
}

impl Card {
    fn button_texts(&self) -> Vec<&str> {
        self.buttons.iter().map(|(_, t, _)| t.as_str()).collect()
    }

    /// The CSS selector of one of its buttons.
    fn button(&self, action: &str) -> String {
        format!(
            "[data-request-id=\"{}\"] [data-testid=act-{action}]",
            self.row
        )
    }

    fn css(&self) -> String {
        format!("[data-request-id=\"{}\"]", self.row)
    }
}

const CARDS: &str = "return [...document.querySelectorAll('[data-request-id]')].map((row) => ({
    row: row.dataset.requestId,
    title: row.querySelector('[data-testid=title]').textContent,
    phase: row.dataset.phase,
    reason: (row.querySelector('[data-testid=reason]') || {}).textContent || '',
    buttons: [...row.querySelectorAll('.row-actions button')]
        .map((b) => [b.dataset.action, b.textContent, b.disabled]),
    error: (row.querySelector('[data-testid=action-error]') || {}).textContent || null,
}));";

async fn cards(s: &Session) -> Vec<Card> {
    let v = s.execute(CARDS, vec![]).await.unwrap();
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    v.as_array()
        .into_iter()
        .flatten()
        .map(|c| Card {
            row: text(&c["row"]),
            title: text(&c["title"]),
            phase: text(&c["phase"]),
            reason: text(&c["reason"]),
            buttons: c["buttons"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|b| (text(&b[0]), text(&b[1]), b[2] == json!(true)))
                .collect(),
            error: c["error"].as_str().map(str::to_string),
        })
        .collect()
}

/// Waits for the card titled `title` to satisfy `f`.
async fn card_when(s: &Session, title: &str, what: &str, f: impl Fn(&Card) -> bool) -> Card {
    until(
        &format!("{title}: {what}"),
        Duration::from_secs(30),
        async || {
            cards(s)
                .await
                .into_iter()
                .find(|c| c.title == title)
                .filter(|c| f(c))
        },
    )
    .await
}

/// Clicks the element `css` as a user does (the list is drawn again after
/// every cycle, so an element found may be gone by the click: find again).
async fn click(s: &Session, css: &str) {
    until(
        &format!("a click on {css}"),
        Duration::from_secs(10),
        async || s.find(css).await.ok()?.click().await.ok(),
    )
    .await;
}

/// The acting calls received so far.
fn acts(stack: &SimStack) -> Vec<ActCall> {
    stack.world().acts()
}

/// Every element of the cards' actions stays inside its card and the window.
const INSIDE_CARD: &str = "const out = [];
    for (const el of document.querySelectorAll('.row-actions, .row-actions button, [data-testid=action-error]')) {
        const row = el.closest('[data-request-id]').getBoundingClientRect();
        const r = el.getBoundingClientRect();
        if (r.left < row.left - 0.5 || r.right > row.right + 0.5 || r.top < row.top - 0.5 || r.bottom > row.bottom + 0.5) {
            out.push((el.dataset.testid || el.className) + ' sticks out of its card: ' + JSON.stringify([r.left, r.top, r.right, r.bottom]) + ' in ' + JSON.stringify([row.left, row.top, row.right, row.bottom]));
        }
    }
    return out;";

/// The titles shown cut short (each of this test's fits on a line).
const CUT_TITLES: &str =
    "return [...document.querySelectorAll('[data-request-id] [data-testid=title]')]
    .filter((t) => t.scrollWidth > t.clientWidth + 1)
    .map((t) => t.textContent + ': ' + t.clientWidth + 'px of ' + t.scrollWidth);";

async fn assert_actions_fit(s: &Session, when: &str) {
    let v = s.execute(INSIDE_CARD, vec![]).await.unwrap();
    assert_eq!(v, json!([]), "{when}: the buttons stay inside their cards");
    assert_fits(
        s,
        when,
        ".row-side, .row-actions, .row-actions button, [data-testid=action-error]",
    )
    .await;
}

/// WebKitWebDriver takes a screenshot at the page's next repaint: with
/// polling paused nothing repaints and the command hangs (30 s, measured;
/// 0.2 s with this). A 1-pixel, all but transparent square in the window's
/// corner changes every 100 ms while `PAINTING` runs.
pub(super) const PAINTING: &str = "let d = document.getElementById('test-repaint');
    if (!d) {
        d = document.createElement('div');
        d.id = 'test-repaint';
        d.style.cssText = 'position:fixed;right:0;bottom:0;width:1px;height:1px;pointer-events:none;background:#888;opacity:0.01';
        document.body.append(d);
        d.dataset.timer = String(setInterval(() => {
            d.style.opacity = d.style.opacity === '0.01' ? '0.02' : '0.01';
        }, 100));
    }
    return 1;";
pub(super) const STOP_PAINTING: &str = "const d = document.getElementById('test-repaint');
    if (d) { clearInterval(Number(d.dataset.timer)); d.remove(); }
    return 1;";

/// Saves a screenshot of one element (a card, say) to
/// `$STATUS_TRACKER_SCREENSHOTS` (else `fallback`).
pub(super) async fn card_shot(s: &Session, css: &str, name: &str, fallback: &Path) {
    tokio::time::sleep(Duration::from_millis(500)).await;
    s.execute(PAINTING, vec![]).await.unwrap();
    let png = until(
        &format!("a screenshot of {css}"),
        Duration::from_secs(10),
        async || {
            let shot = match s.find(css).await {
                Ok(el) => el.screenshot().await,
                Err(e) => Err(e),
            };
            shot.map_err(|e| eprintln!("{name}: {e}")).ok()
        },
    )
    .await;
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 2_000,
        "{name}: the screenshot is a PNG of a drawn card ({} bytes)",
        png.len()
    );
    let dir = std::env::var_os("STATUS_TRACKER_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| fallback.to_path_buf());
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), &png).unwrap();
    s.execute(STOP_PAINTING, vec![]).await.unwrap();
}

/// Radarr's queue id of the download `hash`.
async fn radarr_queue_id(stack: &SimStack, hash: &str) -> i64 {
    status_tracker_lib::services::install_tls_provider();
    let queue: Value = reqwest::Client::new()
        .get(format!("{}/api/v3/queue/details", stack.urls().radarr))
        .header("X-Api-Key", SIM_RADARR_API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    queue
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| {
            r["downloadId"]
                .as_str()
                .is_some_and(|d| d.eq_ignore_ascii_case(hash))
        })
        .and_then(|r| r["id"].as_i64())
        .unwrap_or_else(|| panic!("Radarr's queue has {hash}: {queue}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, a D-Bus session and tauri-driver: tools/desktop-test.sh"]
async fn the_cards_buttons_act_once_ask_before_blocklisting_and_show_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let stack = SimStack::start().await.unwrap();
    let w = stack.world();
    // Searches find nothing until the blocklist below wants a new release.
    w.set_search_grabs(false);
    w.add_movie(DUNE, "Dune: Part Two", 2024, false);
    w.add_movie(ARRIVAL, "Arrival", 2016, false);
    w.add_movie(OPPENHEIMER, "Oppenheimer", 2023, false);
    w.add_movie(INCEPTION, "Inception", 2010, false);
    let dune = w.request_movie(DUNE, "alice").unwrap();
    let arrival = w.request_movie(ARRIVAL, "bob").unwrap();
    // Oppenheimer's download is stalled in qBittorrent.
    let oppenheimer = w.request_movie(OPPENHEIMER, "carol").unwrap();
    w.approve(oppenheimer).unwrap();
    w.grab_movie(
        OPPENHEIMER,
        STALLED,
        "Oppenheimer.2023.1080p.STALLED",
        9_000_000_000,
    )
    .unwrap();
    w.set_progress(STALLED, 0.23, 0).unwrap();
    w.set_torrent_state(STALLED, "stalledDL").unwrap();
    // Inception's failed (Radarr has not removed it from the queue yet).
    let inception = w.request_movie(INCEPTION, "dave").unwrap();
    w.approve(inception).unwrap();
    w.grab_movie(INCEPTION, FAILED, "Inception.2010.1080p.BAD", 2_000_000_000)
        .unwrap();
    w.download_failed(FAILED, "The download is stalled with no connections")
        .unwrap();

    let config = write_config(dir.path(), &stack);
    let (_driver, s) = launch(dir.path(), &config, 4454, &[], &[]).await;
    let main = s.windows().await.unwrap().remove(0);

    // Each card offers what can be done in its phase.
    let dune_card = card_when(&s, "Dune: Part Two", "REQUESTED", |c| {
        c.phase == "REQUESTED"
    })
    .await;
    assert_eq!(
        dune_card.button_texts(),
        ["Approve", "Decline"],
        "a REQUESTED card has Approve and Decline"
    );
    let arrival_card = card_when(&s, "Arrival", "REQUESTED", |c| c.phase == "REQUESTED").await;
    let stalled = card_when(&s, "Oppenheimer", "stalled", |c| {
        c.phase == "DOWNLOADING" && c.reason.contains("stalled")
    })
    .await;
    assert_eq!(
        stalled.button_texts(),
        ["Search again", "Blocklist and search"],
        "a stalled card has Search again and Blocklist and search"
    );
    let failed = card_when(&s, "Inception", "FAILED", |c| c.phase == "FAILED").await;
    assert_eq!(
        failed.button_texts(),
        ["Search again", "Blocklist and search"],
        "a FAILED card with a download has Search again and Blocklist and search"
    );
    assert!(acts(&stack).is_empty(), "drawing the cards sends nothing");
    assert_actions_fit(&s, "the cards with their buttons").await;
    card_shot(&s, &dune_card.css(), "actions-requested.png", dir.path()).await;

    // Blocklist: the first click only asks.
    let queue_id = radarr_queue_id(&stack, STALLED).await;
    click(&s, &stalled.button("blocklist")).await;
    let asking = card_when(&s, "Oppenheimer", "the confirmation", |c| {
        c.button_texts() == ["Search again", "Confirm: blocklist this release?"]
    })
    .await;
    assert_eq!(
        s.windows().await.unwrap(),
        [main],
        "a button is not a click on the card (no detail window)"
    );
    // Cycles go by (the list is drawn again each second): still asking, nothing sent.
    tokio::time::sleep(Duration::from_secs(3)).await;
    card_when(&s, "Oppenheimer", "still asking", |c| {
        c.button_texts() == ["Search again", "Confirm: blocklist this release?"]
    })
    .await;
    assert!(
        acts(&stack).is_empty(),
        "the first click on Blocklist sends nothing: {:?}",
        acts(&stack)
    );
    assert_actions_fit(&s, "the confirmation").await;
    card_shot(&s, &asking.css(), "actions-confirm.png", dir.path()).await;
    webdriver_shot(&s, "actions-main.png", dir.path()).await;

    // The second click blocklists: one DELETE, and Radarr grabs another release.
    w.set_search_grabs(true);
    click(&s, &stalled.button("blocklist")).await;
    until(
        "the blocklist to reach Radarr",
        Duration::from_secs(20),
        async || (!acts(&stack).is_empty()).then_some(()),
    )
    .await;
    let moved_on = card_when(&s, "Oppenheimer", "a new download", |c| {
        !c.reason.contains("stalled") && c.buttons.is_empty()
    })
    .await;
    w.set_search_grabs(false);
    let calls = acts(&stack);
    assert_eq!(
        calls.len(),
        1,
        "exactly one call for the blocklist: {calls:#?}"
    );
    let call = &calls[0];
    assert_eq!(
        (call.service, call.method.as_str(), call.path.as_str()),
        (
            Service::Radarr,
            "DELETE",
            format!("/api/v3/queue/{queue_id}").as_str()
        ),
        "the stalled download's queue record is removed"
    );
    let query = call.query.clone().unwrap_or_default();
    assert!(
        query.split('&').any(|p| p == "blocklist=true") && !query.contains("skipRedownload=true"),
        "blocklisted, and Radarr searches again: {query}"
    );
    assert_eq!(call.status, 200);
    assert_eq!(
        w.blocklisted(Service::Radarr),
        ["Oppenheimer.2023.1080p.STALLED"]
    );
    assert!(
        ["GRABBING", "DOWNLOADING"].contains(&moved_on.phase.as_str()),
        "Oppenheimer follows the new release: {moved_on:?}"
    );
    w.clear_acts();

    // Approve: sent once; while it is in flight (Jellyseerr answers slowly)
    // the buttons wait disabled and a second click does nothing.
    w.set_mode(Service::Jellyseerr, FailureMode::Slow(1500));
    click(&s, &dune_card.button("approve")).await;
    let in_flight = card_when(&s, "Dune: Part Two", "the buttons disabled", |c| {
        !c.buttons.is_empty() && c.buttons.iter().all(|(_, _, disabled)| *disabled)
    })
    .await;
    assert_eq!(
        in_flight.button_texts(),
        ["Approve…", "Decline"],
        "the button says its action is under way"
    );
    // The second click: on the disabled button, and through the command
    // itself (as another window or the notification would).
    if let Ok(button) = s.find(&dune_card.button("approve")).await {
        let _ = button.click().await;
    }
    let again = s
        .execute_async(
            CALL,
            vec![
                json!("act"),
                json!({"jellyseerr_request_id": dune, "action": "approve", "expected_phase": "REQUESTED"}),
            ],
        )
        .await
        .unwrap();
    let again = again.as_str().unwrap_or_default();
    assert!(
        again.starts_with("answered:") && again.contains("\"ignored\":true"),
        "a second approve while the first is in flight is ignored: {again}"
    );
    until(
        "the approval to reach Jellyseerr",
        Duration::from_secs(20),
        async || (!acts(&stack).is_empty()).then_some(()),
    )
    .await;
    w.set_mode(Service::Jellyseerr, FailureMode::Up);
    let approved = card_when(&s, "Dune: Part Two", "out of REQUESTED", |c| {
        c.phase != "REQUESTED"
    })
    .await;
    assert_eq!(
        approved.phase, "APPROVED",
        "the next poll shows what Jellyseerr made of it"
    );
    assert!(
        approved.buttons.is_empty() && approved.error.is_none(),
        "{approved:?}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let calls: Vec<(Service, String, String, u16)> = acts(&stack)
        .into_iter()
        .map(|c| (c.service, c.method, c.path, c.status))
        .collect();
    assert_eq!(
        calls,
        [(
            Service::Jellyseerr,
            "POST".to_string(),
            format!("/api/v1/request/{dune}/approve"),
            200
        )],
        "one click, one approval"
    );
    w.clear_acts();

    // Refusals, with polling paused so that the cards stay as drawn while
    // the services change under them.
    click(&s, "[data-testid=pause]").await;
    until("polling paused", Duration::from_secs(10), async || {
        let t = s.texts("[data-testid=pause]").await.ok()?;
        (t == ["Resume"]).then_some(())
    })
    .await;
    // Arrival's request is deleted in Jellyseerr: it answers 404.
    w.delete_request(arrival).unwrap();
    click(&s, &arrival_card.button("approve")).await;
    // (The refusal comes twice: the action-done event, then the command's
    // answer, which gives the buttons back.)
    let refused = card_when(&s, "Arrival", "the refusal, buttons back", |c| {
        c.error.is_some() && c.buttons.iter().all(|(_, _, disabled)| !disabled)
    })
    .await;
    let words = refused.error.clone().unwrap();
    assert!(
        words.contains("Request not found."),
        "Jellyseerr's words are on the card: {words}"
    );
    assert_eq!(
        refused.phase, "REQUESTED",
        "a refusal leaves the phase alone"
    );
    assert_eq!(
        refused.button_texts(),
        ["Approve", "Decline"],
        "the buttons come back after a refusal"
    );
    // Radarr imported another release of Inception: nothing to search.
    w.grab_movie(INCEPTION, GOOD, "Inception.2010.1080p.GOOD", 2_000_000_000)
        .unwrap();
    w.complete_download(GOOD).unwrap();
    w.import(GOOD).unwrap();
    click(&s, &failed.button("search")).await;
    let no_search = card_when(&s, "Inception", "the refusal, buttons back", |c| {
        c.error.is_some() && c.buttons.iter().all(|(_, _, disabled)| !disabled)
    })
    .await;
    let words = no_search.error.clone().unwrap();
    assert!(
        words.contains("Radarr already has a file of Inception"),
        "why nothing was searched is on the card: {words}"
    );
    assert!(
        acts(&stack).is_empty(),
        "a refused action sends nothing: {:?}",
        acts(&stack)
    );
    assert_actions_fit(&s, "the refusals").await;
    card_shot(&s, &refused.css(), "actions-refused.png", dir.path()).await;
    card_shot(
        &s,
        &no_search.css(),
        "actions-refused-search.png",
        dir.path(),
    )
    .await;

    // The narrowest window the app allows: the buttons and the services'
    // words still fit in their cards.
    s.set_window_size(420, 720).await.unwrap();
    until("the narrow window", Duration::from_secs(10), async || {
        let width = s
            .execute("return document.documentElement.clientWidth;", vec![])
            .await
            .ok()?;
        (width.as_u64()? <= 420).then_some(())
    })
    .await;
    assert_actions_fit(&s, "the narrowest window").await;
    let cut = s.execute(CUT_TITLES, vec![]).await.unwrap();
    assert_eq!(
        cut,
        json!([]),
        "the buttons leave the titles room in the narrowest window"
    );
    s.execute(PAINTING, vec![]).await.unwrap();
    webdriver_shot(&s, "actions-narrow.png", dir.path()).await;
    s.execute(STOP_PAINTING, vec![]).await.unwrap();
    s.close().await;
    stack.shutdown().await;
}
