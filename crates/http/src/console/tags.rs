//! 标签管理: the tag tree (大类/中类/小类), create, edit and retire, and the rules that tag
//! entities automatically.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianjian_domain::account::Role;
use lianjian_domain::tag::RuleKind;
use lianjian_services::accounts::SessionAuth;
use lianjian_services::tags::Tag;
use lianjian_services::tags::{self, TagInput};
use lianjian_services::{ServiceError, Services};
use uuid::Uuid;

use super::fields::FormData;
use super::{Chrome, ConsoleError, CsrfForm, PathId, form_errors, render, see_other};
use crate::AppState;
use crate::api::entities::department_names;
use crate::api::params::Params;
use crate::api::tags::tag_input;
use crate::extract::Console;

/// Tags in tree order: each 大类, then its 中类 each followed by its 小类; with their depth.
pub(crate) fn tree(all: &[Tag]) -> Vec<(&Tag, usize)> {
    let mut children: HashMap<Option<Uuid>, Vec<&Tag>> = HashMap::new();
    for t in all {
        let parent = t.parent_id.filter(|p| all.iter().any(|x| x.id == *p));
        children.entry(parent).or_default().push(t);
    }
    for v in children.values_mut() {
        v.sort_by(|a, b| a.code.cmp(&b.code));
    }
    fn walk<'a>(
        parent: Option<Uuid>,
        depth: usize,
        children: &HashMap<Option<Uuid>, Vec<&'a Tag>>,
        out: &mut Vec<(&'a Tag, usize)>,
    ) {
        if depth > 3 {
            return;
        }
        for t in children.get(&parent).map(Vec::as_slice).unwrap_or_default() {
            out.push((t, depth));
            walk(Some(t.id), depth + 1, children, out);
        }
    }
    let mut out = Vec::with_capacity(all.len());
    walk(None, 0, &children, &mut out);
    out
}

fn may_maintain(s: &SessionAuth) -> bool {
    lianjian_services::tags::may_create(&s.actor)
}

/// The service's rule (`tags::may_edit`), so that the console offers exactly what it allows.
fn may_edit(s: &SessionAuth, t: &Tag) -> bool {
    lianjian_services::tags::may_edit(&s.actor, t)
}

/// Departments a tag may name as competent: those of the region the user works in now, the
/// levels above it and its subtree (`departments::offered`).
async fn owner_options(svc: &Services, s: &SessionAuth) -> Vec<(String, String)> {
    let a = &s.actor;
    if a.role == Role::DepartmentAdmin {
        let names = department_names(svc, vec![a.department_id]).await;
        return vec![(
            a.department_id.to_string(),
            names.get(&a.department_id).cloned().unwrap_or_default(),
        )];
    }
    super::offered_departments(svc, a).await
}

pub struct RuleRow {
    id: Uuid,
    kind: String,
    pattern: String,
}

pub struct TagRow {
    id: Uuid,
    code: String,
    name: String,
    level: String,
    indent: String,
    region: String,
    owner: String,
    valid: String,
    risk_weight: u8,
    description: String,
    active: bool,
    editable: bool,
    rules: Vec<RuleRow>,
}

#[derive(Template)]
#[template(path = "console/tags.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<TagRow>,
    can_maintain: bool,
    /// Tags that may have children (大类, 中类): (code, label).
    parents: Vec<(String, String)>,
    /// Tags a rule may give: (code, label).
    rule_tags: Vec<(String, String)>,
    owners: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    f: TagInput,
    errors: BTreeMap<String, String>,
    rule_tag: String,
    rule_kind: String,
    rule_pattern: String,
    rule_errors: BTreeMap<String, String>,
}

fn notice(key: &str) -> Option<String> {
    Some(
        match key {
            "created" => "标签已创建。",
            "saved" => "已保存。",
            "retired" => "标签已停用：不再用于新的打标，已有对象上的标签保留。",
            "restored" => "标签已恢复启用。",
            "rule_removed" => "规则已删除，名录库已按剩余规则重新计算。",
            _ => return None,
        }
        .to_string(),
    )
}

