//! Browser test of issue 14 item 7 on a phone (390 × 844, touch): from the portal's home page
//! to 投诉举报, the form filled in (a photo attached), the page's own script solving the real
//! proof-of-work challenge with WebCrypto, the clue code and check code shown once, then
//! 进度查询 with them — with axe-core's rules passing on the form, the confirmation and the
//! tracking page, and nothing the policy blocks.

use crate::browser_visit::photo;
use crate::common;
use crate::common::browser::{axe, driver_or_skip, session_sized, shots, wait_text};

use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::Value;

/// Waits until `script` (an expression) is true in the page.
async fn wait_for(c: &Client, script: &str, what: &str) {
    for _ in 0..300 {
        if let Ok(v) = c.execute(&format!("return !!({script})"), vec![]).await
            && v == Value::Bool(true)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn a11y(c: &Client, page: &str) {
    let problems = axe(c).await;
    assert!(problems.is_empty(), "{page}: {problems:#?}");
}

#[tokio::test]
async fn a_phone_sends_a_complaint_with_the_real_challenge_and_tracks_it() {
    let Some(drv) = driver_or_skip() else {
        return;
    };
    let dir = common::temp_dir("browser-portal-clue");
    let app = crate::common::browser::demo(&dir);
    let shots = shots();
    let pic = photo(&dir, "现场照片.png");
    let c = session_sized(&drv.url, &dir, "phone", (390, 844), true).await;
    let base = app.base.clone();
    let result: Result<(), fantoccini::error::CmdError> = async {
        c.goto(&format!("{base}/")).await?;
        c.find(Locator::Css("[data-section='/clues/new'] a"))
            .await?
            .click()
            .await?;
        c.wait().for_element(Locator::Id("clue-form")).await?;
        // The page's script takes the question away and solves the challenge by itself.
        wait_for(
            &c,
            "document.getElementById('work').value !== ''",
            "the proof of work",
        )
        .await;
        let status = c
            .find(Locator::Id("challenge-status"))
            .await?
            .text()
            .await?;
        assert!(status.contains("人机验证已完成"), "{status}");
        let hidden: Value = c
            .execute(
                "return document.getElementById('challenge-question').classList.contains('d-none')",
                vec![],
            )
            .await?;
        assert_eq!(
            hidden,
            Value::Bool(true),
            "the question is hidden when the script solves"
        );
        a11y(&c, "the form").await;
        std::fs::write(shots.join("portal-clue-1-form.png"), c.screenshot().await?).ok();

        c.find(Locator::Id("kind"))
            .await?
            .select_by_value("report")
            .await?;
        c.find(Locator::Id("content"))
            .await?
            .send_keys("菜市场东门一家熟食摊位无证经营，\n售卖的卤肉有异味。")
            .await?;
        let region: Value = c
            .execute(
                "var s = document.getElementById('region_code'); return s.options[1].value;",
                vec![],
            )
            .await?;
        c.find(Locator::Id("region_code"))
            .await?
            .select_by_value(region.as_str().unwrap())
            .await?;
        c.find(Locator::Id("address"))
            .await?
            .send_keys("城关镇农贸市场东门")
            .await?;
        c.find(Locator::Id("entity_name"))
            .await?
            .send_keys("某熟食摊")
            .await?;
        c.find(Locator::Id("complainant_name"))
            .await?
            .send_keys("钱晓东")
            .await?;
        c.find(Locator::Id("complainant_phone"))
            .await?
            .send_keys("13600001111")
            .await?;
        c.find(Locator::Id("files"))
            .await?
            .send_keys(pic.to_str().unwrap())
            .await?;
        c.find(Locator::Css("label[for='consent']"))
            .await?
            .click()
            .await?;
        c.find(Locator::Id("clue-submit")).await?.click().await?;
        let page = wait_text(&c, "提交成功").await;
        assert!(page.contains("含 1 个附件"), "{page}");
        let code = c.find(Locator::Id("clue-code")).await?.text().await?;
        let check = c.find(Locator::Id("check-code")).await?.text().await?;
        assert!(code.starts_with("XS-"), "{code}");
        assert_eq!(check.len(), 11, "{check}");
        a11y(&c, "the confirmation").await;
        std::fs::write(shots.join("portal-clue-2-sent.png"), c.screenshot().await?).ok();

        // 进度查询 with the codes.
        c.find(Locator::Css("a[href='/clues/track'].btn"))
            .await?
            .click()
            .await?;
        c.wait().for_element(Locator::Id("check")).await?;
        c.find(Locator::Id("code")).await?.send_keys(&code).await?;
        c.find(Locator::Id("check"))
            .await?
            .send_keys(&check)
            .await?;
        c.find(Locator::Css("form[action='/clues/track'] button"))
            .await?
            .click()
            .await?;
        let page = wait_text(&c, "已受理，待分派").await;
        assert!(page.contains(&code), "{page}");
        for personal in ["钱晓东", "13600001111", "136****1111"] {
            assert!(!page.contains(personal), "{personal} on the tracking page");
        }
        a11y(&c, "the tracking page").await;
        std::fs::write(
            shots.join("portal-clue-3-tracking.png"),
            c.screenshot().await?,
        )
        .ok();
        Ok(())
    }
    .await;
    let _ = c.close().await;
    result.expect("browser scenario");
}
