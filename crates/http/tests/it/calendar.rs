//! The working-day calendar (工作日历) through the real router (API and console), on SQLite always
//! and on PostgreSQL when `LIANJIAN_TEST_POSTGRES_URL` is set. The migration seeds the State
//! Council's arrangements for 2025 and 2026; 2027 is not loaded.

use crate::common::*;

use axum::http::StatusCode;
use serde_json::json;

on_both_backends!(
    template = DEMO, setup = app;
    api_change_is_audited_and_moves_a_deadline,
    only_national_maintainers_change_the_calendar,
    bad_csv_names_the_line_and_imports_nothing,
    console_page_shows_year_grid_warning_and_deadline,
    bad_inputs_are_refused_with_the_field,
);

impl App {
    async fn due(&self, token: &str, from: &str, n: u32) -> String {
        let d = self
            .get_json(
                &format!("/api/v1/calendar/working-days?from={from}&n={n}"),
                token,
            )
            .await;
        d["due"].as_str().unwrap().to_string()
    }

    async fn calendar_actions(&self, date: &str) -> Vec<String> {
        lianjian_store::audit::of_object(self.svc.store.conn(), "calendar_day", date, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect()
    }
}

async fn api_change_is_audited_and_moves_a_deadline(app: App) {
    let admin = app.token("admin").await;
    let y = app.get_json("/api/v1/calendar?year=2026", &admin).await;
    assert_eq!(y["covered"], true);
    assert_eq!(y["days"].as_array().unwrap().len(), 39);
    assert_eq!(y["days"][0]["date"], "2026-01-01");
    assert_eq!(y["days"][0]["updated_by"], "builtin");
    assert_eq!(
        app.get_json("/api/v1/calendar?year=2027", &admin).await["covered"],
        false
    );

    // Friday 2026-10-09 + 1 working day is the make-up Saturday 10-10 (调休上班).
    assert_eq!(app.due(&admin, "2026-10-09", 1).await, "2026-10-10");
    // Removing that make-up day moves the deadline to Monday 10-12.
    let r = app
        .api("DELETE", "/api/v1/calendar/2026-10-10", Some(&admin), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(app.due(&admin, "2026-10-09", 1).await, "2026-10-12");
    assert_eq!(
        app.calendar_actions("2026-10-10").await,
        ["calendar.remove"]
    );
    // Removing it again: nothing listed on that date.
    let r = app
        .api("DELETE", "/api/v1/calendar/2026-10-10", Some(&admin), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // A new holiday on Monday 10-12 moves it again, to Tuesday 10-13.
    let r = app
        .api(
            "PUT",
            "/api/v1/calendar/2026-10-12",
            Some(&admin),
            Some(&json!({"kind": "休", "name": "地方调整"}).to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["kind"], "holiday");
    assert_eq!(r.json()["weekday"], "周一");
    assert_eq!(r.json()["updated_by"], "admin");
    assert_eq!(app.due(&admin, "2026-10-09", 1).await, "2026-10-13");
    let entries =
        lianjian_store::audit::of_object(app.svc.store.conn(), "calendar_day", "2026-10-12", 10)
            .await
            .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, "calendar.set");
    assert_eq!(entries[0].actor_name, "admin");
    assert!(entries[0].before.is_none());
    let after: serde_json::Value =
        serde_json::from_str(entries[0].after.as_deref().unwrap()).unwrap();
    assert_eq!(after["kind"], "holiday");
    assert_eq!(after["date"], "2026-10-12");

    // Replacing it records what it was before.
    let r = app
        .api(
            "PUT",
            "/api/v1/calendar/2026-10-12",
            Some(&admin),
            Some(&json!({"kind": "holiday", "name": "地方调整二"}).to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let entries =
        lianjian_store::audit::of_object(app.svc.store.conn(), "calendar_day", "2026-10-12", 10)
            .await
            .unwrap();
    assert_eq!(entries.len(), 2);
    assert!(
        entries.iter().any(|e| e
            .before
            .as_deref()
            .is_some_and(|b| b.contains("\"地方调整\""))),
        "{entries:?}"
    );

    // 20 working days across a year that is not loaded are flagged.
    let d = app
        .get_json("/api/v1/calendar/working-days?from=2026-12-20&n=20", &admin)
        .await;
    assert_eq!(d["uncovered_years"], json!([2027]));
    let d = app
        .get_json("/api/v1/calendar/working-days?from=2026-09-18&n=20", &admin)
        .await;
    // 2026-10-22 on the notice's calendar (the domain tests), two working days later here:
    // the make-up Saturday 10-10 was removed and Monday 10-12 made a holiday above.
    assert_eq!(d["due"], "2026-10-26");
    assert_eq!(d["uncovered_years"], json!([]));
}

async fn only_national_maintainers_change_the_calendar(app: App) {
    let body = json!({"kind": "holiday", "name": "测试"}).to_string();
    // A department administrator and a county coordination office: 403, nothing changed.
    for who in ["wy.market", "wy.office"] {
        let t = app.token(who).await;
        let r = app
            .api("PUT", "/api/v1/calendar/2027-01-01", Some(&t), Some(&body))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body);
        let r = app
            .api("DELETE", "/api/v1/calendar/2026-10-01", Some(&t), None)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body);
        // Reading and computing deadlines is open to every signed-in user.
        assert_eq!(app.due(&t, "2026-09-30", 1).await, "2026-10-08");
    }
    assert!(app.calendar_actions("2027-01-01").await.is_empty());
    assert!(app.calendar_actions("2026-10-01").await.is_empty());
    // The provincial coordination office may.
    let t = app.token("sd.office").await;
    let r = app
        .api("PUT", "/api/v1/calendar/2027-01-01", Some(&t), Some(&body))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // No token at all: 401.
    let r = app
        .api(
            "GET",
            "/api/v1/calendar/working-days?from=2026-09-30&n=1",
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // The console page offers no maintenance forms to others, and refuses their posts.
    let cookie = app.login("wy.market").await;
    let page = app.get("/console/calendar?year=2026", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("/console/calendar/import"));
    let csrf = csrf_of(&page.body);
    let r = app
        .form(
            "/console/calendar/2026-10-01/remove",
            Some(&cookie),
            &format!("_csrf={csrf}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn bad_csv_names_the_line_and_imports_nothing(app: App) {
    let cookie = app.login("admin").await;
    let page = app.get("/console/calendar?year=2027", Some(&cookie)).await;
    let csrf = csrf_of(&page.body);
    let csv = "date,kind,name\n2027-01-01,休,元旦\n2027-02-30,休,春节\n";
    let r = app
        .form(
            "/console/calendar/import",
            Some(&cookie),
            &format!("_csrf={csrf}&year=2027&csv={}", enc(csv)),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("第 3 行第 1 列（日期）“2027-02-30”"),
        "{}",
        r.body
    );
    // The text stays in the box to be corrected.
    assert!(r.body.contains("2027-02-30,休,春节"));
    let admin = app.token("admin").await;
    let y = app.get_json("/api/v1/calendar?year=2027", &admin).await;
    assert_eq!(
        y["days"].as_array().unwrap().len(),
        0,
        "all or nothing: {y}"
    );

    // Corrected, it imports; importing again changes nothing.
    let csv = "date,kind,name\n2027-01-01,休,元旦\n2027-10-01,休,国庆节\n2027-10-09,班,国庆节\n";
    for (added, unchanged) in [(3, 0), (0, 3)] {
        let r = app
            .form(
                "/console/calendar/import",
                Some(&cookie),
                &format!("_csrf={csrf}&year=2027&csv={}", enc(csv)),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let to = r.headers["location"].to_str().unwrap().to_string();
        assert!(
            to.contains(&format!("added={added}&changed=0&unchanged={unchanged}")),
            "{to}"
        );
    }
    let y = app.get_json("/api/v1/calendar?year=2027", &admin).await;
    assert_eq!(y["days"].as_array().unwrap().len(), 3);
    assert_eq!(y["covered"], true);
    assert_eq!(
        app.calendar_actions("2027-10-09").await,
        ["calendar.import"]
    );
    // Saturday 2027-10-09 is now a make-up workday.
    assert_eq!(app.due(&admin, "2027-10-08", 1).await, "2027-10-09");

    // The service's error names line, column and value as well (the CLI prints it).
    let e = lianjian_services::calendar::import_csv(
        &app.svc,
        &lianjian_services::cli_actor(),
        "2027-05-01,放羊,劳动节",
    )
    .await
    .unwrap_err();
    let lianjian_services::ServiceError::Invalid(f) = e else {
        panic!("{e:?}")
    };
    assert_eq!(f[0].field, "file");
    assert!(
        f[0].message.contains("第 1 行第 2 列（类型）“放羊”"),
        "{f:?}"
    );
}

async fn console_page_shows_year_grid_warning_and_deadline(app: App) {
    let cookie = app.login("admin").await;
    let r = app.get("/console/calendar?year=2026", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("2026-02-15"));
    assert!(r.body.contains("春节"));
    assert!(r.body.contains("class=\"cal-workday\""));
    assert!(!r.body.contains("data-warning=\"uncovered\""));
    // Removal asks first.
    assert!(r.body.contains("data-confirm=\"确定删除 2026-02-15"));
    // Linked from the navigation.
    assert!(r.body.contains("href=\"/console/calendar\""));

    let r = app.get("/console/calendar?year=2028", Some(&cookie)).await;
    assert!(r.body.contains("data-warning=\"uncovered\""));
    assert!(r.body.contains("2028年节假日安排尚未录入，按周末计算"));
    assert!(r.body.contains("data-empty=\"calendar\""));

    let r = app
        .get(
            "/console/calendar?year=2026&from=2026-02-13&n=5",
            Some(&cookie),
        )
        .await;
    assert!(r.body.contains("data-due=\"2026-02-27\""), "{}", r.body);

    let csrf = csrf_of(&r.body);
    // A form without the session's CSRF token changes nothing.
    let r = app
        .form(
            "/console/calendar/2026-02-15/remove",
            Some(&cookie),
            "_csrf=forged",
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(app.calendar_actions("2026-02-15").await.is_empty());

    // Add a day through the form, then remove it.
    let r = app
        .form(
            "/console/calendar",
            Some(&cookie),
            &format!(
                "_csrf={csrf}&date=2026-11-02&kind=holiday&name={}",
                enc("测试假日")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        app.due(&app.token("admin").await, "2026-10-30", 1).await,
        "2026-11-03"
    );
    let r = app
        .form(
            "/console/calendar/2026-11-02/remove",
            Some(&cookie),
            &format!("_csrf={csrf}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        app.calendar_actions("2026-11-02").await,
        ["calendar.set", "calendar.remove"]
    );
    // A make-up workday on a weekday is refused on the form, with the reason.
    let r = app
        .form(
            "/console/calendar",
            Some(&cookie),
            &format!(
                "_csrf={csrf}&date=2026-11-04&kind=workday&name={}",
                enc("测试")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("调休上班日应为周六或周日"), "{}", r.body);
}

async fn bad_inputs_are_refused_with_the_field(app: App) {
    let admin = app.token("admin").await;
    let put = |date: &'static str, body: serde_json::Value| {
        let admin = admin.clone();
        let app = &app;
        async move {
            app.api(
                "PUT",
                &format!("/api/v1/calendar/{date}"),
                Some(&admin),
                Some(&body.to_string()),
            )
            .await
        }
    };
    let r = put("2026-13-01", json!({"kind": "holiday", "name": "x"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.fields(), ["date"]);
    let r = put("2026-11-04", json!({"kind": "workday", "name": "x"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), ["kind"]);
    let r = put("2026-11-04", json!({"kind": "maybe", "name": "x"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), ["kind"]);
    let r = put("2026-11-04", json!({"kind": "holiday", "name": "  "})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), ["name"]);

    let r = app
        .api(
            "GET",
            "/api/v1/calendar/working-days?from=2026-01-01&n=99999",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), ["n"]);
    let r = app
        .api(
            "GET",
            "/api/v1/calendar/working-days?from=20260101&n=1",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.fields(), ["from"]);
    let r = app
        .api("GET", "/api/v1/calendar?year=abc", Some(&admin), None)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // n = 0 is the start date itself.
    assert_eq!(app.due(&admin, "2026-10-03", 0).await, "2026-10-03");
}
