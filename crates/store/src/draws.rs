//! Draws (抽取记录) and the visits (检查任务) they schedule. A draw row is inserted at commitment,
//! completed once by the draw, and never changed afterwards except for `superseded_by` when a
//! re-draw replaces it.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::draw::DrawStatus;
use lianjian_domain::region::RegionCode;
use lianjian_domain::visit::{DrawSelection, VisitStatus, VisitTrigger};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};
use serde::Serialize;
use uuid::Uuid;

use crate::{Page, PageRequest, Result, StoreError, backend_of};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Draw {
    pub id: Uuid,
    pub code: String,
    pub region_code: RegionCode,
    pub title: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub status: DrawStatus,
    pub redraw_of: Option<Uuid>,
    pub redraw_reason: Option<String>,
    pub superseded_by: Option<Uuid>,
    pub candidates_sha256: String,
    pub inspectors_sha256: String,
    pub seed_sha256: String,
    pub witness_name: Option<String>,
    pub visit_count: i32,
    pub created_by: String,
    pub committed_at: DateTime<Utc>,
    pub drawn_at: Option<DateTime<Utc>>,
    /// The pre-announced public beacon (format `lianjian-draw/3`), named at commitment.
    pub beacon_source: Option<String>,
    pub beacon_reference: Option<String>,
    pub beacon_available_on: Option<NaiveDate>,
    /// Entered by staff once known, on or after `beacon_available_on`.
    pub beacon_value: Option<String>,
    pub beacon_entered_by: Option<String>,
    pub beacon_entered_at: Option<DateTime<Utc>>,
    /// Why nobody independent witnesses this draw (未经独立见证), when nobody does.
    pub unwitnessed_reason: Option<String>,
    /// Days after the period's end before visits not yet published become public.
    pub publish_delay_days: i32,
}

/// What is stored beside the summary: the frozen input, the secret seed and the outcome.
#[derive(Debug, Clone)]
pub struct DrawBody {
    pub input_json: String,
    pub server_seed: String,
    /// The second secret of a `lianjian-draw/3` draw (salts of the class and identity
    /// commitments); none for legacy draws.
    pub salt_key: Option<String>,
    pub witness_seed: Option<String>,
    pub record_json: Option<String>,
    pub failure_json: Option<String>,
}

const COLS: &str = "id, code, region_code, title, period_start, period_end, status, redraw_of, redraw_reason, superseded_by, candidates_sha256, inspectors_sha256, seed_sha256, witness_name, visit_count, created_by, committed_at, drawn_at, beacon_source, beacon_reference, beacon_available_on, beacon_value, beacon_entered_by, beacon_entered_at, unwitnessed_reason, publish_delay_days";

fn from_row(r: &QueryResult) -> Result<Draw> {
    let region: String = r.try_get("", "region_code")?;
    Ok(Draw {
        id: r.try_get("", "id")?,
        code: r.try_get("", "code")?,
        region_code: RegionCode::parse(&region).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        title: r.try_get("", "title")?,
        period_start: r.try_get("", "period_start")?,
        period_end: r.try_get("", "period_end")?,
        status: crate::coded(r, "status", DrawStatus::parse)?,
        redraw_of: r.try_get("", "redraw_of")?,
        redraw_reason: r.try_get("", "redraw_reason")?,
        superseded_by: r.try_get("", "superseded_by")?,
        candidates_sha256: r.try_get("", "candidates_sha256")?,
        inspectors_sha256: r.try_get("", "inspectors_sha256")?,
        seed_sha256: r.try_get("", "seed_sha256")?,
        witness_name: r.try_get("", "witness_name")?,
        visit_count: r.try_get("", "visit_count")?,
        created_by: r.try_get("", "created_by")?,
        committed_at: r.try_get("", "committed_at")?,
        drawn_at: r.try_get("", "drawn_at")?,
        beacon_source: r.try_get("", "beacon_source")?,
        beacon_reference: r.try_get("", "beacon_reference")?,
        beacon_available_on: r.try_get("", "beacon_available_on")?,
        beacon_value: r.try_get("", "beacon_value")?,
        beacon_entered_by: r.try_get("", "beacon_entered_by")?,
        beacon_entered_at: r.try_get("", "beacon_entered_at")?,
        unwitnessed_reason: r.try_get("", "unwitnessed_reason")?,
        publish_delay_days: r.try_get("", "publish_delay_days")?,
    })
}

fn stmt(c: &impl ConnectionTrait, sql: impl Into<String>, vals: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(backend_of(c), sql, vals)
}

fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}

