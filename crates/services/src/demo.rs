//! Demo data for `lianjian demo`: the Wuyang county departments (舞政办〔2024〕20号) and the
//! Shandong provincial ones (鲁政办发〔2023〕14号), one account per role, and a working county:
//! a tag vocabulary with rules, the 8 joint items of 舞政办〔2024〕20号 附件2, one item per pilot
//! domain of 鲁双随机办〔2022〕2号, and about 300 regulated entities imported in one call (so rules
//! tag them and 双告知 offers them to their departments). Idempotent: nothing happens once the
//! `admin` account exists. The content itself is in `demo_content`.

use std::collections::HashMap;

use lianjian_domain::department::{SHANDONG_38, WUYANG_17};
use lianjian_domain::item::ItemStatus;
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Actor;
use lianjian_store::accounts as repo;
use lianjian_store::departments as dept_repo;
use lianjian_store::inspectors as inspector_repo;
use uuid::Uuid;

use crate::PageRequest;
use crate::accounts::{self, UserInput};
use crate::demo_content::{self as content, COUNTY, ITEMS, TAGS};
use crate::directory::{self, EntityInput, ParsedEntity, Vocabulary};
use crate::inspectors::{self, InspectorInput};
use crate::items::{self, DepartmentPart, ItemInput};
use crate::plans;
use crate::tags::{self, TagInput};
use crate::{Result, ServiceError, Services, departments};

pub use crate::demo_content::DEMO_PASSWORD;
pub(crate) use crate::demo_content::one_page_pdf;

/// The demo is a county's platform (舞阳县): its portal publishes that county's records and the
/// items that apply there.
pub const DEMO_SITE_REGION: &str = "411121";

/// (user name, display name, role, region, department name, certificate number, what to try)
pub const DEMO_ACCOUNTS: &[(&str, &str, &str, &str, &str, &str, &str)] = &[
    (
        "admin",
        "系统管理员",
        "system_admin",
        "37",
        "省市场监管局",
        "",
        "全部功能、用户管理、审计日志",
    ),
    (
        "sd.office",
        "山东省联席办",
        "coordination_office",
        "37",
        "省市场监管局",
        "",
        "全省各部门",
    ),
    (
        "wy.office",
        "舞阳县专班办",
        "coordination_office",
        "411121",
        "县市场监管局",
        "",
        "舞阳县各部门",
    ),
    (
        "wy.market",
        "县市场监管局管理员",
        "department_admin",
        "411121",
        "县市场监管局",
        "",
        "本部门用户",
    ),
    (
        "wy.health",
        "县卫生健康委管理员",
        "department_admin",
        "411121",
        "县卫生健康委",
        "",
        "本部门用户",
    ),
    (
        "wy.zhang",
        "张明",
        "inspector",
        "411121",
        "县市场监管局",
        "41112120230001",
        "执法检查人员",
    ),
    (
        "wy.li",
        "李华",
        "inspector",
        "411121",
        "县市场监管局",
        "41112120230002",
        "执法检查人员",
    ),
    (
        "wy.wang",
        "王芳",
        "inspector",
        "411121",
        "县卫生健康委",
        "41112120230101",
        "执法检查人员",
    ),
    (
        "wy.leader",
        "舞阳县领导",
        "leader",
        "411121",
        "县行政审批和政务信息管理局",
        "",
        "只读",
    ),
    (
        "wy.jiandu",
        "县司法局监督员",
        "supervisor",
        "411121",
        "县司法局",
        "",
        "监督人：见证抽取（待见证的抽取）",
    ),
];

/// The demo supervisor, who witnesses the demo's draw (issue 11).
const DEMO_SUPERVISOR: &str = "wy.jiandu";

/// Seeds the demo data unless it is already there: [`seed_base`], then [`seed_credit_work`].
/// Returns whether anything was created.
pub async fn seed(svc: &Services) -> Result<bool> {
    if !seed_base(svc).await? {
        return Ok(false);
    }
    seed_credit_work(svc).await?;
    seed_control_share(svc).await?;
    // The dashboards' year of history (issue 17 item 6, 分析评估).
    crate::analysis::seed_demo(svc).await?;
    crate::guides::seed_demo(svc).await?;
    crate::licensing_demo::seed_licensing(svc, DEMO_SITE_REGION, DEMO_PASSWORD).await?;
    crate::assistance::seed_demo(svc).await?;
    crate::consultations::seed_demo(svc).await?;
    crate::circulars::seed_demo(svc).await?;
    Ok(true)
}

/// The demo without its credit work: what the test suites start from, so that the credit
/// tests find no evaluation index, no sanction batch and no appeal, and the demo's evidence
/// log stays empty. Returns whether anything was created.
///
/// The accounts come last, so that a run that failed halfway is not taken for a finished one.
pub async fn seed_base(svc: &Services) -> Result<bool> {
    if repo::find_user_by_name(svc.store.conn(), "admin")
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let mut actor = crate::cli_actor();
    actor.username = "demo".into();
    departments::copy_builtin_set(svc, &actor, SHANDONG_38.key, "37").await?;
    departments::copy_builtin_set(svc, &actor, WUYANG_17.key, COUNTY).await?;
    let mut depts = Departments::default();
    seed_tags(svc, &actor, &mut depts).await?;
    seed_items(svc, &actor, &mut depts).await?;
    seed_entities(svc, &actor).await?;
    seed_inspectors(svc, &actor, &mut depts).await?;
    seed_plans(svc, &actor, &mut depts).await?;
    // The supervisor exists before the draw it witnesses; `admin` still comes last.
    let accounts = |first: bool| {
        DEMO_ACCOUNTS
            .iter()
            .filter(move |a| (a.0 == DEMO_SUPERVISOR) == first)
    };
    for (username, name, role, region, dept, cert, _) in accounts(true).chain(accounts(false)) {
        if *username == "admin" {
            seed_draws(svc, &actor).await?;
        }
        let d = depts.id(svc, region, dept).await?;
        accounts::create_user(
            svc,
            &actor,
            UserInput {
                username: (*username).into(),
                display_name: (*name).into(),
                role: (*role).into(),
                department_id: d.to_string(),
                certificate_no: (*cert).into(),
                password: DEMO_PASSWORD.into(),
                ..Default::default()
            },
        )
        .await?;
    }
    link_inspector_accounts(svc, &actor).await?;
    seed_visits(svc, &actor).await?;
    seed_clues(svc).await?;
    seed_credit(svc).await?;
    seed_warnings(svc).await?;
    // The risk model's demo (issue 16 item 4): a model fitted on a clearly labelled synthetic
    // history with its evaluation table; it scores no real entity.
    crate::risk::seed_demo(
        svc,
        &actor,
        &lianjian_domain::region::RegionCode::parse(COUNTY).expect("demo county"),
        crate::risk::synthetic::DEMO_SEED,
    )
    .await?;
    seed_devices(svc, &actor).await?;
    Ok(true)
}

