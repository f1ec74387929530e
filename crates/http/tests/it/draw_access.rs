//! Issue 11 item 3, the parts around the record: a beacon-witnessed draw executed after the
//! beacon's date (the services' clock moved forward) whose full and public records verify; the
//! portal's 抽查结果自查 (an entity's opening for its credit code and access code); and the
//! coordination office's publication delay. On SQLite always and on PostgreSQL when
//! `LIANJIAN_TEST_POSTGRES_URL` is set.

use crate::common::*;

use axum::http::StatusCode;
use lianjian_domain::draw::{
    AnyRecord, DrawRecord, Opening, PublicDrawRecord, verify, verify_public,
};
use serde_json::{Value, json};

on_both_backends!(
    template = DEMO, setup = app;
    beacon_witnessed_draw_executes_after_its_date_and_both_records_verify,
    entity_fetches_its_opening_on_the_portal,
    office_setting_is_the_default_and_the_floor_of_the_delay,
);

impl App {
    async fn public_post(&self, path: &str, body: Value) -> Resp {
        self.api("POST", path, None, Some(&body.to_string())).await
    }

    /// A credit code of the directory that is not a candidate of the draw.
    async fn stranger(&self, rec: &DrawRecord) -> String {
        use sea_orm::ConnectionTrait;
        let c = self.svc.store.conn();
        let rows = c
            .query_all_raw(sea_orm::Statement::from_string(
                c.get_database_backend(),
                "SELECT usci FROM entities ORDER BY usci",
            ))
            .await
            .unwrap();
        rows.iter()
            .map(|r| r.try_get::<String>("", "usci").unwrap())
            .find(|u| {
                rec.input
                    .candidates
                    .binary_search_by(|c| c.usci.as_str().cmp(u.as_str()))
                    .is_err()
            })
            .expect("an entity outside the pool")
    }

    /// The demo's (not superseded) fourth-quarter draw.
    async fn demo_draw_id(&self) -> String {
        let r = self.api("GET", "/api/v1/public/draws", None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["superseded_by"].is_null() && d["region_code"] == "411121")
            .and_then(|d| d["id"].as_str())
            .expect("the demo draw")
            .to_string()
    }

