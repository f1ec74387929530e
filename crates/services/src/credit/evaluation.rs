//! The credit evaluation (信用评价, issue 15 item 2): define and edit an evaluation index
//! (信用评价指标体系), run an evaluation over a region (now, or once a quarter per county by the
//! server's pass), read a run's changes as each department sees them, an entity's class with
//! its explanation, and override a class with a reason.
//!
//! Who may act:
//! - **define and edit an index**: the system administrator anywhere; the coordination office
//!   within its region subtree. A department administrator may define and edit its own sector's
//!   index (an index with a `sector_id`) in its region, since the department knows which facts
//!   matter in its field; the region's default index and which index a run applies stay with the
//!   office, because the class is shared by every department's draws.
//! - **run and override**: the system administrator and the coordination office (the class
//!   written is used by every line).
//! - **read** runs, changes and classes: every staff role within its scope (classes and scores
//!   are internal: never on the portal or the public API).
//!
//! A run writes the class to `entities.credit_class` with source “评价” and the run's date, only
//! where the class changes, in batches of short transactions (each with its audit entry and its
//! change-feed rows, so every server's directory index and the next draw commit see the class in
//! force). A valid override wins over the score. The changes of a run are kept per entity with
//! their explanations; every entity's latest score and facts are kept in one row, from which its
//! explanation is computed when read.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use lianjian_domain::account::Role;
use lianjian_domain::credit::evaluation::{Evaluation, Facts, IndexDef, Scorer, evaluate};
use lianjian_domain::directory::CreditClass;
use lianjian_domain::error::bounded_text;
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::{Actor, Scope};
use lianjian_domain::visit::beijing_date;
use lianjian_store::changes::{self, DirectoryChange};
use lianjian_store::credit_evaluation as repo;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::Checker;
use crate::trail::{Record, record, record_many};
use crate::{Page, PageRequest, Result, ServiceError, Services};

pub use lianjian_store::credit_evaluation::{
    ChangeRow, CreditIndex, Current, IndexVersion, Override, Run,
};

/// The source written with an evaluated class (`entities.credit_source`).
pub const SOURCE: &str = "评价";
/// Classes written per transaction.
const BATCH: usize = 2000;
/// A run still marked running this long after its start was cut off (the server stopped
/// during it): it no longer blocks a new run over its region. A province's run takes minutes.
const STALE_AFTER_HOURS: i64 = 6;

// ---------------------------------------------------------------------------------------
// Who may

fn within(a: &Actor, region: &RegionCode) -> bool {
    a.role == Role::SystemAdmin || region.is_within(&a.region)
}

/// Whether `a` may define or edit an index for `region` (`sector`: a sector's own index).
pub fn may_define(a: &Actor, region: &RegionCode, sector: bool) -> bool {
    match a.role {
        Role::SystemAdmin => true,
        Role::CoordinationOffice => region.is_within(&a.region),
        Role::DepartmentAdmin => sector && region.is_within(&a.region),
        _ => false,
    }
}

/// Whether `a` may define any index (the console shows the editor).
pub fn may_define_any(a: &Actor) -> bool {
    matches!(
        a.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin
    )
}

/// Whether `a` may run an evaluation and override classes.
pub fn may_run(a: &Actor) -> bool {
    matches!(a.role, Role::SystemAdmin | Role::CoordinationOffice)
}

/// Whether `a` may read runs, changes and classes (every staff role, in its scope).
pub fn may_view(_a: &Actor) -> bool {
    true
}

// ---------------------------------------------------------------------------------------
// Indexes

/// An index as submitted: new, or the next version of an existing one.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(as = CreditIndexInput)]
pub struct IndexInput {
    /// The region it applies to (its subtree).
    pub region_code: String,
    /// A sector's own index; none for the region's default.
    pub sector_id: Option<Uuid>,
    pub name: String,
    pub definition: IndexDef,
}