/// The standard warning rules (issue 16) and a few warnings in different states, raised
/// through `warnings::raise` with no device (the IoT devices are the ingest's): a cold-chain
/// excursion at the food market handled and closed by the market bureau, rats in a restaurant
/// kitchen in joint assessment (market + health), a gas alarm at the restaurant waiting for
/// emergency management, a device gone silent.
#[allow(clippy::type_complexity)]
pub(crate) async fn seed_warnings(svc: &Services) -> Result<()> {
    use crate::warnings::{self, AssessInput, RuleInput};
    use lianjian_domain::warning::Trigger;
    use serde_json::json;
    let office = crate::accounts::actor_of_user(svc, "wy.office").await?;
    let market = crate::accounts::actor_of_user(svc, "wy.market").await?;
    let plan = |steps: &[(&str, &str, u32)]| {
        serde_json::Value::Array(
            steps
                .iter()
                .map(|(n, k, v)| json!({"name": n, "deadline": {*k: v}}))
                .collect(),
        )
    };
    let event = |m: &str| json!({"type": "event", "metric": m, "value": 1});
    let rules: Vec<(
        &str,
        &str,
        &str,
        &str,
        Option<bool>,
        serde_json::Value,
        Vec<&str>,
        serde_json::Value,
    )> = vec![
        (
            "YJ-LL-01",
            "冷链温度超标",
            "食品",
            "yellow",
            None,
            json!({"type": "reading", "metric": "temperature", "op": ">", "value": 8, "for_minutes": 30}),
            vec!["market"],
            plan(&[("现场核查", "hours", 4), ("整改复查", "working_days", 5)]),
        ),
        (
            "YJ-LL-02",
            "冷链温度严重超标",
            "食品",
            "orange",
            None,
            json!({"type": "reading", "metric": "temperature", "op": ">", "value": 12, "for_minutes": 30}),
            vec!["market"],
            plan(&[
                ("立即现场核查", "hours", 2),
                ("问题产品处置", "working_days", 3),
            ]),
        ),
        (
            "YJ-MCLZ-01",
            "明厨亮灶鼠患",
            "餐饮服务",
            "red",
            Some(true),
            event("rat"),
            vec!["market", "health"],
            plan(&[
                ("立即现场核查", "hours", 2),
                ("消杀整改", "working_days", 3),
            ]),
        ),
        (
            "YJ-MCLZ-02",
            "后厨吸烟",
            "餐饮服务",
            "yellow",
            None,
            event("smoking"),
            vec!["market"],
            plan(&[("限期整改", "working_days", 3)]),
        ),
        (
            "YJ-MCLZ-03",
            "垃圾桶未加盖",
            "餐饮服务",
            "yellow",
            None,
            event("bin_open"),
            vec!["market"],
            plan(&[("限期整改", "working_days", 3)]),
        ),
        (
            "YJ-MCLZ-04",
            "未佩戴手套",
            "餐饮服务",
            "blue",
            None,
            event("no_gloves"),
            vec!["market"],
            plan(&[("日常提醒", "working_days", 10)]),
        ),
        // An alarm is answered at once by emergency management: no assessment first.
        (
            "YJ-RQ-01",
            "燃气报警",
            "餐饮服务",
            "red",
            Some(false),
            event("gas_alarm"),
            vec!["emergency"],
            plan(&[
                ("立即处置", "hours", 1),
                ("隐患整改复查", "working_days", 5),
            ]),
        ),
        (
            "YJ-LX-01",
            "监测设备离线",
            "食品",
            "blue",
            None,
            json!({"type": "silence", "minutes": 60}),
            vec!["market"],
            plan(&[("联系经营者恢复设备", "working_days", 1)]),
        ),
        (
            "YJ-XK-01",
            "许可证即将到期",
            "食品",
            "blue",
            None,
            json!({"type": "expiry", "what": "licence", "within_days": 30}),
            vec!["market"],
            plan(&[("提醒办理延续", "working_days", 5)]),
        ),
        (
            "YJ-TS-01",
            "投诉举报集中",
            "食品",
            "yellow",
            None,
            json!({"type": "count_in_window", "fact": "complaints", "at_least": 3, "days": 30}),
            vec!["market"],
            plan(&[("核查处置", "working_days", 5)]),
        ),
    ];
    let mut made = std::collections::HashMap::new();
    for (code, name, sector, level, assessment, condition, lines, plan) in rules {
        let r = warnings::create_rule(
            svc,
            &office,
            &RuleInput {
                code: code.into(),
                name: name.into(),
                sector: sector.into(),
                level: level.into(),
                assessment,
                condition,
                push: json!({ "lines": lines }),
                plan,
                active: Some(true),
            },
        )
        .await?;
        made.insert(code, r);
    }
    let food_market = first_entity(svc, "集中交易市场").await?;
    let restaurant = first_entity(svc, "餐饮服务").await?;
    let now = svc.now();
    let trig = |code: &str, entity: uuid::Uuid, summary: &str, minutes_ago: i64| {
        let r = &made[code];
        Trigger {
            rule_id: r.id,
            rule_version: r.version,
            entity_id: entity,
            device_id: None,
            level: r.level,
            summary: summary.into(),
            observed_at: now - chrono::Duration::minutes(minutes_ago),
            detail: serde_json::Value::Null,
        }
    };
    // Cold chain: raised, a repeat folded, signed, handled, closed.
    let cold = warnings::raise(
        svc,
        trig(
            "YJ-LL-01",
            food_market.id,
            "冷链温度超标：温度 9.2 ℃ 已持续 31 分钟（阈值 > 8 ℃）",
            90,
        ),
    )
    .await?;
    warnings::raise(
        svc,
        trig(
            "YJ-LL-01",
            food_market.id,
            "冷链温度超标：温度 9.6 ℃ 已持续 45 分钟（阈值 > 8 ℃）",
            75,
        ),
    )
    .await?;
    warnings::sign(svc, &market, cold.id).await?;
    warnings::handle(
        svc,
        &market,
        cold.id,
        Some("已电话通知经营者转移冷库内货物并检修制冷机组"),
    )
    .await?;
    warnings::close(
        svc,
        &market,
        cold.id,
        "现场核查：制冷机组故障已修复，库温恢复至 3.8 ℃，未发现变质产品",
    )
    .await?;
    // Rats: signed by the market bureau and in joint assessment with the health commission.
    let rat = warnings::raise(
        svc,
        trig("YJ-MCLZ-01", restaurant.id, "明厨亮灶鼠患：监测到鼠患", 30),
    )
    .await?;
    warnings::sign(svc, &market, rat.id).await?;
    warnings::assess(
        svc,
        &office,
        rat.id,
        &AssessInput {
            department_ids: vec![],
            note: Some(
                "后厨夜间监控发现鼠类活动，涉及食品安全与病媒生物防制，请市场监管、卫健会商".into(),
            ),
        },
    )
    .await?;
    // A gas alarm waiting for emergency management, and a device gone silent.
    warnings::raise(
        svc,
        trig(
            "YJ-RQ-01",
            restaurant.id,
            "燃气报警：监测到燃气浓度报警",
            10,
        ),
    )
    .await?;
    warnings::raise(
        svc,
        trig(
            "YJ-LX-01",
            food_market.id,
            "监测设备离线：设备已离线 75 分钟",
            5,
        ),
    )
    .await?;
    Ok(())
}

