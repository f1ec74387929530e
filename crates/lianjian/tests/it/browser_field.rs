//! Browser test of issue 13 item 2: the inspector's phone (360 × 740) without signal. 张明 opens
//! the field form once with signal; the connection goes (Chromium's own network emulation, set
//! through chromedriver); he reloads the form, answers every point and photographs one, sees
//! the pending count, and reloads again: the phone's copy shows his queued answers. Meanwhile
//! 王芳 answered one of the same points differently. Back online, the queue syncs to 0, the
//! clash is explained at its check point and settled by him, and the server holds the answers
//! and the photo. Then the quick tap: typing in a note and tapping 确认并签字 at once confirms.
//! Last, 退出 with a note still queued: the dialog says how much would be lost and lets her
//! stay; once she signs out, nothing of the queue or of the signed-in pages is left on the phone.

use crate::browser_visit::{fill_in, open_clinic_visit, pending, photo};
use crate::common;
use crate::common::browser::{
    confirm as accept, dismiss, driver_or_skip, driver_post, login, logout, session, shots,
    wait_text,
};

use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::{Value, json};

/// Cuts or restores the phone's connection (chromedriver's network conditions: the page and
/// its service worker see no network, and `navigator.onLine` turns false).
async fn set_offline(c: &Client, wd: &str, offline: bool) {
    driver_post(
        c,
        wd,
        "chromium/network_conditions",
        json!({"network_conditions": {
            "offline": offline, "latency": 0,
            "download_throughput": 100_000_000, "upload_throughput": 100_000_000
        }}),
    )
    .await;
}

/// Runs `script` (which ends by calling `done(value)`) in the page and returns the value.
async fn run_async(c: &Client, script: &str) -> Result<Value, fantoccini::error::CmdError> {
    c.execute_async(
        &format!("var done = arguments[arguments.length - 1]; {script}"),
        vec![],
    )
    .await
}

