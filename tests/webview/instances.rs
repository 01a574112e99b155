//! Settings adds, tests and removes a second Radarr (issue 17) in the real
//! webview: the single `[radarr]` becomes the instance `main` (its keyring
//! credential moves to `radarr.main`), the new `radarr.4k` follows 4K
//! requests with its key in the keyring, and removing it leaves `main`.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use status_tracker_lib::sim::{
    config_toml, sim_env, SimStack, SimUrls, SIM_RADARR_4K_API_KEY, SIM_RADARR_API_KEY,
};

use super::webdriver::Session;
use super::{assert_fits, keyring, launch, switch_to_new_window, until, webdriver_shot};

/// The element `data-testid="<id>"` (instance names hold a dot).
fn tid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

async fn click(s: &Session, id: &str) {
    until(
        &format!("a click on {id}"),
        Duration::from_secs(10),
        async || s.find(&tid(id)).await.ok()?.click().await.ok(),
    )
    .await;
}

async fn type_into(s: &Session, id: &str, text: &str) {
    let el = s.wait_for(&tid(id), Duration::from_secs(10)).await.unwrap();
    el.send_keys(text).await.unwrap();
}

/// Waits for the result line `id` to say something, and returns it.
async fn result(s: &Session, id: &str, what: &str) -> String {
    until(what, Duration::from_secs(30), async || {
        let t = s.texts(&tid(id)).await.ok()?;
        t.into_iter()
            .find(|t| !t.trim().is_empty() && !t.ends_with('…'))
    })
    .await
}