/// IoT devices (issue 16 item 3; 舞阳 (四) 非现场监管): two cold-chain thermometers in the food
/// market's cold store (threshold 8 ℃; the second one is the demo's device that goes silent),
/// a smart-kitchen camera in the restaurant (AI events: rats, smoking, no gloves) and its gas
/// alarm, owned by the emergency management bureau.
async fn seed_devices(svc: &Services, actor: &Actor) -> Result<()> {
    use crate::iot::devices::{self, DeviceInput};
    let market = crate::accounts::actor_of_user(svc, "wy.market").await?;
    let restaurant = first_entity(svc, "餐饮服务").await?;
    let food_market = first_entity(svc, "集中交易市场").await?;
    let code = RegionCode::parse(COUNTY).expect("demo region");
    let dept = |name: &'static str| {
        let code = code.clone();
        async move {
            Ok::<_, crate::ServiceError>(
                dept_repo::find_by_name(svc.store.conn(), &code, name)
                    .await?
                    .unwrap_or_else(|| panic!("demo department {name}"))
                    .id,
            )
        }
    };
    let market_dept = dept("县市场监管局").await?;
    let emergency = dept("县应急管理局").await?;
    let device = |ext: &str,
                  kind: &str,
                  entity: Uuid,
                  department: Uuid,
                  location: &str,
                  thresholds: &str,
                  silence: i64| DeviceInput {
        external_id: ext.into(),
        kind: kind.into(),
        entity_id: Some(entity),
        entity_usci: None,
        department_id: Some(department),
        location: location.into(),
        thresholds: Some(serde_json::Value::String(thresholds.into())),
        silence_minutes: Some(silence),
        status: None,
    };
    for d in [
        device(
            DEMO_DEVICES[0],
            "cold_chain_thermometer",
            food_market.id,
            market_dept,
            "冷库 1 号（冻品区）",
            "temperature=8",
            30,
        ),
        device(
            DEMO_DEVICES[1],
            "cold_chain_thermometer",
            food_market.id,
            market_dept,
            "冷库 2 号（果蔬区）",
            "temperature=8",
            10,
        ),
        device(
            DEMO_DEVICES[2],
            "kitchen_camera",
            restaurant.id,
            market_dept,
            "后厨操作间",
            "rat=0; smoking=0; open_bin=0; no_gloves=0",
            60,
        ),
    ] {
        devices::create(svc, &market, &d).await?;
    }
    devices::create(
        svc,
        actor,
        &device(
            DEMO_DEVICES[3],
            "gas_alarm",
            restaurant.id,
            emergency,
            "后厨燃气灶区",
            "gas_lel=20",
            60,
        ),
    )
    .await?;
    Ok(())
}

/// The demo's device ids (the simulator publishes as these).
pub const DEMO_DEVICES: [&str; 4] = ["WY-CC-001", "WY-CC-002", "WY-KC-001", "WY-GA-001"];

/// Credit entries (issue 15): a food-safety penalty of the market bureau on a restaurant, in
/// its publication period; a minor penalty (recorded, not published); an abnormal-operation
/// listing of a pharmacy; a commendation of the food market. Dates are relative to today, so
/// the portal's 信用信息公示 shows them whenever the demo is started.
async fn seed_credit(svc: &Services) -> Result<()> {
    use crate::credit::{self, EntryInput};
    use lianjian_domain::credit::RecordSource;
    let market = crate::accounts::actor_of_user(svc, "wy.market").await?;
    let restaurant = first_entity(svc, "餐饮服务").await?;
    let pharmacy = first_entity(svc, "零售药店").await?;
    let food_market = first_entity(svc, "集中交易市场").await?;
    let today = lianjian_domain::visit::beijing_date(svc.now());
    let ago = |days: i64| (today - chrono::Duration::days(days)).to_string();
    let year = today.format("%Y");
    let entries = [
        EntryInput {
            usci: restaurant.usci.clone(),
            kind: "行政处罚".into(),
            tier: "一般".into(),
            occurred_on: ago(40),
            reference: format!("舞市监罚〔{year}〕58号"),
            title: "使用超过保质期的食品原料加工食品".into(),
            legal_basis: "《中华人民共和国食品安全法》第一百二十四条第一款第（五）项".into(),
            penalty_kinds: "警告、罚款、没收违法所得".into(),
            amount: "52300".into(),
            strict_field: "食品".into(),
            ..Default::default()
        },
        EntryInput {
            usci: restaurant.usci.clone(),
            kind: "行政处罚".into(),
            tier: "轻微".into(),
            occurred_on: ago(200),
            reference: format!("舞市监罚〔{year}〕7号"),
            title: "从业人员健康证明未在店内公示".into(),
            legal_basis: "《中华人民共和国食品安全法》第一百二十六条第一款第（六）项".into(),
            penalty_kinds: "警告".into(),
            ..Default::default()
        },
        EntryInput {
            usci: pharmacy.usci.clone(),
            kind: "经营异常名录".into(),
            occurred_on: ago(75),
            reference: format!("舞市监异〔{year}〕12号"),
            title: "未按规定期限公示年度报告".into(),
            ..Default::default()
        },
        EntryInput {
            usci: food_market.usci.clone(),
            kind: "表彰奖励".into(),
            occurred_on: ago(120),
            title: "县级食品安全示范农贸市场".into(),
            ..Default::default()
        },
    ];
    for e in &entries {
        credit::record(svc, &market, e, RecordSource::Manual).await?;
    }
    Ok(())
}