/// Waits until `script` (an expression) is true in the page.
async fn wait_for(c: &Client, script: &str, what: &str) {
    for _ in 0..150 {
        if let Ok(v) = c.execute(&format!("return !!({script})"), vec![]).await
            && v == Value::Bool(true)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let b = c
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    panic!("never true: {what}\n{b}");
}

/// Scrolls the element to the middle of the screen (clear of the sticky bars) and taps it.
async fn tap(c: &Client, css: &str) -> Result<(), fantoccini::error::CmdError> {
    let e = c.find(Locator::Css(css)).await?;
    c.execute(
        "arguments[0].scrollIntoView({block:'center'})",
        vec![serde_json::to_value(&e).unwrap()],
    )
    .await?;
    e.click().await
}

/// The visit as the server has it, read with the page's own session.
async fn server_visit(c: &Client, id: &str) -> Value {
    let v = run_async(
        c,
        &format!("fetch('/api/v1/visits/{id}', {{credentials: 'same-origin'}}).then(function (r) {{ return r.json(); }}).then(done, function (e) {{ done(String(e)); }});"),
    )
    .await
    .unwrap();
    assert!(v.is_object(), "{v}");
    v
}

/// What the field form left on the phone: records of its IndexedDB queue (drafts, photos) and
/// copies of signed-in pages (under /console/) in the service worker's caches.
const ON_THE_PHONE: &str = r#"
var out = {drafts: 0, photos: 0, pages: 0};
var pages = caches.keys().then(function (keys) {
  return Promise.all(keys.filter(function (k) { return k.indexOf('lj-field-') === 0; }).map(function (k) {
    return caches.open(k).then(function (c) { return c.keys(); }).then(function (rs) {
      out.pages += rs.filter(function (r) { return new URL(r.url).pathname.indexOf('/console/') === 0; }).length;
    });
  }));
});
var rq = indexedDB.open('lianjian-field');
rq.onsuccess = function () {
  var d = rq.result;
  if (!d.objectStoreNames.contains('drafts')) { d.close(); pages.then(function () { done(out); }); return; }
  var t = d.transaction(['drafts', 'photos'], 'readonly');
  t.objectStore('drafts').count().onsuccess = function (e) { out.drafts = e.target.result; };
  t.objectStore('photos').count().onsuccess = function (e) { out.photos = e.target.result; };
  t.oncomplete = function () { d.close(); pages.then(function () { done(out); }); };
};
rq.onerror = function () { done(String(rq.error)); };
"#;

fn points(v: &Value) -> Vec<Value> {
    v["parts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["points"].as_array().unwrap().clone())
        .collect()
}

#[tokio::test]
async fn field_form_offline_with_photo_conflict_and_quick_confirm() {
    let Some(drv) = driver_or_skip() else {
        return;
    };
    let dir = common::temp_dir("browser-field");
    let app = crate::common::browser::demo(&dir);
    let wd = drv.url.clone();
    let shots = shots();
    let photo = photo(&dir, "离线照片.png");
    let zhang = session(&wd, &dir, "zhang", true).await;
    let wang = session(&wd, &dir, "wang", true).await;
    let base = app.base.clone();
    let result: Result<(), fantoccini::error::CmdError> = async {
        // The task list on a phone: cards, the code on one line, the button on screen.
        login(&zhang, &base, "wy.zhang").await?;
        zhang.goto(&format!("{base}/console/visits?status=scheduled&q=医疗美容")).await?;
        let lines: Value = zhang
            .execute("var e = document.querySelector('.visit-cards .visit-code'); return e ? e.getClientRects().length : -1", vec![])
            .await?;
        assert_eq!(lines, json!(1), "a visit code breaks over lines on a phone");
        std::fs::write(shots.join("field-offline-1-task-list.png"), zhang.screenshot().await?).ok();
        let field_path = open_clinic_visit(&zhang, &base).await?;
        let id = field_path.trim_start_matches("/console/visits/").trim_end_matches("/field").to_string();
        // Touch targets: every answer, photo button and action at least 44 px high.
        let small: Value = zhang
            .execute("return Array.from(document.querySelectorAll('.ans, label.photo, .fbuttons button, #start')).filter(function (e) { return e.getBoundingClientRect().height < 44; }).length", vec![])
            .await?;
        assert_eq!(small, json!(0), "touch targets under 44 px");
        let camera: Value = zhang
            .execute("var i = document.querySelector('#point-1 label.photo.cam input'); return [i.getAttribute('accept'), i.getAttribute('capture')]", vec![])
            .await?;
        assert_eq!(camera, json!(["image/*", "environment"]), "the photo button opens the camera");
        zhang.find(Locator::Id("start")).await?.click().await?;
        wait_text(&zhang, "检查中").await;
        // The service worker controls the page and holds its copy.
        wait_for(&zhang, "navigator.serviceWorker && navigator.serviceWorker.controller", "a service worker controls the form").await;
        let mut stored = false;
        for _ in 0..100 {
            let cached = run_async(&zhang, "caches.open('lj-field-v1').then(function (c) { return c.match(location.pathname); }).then(function (r) { return r ? r.text() : ''; }).then(function (t) { done(t.indexOf('检查中') >= 0); });").await?;
            if cached == json!(true) {
                stored = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(stored, "the started form is kept on the phone");

        // 王芳, with signal, answers point 2 “不符合” after 张明's phone stored the form.
        login(&wang, &base, "wy.wang").await?;
        wang.goto(&format!("{base}{field_path}")).await?;
        wang.wait().for_element(Locator::Css("input[name=a_2][value=fail]")).await?;
        tap(&wang, "input[name=a_2][value=fail]").await?;
        wait_text(&wang, "已全部同步").await;

        // No signal. The form reloads from the phone: 王芳's answer is not on this copy.
        set_offline(&zhang, &wd, true).await;
        wait_for(&zhang, "navigator.onLine === false", "the page knows it is offline").await;
        zhang.refresh().await?;
        zhang.wait().for_element(Locator::Id("field")).await?;
        wait_text(&zhang, "离线").await;
        let fresh: Value = zhang.execute("return !!document.querySelector('input[name=a_2]:checked')", vec![]).await?;
        assert_eq!(fresh, json!(false), "the offline reload came from the network, not the phone's copy");

        // He answers everything and photographs point 1, offline.
        fill_in(&zhang).await?;
        zhang
            .find(Locator::Css("#point-1 label.photo.cam input[type=file]"))
            .await?
            .send_keys(photo.to_str().unwrap())
            .await?;
        wait_text(&zhang, "离线照片.png 待上传").await;
        let b = wait_text(&zhang, "项待同步").await;
        let queued = pending(&zhang).await?;
        assert!(queued >= 3, "answers, results and the photo wait: {queued}\n{b}");
        std::fs::write(shots.join("field-offline-2-queued.png"), zhang.screenshot().await?).ok();

        // Reloaded still offline: the phone's copy of the form with the queued answers.
        zhang.refresh().await?;
        zhang.wait().for_element(Locator::Id("field")).await?;
        wait_text(&zhang, "离线照片.png 待上传").await;
        wait_for(&zhang, "document.getElementById('sync').getAttribute('data-pending') !== null", "the queue is loaded").await;
        assert_eq!(pending(&zhang).await?, queued, "the queue survives a reload");
        let unanswered: Value = zhang
            .execute("return Array.from(document.querySelectorAll('fieldset.point')).filter(function (f) { return !f.querySelector('input[value=pass]:checked'); }).length", vec![])
            .await?;
        assert_eq!(unanswered, json!(0), "the queued answers are back on the form");

        // Signal again: everything goes; point 2 clashes with 王芳's and is explained there.
        set_offline(&zhang, &wd, false).await;
        wait_for(&zhang, "document.querySelector('#point-2 .conflict')", "the clash is shown at point 2").await;
        let b = wait_text(&zhang, "王芳").await;
        assert!(b.contains("不符合") && b.contains("冲突"), "{b}");
        wait_for(&zhang, "document.getElementById('sync').getAttribute('data-pending') === '0'", "the queue synced to 0").await;
        // The count's 查看 takes him to the clash.
        tap(&zhang, "#sync button.goto").await?;
        std::fs::write(shots.join("field-offline-3-conflict.png"), zhang.screenshot().await?).ok();
        let v = server_visit(&zhang, &id).await;
        let p2 = points(&v).into_iter().find(|p| p["seq"] == 2).unwrap();
        assert_eq!(p2["answer"], "fail", "王芳's answer was not overwritten");
        // He has seen hers and keeps his own.
        tap(&zhang, "#point-2 .conflict button.keep").await?;
        wait_text(&zhang, "已全部同步").await;
        assert_eq!(pending(&zhang).await?, 0);
        let v = server_visit(&zhang, &id).await;
        let pts = points(&v);
        assert!(pts.iter().all(|p| p["answer"] == "pass"), "every answer is on the server: {v}");
        let p1 = pts.iter().find(|p| p["seq"] == 1).unwrap();
        assert!(
            p1["attachments"].as_array().unwrap().iter().any(|a| a["filename"] == "离线照片.png"),
            "the offline photo is on the server: {p1}"
        );
        assert!(v["parts"].as_array().unwrap().iter().all(|p| p["result"]["result_code"] == "no_problem"), "{v}");

        // The quick tap: a note typed and 确认并签字 tapped at once (the blur starts a save).
        let note = zhang.find(Locator::Css("textarea[name=n_1]")).await?;
        zhang.execute("arguments[0].scrollIntoView({block:'center'})", vec![serde_json::to_value(&note).unwrap()]).await?;
        note.send_keys("灭火器在有效期内").await?;
        zhang.find(Locator::Id("confirm")).await?.click().await?;
        accept(&zhang).await?;
        let b = wait_text(&zhang, "已确认").await;
        assert!(!b.contains("未确认"), "{b}");
        std::fs::write(shots.join("field-offline-4-confirmed.png"), zhang.screenshot().await?).ok();
        let v = server_visit(&zhang, &id).await;
        let p1 = points(&v).into_iter().find(|p| p["seq"] == 1).unwrap();
        assert_eq!(p1["note"], "灭火器在有效期内", "the note typed just before the tap was saved");
        let me = v["team"].as_array().unwrap().iter().find(|m| m["member"]["name"] == "张明").unwrap().clone();
        assert!(me["confirmed_at"].is_string(), "张明 confirmed: {v}");

        // 退出 empties the phone's copy of the signed-in pages.
        let path = field_path.clone();
        let kept = run_async(&zhang, &format!("caches.open('lj-field-v1').then(function (c) {{ return c.match('{path}'); }}).then(function (r) {{ done(!!r); }});")).await?;
        assert_eq!(kept, json!(true), "the form is on the phone before 退出");
        run_async(&zhang, "var f = new URLSearchParams(); f.set('_csrf', document.getElementById('field').getAttribute('data-csrf')); fetch('/console/logout', {method: 'POST', body: f, credentials: 'same-origin'}).then(function () { done(true); }, function () { done(false); });").await?;
        let mut dropped = false;
        for _ in 0..50 {
            let v = run_async(&zhang, &format!("caches.open('lj-field-v1').then(function (c) {{ return c.match('{path}'); }}).then(function (r) {{ done(!r); }});")).await?;
            if v == json!(true) {
                dropped = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(dropped, "the field form's copy outlived 退出");

        // Offline, the confirmation is refused with its reason, not silently.
        wang.goto(&format!("{base}{field_path}")).await?;
        wang.wait().for_element(Locator::Id("confirm")).await?;
        set_offline(&wang, &wd, true).await;
        wait_for(&wang, "navigator.onLine === false", "offline").await;
        let note = wang.find(Locator::Css("textarea[name=n_2]")).await?;
        wang.execute("arguments[0].scrollIntoView({block:'center'})", vec![serde_json::to_value(&note).unwrap()]).await?;
        note.send_keys("已复核").await?;
        wang.find(Locator::Id("confirm")).await?.click().await?;
        let b = wait_text(&wang, "未确认").await;
        assert!(b.contains("没有网络") && b.contains("待同步"), "{b}");
        std::fs::write(shots.join("field-offline-5-confirm-refused.png"), wang.screenshot().await?).ok();

        // 退出 with that note still on the phone. She leaves the form (so that it does not
        // sync when the signal returns) for the task list, with signal.
        let queued = pending(&wang).await?;
        assert!(queued >= 1, "the offline note waits");
        // The form's tab is closed, not just left: Chromium may keep a page it leaves alive in
        // its back-forward cache, and the form would send the note when the signal returns.
        let tab = wang.new_window(true).await?;
        wang.close_window().await?;
        wang.switch_to_window(tab.handle).await?;
        set_offline(&wang, &wd, false).await;
        wang.goto(&format!("{base}/console/visits")).await?;
        wang.wait().for_element(Locator::Css("main h1")).await?;
        let before = run_async(&wang, ON_THE_PHONE).await?;
        assert!(before["drafts"].as_u64().unwrap() >= 1 && before["pages"].as_u64().unwrap() >= 1, "{before}");
        // The dialog counts what would be lost, and she may stay: nothing is deleted.
        logout(&wang).await?;
        let b = wait_text(&wang, "尚未同步到服务器").await;
        assert!(b.contains(&format!("本机还有 {queued} 项")), "{b}");
        std::fs::write(shots.join("field-offline-6-logout-warns.png"), wang.screenshot().await?).ok();
        dismiss(&wang).await?;
        assert_eq!(wang.current_url().await?.path(), "/console/visits", "she stayed");
        assert_eq!(run_async(&wang, ON_THE_PHONE).await?, before, "staying deletes nothing");
        // 退出 confirmed: signed out, and neither the queue nor a copy of a signed-in page is
        // left on the phone.
        logout(&wang).await?;
        accept(&wang).await?;
        wang.wait().for_element(Locator::Id("username")).await?;
        let after = run_async(&wang, ON_THE_PHONE).await?;
        assert_eq!(after, json!({"drafts": 0, "photos": 0, "pages": 0}), "left on the phone after 退出");
        Ok(())
    }
    .await;
    let _ = zhang.close().await;
    let _ = wang.close().await;
    result.expect("browser scenario");
}
