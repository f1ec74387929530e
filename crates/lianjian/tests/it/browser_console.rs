//! Browser test of issue 13: a county coordination-office user walks the console's main pages
//! on a 1366 × 768 desktop and on a 360 × 740 phone. Every page must fit the screen (no
//! horizontal scrolling of the page), keep its header on one line, open its menu from the
//! toggle on the phone, and pass the accessibility check: a hand-written one (every field
//! labelled, every image described, every button named, a skip link) and axe-core's rules for
//! names and labels, colour contrast and keyboard access (`common::browser::axe`), which also
//! runs on the portal's pages. No page may trip its Content-Security-Policy (an inline style or
//! script the policy drops). A deliberately broken page proves the check can fail.
//! Screenshots go to `target/screenshots/`.

use crate::common;
use crate::common::browser::{axe, axe_in, driver_or_skip, driver_post, login, session_sized};

use std::time::Duration;

use fantoccini::{Client, Locator};

/// The pages walked (path, file name of its screenshot).
const PAGES: &[(&str, &str)] = &[
    ("/console", "home"),
    ("/console/items", "items"),
    ("/console/directory", "directory"),
    ("/console/tags", "tags"),
    ("/console/claims", "claims"),
    ("/console/plans", "plans"),
    ("/console/plans/annual?year=2026", "plans-annual"),
    ("/console/draws", "draws"),
    ("/console/draws/new", "draw-new"),
    ("/console/inspectors", "inspectors"),
    ("/console/visits", "visits"),
    ("/console/results", "results"),
    ("/console/rectifications", "rectifications"),
    ("/console/users", "users"),
    ("/console/departments", "departments"),
    ("/console/calendar", "calendar"),
    ("/console/import", "import"),
    ("/console/audit", "audit"),
    ("/console/account", "account"),
    ("/console/settings", "settings"),
    // Detail pages: the first row's link on the list.
    ("first:/console/plans", "plan-detail"),
    ("first:/console/items", "item-detail"),
    ("first:/console/directory", "entity-detail"),
    ("first:/console/inspectors", "inspector-detail"),
    ("first:/console/users", "user-detail"),
];

/// What the page's layout and markup break, as sentences (empty when nothing).
const CHECKS: &str = r##"
const out = [];
const de = document.documentElement;
if (de.scrollWidth > window.innerWidth) {
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && getComputedStyle(e).position !== 'fixed')
    .filter(e => !e.closest('.table-responsive, .offcanvas-lg:not(.show)'))
    .slice(0, 5).map(e => e.tagName + '.' + e.className);
  out.push('page scrolls sideways: ' + de.scrollWidth + ' > ' + window.innerWidth + ' ' + wide.join(', '));
}
const header = document.querySelector('header.navbar');
if (!header) { out.push('no header'); }
else if (header.getBoundingClientRect().height > 64) { out.push('header is ' + header.getBoundingClientRect().height + ' px high'); }
for (const el of document.querySelectorAll('input, select, textarea')) {
  if (el.type === 'hidden') { continue; }
  const named = (el.labels && el.labels.length > 0) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
  if (!named) { out.push('unlabelled ' + el.tagName + ' name=' + el.name + ' id=' + el.id); }
}
for (const img of document.querySelectorAll('img')) {
  if (!img.hasAttribute('alt')) { out.push('image without alt: ' + img.src); }
}
for (const b of document.querySelectorAll('button, input[type=submit], input[type=button], a.btn')) {
  const text = (b.textContent || b.value || '').trim() || b.getAttribute('aria-label') || b.getAttribute('title');
  if (!text) { out.push('button without a name: ' + b.outerHTML.slice(0, 120)); }
}
for (const a of document.querySelectorAll('a[href]')) {
  if (!(a.textContent.trim() || a.getAttribute('aria-label') || a.querySelector('img[alt]'))) { out.push('link without text: ' + a.outerHTML.slice(0, 120)); }
}
if (!document.querySelector('a[href="#main"]') || !document.getElementById('main')) { out.push('no skip link to #main'); }
return out;
"##;

/// The portal's pages (path, file name of its screenshot), checked with axe-core.
const PORTAL_PAGES: &[(&str, &str)] = &[
    ("/", "home"),
    ("/items", "items"),
    ("/plans", "plans"),
    ("/draws", "draws"),
    ("/results", "results"),
    ("/clues/new", "clue-new"),
    ("/clues/track", "clue-track"),
];