/// Credit work (issue 15, item 6): a Wuyang evaluation run on the standard index (every class
/// explained); a serious-dishonesty listing of a food producer and the joint sanction batch it
/// leads to — three implementing departments, approved seven working days ago with a five-day
/// feedback deadline: the market bureau applied its measure, the health commission declined with
/// a reason, the development and reform commission has not answered and is chased (督办); an
/// objection to the pharmacy's abnormal-operation listing waiting for a decision; a repair of a
/// general-tier penalty past its minimum period, granted.
pub async fn seed_credit_work(svc: &Services) -> Result<()> {
    use crate::credit::evaluation::{self, IndexInput, RunInput};
    use crate::credit::repair::{self, AppealInput};
    use crate::credit::sanctions::{self, BatchInput, FeedbackInput, MeasureInput, SubjectInput};
    use crate::credit::{self, EntryInput};
    use lianjian_domain::credit::RecordSource;
    use lianjian_domain::credit::evaluation::IndexDef;
    let office = crate::accounts::actor_of_user(svc, "wy.office").await?;
    let market = crate::accounts::actor_of_user(svc, "wy.market").await?;
    let health = crate::accounts::actor_of_user(svc, "wy.health").await?;
    let mut depts = Departments::default();
    let market_dept = depts.id(svc, COUNTY, "县市场监管局").await?;
    let health_dept = depts.id(svc, COUNTY, "县卫生健康委").await?;
    let reform_dept = depts.id(svc, COUNTY, "县发改委").await?;
    // Not the first food producer (the credit tests record on that one).
    let producer = {
        let s = lianjian_store::entities::EntitySearch {
            q: Some("肉制品".into()),
            ..Default::default()
        };
        let ids = lianjian_store::entities::search_ids(svc.store.conn(), &s, None, 1).await?;
        lianjian_store::entities::get(svc.store.conn(), ids[0])
            .await?
            .expect("listed entity")
    };
    let pharmacy = first_entity(svc, "零售药店").await?;
    let food_market = first_entity(svc, "集中交易市场").await?;
    let cal = crate::calendar::current(svc).await?;
    let today = lianjian_domain::visit::beijing_date(svc.now());
    let ago = |days: i64| (today - chrono::Duration::days(days)).to_string();
    let year = today.format("%Y");

    // Entries the sanction and the repair concern.
    let listing = credit::record(
        svc,
        &market,
        &EntryInput {
            usci: producer.usci.clone(),
            kind: "严重违法失信名单".into(),
            occurred_on: ago(30),
            reference: format!("舞市监失信〔{year}〕3号"),
            title: "生产经营致病性微生物超标的食品，受到较重行政处罚".into(),
            legal_basis: "《市场监督管理严重违法失信名单管理办法》第七条".into(),
            ..Default::default()
        },
        RecordSource::Manual,
    )
    .await?;
    let repairable = credit::record(
        svc,
        &market,
        &EntryInput {
            usci: food_market.usci.clone(),
            kind: "行政处罚".into(),
            tier: "一般".into(),
            occurred_on: ago(150),
            reference: format!("舞市监罚〔{year}〕21号"),
            title: "未按规定公示市场内经营者食用农产品检测结果".into(),
            legal_basis: "《食用农产品市场销售质量安全监督管理办法》第四十二条".into(),
            penalty_kinds: "警告、罚款".into(),
            amount: "5000".into(),
            ..Default::default()
        },
        RecordSource::Manual,
    )
    .await?;

    // The evaluation run: the region's default index, then every Wuyang entity scored.
    evaluation::define(
        svc,
        &office,
        &IndexInput {
            region_code: COUNTY.into(),
            sector_id: None,
            name: "舞阳县市场主体信用评价指标体系".into(),
            definition: IndexDef::standard(),
        },
    )
    .await?;
    evaluation::run_now(
        svc,
        &office,
        &RunInput {
            region_code: COUNTY.into(),
            index_id: None,
        },
        evaluation::Trigger::Manual,
    )
    .await?;

    // The sanction batch.
    let measure = |name: &str, basis: &str, dept: Uuid, class_d: bool| MeasureInput {
        name: name.into(),
        legal_basis: basis.into(),
        department_id: Some(dept),
        subject_type: "entity".into(),
        default_months: Some(12),
        class_d,
        active: Some(true),
    };
    let mut measure_ids = Vec::new();
    for m in [
        measure(
            "列为重点监管对象，提高抽查比例和频次",
            "《国务院关于建立完善守信联合激励和失信联合惩戒制度加快推进社会诚信建设的指导意见》（国发〔2016〕33号）",
            market_dept,
            true,
        ),
        measure(
            "取消参加卫生健康领域评先评优资格",
            "《国务院关于建立完善守信联合激励和失信联合惩戒制度加快推进社会诚信建设的指导意见》（国发〔2016〕33号）",
            health_dept,
            false,
        ),
        measure(
            "限制申请政府投资和财政性资金支持项目",
            "《关于对食品药品生产经营严重失信者开展联合惩戒的合作备忘录》（发改财金〔2016〕1962号）",
            reform_dept,
            false,
        ),
    ] {
        measure_ids.push(sanctions::create_measure(svc, &office, &m).await?.id);
    }
    let batch = sanctions::file_batch(
        svc,
        &market,
        &BatchInput {
            reason: format!(
                "{}被列入严重违法失信名单（舞市监失信〔{year}〕3号），依法实施联合惩戒",
                producer.name
            ),
            legal_basis: "《市场监督管理严重违法失信名单管理办法》第十六条".into(),
            starts_on: None,
            ends_on: None,
            feedback_days: Some(5),
            measure_ids,
            subjects: vec![SubjectInput {
                subject_type: "entity".into(),
                entity_id: Some(producer.id),
                usci: None,
                person_name: None,
                id_number: None,
                person_role: None,
            }],
        },
    )
    .await?;
    let mut approved_on = today;
    while cal.working_days_between(approved_on, today) < 7 {
        approved_on = approved_on.pred_opt().expect("a date before today");
    }
    let batch = sanctions::approve_on(svc, &office, batch.batch.id, approved_on).await?;
    let task_of = |dept: Uuid| {
        batch
            .tasks
            .iter()
            .find(|t| t.department_id == dept)
            .map(|t| t.id)
            .expect("a task per implementing department")
    };
    let applied = task_of(market_dept);
    sanctions::attach(
        svc,
        &market,
        applied,
        crate::evidence::Upload {
            filename: "重点监管对象告知书.pdf".into(),
            media_type: Some("application/pdf".into()),
            bytes: one_page_pdf(&[
                "Wuyang County Administration for Market Regulation",
                "Notice: listed as a key supervision object (joint sanction)",
                &format!("Entity: {}", producer.usci),
                &format!("Batch: {}", batch.batch.code),
            ]),
        },
    )
    .await?;
    sanctions::apply(
        svc,
        &market,
        applied,
        &FeedbackInput {
            feedback:
                "已将该企业列为重点监管对象，纳入本年度双随机抽查重点名单，抽查比例提高至100%。"
                    .into(),
            applied_on: None,
        },
    )
    .await?;
    sanctions::decline(
        svc,
        &health,
        task_of(health_dept),
        "该企业近三年未参加卫生健康领域评先评优，亦无在评项目，本部门暂无可实施的惩戒事项，已登记备查。",
    )
    .await?;
    sanctions::supervise(
        svc,
        &office,
        task_of(reform_dept),
        "反馈已超期，请于2个工作日内反馈限制措施的执行情况。",
    )
    .await?;

    // An objection, waiting; a repair, granted.
    let query = credit::EntryFilter {
        entity_id: pharmacy.id.to_string(),
        ..Default::default()
    }
    .parse()?;
    let abnormal = credit::list(svc, &market, &query, PageRequest::default())
        .await?
        .items
        .into_iter()
        .find(|e| e.kind == lianjian_domain::credit::RecordKind::AbnormalListing)
        .expect("the pharmacy's abnormal-operation listing")
        .id;
    repair::register(
        svc,
        &market,
        &AppealInput {
            kind: "objection".into(),
            entry_id: Some(abnormal),
            applicant: format!("{}（法定代表人 王某某）", pharmacy.name),
            statement: "本店已于列入后第5日补报年度报告并完成公示，申请核实后移出经营异常名录。"
                .into(),
        },
    )
    .await?;
    let appeal = repair::register(
        svc,
        &market,
        &AppealInput {
            kind: "repair".into(),
            entry_id: Some(repairable.id),
            applicant: format!("{}（市场开办者）", food_market.name),
            statement: "已按要求在市场显著位置设置检测结果公示屏并每日公示，罚款已缴清，最短公示期已满，申请信用修复。".into(),
        },
    )
    .await?;
    repair::decide(
        svc,
        &market,
        appeal.appeal.id,
        true,
        "经核查，当事人已履行行政处罚决定、整改到位，且最短公示期已满，同意修复，停止公示。",
    )
    .await?;
    tracing::debug!(listing = %listing.id, "demo credit work seeded");
    Ok(())
}

