//! The staff console's queues and bulk work (issue 13 item 3), through the real router on
//! SQLite always and on PostgreSQL when `LIANJIAN_TEST_POSTGRES_URL` is set: the home's to-do
//! counts equal the totals of the lists they link to, 双告知 claims decided in batches with
//! per-row results, a tag rule previewed (who gains and loses the tag) before it is applied,
//! 不符合 answers highlighted and every department of a joint visit named, a complaint visit
//! and a random visit to the same entity flagged and merged, and list options fitted to the
//! user's province.

use crate::common::*;

use axum::http::StatusCode;
use serde_json::{Value, json};

on_both_backends!(
    template = DEMO, setup = app;
    home_counts_equal_the_lists_they_link_to,
    claims_are_decided_in_batches_row_by_row,
    a_tag_rule_is_previewed_before_it_applies,
    reviewers_see_failures_and_every_department,
    a_complaint_visit_overlapping_a_random_one_is_flagged_and_merged,
    a_county_is_offered_only_its_own_province_items,
);

/// The home's to-do cards: (key, link, count).
fn tiles(body: &str) -> Vec<(String, String, u64)> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.find("data-queue=\"") {
        rest = &rest[i + "data-queue=\"".len()..];
        let key = rest[..rest.find('"').unwrap()].to_string();
        let h = rest.find("href=\"").unwrap() + "href=\"".len();
        let href = rest[h..h + rest[h..].find('"').unwrap()].replace("&amp;", "&");
        let n = rest.find("data-count=\"").unwrap() + "data-count=\"".len();
        let count = rest[n..n + rest[n..].find('"').unwrap()].parse().unwrap();
        out.push((key, href, count));
    }
    out
}

