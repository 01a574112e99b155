//! Stuck by duration in the real webview (issue 18): a stalled download
//! shows its reason at once but needs attention only once its `[attention]`
//! threshold has passed; then the card is marked, its reason says for how
//! long, the timeline has one line for it, and it all goes by itself when
//! the download moves again. Settings shows the thresholds, saves them into
//! the config file and refuses a value out of range. With
//! `STATUS_TRACKER_SCREENSHOTS=DIR` it saves `stuck-card.png`,
//! `stuck-main.png`, `settings-attention.png` and
//! `settings-attention-narrow.png`.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use status_tracker_lib::sim::SimStack;

use super::actions::{card_shot, PAINTING, STOP_PAINTING};
use super::webdriver::Session;
use super::{assert_fits, launch, switch_to_new_window, until, webdriver_shot, write_config, CALL};

const OPPENHEIMER: u64 = 872585;
const ARRIVAL: u64 = 329865;
const STALLED: &str = "8888888888888888888888888888888888888888";
const MOVING: &str = "9999999999999999999999999999999999999999";
const STALLED_REASON: &str = "stalled in qBittorrent: no connection to peers";

/// How a card shows attention: the row's class, the ⚠ marker, the reason
/// in the warning colour, its group's pill and the header's count.
const CARD: &str = "const row = [...document.querySelectorAll('[data-request-id]')]
        .find((r) => r.querySelector('[data-testid=title]').textContent === arguments[0]);
    if (!row) return null;
    const reason = row.querySelector('[data-testid=reason]');
    const pill = row.closest('section').querySelector('.attn-pill');
    const count = document.querySelector('[data-testid=attention-count]');
    return {
        css: '[data-request-id=\"' + row.dataset.requestId + '\"]',
        id: Number(row.dataset.requestId),
        phase: row.dataset.phase,
        reason: reason ? reason.textContent : null,
        marked: row.classList.contains('attention'),
        marker: Boolean(row.querySelector('[data-testid=attention]')),
        ack: Boolean(row.querySelector('[data-testid=ack]')),
        warn: Boolean(reason && reason.classList.contains('warn')),
        pill: pill ? pill.textContent : null,
        count: count ? count.textContent : null,
    };";

async fn card(s: &Session, title: &str) -> Option<Value> {
    let v = s.execute(CARD, vec![json!(title)]).await.ok()?;
    (!v.is_null()).then_some(v)
}

/// Waits for the card titled `title` to satisfy `f`.
async fn card_when(
    s: &Session,
    title: &str,
    what: &str,
    timeout: Duration,
    f: impl Fn(&Value) -> bool,
) -> Value {
    until(&format!("{title}: {what}"), timeout, async || {
        card(s, title).await.filter(|c| f(c))
    })
    .await
}

/// The card itself is not marked (no class, ⚠, Acknowledge or warning).
fn row_calm(c: &Value) -> bool {
    c["marked"] == false && c["marker"] == false && c["ack"] == false && c["warn"] == false
}

/// Nothing is marked: neither the card, nor its group, nor the header
/// (the only one that could be is the stalled download).
fn calm(c: &Value) -> bool {
    row_calm(c) && c["pill"].is_null() && c["count"].is_null()
}

/// Marked in every one of them.
fn needs_attention(c: &Value) -> bool {
    c["marked"] == true
        && c["marker"] == true
        && c["ack"] == true
        && c["warn"] == true
        && c["pill"] == "⚠ 1"
        && c["count"] == "1 needs attention"
}

/// The reason of a stalled download stuck for at least a minute.
fn says_how_long(c: &Value) -> bool {
    c["reason"].as_str().is_some_and(|r| {
        r.strip_prefix("stalled for ")
            .and_then(|rest| rest.split_once(" in qBittorrent: no connection to peers"))
            .is_some_and(|(lasted, after)| after.is_empty() && lasted.ends_with(" min"))
    })
}