/// The first entity (in credit-code order) an expression selects.
async fn first_entity(svc: &Services, expr: &str) -> Result<lianjian_store::entities::Entity> {
    let resolved = crate::directory::resolve(svc, expr).await?;
    let s = lianjian_store::entities::EntitySearch {
        covered_by: Some(resolved),
        ..Default::default()
    };
    let ids = lianjian_store::entities::search_ids(svc.store.conn(), &s, None, 1).await?;
    let id = *ids
        .first()
        .unwrap_or_else(|| panic!("a demo entity for {expr}"));
    Ok(lianjian_store::entities::get(svc.store.conn(), id)
        .await?
        .expect("listed entity"))
}

async fn item_id(svc: &Services, code: &str) -> Result<Uuid> {
    Ok(lianjian_store::items::by_code(svc.store.conn(), code)
        .await?
        .unwrap_or_else(|| panic!("demo item {code}"))
        .id)
}

async fn member_id(svc: &Services, certificate: &str) -> Result<Uuid> {
    Ok(
        inspector_repo::by_certificate(svc.store.conn(), certificate)
            .await?
            .unwrap_or_else(|| panic!("demo inspector {certificate}"))
            .id,
    )
}

/// Two ad-hoc visits after complaints (投诉举报), so the field form, the reviews and the
/// portal have something to show: a joint visit of the market and health inspectors to a
/// medical-beauty clinic, scheduled for the demo's inspectors `wy.zhang` and `wy.wang` to carry
/// out on their phones, and a pharmacy visit already carried out, reviewed and published with a
/// rectification order under way.
async fn seed_visits(svc: &Services, actor: &Actor) -> Result<()> {
    use crate::visits::{self as insp, AdHocSpec, AnswerInput, Draft, ResultInput};
    let today = lianjian_domain::visit::beijing_date(chrono::Utc::now());
    let until = today + chrono::Days::new(30);
    let clinic = first_entity(svc, "医疗美容机构").await?;
    insp::create_ad_hoc(
        svc,
        actor,
        &AdHocSpec {
            usci: clinic.usci.clone(),
            item_ids: vec![
                item_id(svc, "WY-2024-07").await?,
                item_id(svc, "WY-2024-06").await?,
            ],
            trigger: "complaint".into(),
            trigger_note: "12345热线转办：顾客反映该机构使用来源不明的注射用产品".into(),
            inspector_ids: vec![
                member_id(svc, "41112120230001").await?,
                member_id(svc, "41112120230101").await?,
            ],
            period_start: today.to_string(),
            period_end: until.to_string(),
        },
    )
    .await?;

    let pharmacy = first_entity(svc, "零售药店").await?;
    let v = insp::create_ad_hoc(
        svc,
        actor,
        &AdHocSpec {
            usci: pharmacy.usci.clone(),
            item_ids: vec![item_id(svc, "WY-2024-02").await?],
            trigger: "complaint".into(),
            trigger_note: "群众投诉：处方药未凭处方销售".into(),
            inspector_ids: vec![
                member_id(svc, "41112120230001").await?,
                member_id(svc, "41112120230002").await?,
            ],
            period_start: today.to_string(),
            period_end: until.to_string(),
        },
    )
    .await?;
    let zhang = crate::accounts::actor_of_user(svc, "wy.zhang").await?;
    let li = crate::accounts::actor_of_user(svc, "wy.li").await?;
    let id = v.visit.id;
    insp::start(svc, &zhang, id, None).await?;
    let detail = insp::get(svc, &zhang, id).await?;
    let part = &detail.parts[0];
    let answers = part
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| AnswerInput {
            seq: p.seq,
            answer: if i == 0 { "fail".into() } else { "pass".into() },
            note: if i == 0 {
                "发现处方药未凭处方销售记录".into()
            } else {
                String::new()
            },
            base: None,
        })
        .collect();
    let draft = Draft {
        answers,
        results: vec![ResultInput {
            plan_id: part.plan_id,
            result_code: "corrected".into(),
            follow_up: "rectify".into(),
            summary: "已当场责令改正，限期整改".into(),
            base: None,
        }],
    };
    insp::save(svc, &zhang, id, &draft).await?;
    insp::confirm(svc, &zhang, id, None).await?;
    insp::confirm(svc, &li, id, None).await?;
    crate::follow_ups::issue_order(
        svc,
        &zhang,
        id,
        &crate::follow_ups::OrderSpec {
            plan_id: part.plan_id,
            requirements: "建立处方药销售登记制度，凭处方销售处方药，整改完成后书面报告".into(),
            working_days: Some(10),
            deadline: None,
        },
    )
    .await?;
    insp::review(svc, actor, id, part.plan_id, true, "").await?;
    insp::publish(svc, actor, id).await?;
    Ok(())
}

/// Department ids by (region, name), looked up once each.
#[derive(Default)]
struct Departments(HashMap<(String, String), Uuid>);

impl Departments {
    async fn id(&mut self, svc: &Services, region: &str, name: &str) -> Result<Uuid> {
        let key = (region.to_string(), name.to_string());
        if let Some(id) = self.0.get(&key) {
            return Ok(*id);
        }
        let code = RegionCode::parse(region).expect("demo region");
        let d = dept_repo::find_by_name(svc.store.conn(), &code, name)
            .await?
            .unwrap_or_else(|| panic!("demo department {name} exists in {region}"));
        self.0.insert(key, d.id);
        Ok(d.id)
    }
}

/// The vocabulary of `demo_content::TAGS` in Wuyang, owned by the county's competent
/// departments, with the rules that tag entities from licences, industry codes and scope.
async fn seed_tags(svc: &Services, actor: &Actor, depts: &mut Departments) -> Result<()> {
    for t in TAGS {
        let owner = if t.owner.is_empty() {
            String::new()
        } else {
            depts.id(svc, COUNTY, t.owner).await?.to_string()
        };
        tags::create(
            svc,
            actor,
            TagInput {
                code: t.code.into(),
                name: t.name.into(),
                parent: t.parent.into(),
                region_code: COUNTY.into(),
                owner_department_id: owner,
                description: t.description.into(),
                ..Default::default()
            },
        )
        .await?;
        for (kind, pattern) in t.rules {
            tags::add_rule(svc, actor, t.code, kind, pattern).await?;
        }
    }
    Ok(())
}

/// The 16 items of `demo_content::ITEMS`, created and published.
async fn seed_items(svc: &Services, actor: &Actor, depts: &mut Departments) -> Result<()> {
    for def in ITEMS {
        let lead = part(svc, depts, def.region, &def.lead).await?;
        let mut cooperating = Vec::with_capacity(def.cooperating.len());
        for c in def.cooperating {
            cooperating.push(part(svc, depts, def.region, c).await?);
        }
        let input = ItemInput {
            code: def.code.into(),
            name: def.name.into(),
            sector: def.sector.into(),
            category: "重点".into(),
            region_code: def.region.into(),
            implementation_level: def.level.into(),
            lead,
            cooperating,
            object_description: def.object_description.into(),
            object_expr: def.object_expr.into(),
            methods: def.methods.into(),
            default_frequency: def.frequency.into(),
            check_points: def
                .check_points
                .iter()
                .map(|(d, c, b)| [(*d).into(), (*c).into(), (*b).into()])
                .collect(),
        };
        let item = items::create(svc, actor, &input).await?;
        items::set_status(svc, actor, item.id, ItemStatus::Published).await?;
    }
    Ok(())
}