fn parse_index(a: &Actor, input: &IndexInput) -> Result<(RegionCode, String, IndexDef)> {
    let mut ck = Checker::default();
    let region = ck.check("region_code", RegionCode::parse(&input.region_code));
    let name = ck.check(
        "name",
        bounded_text(&input.name, 2, 64, "指标体系名称", "index name"),
    );
    let def = match input.definition.clone().parse() {
        Ok(d) => Some(d),
        Err(errs) => {
            for (f, e) in errs {
                ck.push(&format!("definition.{f}"), e);
            }
            None
        }
    };
    ck.finish()?;
    let region = region.expect("checked");
    if !may_define(a, &region, input.sector_id.is_some()) {
        if may_define_any(a) && within(a, &region) {
            return Err(ServiceError::refused(
                "部门管理员只能维护本部门所属领域的指标体系，地区默认指标体系由联席办维护",
                "department administrators maintain their sector's index only",
            ));
        }
        return Err(if may_define_any(a) {
            ServiceError::field(
                "region_code",
                lianjian_domain::Invalid::new(
                    "outside_scope",
                    format!("行政区划“{region}”不在您的管辖范围内"),
                    format!("region {region} is outside your scope"),
                ),
            )
        } else {
            ServiceError::Forbidden
        });
    }
    Ok((region, name.expect("checked"), def.expect("checked")))
}

async fn check_sector(svc: &Services, sector: Option<Uuid>) -> Result<()> {
    if let Some(s) = sector
        && lianjian_store::sectors::get(svc.store.conn(), s)
            .await?
            .is_none()
    {
        return Err(ServiceError::field(
            "sector_id",
            lianjian_domain::Invalid::new("unknown", "所选监管领域不存在", "unknown sector"),
        ));
    }
    Ok(())
}

/// Defines a new index (version 1).
pub async fn define(svc: &Services, a: &Actor, input: &IndexInput) -> Result<CreditIndex> {
    if !may_define_any(a) {
        return Err(ServiceError::Forbidden);
    }
    let (region, name, definition) = parse_index(a, input)?;
    check_sector(svc, input.sector_id).await?;
    let now = lianjian_domain::audit::audit_time(svc.now());
    let x = CreditIndex {
        id: Uuid::now_v7(),
        region_code: region.clone(),
        sector_id: input.sector_id,
        name,
        version: 1,
        definition,
        updated_by: a.username.clone(),
        created_at: now,
        updated_at: now,
    };
    let tx = svc.store.begin().await?;
    repo::insert_index(&tx, &x).await?;
    record(
        &tx,
        a,
        Record::new("credit_index.define", "credit_index", x.id)
            .at(&region, None)
            .after(&x),
    )
    .await?;
    tx.commit().await?;
    Ok(x)
}

