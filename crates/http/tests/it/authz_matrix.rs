//! The authorization matrix (issue 12, item 2): every API operation and every console and
//! portal route, requested by every role from three positions relative to the object it
//! names, on SQLite and PostgreSQL, against one declarative table (`authz_matrix/table.rs`).
//!
//! **Fixture** (built once per backend): the demo county 舞阳县 (411121) is county A; its
//! 县市场监管局 (line `market`) is department X, its 县卫生健康委 (line `health`) department Y.
//! County B is 临颍县 (411122) with the same built-in department set copied in; its
//! 县市场监管局 is on X's line, so only the region tells it apart. For each of the six roles of
//! `domain::account::Role` one account is made in each position:
//! - `own`: in X itself, the department owning every object;
//! - `dept`: in Y, another department (another line) of the same county;
//! - `county`: in county B's market department (same line, other county).
//!
//! The objects are owned by county A / department X and come from the services: the demo's
//! item WY-2024-02 (lead: X), its published plan and a draft plan of X, a tag X owns and one of
//! its rules, an entity of county A, the demo draw and its pharmacy visit with the
//! rectification order; a referral, a case transfer, an evidence file, an inspector of X with a
//! declared conflict, a user of X and one of its tokens, and a 双告知 claim offered to X are
//! added by the fixture through the API as X's administrator or the system administrator.
//!
//! **Table**: one row per (method, route pattern), with the concrete request (placeholders
//! `<name>` are the fixture's objects), a body where the route takes one, and the expected
//! outcome per role × position as six groups of three letters (system admin, coordination
//! office, department admin, inspector, leader, supervisor; each `own dept other`):
//! - `A` allowed: 2xx or 3xx (a redirect that is not to the sign-in page);
//! - `P` passed authorization: anything but 401/403/404, a sign-in redirect or a 5xx. For
//!   mutations whose outcome depends on state the matrix itself changes (a plan already
//!   published by the previous allowed caller answers 409; a form posted with placeholder
//!   values answers 422). A 404 is accepted once an earlier caller of the row succeeded (it may
//!   have deleted the object);
//! - `F` 403; `H` 404 (hidden by scope); `V` 422 where a refusal is a field
//!   error by design (creating in a region outside one's scope answers 422 `outside_scope`);
//! - `S` refused, by role or by the object's state: 403, 404, 409 or 422. Only where the
//!   service looks at the state before it asks who acts and the fixture's object is in a state
//!   that refuses everybody (a published visit cannot be reviewed again); the row says so;
//! - anonymous callers are checked too: `U` (401, or a redirect to the sign-in page) unless
//!   the row is public.
//!
//! Within a row the refusals are requested first, so an allowed mutation cannot hide what a
//! refused one would have done. The test fails when an outcome differs from the table, when an
//! operation of the OpenAPI document or a `.route("…")` literal in `crates/http/src/**` has no
//! row, or when a row names a route that does not exist; the failure lists every difference
//! with the letters observed for the whole row, so a policy change is a reviewed table edit.
//!
//! **Limits**, each stated on its rows: no caller is on the visit's team, so recording (start,
//! draft, attachments, confirm, the field form) is only checked as refused; the fixture's visit
//! is published, so review/publish/close refuse by state (`S`) for the roles that may not act;
//! claims are assignable only once escalated, so assigning is only checked as refused; the
//! allowed cases of those are covered by the capability's own tests (visits.rs, directory.rs).

#[path = "authz_matrix/table.rs"]
mod table;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use crate::common::*;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use lianjian_domain::account::Role;
use lianjian_services::{accounts, departments};
use serde_json::{Value, json};
use table::{Payload, Row};
use tower::ServiceExt;

on_both_backends!(template = DEMO, setup = app; authorization_matrix);

/// Where an actor sits relative to the objects (county A, department X).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Pos {
    Own,
    Dept,
    County,
}

const POSITIONS: [Pos; 3] = [Pos::Own, Pos::Dept, Pos::County];

fn short(r: Role) -> &'static str {
    match r {
        Role::SystemAdmin => "sa",
        Role::CoordinationOffice => "co",
        Role::DepartmentAdmin => "da",
        Role::Inspector => "in",
        Role::Leader => "le",
        Role::Supervisor => "su",
        Role::Procuratorate => "pr",
    }
}

fn pos_name(p: Pos) -> &'static str {
    match p {
        Pos::Own => "own",
        Pos::Dept => "dept",
        Pos::County => "county",
    }
}

struct Caller {
    token: String,
    cookie: String,
    csrf: String,
}

struct Fixture {
    callers: HashMap<(Role, Pos), Caller>,
    /// The directory's import template (an empty workbook the importer accepts).
    template: Vec<u8>,
    /// `<name>` → value, for paths and bodies.
    vars: BTreeMap<String, String>,
}

impl App {
    async fn as_json(&self, method: &str, path: &str, token: &str, body: Value) -> Value {
        let r = self
            .api(method, path, Some(token), Some(&body.to_string()))
            .await;
        assert!(
            r.status.is_success(),
            "{method} {path}: {} {}",
            r.status,
            r.body
        );
        r.json()
    }
}