struct RuleForm {
    tag: String,
    kind: String,
    pattern: String,
    errors: BTreeMap<String, String>,
}

async fn page(
    st: &AppState,
    s: &SessionAuth,
    ok: Option<String>,
    f: Option<TagInput>,
    errors: BTreeMap<String, String>,
    rule: Option<RuleForm>,
) -> Result<Response, ConsoleError> {
    let svc = &st.svc;
    let all = tags::all(svc).await?;
    let rules = tags::rules_list(svc).await.unwrap_or_default();
    let owner_ids: Vec<Uuid> = all.iter().filter_map(|t| t.owner_department_id).collect();
    let owners_by_id = department_names(svc, owner_ids).await;
    let ordered = tree(&all);
    let region_names = crate::api::items::county_names(
        svc,
        all.iter().map(|t| t.region_code.to_string()).collect(),
    )
    .await;
    let rows = ordered
        .iter()
        .map(|(t, depth)| TagRow {
            id: t.id,
            code: t.code.clone(),
            name: t.name.clone(),
            level: t.level.label_zh().into(),
            indent: "　　".repeat(*depth),
            region: region_names
                .get(t.region_code.as_str())
                .cloned()
                .unwrap_or_else(|| t.region_code.to_string()),
            owner: t
                .owner_department_id
                .and_then(|d| owners_by_id.get(&d).cloned())
                .unwrap_or_else(|| "—".into()),
            valid: match (t.valid_from, t.valid_to) {
                (None, None) => "长期".into(),
                (f, to) => format!(
                    "{} 至 {}",
                    f.map(|d| d.to_string()).unwrap_or_default(),
                    to.map_or_else(|| "长期".to_string(), |d| d.to_string())
                ),
            },
            risk_weight: t.risk_weight,
            description: t.description.clone().unwrap_or_default(),
            active: t.status == "active",
            editable: may_edit(s, t) && !s.actor.role.is_read_only(),
            rules: rules
                .iter()
                .filter(|r| r.tag_id == t.id)
                .map(|r| RuleRow {
                    id: r.id,
                    kind: r.kind.label_zh().into(),
                    pattern: r.pattern.clone(),
                })
                .collect(),
        })
        .collect();
    let label = |t: &Tag, depth: usize| format!("{}{}（{}）", "　".repeat(depth), t.name, t.code);
    let parents = ordered
        .iter()
        .filter(|(t, _)| t.level.child().is_some() && t.status == "active")
        .map(|(t, d)| (t.code.clone(), label(t, *d)))
        .collect();
    let rule_tags = ordered
        .iter()
        .filter(|(t, _)| t.status == "active" && may_edit(s, t))
        .map(|(t, d)| (t.code.clone(), label(t, *d)))
        .collect();
    let mut c = Chrome::new(svc, s, "tags").await;
    c.notice = ok;
    let f = f.unwrap_or_else(|| TagInput {
        region_code: s.actor.region.to_string(),
        owner_department_id: if s.actor.role == Role::DepartmentAdmin {
            s.actor.department_id.to_string()
        } else {
            String::new()
        },
        ..Default::default()
    });
    let rule = rule.unwrap_or(RuleForm {
        tag: String::new(),
        kind: String::new(),
        pattern: String::new(),
        errors: BTreeMap::new(),
    });
    let status = if errors.is_empty() && rule.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ListPage {
        c,
        rows,
        can_maintain: may_maintain(s) && !s.actor.role.is_read_only(),
        parents,
        rule_tags,
        owners: owner_options(svc, s).await,
        kinds: RuleKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), k.label_zh().to_string()))
            .collect(),
        f,
        errors,
        rule_tag: rule.tag,
        rule_kind: rule.kind,
        rule_pattern: rule.pattern,
        rule_errors: rule.errors,
    };
    Ok((status, render(page)).into_response())
}

pub async fn list(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    let ok = p.one("ok");
    let text = if ok == "rule_added" {
        let n = p.one("n").parse::<u64>().unwrap_or(0);
        Some(format!(
            "规则已添加并已应用到名录库：{n} 个监管对象的标签随之变化。"
        ))
    } else {
        notice(&ok)
    };
    page(&st, &s, text, None, BTreeMap::new(), None).await
}