pub async fn insert(
    c: &impl ConnectionTrait,
    d: &Draw,
    body: &DrawBody,
    plan_ids: &[Uuid],
) -> Result<()> {
    let sql = format!(
        "INSERT INTO draws ({COLS}, input_json, server_seed, salt_key, witness_seed, record_json, failure_json) VALUES ({})",
        placeholders(1, 32)
    );
    let vals: Vec<Value> = vec![
        d.id.into(),
        d.code.clone().into(),
        d.region_code.to_string().into(),
        d.title.clone().into(),
        d.period_start.into(),
        d.period_end.into(),
        d.status.as_str().into(),
        d.redraw_of.into(),
        d.redraw_reason.clone().into(),
        d.superseded_by.into(),
        d.candidates_sha256.clone().into(),
        d.inspectors_sha256.clone().into(),
        d.seed_sha256.clone().into(),
        d.witness_name.clone().into(),
        d.visit_count.into(),
        d.created_by.clone().into(),
        d.committed_at.into(),
        d.drawn_at.into(),
        d.beacon_source.clone().into(),
        d.beacon_reference.clone().into(),
        d.beacon_available_on.into(),
        d.beacon_value.clone().into(),
        d.beacon_entered_by.clone().into(),
        d.beacon_entered_at.into(),
        d.unwitnessed_reason.clone().into(),
        d.publish_delay_days.into(),
        body.input_json.clone().into(),
        body.server_seed.clone().into(),
        body.salt_key.clone().into(),
        body.witness_seed.clone().into(),
        body.record_json.clone().into(),
        body.failure_json.clone().into(),
    ];
    c.execute_raw(stmt(c, sql, vals)).await?;
    for p in plan_ids {
        c.execute_raw(stmt(
            c,
            "INSERT INTO draw_plans (draw_id, plan_id) VALUES ($1, $2)",
            vec![d.id.into(), (*p).into()],
        ))
        .await?;
    }
    // The input (tens of megabytes) sealed from the value bound, not read back.
    crate::seal::seal_written(
        c,
        crate::seal::Sealed::Draws,
        crate::seal::RowKey::id(d.id),
        &[
            ("input_json", Some(&body.input_json)),
            ("record_json", body.record_json.as_deref()),
            ("failure_json", body.failure_json.as_deref()),
        ],
    )
    .await
}

