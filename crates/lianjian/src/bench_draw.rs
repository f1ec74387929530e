//! `lianjian bench --draw-path DB`: the whole path of a draw through the services, on a real
//! database (issue 11, Performance): `draws::commit` and `draws::execute` of one plan over the
//! largest item's pool of the bench province (about 500,000 candidates and 70,000 visits at
//! 1,000,000 entities), with the time of every stage.
//!
//! DB is a SQLite file path or a `postgres://` URL of an existing database. The province (the
//! same rows as the in-memory bench, from `--seed` and `--entities`) is loaded into it when it
//! holds no entities yet, so later runs reuse it; then a lead and a cooperating department, the
//! largest item, a published province-wide plan and an inspector pool are added once. Every
//! run removes the previous run's draw and visits first, so all runs draw the same pool.
//!
//! Stages come from the `draw_stage` spans of `lianjian_services::draws` (each span lives as
//! long as its stage); the bench records their wall time with a tracing layer.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{NaiveDate, TimeZone, Utc};
use lianjian_domain::department::DepartmentStatus;
use lianjian_domain::directory::RegStatus;
use lianjian_domain::inspector::{InspectorKind, InspectorStatus};
use lianjian_domain::item::DepartmentRole;
use lianjian_domain::item::{Dimension, ImplementationLevel, ItemCategory, ItemStatus, Method};
use lianjian_domain::plan::{ClassRatios, PlanStatus};
use lianjian_domain::region::RegionCode;
use lianjian_domain::tag::{TagLevel, TagSource};
use lianjian_services::{SecurityConfig, Services, draws};
use lianjian_store::Store;
use lianjian_store::departments::Department;
use lianjian_store::entities::{self, Entity};
use lianjian_store::inspectors::Inspector;
use lianjian_store::items::{CheckPoint, Item as StoreItem, ItemDepartment};
use lianjian_store::plans::{Plan, PlanDepartment};
use lianjian_store::tags::Tag;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::{Context as LayerContext, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{Layer, Registry};
use uuid::Uuid;

use super::{BenchArgs, Item, Province, bar, ms, spinner};

/// Officers of the lead department (a third hold the plan's qualification) and of the
/// cooperating one: every visit takes one of each.
const LEAD_OFFICERS: usize = 600;
const COOPERATING_OFFICERS: usize = 400;
const QUALIFICATION: &str = "食品安全";
const PLAN_CODE: &str = "BENCH-DRAW-2027-01";

// ---- stage timing ----

static STAGES: Mutex<Vec<(String, Duration)>> = Mutex::new(Vec::new());

/// Records how long each `draw_stage` span lived, by its `stage` field.
struct StageTimes;

struct Started(Instant, String);

struct StageName(String);

impl Visit for StageName {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "stage" {
            self.0 = value.to_string();
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "stage" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S> Layer<S> for StageTimes
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: LayerContext<'_, S>) {
        if attrs.metadata().name() != "draw_stage" {
            return;
        }
        let mut name = StageName(String::new());
        attrs.record(&mut name);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut()
                .insert(Started(Instant::now(), name.0));
        }
    }

    fn on_close(&self, id: Id, ctx: LayerContext<'_, S>) {
        if let Some(span) = ctx.span(&id)
            && let Some(s) = span.extensions().get::<Started>()
        {
            STAGES
                .lock()
                .expect("not poisoned")
                .push((s.1.clone(), s.0.elapsed()));
        }
    }
}

fn take_stages() -> Vec<(String, Duration)> {
    std::mem::take(&mut *STAGES.lock().expect("not poisoned"))
}

// ---- loading ----

async fn load_sqlite(store: &Store, p: &Province) -> anyhow::Result<()> {
    let tag_ids = insert_tags(store, p).await?;
    let pb = bar(p.rows.len() as u64, "INSERT entities");
    for chunk in p.rows.chunks(20_000) {
        let tx = store.begin().await?;
        let mut rows = Vec::with_capacity(chunk.len());
        let mut tag_rows = Vec::with_capacity(chunk.len() * 4);
        for r in chunk {
            let at = Utc
                .timestamp_opt(r.updated_at, 0)
                .single()
                .unwrap_or_default();
            let region = &p.regions[r.region as usize];
            rows.push(Entity {
                id: r.id,
                usci: r.usci().to_string(),
                name: r.name.to_string(),
                entity_type: r.entity_type,
                legal_rep: None,
                address: None,
                region_code: region.clone(),
                industry_code: None,
                reg_status: r.reg_status,
                business_scope: None,
                credit_class: r.credit,
                credit_date: None,
                credit_source: None,
                created_at: at,
                updated_at: at,
            });
            for t in r.tags() {
                tag_rows.push((
                    r.id,
                    tag_ids[*t as usize],
                    region.to_string(),
                    TagSource::Import,
                ));
            }
        }
        entities::insert_many(&tx, &rows).await?;
        entities::add_tags_many(&tx, &tag_rows).await?;
        tx.commit().await?;
        pb.inc(chunk.len() as u64);
    }
    pb.finish_and_clear();
    Ok(())
}