/// Records, in every page the session opens from now on, what its Content-Security-Policy
/// blocks (`window.__csp`), from the first byte of the page on.
async fn watch_csp(c: &Client, wd: &str) {
    driver_post(
        c,
        wd,
        "goog/cdp/execute",
        serde_json::json!({"cmd": "Page.addScriptToEvaluateOnNewDocument", "params": {"source":
            "window.__csp = []; document.addEventListener('securitypolicyviolation', function (e) { window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || '')); });"}}),
    )
    .await;
}

async fn problems(c: &Client) -> Vec<String> {
    let v = c.execute(CHECKS, vec![]).await.expect("checks ran");
    let mut out: Vec<String> = serde_json::from_value(v).expect("a list of sentences");
    out.extend(blocked(c).await);
    out.extend(axe(c).await);
    out
}

/// What the page's policy blocked, as sentences.
async fn blocked(c: &Client) -> Vec<String> {
    let v = c
        .execute(
            "return window.__csp || ['CSP watch not installed'];",
            vec![],
        )
        .await
        .expect("csp read");
    let v: Vec<String> = serde_json::from_value(v).expect("strings");
    v.into_iter()
        .map(|b| format!("blocked by the CSP: {b}"))
        .collect()
}

/// The check fails on a page that breaks it: a field without a label, grey-on-white text, a
/// positive tabindex, and an inline style the policy drops.
#[tokio::test]
async fn the_accessibility_check_can_fail() {
    let Some(drv) = driver_or_skip() else {
        return;
    };
    let dir = common::temp_dir("browser-a11y-broken");
    let app = crate::common::browser::demo(&dir);
    let c = session_sized(&drv.url, &dir, "chrome-broken", (1366, 768), false).await;
    watch_csp(&c, &drv.url).await;
    // Served by the real server (so under its policy): an unknown page answers the portal's
    // 404 page, into which the test writes the broken markup.
    c.goto(&format!("{}/no-such-page", app.base)).await.unwrap();
    c.execute(
        r#"var d = document.createElement('div'); d.id = 'broken';
d.innerHTML = '<input id="nameless" type="text"><p id="faint">几乎看不清的说明文字</p><div id="jump" tabindex="3">插队的焦点</div>';
document.body.appendChild(d);
var f = document.getElementById('faint'); f.style.color = '#c8c8c8'; f.style.background = '#fff';
var i = document.createElement('div'); i.setAttribute('style', 'color:red'); document.body.appendChild(i);"#,
        vec![],
    )
    .await
    .unwrap();
    let found = axe_in(&c, "document.getElementById('broken')").await;
    for rule in [
        "label: #nameless",
        "color-contrast: #faint",
        "tabindex: #jump",
    ] {
        assert!(
            found.iter().any(|f| f.starts_with(rule)),
            "{rule} not reported: {found:?}"
        );
    }
    // The policy blocks inline styles, and the watch reports it.
    let csp = blocked(&c).await;
    assert!(
        csp.iter().any(|b| b.contains("style-src")),
        "no style-src violation reported: {csp:?}"
    );
    c.close().await.unwrap();
    drop(drv);
}

async fn walk(
    c: &Client,
    base: &str,
    size: &str,
    shots: &std::path::Path,
    phone: bool,
) -> Vec<String> {
    let mut found = Vec::new();
    for (path, name) in PAGES {
        if let Some(list) = path.strip_prefix("first:") {
            c.goto(&format!("{base}{list}")).await.expect("list");
            let href = c
                .find(Locator::Css(&format!("main table a[href^='{list}/']")))
                .await
                .unwrap_or_else(|e| panic!("{list}: no row to open ({e})"))
                .attr("href")
                .await
                .unwrap()
                .expect("href");
            c.goto(&format!("{base}{href}")).await.expect("detail");
        } else {
            c.goto(&format!("{base}{path}")).await.expect("page");
        }
        c.wait()
            .for_element(Locator::Css("main h1"))
            .await
            .unwrap_or_else(|e| panic!("{path}: no heading ({e})"));
        // Let the fonts and Bootstrap settle before measuring.
        tokio::time::sleep(Duration::from_millis(150)).await;
        for p in problems(c).await {
            found.push(format!("{size} {path}: {p}"));
        }
        std::fs::write(
            shots.join(format!("console-{size}-{name}.png")),
            c.screenshot().await.unwrap(),
        )
        .unwrap();
        if phone {
            // The side menu is hidden behind the toggle on phones, and opens from it.
            let side = c.find(Locator::Id("side")).await.expect("side menu");
            assert!(
                !side.is_displayed().await.unwrap(),
                "{path}: menu shown before the toggle"
            );
            c.find(Locator::Css("header .navbar-toggler"))
                .await
                .expect("menu toggle")
                .click()
                .await
                .expect("toggle");
            let link = c
                .wait()
                .for_element(Locator::Css("#side.show a[href='/console/plans']"))
                .await
                .unwrap_or_else(|e| panic!("{path}: the menu did not open ({e})"));
            tokio::time::sleep(Duration::from_millis(400)).await;
            assert!(
                link.is_displayed().await.unwrap(),
                "{path}: menu link not visible"
            );
            if *name == "home" {
                std::fs::write(
                    shots.join(format!("console-{size}-menu.png")),
                    c.screenshot().await.unwrap(),
                )
                .unwrap();
            }
        } else {
            let side = c.find(Locator::Id("side")).await.expect("side menu");
            assert!(
                side.is_displayed().await.unwrap(),
                "{path}: no side column on the desktop"
            );
            let toggle = c
                .find(Locator::Css("header .navbar-toggler"))
                .await
                .unwrap();
            assert!(
                !toggle.is_displayed().await.unwrap(),
                "{path}: menu toggle on the desktop"
            );
        }
    }
    found
}