pub async fn get(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<Draw>> {
    let sql = format!("SELECT {COLS} FROM draws WHERE id = $1");
    c.query_one_raw(stmt(c, sql, vec![id.into()]))
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

pub async fn body(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<DrawBody>> {
    let r = c
        .query_one_raw(stmt(
            c,
            "SELECT input_json, server_seed, salt_key, witness_seed, record_json, failure_json FROM draws WHERE id = $1",
            vec![id.into()],
        ))
        .await?;
    r.map(|r| {
        let input_json: String = r.try_get("", "input_json")?;
        // Drawn records are stored without the input the row already holds
        // (`DrawRecord::to_json_without_input`); callers get the whole record.
        let record_json = r
            .try_get::<Option<String>>("", "record_json")?
            .map(|stored| lianjian_domain::draw::record_with_input(stored, &input_json));
        Ok(DrawBody {
            input_json,
            server_seed: r.try_get("", "server_seed")?,
            salt_key: r.try_get("", "salt_key")?,
            witness_seed: r.try_get("", "witness_seed")?,
            record_json,
            failure_json: r.try_get("", "failure_json")?,
        })
    })
    .transpose()
}

/// The secret seed of a draw alone (not its input).
pub async fn secrets(
    c: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<(String, Option<String>)>> {
    c.query_one_raw(stmt(
        c,
        "SELECT server_seed, salt_key FROM draws WHERE id = $1",
        vec![id.into()],
    ))
    .await?
    .map(|r| Ok((r.try_get("", "server_seed")?, r.try_get("", "salt_key")?)))
    .transpose()
}

/// The single transition of a committed draw: to `drawn` (with its record) or `failed`.
/// `input_json` is the draw's input as [`insert`]ed (the caller holds it to draw): the row is
/// sealed from it and the record as written rather than by reading 130 MB back; an input other
/// than the stored one would make the seal disagree with the row, and `audit reconcile` name it.
#[allow(clippy::too_many_arguments)]
pub async fn complete(
    c: &impl ConnectionTrait,
    id: Uuid,
    status: &str,
    witness: Option<(&str, &str)>,
    record_json: Option<&str>,
    failure_json: Option<&str>,
    visit_count: i32,
    at: DateTime<Utc>,
    input_json: &str,
) -> Result<()> {
    let r = c
        .execute_raw(stmt(
            c,
            "UPDATE draws SET status = $1, witness_name = $2, witness_seed = $3, record_json = $4, failure_json = $5, visit_count = $6, drawn_at = $7 WHERE id = $8 AND status = 'committed'",
            vec![
                status.into(),
                witness.map(|w| w.0.to_string()).into(),
                witness
                    .map(|w| w.1.to_string())
                    .filter(|s| !s.is_empty())
                    .into(),
                record_json.map(str::to_string).into(),
                failure_json.map(str::to_string).into(),
                visit_count.into(),
                at.into(),
                id.into(),
            ],
        ))
        .await?;
    if r.rows_affected() == 0 {
        return Err(StoreError::Conflict("draw is not awaiting its draw".into()));
    }
    crate::seal::seal_written(
        c,
        crate::seal::Sealed::Draws,
        crate::seal::RowKey::id(id),
        &[
            ("input_json", Some(input_json)),
            ("record_json", record_json),
            ("failure_json", failure_json),
        ],
    )
    .await
}

/// Stores the public variant of a drawn `lianjian-draw/3` draw (`PublicDrawRecord::to_json`),
/// once, in the transaction that completes the draw: what the public is served from then on,
/// instead of a variant generated from the full record on every request (issue 11,
/// docs/performance.md). Never changed afterwards.
pub async fn insert_public_record(
    c: &impl ConnectionTrait,
    draw_id: Uuid,
    public_json: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "INSERT INTO draw_public_records (id, public_json, created_at) VALUES ($1, $2, $3)",
        vec![draw_id.into(), public_json.into(), at.into()],
    ))
    .await?;
    crate::seal::seal_written(
        c,
        crate::seal::Sealed::DrawPublicRecords,
        crate::seal::RowKey::id(draw_id),
        &[("public_json", Some(public_json))],
    )
    .await
}

/// The stored public variant of a draw, if one was stored (draws executed before it was
/// stored have none).
pub async fn public_record(c: &impl ConnectionTrait, draw_id: Uuid) -> Result<Option<String>> {
    c.query_one_raw(stmt(
        c,
        "SELECT public_json FROM draw_public_records WHERE id = $1",
        vec![draw_id.into()],
    ))
    .await?
    .map(|r| Ok(r.try_get("", "public_json")?))
    .transpose()
}

/// Enters the beacon's value, once, while the draw awaits its draw. False if it was already
/// entered or the draw is no longer committed.
pub async fn set_beacon_value(
    c: &impl ConnectionTrait,
    id: Uuid,
    value: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let r = c
        .execute_raw(stmt(
            c,
            "UPDATE draws SET beacon_value = $1, beacon_entered_by = $2, beacon_entered_at = $3 WHERE id = $4 AND status = 'committed' AND beacon_source IS NOT NULL AND beacon_value IS NULL",
            vec![value.into(), by.into(), at.into(), id.into()],
        ))
        .await?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    crate::seal::seal_ids(c, crate::seal::Sealed::Draws, &[id]).await?;
    Ok(true)
}

// ---- witnesses (监督人) ----

/// A supervisor invited to witness a draw, and its contribution once entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawWitness {
    pub draw_id: Uuid,
    pub account_id: Uuid,
    pub display_name: String,
    pub invited_by: String,
    pub invited_at: DateTime<Utc>,
    /// Hex; secret until the draw is executed.
    pub value_hex: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
}

const WCOLS: &str =
    "draw_id, account_id, display_name, invited_by, invited_at, value_hex, submitted_at";

fn witness_from_row(r: &QueryResult) -> Result<DrawWitness> {
    Ok(DrawWitness {
        draw_id: r.try_get("", "draw_id")?,
        account_id: r.try_get("", "account_id")?,
        display_name: r.try_get("", "display_name")?,
        invited_by: r.try_get("", "invited_by")?,
        invited_at: r.try_get("", "invited_at")?,
        value_hex: r.try_get("", "value_hex")?,
        submitted_at: r.try_get("", "submitted_at")?,
    })
}

pub async fn insert_witness(c: &impl ConnectionTrait, w: &DrawWitness) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!("INSERT INTO draw_witnesses ({WCOLS}) VALUES ($1,$2,$3,$4,$5,$6,$7)"),
        vec![
            w.draw_id.into(),
            w.account_id.into(),
            w.display_name.clone().into(),
            w.invited_by.clone().into(),
            w.invited_at.into(),
            w.value_hex.clone().into(),
            w.submitted_at.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// The invited supervisors of a draw, in account order (the record's canonical order).
pub async fn witnesses(c: &impl ConnectionTrait, draw_id: Uuid) -> Result<Vec<DrawWitness>> {
    c.query_all_raw(stmt(
        c,
        format!("SELECT {WCOLS} FROM draw_witnesses WHERE draw_id = $1 ORDER BY account_id"),
        vec![draw_id.into()],
    ))
    .await?
    .iter()
    .map(witness_from_row)
    .collect()
}

/// Stores a supervisor's contribution, once, while the draw awaits its draw. False if the
/// supervisor was not invited, already contributed, or the draw is no longer committed.
pub async fn submit_contribution(
    c: &impl ConnectionTrait,
    draw_id: Uuid,
    account_id: Uuid,
    value_hex: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let r = c
        .execute_raw(stmt(
            c,
            "UPDATE draw_witnesses SET value_hex = $1, submitted_at = $2 WHERE draw_id = $3 AND account_id = $4 AND value_hex IS NULL AND draw_id IN (SELECT id FROM draws WHERE status = 'committed' AND superseded_by IS NULL)",
            vec![value_hex.into(), at.into(), draw_id.into(), account_id.into()],
        ))
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Draws (committed, not superseded) awaiting this supervisor's contribution, oldest first.
pub async fn awaiting_witness(c: &impl ConnectionTrait, account_id: Uuid) -> Result<Vec<Draw>> {
    let sql = format!(
        "SELECT {COLS} FROM draws WHERE status = 'committed' AND superseded_by IS NULL AND id IN (SELECT draw_id FROM draw_witnesses WHERE account_id = $1 AND value_hex IS NULL) ORDER BY committed_at, code"
    );
    c.query_all_raw(stmt(c, sql, vec![account_id.into()]))
        .await?
        .iter()
        .map(from_row)
        .collect()
}

pub async fn set_superseded(c: &impl ConnectionTrait, id: Uuid, by: Uuid) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "UPDATE draws SET superseded_by = $1 WHERE id = $2",
        vec![by.into(), id.into()],
    ))
    .await?;
    crate::seal::seal_ids(c, crate::seal::Sealed::Draws, &[id]).await
}