/// The directory's import template, fetched as an administrator would.
async fn template_bytes(app: &App) -> Vec<u8> {
    let cookie = app.login("admin").await;
    let r = app
        .router
        .clone()
        .oneshot(
            Request::builder()
                .uri("/console/import/template/entities")
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.into_body().collect().await.unwrap().to_bytes().to_vec()
}

async fn fixture(app: &App) -> Fixture {
    let sys = lianjian_services::cli_actor();
    let svc = &app.svc;
    departments::copy_builtin_set(
        svc,
        &sys,
        lianjian_domain::department::WUYANG_17.key,
        "411122",
    )
    .await
    .expect("county B departments");
    let admin = app.token("admin").await;
    let dept_of = |region: &'static str, name: &'static str| async move {
        let code = lianjian_domain::region::RegionCode::parse(region).unwrap();
        lianjian_store::departments::find_by_name(svc.store.conn(), &code, name)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{name} in {region}"))
            .id
    };
    let x = dept_of("411121", "县市场监管局").await;
    let y = dept_of("411121", "县卫生健康委").await;
    let bx = dept_of("411122", "县市场监管局").await;

    let mut callers = HashMap::new();
    let mut n = 0;
    for role in Role::ALL {
        for pos in POSITIONS {
            n += 1;
            let username = format!("az.{}.{}", short(role), pos_name(pos));
            let dept = match pos {
                Pos::Own => x,
                Pos::Dept => y,
                Pos::County => bx,
            };
            accounts::create_user(
                svc,
                &sys,
                accounts::UserInput {
                    username: username.clone(),
                    display_name: format!("矩阵{n}"),
                    role: role.as_str().into(),
                    department_id: dept.to_string(),
                    certificate_no: if role == Role::Inspector {
                        format!("AZ{n:06}")
                    } else {
                        String::new()
                    },
                    password: lianjian_services::demo::DEMO_PASSWORD.into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{username}: {e:?}"));
            let token = app.token(&username).await;
            let cookie = app.login(&username).await;
            let page = app.get("/console/account", Some(&cookie)).await;
            assert_eq!(page.status, StatusCode::OK, "{username}: {}", page.body);
            let csrf = csrf_of(&page.body);
            callers.insert(
                (role, pos),
                Caller {
                    token,
                    cookie,
                    csrf,
                },
            );
        }
    }

    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    let mut set = |k: &str, v: &str| {
        vars.insert(k.to_string(), v.to_string());
    };
    set("dept", &x.to_string());
    set("dept_y", &y.to_string());
    set("dept_b", &bx.to_string());
    set("region", "411121");
    set("new_usci", &usci("411121", 901));
    set("new_usci2", &usci("411121", 902));

    let market = app.token("wy.market").await;
    // The item: WY-2024-02, led by X.
    let items = app.get_json("/api/v1/items?q=WY-2024-02", &admin).await;
    let item = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "WY-2024-02")
        .unwrap_or_else(|| panic!("{items}"))
        .clone();
    let item_id = item["id"].as_str().unwrap().to_string();
    set("item", &item_id);
    set("item_code", "WY-2024-02");

    // Plans of X: the published one of WY-2024-02, and a draft one made here.
    let plans = app.get_json("/api/v1/plans?per_page=200", &admin).await;
    let plan = plans["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p.to_string().contains(&item_id))
        .unwrap_or_else(|| panic!("plan of the item: {plans}"))
        .clone();
    let plan_id = plan["id"]
        .as_str()
        .or(plan["plan"]["id"].as_str())
        .unwrap_or_else(|| panic!("{plan}"))
        .to_string();
    let plan_code = plan["code"]
        .as_str()
        .or(plan["plan"]["code"].as_str())
        .unwrap_or_else(|| panic!("{plan}"))
        .to_string();
    set("plan", &plan_id);
    set("plan_code", &plan_code);

    // A tag X owns in county A, and one of its rules.
    let tags = app.get_json("/api/v1/tags?per_page=200", &admin).await;
    let tag = tags
        .as_array()
        .or(tags["items"].as_array())
        .unwrap_or_else(|| panic!("{tags}"))
        .iter()
        .find(|t| t["owner_department_id"] == x.to_string() && t["region_code"] == "411121")
        .unwrap_or_else(|| panic!("a tag of X: {tags}"))
        .clone();
    let tag_code = tag["code"].as_str().unwrap().to_string();
    set("tag", &tag_code);
    set("tag_url", &tag_code);
    set("tag_id", tag["id"].as_str().unwrap());
    set("tag_name", tag["name"].as_str().unwrap());
    let rule = app
        .as_json(
            "POST",
            &format!("/api/v1/tags/{}/rules", enc(&tag_code)),
            &admin,
            json!({"kind": "scope_keyword", "pattern": "矩阵测试关键词"}),
        )
        .await;
    set("rule", &pick(&rule, &["/rule/id", "/id"]));
    let rule2 = app
        .as_json(
            "POST",
            &format!("/api/v1/tags/{}/rules", enc(&tag_code)),
            &admin,
            json!({"kind": "scope_keyword", "pattern": "矩阵测试关键词二"}),
        )
        .await;
    set("rule2", &pick(&rule2, &["/rule/id", "/id"]));

    // The demo draw and the published pharmacy visit with its order.
    let draws = app.get_json("/api/v1/draws", &admin).await;
    let draw = &draws["items"][0];
    let draw_id = draw["id"]
        .as_str()
        .or(draw["draw"]["id"].as_str())
        .unwrap_or_else(|| panic!("{draws}"))
        .to_string();
    set("draw", &draw_id);
    let record = app
        .get_json(&format!("/api/v1/draws/{draw_id}/record"), &admin)
        .await;
    let usci = find_usci(&record).unwrap_or_else(|| panic!("a drawn entity: {record}"));
    set("draw_usci", &usci);
    let vars_usci_other = usci.clone();
    // A published item the matrix does not retire, for the portal.
    set("portal_item", "WY-2024-01");

    let visit = app.published_visit(&market).await;
    set("visit", &visit);
    let v = app
        .get_json(&format!("/api/v1/visits/{visit}"), &market)
        .await;
    set(
        "order",
        v["rectifications"][0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{v}")),
    );
    set("visit_plan", v["parts"][0]["plan_id"].as_str().unwrap());
    let referral = app
        .refer_to_health(&market, &visit, "矩阵测试：请核查执业资格")
        .await;
    // The matrix's rows expect the referral to reach department Y.
    assert_eq!(referral["to_department_id"], y.to_string(), "{referral}");
    set("referral", referral["id"].as_str().unwrap());
    let transfer = app
        .transfer_to_police(&market, &visit, "矩阵测试：涉嫌销售假药")
        .await;
    set("transfer", transfer["id"].as_str().unwrap());
    // A clue of county A dispatched to X and signed there.
    let clue = app
        .as_json(
            "POST",
            "/api/v1/clues",
            &admin,
            json!({"source": "hotline_12345", "kind": "complaint", "content": "矩阵测试：对象线索内容", "address": "舞阳县城关镇", "region_code": "411121", "entity_usci": vars_usci_other, "item_ids": [item_id]}),
        )
        .await;
    let clue_id = clue["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{clue}"))
        .to_string();
    app.as_json(
        "POST",
        &format!("/api/v1/clues/{clue_id}/dispatch"),
        &admin,
        json!({"department_id": x}),
    )
    .await;
    app.as_json(
        "POST",
        &format!("/api/v1/clues/{clue_id}/sign"),
        &market,
        json!({}),
    )
    .await;
    set("clue", &clue_id);
    // An abnormal-operation listing of that entity recorded by X's administrator.
    let entry = app
        .as_json(
            "POST",
            "/api/v1/credit/entries",
            &market,
            json!({"usci": vars_usci_other, "kind": "abnormal", "occurred_on": "2026-10-01", "reference": "舞市监异〔2026〕99号", "title": "矩阵测试：住所无法联系"}),
        )
        .await;
    set(
        "credit_entry",
        entry["id"].as_str().unwrap_or_else(|| panic!("{entry}")),
    );
    // A routing rule of county A for the delete row.
    let route = app
        .as_json(
            "POST",
            "/api/v1/clue-routes",
            &admin,
            json!({"region_code": "411121", "keyword": "矩阵对象", "department_id": x}),
        )
        .await;
    let route_id = route
        .as_array()
        .and_then(|r| r.iter().find(|r| r["keyword"] == "矩阵对象"))
        .and_then(|r| r["id"].as_str())
        .unwrap_or_else(|| panic!("{route}"))
        .to_string();
    set("clue_route", &route_id);
    // And one for the console's delete row.
    let route2 = app
        .as_json(
            "POST",
            "/api/v1/clue-routes",
            &admin,
            json!({"region_code": "411121", "keyword": "矩阵页面对象", "department_id": x}),
        )
        .await;
    let route2_id = route2
        .as_array()
        .and_then(|r| r.iter().find(|r| r["keyword"] == "矩阵页面对象"))
        .and_then(|r| r["id"].as_str())
        .unwrap_or_else(|| panic!("{route2}"))
        .to_string();
    set("clue_route2", &route2_id);
    // A 12345 webhook of county A's coordination office (the `own` account): only its owner
    // deletes it.
    let sub = app
        .as_json(
            "POST",
            "/api/v1/hotline/subscriptions",
            &callers[&(Role::CoordinationOffice, Pos::Own)].token,
            json!({"url": "http://127.0.0.1:9/matrix-fixture"}),
        )
        .await;
    set(
        "hotline_sub",
        sub["id"].as_str().unwrap_or_else(|| panic!("{sub}")),
    );

    // The visited entity.
    let entity = v["visit"]["entity_id"]
        .as_str()
        .unwrap_or_else(|| panic!("entity of the visit: {v}"))
        .to_string();
    set("entity", &entity);

    // Joint sanctions: a measure of county A's office implemented by X, a batch X filed
    // against the visited entity, approved (so X holds one task waiting for feedback); a
    // penalty entry of X on the entity and an objection to it waiting for a decision.
    let office = app.token("wy.office").await;
    let measure = app
        .as_json(
            "POST",
            "/api/v1/sanction-measures",
            &office,
            json!({"name": "矩阵措施：提高抽查频次", "legal_basis": "矩阵测试法律依据", "department_id": x, "subject_type": "entity", "default_months": 12, "class_d": true}),
        )
        .await;
    let measure_id = measure["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{measure}"))
        .to_string();
    set("measure", &measure_id);
    // IoT: a device of X on the visited entity (registered by the office).
    let device = app
        .as_json(
            "POST",
            "/api/v1/devices",
            &office,
            json!({"external_id": "MATRIX-FR-1", "kind": "cold_chain_thermometer", "entity_id": entity, "department_id": x, "location": "矩阵测试冷库", "thresholds": {"temperature": 8}}),
        )
        .await;
    set(
        "device",
        device["id"].as_str().unwrap_or_else(|| panic!("{device}")),
    );
    let batch = app
        .as_json(
            "POST",
            "/api/v1/sanction-batches",
            &market,
            json!({"reason": "矩阵测试：列入严重违法失信名单", "legal_basis": "矩阵测试法律依据", "measure_ids": [measure_id], "subjects": [{"subject_type": "entity", "entity_id": entity}]}),
        )
        .await;
    let batch_id = batch["batch"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{batch}"))
        .to_string();
    let approved = app
        .as_json(
            "POST",
            &format!("/api/v1/sanction-batches/{batch_id}/approve"),
            &office,
            json!({}),
        )
        .await;
    set("sanction_batch", &batch_id);
    set(
        "sanction_task",
        approved["tasks"][0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{approved}")),
    );
    // Risk warnings: a rule of county A's office (silence, blue, pushed to line market) and a
    // warning it raised on the visited entity, pushed to X, waiting to be signed.
    let wrule = app
        .as_json(
            "POST",
            "/api/v1/warning-rules",
            &office,
            json!({"code": "YJ-MATRIX-1", "name": "矩阵测试规则", "sector": "食品", "level": "blue",
                "condition": {"type": "silence", "minutes": 60}, "push": {"lines": ["market"]},
                "plan": [{"name": "核查", "deadline": {"hours": 4}}]}),
        )
        .await;
    let wrule_id: uuid::Uuid = wrule["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{wrule}"))
        .parse()
        .unwrap();
    set("warning_rule", &wrule_id.to_string());
    let raised = lianjian_services::warnings::raise(
        svc,
        lianjian_domain::warning::Trigger {
            rule_id: wrule_id,
            rule_version: 1,
            entity_id: entity.parse().unwrap(),
            device_id: None,
            level: lianjian_domain::warning::Level::Blue,
            summary: "矩阵测试规则：设备已离线 61 分钟".into(),
            observed_at: chrono::Utc::now(),
            detail: serde_json::Value::Null,
        },
    )
    .await
    .unwrap();
    set("warning", &raised.id.to_string());
    // An assistance request from county A's office (department X) to county B, not assigned.
    let office_a =
        lianjian_services::accounts::authenticate_token(svc, &app.token("wy.office").await, None)
            .await
            .unwrap();
    let request = lianjian_services::assistance::submit(
        svc,
        &office_a,
        &lianjian_services::assistance::RequestInput {
            kind: "verification".into(),
            to_region: "411122".into(),
            subject: "矩阵测试主体".into(),
            legal_basis: "矩阵测试依据".into(),
            needed: "矩阵测试：请协助核查".into(),
            deadline_days: "5".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    set("assistance", &request.request.id.to_string());
    // A consultation convened by X's administrator with X alone taking part, its minutes final
    // and its one task running with X; a circular X's administrator issued to X.
    let market_a = lianjian_services::accounts::authenticate_token(svc, &market, None)
        .await
        .unwrap();
    let cons = lianjian_services::consultations::convene(
        svc,
        &market_a,
        &lianjian_services::consultations::ConsultationInput {
            title: "矩阵测试会商".into(),
            topic: "矩阵测试议题".into(),
            agenda: "矩阵测试议程".into(),
            place: "矩阵会议室".into(),
            meets_at: "2026-12-09T09:30".into(),
            participants: vec![lianjian_services::consultations::ParticipantInput {
                department_id: x,
                attendees: None,
            }],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let cid = cons.consultation.id;
    lianjian_services::consultations::hold(svc, &market_a, cid)
        .await
        .unwrap();
    let fin = lianjian_services::consultations::finalise(
        svc,
        &market_a,
        cid,
        &lianjian_services::consultations::MinutesInput {
            minutes: "矩阵测试纪要".into(),
            decisions: vec![lianjian_services::consultations::DecisionInput {
                text: "矩阵测试决定".into(),
                tasks: vec![lianjian_services::consultations::TaskInput {
                    department_id: x,
                    description: "矩阵测试任务".into(),
                    deadline_days: 5,
                }],
            }],
        },
    )
    .await
    .unwrap();
    set("consultation", &cid.to_string());
    set("consult_task", &fin.decisions[0].tasks[0].id.to_string());
    let circ = lianjian_services::circulars::issue(
        svc,
        &market_a,
        &lianjian_services::circulars::CircularInput {
            title: "矩阵测试通报".into(),
            body: "矩阵测试通报内容".into(),
            department_ids: vec![x],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    set("circular", &circ.circular.id.to_string());
    set("dept_b", &bx.to_string());
    let entry = {
        use lianjian_domain::credit::*;
        let ent = lianjian_store::entities::get(svc.store.conn(), entity.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        let on = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let e = lianjian_store::credit::Entry {
            id: uuid::Uuid::now_v7(),
            entity_id: ent.id,
            region_code: ent.region_code.clone(),
            department_id: Some(x),
            kind: RecordKind::Penalty,
            tier: Some(Tier::General),
            occurred_on: on,
            reference: Some("矩阵测试罚〔2026〕1号".into()),
            title: "矩阵测试违法行为".into(),
            legal_basis: Some("矩阵测试法律依据".into()),
            detail: RecordDetail::Penalty {
                kinds: vec![PenaltyKind::Warning],
                amount_cents: 0,
                strict_field: None,
            },
            source: RecordSource::Manual,
            publication: penalty_publication(Tier::General, None, on),
            status: RecordStatus::Active,
            ended_on: None,
            created_by: "matrix".into(),
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        lianjian_store::credit::insert_many(svc.store.conn(), &[e.clone()])
            .await
            .unwrap();
        (e.id.to_string(), ent.usci.clone())
    };
    let (entry, entity_usci) = entry;
    set("credit_entry", &entry);
    // 审管衔接: a licence of the entity handed over to X (item WY-2024-02, lead X), with a
    // feedback record for the bureau.
    let handover = lianjian_services::licensing::push(
        svc,
        &sys,
        &lianjian_domain::licensing::LicenceInput {
            licence_no: "JY-MATRIX-0001".into(),
            event: "granted".into(),
            usci: entity_usci.clone(),
            item_code: "WY-2024-02".into(),
            licence_name: "药品经营许可".into(),
            decided_on: "2026-12-01".into(),
            bureau: "县行政审批和政务信息管理局".into(),
        },
    )
    .await
    .unwrap();
    set("licence", &handover.id.to_string());
    let fb = lianjian_services::licensing::feed_back(
        svc,
        &sys,
        handover.id,
        &lianjian_services::licensing::FeedbackInput {
            kind: "revocation".into(),
            content: "矩阵测试：检查发现严重违法，建议吊销许可。".into(),
            visit_id: None,
        },
    )
    .await
    .unwrap();
    set("licence_feedback", &fb.id.to_string());
    set("entity_usci", &entity_usci);
    let appeal = app
        .as_json(
            "POST",
            "/api/v1/credit-appeals",
            &office,
            json!({"kind": "objection", "entry_id": entry, "applicant": "矩阵测试申请人", "statement": "矩阵测试：记录有误"}),
        )
        .await;
    set(
        "appeal",
        appeal["appeal"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{appeal}")),
    );
    // County A's default credit evaluation index and a finished run over county A.
    let index = app
        .as_json(
            "POST",
            "/api/v1/credit/indexes",
            &admin,
            json!({"region_code": "411121", "name": "矩阵测试评价指标体系", "definition": lianjian_domain::credit::evaluation::IndexDef::standard()}),
        )
        .await;
    set(
        "credit_index",
        index["id"].as_str().unwrap_or_else(|| panic!("{index}")),
    );
    let run = app
        .as_json(
            "POST",
            "/api/v1/credit/evaluations",
            &admin,
            json!({"region_code": "411121"}),
        )
        .await;
    let run_id = run["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{run}"))
        .to_string();
    for _ in 0..600 {
        let r = app
            .get_json(&format!("/api/v1/credit/evaluations/{run_id}"), &admin)
            .await;
        if r["status"] != "running" {
            assert_eq!(r["status"], "finished", "{r}");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    set("credit_run", &run_id);
    // The demo's risk model (合成数据) of county A.
    let models = app.get_json("/api/v1/risk/models", &admin).await;
    set(
        "risk_model",
        models["items"][0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{models}")),
    );

    // Evidence uploaded by X's administrator.
    let r = app
        .send(multipart_request(
            "POST",
            "/api/v1/evidence",
            Some(&market),
            None,
            &[],
            Some(("file", "photo.jpg", "image/jpeg", JPEG)),
        ))
        .await;
    assert!(r.status.is_success(), "evidence: {} {}", r.status, r.body);
    let ev = r.json();
    set(
        "evidence",
        ev["sha256"]
            .as_str()
            .or(ev["evidence"]["sha256"].as_str())
            .unwrap_or_else(|| panic!("{ev}")),
    );

    // An inspector of X with a declared conflict.
    let insp = app
        .get_json(
            &format!("/api/v1/inspectors?department_id={x}&per_page=1"),
            &admin,
        )
        .await;
    let inspector = insp["items"][0]["id"]
        .as_str()
        .or(insp["items"][0]["inspector"]["id"].as_str())
        .unwrap_or_else(|| panic!("{insp}"))
        .to_string();
    set("inspector", &inspector);
    let one = app
        .get_json(&format!("/api/v1/inspectors/{inspector}"), &admin)
        .await;
    let one = if one["inspector"].is_object() {
        one["inspector"].clone()
    } else {
        one
    };
    set(
        "insp_name",
        one["name"].as_str().unwrap_or_else(|| panic!("{one}")),
    );
    set(
        "insp_cert",
        one["certificate_number"]
            .as_str()
            .unwrap_or_else(|| panic!("{one}")),
    );
    let ent = app
        .get_json(&format!("/api/v1/entities/{entity}"), &admin)
        .await;
    let entity_usci = ent["entity"]["usci"].as_str().unwrap().to_string();
    set("usci", &entity_usci);
    set("entity_name", ent["entity"]["name"].as_str().unwrap());
    let conflict = app
        .as_json(
            "POST",
            &format!("/api/v1/inspectors/{inspector}/conflicts"),
            &admin,
            json!({"entity": entity_usci, "reason": "矩阵测试：近亲属任职"}),
        )
        .await;
    set("conflict", &pick(&conflict, &["/id", "/conflict/id"]));

    let conflict2 = app
        .as_json(
            "POST",
            &format!("/api/v1/inspectors/{inspector}/conflicts"),
            &admin,
            json!({"entity": vars_usci_other, "reason": "矩阵测试：曾在该企业任职"}),
        )
        .await;
    set("conflict2", &pick(&conflict2, &["/id", "/conflict/id"]));

    // A user of X (not a caller) and one of its tokens.
    let user = app
        .as_json(
            "POST",
            "/api/v1/users",
            &admin,
            json!({"username": "az.target", "display_name": "矩阵目标", "role": "inspector", "department_id": x, "certificate_no": "AZT00001", "password": "Strong-Pass-123"}),
        )
        .await;
    let user_id = user["id"].as_str().unwrap().to_string();
    set("user", &user_id);
    let token = app
        .as_json(
            "POST",
            &format!("/api/v1/users/{user_id}/tokens"),
            &admin,
            json!({"name": "matrix"}),
        )
        .await;
    set(
        "token",
        token["id"]
            .as_str()
            .or(token["token"]["id"].as_str())
            .unwrap_or_else(|| panic!("{token}")),
    );

    // 双告知 claims offered to X, one per row that decides one.
    let claims = app.get_json("/api/v1/claims?per_page=6", &market).await;
    for i in 0..6 {
        set(
            &format!("claim{i}"),
            &pick(
                &claims,
                &[&format!("/items/{i}/id"), &format!("/items/{i}/claim/id")],
            ),
        );
    }
    // A draft plan of X.
    let draft = app
        .as_json(
            "POST",
            "/api/v1/plans",
            &market,
            json!({"item": "WY-2024-02", "year": "2027", "region_code": "411121", "period_start": "2027-01-01", "period_end": "2027-12-31"}),
        )
        .await;
    set("plan_draft", &pick(&draft, &["/id", "/plan/id"]));

    let sectors = app.get_json("/api/v1/sectors", &admin).await;
    let s0 = sectors
        .as_array()
        .map(|a| a[0].clone())
        .unwrap_or_else(|| sectors["items"][0].clone());
    set(
        "sector",
        s0["id"].as_str().unwrap_or_else(|| panic!("{sectors}")),
    );

    let template = template_bytes(app).await;
    Fixture {
        callers,
        template,
        vars,
    }
}

/// A valid unified social credit code of `region` (as the directory tests make them).
fn usci(region: &str, n: u32) -> String {
    use lianjian_domain::usci::Usci;
    let body = format!("{:08}", 73_600_000 + n);
    let weights = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .chars()
        .zip(weights)
        .map(|(c, w)| c.to_digit(36).unwrap() * w)
        .sum();
    let org_check = match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10).unwrap(),
    };
    let first17 = format!("91{region}{body}{org_check}");
    let check = Usci::check_char(&first17).unwrap();
    let code = format!("{first17}{check}");
    Usci::parse(&code).expect("generated code is valid");
    code
}

/// The first string found at one of these JSON pointers.
fn pick(v: &Value, pointers: &[&str]) -> String {
    pointers
        .iter()
        .find_map(|p| v.pointer(p).and_then(Value::as_str))
        .unwrap_or_else(|| panic!("none of {pointers:?} in {v}"))
        .to_string()
}

fn find_usci(v: &Value) -> Option<String> {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(s)) = m.get("usci") {
                return Some(s.clone());
            }
            m.values().find_map(find_usci)
        }
        Value::Array(a) => a.iter().find_map(find_usci),
        _ => None,
    }
}

/// A tiny JPEG header: enough for the evidence type check.
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0authz-matrix-photo";

fn multipart_request(
    method: &str,
    uri: &str,
    token: Option<&str>,
    cookie: Option<&str>,
    fields: &[(&str, String)],
    file: Option<(&str, &str, &str, &[u8])>,
) -> Request<Body> {
    let b = "----lianjianmatrix";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((field, name, ct, bytes)) = file {
        body.extend(format!("--{b}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: {ct}\r\n\r\n").as_bytes());
        body.extend(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{b}--\r\n").as_bytes());
    let mut r = Request::builder().method(method).uri(uri).header(
        header::CONTENT_TYPE,
        format!("multipart/form-data; boundary={b}"),
    );
    if let Some(t) = token {
        r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if let Some(c) = cookie {
        r = r.header(header::COOKIE, c);
    }
    r.body(Body::from(body)).unwrap()
}

/// `<name>` placeholders replaced by the fixture's values.
fn fill(s: &str, vars: &BTreeMap<String, String>) -> String {
    fill_with(s, vars, |v| v.to_string())
}

/// As [`fill`], each value percent-encoded (for request targets).
fn fill_uri(s: &str, vars: &BTreeMap<String, String>) -> String {
    fill_with(s, vars, enc)
}

fn fill_with(s: &str, vars: &BTreeMap<String, String>, f: impl Fn(&str) -> String) -> String {
    let mut out = s.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("<{k}>"), &f(v));
    }
    if let Some(i) = out.find('<') {
        let rest = &out[i + 1..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect();
        assert!(
            name.is_empty() || !rest[name.len()..].starts_with('>'),
            "the fixture has no <{name}>: {s}"
        );
    }
    out
}

/// The letter an observed answer is summarised as in a failure report.
fn observed(status: StatusCode, to_login: bool) -> char {
    match status.as_u16() {
        _ if to_login => 'U',
        200..=399 => 'A',
        401 => 'U',
        403 => 'F',
        404 => 'H',
        409 => 'C',
        422 => 'V',
        s if s >= 500 => '!',
        _ => '?',
    }
}

fn matches(expect: char, status: StatusCode, to_login: bool, earlier_success: bool) -> bool {
    let s = status.as_u16();
    if s >= 500 {
        return false;
    }
    match expect {
        'A' => (200..400).contains(&s) && !to_login,
        'P' => !to_login && s != 401 && s != 403 && (s != 404 || earlier_success),
        'F' => s == 403,
        'H' => s == 404,
        'V' => s == 422,
        'S' => matches!(s, 403 | 404 | 409 | 422),
        'U' => s == 401 || to_login,
        _ => panic!("unknown expectation {expect}"),
    }
}

fn is_refusal(c: char) -> bool {
    matches!(c, 'F' | 'H' | 'V' | 'U' | 'S')
}

/// Routes the server has: the OpenAPI operations and the `.route("…")` literals of the source.
fn declared_routes(openapi: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, ops) in openapi["paths"].as_object().expect("paths") {
        for m in ["get", "post", "put", "patch", "delete"] {
            if ops.get(m).is_some() {
                out.insert((m.to_uppercase(), path.clone()));
            }
        }
    }
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let rel = f
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        // The console is nested under /console (lib.rs); the rest is mounted at the root.
        let prefix = if rel.starts_with("console/") {
            "/console"
        } else {
            ""
        };
        let mut rest = text.as_str();
        while let Some(i) = rest.find(".route(") {
            rest = &rest[i + ".route(".len()..];
            let lit = rest.trim_start();
            if !lit.starts_with('"') {
                continue;
            }
            let end = lit[1..].find('"').unwrap() + 1;
            let path = &lit[1..end];
            // The handlers: up to the parenthesis closing `.route(`.
            let mut depth = 1;
            let mut close = 0;
            for (j, ch) in rest.char_indices() {
                match ch {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            close = j;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let handlers = &rest[..close];
            let full = match (prefix, path) {
                ("/console", "/") => "/console".to_string(),
                _ => format!("{prefix}{path}"),
            };
            let mut any = false;
            for m in ["get", "post", "put", "patch", "delete"] {
                let starts = handlers.match_indices(&format!("{m}(")).any(|(k, _)| {
                    k == 0
                        || !handlers[..k]
                            .chars()
                            .last()
                            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
                });
                if starts {
                    out.insert((m.to_uppercase(), full.clone()));
                    any = true;
                }
            }
            assert!(any, "no method found for {full} in {rel}: {handlers}");
        }
    }
    out
}

async fn authorization_matrix(app: App) {
    let t0 = Instant::now();
    let fx = fixture(&app).await;
    let fixture_time = t0.elapsed();
    let rows = table::rows();

    // Every route has a row, and every row a route.
    let doc = app.get("/api/openapi.json", None).await;
    let declared = declared_routes(&doc.json());
    let mut tabled = BTreeSet::new();
    let mut problems: Vec<String> = Vec::new();
    for r in &rows {
        let key = (r.method.to_string(), r.pattern.to_string());
        if !tabled.insert(key.clone()) {
            problems.push(format!("two rows for {} {}", key.0, key.1));
        }
    }
    for k in declared.difference(&tabled) {
        problems.push(format!("route with no row in the table: {} {}", k.0, k.1));
    }
    for k in tabled.difference(&declared) {
        problems.push(format!(
            "row for a route that does not exist: {} {}",
            k.0, k.1
        ));
    }

    let mut requests = 0usize;
    let mut slowest: Vec<(f64, String)> = Vec::new();
    for row in &rows {
        let row_start = Instant::now();
        let expect = row.cells();
        // Refusals first, then the allowed; anonymous first of all.
        let mut order: Vec<Option<(Role, Pos)>> = vec![None];
        let mut allowed = Vec::new();
        for (ri, role) in Role::ALL.into_iter().enumerate() {
            for (pi, pos) in POSITIONS.into_iter().enumerate() {
                let e = expect[ri][pi];
                if e == '-' {
                    continue;
                }
                if is_refusal(e) {
                    order.push(Some((role, pos)));
                } else {
                    allowed.push(Some((role, pos)));
                }
            }
        }
        // The least powerful allowed caller first: a mutation that consumes its object (a claim
        // decided, a rule deleted) is then checked for the caller the row is most about.
        allowed.reverse();
        order.extend(allowed);
        let mut seen: BTreeMap<(usize, usize), char> = BTreeMap::new();
        let mut earlier_success = false;
        let mut row_problems = Vec::new();
        for who in order {
            let (exp, caller) = match who {
                None => (row.anon, None),
                Some((role, pos)) => {
                    let ri = Role::ALL.iter().position(|r| *r == role).unwrap();
                    let pi = POSITIONS.iter().position(|p| *p == pos).unwrap();
                    (expect[ri][pi], Some(&fx.callers[&(role, pos)]))
                }
            };
            let mut vars = fx.vars.clone();
            vars.insert("seq".into(), requests.to_string());
            vars.insert("fresh_usci".into(), usci("411121", 1000 + requests as u32));
            let uri = fill_uri(&row.uri, &vars);
            let console = row.pattern.starts_with("/console");
            let req = build(row, &uri, console, caller, &vars, &fx.template);
            let resp = app.send(req).await;
            requests += 1;
            let to_login = resp.status.is_redirection()
                && resp
                    .headers
                    .get(header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .is_some_and(|l| l.starts_with("/console/login"));
            if let Some((role, pos)) = who {
                let ri = Role::ALL.iter().position(|r| *r == role).unwrap();
                let pi = POSITIONS.iter().position(|p| *p == pos).unwrap();
                seen.insert((ri, pi), observed(resp.status, to_login));
            }
            if !matches(exp, resp.status, to_login, earlier_success) {
                let who_s = who.map_or("anonymous".to_string(), |(r, p)| {
                    format!("{} {}", r.as_str(), pos_name(p))
                });
                let body: String = resp.body.chars().take(160).collect();
                row_problems.push(format!(
                    "  {who_s}: expected {exp}, got {} ({})",
                    resp.status,
                    body.replace('\n', " ")
                ));
            }
            if resp.status.is_success() || (resp.status.is_redirection() && !to_login) {
                earlier_success = true;
            }
        }
        slowest.push((
            row_start.elapsed().as_secs_f64(),
            format!("{} {}", row.method, row.pattern),
        ));
        if !row_problems.is_empty() {
            let obs: Vec<String> = (0..7)
                .map(|ri| {
                    (0..3)
                        .map(|pi| seen.get(&(ri, pi)).copied().unwrap_or('-'))
                        .collect()
                })
                .collect();
            problems.push(format!(
                "{} {} (observed \"{}\"):\n{}",
                row.method,
                row.pattern,
                obs.join(" "),
                row_problems.join("\n")
            ));
        }
    }
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    eprintln!("slowest rows: {:?}", &slowest[..8.min(slowest.len())]);
    eprintln!(
        "authorization matrix: {} rows, {requests} requests; fixture {:.1} s, total {:.1} s",
        rows.len(),
        fixture_time.as_secs_f64(),
        t0.elapsed().as_secs_f64()
    );
    assert!(
        problems.is_empty(),
        "{} authorization differences from the table:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn build(
    row: &Row,
    uri: &str,
    console: bool,
    caller: Option<&Caller>,
    vars: &BTreeMap<String, String>,
    template: &[u8],
) -> Request<Body> {
    let token = caller.map(|c| c.token.as_str());
    let cookie = caller.map(|c| c.cookie.as_str());
    let csrf = caller.map(|c| c.csrf.clone()).unwrap_or_default();
    match &row.payload {
        Payload::Multipart { fields, file } => {
            let mut fs: Vec<(&str, String)> =
                fields.iter().map(|(k, v)| (*k, fill(v, vars))).collect();
            if console {
                fs.push(("_csrf", csrf));
            }
            multipart_request(
                row.method,
                uri,
                if console { None } else { token },
                if console { cookie } else { None },
                &fs,
                file.map(|(f, n, ct, b)| (f, n, ct, if b.is_empty() { template } else { b })),
            )
        }
        _ => {
            let mut b = Request::builder().method(row.method).uri(uri);
            if console || !row.pattern.starts_with("/api/") {
                if let Some(c) = cookie {
                    b = b.header(header::COOKIE, c);
                }
            } else if let Some(t) = token {
                b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
            }
            match &row.payload {
                Payload::None if console && row.method == "POST" => b
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(format!("_csrf={csrf}")))
                    .unwrap(),
                Payload::None => b
                    .body(Body::empty())
                    .unwrap_or_else(|e| panic!("{uri}: {e}")),
                Payload::Json(j) => b
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(fill(j, vars)))
                    .unwrap(),
                Payload::Form(f) => {
                    let filled = fill(f, vars);
                    let encoded: Vec<String> = filled
                        .split('&')
                        .filter(|p| !p.is_empty())
                        .map(|p| match p.split_once('=') {
                            Some((k, v)) => format!("{k}={}", enc(v)),
                            None => p.to_string(),
                        })
                        .collect();
                    b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .body(Body::from(format!("_csrf={csrf}&{}", encoded.join("&"))))
                        .unwrap()
                }
                Payload::Multipart { .. } => unreachable!(),
            }
        }
    }
}
