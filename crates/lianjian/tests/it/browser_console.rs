//! Browser test of issue 13: a county coordination-office user walks the console's main pages
//! on a 1366 × 768 desktop and on a 360 × 740 phone. Every page must fit the screen (no
//! horizontal scrolling of the page), keep its header on one line, open its menu from the
//! toggle on the phone, and pass a basic accessibility check (every field labelled, every
//! image described, every button named). Screenshots go to `target/screenshots/`.

use crate::common;
use crate::common::browser::{driver_or_skip, login, session_sized};

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

async fn problems(c: &Client) -> Vec<String> {
    let v = c.execute(CHECKS, vec![]).await.expect("checks ran");
    serde_json::from_value(v).expect("a list of sentences")
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