    async fn full_record(&self, id: &str) -> DrawRecord {
        let t = self.token("wy.office").await;
        let r = self
            .api("GET", &format!("/api/v1/draws/{id}/record"), Some(&t), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        DrawRecord::from_json(r.body.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"))
    }

    /// A re-draw of the demo draw, with `witness` (and the reason).
    async fn redraw(&self, witness: Value) -> Resp {
        let t = self.token("wy.office").await;
        let old = self.demo_draw_id().await;
        let mut body = witness;
        body["reason"] = json!("测试：见证与公开");
        self.post(&format!("/api/v1/draws/{old}/redraw"), &t, body)
            .await
    }
}

fn beijing_today(app: &App) -> chrono::NaiveDate {
    lianjian_domain::visit::beijing_date(app.svc.now())
}

/// What `lianjian draw verify` does with a file: read it as any record, then verify it.
fn verify_as_the_cli_does(json: &str) -> &'static str {
    match AnyRecord::from_json(json.as_bytes()).unwrap_or_else(|e| panic!("{e:?}")) {
        AnyRecord::Full(r) => {
            verify(&r).unwrap_or_else(|m| panic!("full record does not verify: {m}"));
            "full"
        }
        AnyRecord::Public(r) => {
            verify_public(&r).unwrap_or_else(|m| panic!("public record does not verify: {m}"));
            "public"
        }
    }
}

/// Issue 11 item 2: a draw witnessed by a pre-announced beacon only. Its value is refused
/// before the beacon's date; a day later (the clock moved) it is entered, the draw runs, and
/// the full record, its public variant and the public variant the API serves after the embargo
/// all verify.
async fn beacon_witnessed_draw_executes_after_its_date_and_both_records_verify(app: App) {
    let office = app.token("wy.office").await;
    let tomorrow = beijing_today(&app) + chrono::Days::new(1);
    let r = app
        .redraw(json!({
            "beacon_source": "中国福利彩票双色球",
            "beacon_reference": "第2026141期开奖号码",
            "beacon_available_on": tomorrow.to_string(),
        }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    // Before the date: the value is refused and the draw cannot run.
    let r = app
        .post(
            &format!("/api/v1/draws/{id}/beacon"),
            &office,
            json!({"value": "05 11 16 22 27 33 + 09"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains(&tomorrow.to_string()), "{}", r.body);
    let r = app
        .post(&format!("/api/v1/draws/{id}/execute"), &office, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("双色球"), "{}", r.body);
    // The day comes.
    app.svc.clock.advance(chrono::Duration::days(1));
    assert_eq!(beijing_today(&app), tomorrow);
    let r = app
        .post(
            &format!("/api/v1/draws/{id}/beacon"),
            &office,
            json!({"value": "05 11 16 22 27 33 + 09"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .post(&format!("/api/v1/draws/{id}/execute"), &office, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["draw"]["status"], "drawn", "{}", r.body);

    let rec = app.full_record(&id).await;
    let v3 = rec.seeds.v3.as_ref().expect("a /3 record");
    assert!(v3.contributions.is_empty());
    assert_eq!(v3.beacon_value.as_deref(), Some("05 11 16 22 27 33 + 09"));
    assert!(v3.unwitnessed_reason.is_none());
    assert_eq!(
        rec.input
            .v3
            .as_ref()
            .unwrap()
            .beacon
            .as_ref()
            .unwrap()
            .available_on,
        tomorrow
    );
    assert!(
        lianjian_domain::visit::beijing_date(rec.drawn_at) >= tomorrow,
        "dated on or after the beacon's day"
    );
    assert_eq!(verify_as_the_cli_does(&rec.to_json_pretty()), "full");
    let public = rec
        .public_variant()
        .expect("a /3 record has a public variant");
    let public_json = serde_json::to_string_pretty(&public).unwrap();
    assert_eq!(verify_as_the_cli_does(&public_json), "public");
    // Tampering with the beacon value is caught in both variants.
    let bad = rec
        .to_json_pretty()
        .replace("05 11 16 22 27 33 + 09", "05 11 16 22 27 33 + 10");
    let AnyRecord::Full(bad) = AnyRecord::from_json(bad.as_bytes()).unwrap() else {
        panic!("full")
    };
    assert!(verify(&bad).is_err());
    let bad = public_json.replace("05 11 16 22 27 33 + 09", "05 11 16 22 27 33 + 10");
    let bad = PublicDrawRecord::from_json(bad.as_bytes()).unwrap();
    assert!(verify_public(&bad).is_err());

    // Before the embargo ends the public gets the summary; after the period (the demo's ends
    // on 2026-12-31) the public variant, which verifies as served.
    let r = app
        .api("GET", &format!("/api/v1/public/draws/{id}"), None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    if r.json()["record_public"] == json!(false) {
        let end = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        let days = (end - beijing_today(&app)).num_days().max(0) + 2;
        app.svc.clock.advance(chrono::Duration::days(days));
    }
    let r = app
        .api("GET", &format!("/api/v1/public/draws/{id}"), None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["format"], "lianjian-draw/3-public", "{}", r.body);
    assert_eq!(verify_as_the_cli_does(&r.body), "public");
}

/// The CSRF cookie and token of the portal's self-check form.
async fn self_check_form(app: &App, id: &str) -> (String, String) {
    let r = app.get(&format!("/draws/{id}/self-check"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("抽查结果自查"));
    let cookie = r
        .headers
        .get_all(axum::http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lj_self_check_csrf="))
        .expect("the form's cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    (cookie, csrf_of(&r.body))
}

async fn self_check(app: &App, id: &str, usci: &str, code: &str, as_json: bool) -> Resp {
    let (cookie, csrf) = self_check_form(app, id).await;
    app.form(
        &format!("/draws/{id}/self-check"),
        Some(&cookie),
        &format!(
            "_csrf={csrf}&usci={}&code={}{}",
            enc(usci),
            enc(code),
            if as_json { "&as=json" } else { "" }
        ),
    )
    .await
}

/// The code on the printable notice staff get when they generate one.
fn code_on(page: &str) -> String {
    let i = page.find("class=\"code\">").expect("a code") + "class=\"code\">".len();
    page[i..i + 11].to_string()
}

async fn generate_code(app: &App, cookie: &str, id: &str, usci: &str) -> Resp {
    let page = app.get(&format!("/console/draws/{id}"), Some(cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    app.form(
        &format!("/console/draws/{id}/access-codes"),
        Some(cookie),
        &format!("_csrf={}&usci={usci}", csrf_of(&page.body)),
    )
    .await
}

/// Issue 11 item 3: an entity fetches its own opening on the portal with its credit code and a
/// code staff generated; without the code nothing; wrong codes, unknown entities and entities
/// without a code get one answer; wrong codes are throttled; the opening names only the entity;
/// whether it was drawn shows only once the public record is out, and then checks.
async fn entity_fetches_its_opening_on_the_portal(app: App) {
    let id = app.demo_draw_id().await;
    let rec = app.full_record(&id).await;
    let drawn: Vec<String> = rec
        .result
        .visits
        .iter()
        .map(|v| v.usci.as_str().to_string())
        .collect();
    let cand = |i: usize| rec.input.candidates[i].usci.as_str().to_string();
    // One entity that was drawn (the interesting case before the embargo), two others.
    let me = drawn[0].clone();
    let other = (0..rec.input.candidates.len())
        .map(cand)
        .find(|u| *u != me)
        .unwrap();
    let third = (0..rec.input.candidates.len())
        .map(cand)
        .find(|u| *u != me && *u != other)
        .unwrap();
    let stranger = app.stranger(&rec).await;

    // Only staff who draw generate codes.
    let office = app.login("wy.office").await;
    for who in ["wy.zhang", "wy.jiandu", "wy.leader"] {
        let t = app.token(who).await;
        let r = app
            .post(
                &format!("/api/v1/draws/{id}/access-codes"),
                &t,
                json!({"usci": me}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body);
    }
    // Not a candidate: named on the form.
    let r = generate_code(&app, &office, &id, &stranger).await;
    assert!(r.body.contains("不在本次抽取的候选名单中"), "{}", r.body);
    assert!(!r.body.contains("class=\"code\""));
    let r = generate_code(&app, &office, &id, &me).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("只显示这一次") && r.body.contains(&me));
    let code = code_on(&r.body);
    assert_eq!(code.len(), 11, "{code}");
    assert_eq!(&code[5..6], "-");
    let page = app
        .get(&format!("/console/draws/{id}"), Some(&office))
        .await;
    assert!(page.body.contains("已生成 1 个"), "{}", page.body);
    // The code is nowhere to be read afterwards: not in the audit log, not in the database.
    let audit = app
        .api(
            "GET",
            "/api/v1/audit?per_page=200",
            Some(&app.token("wy.office").await),
            None,
        )
        .await;
    assert!(audit.body.contains("draw.access_codes"), "{}", audit.body);
    assert!(!audit.body.contains(&code) && !audit.body.contains(&code.replace('-', "")));

    // The public gets nothing without the code; the portal's form is there.
    let portal = app.get(&format!("/draws/{id}"), None).await;
    assert!(portal.body.contains(&format!("/draws/{id}/self-check")));
    let (_, csrf) = self_check_form(&app, &id).await;
    let r = app
        .form(
            &format!("/draws/{id}/self-check"),
            None,
            &format!("_csrf={csrf}&usci={me}&code={}", enc(&code)),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no cookie: {}", r.body);
    assert!(!r.body.contains("\"salt\""));

    // One answer for a wrong code, an entity without a code and an entity not in the pool.
    let wrong = self_check(&app, &id, &me, "ABCDE-FGHJK", false).await;
    let no_code = self_check(&app, &id, &other, &code, false).await;
    let outsider = self_check(&app, &id, &stranger, &code, false).await;
    for r in [&wrong, &no_code, &outsider] {
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(
            r.body.contains("统一社会信用代码或查询码不正确"),
            "{}",
            r.body
        );
        assert!(!r.body.contains("\"salt\""));
    }
    let api_wrong = app
        .public_post(
            &format!("/api/v1/public/draws/{id}/self-check"),
            json!({"usci": me, "code": "ABCDE-FGHJK"}),
        )
        .await;
    let api_stranger = app
        .public_post(
            &format!("/api/v1/public/draws/{id}/self-check"),
            json!({"usci": stranger, "code": "ABCDE-FGHJK"}),
        )
        .await;
    assert_eq!(api_wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(api_wrong.body, api_stranger.body);

    // The right code (typed in lower case, without the dash): the page and the file.
    let typed = code.replace('-', "").to_lowercase();
    let r = self_check(&app, &id, &me, &typed, false).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.headers.get("cache-control").and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let opening_staff = app
        .api(
            "GET",
            &format!("/api/v1/draws/{id}/openings/{me}"),
            Some(&app.token("wy.office").await),
            None,
        )
        .await;
    assert_eq!(opening_staff.status, StatusCode::OK);
    let staff: Opening = Opening::from_json(opening_staff.body.as_bytes()).unwrap();
    let class_label = staff.credit_class.map_or("未分级", |c| c.label_zh());
    assert!(r.body.contains(class_label), "{}", r.body);
    assert!(
        r.body
            .contains("lianjian draw verify RECORD.json --opening O.json")
    );
    // Before the embargo ends, nothing says whether the entity was drawn.
    assert!(!r.body.contains("是否在可抽范围"), "{}", r.body);
    let file = self_check(&app, &id, &me, &code, true).await;
    assert_eq!(file.status, StatusCode::OK, "{}", file.body);
    assert!(
        file.headers
            .get("content-disposition")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("attachment")),
    );
    let mine = Opening::from_json(file.body.as_bytes()).unwrap();
    assert_eq!(mine, staff);
    // The opening is about this entity only: its fields, no other credit code, no record data.
    let keys: Vec<String> = file.json().as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys.iter()
            .map(String::as_str)
            .collect::<std::collections::BTreeSet<_>>(),
        [
            "credit_class",
            "draw_id",
            "format",
            "index",
            "risk_weight",
            "salt",
            "usci"
        ]
        .into_iter()
        .collect()
    );
    for c in &rec.input.candidates {
        if c.usci.as_str() != me {
            assert!(!file.body.contains(c.usci.as_str()));
            assert!(
                !r.body.contains(c.usci.as_str()),
                "the page names {}",
                c.usci
            );
        }
    }
    // The API gives the same file.
    let api = app
        .public_post(
            &format!("/api/v1/public/draws/{id}/self-check"),
            json!({"usci": me, "code": code}),
        )
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    assert_eq!(Opening::from_json(api.body.as_bytes()).unwrap(), staff);
    // An entity fetching its opening is in the audit log (never its class).
    let audit = app
        .api(
            "GET",
            "/api/v1/audit?per_page=200",
            Some(&app.token("wy.office").await),
            None,
        )
        .await;
    assert!(audit.body.contains("draw.self_check"), "{}", audit.body);

    // Wrong codes are throttled per draw and entity, like sign-ins: the right code is then
    // refused too, while another entity is not affected.
    let r = generate_code(&app, &office, &id, &third).await;
    let third_code = code_on(&r.body);
    // `other` has one failure already (the look-up without a code above).
    for _ in 0..4 {
        let r = self_check(&app, &id, &other, "ABCDE-FGHJK", false).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    let r = self_check(&app, &id, &other, "ABCDE-FGHJK", false).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.body.contains("查询码输入错误次数过多"), "{}", r.body);
    assert!(r.headers.contains_key("retry-after"));
    let r = self_check(&app, &id, &third, &third_code, true).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for _ in 0..5 {
        self_check(&app, &id, &third, "ABCDE-FGHJK", false).await;
    }
    let r = self_check(&app, &id, &third, &third_code, false).await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the right code is throttled too"
    );

    // A new code replaces the old one.
    let r = generate_code(&app, &office, &id, &me).await;
    let new_code = code_on(&r.body);
    assert_ne!(new_code, code);
    assert_eq!(
        self_check(&app, &id, &me, &code, false).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        self_check(&app, &id, &me, &new_code, false).await.status,
        StatusCode::OK
    );

    // Codes for every candidate, as a workbook for the notices.
    let page = app
        .get(&format!("/console/draws/{id}"), Some(&office))
        .await;
    let r = app
        .form(
            &format!("/console/draws/{id}/access-codes/export"),
            Some(&office),
            &format!("_csrf={}", csrf_of(&page.body)),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("spreadsheetml")),
        "{:?}",
        r.headers
    );
    let page = app
        .get(&format!("/console/draws/{id}"), Some(&office))
        .await;
    assert!(
        page.body
            .contains(&format!("已生成 {} 个", rec.input.candidates.len())),
        "{}",
        page.body
    );
    // The old single code is replaced by the export's.
    assert_eq!(
        self_check(&app, &id, &me, &new_code, false).await.status,
        StatusCode::FORBIDDEN
    );

    // Once the embargo ends (after the period), the page says whether the entity was drawn,
    // checked against the public record, which the opening verifies with.
    let end = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    let days = (end - beijing_today(&app)).num_days().max(0) + 2;
    app.svc.clock.advance(chrono::Duration::days(days));
    let public = app
        .api("GET", &format!("/api/v1/public/draws/{id}"), None, None)
        .await;
    let public = PublicDrawRecord::from_json(public.body.as_bytes()).unwrap();
    let check = staff.check(&public).expect("the opening checks");
    assert!(check.plans.iter().any(|p| p.drawn), "{check:?}");
    let r = app
        .post(
            &format!("/api/v1/draws/{id}/access-codes"),
            &app.token("wy.office").await,
            json!({"usci": me}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let codes = r.json()["codes"].clone();
    assert_eq!(codes.as_array().unwrap().len(), 1, "{codes}");
    let svc_code = codes[0]["code"].as_str().unwrap().to_string();
    let r = self_check(&app, &id, &me, &svc_code, false).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("是否在可抽范围") && r.body.contains("抽中"),
        "{}",
        r.body
    );
}

/// Issue 11 item 3 (embargo): the coordination office's delay is the default for draws in its
/// subtree (the nearest setting wins), a draw may be later but not earlier, the delay is
/// recorded at commitment, and only the region's own office (or a system admin) sets it,
/// within bounds, audited.
async fn office_setting_is_the_default_and_the_floor_of_the_delay(app: App) {
    let delay_of = |r: &Resp| r.json()["publish_delay_days"].as_i64().unwrap();
    let reason = json!({"unwitnessed_reason": "测试：公开延后"});
    // No setting: 0.
    let r = app.redraw(reason.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(delay_of(&r), 0);

    let set = async |who: &str, region: &str, days: &str| -> Resp {
        let cookie = app.login(who).await;
        let page = app.get("/console/settings", Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        app.form(
            "/console/settings",
            Some(&cookie),
            &format!(
                "_csrf={}&region={region}&publish_delay_days={days}",
                csrf_of(&page.body)
            ),
        )
        .await
    };
    // An ancestor's setting reaches the county (the system admin sets it for the province).
    let r = set("admin", "41", "10").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app.redraw(reason.clone()).await;
    assert_eq!(delay_of(&r), 10, "{}", r.body);
    // The county's own office: only its own region, within bounds.
    assert_eq!(
        set("wy.office", "41", "3").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        set("wy.market", "411121", "3").await.status,
        StatusCode::FORBIDDEN
    );
    for bad in ["367", "-1", "abc", ""] {
        let r = set("wy.office", "411121", bad).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.body
        );
        assert!(r.body.contains("0–366"), "{}", r.body);
    }
    let r = set("wy.office", "411121", "20").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let cookie = app.login("wy.office").await;
    let page = app.get("/console/settings", Some(&cookie)).await;
    assert!(page.body.contains("延后 20 天"), "{}", page.body);
    // The nearest setting wins.
    let r = app.redraw(reason.clone()).await;
    assert_eq!(delay_of(&r), 20, "{}", r.body);
    let drawn_with_20 = r.json()["id"].as_str().unwrap().to_string();
    // A draw may publish later than the office says, never earlier.
    let mut early = reason.clone();
    early["publish_delay_days"] = json!(5);
    let r = app.redraw(early).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), vec!["publish_delay_days"]);
    let mut later = reason.clone();
    later["publish_delay_days"] = json!(40);
    let r = app.redraw(later).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(delay_of(&r), 40);
    // Recorded at commitment: a later change moves no date of a committed draw.
    assert_eq!(
        set("wy.office", "411121", "60").await.status,
        StatusCode::SEE_OTHER
    );
    let office = app.token("wy.office").await;
    let r = app
        .api(
            "GET",
            &format!("/api/v1/draws/{drawn_with_20}"),
            Some(&office),
            None,
        )
        .await;
    assert_eq!(r.json()["draw"]["publish_delay_days"], 20, "{}", r.body);
    // A re-draw keeps a delay later than the office's, and otherwise takes the office's.
    let current = app.demo_draw_id().await;
    let r = app
        .post(
            &format!("/api/v1/draws/{current}/redraw"),
            &office,
            json!({"reason": "测试：沿用"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        delay_of(&r),
        60,
        "the old 40 is earlier than the office's 60 now"
    );
    // Every change is in the audit log, with the value before.
    let audit = app
        .api("GET", "/api/v1/audit?per_page=200", Some(&office), None)
        .await;
    assert!(
        audit.body.contains("office_settings.update"),
        "{}",
        audit.body
    );
}