/// The total a list page's pager states ("共 N 条"); a list page without rows may show its
/// empty state instead of a pager.
fn list_total(body: &str) -> u64 {
    match body.find("共 ") {
        Some(i) => {
            let digits: String = body[i + "共 ".len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().unwrap()
        }
        None => {
            assert!(!body.contains("<tbody>"), "rows without a pager: {body}");
            0
        }
    }
}

/// The claim ids a claims page offers to the batch bar, in its order.
fn claim_ids(body: &str) -> Vec<String> {
    body.match_indices("name=\"ids\" value=\"")
        .map(|(i, m)| body[i + m.len()..i + m.len() + 36].to_string())
        .collect()
}

async fn home_counts_equal_the_lists_they_link_to(app: App) {
    let mut seen: Vec<(String, String, u64)> = Vec::new();
    for user in [
        "wy.office",
        "wy.market",
        "wy.health",
        "admin",
        "wy.zhang",
        "sd.office",
    ] {
        let cookie = app.login(user).await;
        let home = app.get("/console", Some(&cookie)).await;
        assert_eq!(home.status, StatusCode::OK);
        let ts = tiles(&home.body);
        assert!(!ts.is_empty(), "{user} owns queues: {}", home.body);
        for (key, href, count) in ts {
            let list = app.get(&href, Some(&cookie)).await;
            assert_eq!(list.status, StatusCode::OK, "{user} {key} {href}");
            assert_eq!(
                list_total(&list.body),
                count,
                "{user}: the {key} card says {count}, its list {href} another total"
            );
            seen.push((user.to_string(), key, count));
        }
    }
    let count = |user: &str, key: &str| {
        seen.iter()
            .find(|(u, k, _)| u == user && k == key)
            .map(|x| x.2)
            .unwrap_or_else(|| panic!("{user} has a {key} card: {seen:?}"))
    };
    // The demo: a plan awaits the county office's approval, escalated claims its decision,
    // departments have claims waiting, an inspector has visits to carry out.
    assert!(count("wy.office", "plans_to_approve") > 0, "{seen:?}");
    assert!(count("wy.office", "claims") > 0, "{seen:?}");
    assert!(count("wy.market", "claims") > 0, "{seen:?}");
    assert!(count("wy.zhang", "my_visits") > 0, "{seen:?}");
    assert!(count("admin", "plans_to_approve") >= count("wy.office", "plans_to_approve"));
    // The province office does not approve the county's plans, nor work its claims.
    assert_eq!(count("sd.office", "plans_to_approve"), 0, "{seen:?}");
    assert_eq!(count("sd.office", "claims"), 0, "{seen:?}");
    // Roles own only their queues: inspectors no approvals, departments no plan approvals,
    // leaders none at all.
    assert!(
        !seen
            .iter()
            .any(|(u, k, _)| u == "wy.zhang" && k != "my_visits")
    );
    assert!(
        !seen
            .iter()
            .any(|(u, k, _)| u == "wy.market" && k.starts_with("plans"))
    );
    let cookie = app.login("wy.leader").await;
    let home = app.get("/console", Some(&cookie)).await;
    assert!(tiles(&home.body).is_empty(), "{}", home.body);

    // Approving the plan empties the card and the list together.
    let cookie = app.login("wy.office").await;
    let home = app.get("/console", Some(&cookie)).await;
    let (_, href, n) = tiles(&home.body)
        .into_iter()
        .find(|t| t.0 == "plans_to_approve")
        .unwrap();
    let list = app.get(&href, Some(&cookie)).await;
    let plan = list
        .body
        .match_indices("href=\"/console/plans/")
        .map(|(i, m)| &list.body[i + m.len()..])
        .find_map(|rest| uuid::Uuid::parse_str(rest.get(..36)?).ok())
        .unwrap_or_else(|| panic!("a plan to approve: {}", list.body));
    let page = app
        .get(&format!("/console/plans/{plan}"), Some(&cookie))
        .await;
    let r = app
        .form(
            &format!("/console/plans/{plan}/approve"),
            Some(&cookie),
            &format!("_csrf={}", csrf_of(&page.body)),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let home = app.get("/console", Some(&cookie)).await;
    let after: Vec<_> = tiles(&home.body);
    assert_eq!(
        after.iter().find(|t| t.0 == "plans_to_approve").unwrap().2,
        n - 1
    );
    assert_eq!(
        after.iter().find(|t| t.0 == "plans_to_publish").unwrap().2,
        count("wy.office", "plans_to_publish") + 1
    );
}

async fn claims_are_decided_in_batches_row_by_row(app: App) {
    let market = app.login("wy.market").await;
    let health = app.login("wy.health").await;
    let page = app.get("/console/claims", Some(&market)).await;
    assert!(page.body.contains("data-batch-bar"), "{}", page.body);
    let mine = claim_ids(&page.body);
    let before = list_total(&page.body);
    assert!(mine.len() >= 3, "{}", page.body);
    let hpage = app.get("/console/claims", Some(&health)).await;
    let theirs = claim_ids(&hpage.body);
    let health_before = list_total(&hpage.body);
    assert!(!theirs.is_empty());
    let csrf = csrf_of(&page.body);

    // Without the session's token nothing happens.
    let r = app
        .form(
            "/console/claims/batch",
            Some(&market),
            &format!("action=accept&ids={}", mine[0]),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // A rejection without a reason refuses the whole batch: nothing is decided.
    let r = app
        .form(
            "/console/claims/batch",
            Some(&market),
            &format!(
                "_csrf={csrf}&action=reject&reason=&ids={}&ids={}",
                mine[0], mine[1]
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("退回须说明理由"), "{}", r.body);
    let again = app.get("/console/claims", Some(&market)).await;
    assert_eq!(list_total(&again.body), before);
    // The refused batch keeps its rows checked.
    let row = &r.body[r.body.find(&format!("value=\"{}\"", mine[0])).unwrap()..];
    assert!(
        row[..row.find('>').unwrap()].contains("checked"),
        "{}",
        r.body
    );

    // Two of mine and one of the health department's: mine are accepted, the other is
    // reported by row (not in my queue) and stays the health department's, nameless.
    let r = app
        .form(
            "/console/claims/batch",
            Some(&market),
            &format!(
                "_csrf={csrf}&action=accept&ids={}&ids={}&ids={}",
                mine[0], mine[1], theirs[0]
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("data-batch-done=\"2\""), "{}", r.body);
    assert!(r.body.contains("data-batch-failed=\"1\""), "{}", r.body);
    assert!(r.body.contains("不在您的待办中"), "{}", r.body);
    assert!(r.body.contains("所选第 3 条"), "{}", r.body);
    assert_eq!(list_total(&r.body), before - 2);
    let hpage = app.get("/console/claims", Some(&health)).await;
    assert_eq!(list_total(&hpage.body), health_before);
    assert!(claim_ids(&hpage.body).contains(&theirs[0]));

    // The same batch again: both claims are no longer pending, each row says so.
    let r = app
        .form(
            "/console/claims/batch",
            Some(&market),
            &format!("_csrf={csrf}&action=accept&ids={}&ids={}", mine[0], mine[1]),
        )
        .await;
    assert!(r.body.contains("data-batch-done=\"0\""), "{}", r.body);
    assert!(r.body.contains("data-batch-failed=\"2\""), "{}", r.body);

    // Batch rejection with a reason: done, and audited per claim.
    let r = app
        .form(
            "/console/claims/batch",
            Some(&market),
            &format!(
                "_csrf={csrf}&action=reject&reason={}&ids={}",
                enc("不属于本部门监管范围"),
                mine[2]
            ),
        )
        .await;
    assert!(r.body.contains("data-batch-done=\"1\""), "{}", r.body);
    let admin = app.token("admin").await;
    let log = app
        .get_json("/api/v1/audit?action=claim.accept&per_page=200", &admin)
        .await;
    assert!(log["total"].as_u64().unwrap() >= 2, "{log}");

    // Inspectors have no batch bar and are refused.
    let zhang = app.login("wy.zhang").await;
    let zpage = app.get("/console", Some(&zhang)).await;
    let r = app
        .form(
            "/console/claims/batch",
            Some(&zhang),
            &format!(
                "_csrf={}&action=accept&ids={}",
                csrf_of(&zpage.body),
                theirs[0]
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The office assigns escalated claims in one go; a department outside a claim's region
    // fails that row only.
    let office = app.login("wy.office").await;
    let opage = app.get("/console/claims", Some(&office)).await;
    let esc = claim_ids(&opage.body);
    let esc_before = list_total(&opage.body);
    assert!(esc.len() >= 2, "{}", opage.body);
    assert!(!opage.body.contains("（411121）"), "labels, not codes");
    let token = app.token("wy.office").await;
    let dept = app.department(&token, "411121", "县卫生健康委").await;
    let r = app
        .form(
            "/console/claims/batch",
            Some(&office),
            &format!(
                "_csrf={}&action=assign&department_id={dept}&note={}&ids={}&ids={}",
                csrf_of(&opage.body),
                enc("经研判属卫生健康部门监管"),
                esc[0],
                esc[1]
            ),
        )
        .await;
    assert!(r.body.contains("data-batch-done=\"2\""), "{}", r.body);
    assert_eq!(list_total(&r.body), esc_before - 2);
}

/// How many entities carry the tag 医疗美容机构.
async fn tagged(app: &App, token: &str) -> u64 {
    app.get_json(
        &format!("/api/v1/entities?tag={}&per_page=1", enc("医疗美容机构")),
        token,
    )
    .await["total"]
        .as_u64()
        .unwrap()
}

async fn a_tag_rule_is_previewed_before_it_applies(app: App) {
    let office = app.login("wy.office").await;
    let token = app.token("wy.office").await;
    let before = tagged(&app, &token).await;
    let page = app.get("/console/tags", Some(&office)).await;
    assert!(page.body.contains("预览变化"), "{}", page.body);
    let csrf = csrf_of(&page.body);
    let form = format!(
        "_csrf={csrf}&tag={}&kind=scope_keyword&pattern={}",
        enc("医疗美容机构"),
        enc("美容")
    );

    // The keyword 美容 would put hair salons and car washes under 医疗美容机构: the preview
    // says how many and names them, and nothing is tagged yet.
    let r = app.form("/console/tags/rules", Some(&office), &form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("data-preview=\"gained\""), "{}", r.body);
    let i = r.body.find("data-preview=\"gained\"").unwrap();
    let n = r.body[i..].find("data-count=\"").unwrap() + i + "data-count=\"".len();
    let gained: u64 = r.body[n..n + r.body[n..].find('"').unwrap()]
        .parse()
        .unwrap();
    assert!(gained > 0, "{}", r.body);
    assert!(
        r.body.contains("美发店") || r.body.contains("洗车行"),
        "ordinary salons are named: {}",
        r.body
    );
    assert_eq!(
        tagged(&app, &token).await,
        before,
        "a preview writes nothing"
    );

    // A confirmation carrying other counts than the directory gives now changes nothing.
    let r = app
        .form(
            "/console/tags/rules",
            Some(&office),
            &format!(
                "{form}&confirm=1&expect_gained={}&expect_lost=0",
                gained + 1
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("请重新预览"), "{}", r.body);
    assert_eq!(tagged(&app, &token).await, before);

    // Confirmed with the previewed counts: exactly those entities gain the tag.
    let r = app
        .form(
            "/console/tags/rules",
            Some(&office),
            &format!("{form}&confirm=1&expect_gained={gained}&expect_lost=0"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(tagged(&app, &token).await, before + gained);

    // Removing the rule previews who loses the tag, then removes it.
    let rules = app
        .get_json(
            &format!("/api/v1/tags/{}/rules", enc("医疗美容机构")),
            &token,
        )
        .await;
    let rule = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["pattern"] == "美容")
        .unwrap_or_else(|| panic!("{rules}"))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let page = app.get("/console/tags", Some(&office)).await;
    let csrf = csrf_of(&page.body);
    let r = app
        .form(
            &format!("/console/tags/rules/{rule}/delete"),
            Some(&office),
            &format!("_csrf={csrf}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body
            .contains(&format!("data-preview=\"lost\"><div class=\"card-header\">失去标签 <span class=\"badge text-bg-danger\" data-count=\"{gained}\"")),
        "{}",
        r.body
    );
    assert_eq!(tagged(&app, &token).await, before + gained);
    let r = app
        .form(
            &format!("/console/tags/rules/{rule}/delete"),
            Some(&office),
            &format!("_csrf={csrf}&confirm=1&expect_gained=0&expect_lost={gained}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(tagged(&app, &token).await, before);

    // Someone who may not edit the tag gets no preview either.
    let market = app.login("wy.market").await;
    let mpage = app.get("/console/tags", Some(&market)).await;
    let r = app
        .form(
            "/console/tags/rules",
            Some(&market),
            &format!(
                "_csrf={}&tag={}&kind=scope_keyword&pattern={}",
                csrf_of(&mpage.body),
                enc("医疗美容机构"),
                enc("美容")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}

async fn reviewers_see_failures_and_every_department(app: App) {
    let market = app.token("wy.market").await;
    let cookie = app.login("wy.market").await;
    // The published pharmacy visit has one 不符合 answer.
    let id = app.published_visit(&market).await;
    let page = app
        .get(&format!("/console/visits/{id}"), Some(&cookie))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.body
            .matches("class=\"table-danger\" data-failed")
            .count(),
        1,
        "{}",
        page.body
    );
    assert!(
        page.body.contains("data-failed-count=\"1\""),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<span class=\"badge text-bg-danger\">不符合</span>")
    );

    // The joint clinic visit names both departments.
    let l = app
        .get_json("/api/v1/visits?status=scheduled&per_page=200", &market)
        .await;
    let clinic = l["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["visit"]["trigger"] == "complaint")
        .unwrap()["visit"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let page = app
        .get(&format!("/console/visits/{clinic}"), Some(&cookie))
        .await;
    let i = page.body.find("data-departments").unwrap();
    let dd = &page.body[i..i + page.body[i..].find("</dd>").unwrap()];
    assert!(
        dd.contains("县市场监管局") && dd.contains("县卫生健康委"),
        "{dd}"
    );
}

async fn a_complaint_visit_overlapping_a_random_one_is_flagged_and_merged(app: App) {
    let office = app.token("wy.office").await;
    let l = app
        .get_json("/api/v1/visits?status=scheduled&per_page=200", &office)
        .await;
    let random = l["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["visit"]["trigger"] == "random")
        .unwrap_or_else(|| panic!("the demo draw's visits: {l}"))["visit"]
        .clone();
    let random_id = random["id"].as_str().unwrap().to_string();
    let rv = app
        .get_json(&format!("/api/v1/visits/{random_id}"), &office)
        .await;
    let random_items: Vec<String> = rv["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["item_id"].as_str().unwrap().to_string())
        .collect();
    // A complaint about the same entity, on an item the draw does not check, in a period
    // that overlaps the draw's.
    let items = app
        .get_json("/api/v1/items?status=published&per_page=200", &office)
        .await;
    let extra = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            !random_items.contains(&i["id"].as_str().unwrap().to_string())
                && i["code"].as_str().unwrap().starts_with("WY-")
        })
        .unwrap()["id"]
        .clone();
    let pool = app
        .get_json("/api/v1/inspectors?per_page=200", &office)
        .await;
    let team_of = |v: &Value| -> Vec<String> {
        v["team"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["member"]["inspector_id"].as_str().unwrap().to_string())
            .collect()
    };
    let drawn = team_of(&rv);
    assert!(!drawn.is_empty(), "{rv}");
    // One of the drawn members (must not be listed twice after the merge) and two others.
    let active: Vec<&Value> = pool["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "officer" && m["status"] == "active")
        .collect();
    let newcomers: Vec<String> = active
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .filter(|id| !drawn.contains(id))
        .take(2)
        .collect();
    assert_eq!(newcomers.len(), 2, "{pool}");
    let officers: Vec<Value> = std::iter::once(drawn[0].clone())
        .chain(newcomers.iter().cloned())
        .map(Value::from)
        .collect();
    let end = random["period_end"].as_str().unwrap();
    let r = app
        .post(
            "/api/v1/visits",
            &office,
            json!({
                "usci": random["usci"],
                "item_ids": [extra],
                "trigger": "complaint",
                "trigger_note": "12345热线：群众反映该单位存在安全隐患",
                "inspector_ids": officers,
                "period_start": end,
                "period_end": end,
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let created = r.json();
    let ad_hoc = created["visit"]["id"].as_str().unwrap().to_string();
    // Warned when it is created …
    assert_eq!(created["overlaps"][0]["visit_id"], random_id, "{created}");
    assert_eq!(created["overlaps"][0]["ad_hoc_id"], ad_hoc.as_str());

    // … and on both visits' pages.
    let cookie = app.login("wy.office").await;
    for (page_of, other) in [(&ad_hoc, &random_id), (&random_id, &ad_hoc)] {
        let p = app
            .get(&format!("/console/visits/{page_of}"), Some(&cookie))
            .await;
        assert!(
            p.body.contains(&format!("data-overlap=\"{other}\"")),
            "{}",
            p.body
        );
        assert!(
            p.body
                .contains(&format!("action=\"/console/visits/{ad_hoc}/merge\""))
        );
    }

    // An inspector may not merge.
    let zhang = app.login("wy.zhang").await;
    let zp = app.get("/console", Some(&zhang)).await;
    let r = app
        .form(
            &format!("/console/visits/{ad_hoc}/merge"),
            Some(&zhang),
            &format!("_csrf={}&into={random_id}", csrf_of(&zp.body)),
        )
        .await;
    assert!(
        matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        r.status
    );

    // The office merges: the draw's visit takes the item and the matter, the complaint visit
    // is cancelled with a link to it, both audited.
    let p = app
        .get(&format!("/console/visits/{random_id}"), Some(&cookie))
        .await;
    let r = app
        .form(
            &format!("/console/visits/{ad_hoc}/merge"),
            Some(&cookie),
            &format!("_csrf={}&into={random_id}", csrf_of(&p.body)),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let merged = app
        .get_json(&format!("/api/v1/visits/{random_id}"), &office)
        .await;
    assert!(
        merged["parts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["item_id"] == extra),
        "{merged}"
    );
    assert!(
        merged["visit"]["trigger_note"]
            .as_str()
            .unwrap()
            .contains("群众反映该单位存在安全隐患"),
        "{merged}"
    );
    assert_eq!(merged["overlaps"], json!([]));
    // The complaint visit's inspectors joined the drawn team, after it, nobody twice.
    let team = team_of(&merged);
    assert_eq!(team[..drawn.len()], drawn[..], "{merged}");
    assert_eq!(team.len(), drawn.len() + 2, "{merged}");
    for id in &newcomers {
        assert_eq!(team.iter().filter(|t| *t == id).count(), 1, "{merged}");
    }
    let gone = app
        .get_json(&format!("/api/v1/visits/{ad_hoc}"), &office)
        .await;
    assert_eq!(gone["visit"]["status"], "cancelled");
    assert_eq!(gone["merged_into"][0], random_id.as_str());
    let p = app
        .get(&format!("/console/visits/{ad_hoc}"), Some(&cookie))
        .await;
    assert!(
        p.body
            .contains(&format!("href=\"/console/visits/{random_id}\""))
            && p.body.contains("data-merged-into"),
        "{}",
        p.body
    );
    let admin = app.token("admin").await;
    for action in ["visit.merge_in", "visit.merge_out"] {
        let log = app
            .get_json(&format!("/api/v1/audit?action={action}"), &admin)
            .await;
        assert_eq!(log["total"], 1, "{action}: {log}");
        if action == "visit.merge_in" {
            let after: Value =
                serde_json::from_str(log["items"][0]["after"].as_str().unwrap()).unwrap();
            let mut added: Vec<String> = after["inspectors_added"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            added.sort();
            let mut want = newcomers.clone();
            want.sort();
            assert_eq!(added, want, "{log}");
        }
    }
    // Merging again: the complaint visit is cancelled, nothing more happens.
    let r = app
        .form(
            &format!("/console/visits/{ad_hoc}/merge"),
            Some(&cookie),
            &format!("_csrf={}&into={random_id}", csrf_of(&p.body)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}

async fn a_county_is_offered_only_its_own_province_items(app: App) {
    // The demo holds Shandong's pilot items (province 37) next to Wuyang's (Henan).
    let admin = app.token("admin").await;
    let all = app
        .get_json("/api/v1/items?status=published&per_page=200", &admin)
        .await;
    let shandong: Vec<String> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["region_code"]
                .as_str()
                .is_some_and(|r| r.starts_with("37"))
        })
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!shandong.is_empty(), "{all}");
    let cookie = app.login("wy.office").await;
    let page = app.get("/console/results", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("WY-2024-02"),
        "its own items are offered"
    );
    for id in &shandong {
        assert!(
            !page.body.contains(&format!("value=\"{id}\"")),
            "a Shandong item offered to a Henan county: {id}"
        );
    }

    // Departments a tag may name: the county's and the levels above it, never Shandong's —
    // also for the administrator homed in Shandong once working in the county's view.
    let page = app.get("/console/tags", Some(&cookie)).await;
    assert!(
        page.body.contains("县卫生健康委（舞阳县）"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("省发展改革委"), "{}", page.body);
    let admin = app.login("admin").await;
    let home = app.get("/console", Some(&admin)).await;
    let page = app.get("/console/tags", Some(&admin)).await;
    assert!(
        page.body.contains("省发展改革委"),
        "everything without a view chosen"
    );
    let r = app
        .form(
            "/console/context",
            Some(&admin),
            &format!("_csrf={}&region=411121&line=", csrf_of(&home.body)),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get("/console/tags", Some(&admin)).await;
    assert!(
        page.body.contains("县卫生健康委（舞阳县）"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("省发展改革委"), "{}", page.body);
}
