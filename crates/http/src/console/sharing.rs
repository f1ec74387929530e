//! 信息互通共享 in the console (issue 18): this instance's link (peers, counters, lag, backlog),
//! the share catalogue with both ends' approvals and the actions on it, the propose form, dead
//! letters with retry, and the records received from other instances. System administrators
//! manage; coordination offices read.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianjian_domain::page::PageRequest;
use lianjian_domain::sharing::{
    Confidentiality, DataKind, Direction, Frequency, ShareMethod, ShareStatus,
};
use lianjian_services::ServiceError;
use lianjian_services::accounts::SessionAuth;
use lianjian_services::sharing::{self, Overview, ShareInput, flow};

use super::{Chrome, ConsoleError, CsrfForm, Pager, PathId, form_errors, local, render, see_other};
use crate::AppState;
use crate::extract::Console;

type Form = BTreeMap<String, String>;

/// A share as the page shows it.
pub struct ShareView {
    id: String,
    name: String,
    kind: &'static str,
    direction: &'static str,
    route: String,
    scope: String,
    method: String,
    confidentiality: &'static str,
    status: &'static str,
    provider_ok: String,
    consumer_ok: String,
    can_approve: bool,
    /// (target status code, button label, confirmation)
    moves: Vec<(&'static str, &'static str, String)>,
}

#[derive(Template)]
#[template(path = "console/sharing.html")]
struct SharingPage {
    c: Chrome,
    ov: Overview,
    lag: String,
    shares: Vec<ShareView>,
    /// (id, peer, reason, received, attempts, excerpt)
    dead: Vec<(String, String, String, String, i32, String)>,
    /// (sender, name, region, kind, what, updated)
    records: Vec<(String, String, String, String, String, String)>,
    /// The kinds received records are listed by: (code, label, selected).
    record_kinds: Vec<(&'static str, &'static str, bool)>,
    record_kind_label: &'static str,
    /// 下级共享数据汇总: one row per lower instance, then the total.
    lower: Vec<LowerRow>,
    pager: Pager,
    may_manage: bool,
    configured: bool,
    kinds: Vec<(&'static str, &'static str)>,
    directions: Vec<(&'static str, &'static str)>,
    methods: Vec<(&'static str, &'static str)>,
    frequencies: Vec<(&'static str, &'static str)>,
    confidentialities: Vec<(&'static str, &'static str)>,
    peers: Vec<String>,
    sel_kind: String,
    sel_direction: String,
    sel_consumer: String,
    form: Form,
    errors: Vec<String>,
    notice: Option<String>,
}

/// One row of the upper level's dashboard.
pub struct LowerRow {
    instance: String,
    level: &'static str,
    region: String,
    figures: [i64; 6],
}