#[tokio::test]
async fn console_pages_fit_desktop_and_phone_and_are_labelled() {
    let Some(drv) = driver_or_skip() else {
        return;
    };
    let dir = common::temp_dir("browser-console");
    let app = crate::common::browser::demo(&dir);
    let shots = crate::common::browser::shots();
    let mut found = Vec::new();
    for (size, dims, phone) in [("1366", (1366, 768), false), ("360", (360, 740), true)] {
        let c = session_sized(&drv.url, &dir, &format!("chrome-{size}"), dims, phone).await;
        watch_csp(&c, &drv.url).await;
        for (path, name) in PORTAL_PAGES {
            c.goto(&format!("{}{path}", app.base))
                .await
                .expect("portal");
            c.wait()
                .for_element(Locator::Css("main h1, h1"))
                .await
                .unwrap_or_else(|e| panic!("{path}: no heading ({e})"));
            tokio::time::sleep(Duration::from_millis(150)).await;
            for p in blocked(&c).await.into_iter().chain(axe(&c).await) {
                found.push(format!("{size} portal {path}: {p}"));
            }
            std::fs::write(
                shots.join(format!("portal-{size}-{name}.png")),
                c.screenshot().await.unwrap(),
            )
            .unwrap();
        }
        login(&c, &app.base, "wy.office").await.expect("login");
        // The demo's draw, with its figure cards.
        c.goto(&format!("{}/console/draws", app.base))
            .await
            .unwrap();
        c.find(Locator::LinkText("CQ-411121-2026-001"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.wait()
            .for_element(Locator::Css(".cards .big"))
            .await
            .expect("figure cards");
        let cards = c.find_all(Locator::Css(".cards > .card")).await.unwrap();
        let (mut tops, mut widths) = (Vec::new(), Vec::new());
        for k in &cards {
            let r = k.rectangle().await.unwrap();
            tops.push(r.1);
            widths.push(r.2);
        }
        if !phone {
            // One row of figures on the desktop, not boxes stacked down the page.
            assert!(
                tops.iter().all(|t| (*t - tops[0]).abs() < 1.0),
                "figure cards in one row: {tops:?}"
            );
        }
        assert!(
            widths.iter().all(|w| *w >= 120.0),
            "figure cards are cards: {widths:?}"
        );
        for p in problems(&c).await {
            found.push(format!("{size} draw: {p}"));
        }
        let figures = c.find(Locator::Css(".cards")).await.unwrap();
        c.execute(
            "arguments[0].scrollIntoView({block:'center'})",
            vec![serde_json::to_value(&figures).unwrap()],
        )
        .await
        .unwrap();
        std::fs::write(
            shots.join(format!("console-{size}-draw.png")),
            c.screenshot().await.unwrap(),
        )
        .unwrap();
        found.extend(walk(&c, &app.base, size, &shots, phone).await);
        // Status badges in the annual plan table stay on one line at 1366 px.
        if !phone {
            c.goto(&format!("{}/console/plans/annual?year=2026", app.base))
                .await
                .unwrap();
            for tag in c
                .find_all(Locator::Css("main table .tag, main table .badge"))
                .await
                .unwrap()
            {
                let h = tag.rectangle().await.unwrap().3;
                assert!(
                    h < 30.0,
                    "a status tag wraps ({h} px high): {}",
                    tag.text().await.unwrap()
                );
            }
        }
        c.close().await.unwrap();
    }
    drop(drv);
    assert!(
        found.is_empty(),
        "{} problems:\n{}",
        found.len(),
        found.join("\n")
    );
}