async fn part(
    svc: &Services,
    depts: &mut Departments,
    region: &str,
    p: &content::Part,
) -> Result<DepartmentPart> {
    Ok(DepartmentPart {
        department_id: depts.id(svc, region, p.department).await?.to_string(),
        duties: p.duties.into(),
        legal_basis: p.basis.into(),
    })
}

/// About 300 Wuyang entities, parsed like a spreadsheet's rows and imported in one call.
async fn seed_entities(svc: &Services, actor: &Actor) -> Result<()> {
    // Only the county's own regions are needed to parse; no hand-set tags.
    let vocab = Vocabulary {
        regions: content::region_codes(),
        tags: HashMap::new(),
    };
    let rows: Vec<EntityInput> = content::entities();
    let mut parsed: Vec<ParsedEntity> = Vec::with_capacity(rows.len());
    for r in &rows {
        parsed.push(directory::parse_entity(r, &vocab).map_err(ServiceError::Invalid)?);
    }
    directory::import(svc, actor, parsed, &|_| {}).await?;
    Ok(())
}

/// Wuyang's 2026 annual plans (`demo_content::PLANS`), filed for the county's lead departments
/// and moved on as far as each got, stamped with the days in March and April they were filed.
async fn seed_plans(svc: &Services, actor: &Actor, depts: &mut Departments) -> Result<()> {
    use content::PLANS;
    for def in PLANS {
        file_plan(svc, actor, depts, def, None).await?;
    }
    Ok(())
}

/// Files a demo plan for its lead department and moves it on as far as it got, stamped with
/// the days it was filed. `control_share` (percent) makes it risk-weighted with that random
/// control share; without, it draws unweighted.
async fn file_plan(
    svc: &Services,
    actor: &Actor,
    depts: &mut Departments,
    def: &content::PlanDef,
    control_share: Option<&str>,
) -> Result<Uuid> {
    use chrono::{FixedOffset, NaiveDate, TimeZone, Utc};
    use content::{PLAN_YEAR, PlanStage};
    use lianjian_domain::plan::PlanAction;

    let at = |day: &str, plus_days: i64| {
        let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").expect("demo day")
            + chrono::Duration::days(plus_days);
        FixedOffset::east_opt(8 * 3600)
            .expect("valid offset")
            .from_local_datetime(&d.and_hms_opt(10, 0, 0).expect("valid time"))
            .single()
            .expect("no DST")
            .with_timezone(&Utc)
    };
    let mut cooperating = None;
    if !def.cooperating.is_empty() {
        let mut ids = Vec::new();
        for name in def.cooperating {
            ids.push(depts.id(svc, COUNTY, name).await?.to_string());
        }
        cooperating = Some(ids);
    }
    let [a, b, c, d, ungraded] = def.ratios;
    let input = plans::PlanInput {
        item: def.item.into(),
        year: PLAN_YEAR.into(),
        period_start: def.period.0.into(),
        period_end: def.period.1.into(),
        region_code: COUNTY.into(),
        narrowing_expr: def.narrowing.into(),
        ratio_a: a.into(),
        ratio_b: b.into(),
        ratio_c: c.into(),
        ratio_d: d.into(),
        ratio_ungraded: ungraded.into(),
        cooldown_months: def.cooldown_months.into(),
        inspectors_per_visit: def.inspectors_per_visit.into(),
        expert_count: def.expert_count.into(),
        cooperating,
        qualifications: def.qualifications.into(),
        // The annual plans draw unweighted: the fourth-quarter draw stays a plain record.
        risk_weighted: control_share.is_some(),
        control_share: control_share.unwrap_or_default().into(),
    };
    let plan = plans::create(svc, actor, &input).await?;
    let moves: Vec<(PlanAction, i64)> = match def.stage {
        PlanStage::Draft => Vec::new(),
        PlanStage::Submitted(_) => vec![(PlanAction::Submit, 0)],
        PlanStage::Published(_) => vec![
            (PlanAction::Submit, 0),
            (PlanAction::Approve, 6),
            (PlanAction::Publish, 8),
        ],
    };
    if let PlanStage::Submitted(day) | PlanStage::Published(day) = def.stage {
        for (action, plus) in moves {
            plans::act_at(svc, actor, plan.id, action, None, at(day, plus)).await?;
        }
    }
    Ok(plan.id)
}

/// The Wuyang inspector pool of `demo_content::INSPECTORS`, saved in one transaction, and the
/// declared conflicts of interest with demo entities.
async fn seed_inspectors(svc: &Services, actor: &Actor, depts: &mut Departments) -> Result<()> {
    let mut members = Vec::with_capacity(content::INSPECTORS.len());
    for d in content::INSPECTORS {
        let input = InspectorInput {
            name: d.name.into(),
            certificate_number: d.certificate.into(),
            department_id: depts.id(svc, COUNTY, d.department).await?.to_string(),
            region_code: d.region.into(),
            kind: d.kind.into(),
            status: d.status.into(),
            qualifications: d.qualifications.into(),
            ..Default::default()
        };
        members.push((inspectors::parse(svc, actor, &input, None).await?, None));
    }
    inspectors::save_many(svc, actor, members).await?;
    let entities = content::entities();
    for (certificate, licence_type, reason) in content::INSPECTOR_CONFLICTS {
        let entity = entities
            .iter()
            .find(|e| e.licences.iter().any(|l| l[0] == *licence_type))
            .unwrap_or_else(|| panic!("a demo entity holds a {licence_type}"));
        let member = inspector_repo::by_certificate(svc.store.conn(), certificate)
            .await?
            .unwrap_or_else(|| panic!("demo inspector {certificate}"));
        inspectors::declare_conflict(svc, actor, member.id, &entity.usci, reason).await?;
    }
    Ok(())
}

/// Links the demo inspector accounts to their pool records.
async fn link_inspector_accounts(svc: &Services, actor: &Actor) -> Result<()> {
    for (username, certificate) in content::INSPECTOR_ACCOUNTS {
        let member = inspector_repo::by_certificate(svc.store.conn(), certificate)
            .await?
            .unwrap_or_else(|| panic!("demo inspector {certificate}"));
        inspectors::link_user(svc, actor, member.id, username).await?;
    }
    Ok(())
}

/// A joint draw of Wuyang's published plans for the fourth quarter (format lianjian-draw/3),
/// witnessed by the demo supervisor `wy.jiandu`, who contributes 32 random bytes under its own
/// account after the commitment, so the console and the portal show joint visits and a record
/// anyone can verify.
async fn seed_draws(svc: &Services, actor: &Actor) -> Result<()> {
    let spec = crate::draws::DrawSpec {
        title: "舞阳县2026年第四季度跨部门联合双随机抽查".into(),
        region: COUNTY.into(),
        period_start: "2026-10-01".into(),
        period_end: "2026-12-31".into(),
        plan_ids: Vec::new(),
        witness: crate::draws::WitnessSpec {
            supervisors: vec![DEMO_SUPERVISOR.into()],
            ..Default::default()
        },
    };
    witnessed_draw(svc, actor, &spec).await?;
    Ok(())
}

