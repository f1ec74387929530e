//! 风险预警 in the console (issue 16 items 1–2), the one console pattern of case work: the
//! queues of the user's role as tabs (待签收, 办理中, 会商研判, 即将超时, 已超时 …) with level
//! and sort filters and paging; a warning's page (rule version, occurrences, plan clocks,
//! joint assessments, timeline and the steps the user may take, each a confirmed form); the
//! rules (list, a new rule, a new version of one) with a form that names every bad field.
//! Turning a warning into a visit (转为检查) is a form on the warning's page: the entity is the
//! warning's, the user picks the items (those of the pushed departments), the team (their
//! officers and staff) and the period; the visit is created by the service the API's
//! `POST /api/v1/warnings/{id}/to-visit` uses.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use lianjian_domain::warning::Level;
use lianjian_services::ServiceError;
use lianjian_services::accounts::SessionAuth;
use lianjian_services::warnings::{
    self, AssessInput, AssessmentDecision, RuleInput, RuleView, ToClueInput, ToVisitInput,
    WarningDetail, WarningFilter, WarningQueue, WarningView,
};
use uuid::Uuid;

use super::cases::{
    CaseStep, CaseView, ClockRow, Shell, Tab, clock_row, light_badge, queue_param, queue_tabs,
    step_rows,
};
use super::fields::{FormData, errors_of};
use super::{Chrome, ConsoleError, CsrfForm, Pager, PathId, local, render, see_other, with_status};
use crate::AppState;
use crate::api::params::Params;
use crate::extract::Console;

const AREA: &str = "warnings";

fn notice(key: &str) -> Option<String> {
    let s = match key {
        "signed" => "已签收，请按预案处置。",
        "handling" => "已开始处置。",
        "closed" => "已办结，预案时限已停止计时。",
        "assess" => "已提请会商研判，参与部门均可查看此预警。",
        "decided" => "已记录会商纪要和研判结论。",
        "to_clue" => "已转为问题线索，由联席办分办。",
        "to_visit" => "已转为检查任务，预警随即办结；检查任务见处置记录。",
        "rule_created" => "预警规则已创建。",
        "rule_version" => "已生成规则新版本，此前生成的预警仍按原版本显示。",
        _ => return None,
    };
    Some(s.to_string())
}

fn level_class(l: Level) -> &'static str {
    match l {
        Level::Red => "text-bg-danger",
        Level::Orange => "level-orange text-bg-warning",
        Level::Yellow => "text-bg-warning",
        Level::Blue => "text-bg-primary",
    }
}

fn clocks(v: &WarningView) -> Vec<ClockRow> {
    v.clocks
        .iter()
        .map(|k| {
            let mut r = clock_row(k);
            if let Some(at) = k.due_at {
                r.due = local(&at);
                if k.stopped_on.is_none() {
                    r.note = "按小时计时（含夜间和节假日）".into();
                }
            }
            r
        })
        .collect()
}

// ---- the queue ----

pub struct Row {
    pub v: WarningView,
    pub level_class: &'static str,
    pub light_class: &'static str,
    pub light_label: &'static str,
    pub last: String,
}

#[derive(Template)]
#[template(path = "console/warnings.html")]
struct QueuePage {
    c: Chrome,
    tabs: Vec<Tab>,
    queue: String,
    level: String,
    sort: String,
    levels: Vec<(&'static str, &'static str)>,
    rows: Vec<Row>,
    pager: Pager,
    may_rules: bool,
    errors: BTreeMap<String, String>,
}

impl QueuePage {
    fn empty_text(&self) -> &'static str {
        match self.queue.as_str() {
            "pending" => "没有待签收的预警。",
            "open" => "没有办理中的预警。",
            "assessing" => "没有正在会商研判的预警。",
            "due_soon" => "没有即将超时的预警。",
            "overdue" => "没有已超时的预警，均在预案时限之内。",
            "done" => "还没有办结的预警。",
            _ => "您的范围内还没有预警。",
        }
    }
}