/// Saves an edit as the index's next version (runs keep the version they used). `version` is
/// the version the editor started from: an edit of an older version is refused (someone saved
/// in between).
pub async fn edit(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    version: i32,
    name: &str,
    definition: &IndexDef,
) -> Result<CreditIndex> {
    if !may_define_any(a) {
        return Err(ServiceError::Forbidden);
    }
    let before = repo::get_index(svc.store.conn(), &Scope::ignoring_context(a), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let input = IndexInput {
        region_code: before.region_code.to_string(),
        sector_id: before.sector_id,
        name: name.to_string(),
        definition: definition.clone(),
    };
    let (_, name, definition) = parse_index(a, &input)?;
    if version != before.version {
        return Err(ServiceError::conflict(
            "version",
            format!(
                "该指标体系已被他人修改为第{}版，请刷新后再改",
                before.version
            ),
            format!("the index is now at version {}", before.version),
        ));
    }
    let mut after = before.clone();
    after.name = name;
    after.definition = definition;
    after.version = before.version + 1;
    after.updated_by = a.username.clone();
    after.updated_at = lianjian_domain::audit::audit_time(svc.now());
    let tx = svc.store.begin().await?;
    if !repo::save_version(&tx, &after).await? {
        return Err(ServiceError::conflict(
            "version",
            "该指标体系刚被他人修改，请刷新后再改",
            "the index changed meanwhile",
        ));
    }
    record(
        &tx,
        a,
        Record::new("credit_index.edit", "credit_index", id)
            .at(&after.region_code, None)
            .before(&before)
            .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Every index `a` may read (its region's and its ancestors').
pub async fn indexes(svc: &Services, a: &Actor) -> Result<Vec<CreditIndex>> {
    Ok(repo::list_indexes(svc.store.conn(), &Scope::of(a)).await?)
}

/// One index with every version, newest first.
pub async fn index(
    svc: &Services,
    a: &Actor,
    id: Uuid,
) -> Result<(CreditIndex, Vec<IndexVersion>)> {
    let c = svc.store.conn();
    let x = repo::get_index(c, &Scope::of(a), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let v = repo::versions(c, id).await?;
    Ok((x, v))
}

// ---------------------------------------------------------------------------------------
// Runs

/// What a run is asked to do.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(as = CreditEvalRunInput)]
pub struct RunInput {
    /// The region to evaluate (its subtree).
    pub region_code: String,
    /// The index to apply; none: the region's default index.
    pub index_id: Option<Uuid>,
}

/// How a run was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Manual,
    Quarterly,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Quarterly => "quarterly",
        }
    }
}

/// Checks and records the start of a run (status `running`); [`execute`] does the work.
pub async fn start(svc: &Services, a: &Actor, input: &RunInput, trigger: Trigger) -> Result<Run> {
    if !may_run(a) {
        return Err(ServiceError::Forbidden);
    }
    let region =
        RegionCode::parse(&input.region_code).map_err(|e| ServiceError::field("region_code", e))?;
    if !within(a, &region) {
        return Err(ServiceError::field(
            "region_code",
            lianjian_domain::Invalid::new(
                "outside_scope",
                format!("行政区划“{region}”不在您的管辖范围内"),
                format!("region {region} is outside your scope"),
            ),
        ));
    }
    let c = svc.store.conn();
    let index = match input.index_id {
        Some(id) => repo::get_index(c, &Scope::ignoring_context(a), id)
            .await?
            .filter(|x| region.is_within(&x.region_code))
            .ok_or_else(|| {
                ServiceError::field(
                    "index_id",
                    lianjian_domain::Invalid::new(
                        "unknown",
                        "所选指标体系不存在或不适用于该地区",
                        "no such index for this region",
                    ),
                )
            })?,
        None => repo::default_index_for(c, &region).await?.ok_or_else(|| {
            ServiceError::refused(
                format!("行政区划“{region}”及其上级尚未定义默认的信用评价指标体系，请先定义"),
                format!("no default evaluation index for {region} or above"),
            )
        })?,
    };
    let now = lianjian_domain::audit::audit_time(svc.now());
    let run = Run {
        id: Uuid::now_v7(),
        region_code: region.clone(),
        index_id: index.id,
        index_version: index.version,
        trigger: trigger.as_str().into(),
        status: "running".into(),
        evaluated_on: beijing_date(now),
        entities: 0,
        changed: 0,
        class_a: 0,
        class_b: 0,
        class_c: 0,
        class_d: 0,
        overridden: 0,
        error: None,
        created_by: a.username.clone(),
        started_at: now,
        finished_at: None,
    };
    let tx = svc.store.begin().await?;
    // Checked inside the write transaction: writers are serialised, so two starts cannot both
    // pass.
    if repo::running_over(
        &tx,
        &region,
        now - chrono::Duration::hours(STALE_AFTER_HOURS),
    )
    .await?
    {
        return Err(ServiceError::conflict(
            "region_code",
            "该地区（或其上下级）正在进行信用评价，请待其完成",
            "an evaluation over this region is running",
        ));
    }
    repo::insert_run(&tx, &run).await?;
    record(
        &tx,
        a,
        Record::new("credit_eval.start", "credit_eval_run", run.id)
            .at(&region, None)
            .after(&run),
    )
    .await?;
    tx.commit().await?;
    Ok(run)
}

fn windows(def: &IndexDef, today: NaiveDate) -> repo::Windows {
    let back = |code: &str| {
        today
            .checked_sub_months(chrono::Months::new(def.months_of(code)))
            .unwrap_or(NaiveDate::MIN)
    };
    repo::Windows {
        today,
        penalties_from: back("penalties"),
        inspections_from: back("inspection_problems"),
        complaints_from: back("complaints"),
        commendations_from: back("commendations"),
    }
}

/// Evaluates a started run: reads the facts of every entity in its region, scores them, writes
/// the classes that change (overrides win while valid) with audit entries, keeps the changes
/// and the latest results, and finishes the run. A failure marks the run failed; batches
/// written before it stay (each was a complete, audited change) and the next run continues.
pub async fn execute(svc: &Services, a: &Actor, run: Run) -> Result<Run> {
    let mut run = run;
    match evaluate_run(svc, a, &mut run).await {
        Ok(()) => {
            run.status = "finished".into();
        }
        Err(e) => {
            tracing::warn!(run = %run.id, error = %e, "credit evaluation failed");
            run.status = "failed".into();
            run.error = Some("评价过程出错，已写入的批次保留，请重新发起评价".into());
        }
    }
    run.finished_at = Some(lianjian_domain::audit::audit_time(svc.now()));
    let tx = svc.store.begin().await?;
    repo::finish_run(&tx, &run).await?;
    record(
        &tx,
        a,
        Record::new("credit_eval.finish", "credit_eval_run", run.id)
            .at(&run.region_code, None)
            .after(&run),
    )
    .await?;
    tx.commit().await?;
    svc.apply_own_changes().await;
    Ok(run)
}

async fn evaluate_run(svc: &Services, a: &Actor, run: &mut Run) -> Result<()> {
    let c = svc.store.conn();
    let ver = repo::version(c, run.index_id, run.index_version)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let def = ver.definition;
    let today = run.evaluated_on;
    let scope = Scope::system().narrowed(Some(&run.region_code), None);
    let subjects = repo::facts(c, &scope, &windows(&def, today), None).await?;
    let overrides = repo::valid_overrides(c, &scope, today).await?;
    let previous = repo::current_within(c, &scope).await?;
    let scorer = Scorer::new(&def);

    let mut changes: Vec<repo::Change> = Vec::new();
    let mut current: Vec<Current> = Vec::new();
    for s in &subjects {
        let (score, scored) = scorer.score(&s.facts);
        let (class, overridden) = match overrides.get(&s.id) {
            Some(o) => (o.class, true),
            None => (scored, false),
        };
        run.entities += 1;
        if overridden {
            run.overridden += 1;
        }
        match class {
            CreditClass::A => run.class_a += 1,
            CreditClass::B => run.class_b += 1,
            CreditClass::C => run.class_c += 1,
            CreditClass::D => run.class_d += 1,
        }
        if s.class != Some(class) {
            changes.push(repo::Change {
                run_id: run.id,
                entity_id: s.id,
                region_code: s.region_code.clone(),
                score,
                class,
                previous_class: s.class,
                overridden,
                explanation: evaluate(&def, &s.facts),
            });
        }
        let same = previous
            .get(&s.id)
            .is_some_and(|(v, sc, f)| *v == run.index_version && *sc == score && *f == s.facts);
        if !same {
            current.push(Current {
                entity_id: s.id,
                region_code: s.region_code.clone(),
                run_id: run.id,
                index_version: run.index_version,
                score,
                class: scored,
                evaluated_on: today,
                facts: s.facts,
            });
        }
    }
    run.changed = changes.len() as i64;
    let now = lianjian_domain::audit::audit_time(svc.now());
    for batch in changes.chunks(BATCH) {
        let tx = svc.store.begin().await?;
        let mut by_class: HashMap<CreditClass, Vec<Uuid>> = HashMap::new();
        for x in batch {
            by_class.entry(x.class).or_default().push(x.entity_id);
        }
        for (class, ids) in &by_class {
            repo::set_entity_classes(&tx, *class, today, SOURCE, now, ids).await?;
        }
        repo::insert_changes(&tx, batch).await?;
        let ids: Vec<Uuid> = batch.iter().map(|x| x.entity_id).collect();
        changes::append_directory_changes(&tx, &DirectoryChange::entities(&ids)).await?;
        let summary: Vec<serde_json::Value> = batch
            .iter()
            .map(|x| {
                serde_json::json!({
                    "entity_id": x.entity_id,
                    "from": x.previous_class.map(CreditClass::as_str),
                    "to": x.class.as_str(),
                    "score": x.score,
                    "overridden": x.overridden,
                })
            })
            .collect();
        record_many(
            &tx,
            a,
            vec![
                Record::new("credit_eval.apply", "credit_eval_run", run.id)
                    .at(&run.region_code, None)
                    .after(
                        &serde_json::json!({ "source": SOURCE, "on": today, "changes": summary }),
                    ),
            ],
        )
        .await?;
        tx.commit().await?;
    }
    for batch in current.chunks(BATCH * 5) {
        let tx = svc.store.begin().await?;
        repo::upsert_current(&tx, batch).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Re-evaluates one entity on the caller's transaction, after a change to its credit entries
/// made by a use case (信用修复 granted, an objection upheld, a sanction applied or lifted:
/// issue 15 item 4, "on approval … the entity is re-evaluated"). It is scored with the index
/// version of the latest finished run over its region; an entity of a region never evaluated
/// keeps its class until the first run. A valid override still wins. A changed class is
/// written with source 评价 and today's date, fed to the directory index through the change
/// feed, and audited (`credit_eval.reevaluate`, with the score, the classes and why). The
/// caller applies the feed after committing ([`Services::apply_own_changes`]).
pub(crate) async fn reevaluate_entity(
    svc: &Services,
    tx: &impl lianjian_store::Conn,
    a: &Actor,
    entity_id: Uuid,
    why: &str,
) -> Result<()> {
    let Some(e) = lianjian_store::entities::get(tx, entity_id).await? else {
        return Ok(());
    };
    let Some(run) = repo::last_finished_over(tx, &e.region_code).await? else {
        return Ok(());
    };
    let Some(ver) = repo::version(tx, run.index_id, run.index_version).await? else {
        return Ok(());
    };
    let def = ver.definition;
    let today = beijing_date(svc.now());
    let scope = Scope::system().narrowed(Some(&e.region_code), None);
    let Some(s) = repo::facts(tx, &scope, &windows(&def, today), Some(entity_id))
        .await?
        .into_iter()
        .next()
    else {
        return Ok(());
    };
    let (score, scored) = Scorer::new(&def).score(&s.facts);
    let overrides = repo::valid_overrides(tx, &scope, today).await?;
    let (class, overridden) = match overrides.get(&entity_id) {
        Some(o) => (o.class, true),
        None => (scored, false),
    };
    repo::upsert_current(
        tx,
        &[Current {
            entity_id,
            region_code: s.region_code.clone(),
            run_id: run.id,
            index_version: run.index_version,
            score,
            class: scored,
            evaluated_on: today,
            facts: s.facts,
        }],
    )
    .await?;
    if s.class == Some(class) {
        return Ok(());
    }
    let now = lianjian_domain::audit::audit_time(svc.now());
    repo::set_entity_classes(tx, class, today, SOURCE, now, &[entity_id]).await?;
    changes::append_directory_changes(tx, &DirectoryChange::entities(&[entity_id])).await?;
    record(
        tx,
        a,
        Record::new("credit_eval.reevaluate", "entity", entity_id)
            .at(&s.region_code, None)
            .before(&serde_json::json!({ "class": s.class.map(CreditClass::as_str) }))
            .after(&serde_json::json!({
                "class": class.as_str(),
                "score": score,
                "overridden": overridden,
                "index_version": run.index_version,
                "why": why,
                "explanation": evaluate(&def, &s.facts),
            })),
    )
    .await?;
    Ok(())
}

/// Starts and executes a run in one call (the quarterly pass, the CLI and tests; the API
/// starts it and executes it in the background).
pub async fn run_now(svc: &Services, a: &Actor, input: &RunInput, trigger: Trigger) -> Result<Run> {
    let run = start(svc, a, input, trigger).await?;
    execute(svc, a, run).await
}

/// First instant of the quarter holding `now`, Beijing time.
pub fn quarter_start(now: chrono::DateTime<Utc>) -> chrono::DateTime<Utc> {
    let d = beijing_date(now);
    let month = (d.month0() / 3) * 3 + 1;
    let first = NaiveDate::from_ymd_opt(d.year(), month, 1).expect("valid date");
    let bj = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    bj.from_local_datetime(&first.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("fixed offset")
        .with_timezone(&Utc)
}

/// The server's quarterly pass (季度综合评价): every county with entities and a default index
/// over it gets one run per quarter, when none ran there since the quarter began. Runs as
/// `system`. Returns the runs made.
pub async fn run_quarterly(svc: &Services) -> Result<Vec<Run>> {
    let c = svc.store.conn();
    let since = quarter_start(svc.now());
    let actor = crate::cases::server_actor();
    let mut out = Vec::new();
    for county in repo::counties_with_entities(c).await? {
        if repo::ran_since(c, &county, since).await?
            || repo::default_index_for(c, &county).await?.is_none()
        {
            continue;
        }
        let input = RunInput {
            region_code: county.to_string(),
            index_id: None,
        };
        match run_now(svc, &actor, &input, Trigger::Quarterly).await {
            Ok(r) => out.push(r),
            // Another server started it meanwhile.
            Err(ServiceError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Runs within `a`'s scope, newest first.
pub async fn runs(svc: &Services, a: &Actor, page: PageRequest) -> Result<Page<Run>> {
    if !may_view(a) {
        return Err(ServiceError::Forbidden);
    }
    Ok(repo::list_runs(svc.store.conn(), &Scope::of(a), page).await?)
}

/// One run within `a`'s scope. A department reads the runs over its region and those over a
/// region above it that reach it.
pub async fn run(svc: &Services, a: &Actor, id: Uuid) -> Result<Run> {
    let c = svc.store.conn();
    if let Some(r) = repo::get_run(c, &Scope::of(a), id).await? {
        return Ok(r);
    }
    // A run over the city is also the county's: read it unscoped, show it when it covers the
    // actor's region (its changes stay scoped below).
    match repo::get_run(c, &Scope::system(), id).await? {
        Some(r) if within(a, &r.region_code) || a.region.is_within(&r.region_code) => Ok(r),
        _ => Err(ServiceError::NotFound),
    }
}

/// A run's changes that fall within `a`'s scope: what each department is pushed.
pub async fn changes(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    page: PageRequest,
) -> Result<(Run, Page<ChangeRow>)> {
    let r = run(svc, a, id).await?;
    let p = repo::list_changes(svc.store.conn(), &Scope::of(a), id, page).await?;
    Ok((r, p))
}

// ---------------------------------------------------------------------------------------
// An entity's class

/// An entity's class in force, where it came from, and the explanation of its latest score.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntityCredit {
    pub entity_id: Uuid,
    pub usci: String,
    pub name: String,
    /// The class in force (what the draws use).
    #[serde(with = "lianjian_domain::credit::evaluation::letter_opt")]
    #[schema(value_type = Option<String>)]
    pub class: Option<CreditClass>,
    pub class_date: Option<NaiveDate>,
    /// “评价”, “人工调整” or the import's source.
    pub class_source: Option<String>,
    /// The latest evaluated result, with every indicator's contribution.
    pub evaluation: Option<Evaluation>,
    pub evaluated_on: Option<NaiveDate>,
    pub index_name: Option<String>,
    pub index_version: Option<i32>,
    pub facts: Option<Facts>,
    /// Every override, newest first.
    pub overrides: Vec<Override>,
}

/// The entity's credit page: class in force, explanation, overrides.
pub async fn entity_credit(svc: &Services, a: &Actor, entity_id: Uuid) -> Result<EntityCredit> {
    let c = svc.store.conn();
    let scope = Scope::of(a);
    let e = lianjian_store::entities::get_scoped(c, &scope, entity_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let cur = repo::current_of(c, &scope, entity_id).await?;
    let mut out = EntityCredit {
        entity_id,
        usci: e.usci.to_string(),
        name: e.name.clone(),
        class: e.credit_class,
        class_date: e.credit_date,
        class_source: e.credit_source.clone(),
        evaluation: None,
        evaluated_on: None,
        index_name: None,
        index_version: None,
        facts: None,
        overrides: repo::overrides_of(c, &scope, entity_id).await?,
    };
    if let Some(cur) = cur {
        let run = repo::get_run(c, &Scope::system(), cur.run_id).await?;
        if let Some(run) = run
            && let Some(v) = repo::version(c, run.index_id, cur.index_version).await?
        {
            out.evaluation = Some(evaluate(&v.definition, &cur.facts));
            out.index_name = Some(v.name);
        }
        out.evaluated_on = Some(cur.evaluated_on);
        out.index_version = Some(cur.index_version);
        out.facts = Some(cur.facts);
    }
    Ok(out)
}

/// An override as submitted.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(as = CreditOverrideInput)]
pub struct OverrideInput {
    /// `A`–`D`.
    pub class: String,
    /// Why (mandatory, 4–500 characters).
    pub reason: String,
    /// Last day in force (`YYYY-MM-DD`); empty: until revoked or replaced.
    pub until: Option<String>,
}

/// Sets an entity's class by hand, with a reason (人工调整): written to the entity at once
/// (source “人工调整”), and kept over later runs while valid. Replaces any earlier override.
pub async fn override_class(
    svc: &Services,
    a: &Actor,
    entity_id: Uuid,
    input: &OverrideInput,
) -> Result<Override> {
    if !may_run(a) {
        return Err(ServiceError::Forbidden);
    }
    let today = beijing_date(svc.now());
    let mut ck = Checker::default();
    let class = ck.check("class", CreditClass::parse_loose(&input.class));
    let reason = ck.check(
        "reason",
        bounded_text(&input.reason, 4, 500, "调整理由", "reason"),
    );
    let until = match input
        .until
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => match s.parse::<NaiveDate>() {
            Ok(d) if d >= today => Some(d),
            Ok(_) => {
                ck.push(
                    "until",
                    lianjian_domain::Invalid::new(
                        "in_past",
                        "有效期至不能早于今天",
                        "until must not be before today",
                    ),
                );
                None
            }
            Err(_) => {
                ck.push(
                    "until",
                    lianjian_domain::Invalid::new(
                        "date",
                        format!("有效期至“{s}”应为日期（如 2027-03-31）"),
                        format!("until '{s}' must be a date like 2027-03-31"),
                    ),
                );
                None
            }
        },
    };
    ck.finish()?;
    let c = svc.store.conn();
    let e = lianjian_store::entities::get_scoped(c, &Scope::ignoring_context(a), entity_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let now = lianjian_domain::audit::audit_time(svc.now());
    let o = Override {
        id: Uuid::now_v7(),
        entity_id,
        region_code: e.region_code.to_string(),
        class: class.expect("checked"),
        reason: reason.expect("checked"),
        until,
        created_by: a.username.clone(),
        created_at: now,
        revoked_at: None,
        revoked_by: None,
    };
    let tx = svc.store.begin().await?;
    repo::revoke_overrides(&tx, entity_id, &a.username, now).await?;
    repo::insert_override(&tx, &o).await?;
    repo::set_entity_classes(&tx, o.class, today, "人工调整", now, &[entity_id]).await?;
    changes::append_directory_changes(&tx, &[DirectoryChange::Entity(entity_id)]).await?;
    record(
        &tx,
        a,
        Record::new("credit_eval.override", "entity", entity_id)
            .at(&e.region_code, None)
            .before(&serde_json::json!({
                "class": e.credit_class.map(CreditClass::as_str),
                "source": e.credit_source,
                "date": e.credit_date,
            }))
            .after(&o),
    )
    .await?;
    tx.commit().await?;
    svc.apply_own_changes().await;
    Ok(o)
}

/// Starts a run and executes it in the background (API and console: a province's run takes
/// longer than a request may). The run's status and counts show its progress.
pub async fn start_in_background(svc: &Services, a: &Actor, input: &RunInput) -> Result<Run> {
    let run = start(svc, a, input, Trigger::Manual).await?;
    let (svc, a, r) = (svc.clone(), a.clone(), run.clone());
    tokio::spawn(async move {
        if let Err(e) = execute(&svc, &a, r).await {
            tracing::warn!(error = %e, "could not finish a credit evaluation run");
        }
    });
    Ok(run)
}

/// The most changes one export holds.
const EXPORT_MAX: u64 = 50_000;

/// A run's changes within `a`'s scope as an xlsx file (Chinese headers, labels not codes, the
/// explanation in words), at most 50,000 rows: what a department files or forwards.
pub async fn export_changes(svc: &Services, a: &Actor, id: Uuid) -> Result<Vec<u8>> {
    let r = run(svc, a, id).await?;
    let c = svc.store.conn();
    let scope = Scope::of(a);
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut page = 1;
    loop {
        let p =
            repo::list_changes(c, &scope, r.id, PageRequest::new(Some(page), Some(200))).await?;
        let done = p.items.len() < 200 || (rows.len() as u64 + p.items.len() as u64) >= EXPORT_MAX;
        for x in p.items {
            let e = &x.change.explanation;
            let mut lines: Vec<String> = e
                .contributions
                .iter()
                .map(|c| format!("{}：{}", c.label, c.explanation))
                .collect();
            if let Some(f) = &e.forced {
                lines.push(f.clone());
            }
            rows.push(vec![
                x.entity_name,
                x.usci,
                x.change
                    .previous_class
                    .map(|c| c.label_zh().to_string())
                    .unwrap_or_else(|| "未分类".into()),
                x.change.class.label_zh().to_string(),
                x.change.score.to_string(),
                if x.change.overridden { "是" } else { "否" }.to_string(),
                lines.join("；"),
            ]);
        }
        if done {
            break;
        }
        page += 1;
    }
    rows.truncate(EXPORT_MAX as usize);
    Ok(crate::sheets::xlsx_table(
        "信用分类变动",
        &[
            "市场主体",
            "统一社会信用代码",
            "原分类",
            "新分类",
            "得分",
            "人工调整",
            "评价说明",
        ],
        rows,
    ))
}
