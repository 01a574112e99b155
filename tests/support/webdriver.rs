//! A small W3C WebDriver client over reqwest, enough to drive the app's real
//! webview through tauri-driver (WebKitWebDriver underneath).

#![allow(dead_code)]

use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub struct Session {
    http: reqwest::Client,
    base: String,
}

pub struct Element<'a> {
    s: &'a Session,
    id: String,
}

/// The key WebDriver uses for element references.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Session {
    /// Starts the app through the driver at `driver` (e.g. http://127.0.0.1:4444).
    pub async fn start(
        driver: &str,
        application: &str,
        env: &[(String, String)],
    ) -> Result<Session, String> {
        status_tracker_lib::services::install_tls_provider();
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        let caps = json!({
            "capabilities": {"alwaysMatch": {
                "browserName": "wry",
                "tauri:options": {"application": application, "args": [], "env": env.iter().cloned().collect::<std::collections::HashMap<_,_>>()},
            }}
        });
        let r: Value = http
            .post(format!("{driver}/session"))
            .json(&caps)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let id = r["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session: {r}"))?;
        Ok(Session {
            http,
            base: format!("{driver}/session/{id}"),
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r: Value = req
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        if r["value"]["error"].is_string() {
            return Err(format!("{path}: {}", r["value"]));
        }
        Ok(r["value"].clone())
    }

    pub async fn find(&self, css: &str) -> Result<Element<'_>, String> {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await?;
        let id = v[ELEMENT]
            .as_str()
            .ok_or_else(|| format!("no element for {css}: {v}"))?;
        Ok(Element {
            s: self,
            id: id.to_string(),
        })
    }

    pub async fn find_all(&self, css: &str) -> Result<Vec<Element<'_>>, String> {
        let v = self
            .call(
                reqwest::Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT].as_str())
                    .map(|id| Element {
                        s: self,
                        id: id.to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Waits until `css` matches an element.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element<'_>, String> {
        let start = Instant::now();
        loop {
            match self.find(css).await {
                Ok(e) => return Ok(e),
                Err(e) if start.elapsed() > timeout => {
                    return Err(format!("waited {timeout:?} for {css}: {e}"))
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
    }

    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value, String> {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    /// Runs an asynchronous script: it gets a callback as its last argument
    /// and the call returns what it is called with.
    pub async fn execute_async(&self, script: &str, args: Vec<Value>) -> Result<Value, String> {
        self.call(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    /// The text content of every element matching `css` (WebDriver's own
    /// "visible text" varies between drivers; the DOM text does not).
    pub async fn texts(&self, css: &str) -> Result<Vec<String>, String> {
        let v = self
            .execute(
                "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.textContent);",
                vec![json!(css)],
            )
            .await?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }

    pub async fn windows(&self) -> Result<Vec<String>, String> {
        let v = self
            .call(reqwest::Method::GET, "/window/handles", None)
            .await?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|h| h.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }

    pub async fn switch_to(&self, handle: &str) -> Result<(), String> {
        self.call(
            reqwest::Method::POST,
            "/window",
            Some(json!({"handle": handle})),
        )
        .await
        .map(|_| ())
    }

    pub async fn title(&self) -> Result<String, String> {
        Ok(self
            .call(reqwest::Method::GET, "/title", None)
            .await?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// Resizes the current window (WebDriver's Set Window Rect).
    pub async fn set_window_size(&self, width: u32, height: u32) -> Result<(), String> {
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await
        .map(|_| ())
    }

    /// A PNG screenshot of the current window.
    pub async fn screenshot(&self) -> Result<Vec<u8>, String> {
        let v = self.call(reqwest::Method::GET, "/screenshot", None).await?;
        let b64 = v.as_str().ok_or("no screenshot")?;
        decode_base64(b64)
    }

    pub async fn close(self) {
        let _ = self.http.delete(&self.base).send().await;
    }
}

impl Element<'_> {
    pub async fn text(&self) -> Result<String, String> {
        let v = self
            .s
            .call(
                reqwest::Method::GET,
                &format!("/element/{}/text", self.id),
                None,
            )
            .await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    pub async fn attr(&self, name: &str) -> Result<Option<String>, String> {
        let v = self
            .s
            .call(
                reqwest::Method::GET,
                &format!("/element/{}/attribute/{name}", self.id),
                None,
            )
            .await?;
        Ok(v.as_str().map(str::to_string))
    }

    pub async fn prop(&self, name: &str) -> Result<Value, String> {
        self.s
            .call(
                reqwest::Method::GET,
                &format!("/element/{}/property/{name}", self.id),
                None,
            )
            .await
    }

    pub async fn click(&self) -> Result<(), String> {
        self.s
            .call(
                reqwest::Method::POST,
                &format!("/element/{}/click", self.id),
                Some(json!({})),
            )
            .await
            .map(|_| ())
    }

    pub async fn send_keys(&self, text: &str) -> Result<(), String> {
        self.s
            .call(
                reqwest::Method::POST,
                &format!("/element/{}/value", self.id),
                Some(json!({"text": text})),
            )
            .await
            .map(|_| ())
    }

    pub async fn find(&self, css: &str) -> Result<Element<'_>, String> {
        let v = self
            .s
            .call(
                reqwest::Method::POST,
                &format!("/element/{}/element", self.id),
                Some(json!({"using": "css selector", "value": css})),
            )
            .await?;
        let id = v[ELEMENT]
            .as_str()
            .ok_or_else(|| format!("no element for {css}: {v}"))?;
        Ok(Element {
            s: self.s,
            id: id.to_string(),
        })
    }
}

fn decode_base64(s: &str) -> Result<Vec<u8>, String> {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut map = [255u8; 256];
    for (i, c) in T.iter().enumerate() {
        map[*c as usize] = i as u8;
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
        let v = map[c as usize];
        if v == 255 {
            return Err(format!("bad base64 byte {c}"));
        }
        buf = buf << 6 | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    Ok(out)
}
