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
    // The login page has a heading too: wait until the browser has left it, or a `goto`
    // right after could be overtaken by the login's own redirect to the home page.
    for _ in 0..200 {
        if !c.current_url().await?.path().starts_with("/console/login") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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

/// The axe-core accessibility engine (`tests/ui/package-lock.json`), installed with `npm ci`
/// into the target folder the first time a test asks for it (like `crates/http/build.rs` does
/// for the UI toolkit): nothing copied into the repository, nothing loaded from the internet by
/// the pages. `LIANJIAN_TEST_NODE_MODULES` may name an installed `node_modules` instead.
pub fn axe_source() -> &'static str {
    static SRC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SRC.get_or_init(|| {
        let modules = match std::env::var_os("LIANJIAN_TEST_NODE_MODULES") {
            Some(d) => std::path::PathBuf::from(d),
            None => install_test_packages(),
        };
        let f = modules.join("axe-core/axe.min.js");
        std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()))
    })
}

fn install_test_packages() -> std::path::PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui");
    let lock = std::fs::read(manifest.join("package-lock.json")).expect("tests/ui lockfile");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-ui");
    let stamp = dir.join("installed-lock.json");
    if std::fs::read(&stamp).ok().as_deref() == Some(&lock[..]) && dir.join("node_modules").is_dir()
    {
        return dir.join("node_modules");
    }
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(manifest.join("package.json"), dir.join("package.json")).unwrap();
    std::fs::write(dir.join("package-lock.json"), &lock).unwrap();
    let status = Command::new("npm")
        .args([
            "ci",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--prefer-offline",
        ])
        .current_dir(&dir)
        .status()
        .unwrap_or_else(|e| panic!("the accessibility check needs npm: {e}"));
    assert!(status.success(), "`npm ci` in tests/ui failed: {status}");
    std::fs::write(&stamp, &lock).unwrap();
    dir.join("node_modules")
}

/// The axe-core rules run on every page: names and labels of fields, buttons, links and
/// images; colour contrast (WCAG 2 AA); keyboard access (no positive tabindex, scrollable
/// regions reachable, no focusable element hidden from assistive technology or nested in
/// another control).
pub const AXE_RULES: &[&str] = &[
    "label",
    "select-name",
    "aria-input-field-name",
    "button-name",
    "input-button-name",
    "link-name",
    "image-alt",
    "color-contrast",
    "tabindex",
    "scrollable-region-focusable",
    "aria-hidden-focus",
    "nested-interactive",
    "frame-focusable-content",
];

/// Runs [`AXE_RULES`] on the current page and answers each violation as
/// "rule: the element (the reason)", at most five elements per rule.
pub async fn axe(c: &Client) -> Vec<String> {
    axe_in(c, "document").await
}

/// [`axe`] on the part of the page `context` (a JavaScript expression) selects.
pub async fn axe_in(c: &Client, context: &str) -> Vec<String> {
    let loaded = c
        .execute(
            &format!(
                "if (!window.axe) {{ {} }}\nreturn typeof window.axe;",
                axe_source()
            ),
            vec![],
        )
        .await
        .expect("axe-core injected");
    assert_eq!(loaded, serde_json::json!("object"), "axe-core loaded");
    let script = format!(
        r#"var done = arguments[arguments.length - 1];
axe.run({context}, {{runOnly: {{type: 'rule', values: {}}}, resultTypes: ['violations']}}).then(function (r) {{
  var out = [];
  r.violations.forEach(function (v) {{
    v.nodes.slice(0, 5).forEach(function (n) {{
      out.push(v.id + ': ' + n.target.join(' ') + ' (' + (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 200) + ')');
    }});
    if (v.nodes.length > 5) {{ out.push(v.id + ': … ' + (v.nodes.length - 5) + ' more'); }}
  }});
  done(out);
}}, function (e) {{ done(['axe failed: ' + e]); }});"#,
        serde_json::to_string(AXE_RULES).unwrap(),
    );
    let v = c.execute_async(&script, vec![]).await.expect("axe ran");
    serde_json::from_value(v).expect("a list of violations")
}