pub(super) async fn insert_tags(store: &Store, p: &Province) -> anyhow::Result<Vec<Uuid>> {
    let now = Utc::now();
    let province = RegionCode::parse(&p.regions[0].as_str()[..2]).expect("province code");
    let mut ids = Vec::with_capacity(p.tag_codes.len());
    for (i, code) in p.tag_codes.iter().enumerate() {
        let t = Tag {
            id: Uuid::now_v7(),
            code: code.clone(),
            name: format!("基准标签{}", i + 1),
            parent_id: None,
            level: TagLevel::Major,
            region_code: province.clone(),
            owner_department_id: None,
            description: None,
            valid_from: None,
            valid_to: None,
            status: "active".into(),
            risk_weight: 1,
            created_at: now,
            updated_at: now,
        };
        lianjian_store::tags::insert(store.conn(), &t).await?;
        ids.push(t.id);
    }
    Ok(ids)
}

/// The departments, the largest item, its plan and the inspector pool (once per database).
async fn set_up_plan(
    svc: &Services,
    province: &RegionCode,
    items: &[Item],
) -> anyhow::Result<(Uuid, Value)> {
    let c = svc.store.conn();
    let period = (
        NaiveDate::from_ymd_opt(2027, 1, 1).expect("date"),
        NaiveDate::from_ymd_opt(2027, 12, 31).expect("date"),
    );
    // The largest pool: the item's directory among entities in business (as the bench's
    // stratified draw picks it).
    let (largest, pool) = {
        let ix = svc.index.read().context("index loaded")?;
        let active = ix.status_bitmap(RegStatus::Active).clone();
        items
            .iter()
            .map(|it| (it, (ix.eval(&it.expr) & &active).len()))
            .max_by_key(|(_, n)| *n)
            .context("items")?
    };
    let about = json!({"item": largest.code, "expr": largest.expr.to_string(), "pool": pool});
    if let Some(plan) = lianjian_store::plans::by_code(c, PLAN_CODE).await? {
        return Ok((plan.id, about));
    }
    let now = Utc::now();
    let dept = |name: &str, line: &str, order: i32| Department {
        id: Uuid::now_v7(),
        region_code: province.clone(),
        name: name.into(),
        line: line.into(),
        status: DepartmentStatus::Active,
        builtin_set: None,
        sort_order: order,
        created_at: now,
        updated_at: now,
    };
    let lead = dept("基准牵头部门（市场监管）", "market", 1);
    let coop = dept("基准配合部门（卫生健康）", "health", 2);
    lianjian_store::departments::insert(c, &lead).await?;
    lianjian_store::departments::insert(c, &coop).await?;
    let part = |d: &Department, role| ItemDepartment {
        department_id: d.id,
        role,
        duties: "依法实施监督检查".into(),
        legal_basis: "《中华人民共和国食品安全法》第八十七条".into(),
    };
    let item = StoreItem {
        id: Uuid::now_v7(),
        code: largest.code.clone(),
        name: format!("基准事项 {}", largest.code),
        sector_id: None,
        category: ItemCategory::General,
        lead_department_id: lead.id,
        region_code: province.clone(),
        implementation_level: ImplementationLevel::Province,
        object_description: "基准省份中该事项标签所选的经营主体".into(),
        object_expr: largest.expr.to_string(),
        methods: vec![Method::OnSite],
        default_frequency: None,
        status: ItemStatus::Published,
        version: 1,
        departments: vec![
            part(&lead, DepartmentRole::Lead),
            part(&coop, DepartmentRole::Cooperating),
        ],
        check_points: (1..=3)
            .map(|i| CheckPoint {
                dimension: Dimension::System,
                content: format!("检查要点 {i}"),
                legal_basis: "《中华人民共和国食品安全法》".into(),
            })
            .collect(),
        created_at: now,
        updated_at: now,
        published_at: Some(now),
    };
    lianjian_store::items::insert(c, &item).await?;
    let plan = Plan {
        id: Uuid::now_v7(),
        code: PLAN_CODE.into(),
        item_id: item.id,
        item_version: 1,
        year: 2027,
        period_start: period.0,
        period_end: period.1,
        region_code: province.clone(),
        narrowing_expr: None,
        ratios: ClassRatios::defaults(ItemCategory::General),
        cooldown_months: 12,
        inspectors_per_visit: 2,
        expert_count: 0,
        risk_weighted: false,
        control_share: lianjian_domain::plan::Ratio::ZERO,
        status: PlanStatus::Published,
        return_reason: None,
        submitted_at: Some(now),
        late: false,
        approved_at: Some(now),
        published_at: Some(now),
        created_by: "bench".into(),
        created_at: now,
        updated_at: now,
        departments: vec![
            PlanDepartment {
                department_id: lead.id,
                role: DepartmentRole::Lead,
            },
            PlanDepartment {
                department_id: coop.id,
                role: DepartmentRole::Cooperating,
            },
        ],
        qualifications: vec![QUALIFICATION.into()],
    };
    lianjian_store::plans::insert(c, &plan).await?;
    let tx = svc.store.begin().await?;
    for (d, n, prefix) in [
        (&lead, LEAD_OFFICERS, "BL"),
        (&coop, COOPERATING_OFFICERS, "BC"),
    ] {
        for k in 0..n {
            lianjian_store::inspectors::insert(
                &tx,
                &Inspector {
                    id: Uuid::now_v7(),
                    department_id: d.id,
                    region_code: province.clone(),
                    name: format!("基准检查员{prefix}{k:04}"),
                    certificate_number: format!("{prefix}2027{k:06}"),
                    kind: InspectorKind::Officer,
                    status: InspectorStatus::Active,
                    phone: None,
                    user_id: None,
                    qualifications: if prefix == "BL" && k % 3 == 0 {
                        vec![QUALIFICATION.into()]
                    } else {
                        Vec::new()
                    },
                    created_at: now,
                    updated_at: now,
                },
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok((plan.id, about))
}

/// Removes earlier runs' draws and visits and puts the plan back to published.
async fn reset(store: &Store) -> anyhow::Result<()> {
    let tx = store.begin().await?;
    for sql in [
        "DELETE FROM visit_inspectors",
        "DELETE FROM visit_checks",
        "DELETE FROM visits",
        "DELETE FROM draw_plans",
        "DELETE FROM draw_public_records",
        "DELETE FROM draws",
        "UPDATE plans SET status = 'published'",
    ] {
        tx.execute_unprepared(sql).await?;
    }
    tx.commit().await?;
    Ok(())
}

fn median(v: &[Duration]) -> Duration {
    let mut s = v.to_vec();
    s.sort();
    s[(s.len() - 1) / 2]
}

pub(super) async fn run(
    a: &BenchArgs,
    p: &Province,
    items: &[Item],
    db: &str,
) -> anyhow::Result<Value> {
    let subscriber = Registry::default().with(StageTimes);
    tracing::subscriber::set_global_default(subscriber).context("installing the stage timer")?;
    let url = if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        db.to_string()
    } else {
        format!("sqlite://{db}")
    };
    let store = Store::connect_and_migrate(&url)
        .await
        .with_context(|| format!("opening {db}"))?;
    let existing = entities::count(store.conn()).await?;
    if existing == 0 {
        let t = Instant::now();
        if url.starts_with("sqlite") {
            load_sqlite(&store, p).await?;
        } else {
            super::copy_into_postgres(&store, p).await?;
        }
        println!(
            "loaded {} entities into {db} in {:.1} s",
            p.rows.len(),
            t.elapsed().as_secs_f64()
        );
    } else if existing != p.rows.len() as u64 {
        bail!(
            "{db} holds {existing} entities, not the {} of this province: use an empty database",
            p.rows.len()
        );
    } else {
        println!("reusing the {existing} entities in {db}");
    }
    let svc = Services::new(store.clone(), SecurityConfig::default());
    let pb = spinner("loading the index");
    let t = Instant::now();
    svc.load_index().await?;
    pb.finish_and_clear();
    println!(
        "index loaded from the store in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let province = RegionCode::parse(&p.regions[0].as_str()[..2]).expect("province code");
    let (plan_id, about) = set_up_plan(&svc, &province, items).await?;
    println!(
        "plan {PLAN_CODE}: item {} ({}), pool of {} entities in business; {} + {} officers",
        about["item"], about["expr"], about["pool"], LEAD_OFFICERS, COOPERATING_OFFICERS
    );

    let actor = lianjian_services::cli_actor();
    let spec = draws::DrawSpec {
        title: "基准省份全省联合双随机抽查".into(),
        region: province.to_string(),
        period_start: "2027-01-01".into(),
        period_end: "2027-12-31".into(),
        plan_ids: vec![plan_id],
        // A benchmark has nobody to witness it; a /3 draw then records why (and is labelled).
        witness: draws::WitnessSpec {
            unwitnessed_reason: "性能基准测试，无独立见证".into(),
            ..Default::default()
        },
    };
    let mut commits = Vec::new();
    let mut executes = Vec::new();
    let mut stages: BTreeMap<String, Vec<Duration>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut visits = 0;
    for run in 0..a.draw_runs {
        reset(&store).await?;
        take_stages();
        let t = Instant::now();
        let d = draws::commit(&svc, &actor, &spec)
            .await
            .map_err(|e| anyhow::anyhow!("commit: {e}"))?;
        let commit_time = t.elapsed();
        let t = Instant::now();
        let done = draws::execute(&svc, &actor, d.id)
            .await
            .map_err(|e| anyhow::anyhow!("execute: {e}"))?;
        let execute_time = t.elapsed();
        if let Some(f) = done.failure {
            bail!("the draw failed: {}", f.message_en);
        }
        visits = done.draw.visit_count;
        let stored = store
            .conn()
            .query_one_raw(sea_orm::Statement::from_string(
                store.conn().get_database_backend(),
                "SELECT COUNT(*) FROM visits",
            ))
            .await?
            .map(|r| r.try_get_by_index::<i64>(0))
            .transpose()?
            .unwrap_or(0);
        if stored != i64::from(visits) {
            bail!("{visits} visits drawn but {stored} stored");
        }
        let mut this_run: BTreeMap<String, Duration> = BTreeMap::new();
        for (name, d) in take_stages() {
            if !order.contains(&name) {
                order.push(name.clone());
            }
            *this_run.entry(name).or_default() += d;
        }
        for (name, d) in this_run {
            stages.entry(name).or_default().push(d);
        }
        println!(
            "run {}: commit {:.0} ms, execute {:.0} ms, together {:.0} ms; {} visits",
            run + 1,
            ms(commit_time),
            ms(execute_time),
            ms(commit_time + execute_time),
            visits
        );
        commits.push(commit_time);
        executes.push(execute_time);
    }
    let together: Vec<Duration> = commits
        .iter()
        .zip(&executes)
        .map(|(a, b)| *a + *b)
        .collect();
    println!(
        "{:<34} {:>10} {:>10}",
        "stage (wall time)", "best ms", "median ms"
    );
    let mut stage_json = serde_json::Map::new();
    for name in &order {
        let v = &stages[name];
        let best = v.iter().min().copied().unwrap_or_default();
        println!("{name:<34} {:>10.1} {:>10.1}", ms(best), ms(median(v)));
        stage_json.insert(
            name.clone(),
            json!({"best_ms": ms(best), "median_ms": ms(median(v))}),
        );
    }
    for (label, v) in [
        ("commit", &commits),
        ("execute", &executes),
        ("commit + execute", &together),
    ] {
        println!(
            "{label:<34} {:>10.1} {:>10.1}",
            ms(v.iter().min().copied().unwrap_or_default()),
            ms(median(v))
        );
    }
    Ok(json!({
        "database": if url.starts_with("sqlite") { "sqlite" } else { "postgres" },
        "plan": about,
        "visits": visits,
        "runs": a.draw_runs,
        "commit_best_ms": ms(commits.iter().min().copied().unwrap_or_default()),
        "commit_median_ms": ms(median(&commits)),
        "execute_best_ms": ms(executes.iter().min().copied().unwrap_or_default()),
        "execute_median_ms": ms(median(&executes)),
        "together_best_ms": ms(together.iter().min().copied().unwrap_or_default()),
        "together_median_ms": ms(median(&together)),
        "stages": stage_json,
    }))
}