pub async fn queue(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    let mut errors = BTreeMap::new();
    let queue = queue_param(&p, WarningQueue::Pending, &mut errors);
    let level = p.one("level");
    let sort = p.one("sort");
    let filter = WarningFilter {
        level: Some(level.clone()),
        sort: Some(sort.clone()),
        ..Default::default()
    };
    let page = Pager::request(&p.0, 20);
    let list = match warnings::list(&st.svc, &s.actor, queue, &filter, page).await {
        Ok(l) => l,
        Err(e @ ServiceError::Invalid(_)) => {
            errors.extend(errors_of(&e).unwrap_or_default());
            warnings::list(&st.svc, &s.actor, queue, &WarningFilter::default(), page).await?
        }
        Err(e) => return Err(e.into()),
    };
    let counts = warnings::queue_counts(&st.svc, &s.actor).await?;
    let pager = Pager::new(
        &list,
        &[
            ("queue", queue.as_str()),
            ("level", &level),
            ("sort", &sort),
        ],
    );
    let rows = list
        .items
        .into_iter()
        .map(|v| {
            let (light_class, light_label) = light_badge(v.light);
            Row {
                level_class: level_class(v.level),
                light_class,
                light_label,
                last: local(&v.last_at),
                v,
            }
        })
        .collect();
    Ok(render(QueuePage {
        c: Chrome::new(&st.svc, &s, AREA).await,
        tabs: queue_tabs(&counts, queue),
        queue: queue.as_str().to_string(),
        level,
        sort,
        levels: Level::ALL
            .iter()
            .map(|l| (l.as_str(), l.label_zh()))
            .collect(),
        rows,
        pager,
        may_rules: warnings::may_maintain_rules(&s.actor),
        errors,
    }))
}

// ---- a warning ----

#[derive(Template)]
#[template(path = "console/warning.html")]
struct CasePage {
    c: Chrome,
    d: WarningDetail,
    level_class: &'static str,
    clocks: Vec<ClockRow>,
    steps: Vec<super::cases::StepRow>,
    occurrences: Vec<(String, String)>,
    departments: Vec<(Uuid, String)>,
    first: String,
    last: String,
    error: Option<String>,
    errors: BTreeMap<String, String>,
    /// The 转为检查 form's choices, when the user may take that step.
    visit: Option<warnings::VisitChoices>,
    /// The 转为检查 form's values after a refused post.
    visit_form: FormData,
}

impl CasePage {
    fn picked(&self, field: &str, id: &Uuid) -> bool {
        let id = id.to_string();
        self.visit_form.all(field).iter().any(|v| *v == id)
    }

    fn may(&self, a: &str) -> bool {
        super::cases::may(&self.d.actions, a)
    }
}

async fn case_page(
    st: &AppState,
    s: &SessionAuth,
    id: Uuid,
    notice_key: &str,
    err: Option<ServiceError>,
    form: Option<&FormData>,
) -> Result<Response, ConsoleError> {
    let d = warnings::get(&st.svc, &s.actor, id).await?;
    let visit = if d.actions.iter().any(|a| a.as_str() == "to_visit") {
        Some(warnings::visit_choices(&st.svc, &s.actor, id).await?)
    } else {
        None
    };
    let Shell {
        c,
        error,
        errors,
        status,
    } = Shell::new(st, s, AREA, notice(notice_key), err).await;
    let departments = if d.actions.iter().any(|a| a.as_str() == "assess") {
        let region = lianjian_domain::region::RegionCode::parse(&d.warning.region_code)
            .map_err(|_| ConsoleError::not_found())?;
        lianjian_services::departments::pickable(&st.svc, &region)
            .await?
            .into_iter()
            .filter(|x| !d.warning.departments.iter().any(|p| p.id == x.id))
            .map(|x| (x.id, x.name))
            .collect()
    } else {
        Vec::new()
    };
    let page = CasePage {
        c,
        level_class: level_class(d.warning.level),
        clocks: clocks(&d.warning),
        steps: step_rows(&d.timeline),
        occurrences: d
            .occurrences
            .iter()
            .map(|o| (local(&o.observed_at), o.summary.clone()))
            .collect(),
        departments,
        first: local(&d.warning.first_at),
        last: local(&d.warning.last_at),
        d,
        error,
        errors,
        visit,
        visit_form: form.cloned().unwrap_or_default(),
    };
    Ok(with_status(status, render(page)))
}

pub async fn case(v: CaseView) -> Result<Response, ConsoleError> {
    case_page(&v.st, &v.s, v.id, &v.ok, None, None).await
}

/// The answer to a step; a refused one shows the page again with `form`'s values.
async fn step<T>(
    x: &CaseStep,
    ok: &str,
    r: Result<T, ServiceError>,
    form: Option<&FormData>,
) -> Result<Response, ConsoleError> {
    let page = format!("/console/warnings/{}", x.id);
    x.answer(r, &page, ok, |e| {
        case_page(&x.st, &x.s, x.id, "", Some(e), form)
    })
    .await
}