/// The timeline entries of request `id` whose text says it stalled for a
/// while, as the detail window gets them.
async fn stuck_lines(s: &Session, id: i64) -> Vec<String> {
    let answer = s
        .execute_async(CALL, vec![json!("request_detail"), json!({ "id": id })])
        .await
        .unwrap();
    let text = answer.as_str().unwrap_or_default();
    let detail: Value = serde_json::from_str(
        text.strip_prefix("answered: ")
            .unwrap_or_else(|| panic!("request_detail answered: {text}")),
    )
    .unwrap();
    detail["timeline"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| {
            e["kind"] == "reason"
                && e["evidence"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("stalled for "))
        })
        .map(|e| e["evidence"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, a D-Bus session and tauri-driver: tools/desktop-test.sh"]
async fn a_stalled_download_needs_attention_only_after_its_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let stack = SimStack::start().await.unwrap();
    let w = stack.world();
    w.add_movie(OPPENHEIMER, "Oppenheimer", 2023, false);
    w.add_movie(ARRIVAL, "Arrival", 2016, false);
    // Oppenheimer's torrent is stalled at 23 %; Arrival's downloads.
    let oppenheimer = w.request_movie(OPPENHEIMER, "carol").unwrap();
    w.approve(oppenheimer).unwrap();
    w.grab_movie(
        OPPENHEIMER,
        STALLED,
        "Oppenheimer.2023.1080p.BluRay",
        9_000_000_000,
    )
    .unwrap();
    w.set_progress(STALLED, 0.23, 0).unwrap();
    w.set_torrent_state(STALLED, "stalledDL").unwrap();
    let arrival = w.request_movie(ARRIVAL, "alice").unwrap();
    w.approve(arrival).unwrap();
    w.grab_movie(ARRIVAL, MOVING, "Arrival.2016.1080p.WEB-DL", 6_000_000_000)
        .unwrap();
    w.set_progress(MOVING, 0.61, 11_000_000).unwrap();

    // A stall needs attention after a minute here (an hour by default).
    let config = write_config(dir.path(), &stack);
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[attention]\nstalled_minutes = 1\n");
    std::fs::write(&config, text).unwrap();
    let (_driver, s) = launch(dir.path(), &config, 4460, &[], &[]).await;
    let main = s.windows().await.unwrap().remove(0);

    // At first: the service's words, and nothing marked.
    let first = card_when(&s, "Oppenheimer", "stalled", Duration::from_secs(40), |c| {
        c["reason"] == STALLED_REASON
    })
    .await;
    let seen = Instant::now();
    assert_eq!(first["phase"], "DOWNLOADING", "{first}");
    assert!(calm(&first), "a fresh stall is not marked: {first}");
    // Still not, well into the minute.
    tokio::time::sleep(Duration::from_secs(40)).await;
    let later = card(&s, "Oppenheimer").await.unwrap();
    assert!(
        calm(&later) && later["reason"] == STALLED_REASON,
        "40 s into a one-minute threshold, still calm: {later}"
    );

    // Past the threshold: marked, and the reason says for how long.
    let stuck = card_when(
        &s,
        "Oppenheimer",
        "attention after a minute",
        Duration::from_secs(100),
        needs_attention,
    )
    .await;
    let waited = seen.elapsed();
    assert!(
        waited >= Duration::from_secs(50),
        "attention came after the threshold, not before ({waited:?} after the stall was shown)"
    );
    assert!(
        says_how_long(&stuck),
        "the reason says for how long: {stuck}"
    );
    assert_eq!(stuck["phase"], "DOWNLOADING", "the phase stays: {stuck}");
    let arrival_card = card(&s, "Arrival").await.unwrap();
    assert!(
        row_calm(&arrival_card) && arrival_card["reason"].is_null(),
        "a download that moves is left alone: {arrival_card}"
    );
    assert_fits(
        &s,
        "the stuck card",
        ".row, .row-main, .row-side, [data-testid=reason], .attn-marker, .ack, .row-actions",
    )
    .await;
    card_shot(
        &s,
        stuck["css"].as_str().unwrap(),
        "stuck-card.png",
        dir.path(),
    )
    .await;
    s.execute(PAINTING, vec![]).await.unwrap();
    webdriver_shot(&s, "stuck-main.png", dir.path()).await;
    s.execute(STOP_PAINTING, vec![]).await.unwrap();

    // The detail window's timeline has one line for it.
    let id = stuck["id"].as_i64().unwrap();
    until(
        "a click on Oppenheimer's title",
        Duration::from_secs(10),
        async || {
            s.find(&format!(
                "{} [data-testid=title]",
                stuck["css"].as_str().unwrap()
            ))
            .await
            .ok()?
            .click()
            .await
            .ok()
        },
    )
    .await;
    let detail = switch_to_new_window(&s, "the detail window", &[&main]).await;
    let rows = until(
        "the stuck line on the timeline",
        Duration::from_secs(15),
        async || {
            let rows = s
                .texts("[data-testid=timeline-row][data-kind=reason]")
                .await
                .ok()?;
            rows.iter()
                .any(|r| r.contains("stalled for "))
                .then_some(rows)
        },
    )
    .await;
    assert_eq!(
        rows.iter().filter(|r| r.contains("stalled for ")).count(),
        1,
        "one line on the timeline: {rows:?}"
    );
    let lines = stuck_lines(&s, id).await;
    assert!(
        lines.len() == 1 && lines[0].ends_with(" in qBittorrent: no connection to peers"),
        "request_detail has the one stuck line: {lines:?}"
    );

    // The download moves again: the attention goes by itself.
    s.switch_to(&main).await.unwrap();
    w.set_torrent_state(STALLED, "downloading").unwrap();
    w.set_progress(STALLED, 0.25, 7_000_000).unwrap();
    let moving = card_when(
        &s,
        "Oppenheimer",
        "the attention gone",
        Duration::from_secs(30),
        |c| calm(c) && c["reason"].is_null(),
    )
    .await;
    assert_eq!(moving["phase"], "DOWNLOADING", "{moving}");
    // And stays gone, with still one line on the timeline.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = card(&s, "Oppenheimer").await.unwrap();
    assert!(calm(&after), "no attention comes back: {after}");
    s.switch_to(&detail).await.unwrap();
    assert_eq!(
        stuck_lines(&s, id).await,
        lines,
        "moving on adds no stuck line"
    );
    s.switch_to(&main).await.unwrap();
    s.close().await;
    stack.shutdown().await;
}

/// The Settings window's attention inputs, its notification boxes and what
/// the save said.
const PREFS: &str =
    "const value = (k) => document.querySelector('[data-testid=attention-' + k + ']').value;
    const checked = (k) => document.querySelector('[data-testid=notify-' + k + ']').checked;
    return {
        attention: [value('not_in_arr_minutes'), value('no_release_hours'),
            value('stalled_minutes'), value('not_imported_minutes')],
        no_release: checked('no_release'),
        stuck: checked('stuck'),
        result: document.querySelector('[data-testid=result-prefs]').textContent,
    };";

async fn prefs(s: &Session) -> Value {
    s.execute(PREFS, vec![]).await.unwrap()
}

/// [`CALL`], with the error as JSON (`{ code, message }`).
const CALL_JSON: &str = "const done = arguments[arguments.length - 1];
window.__TAURI__.core.invoke(arguments[0], arguments[1])
    .then((v) => done('answered: ' + JSON.stringify(v)), (e) => done('refused: ' + JSON.stringify(e)));";

/// Types `value` into the attention input `key` (emptied first).
async fn type_attention(s: &Session, key: &str, value: &str) {
    let css = format!("[data-testid=attention-{key}]");
    s.execute(
        "document.querySelector(arguments[0]).value = ''; return 1;",
        vec![json!(css)],
    )
    .await
    .unwrap();
    s.find(&css).await.unwrap().send_keys(value).await.unwrap();
}

/// Clicks Save and waits for what it says (other than "Saving…").
async fn save(s: &Session) -> String {
    s.execute(
        "document.querySelector('[data-testid=result-prefs]').textContent = ''; return 1;",
        vec![],
    )
    .await
    .unwrap();
    s.find("[data-testid=save-prefs]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until("the save's result", Duration::from_secs(20), async || {
        let r = prefs(s).await["result"].as_str()?.to_string();
        (!r.is_empty() && r != "Saving…").then_some(r)
    })
    .await
}

/// Everything of the preferences stays inside the window.
async fn assert_prefs_fit(s: &Session, when: &str) {
    assert_fits(
        s,
        when,
        "#prefs, .prefs-grid, .prefs-grid label, .prefs-grid input, .unit, .hint, .checks, .checks label, .actions-row, .result",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, a D-Bus session and tauri-driver: tools/desktop-test.sh"]
async fn the_attention_thresholds_are_saved_from_settings() {
    let dir = tempfile::tempdir().unwrap();
    let stack = SimStack::start().await.unwrap();
    let config = write_config(dir.path(), &stack);
    let (_driver, s) = launch(dir.path(), &config, 4462, &[], &[]).await;
    let main = s.windows().await.unwrap().remove(0);
    until("the Settings button", Duration::from_secs(30), async || {
        s.find("[data-testid=settings]")
            .await
            .ok()?
            .click()
            .await
            .ok()
    })
    .await;
    switch_to_new_window(&s, "the settings window", &[&main]).await;
    s.wait_for(
        "[data-testid=attention-stalled_minutes]",
        Duration::from_secs(15),
    )
    .await
    .unwrap();

    // The defaults; "no release" is not notified unless asked.
    let v = prefs(&s).await;
    assert_eq!(
        v["attention"],
        json!(["10", "24", "60", "60"]),
        "the default thresholds: {v}"
    );
    assert_eq!(
        (&v["no_release"], &v["stuck"]),
        (&json!(false), &json!(true)),
        "{v}"
    );
    assert_prefs_fit(&s, "the settings window").await;

    // 90 minutes for a stall, and "no release" notified.
    type_attention(&s, "stalled_minutes", "90").await;
    s.find("[data-testid=notify-no_release]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let said = save(&s).await;
    assert_eq!(said, "✓ Saved");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains("stalled_minutes = 90") && text.contains("no_release = true"),
        "written to the config file:\n{text}"
    );
    assert!(
        !text.contains("not_in_arr_minutes") && !text.contains("no_release_hours"),
        "the defaults are not written:\n{text}"
    );
    let parsed = status_tracker_lib::config::load(&config).unwrap();
    assert_eq!(parsed.attention.stalled_minutes, 90);
    assert_eq!(parsed.attention.not_imported_minutes, 60);
    assert!(parsed.notifications.no_release);
    assert_prefs_fit(&s, "the settings window, saved").await;
    s.execute(
        "document.getElementById('prefs').scrollIntoView(); return 1;",
        vec![],
    )
    .await
    .unwrap();
    card_shot(&s, "#prefs", "settings-attention.png", dir.path()).await;

    // 0 is refused, in words, and the file stays as it was.
    type_attention(&s, "stalled_minutes", "0").await;
    let said = save(&s).await;
    assert_eq!(
        said, "Download stalled: enter whole minutes between 1 and 10080.",
        "the form says what it expects"
    );
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        text,
        "a refused value is not written"
    );
    // The command itself refuses it too (as a script in the window would send it).
    let answer = s
        .execute_async(
            CALL_JSON,
            vec![
                json!("save_preferences"),
                json!({ "prefs": { "attention": {
                    "not_in_arr_minutes": 10, "no_release_hours": 24,
                    "stalled_minutes": 0, "not_imported_minutes": 60,
                } } }),
            ],
        )
        .await
        .unwrap();
    let answer = answer.as_str().unwrap_or_default();
    assert!(
        answer.starts_with("refused: {\"code\":\"config\"")
            && answer.contains("attention.stalled_minutes: expected a whole number of minutes from 1 to 10080, not 0"),
        "save_preferences refuses 0: {answer}"
    );
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        text,
        "nor by the command"
    );

    // The narrowest window the app allows.
    s.set_window_size(420, 760).await.unwrap();
    until("the narrow window", Duration::from_secs(10), async || {
        let width = s
            .execute("return document.documentElement.clientWidth;", vec![])
            .await
            .ok()?;
        (width.as_u64()? <= 420).then_some(())
    })
    .await;
    assert_prefs_fit(&s, "the settings window at 420 px").await;
    s.execute(
        "const h = [...document.querySelectorAll('#prefs h2')]
            .find((h) => h.textContent === 'Needs attention after');
        h.scrollIntoView(); return 1;",
        vec![],
    )
    .await
    .unwrap();
    s.execute(PAINTING, vec![]).await.unwrap();
    webdriver_shot(&s, "settings-attention-narrow.png", dir.path()).await;
    s.execute(STOP_PAINTING, vec![]).await.unwrap();
    s.switch_to(&main).await.unwrap();
    s.close().await;
    stack.shutdown().await;
}