/// The Radarr cards' names, in order.
async fn radarr_cards(s: &Session) -> Vec<String> {
    let v = s
        .execute(
            "return [...document.querySelectorAll('form.service')].map((f) => f.dataset.service)\
             .filter((n) => n === 'radarr' || n.startsWith('radarr.'));",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(v).unwrap_or_default()
}

fn keyring_has(account: &'static str) -> Option<String> {
    keyring::within_limit("keyring_get", move || {
        status_tracker_lib::secrets::keyring_get(account)
    })
    .unwrap()
    .map(|s| s.expose().to_string())
}

/// `check --json` with the keyring's credentials for Radarr: each Radarr's
/// `ok`, by name.
fn check_radarrs(config: &Path) -> Vec<(String, bool)> {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_status-tracker"));
    cmd.arg("--config").arg(config).args(["check", "--json"]);
    for (k, v) in sim_env() {
        if !k.starts_with("STATUS_TRACKER_RADARR") {
            cmd.env(k, v);
        }
    }
    let out = cmd.output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("check --json: {e}: {out:?}"));
    v["services"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["name"].as_str().is_some_and(|n| n.starts_with("radarr")))
        .map(|s| {
            (
                s["name"].as_str().unwrap_or_default().to_string(),
                s["ok"] == true,
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, a D-Bus session and tauri-driver: tools/desktop-test.sh"]
async fn settings_adds_tests_and_removes_a_second_radarr_instance() {
    let dir = tempfile::tempdir().unwrap();
    let _keyring = keyring::SecretService::start();
    let stack = SimStack::start_4k().await.unwrap();
    let uhd_url = stack.urls().radarr_4k.clone().unwrap();
    // The user's file has the single [radarr] (and [sonarr]), its key in the
    // keyring as the Settings window stored it.
    let single = SimUrls {
        radarr_4k: None,
        sonarr_4k: None,
        ..stack.urls().clone()
    };
    let config = dir.path().join("config.toml");
    std::fs::write(&config, config_toml(&single)).unwrap();
    keyring::store("radarr", SIM_RADARR_API_KEY);
    let (_driver, s) = launch(
        dir.path(),
        &config,
        4464,
        &[],
        &["STATUS_TRACKER_RADARR_API_KEY"],
    )
    .await;
    let main = s.windows().await.unwrap().remove(0);
    click(&s, "settings").await;
    switch_to_new_window(&s, "the settings window", &[&main]).await;
    s.wait_for(&tid("add-instance-radarr"), Duration::from_secs(15))
        .await
        .unwrap();
    assert_eq!(radarr_cards(&s).await, ["radarr"]);

    // A bad name is refused where it was typed.
    type_into(&s, "instance-name-radarr", "4K UHD").await;
    click(&s, "add-instance-radarr").await;
    let refused = result(&s, "result-add-radarr", "the name refused").await;
    assert!(refused.contains("a-z, 0-9"), "{refused}");
    assert_eq!(radarr_cards(&s).await, ["radarr"]);

    // "4k": a new card, following 4K requests.
    s.execute(
        "document.querySelector('[data-testid=\"instance-name-radarr\"]').value = ''; return 1;",
        vec![],
    )
    .await
    .unwrap();
    type_into(&s, "instance-name-radarr", "4k").await;
    click(&s, "add-instance-radarr").await;
    until("the new card", Duration::from_secs(10), async || {
        (radarr_cards(&s).await == ["radarr", "radarr.4k"]).then_some(())
    })
    .await;
    let is4k = s.find(&tid("is4k-radarr.4k")).await.unwrap();
    assert_eq!(is4k.prop("checked").await.unwrap(), json!(true));
    type_into(&s, "url-radarr.4k", &uhd_url).await;
    type_into(&s, "secret-radarr.4k", SIM_RADARR_API_KEY).await;
    // Test with the wrong key (the HD one), then the right one.
    click(&s, "test-radarr.4k").await;
    let wrong = result(&s, "result-radarr.4k", "the test with a wrong key").await;
    assert!(
        wrong.starts_with('✗'),
        "the HD key is not the 4K one: {wrong}"
    );
    s.execute(
        "document.querySelector('[data-testid=\"secret-radarr.4k\"]').value = ''; \
         document.querySelector('[data-testid=\"result-radarr.4k\"]').textContent = ''; return 1;",
        vec![],
    )
    .await
    .unwrap();
    type_into(&s, "secret-radarr.4k", SIM_RADARR_4K_API_KEY).await;
    click(&s, "test-radarr.4k").await;
    let ok = result(&s, "result-radarr.4k", "the test").await;
    assert!(ok.starts_with("✓ Connected"), "{ok}");
    assert_eq!(keyring_has("radarr.4k"), None, "a test stores nothing");

    // Save: the single one becomes radarr.main, its credential with it.
    click(&s, "save-radarr.4k").await;
    until(
        "the cards after saving",
        Duration::from_secs(30),
        async || (radarr_cards(&s).await == ["radarr.main", "radarr.4k"]).then_some(()),
    )
    .await;
    let saved = result(&s, "result-radarr.4k", "the save result").await;
    assert_eq!(saved, "✓ Saved");
    let text = std::fs::read_to_string(&config).unwrap();
    for line in [
        "[[radarr]]",
        "name = \"main\"",
        "name = \"4k\"",
        "is_4k = true",
    ] {
        assert!(text.contains(line), "{line} in:\n{text}");
    }
    assert!(!text.contains(SIM_RADARR_4K_API_KEY), "no key in the file");
    assert_eq!(
        keyring_has("radarr.4k").as_deref(),
        Some(SIM_RADARR_4K_API_KEY)
    );
    assert_eq!(
        keyring_has("radarr.main").as_deref(),
        Some(SIM_RADARR_API_KEY)
    );
    assert_eq!(keyring_has("radarr"), None, "moved, not copied");
    let c = config.clone();
    let checked = tokio::task::spawn_blocking(move || check_radarrs(&c))
        .await
        .unwrap();
    assert_eq!(
        checked,
        [
            ("radarr.main".to_string(), true),
            ("radarr.4k".to_string(), true)
        ],
        "both instances reach their Radarr with their own keys"
    );
    assert_fits(
        &s,
        "settings with two Radarrs",
        "form.service, .add-instance",
    )
    .await;
    s.execute(
        "document.querySelector('form[data-service=\"radarr.main\"]').scrollIntoView(); return 1;",
        vec![],
    )
    .await
    .unwrap();
    webdriver_shot(&s, "settings-instances.png", dir.path()).await;

    // Remove it (two clicks): main stays, the 4K key leaves the keyring.
    click(&s, "remove-radarr.4k").await;
    click(&s, "remove-radarr.4k").await;
    until("the 4K card gone", Duration::from_secs(30), async || {
        (radarr_cards(&s).await == ["radarr.main"]).then_some(())
    })
    .await;
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(!text.contains("name = \"4k\""), "{text}");
    assert!(text.contains("name = \"main\""), "{text}");
    assert_eq!(keyring_has("radarr.4k"), None);
    s.close().await;
    stack.shutdown().await;
}