pub async fn sign(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = warnings::sign(&x.st.svc, &x.s.actor, x.id).await;
    step(&x, "signed", r, None).await
}

pub async fn handle(x: CaseStep) -> Result<Response, ConsoleError> {
    let note = x.f.get("note");
    let r = warnings::handle(&x.st.svc, &x.s.actor, x.id, Some(&note)).await;
    step(&x, "handling", r, None).await
}

pub async fn close(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = warnings::close(&x.st.svc, &x.s.actor, x.id, &x.f.get("reason")).await;
    step(&x, "closed", r, None).await
}

pub async fn assess(x: CaseStep) -> Result<Response, ConsoleError> {
    let mut ids = Vec::new();
    let mut bad = None;
    for (i, v) in x.f.all("department_ids").iter().enumerate() {
        match v.trim().parse::<Uuid>() {
            Ok(u) => ids.push(u),
            Err(_) => {
                bad = Some(ServiceError::field(
                    &format!("department_ids[{i}]"),
                    lianjian_domain::Invalid::new("uuid", "所选部门无效", "not a department id"),
                ));
            }
        }
    }
    let r = match bad {
        Some(e) => Err(e),
        None => {
            warnings::assess(
                &x.st.svc,
                &x.s.actor,
                x.id,
                &AssessInput {
                    department_ids: ids,
                    note: Some(x.f.get("note")),
                },
            )
            .await
        }
    };
    step(&x, "assess", r, None).await
}

pub async fn decide(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = warnings::decide(
        &x.st.svc,
        &x.s.actor,
        x.id,
        &AssessmentDecision {
            minutes: x.f.get("minutes"),
            decision: x.f.get("decision"),
        },
    )
    .await;
    step(&x, "decided", r, None).await
}

pub async fn to_clue(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = warnings::to_clue(
        &x.st.svc,
        &x.s.actor,
        x.id,
        &ToClueInput {
            note: Some(x.f.get("note")),
        },
    )
    .await;
    step(&x, "to_clue", r, None).await
}

/// 转为检查 from the warning's page: the service the API uses; a refused form comes back with
/// each field's error and the choices made.
pub async fn to_visit(x: CaseStep) -> Result<Response, ConsoleError> {
    let f = &x.f;
    let ids = |k: &str| -> Vec<Uuid> {
        f.all(k)
            .iter()
            .filter_map(|v| v.trim().parse().ok())
            .collect()
    };
    let input = ToVisitInput {
        item_ids: ids("item_ids"),
        inspector_ids: ids("inspector_ids"),
        period_start: f.get("period_start"),
        period_end: f.get("period_end"),
    };
    let r = warnings::to_visit(&x.st.svc, &x.s.actor, x.id, &input).await;
    step(&x, "to_visit", r, Some(f)).await
}

// ---- rules ----

/// The rule form's values as typed.
#[derive(Default, Clone)]
pub struct RuleForm {
    pub code: String,
    pub name: String,
    pub sector: String,
    pub level: String,
    /// `""` (by level), `yes`, `no`.
    pub assessment: String,
    pub condition: String,
    pub push: String,
    pub plan: String,
    pub active: bool,
}

impl RuleForm {
    fn of(f: &FormData) -> Self {
        Self {
            code: f.get("code"),
            name: f.get("name"),
            sector: f.get("sector"),
            level: f.get("level"),
            assessment: f.get("assessment"),
            condition: f.get("condition"),
            push: f.get("push"),
            plan: f.get("plan"),
            active: f.get("active") == "on" || f.get("active") == "true",
        }
    }

    fn from_view(v: &RuleView) -> Self {
        Self {
            code: v.code.clone(),
            name: v.name.clone(),
            sector: v.sector.clone(),
            level: v.level.as_str().into(),
            assessment: match v.assessment {
                None => String::new(),
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
            },
            condition: serde_json::to_string_pretty(&v.condition).unwrap_or_default(),
            push: serde_json::to_string(&v.push).unwrap_or_default(),
            plan: serde_json::to_string_pretty(&v.plan).unwrap_or_default(),
            active: v.active,
        }
    }

    fn blank() -> Self {
        Self {
            level: "yellow".into(),
            condition:
                r#"{"type":"reading","metric":"temperature","op":">","value":8,"for_minutes":30}"#
                    .into(),
            push: r#"{"lines":["market"]}"#.into(),
            plan: r#"[{"name":"现场核查","deadline":{"hours":4}}]"#.into(),
            active: true,
            ..Default::default()
        }
    }

