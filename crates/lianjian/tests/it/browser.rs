//! Browser test: the real binary with demo data, driven by headless Chromium through
//! chromedriver (Debian packages `chromium` and `chromium-driver`, installed by `.ci/run`).
//! Without chromedriver the test is skipped locally, but fails under CI (`CI` set).

use crate::common;
use crate::common::browser::{confirm, dismiss, driver_or_skip, login, logout, session};

use fantoccini::Locator;

#[tokio::test]
async fn login_and_see_console_home() {
    let Some(drv) = driver_or_skip() else {
        return;
    };
    let dir = common::temp_dir("browser");
    let app = crate::common::browser::demo(&dir);
    let c = session(&drv.url, &dir, "chrome", false).await;
    let result = async {
        c.goto(&format!("{}/console", app.base)).await?;
        assert!(c.current_url().await?.path().starts_with("/console/login"));
        c.find(Locator::Id("username"))
            .await?
            .send_keys("wy.office")
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
        let body = c.find(Locator::Css("body")).await?.text().await?;
        assert!(body.contains("您好，舞阳县专班办"), "{body}");
        assert!(
            body.contains("双随机联合抽查")
                && body.contains("审计日志")
                && body.contains("河南省 / 漯河市 / 舞阳县"),
            "{body}"
        );
        let png = c.screenshot().await?;
        let shot = crate::common::browser::shots().join("console-home.png");
        std::fs::write(&shot, png).ok();
        // The audit viewer shows this very sign-in.
        c.goto(&format!("{}/console/audit", app.base)).await?;
        let body = c.find(Locator::Css("body")).await?.text().await?;
        assert!(body.contains("auth.login"), "{body}");
        let shots = crate::common::browser::shots();
        std::fs::write(shots.join("console-audit.png"), c.screenshot().await?).ok();
        for page in ["users", "departments", "sectors"] {
            c.goto(&format!("{}/console/{page}", app.base)).await?;
            c.wait().for_element(Locator::Css("main h1")).await?;
            std::fs::write(
                shots.join(format!("console-{page}.png")),
                c.screenshot().await?,
            )
            .ok();
        }
        // Disabling a user asks for confirmation first; dismissing it changes nothing.
        c.goto(&format!("{}/console/users?q=wy.zhang", app.base))
            .await?;
        c.find(Locator::LinkText("wy.zhang")).await?.click().await?;
        c.wait()
            .for_element(Locator::Css("form[data-confirm] button.btn-outline-danger"))
            .await?;
        c.find(Locator::Css("form[action$='/status'] button"))
            .await?
            .click()
            .await?;
        dismiss(&c).await?;
        let body = c.find(Locator::Css("body")).await?.text().await?;
        assert!(
            body.contains("停用账号") && !body.contains("账号已停用"),
            "{body}"
        );
        std::fs::write(shots.join("console-user.png"), c.screenshot().await?).ok();

        // Double-random: the demo draw, a re-draw with a reason, the witnessed draw, the portal.
        c.goto(&format!("{}/console/draws", app.base)).await?;
        c.find(Locator::LinkText("CQ-411121-2026-001"))
            .await?
            .click()
            .await?;
        c.wait().for_element(Locator::Id("reason")).await?;
        let body = c.find(Locator::Css("body")).await?.text().await?;
        assert!(body.contains("联合") && body.contains("减少"), "{body}");
        std::fs::write(shots.join("console-draw.png"), c.screenshot().await?).ok();
        c.find(Locator::Id("reason"))
            .await?
            .send_keys("浏览器测试：见证人未到场，重新抽取")
            .await?;
        c.find(Locator::Css("form[action$='/redraw'] button"))
            .await?
            .click()
            .await?;
        confirm(&c).await?;
        c.wait().for_element(Locator::Css("main h1")).await?;
        let body = c.find(Locator::Css("body")).await?.text().await?;
        // The re-draw keeps the demo's supervisor, who has not contributed yet.
        assert!(
            body.contains("承诺已公布")
                && body.contains("县司法局监督员")
                && body.contains("尚不能执行"),
            "{body}"
        );
        let console_draw = c.current_url().await?.path().to_string();
        // The supervisor signs in, generates 32 random bytes in the browser and submits them.
        let sign_in = |who: &'static str| {
            let c = c.clone();
            let base = app.base.clone();
            async move {
                logout(&c).await?;
                login(&c, &base, who).await?;
                Ok::<_, fantoccini::error::CmdError>(())
            }
        };
        sign_in("wy.jiandu").await?;
        c.goto(&format!("{}/console/witness", app.base)).await?;
        c.find(Locator::Css("button[data-random-for]"))
            .await?
            .click()
            .await?;
        let value = c
            .find(Locator::Css(
                "form[action$='/contribution'] input[name=value]",
            ))
            .await?
            .prop("value")
            .await?
            .unwrap_or_default();
        assert_eq!(value.len(), 64, "32 random bytes as hex: {value}");
        c.find(Locator::Css(
            "form[action$='/contribution'] button[type=submit]",
        ))
        .await?
        .click()
        .await?;
        confirm(&c).await?;
        c.wait().for_element(Locator::Css("main h1")).await?;
        let body = c.find(Locator::Css("body")).await?.text().await?;
        assert!(body.contains("您的随机数已提交"), "{body}");
        // The notice is a toast (issue 13 item 1), announced politely, and closes.
        let toast = c
            .find(Locator::Css(".notice-toasts .toast.show[role=status]"))
            .await?;
        assert!(
            toast.text().await?.contains("您的随机数已提交"),
            "{}",
            toast.html(false).await?
        );
        std::fs::write(shots.join("console-witness.png"), c.screenshot().await?).ok();
        // app.js made it a Bootstrap toast that hides itself after a while.
        let auto = c
            .execute(
                "const t = bootstrap.Toast.getInstance(document.querySelector('.notice-toasts .toast')); return !!t && t._config.autohide && t._config.delay;",
                vec![],
            )
            .await?;
        assert_eq!(auto, serde_json::json!(8000), "toast instance: {auto}");
        toast
            .find(Locator::Css("button[data-bs-dismiss=toast]"))
            .await?
            .click()
            .await?;
        for _ in 0..50 {
            if !toast.is_displayed().await? {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(!toast.is_displayed().await?, "the toast closes");
        // The office executes the draw.
        sign_in("wy.office").await?;
        c.goto(&format!("{}{console_draw}", app.base)).await?;
        c.find(Locator::Css("form[action$='/execute'] button"))
            .await?
            .click()
            .await?;
        confirm(&c).await?;
        c.wait().for_element(Locator::Css("main h1")).await?;
        let body = c.find(Locator::Css("body")).await?.text().await?;
        assert!(
            body.contains("抽取完成") && body.contains("检查任务"),
            "{body}"
        );
        std::fs::write(shots.join("console-redraw.png"), c.screenshot().await?).ok();
        let draw_path = c.current_url().await?.path().replace("/console", "");
        c.goto(&format!("{}{draw_path}", app.base)).await?;
        let body = c.find(Locator::Css("body")).await?.text().await?;
        // The portal: counts per class, no task public before its result or the period's end.
        assert!(
            body.contains("重新抽取")
                && body.contains("可抽数 / 应抽数")
                && body.contains("尚未到公开时间"),
            "{body}"
        );
        std::fs::write(shots.join("portal-draw.png"), c.screenshot().await?).ok();
        Ok::<_, fantoccini::error::CmdError>(())
    }
    .await;
    let _ = c.close().await;
    drop(drv);
    result.expect("browser steps");
}