/// Commits `spec`, has the demo supervisor contribute 32 random bytes under its own account,
/// and executes the draw.
async fn witnessed_draw(
    svc: &Services,
    actor: &Actor,
    spec: &crate::draws::DrawSpec,
) -> Result<lianjian_store::draws::Draw> {
    let d = crate::draws::commit(svc, actor, spec).await?;
    let u = repo::find_user_by_name(svc.store.conn(), DEMO_SUPERVISOR)
        .await?
        .unwrap_or_else(|| panic!("demo account {DEMO_SUPERVISOR}"));
    let supervisor = Actor {
        user_id: u.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: u.role,
        department_id: u.department_id,
        department_line: "justice".into(),
        region: u.region_code.clone(),
        ip: None,
        context: None,
    };
    let value: [u8; 32] = rand::random();
    crate::draws::contribute(svc, &supervisor, d.id, &hex::encode(value)).await?;
    crate::draws::execute(svc, actor, d.id).await?;
    Ok(d)
}

/// The demo's 随机对照检验 (issue 16 item 4, docs/draw-algorithm.md 12.13): a tag with risk
/// weight 3 (风险关注对象: clinics on a filing certificate, pharmacies that also sell health
/// foods, meat-product makers), risk-weighted third-quarter plans for four county items that
/// keep half of each quota as the random control share (a county's pools are small: half,
/// so that each arm reaches the 30 results a lift needs), their joint draw witnessed and
/// executed, and its visits carried out with results
/// ([`lianjian_store::analysis::demo_draw_results`]: tagged entities find problems more often,
/// a rule the draw does not know). The risk page and `GET /api/v1/risk/control-lift` then
/// compare the two arms of 2026.
pub async fn seed_control_share(svc: &Services) -> Result<()> {
    let mut actor = crate::cli_actor();
    actor.username = "demo".into();
    let mut depts = Departments::default();
    tags::create(
        svc,
        &actor,
        TagInput {
            code: content::RISK_TAG.0.into(),
            name: content::RISK_TAG.1.into(),
            region_code: COUNTY.into(),
            owner_department_id: depts.id(svc, COUNTY, "县市场监管局").await?.to_string(),
            description: content::RISK_TAG.2.into(),
            risk_weight: "3".into(),
            ..Default::default()
        },
    )
    .await?;
    for (kind, pattern) in content::RISK_TAG.3 {
        tags::add_rule(svc, &actor, content::RISK_TAG.0, kind, pattern).await?;
    }
    let mut plan_ids = Vec::new();
    for def in content::CONTROL_PLANS {
        plan_ids.push(file_plan(svc, &actor, &mut depts, def, Some("50")).await?);
    }
    let spec = crate::draws::DrawSpec {
        title: "舞阳县2026年第三季度按风险加权双随机抽查（含随机对照）".into(),
        region: COUNTY.into(),
        period_start: content::Q3.0.into(),
        period_end: content::Q3.1.into(),
        plan_ids,
        witness: crate::draws::WitnessSpec {
            supervisors: vec![DEMO_SUPERVISOR.into()],
            ..Default::default()
        },
    };
    let d = witnessed_draw(svc, &actor, &spec).await?;
    let resolved = crate::directory::resolve(svc, content::RISK_TAG.0).await?;
    let s = lianjian_store::entities::EntitySearch {
        covered_by: Some(resolved),
        ..Default::default()
    };
    let risky: std::collections::HashSet<Uuid> =
        lianjian_store::entities::search_ids(svc.store.conn(), &s, None, 10_000)
            .await?
            .into_iter()
            .collect();
    let tx = svc.store.begin().await?;
    let n = lianjian_store::analysis::demo_draw_results(
        &tx,
        d.id,
        &risky,
        lianjian_domain::visit::beijing_date(svc.now()),
    )
    .await?;
    tx.commit().await?;
    tracing::debug!(checks = n, "demo control-share draw carried out");
    Ok(())
}

