//! Browser test of issue 5: two inspectors complete the demo's joint visit on phone-sized
//! screens (360 × 740), one of them through a dropped connection and with a photo as evidence;
//! each department reviews its own part; the lead department publishes; the portal shows the
//! result. The real binary with demo data, headless Chromium through chromedriver.

use crate::common;
use crate::common::browser::{
    body, confirm as accept, driver_or_skip, login, session, shots, wait_text,
};

use fantoccini::{Client, Locator};

/// Answers every check point "符合" and every item "未发现问题 / 无需后续处置" by tapping.
pub(crate) async fn fill_in(c: &Client) -> Result<(), fantoccini::error::CmdError> {
    for r in c
        .find_all(Locator::Css("fieldset.point input[type=radio][value=pass]"))
        .await?
    {
        c.execute(
            "arguments[0].scrollIntoView({block:'center'})",
            vec![serde_json::to_value(&r).unwrap()],
        )
        .await?;
        r.click().await?;
    }
    for sel in c.find_all(Locator::Css("select[name^='r_']")).await? {
        sel.select_by_value("no_problem").await?;
    }
    for sel in c.find_all(Locator::Css("select[name^='f_']")).await? {
        sel.select_by_value("none").await?;
    }
    Ok(())
}

/// A real PNG (1 × 1 pixel) named `name` in `dir`.
pub(crate) fn photo(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let photo = dir.join(name);
    std::fs::write(
        &photo,
        [
            0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52,
            0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89, 0, 0, 0, 0x0D, 0x49,
            0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0, 0x05, 0, 0x01,
            0xFF, 0x89, 0x99, 0x3D, 0x1D, 0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60,
            0x82,
        ],
    )
    .unwrap();
    photo
}

/// Opens the field form of the demo's joint complaint visit from the task list on a phone:
/// the list shows cards whose 现场检查 button is fully on screen. Returns the form's path.
pub(crate) async fn open_clinic_visit(
    c: &Client,
    base: &str,
) -> Result<String, fantoccini::error::CmdError> {
    c.goto(&format!(
        "{base}/console/visits?status=scheduled&q=医疗美容"
    ))
    .await?;
    let link = c
        .find(Locator::XPath(
            "//li[contains(., '投诉举报')]//a[contains(., '现场检查')]",
        ))
        .await?;
    let fits: serde_json::Value = c
        .execute(
            "var r = arguments[0].getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth && r.bottom > r.top;",
            vec![serde_json::to_value(&link).unwrap()],
        )
        .await?;
    assert_eq!(fits, true, "the 现场检查 button is cut off on a phone");
    link.click().await?;
    c.wait().for_element(Locator::Id("field")).await?;
    Ok(c.current_url().await?.path().to_string())
}