/// What a received record says, in Chinese: the codes of its payload labelled with the domain's
/// enums (the sender's and this instance's are the same), by kind.
fn record_line(kind: DataKind, p: &serde_json::Value) -> (String, String) {
    use lianjian_domain::credit::RecordStatus;
    use lianjian_domain::credit::sanction::BatchStatus;
    use lianjian_domain::visit::{FollowUp, RectificationStatus, ResultCode, VisitStatus};
    let text = |k: &str| p.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let label = |k: &str, f: &dyn Fn(&str) -> Option<&'static str>| {
        p.get(k)
            .and_then(|v| v.as_str())
            .and_then(f)
            .unwrap_or("")
            .to_string()
    };
    let name = match kind {
        DataKind::DirectoryChanges => text("name"),
        DataKind::AuditCheckpoints => "审计日志".to_string(),
        _ => text("entity_name"),
    };
    let what = match kind {
        DataKind::DirectoryChanges if p.get("deleted").is_some() => "（已删除）".to_string(),
        DataKind::DirectoryChanges => text("usci"),
        DataKind::VisitResults => {
            let results: Vec<String> = p
                .get("results")
                .and_then(|r| r.as_array())
                .map(|rs| {
                    rs.iter()
                        .map(|r| {
                            let l = |k: &str, f: &dyn Fn(&str) -> Option<&'static str>| {
                                r.get(k).and_then(|v| v.as_str()).and_then(f).unwrap_or("—")
                            };
                            format!(
                                "{}：{}，{}",
                                r.get("item").and_then(|v| v.as_str()).unwrap_or(""),
                                l("result_code", &|s| ResultCode::parse(s)
                                    .ok()
                                    .map(|x| x.label_zh())),
                                l("follow_up", &|s| FollowUp::parse(s)
                                    .ok()
                                    .map(|x| x.label_zh())),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            format!(
                "{}（{}）{}",
                text("code"),
                label("status", &|s| VisitStatus::parse(s)
                    .ok()
                    .map(|x| x.label_zh())),
                results.join("；")
            )
        }
        DataKind::Rectification => format!(
            "{}（{}），整改期限 {}",
            text("code"),
            label("status", &|s| RectificationStatus::parse(s)
                .ok()
                .map(|x| x.label_zh())),
            text("deadline")
        ),
        DataKind::Penalties => format!(
            "{} {}（{}）",
            text("reference"),
            text("title"),
            label("status", &|s| RecordStatus::parse(s)
                .ok()
                .map(|x| x.label_zh()))
        ),
        DataKind::Sanctions => {
            let measures: Vec<String> = p
                .get("measures")
                .and_then(|m| m.as_array())
                .map(|ms| {
                    ms.iter()
                        .filter_map(|m| m.get("name").and_then(|v| v.as_str()))
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default();
            format!(
                "{}（{}）{}；措施：{}；自 {} 起",
                text("code"),
                label("status", &|s| BatchStatus::parse(s)
                    .ok()
                    .map(|x| x.label_zh())),
                text("reason"),
                measures.join("、"),
                text("starts_on")
            )
        }
        _ => String::new(),
    };
    (name, what)
}

fn options<T: Copy>(
    all: &[T],
    f: impl Fn(T) -> (&'static str, &'static str),
) -> Vec<(&'static str, &'static str)> {
    all.iter().map(|x| f(*x)).collect()
}

async fn sharing_page(
    st: &AppState,
    s: &SessionAuth,
    q: &[(String, String)],
    form: Form,
    errors: Vec<String>,
    notice: Option<String>,
) -> Result<Response, ConsoleError> {
    let c = Chrome::new(&st.svc, s, "sharing").await;
    let ov = sharing::overview(&st.svc, &s.actor).await?;
    let me = ov.instance.clone().unwrap_or_default();
    let may_manage = sharing::may_manage(&s.actor);
    let shares = sharing::list(&st.svc, &s.actor, PageRequest::new(Some(1), Some(100))).await?;
    let shares = shares
        .items
        .iter()
        .map(|x| {
            let mine_side_ok = if x.provider == me {
                x.provider_approved_at
            } else {
                x.consumer_approved_at
            };
            let mut moves = Vec::new();
            if may_manage {
                use lianjian_domain::lifecycle::Lifecycle;
                for (to, label) in [
                    (ShareStatus::Suspended, "暂停"),
                    (ShareStatus::Active, "恢复"),
                    (ShareStatus::Revoked, "撤销"),
                ] {
                    if x.status.can_move_to(to)
                        && !(to == ShareStatus::Active && x.status == ShareStatus::Proposed)
                    {
                        moves.push((
                            to.as_str(),
                            label,
                            format!("确定{label}共享“{}”？对端实例将同步{label}。", x.name),
                        ));
                    }
                }
            }
            ShareView {
                id: x.id.to_string(),
                name: x.name.clone(),
                kind: x.kind.label_zh(),
                direction: x.direction.label_zh(),
                route: format!("{} → {}", x.provider, x.consumer),
                scope: {
                    let r = if x.regions.is_empty() {
                        "全部地区".to_string()
                    } else {
                        x.regions
                            .iter()
                            .map(|r| c.region_name(r).to_string())
                            .collect::<Vec<_>>()
                            .join("、")
                    };
                    let d = if x.departments.is_empty() {
                        "全部部门".to_string()
                    } else {
                        format!("{} 个部门", x.departments.len())
                    };
                    format!("{r}；{d}")
                },
                method: format!(
                    "{}，{}，{} 小时内",
                    x.method.label_zh(),
                    x.frequency.label_zh(),
                    x.time_limit_hours
                ),
                confidentiality: x.confidentiality.label_zh(),
                status: x.status.label_zh(),
                provider_ok: x.provider_approved_at.as_ref().map_or_else(
                    || "未确认".into(),
                    |t| {
                        format!(
                            "{}（{}）",
                            local(t),
                            x.provider_approved_by.clone().unwrap_or_default()
                        )
                    },
                ),
                consumer_ok: x.consumer_approved_at.as_ref().map_or_else(
                    || "未确认".into(),
                    |t| {
                        format!(
                            "{}（{}）",
                            local(t),
                            x.consumer_approved_by.clone().unwrap_or_default()
                        )
                    },
                ),
                can_approve: may_manage
                    && x.status == ShareStatus::Proposed
                    && mine_side_ok.is_none(),
                moves,
            }
        })
        .collect();
    let dead = sharing::dead_letters(
        &st.svc,
        &s.actor,
        Some("open"),
        PageRequest::new(Some(1), Some(50)),
    )
    .await?
    .items
    .into_iter()
    .map(|d| {
        let excerpt: String = d.wire.chars().take(120).collect();
        (
            d.id.to_string(),
            d.peer,
            d.reason,
            local(&d.received_at),
            d.attempts,
            excerpt,
        )
    })
    .collect();
    let kind = q
        .iter()
        .find(|(k, _)| k == "kind")
        .and_then(|(_, v)| DataKind::parse(v).ok())
        .filter(|k| k.flows())
        .unwrap_or(DataKind::DirectoryChanges);
    let recs = sharing::records(&st.svc, &s.actor, kind, None, Pager::request(q, 20)).await?;
    let records = recs
        .items
        .iter()
        .map(|r| {
            let (name, what) = record_line(kind, &r.payload);
            (
                r.sender.clone(),
                if name.is_empty() {
                    r.entity.clone()
                } else {
                    name
                },
                c.region_name(&r.region_code).to_string(),
                kind.label_zh().to_string(),
                what,
                local(&r.updated_at),
            )
        })
        .collect();
    let mut lower: Vec<LowerRow> = sharing::lower_figures(&st.svc, &s.actor)
        .await?
        .into_iter()
        .map(|f| LowerRow {
            instance: f.instance,
            level: f.level.label_zh(),
            region: c.region_name(&f.region).to_string(),
            figures: [
                f.entities,
                f.visits_with_results,
                f.rectifications_open,
                f.rectifications_closed,
                f.penalties,
                f.sanctions,
            ],
        })
        .collect();
    if lower.len() > 1 {
        let mut total = [0i64; 6];
        for r in &lower {
            for (t, x) in total.iter_mut().zip(r.figures) {
                *t += x;
            }
        }
        lower.push(LowerRow {
            instance: "合计".into(),
            level: "",
            region: String::new(),
            figures: total,
        });
    }
    let lag = ov.stats.lag_p95_ms.map_or_else(
        || "—".into(),
        |ms| format!("{ms} 毫秒（近 {} 条）", ov.stats.lag_samples),
    );
    let peers = st
        .svc
        .sharing
        .config()
        .map(|c| c.peers.iter().map(|p| p.id.clone()).collect())
        .unwrap_or_default();
    let page = SharingPage {
        configured: ov.instance.is_some(),
        lag,
        shares,
        dead,
        records,
        record_kinds: DataKind::ALL
            .iter()
            .filter(|k| k.flows())
            .map(|k| (k.as_str(), k.label_zh(), *k == kind))
            .collect(),
        record_kind_label: kind.label_zh(),
        lower,
        pager: Pager::of(&recs, q),
        may_manage,
        kinds: options(DataKind::ALL, |k| (k.as_str(), k.label_zh())),
        directions: options(Direction::ALL, |k| (k.as_str(), k.label_zh())),
        methods: options(ShareMethod::ALL, |k| (k.as_str(), k.label_zh())),
        frequencies: options(Frequency::ALL, |k| (k.as_str(), k.label_zh())),
        confidentialities: options(Confidentiality::ALL, |k| (k.as_str(), k.label_zh())),
        peers,
        ov,
        sel_kind: form.get("kind").cloned().unwrap_or_default(),
        sel_direction: form.get("direction").cloned().unwrap_or_default(),
        sel_consumer: form.get("consumer").cloned().unwrap_or_default(),
        form,
        notice,
        c,
        errors: errors.clone(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(page)).into_response())
}

pub async fn page(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let notice = q
        .iter()
        .find(|(k, _)| k == "ok")
        .map(|(_, v)| match v.as_str() {
            "proposed" => "已提出共享，待双方确认".to_string(),
            "approved" => "已确认，对端确认后生效".to_string(),
            "status" => "已变更共享状态".to_string(),
            "applied" => "重试成功，消息已应用".to_string(),
            other => format!("重试结果：{}", other.chars().take(32).collect::<String>()),
        });
    sharing_page(&st, &s, &q, Form::new(), Vec::new(), notice).await
}

/// A refusal shown on the page instead of an error page (e.g. sharing not configured).
async fn or_refusal(
    st: &AppState,
    s: &SessionAuth,
    e: ServiceError,
) -> Result<Response, ConsoleError> {
    match e {
        ServiceError::Refused { message, .. } | ServiceError::Conflict { message, .. } => {
            sharing_page(st, s, &[], Form::new(), vec![message], None).await
        }
        e @ ServiceError::Invalid(_) => {
            let errors = form_errors(e)?.into_values().collect();
            sharing_page(st, s, &[], Form::new(), errors, None).await
        }
        e => Err(e.into()),
    }
}

pub async fn propose(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<Form>,
) -> Result<Response, ConsoleError> {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let input = ShareInput {
        name: get("name"),
        kind: get("kind"),
        direction: get("direction"),
        consumer: get("consumer"),
        regions: get("regions"),
        departments: get("departments"),
        method: get("method"),
        frequency: get("frequency"),
        time_limit_hours: get("time_limit_hours"),
        confidentiality: get("confidentiality"),
    };
    match sharing::propose(&st.svc, &s.actor, &input).await {
        Ok(_) => Ok(see_other("/console/sharing?ok=proposed")),
        Err(e @ ServiceError::Invalid(_)) => {
            let errors = form_errors(e)?.into_values().collect();
            sharing_page(&st, &s, &[], f, errors, None).await
        }
        Err(e) => or_refusal(&st, &s, e).await,
    }
}

pub async fn approve(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(_f): CsrfForm<Form>,
) -> Result<Response, ConsoleError> {
    match sharing::approve(&st.svc, &s.actor, id).await {
        Ok(_) => Ok(see_other("/console/sharing?ok=approved")),
        Err(e) => or_refusal(&st, &s, e).await,
    }
}

pub async fn set_status(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<Form>,
) -> Result<Response, ConsoleError> {
    let to = match ShareStatus::parse(f.get("to").map_or("", String::as_str)) {
        Ok(t) => t,
        Err(e) => return sharing_page(&st, &s, &[], Form::new(), vec![e.zh], None).await,
    };
    match sharing::set_status(&st.svc, &s.actor, id, to).await {
        Ok(_) => Ok(see_other("/console/sharing?ok=status")),
        Err(e) => or_refusal(&st, &s, e).await,
    }
}

pub async fn retry(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(_f): CsrfForm<Form>,
) -> Result<Response, ConsoleError> {
    match flow::retry(&st.svc, &s.actor, id).await {
        Ok(out) => Ok(see_other(&format!("/console/sharing?ok={}", out.code()))),
        Err(e) => or_refusal(&st, &s, e).await,
    }
}