/// A season of Wuyang clues (issue 14 item 9): 12345 work orders (pushed through the hotline
/// interface) about a pharmacy, a medical-beauty clinic and a food market, and clues from
/// other sources —
/// - a pharmacy order finished, answered and closed after a satisfied 回访;
/// - a clinic order returned by the health commission with its reason and re-routed (改派) to
///   market supervision;
/// - an 互联网+监管 clue dispatched three working days ago and never signed (已超时, 督办 by
///   the office; `serve` escalates it);
/// - a clinic order with no clear owner, disputed and decided (谁为主谁牵头), being handled;
/// - a food-market order touching three departments verified jointly (a visit with trigger
///   "clue"), and a second caller's order on the same stall merged into it (并单);
/// - a clinic order joined to the open visit of that clinic instead of a second visit;
/// - a media report on the same market waiting to be dispatched (its page shows the open
///   visit and clue on that market).
async fn seed_clues(svc: &Services) -> Result<()> {
    use crate::clues::hotline::{self, HotlineOrder};
    use crate::clues::{self, ClueInput, joint, oversight, routing};
    let office = crate::accounts::actor_of_user(svc, "wy.office").await?;
    let market = crate::accounts::actor_of_user(svc, "wy.market").await?;
    let health = crate::accounts::actor_of_user(svc, "wy.health").await?;
    let mut depts = Departments::default();
    let x = depts.id(svc, COUNTY, "县市场监管局").await?;
    let y = depts.id(svc, COUNTY, "县卫生健康委").await?;
    let agri = depts.id(svc, COUNTY, "县农业农村局").await?;
    let commerce = depts.id(svc, COUNTY, "县商务局").await?;
    let pharmacy = first_entity(svc, "零售药店").await?;
    let clinic = first_entity(svc, "医疗美容机构").await?;
    let food_market = first_entity(svc, "集中交易市场").await?;
    let cal = crate::calendar::current(svc).await?;
    let today = lianjian_domain::visit::beijing_date(svc.now());
    // Three working days ago: the signing deadline (1) and the return window (2) have passed.
    let mut earlier = today;
    while cal.working_days_between(earlier, today) < 3 {
        earlier = earlier.pred_opt().expect("a date before today");
    }
    let at = |d: chrono::NaiveDate, hm: &str| format!("{d}T{hm}:00+08:00");
    // Today's calls came in at 08:30 Beijing time — or a few minutes ago when the demo starts
    // before then (a call from the future is refused).
    let this_morning = {
        let bj = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
        let now = svc.now().with_timezone(&bj);
        let t = today
            .and_hms_opt(8, 30, 0)
            .expect("08:30")
            .and_local_timezone(bj)
            .single()
            .expect("a fixed offset");
        if t < now {
            t
        } else {
            now - chrono::Duration::minutes(5)
        }
        .to_rfc3339()
    };
    let order = |no: &str, kind: &str, content: &str, address: &str, entity: &str| HotlineOrder {
        order_no: no.into(),
        called_at: this_morning.clone(),
        kind: kind.into(),
        content: content.into(),
        address: address.into(),
        region_code: COUNTY.into(),
        entity: (!entity.is_empty()).then(|| entity.to_string()),
        dispatching_unit: Some("漯河市12345政务服务便民热线".into()),
        ..Default::default()
    };
    // The office's routing table: a keyword names the item, so these orders are not routed
    // to every item covering their entity.
    for (keyword, item) in [("玻尿酸", "WY-2024-07"), ("注水", "WY-2024-04")] {
        routing::add_route(
            svc,
            &office,
            &routing::RouteInput {
                keyword: Some(keyword.into()),
                item_id: Some(item_id(svc, item).await?.to_string()),
                ..Default::default()
            },
        )
        .await?;
    }
    let push = |o: HotlineOrder| {
        let office = office.clone();
        async move { Ok::<_, ServiceError>(hotline::push(svc, &office, &o).await?.clue_id) }
    };

    // Finished, answered and closed after 回访.
    let mut o = order(
        "12345-2026-1201-0031",
        "投诉",
        "市民反映在该药店购买的感冒药已过有效期，要求核查处理。",
        "舞阳县舞泉镇人民路",
        &pharmacy.usci,
    );
    o.called_at = at(earlier, "09:12");
    o.caller_name = Some("刘女士".into());
    o.caller_phone = Some("13937501234".into());
    o.deadline_days = Some(5);
    let done = push(o).await?;
    clues::dispatch_on(svc, &office, done, x, earlier).await?;
    clues::sign(svc, &market, done).await?;
    clues::finish(
        svc,
        &market,
        done,
        "经现场核查，该药店货架上有 3 盒感冒药超过有效期，已责令下架销毁，并依法立案调查；已电话回复诉求人。",
        "substantiated",
    )
    .await?;
    oversight::revisit(svc, &office, done, "satisfied", "").await?;

    // Returned with a reason, then re-routed (改派).
    let mut o = order(
        "12345-2026-1204-0107",
        "举报",
        "举报该美容机构无医疗资质开展注射类医疗美容项目。",
        "舞阳县舞泉镇解放路",
        &clinic.usci,
    );
    o.urgency = Some("紧急".into());
    o.caller_phone = Some("0395-7201234".into());
    o.anonymous = true;
    let returned = push(o).await?;
    clues::dispatch(svc, &office, returned, y).await?;
    clues::return_clue(
        svc,
        &health,
        returned,
        "经核实，该机构未取得医疗机构执业许可证，属无证经营，由市场监管部门依职责查处；涉及非法行医的线索另行移送。",
    )
    .await?;
    clues::reassign(
        svc,
        &office,
        returned,
        x,
        "该机构未取得医疗机构执业许可证，按卫健委退回意见改派市场监管局查处无证经营。",
    )
    .await?;

    // Overdue: dispatched three working days ago, never signed; the office supervises it.
    let c = ClueInput {
        source: "internet_plus".into(),
        kind: "complaint".into(),
        content: "网络监测发现该药店在外卖平台销售处方药，未见处方审核环节。".into(),
        address: "舞阳县北舞渡镇".into(),
        region_code: COUNTY.into(),
        entity_usci: Some(pharmacy.usci.clone()),
        received_at: Some(at(earlier, "15:40")),
        ..Default::default()
    };
    let late = clues::register(svc, &office, &c).await?.clue.id;
    clues::dispatch_on(svc, &office, late, x, earlier).await?;
    oversight::supervise(
        svc,
        &office,
        late,
        "已超过签收时限，请市场监管局立即签收并按时办结。",
    )
    .await?;

    // No clear owner: disputed, decided by 谁为主谁牵头, being handled.
    let mut o = order(
        "12345-2026-1206-0019",
        "投诉",
        "患者反映在该机构就诊时被要求购买高价保健品，否则不予治疗。",
        "舞阳县舞泉镇解放路",
        "",
    );
    o.caller_name = Some("王先生".into());
    o.caller_phone = Some("15839501234".into());
    let disputed = push(o).await?;
    joint::dispute(
        svc,
        &office,
        disputed,
        "诉求涉及诊疗行为和保健品销售，卫生健康与市场监管职责交叉，提请专班裁定。",
    )
    .await?;
    joint::decide(
        svc,
        &office,
        disputed,
        &joint::DecisionInput {
            rule: "principal".into(),
            lead_id: y.to_string(),
            cooperating_ids: vec![x.to_string()],
            reason: "以就诊过程中的诊疗行为为主，由卫健委牵头，市场监管局配合查处保健品违规销售。"
                .into(),
        },
    )
    .await?;
    clues::sign(svc, &health, disputed).await?;

    // Touching three departments: verified jointly, a second caller's order merged into it.
    let mut o = order(
        "12345-2026-1207-0008",
        "举报",
        "市民反映该农贸市场多个摊位销售的猪肉疑似注水，市场未公示快检结果。",
        "舞阳县舞泉镇农贸市场",
        &food_market.usci,
    );
    o.urgency = Some("紧急".into());
    o.caller_name = Some("赵先生".into());
    o.caller_phone = Some("13703951234".into());
    let joint_clue = push(o).await?;
    joint::dispatch_jointly(svc, &office, joint_clue, x, &[agri, commerce]).await?;
    clues::sign(svc, &market, joint_clue).await?;
    joint::verify(
        svc,
        &market,
        joint_clue,
        &joint::VerifyInput {
            inspector_ids: vec![
                member_id(svc, "41112120230001").await?,
                member_id(svc, "41112120230002").await?,
            ],
            period_start: today.to_string(),
            period_end: (today + chrono::Days::new(10)).to_string(),
        },
    )
    .await?;
    let mut o = order(
        "12345-2026-1207-0015",
        "投诉",
        "农贸市场东区猪肉摊位的肉颜色发白、按压出水，怀疑注水，请相关部门查处。",
        "舞阳县舞泉镇农贸市场东区",
        &food_market.usci,
    );
    o.caller_phone = Some("13603951234".into());
    let duplicate = push(o).await?;
    let main_code = clues::get(svc, &office, joint_clue).await?.clue.code;
    oversight::merge(
        svc,
        &office,
        duplicate,
        &main_code,
        "同一主体同一问题，并单办理，办结后一并答复两位诉求人。",
    )
    .await?;

    // Joined to the open visit of the clinic instead of a second visit.
    let mut o = order(
        "12345-2026-1207-0021",
        "投诉",
        "顾客反映在该机构注射玻尿酸后面部红肿，怀疑所用产品来源不明。",
        "舞阳县舞泉镇解放路",
        &clinic.usci,
    );
    o.caller_name = Some("陈女士".into());
    o.caller_phone = Some("18639501234".into());
    let joined = push(o).await?;
    clues::dispatch(svc, &office, joined, y).await?;
    clues::sign(svc, &health, joined).await?;
    let open = crate::visits::open_visits_to(svc.store.conn(), &health, clinic.id).await?;
    let visit = open.first().map(|v| v.id).ok_or_else(|| {
        ServiceError::internal(lianjian_store::StoreError::Corrupt(
            "the demo clinic has no open visit".into(),
        ))
    })?;
    joint::join_visit(svc, &health, joined, visit).await?;

    // Waiting to be dispatched.
    let c = ClueInput {
        source: "media".into(),
        kind: "report".into(),
        content: "本地媒体报道县城某农贸市场存在销售注水肉现象。".into(),
        address: "舞阳县舞泉镇农贸市场".into(),
        region_code: COUNTY.into(),
        entity_usci: Some(food_market.usci.clone()),
        urgency: Some("urgent".into()),
        ..Default::default()
    };
    clues::register(svc, &office, &c).await?;
    Ok(())
}