#[tokio::test]
async fn two_inspectors_complete_a_joint_visit_on_phones() {
    let Some(drv) = driver_or_skip() else {
        return;
    };
    let dir = common::temp_dir("browser-visit");
    let app = crate::common::browser::demo(&dir);
    let wd = drv.url.clone();
    let shots = shots();
    let photo = photo(&dir, "现场照片.png");

    let zhang = session(&wd, &dir, "zhang", true).await;
    let wang = session(&wd, &dir, "wang", true).await;
    let base = app.base.clone();
    let result: Result<(), fantoccini::error::CmdError> = async {
        // 张明 (market) opens the joint visit from the complaint on his phone.
        login(&zhang, &base, "wy.zhang").await?;
        let field_path = open_clinic_visit(&zhang, &base).await?;
        zhang.wait().for_element(Locator::Id("start")).await?;
        let visit_id = field_path.trim_start_matches("/console/visits/").trim_end_matches("/field").to_string();
        // The page fits a 360-px screen: nothing wider than the viewport.
        let wide: bool = zhang
            .execute("return document.documentElement.scrollWidth > window.innerWidth + 1", vec![])
            .await?
            .as_bool()
            .unwrap();
        assert!(!wide, "the field form scrolls sideways on a phone");
        std::fs::write(shots.join("field-start.png"), zhang.screenshot().await?).ok();
        zhang.find(Locator::Id("start")).await?.click().await?;
        wait_text(&zhang, "检查中").await;

        // The connection drops while he answers: nothing entered is lost.
        zhang
            .execute("window.__fetch = window.fetch; window.fetch = function(){ return Promise.reject(new TypeError('offline')); };", vec![])
            .await?;
        fill_in(&zhang).await?;
        wait_text(&zhang, "待同步").await;
        std::fs::write(shots.join("field-offline.png"), zhang.screenshot().await?).ok();
        // A reload (the connection is back) restores and sends what was pending.
        zhang.refresh().await?;
        wait_text(&zhang, "已全部同步").await;
        assert_eq!(pending(&zhang).await?, 0, "everything was sent");

        // A photo as evidence for the first check point.
        zhang
            .find(Locator::Css("input[type=file][data-seq='1']"))
            .await?
            .send_keys(photo.to_str().unwrap())
            .await?;
        wait_text(&zhang, "现场照片.png").await;
        std::fs::write(shots.join("field-filled.png"), zhang.screenshot().await?).ok();

        // He confirms; the results wait for 王芳.
        zhang.find(Locator::Id("confirm")).await?.click().await?;
        accept(&zhang).await?;
        wait_text(&zhang, "已确认").await;

        // 王芳 (health) sees the same record on her phone and confirms.
        login(&wang, &base, "wy.wang").await?;
        wang.goto(&format!("{base}{field_path}")).await?;
        let b = wait_text(&wang, "现场照片.png").await;
        assert!(b.contains("张明") && b.contains("已确认"), "{b}");
        wang.find(Locator::Id("confirm")).await?.click().await?;
        accept(&wang).await?;
        wait_text(&wang, "结果已提交").await;
        std::fs::write(shots.join("field-submitted.png"), wang.screenshot().await?).ok();

        // Each department reviews its own part, on a desktop screen; then the lead publishes.
        let mut desks = Vec::new();
        for user in ["wy.health", "wy.market"] {
            let c = session(&wd, &dir, user, false).await;
            login(&c, &base, user).await?;
            c.goto(&format!("{base}/console/visits/{visit_id}")).await?;
            let b = wait_text(&c, "审核通过").await;
            let forms = c.find_all(Locator::Css("form[action$='/review']")).await?;
            assert_eq!(forms.len(), 1, "{user} reviews exactly its own part:\n{b}");
            c.find(Locator::Css("form[action$='/review'] button[value=approve]")).await?.click().await?;
            wait_text(&c, "已审核通过").await;
            desks.push(c);
        }
        let mut published = false;
        for c in &desks {
            c.goto(&format!("{base}/console/visits/{visit_id}")).await?;
            if body(c).await.contains("公示检查结果") {
                c.find(Locator::Css("form[action$='/publish'] button")).await?.click().await?;
                accept(c).await?;
                wait_text(c, "检查结果已公示").await;
                std::fs::write(shots.join("visit-published.png"), c.screenshot().await?).ok();
                published = true;
            }
        }
        assert!(published, "the lead department could publish");
        for c in desks {
            c.close().await?;
        }

        // The public sees entity, items, departments, date and result — and no inspector.
        wang.goto(&format!("{base}/results?entity=医疗美容")).await?;
        let b = wait_text(&wang, "未发现问题").await;
        assert!(b.contains("涉医疗美容经营活动综合监管") && !b.contains("张明") && !b.contains("王芳"), "{b}");
        std::fs::write(shots.join("portal-results.png"), wang.screenshot().await?).ok();
        Ok(())
    }
    .await;
    let _ = zhang.close().await;
    let _ = wang.close().await;
    result.expect("browser scenario");
}

/// The field form's count of answers and photos not yet on the server (`#sync[data-pending]`).
pub(crate) async fn pending(c: &Client) -> Result<u64, fantoccini::error::CmdError> {
    let n = c
        .execute(
            "return Number(document.getElementById('sync').getAttribute('data-pending') || 0)",
            vec![],
        )
        .await?;
    Ok(n.as_u64().unwrap_or(0))
}
