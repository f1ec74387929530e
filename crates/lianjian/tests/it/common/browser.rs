//! Headless Chromium through chromedriver for the browser tests (Debian packages `chromium`
//! and `chromium-driver`, installed by `.ci/run`).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder, Locator};

pub fn chromedriver() -> Option<String> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|s| s.to_string())
}

/// The chromedriver to use, or None (the test is skipped) when it is not installed — which
/// fails under CI (`CI` set).
pub fn driver_or_skip() -> Option<Driver> {
    let Some(path) = chromedriver() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromedriver is required under CI"
        );
        eprintln!("skipped: chromedriver not installed (apt-get install chromium chromium-driver)");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Some(Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    })
}

/// A running chromedriver, stopped on drop.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Chromium window of `width` × `height`; `phone` emulates a touch screen of that size.
pub async fn session_sized(
    wd: &str,
    dir: &std::path::Path,
    name: &str,
    (width, height): (u32, u32),
    phone: bool,
) -> Client {
    let mut opts = serde_json::json!({
        "binary": "/usr/bin/chromium",
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--hide-scrollbars",
                 // Bootstrap scrolls smoothly and fades dialogs unless motion is reduced;
                 // WebDriver clicks where an element was before the scroll ended.
                 "--force-prefers-reduced-motion",
                 format!("--window-size={width},{height}"),
                 format!("--user-data-dir={}", dir.join(name).display())]
    });
    if phone {
        opts["mobileEmulation"] = serde_json::json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0, "touch": true}});
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), opts);
    // A prompt stays open until a test accepts or dismisses it: by default chromedriver would
    // dismiss it on the next command (`confirm` looks for the console's dialog between tries).
    caps.insert("unhandledPromptBehavior".into(), "ignore".into());
    for _ in 0..50 {
        if let Ok(c) = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(wd)
            .await
        {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("chromedriver session");
}

/// A Chromium session; `phone` emulates a 360-px-wide touch screen, else a 1280 × 900 desktop.
pub async fn session(wd: &str, dir: &std::path::Path, name: &str, phone: bool) -> Client {
    let size = if phone { (360, 740) } else { (1280, 900) };
    session_sized(wd, dir, name, size, phone).await
}

/// Signs in on the console's login page with the demo password.
pub async fn login(c: &Client, base: &str, user: &str) -> Result<(), CmdError> {
    c.goto(&format!("{base}/console/login")).await?;
    c.find(Locator::Id("username"))
        .await?
        .send_keys(user)
        .await?;
    c.find(Locator::Id("password"))
        .await?
        .send_keys(lianjian_services::demo::DEMO_PASSWORD)
        .await?;
    c.find(Locator::Css("button[type=submit]"))
        .await?
        .click()
        .await?;
    c.wait().for_element(Locator::Css("main h1")).await?;
    Ok(())
}

/// Signs out through the user menu in the console's header.
pub async fn logout(c: &Client) -> Result<(), CmdError> {
    c.find(Locator::Id("user-menu")).await?.click().await?;
    c.wait()
        .for_element(Locator::Css("form[action='/console/logout'] button"))
        .await?
        .click()
        .await?;
    Ok(())
}

/// The page's text; retried while the page is being replaced (a reload or a redirect).
pub async fn body(c: &Client) -> String {
    for _ in 0..50 {
        if let Ok(b) = c.find(Locator::Css("body")).await
            && let Ok(t) = b.text().await
        {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never settled");
}

/// Waits until the page's text contains `what`.
pub async fn wait_text(c: &Client, what: &str) -> String {
    for _ in 0..100 {
        let b = body(c).await;
        if b.contains(what) {
            return b;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("page never showed {what:?}:\n{}", body(c).await);
}

/// Confirms the question a destructive action asks once it appears: the console's
/// confirmation dialog (app.js, `data-confirm`) or the browser's own prompt.
pub async fn confirm(c: &Client) -> Result<(), CmdError> {
    for _ in 0..80 {
        if c.accept_alert().await.is_ok() {
            return Ok(());
        }
        if let Ok(ok) = c
            .find(Locator::Css("#confirm-modal.show [data-confirm-ok]"))
            .await
            && ok.is_displayed().await.unwrap_or(false)
        {
            // The dialog fades in; a click during the animation may land before it is ready.
            tokio::time::sleep(Duration::from_millis(300)).await;
            ok.click().await?;
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    c.accept_alert().await
}

/// Dismisses that question instead.
pub async fn dismiss(c: &Client) -> Result<(), CmdError> {
    for _ in 0..80 {
        if c.dismiss_alert().await.is_ok() {
            return Ok(());
        }
        if let Ok(no) = c
            .find(Locator::Css(
                "#confirm-modal.show [data-bs-dismiss=modal].btn",
            ))
            .await
            && no.is_displayed().await.unwrap_or(false)
        {
            tokio::time::sleep(Duration::from_millis(300)).await;
            no.click().await?;
            // Wait for the dialog to go away.
            for _ in 0..30 {
                if c.find(Locator::Css("#confirm-modal.show")).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    c.dismiss_alert().await
}

/// Posts to one of chromedriver's own commands of the session (`/session/{id}/<path>`, e.g.
/// `chromium/network_conditions` or `goog/cdp/execute`) and answers its value.
pub async fn driver_post(
    c: &Client,
    wd: &str,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let sid = c.session_id().await.unwrap().expect("a session");
    let r = reqwest::Client::new()
        .post(format!("{wd}/session/{sid}/{path}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: serde_json::Value = r.json().await.unwrap_or_default();
    assert!(status.is_success(), "{path}: {status}: {v}");
    v["value"].clone()
}

/// Where screenshots go: `target/screenshots/` (kept as test artifacts).
pub fn shots() -> std::path::PathBuf {
    let d = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("screenshots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The demo server, started in `dir`.
pub fn demo(dir: &std::path::Path) -> super::Running {
    super::start(&[
        "demo",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        dir.to_str().unwrap(),
    ])
}
