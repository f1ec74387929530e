//! Browser test of issue 13 item 4: every printed notice (检查通知书, 责令整改通知书, 抄告函,
//! 涉嫌犯罪案件移送书) rendered by Chromium as an A4 PDF — the console's chrome hidden in print,
//! nothing wider than the sheet, the entity's notice on a sheet of its own, a bounded page count.
//! The PDFs are written to `target/screenshots/` as test artifacts.

use crate::common;
use common::browser::{driver_or_skip, driver_post, login, session_sized};

use fantoccini::wd::{PrintConfiguration, PrintMargins, PrintSize};
use fantoccini::{Client, Locator};

/// Switches the page's CSS media type (`print` or back to the screen's) through DevTools.
async fn emulate_media(c: &Client, wd: &str, media: &str) {
    driver_post(
        c,
        wd,
        "goog/cdp/execute",
        serde_json::json!({"cmd": "Emulation.setEmulatedMedia", "params": {"media": media}}),
    )
    .await;
}

/// Posts a console form of the current page by `fetch` (its CSRF and once tokens, the given
/// fields), following the redirect; answers the final path.
async fn post_form(c: &Client, action_suffix: &str, fields: serde_json::Value) -> String {
    let js = r#"
        const [suffix, fields, done] = arguments;
        const f = [...document.querySelectorAll('form')].find(f => f.getAttribute('action').endsWith(suffix));
        const body = new URLSearchParams(new FormData(f));
        for (const [k, v] of Object.entries(fields)) body.set(k, v);
        fetch(f.getAttribute('action'), {method: 'POST', body}).then(r => done(new URL(r.url).pathname));
    "#;
    c.execute_async(js, vec![action_suffix.into(), fields])
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

/// The first record linked from a console list (`/console/<what>/<uuid>`).
async fn first_link(c: &Client, list: &str, what: &str) -> String {
    c.goto(list).await.unwrap();
    c.execute(
        r#"const re = new RegExp('^/console/' + arguments[0] + '/[0-9a-f-]{36}$');
           return [...document.querySelectorAll('a')].map(a => a.getAttribute('href')).find(h => re.test(h));"#,
        vec![what.into()],
    )
    .await
    .unwrap()
    .as_str()
    .unwrap_or_else(|| panic!("no record in {list}"))
    .to_string()
}

/// The number of pages of a PDF Chromium wrote (its page objects are not compressed).
fn pages(pdf: &[u8]) -> usize {
    let s = String::from_utf8_lossy(pdf);
    s.matches("/Type /Page").count() - s.matches("/Type /Pages").count()
}

/// Checks the current page as printed and writes its PDF; answers the number of pages.
async fn print_check(c: &Client, wd: &str, name: &str) -> usize {
    emulate_media(c, wd, "print").await;
    let v = c
        .execute(
            r#"const hidden = s => [...document.querySelectorAll(s)].every(e => e.offsetParent === null);
               const doc = document.querySelector('.doc, body');
               return {chrome: hidden('header, nav, .no-print, .noprint, .navbar'),
                       fits: document.documentElement.scrollWidth <= window.innerWidth + 1
                             && doc.scrollWidth <= doc.clientWidth + 1,
                       remedies: !!document.querySelector('[data-remedies]')};"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        v["chrome"], true,
        "{name}: the console's header and menu print"
    );
    assert_eq!(
        v["fits"], true,
        "{name}: something is wider than the A4 sheet"
    );
    assert_eq!(v["remedies"], true, "{name}: no remedies clause");
    emulate_media(c, wd, "").await;
    let cfg = PrintConfiguration::builder()
        .size(PrintSize::A4)
        .margins(PrintMargins {
            top: 1.5,
            bottom: 1.5,
            left: 1.5,
            right: 1.5,
        })
        .shrink_to_fit(false)
        .build()
        .unwrap();
    let pdf = c.print(cfg).await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "{name}: not a PDF");
    std::fs::write(
        common::browser::shots().join(format!("notice-{name}.pdf")),
        &pdf,
    )
    .unwrap();
    pages(&pdf)
}

#[tokio::test]
async fn printed_notices_fit_a4() {
    let Some(drv) = driver_or_skip() else { return };
    let dir = common::temp_dir("browser-documents");
    let app = crate::common::browser::demo(&dir);
    // An A4 sheet's width at 96 dpi, so screen media lays out as paper does.
    let c = session_sized(&drv.url, &dir, "a4", (794, 1123), false).await;
    login(&c, &app.base, "wy.market").await.unwrap();

    // The demo's published pharmacy visit: its notice, its order's notice, and a referral and
    // a transfer made on it now through the console's own forms.
    c.goto(&format!("{}/console/visits?status=published", app.base))
        .await
        .unwrap();
    let visit: String = c
        .execute(
            r#"return [...document.querySelectorAll('a')].map(a => a.getAttribute('href'))
                 .find(h => /^\/console\/visits\/[0-9a-f-]{36}$/.test(h));"#,
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .expect("a published visit")
        .to_string();
    c.goto(&format!("{}{visit}", app.base)).await.unwrap();
    let health: String = c
        .execute(
            r#"return [...document.querySelectorAll('select[name=to_department_id] option')]
                 .find(o => o.textContent.includes('卫生健康')).value;"#,
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    let posted = post_form(
        &c,
        "/referrals",
        serde_json::json!({"to_department_id": health, "matter": "发现执业医师资格存疑，请核查"}),
    )
    .await;
    assert_eq!(posted, visit, "the referral is made from the visit's page");
    c.goto(&format!("{}{visit}", app.base)).await.unwrap();
    post_form(
        &c,
        "/transfers",
        serde_json::json!({"agency": "舞阳县公安局", "facts": "涉嫌销售假药，货值较大"}),
    )
    .await;
    let referral = first_link(
        &c,
        &format!("{}/console/referrals?direction=outgoing", app.base),
        "referrals",
    )
    .await;
    let transfer = first_link(&c, &format!("{}/console/transfers", app.base), "transfers").await;
    c.goto(&format!("{}/console/rectifications", app.base))
        .await
        .unwrap();
    let order = c
        .find(Locator::Css("a[href^='/console/rectifications/']"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();

    // Each notice: page counts as laid out today; more means something broke the layout.
    for (name, path, min, max) in [
        ("inspection", format!("{visit}/notice"), 1, 2),
        ("rectification", format!("{order}/print"), 1, 2),
        ("referral", format!("{referral}/print"), 2, 2),
        ("transfer", format!("{transfer}/print"), 2, 3),
    ] {
        c.goto(&format!("{}{path}", app.base)).await.unwrap();
        c.wait()
            .for_element(Locator::Css("[data-remedies]"))
            .await
            .unwrap();
        let n = print_check(&c, &drv.url, name).await;
        assert!((min..=max).contains(&n), "{name}: {n} pages");
    }
    c.close().await.unwrap();
}