pub async fn plan_ids(c: &impl ConnectionTrait, draw_id: Uuid) -> Result<Vec<Uuid>> {
    c.query_all_raw(stmt(
        c,
        "SELECT plan_id FROM draw_plans WHERE draw_id = $1 ORDER BY plan_id",
        vec![draw_id.into()],
    ))
    .await?
    .iter()
    .map(|r| Ok(r.try_get("", "plan_id")?))
    .collect()
}

/// Plans that are part of a draw still in force (committed or drawn, not superseded).
pub async fn plans_in_live_draws(c: &impl ConnectionTrait, plan_ids: &[Uuid]) -> Result<Vec<Uuid>> {
    if plan_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT DISTINCT dp.plan_id FROM draw_plans dp JOIN draws d ON d.id = dp.draw_id WHERE d.status IN ('committed', 'drawn') AND d.superseded_by IS NULL AND dp.plan_id IN ({})",
        placeholders(1, plan_ids.len())
    );
    c.query_all_raw(stmt(c, sql, plan_ids.iter().map(|p| (*p).into()).collect()))
        .await?
        .iter()
        .map(|r| Ok(r.try_get("", "plan_id")?))
        .collect()
}

/// Filters of a draw list; the scope passed to [`list`] limits it further.
#[derive(Debug, Clone, Default)]
pub struct DrawQuery {
    /// Narrows the scope to a region subtree.
    pub region: Option<RegionCode>,
    pub status: Option<DrawStatus>,
    /// Only draws whose outcome is public (drawn or failed) or whose commitment is (all).
    pub q: Option<String>,
    pub plan_id: Option<Uuid>,
}

pub async fn list(
    c: &impl ConnectionTrait,
    scope: &lianjian_domain::scope::Scope,
    q: &DrawQuery,
    page: PageRequest,
) -> Result<Page<Draw>> {
    let mut conds: Vec<String> = vec!["1 = 1".into()];
    let mut vals: Vec<Value> = Vec::new();
    // Draws belong to every line of their region (a joint draw serves several departments).
    let scope = scope.clone().narrowed(q.region.as_ref(), None);
    conds.push(crate::scope::sql(
        &scope,
        &crate::scope::Shape::shared("region_code"),
        &mut vals,
    ));
    if let Some(s) = q.status {
        vals.push(s.as_str().into());
        conds.push(format!("status = ${}", vals.len()));
    }
    if let Some(t) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        vals.push(crate::contains_pattern(t).into());
        conds.push(format!(
            "(title LIKE ${n}{e} OR code LIKE ${n}{e})",
            n = vals.len(),
            e = crate::LIKE_ESCAPE,
        ));
    }
    if let Some(p) = q.plan_id {
        vals.push(p.into());
        conds.push(format!(
            "id IN (SELECT draw_id FROM draw_plans WHERE plan_id = ${})",
            vals.len()
        ));
    }
    crate::paged(
        c,
        "draws",
        COLS,
        &conds.join(" AND "),
        "committed_at DESC, code DESC",
        vals,
        page,
        from_row,
    )
    .await
}