fn input_of(f: &FormData) -> TagInput {
    TagInput {
        code: f.get("code"),
        name: f.get("name"),
        parent: f.get("parent"),
        region_code: f.get("region_code"),
        owner_department_id: f.get("owner_department_id"),
        description: f.get("description"),
        valid_from: f.get("valid_from"),
        valid_to: f.get("valid_to"),
        risk_weight: f.get("risk_weight"),
    }
}

pub async fn create(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let input = input_of(&f);
    match tags::create(&st.svc, &s.actor, input.clone()).await {
        Ok(_) => Ok(see_other("/console/tags?ok=created")),
        Err(e) => {
            let errs = form_errors(e)?;
            page(&st, &s, None, Some(input), errs, None).await
        }
    }
}

#[derive(Template)]
#[template(path = "console/tag_form.html")]
struct EditPage {
    c: Chrome,
    t: Tag,
    f: TagInput,
    errors: BTreeMap<String, String>,
    parents: Vec<(String, String)>,
    owners: Vec<(String, String)>,
    active: bool,
}

async fn edit_page(
    st: &AppState,
    s: &SessionAuth,
    t: Tag,
    f: TagInput,
    errors: BTreeMap<String, String>,
) -> Response {
    let all = tags::all(&st.svc).await.unwrap_or_default();
    let parents = tree(&all)
        .into_iter()
        .filter(|(x, _)| x.level.child().is_some() && x.id != t.id && x.status == "active")
        .map(|(x, d)| {
            (
                x.code.clone(),
                format!("{}{}（{}）", "　".repeat(d), x.name, x.code),
            )
        })
        .collect();
    let c = Chrome::new(&st.svc, s, "tags").await;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let owners = owner_options(&st.svc, s).await;
    (
        status,
        render(EditPage {
            c,
            active: t.status == "active",
            t,
            f,
            errors,
            parents,
            owners,
        }),
    )
        .into_response()
}

async fn find(st: &AppState, id: Uuid) -> Result<Tag, ServiceError> {
    tags::all(&st.svc)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(ServiceError::NotFound)
}

async fn codes(st: &AppState) -> HashMap<Uuid, String> {
    tags::all(&st.svc)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t.id, t.code))
        .collect()
}

pub async fn edit_form(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
) -> Result<Response, ConsoleError> {
    let t = find(&st, id).await?;
    if !may_edit(&s, &t) {
        return Err(ConsoleError::forbidden());
    }
    let f = tag_input(&t, &codes(&st).await);
    Ok(edit_page(&st, &s, t, f, BTreeMap::new()).await)
}

pub async fn update(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let t = find(&st, id).await?;
    let input = input_of(&f);
    match tags::update(&st.svc, &s.actor, t.id, input.clone(), t.status == "active").await {
        Ok(_) => Ok(see_other("/console/tags?ok=saved")),
        Err(e) => {
            let errs = form_errors(e)?;
            Ok(edit_page(&st, &s, t, input, errs).await)
        }
    }
}

/// Retires or restores a tag, keeping everything else.
pub async fn set_status(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let t = find(&st, id).await?;
    let active = f.get("status") == "active";
    let input = tag_input(&t, &codes(&st).await);
    tags::update(&st.svc, &s.actor, t.id, input, active).await?;
    Ok(see_other(if active {
        "/console/tags?ok=restored"
    } else {
        "/console/tags?ok=retired"
    }))
}