    /// The input, or every field that is not JSON.
    fn input(&self) -> Result<RuleInput, ServiceError> {
        let mut errs = Vec::new();
        let mut json = |field: &str, label: &str, s: &str| match serde_json::from_str::<
            serde_json::Value,
        >(s)
        {
            Ok(v) => v,
            Err(e) => {
                errs.push(lianjian_services::FieldError::new(
                    field,
                    lianjian_domain::Invalid::new(
                        "json",
                        format!(
                            "{label}不是有效的 JSON（第 {} 行第 {} 列）",
                            e.line(),
                            e.column()
                        ),
                        format!("{field} is not JSON: {e}"),
                    ),
                ));
                serde_json::Value::Null
            }
        };
        let condition = json("condition", "预警条件", &self.condition);
        let push = json("push", "推送规则", &self.push);
        let plan = json("plan", "响应预案", &self.plan);
        if !errs.is_empty() {
            return Err(ServiceError::Invalid(errs));
        }
        Ok(RuleInput {
            code: self.code.clone(),
            name: self.name.clone(),
            sector: self.sector.clone(),
            level: self.level.clone(),
            assessment: match self.assessment.as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            condition,
            push,
            plan,
            active: Some(self.active),
        })
    }
}

#[derive(Template)]
#[template(path = "console/warning_rules.html")]
struct RulesPage {
    c: Chrome,
    rules: Vec<RuleView>,
    /// The rule whose versions are shown (and whose new version the form makes).
    editing: Option<RuleView>,
    versions: Vec<RuleView>,
    may_edit: bool,
    sectors: Vec<String>,
    levels: Vec<(&'static str, &'static str)>,
    form: RuleForm,
    error: Option<String>,
    errors: BTreeMap<String, String>,
}

#[allow(clippy::too_many_arguments)]
async fn rules_page(
    st: &AppState,
    s: &SessionAuth,
    editing: Option<Uuid>,
    notice_key: &str,
    form: Option<RuleForm>,
    err: Option<ServiceError>,
) -> Result<Response, ConsoleError> {
    let rules = warnings::list_rules(&st.svc, &s.actor).await?;
    let versions = match editing {
        Some(id) => warnings::rule_versions(&st.svc, &s.actor, id).await?,
        None => Vec::new(),
    };
    let editing = versions.first().cloned();
    let Shell {
        c,
        error,
        errors,
        status,
    } = Shell::new(st, s, AREA, notice(notice_key), err).await;
    let sectors = lianjian_services::sectors::list(&st.svc)
        .await?
        .into_iter()
        .map(|x| x.name)
        .collect();
    let form = form.unwrap_or_else(|| {
        editing
            .as_ref()
            .map_or_else(RuleForm::blank, RuleForm::from_view)
    });
    Ok(with_status(
        status,
        render(RulesPage {
            c,
            rules,
            editing,
            versions,
            may_edit: warnings::may_maintain_rules(&s.actor),
            sectors,
            levels: Level::ALL
                .iter()
                .map(|l| (l.as_str(), l.label_zh()))
                .collect(),
            form,
            error,
            errors,
        }),
    ))
}

pub async fn rules(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    rules_page(&st, &s, None, &Params(q).one("ok"), None, None).await
}

pub async fn rule(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    rules_page(&st, &s, Some(id), &Params(q).one("ok"), None, None).await
}

pub async fn create_rule(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let form = RuleForm::of(&f);
    let r = match form.input() {
        Ok(i) => warnings::create_rule(&st.svc, &s.actor, &i).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(v) => Ok(see_other(&format!(
            "/console/warning-rules/{}?ok=rule_created",
            v.id
        ))),
        Err(e @ ServiceError::Forbidden) => Err(e.into()),
        Err(e) => rules_page(&st, &s, None, "", Some(form), Some(e)).await,
    }
}

pub async fn new_version(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let form = RuleForm::of(&f);
    let r = match form.input() {
        Ok(i) => warnings::new_version(&st.svc, &s.actor, id, &i).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(v) => Ok(see_other(&format!(
            "/console/warning-rules/{}?ok=rule_version",
            v.id
        ))),
        Err(ServiceError::NotFound) => Err(ConsoleError::not_found()),
        Err(e @ ServiceError::Forbidden) => Err(e.into()),
        Err(e) => rules_page(&st, &s, Some(id), "", Some(form), Some(e)).await,
    }
}
