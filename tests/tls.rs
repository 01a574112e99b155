//! HTTPS service URLs are verified; a homelab CA is trusted only when the
//! user names it (`ca_file`); there is no "accept invalid certificates".
//! A local HTTPS server (openssl s_server) with its own CA covers both paths.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use status_tracker_lib::config::ServiceConfig;
use status_tracker_lib::secrets::Secret;
use status_tracker_lib::services::radarr::RadarrClient;
use status_tracker_lib::services::{ErrorKind, HttpStats};

struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl (Debian package openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, and a server certificate for 127.0.0.1 signed by it.
fn make_pki(dir: &Path) {
    std::fs::write(
        dir.join("ca.ext"),
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=Homelab Test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ],
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn client(port: u16, ca: Option<&Path>) -> RadarrClient {
    let cfg = ServiceConfig {
        name: "radarr".into(),
        instance: None,
        is_4k: false,
        url: format!("https://127.0.0.1:{port}").parse().unwrap(),
        username: None,
        timeout: Duration::from_secs(5),
        ca_file: ca.map(Path::to_path_buf),
    };
    RadarrClient::new(&cfg, Secret::new("key"), HttpStats::new()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_is_verified_and_a_homelab_ca_is_trusted_only_when_named() {
    let dir = tempfile::tempdir().unwrap();
    make_pki(dir.path());
    // s_server -WWW serves files relative to its working directory.
    let www = dir.path().join("www");
    std::fs::create_dir_all(www.join("api/v3/system")).unwrap();
    std::fs::write(
        www.join("api/v3/system/status"),
        r#"{"appName":"Radarr","instanceName":"Radarr","version":"5.2.6.8376"}"#,
    )
    .unwrap();
    let port = free_port();
    let _server = Proc(
        Command::new("openssl")
            .args([
                "s_server",
                "-quiet",
                "-WWW",
                "-accept",
                &format!("127.0.0.1:{port}"),
            ])
            .arg("-cert")
            .arg(dir.path().join("server.pem"))
            .arg("-key")
            .arg(dir.path().join("server.key"))
            .current_dir(&www)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let err = client(port, None)
        .test_connection()
        .await
        .expect_err("a certificate from an unknown CA is refused");
    assert_eq!(err.kind, ErrorKind::Tls, "{}", err.message);
    assert!(
        err.message.contains("ca_file"),
        "the message says how to trust a homelab CA: {}",
        err.message
    );

    let info = client(port, Some(&dir.path().join("ca.pem")))
        .test_connection()
        .await
        .expect("with its CA named, the service is trusted");
    assert_eq!(info.version.as_deref(), Some("5.2.6.8376"));
}

#[test]
fn nothing_accepts_invalid_certificates() {
    fn scan(dir: &Path, hits: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                scan(&p, hits);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                for needle in [
                    "danger_accept_invalid_certs",
                    "danger_accept_invalid_hostnames",
                    "dangerous()",
                ] {
                    if text.contains(needle) {
                        hits.push(format!("{}: {needle}", p.display()));
                    }
                }
            }
        }
    }
    let mut hits = Vec::new();
    scan(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri"),
        &mut hits,
    );
    assert!(
        hits.is_empty(),
        "no silent 'accept invalid certificates': {hits:?}"
    );
}