/// How many draws a region has committed in a year (for the next code).
pub async fn count_in_year(
    c: &impl ConnectionTrait,
    region: &RegionCode,
    year: i32,
) -> Result<u64> {
    let from = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid date");
    let to = NaiveDate::from_ymd_opt(year + 1, 1, 1).expect("valid date");
    let n: i64 = c
        .query_one_raw(stmt(
            c,
            "SELECT COUNT(*) AS n FROM draws WHERE region_code = $1 AND period_start >= $2 AND period_start < $3",
            vec![region.to_string().into(), from.into(), to.into()],
        ))
        .await?
        .map(|r| r.try_get("", "n"))
        .transpose()?
        .unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

// ---- visits ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Visit {
    pub id: Uuid,
    pub code: String,
    pub draw_id: Option<Uuid>,
    pub entity_id: Uuid,
    pub region_code: RegionCode,
    pub lead_department_id: Uuid,
    pub trigger: VisitTrigger,
    pub trigger_note: Option<String>,
    pub status: VisitStatus,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub visited_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One plan's check within a visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VisitCheck {
    pub plan_id: Uuid,
    pub item_id: Uuid,
    pub department_id: Uuid,
    /// How a draw picked the entity for this plan; `None` for checks no draw made (and
    /// draws before the control share existed).
    pub selection: Option<DrawSelection>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VisitInspector {
    pub inspector_id: Uuid,
    pub department_id: Uuid,
}

const VCOLS: &str = "id, code, draw_id, entity_id, region_code, lead_department_id, trigger, trigger_note, status, period_start, period_end, visited_on, created_at, updated_at";

fn visit_from_row(r: &QueryResult) -> Result<Visit> {
    let region: String = r.try_get("", "region_code")?;
    Ok(Visit {
        id: r.try_get("", "id")?,
        code: r.try_get("", "code")?,
        draw_id: r.try_get("", "draw_id")?,
        entity_id: r.try_get("", "entity_id")?,
        region_code: RegionCode::parse(&region).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        lead_department_id: r.try_get("", "lead_department_id")?,
        trigger: crate::coded(r, "trigger", VisitTrigger::parse)?,
        trigger_note: r.try_get("", "trigger_note")?,
        status: crate::coded(r, "status", VisitStatus::parse)?,
        period_start: r.try_get("", "period_start")?,
        period_end: r.try_get("", "period_end")?,
        visited_on: r.try_get("", "visited_on")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

pub async fn insert_visit(
    c: &impl ConnectionTrait,
    v: &Visit,
    checks: &[VisitCheck],
    inspectors: &[VisitInspector],
) -> Result<()> {
    let sql = format!(
        "INSERT INTO visits ({VCOLS}) VALUES ({})",
        placeholders(1, 14)
    );
    c.execute_raw(stmt(
        c,
        sql,
        vec![
            v.id.into(),
            v.code.clone().into(),
            v.draw_id.into(),
            v.entity_id.into(),
            v.region_code.to_string().into(),
            v.lead_department_id.into(),
            v.trigger.as_str().into(),
            v.trigger_note.clone().into(),
            v.status.as_str().into(),
            v.period_start.into(),
            v.period_end.into(),
            v.visited_on.into(),
            v.created_at.into(),
            v.updated_at.into(),
        ],
    ))
    .await?;
    for ch in checks {
        c.execute_raw(stmt(
            c,
            "INSERT INTO visit_checks (visit_id, plan_id, item_id, department_id, selection) VALUES ($1,$2,$3,$4,$5)",
            vec![
                v.id.into(),
                ch.plan_id.into(),
                ch.item_id.into(),
                ch.department_id.into(),
                ch.selection.map(|s| s.as_str()).into(),
            ],
        ))
        .await?;
    }
    for (i, ins) in inspectors.iter().enumerate() {
        c.execute_raw(stmt(
            c,
            "INSERT INTO visit_inspectors (visit_id, inspector_id, department_id, seq) VALUES ($1,$2,$3,$4)",
            vec![
                v.id.into(),
                ins.inspector_id.into(),
                ins.department_id.into(),
                (i as i32).into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

/// Adds checks (items and the departments that check them) to an existing visit whose
/// checklist is not frozen yet, e.g. an ad-hoc visit's items folded into a random one.
pub async fn add_visit_checks(
    c: &impl ConnectionTrait,
    visit_id: Uuid,
    checks: &[VisitCheck],
) -> Result<()> {
    for ch in checks {
        c.execute_raw(stmt(
            c,
            "INSERT INTO visit_checks (visit_id, plan_id, item_id, department_id, selection) VALUES ($1,$2,$3,$4,$5)",
            vec![
                visit_id.into(),
                ch.plan_id.into(),
                ch.item_id.into(),
                ch.department_id.into(),
                ch.selection.map(|s| s.as_str()).into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

/// Appends members to an existing visit's team after its current last one (`seq`), skipping
/// those already on it (the primary key is visit and inspector): an ad-hoc visit's inspectors
/// joining the random visit it is merged into. Returns the members actually added.
pub async fn add_visit_inspectors(
    c: &impl ConnectionTrait,
    visit_id: Uuid,
    members: &[VisitInspector],
) -> Result<Vec<VisitInspector>> {
    let have = inspectors_of_visits(c, &[visit_id])
        .await?
        .remove(&visit_id)
        .unwrap_or_default();
    let next = c
        .query_one_raw(stmt(
            c,
            "SELECT COALESCE(MAX(seq), -1) AS m FROM visit_inspectors WHERE visit_id = $1",
            vec![visit_id.into()],
        ))
        .await?
        .map(|r| r.try_get::<i32>("", "m"))
        .transpose()?
        .unwrap_or(-1);
    let mut added: Vec<VisitInspector> = Vec::new();
    for m in members {
        if have
            .iter()
            .chain(added.iter())
            .any(|h| h.inspector_id == m.inspector_id)
        {
            continue;
        }
        c.execute_raw(stmt(
            c,
            "INSERT INTO visit_inspectors (visit_id, inspector_id, department_id, seq) VALUES ($1,$2,$3,$4)",
            vec![
                visit_id.into(),
                m.inspector_id.into(),
                m.department_id.into(),
                (next + 1 + added.len() as i32).into(),
            ],
        ))
        .await?;
        added.push(m.clone());
    }
    Ok(added)
}

/// A visit with its checks and team, as a draw creates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVisit {
    pub visit: Visit,
    pub checks: Vec<VisitCheck>,
    pub inspectors: Vec<VisitInspector>,
}

/// Bind parameters per statement, under SQLite's limit (32,766 since 3.32) and PostgreSQL's
/// (65,535).
fn max_binds(b: DbBackend) -> usize {
    match b {
        DbBackend::Sqlite => 32_000,
        _ => 65_000,
    }
}

/// Inserts rows of `cols.len()` values each into `table` with as few multi-row statements as
/// the bind limit allows. A column with the same value in every row (a draw's visits share
/// their draw, trigger, status, period and times) is bound once per statement rather than once
/// per row: `INSERT INTO t (shared…, varying…) SELECT ?, …, v.column1, … FROM (VALUES (…), …)
/// AS v`, which stores exactly what a plain multi-row `VALUES` stores (the same bound values,
/// converted by the same column affinity or type) with far fewer values to bind
/// (docs/performance.md, the draw path). SQLite gets anonymous `?` (numbered in order of
/// appearance, shared ones first): it looks `$n` up by name, quadratic in the parameters of a
/// statement (docs/performance.md, import).
async fn insert_rows(
    c: &impl ConnectionTrait,
    table: &str,
    cols: &[&str],
    values: Vec<Value>,
) -> Result<()> {
    let b = backend_of(c);
    let width = cols.len();
    let rows = values.len() / width;
    if rows == 0 {
        return Ok(());
    }
    // Shared columns: equal in every row (never all of them: rows differ in their key).
    let shared: Vec<bool> = (0..width)
        .map(|j| rows > 1 && (1..rows).all(|i| values[i * width + j] == values[j]))
        .collect();
    let (shared_cols, varying_cols): (Vec<usize>, Vec<usize>) =
        (0..width).partition(|&j| shared[j]);
    if varying_cols.is_empty() {
        return Err(StoreError::Conflict(format!(
            "{rows} identical rows for {table}"
        )));
    }
    let shared_vals: Vec<Value> = shared_cols.iter().map(|&j| values[j].clone()).collect();
    let names: Vec<&str> = shared_cols
        .iter()
        .chain(&varying_cols)
        .map(|&j| cols[j])
        .collect();
    if b == DbBackend::Postgres
        && let Some(arrays) = varying_cols
            .iter()
            .map(|&j| pg_array(&values, width, j))
            .collect::<Option<Vec<Value>>>()
    {
        // One statement, one bound value per column: `INSERT INTO t (shared…, varying…)
        // SELECT $1, …, u.* FROM UNNEST($k, …) AS u`.
        let n_shared = shared_vals.len();
        let shared_params: Vec<String> = (1..=n_shared).map(|k| format!("${k}, ")).collect();
        let array_params: Vec<String> = (1..=arrays.len())
            .map(|k| format!("${}", n_shared + k))
            .collect();
        let sql = format!(
            "INSERT INTO {table} ({}) SELECT {}u.* FROM UNNEST({}) AS u",
            names.join(", "),
            shared_params.concat(),
            array_params.join(", ")
        );
        let mut vals = shared_vals;
        vals.extend(arrays);
        c.execute_raw(Statement::from_sql_and_values(b, sql, vals))
            .await?;
        return Ok(());
    }
    let vw = varying_cols.len();
    let per = (max_binds(b) - shared_cols.len()) / vw;
    let param = |sql: &mut String, n: usize| {
        if b == DbBackend::Sqlite {
            sql.push('?');
        } else {
            sql.push('$');
            sql.push_str(&n.to_string());
        }
    };
    let mut head = String::from("INSERT INTO ");
    head.push_str(table);
    head.push_str(" (");
    head.push_str(&names.join(", "));
    head.push_str(") SELECT ");
    for k in 0..shared_cols.len() {
        param(&mut head, k + 1);
        head.push_str(", ");
    }
    let list: Vec<String> = (1..=vw).map(|k| format!("v.column{k}")).collect();
    head.push_str(&list.join(", "));
    head.push_str(" FROM (VALUES ");
    let mut row_vals = values.into_iter();
    let mut done = 0;
    while done < rows {
        let n = per.min(rows - done);
        let mut sql = String::with_capacity(head.len() + 16 + n * vw * 8);
        sql.push_str(&head);
        let mut vals: Vec<Value> = Vec::with_capacity(shared_vals.len() + n * vw);
        vals.extend(shared_vals.iter().cloned());
        let mut next = shared_vals.len() + 1;
        for i in 0..n {
            sql.push_str(if i == 0 { "(" } else { ",(" });
            for (k, v) in row_vals.by_ref().take(width).enumerate() {
                if shared[k] {
                    continue;
                }
                if next > shared_vals.len() + i * vw + 1 {
                    sql.push(',');
                }
                param(&mut sql, next);
                next += 1;
                vals.push(v);
            }
            sql.push(')');
        }
        sql.push_str(") AS v");
        c.execute_raw(Statement::from_sql_and_values(b, sql, vals))
            .await?;
        done += n;
    }
    Ok(())
}

/// PostgreSQL: column `j` of rows `width` values wide as one array value, when every row holds
/// a value of the same kind there and none is NULL (sea-query's arrays hold no NULLs). The
/// array is what `UNNEST` turns back into one value per row, stored as the value bound alone
/// would be.
fn pg_array(values: &[Value], width: usize, j: usize) -> Option<Value> {
    use sea_orm::sea_query::ArrayType;
    let ty = match values.get(j)? {
        Value::Uuid(Some(_)) => ArrayType::Uuid,
        Value::String(Some(_)) => ArrayType::String,
        Value::Int(Some(_)) => ArrayType::Int,
        Value::ChronoDate(Some(_)) => ArrayType::ChronoDate,
        Value::ChronoDateTimeUtc(Some(_)) => ArrayType::ChronoDateTimeUtc,
        _ => return None,
    };
    let column: Vec<Value> = values
        .iter()
        .skip(j)
        .step_by(width)
        .map(|v| {
            let same = matches!(
                (v, &ty),
                (Value::Uuid(Some(_)), ArrayType::Uuid)
                    | (Value::String(Some(_)), ArrayType::String)
                    | (Value::Int(Some(_)), ArrayType::Int)
                    | (Value::ChronoDate(Some(_)), ArrayType::ChronoDate)
                    | (
                        Value::ChronoDateTimeUtc(Some(_)),
                        ArrayType::ChronoDateTimeUtc
                    )
            );
            same.then(|| v.clone())
        })
        .collect::<Option<_>>()?;
    Some(Value::Array(ty, Some(Box::new(column))))
}

/// Inserts the visits of a draw, their checks and their teams (in this order, `seq` the
/// position in the team) with multi-row statements: what [`insert_visit`] writes for each,
/// without a round trip per row (docs/performance.md, the draw path).
pub async fn insert_visits(c: &impl ConnectionTrait, visits: &[NewVisit]) -> Result<()> {
    let mut vals = Vec::with_capacity(visits.len() * 14);
    for NewVisit { visit: v, .. } in visits {
        vals.extend([
            v.id.into(),
            v.code.clone().into(),
            v.draw_id.into(),
            v.entity_id.into(),
            v.region_code.to_string().into(),
            v.lead_department_id.into(),
            v.trigger.as_str().into(),
            v.trigger_note.clone().into(),
            v.status.as_str().into(),
            v.period_start.into(),
            v.period_end.into(),
            v.visited_on.into(),
            v.created_at.into(),
            v.updated_at.into(),
        ]);
    }
    let vcols: Vec<&str> = VCOLS.split(", ").collect();
    insert_rows(c, "visits", &vcols, vals).await?;
    let mut vals = Vec::new();
    for n in visits {
        for ch in &n.checks {
            vals.extend([
                n.visit.id.into(),
                ch.plan_id.into(),
                ch.item_id.into(),
                ch.department_id.into(),
                ch.selection.map(|s| s.as_str()).into(),
            ]);
        }
    }
    insert_rows(
        c,
        "visit_checks",
        &[
            "visit_id",
            "plan_id",
            "item_id",
            "department_id",
            "selection",
        ],
        vals,
    )
    .await?;
    let mut vals = Vec::new();
    for n in visits {
        for (i, ins) in n.inspectors.iter().enumerate() {
            vals.extend([
                n.visit.id.into(),
                ins.inspector_id.into(),
                ins.department_id.into(),
                (i as i32).into(),
            ]);
        }
    }
    insert_rows(
        c,
        "visit_inspectors",
        &["visit_id", "inspector_id", "department_id", "seq"],
        vals,
    )
    .await
}

pub async fn visits_of_draw(c: &impl ConnectionTrait, draw_id: Uuid) -> Result<Vec<Visit>> {
    c.query_all_raw(stmt(
        c,
        format!("SELECT {VCOLS} FROM visits WHERE draw_id = $1 ORDER BY code"),
        vec![draw_id.into()],
    ))
    .await?
    .iter()
    .map(visit_from_row)
    .collect()
}

pub async fn visits_of_entity(c: &impl ConnectionTrait, entity_id: Uuid) -> Result<Vec<Visit>> {
    c.query_all_raw(stmt(
        c,
        format!(
            "SELECT {VCOLS} FROM visits WHERE entity_id = $1 ORDER BY period_start DESC, code DESC"
        ),
        vec![entity_id.into()],
    ))
    .await?
    .iter()
    .map(visit_from_row)
    .collect()
}

/// A re-draw replaces the old draw's visits: they stay on record, as cancelled.
pub async fn cancel_visits_of_draw(c: &impl ConnectionTrait, draw_id: Uuid) -> Result<u64> {
    Ok(c
        .execute_raw(stmt(
            c,
            "UPDATE visits SET status = 'cancelled', updated_at = $1 WHERE draw_id = $2 AND status = 'scheduled'",
            vec![crate::now().into(), draw_id.into()],
        ))
        .await?
        .rows_affected())
}

/// Visits that count against a new draw: not cancelled, in the region, starting on or after
/// `since`. Returns (entity, item, trigger, period start) for every check.
pub async fn checks_since(
    c: &impl ConnectionTrait,
    region: &RegionCode,
    since: NaiveDate,
) -> Result<Vec<(Uuid, Uuid, VisitTrigger, NaiveDate)>> {
    c.query_all_raw(stmt(
        c,
        "SELECT v.entity_id, vc.item_id, v.trigger, COALESCE(v.visited_on, v.period_start) AS checked_on FROM visits v JOIN visit_checks vc ON vc.visit_id = v.id WHERE v.status <> 'cancelled' AND v.region_code >= $1 AND v.region_code < $2 AND COALESCE(v.visited_on, v.period_start) >= $3",
        vec![
            region.to_string().into(),
            format!("{region}\u{10FFFF}").into(),
            since.into(),
        ],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.try_get("", "entity_id")?,
            r.try_get("", "item_id")?,
            crate::coded(r, "trigger", VisitTrigger::parse)?,
            r.try_get("", "checked_on")?,
        ))
    })
    .collect()
}

/// For every entity in the region: the inspectors of its latest visit (not cancelled).
pub async fn last_inspectors(
    c: &impl ConnectionTrait,
    region: &RegionCode,
) -> Result<HashMap<Uuid, Vec<Uuid>>> {
    let rows = c
        .query_all_raw(stmt(
            c,
            "SELECT v.entity_id, v.id, vi.inspector_id FROM visits v JOIN visit_inspectors vi ON vi.visit_id = v.id WHERE v.status <> 'cancelled' AND v.region_code >= $1 AND v.region_code < $2 ORDER BY v.entity_id, v.period_start DESC, v.created_at DESC, v.id",
            vec![region.to_string().into(), format!("{region}\u{10FFFF}").into()],
        ))
        .await?;
    let mut latest: HashMap<Uuid, (Uuid, Vec<Uuid>)> = HashMap::new();
    for r in rows {
        let (e, v, i): (Uuid, Uuid, Uuid) = (
            r.try_get("", "entity_id")?,
            r.try_get("", "id")?,
            r.try_get("", "inspector_id")?,
        );
        let slot = latest.entry(e).or_insert((v, Vec::new()));
        if slot.0 == v {
            slot.1.push(i);
        }
    }
    Ok(latest.into_iter().map(|(e, (_, is))| (e, is)).collect())
}

/// Visits per inspector since a date (not cancelled): the workload the draw balances.
pub async fn workload_since(
    c: &impl ConnectionTrait,
    since: NaiveDate,
) -> Result<HashMap<Uuid, u32>> {
    c.query_all_raw(stmt(
        c,
        "SELECT vi.inspector_id, COUNT(*) AS n FROM visit_inspectors vi JOIN visits v ON v.id = vi.visit_id WHERE v.status <> 'cancelled' AND v.period_start >= $1 GROUP BY vi.inspector_id",
        vec![since.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        let n: i64 = r.try_get("", "n")?;
        Ok((r.try_get("", "inspector_id")?, u32::try_from(n).unwrap_or(u32::MAX)))
    })
    .collect()
}

pub async fn checks_of_visits(
    c: &impl ConnectionTrait,
    visit_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<VisitCheck>>> {
    let mut out: HashMap<Uuid, Vec<VisitCheck>> = HashMap::new();
    for chunk in visit_ids.chunks(500) {
        let sql = format!(
            "SELECT visit_id, plan_id, item_id, department_id, selection FROM visit_checks WHERE visit_id IN ({})",
            placeholders(1, chunk.len())
        );
        for r in c
            .query_all_raw(stmt(c, sql, chunk.iter().map(|v| (*v).into()).collect()))
            .await?
        {
            out.entry(r.try_get("", "visit_id")?)
                .or_default()
                .push(VisitCheck {
                    plan_id: r.try_get("", "plan_id")?,
                    item_id: r.try_get("", "item_id")?,
                    department_id: r.try_get("", "department_id")?,
                    selection: r
                        .try_get::<Option<String>>("", "selection")?
                        .map(|s| {
                            DrawSelection::parse(&s).map_err(|_| {
                                StoreError::Corrupt(format!("visit_checks.selection = {s:?}"))
                            })
                        })
                        .transpose()?,
                });
        }
    }
    Ok(out)
}

pub async fn inspectors_of_visits(
    c: &impl ConnectionTrait,
    visit_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<VisitInspector>>> {
    let mut out: HashMap<Uuid, Vec<VisitInspector>> = HashMap::new();
    for chunk in visit_ids.chunks(500) {
        let sql = format!(
            "SELECT visit_id, inspector_id, department_id FROM visit_inspectors WHERE visit_id IN ({}) ORDER BY visit_id, seq",
            placeholders(1, chunk.len())
        );
        for r in c
            .query_all_raw(stmt(c, sql, chunk.iter().map(|v| (*v).into()).collect()))
            .await?
        {
            out.entry(r.try_get("", "visit_id")?)
                .or_default()
                .push(VisitInspector {
                    inspector_id: r.try_get("", "inspector_id")?,
                    department_id: r.try_get("", "department_id")?,
                });
        }
    }
    Ok(out)
}

/// When each visit of a draw was published (its result on the portal), if it was: what the
/// embargo on a draw's selected entities waits for (issue 11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitPublication {
    pub visit_id: Uuid,
    pub status: VisitStatus,
    pub published_at: Option<DateTime<Utc>>,
}

pub async fn visit_publication(
    c: &impl ConnectionTrait,
    draw_id: Uuid,
) -> Result<Vec<VisitPublication>> {
    c.query_all_raw(stmt(
        c,
        "SELECT id, status, published_at FROM visits WHERE draw_id = $1 ORDER BY code",
        vec![draw_id.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(VisitPublication {
            visit_id: r.try_get("", "id")?,
            status: crate::coded(r, "status", VisitStatus::parse)?,
            published_at: r.try_get("", "published_at")?,
        })
    })
    .collect()
}