/// The preview of a rule change (标签规则预览): who gains and who loses the tag, then a form
/// that applies exactly this change.
#[derive(Template)]
#[template(path = "console/tag_rule_preview.html")]
struct PreviewPage {
    c: Chrome,
    p: tags::RulePreview,
    /// Adding (true) or removing the rule.
    adding: bool,
    /// The rule as staff read it: "经营范围关键词：美容".
    rule_label: String,
    /// Where the confirm form posts, and its fields besides `_csrf`/`_once`.
    action: String,
    fields: Vec<(&'static str, String)>,
    sample: usize,
    /// More entities change than the sample names.
    more_gained: bool,
    more_lost: bool,
}

impl PreviewPage {
    /// The preview of `p`, whose confirm form repeats `fields` and the counts shown.
    fn new(
        c: Chrome,
        rule_label: String,
        adding: bool,
        action: String,
        mut fields: Vec<(&'static str, String)>,
        p: tags::RulePreview,
    ) -> Self {
        fields.extend([
            ("expect_gained", p.gained.to_string()),
            ("expect_lost", p.lost.to_string()),
            ("confirm", "1".into()),
        ]);
        PreviewPage {
            c,
            rule_label,
            adding,
            action,
            fields,
            sample: tags::PREVIEW_SAMPLE,
            more_gained: p.gained > p.gained_sample.len() as u64,
            more_lost: p.lost > p.lost_sample.len() as u64,
            p,
        }
    }
}

fn rule_label(kind: &str, pattern: &str) -> String {
    match RuleKind::parse(kind) {
        Ok(k) => format!("{}：{}", k.label_zh(), pattern.trim()),
        Err(_) => pattern.trim().to_string(),
    }
}

/// The (gained, lost) counts a confirm form carries back, if both are there.
fn expected(f: &FormData) -> Option<(u64, u64)> {
    Some((
        f.get("expect_gained").parse().ok()?,
        f.get("expect_lost").parse().ok()?,
    ))
}

async fn rule_form_again(
    st: &AppState,
    s: &SessionAuth,
    tag: String,
    kind: String,
    pattern: String,
    e: ServiceError,
) -> Result<Response, ConsoleError> {
    let errs = form_errors(e)?;
    page(
        st,
        s,
        None,
        None,
        BTreeMap::new(),
        Some(RuleForm {
            tag,
            kind,
            pattern,
            errors: errs,
        }),
    )
    .await
}

/// Adding a rule takes two posts: the first shows who would gain and lose the tag (nothing is
/// written), the second (`confirm=1`, with the counts it was shown) applies it.
pub async fn add_rule(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let (tag, kind, pattern) = (f.get("tag"), f.get("kind"), f.get("pattern"));
    if f.get("confirm") != "1" {
        return match tags::preview_add_rule(&st.svc, &s.actor, &tag, &kind, &pattern).await {
            Ok(p) => Ok(render(PreviewPage::new(
                Chrome::new(&st.svc, &s, "tags").await,
                rule_label(&kind, &pattern),
                true,
                "/console/tags/rules".into(),
                vec![("tag", tag), ("kind", kind), ("pattern", pattern)],
                p,
            ))),
            Err(e) => rule_form_again(&st, &s, tag, kind, pattern, e).await,
        };
    }
    match tags::add_rule_as_previewed(&st.svc, &s.actor, &tag, &kind, &pattern, expected(&f)).await
    {
        Ok((_, n)) => Ok(see_other(&format!("/console/tags?ok=rule_added&n={n}"))),
        Err(e) => rule_form_again(&st, &s, tag, kind, pattern, e).await,
    }
}

/// Removing a rule: a preview of who loses (or, with another rule gone, gains) the tag, then
/// the confirmed removal.
pub async fn remove_rule(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    if f.get("confirm") != "1" {
        let (rule, p) = tags::preview_remove_rule(&st.svc, &s.actor, id).await?;
        return Ok(render(PreviewPage::new(
            Chrome::new(&st.svc, &s, "tags").await,
            format!("{}：{}", rule.kind.label_zh(), rule.pattern),
            false,
            format!("/console/tags/rules/{id}/delete"),
            Vec::new(),
            p,
        )));
    }
    match tags::remove_rule_as_previewed(&st.svc, &s.actor, id, expected(&f)).await {
        Ok(_) => Ok(see_other("/console/tags?ok=rule_removed")),
        Err(e) => {
            let errs = form_errors(e)?;
            page(
                &st,
                &s,
                None,
                None,
                BTreeMap::new(),
                Some(RuleForm {
                    tag: String::new(),
                    kind: String::new(),
                    pattern: String::new(),
                    errors: errs,
                }),
            )
            .await
        }
    }
}
