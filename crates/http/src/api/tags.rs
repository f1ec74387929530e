//! `/api/v1/tags`: the tag vocabulary (标签化管理) in three levels and the rules that tag
//! entities automatically.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use lianjian_services::tags::{self, TagInput};
use lianjian_services::tags::{Tag, TagRule};
use lianjian_services::{ServiceError, Services};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson};
use crate::{ApiError, AppState};

#[derive(Debug, Serialize, ToSchema)]
pub struct TagDto {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    /// major (大类) | middle (中类) | minor (小类)
    pub level: String,
    pub level_label: String,
    pub parent_id: Option<Uuid>,
    pub parent_code: Option<String>,
    /// The tag applies in this region's subtree.
    pub region_code: String,
    /// Competent department notified of tagged entities (双告知).
    pub owner_department_id: Option<Uuid>,
    pub description: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    /// active | retired
    pub status: String,
    /// Risk weight in risk-weighted draws (按风险加权抽取), 1–10; 1 = no weighting. An
    /// entity weighs as its heaviest tag.
    pub risk_weight: u8,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) fn tag_dto(t: Tag, by_id: &HashMap<Uuid, String>) -> TagDto {
    TagDto {
        id: t.id,
        parent_code: t.parent_id.and_then(|p| by_id.get(&p).cloned()),
        code: t.code,
        name: t.name,
        level: t.level.as_str().into(),
        level_label: t.level.label_zh().into(),
        parent_id: t.parent_id,
        region_code: t.region_code.to_string(),
        owner_department_id: t.owner_department_id,
        description: t.description,
        valid_from: t.valid_from,
        valid_to: t.valid_to,
        status: t.status,
        risk_weight: t.risk_weight,
        created_at: t.created_at,
        updated_at: t.updated_at,
    }
}

async fn codes_by_id(svc: &Services) -> Result<HashMap<Uuid, String>, ServiceError> {
    Ok(tags::all(svc)
        .await?
        .into_iter()
        .map(|t| (t.id, t.code))
        .collect())
}

/// A tag named by id or code.
pub(crate) async fn find_tag(svc: &Services, key: &str) -> Result<Tag, ServiceError> {
    let key = key.trim();
    let id = Uuid::parse_str(key).ok();
    tags::all(svc)
        .await?
        .into_iter()
        .find(|t| Some(t.id) == id || t.code == key)
        .ok_or(ServiceError::NotFound)
}

/// A tag as the input its update takes, so a partial change keeps the other fields.
pub(crate) fn tag_input(t: &Tag, by_id: &HashMap<Uuid, String>) -> TagInput {
    TagInput {
        code: t.code.clone(),
        name: t.name.clone(),
        parent: t
            .parent_id
            .and_then(|p| by_id.get(&p).cloned())
            .unwrap_or_default(),
        region_code: t.region_code.to_string(),
        owner_department_id: t
            .owner_department_id
            .map(|d| d.to_string())
            .unwrap_or_default(),
        description: t.description.clone().unwrap_or_default(),
        valid_from: t.valid_from.map(|d| d.to_string()).unwrap_or_default(),
        valid_to: t.valid_to.map(|d| d.to_string()).unwrap_or_default(),
        risk_weight: t.risk_weight.to_string(),
    }
}

/// Every tag, 大类 first, ordered by code within a level.
#[utoipa::path(get, path = "/api/v1/tags", tag = "tags", responses((status = 200, body = Vec<TagDto>)))]
pub async fn list(State(st): State<AppState>, _a: ApiActor) -> Result<Json<Vec<TagDto>>, ApiError> {
    let all = tags::all(&st.svc).await?;
    let by_id: HashMap<Uuid, String> = all.iter().map(|t| (t.id, t.code.clone())).collect();
    let mut v: Vec<TagDto> = all.into_iter().map(|t| tag_dto(t, &by_id)).collect();
    v.sort_by(|a, b| {
        (a.level != "major", a.level == "minor", &a.code).cmp(&(
            b.level != "major",
            b.level == "minor",
            &b.code,
        ))
    });
    Ok(Json(v))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTag {
    /// 2–64 letters, digits, CJK or _ . - (no spaces; not AND/OR/NOT).
    pub code: String,
    pub name: String,
    /// Parent tag code; none for a 大类.
    #[serde(default)]
    pub parent: String,
    pub region_code: String,
    /// Competent department (required for department administrators: their own).
    #[serde(default)]
    pub owner_department_id: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub valid_from: String,
    #[serde(default)]
    pub valid_to: String,
    /// Risk weight 1–10 for risk-weighted draws; default 1 (no weighting).
    #[serde(default)]
    pub risk_weight: Option<u16>,
}

#[utoipa::path(post, path = "/api/v1/tags", tag = "tags", request_body = NewTag,
    responses((status = 201, body = TagDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<NewTag>,
) -> Result<(StatusCode, Json<TagDto>), ApiError> {
    let input = TagInput {
        code: b.code,
        name: b.name,
        parent: b.parent,
        region_code: b.region_code,
        owner_department_id: b.owner_department_id,
        description: b.description,
        valid_from: b.valid_from,
        valid_to: b.valid_to,
        risk_weight: b.risk_weight.map(|w| w.to_string()).unwrap_or_default(),
    };
    let t = tags::create(&st.svc, &a, input).await?;
    let by_id = codes_by_id(&st.svc).await?;
    Ok((StatusCode::CREATED, Json(tag_dto(t, &by_id))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagChange {
    pub code: Option<String>,
    pub name: Option<String>,
    /// Parent code; empty string makes it a 大类.
    pub parent: Option<String>,
    pub region_code: Option<String>,
    /// Department id; empty string for none.
    pub owner_department_id: Option<String>,
    pub description: Option<String>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    /// Risk weight 1–10 (1 = no weighting).
    pub risk_weight: Option<u16>,
    /// active | retired
    pub status: Option<String>,
}

/// Changes the fields given; `{"status": "retired"}` retires the tag.
#[utoipa::path(patch, path = "/api/v1/tags/{tag}", tag = "tags", request_body = TagChange,
    params(("tag" = String, Path, description = "Tag id or code")),
    responses((status = 200, body = TagDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(key): Path<String>,
    ApiJson(b): ApiJson<TagChange>,
) -> Result<Json<TagDto>, ApiError> {
    let t = find_tag(&st.svc, &key).await?;
    let by_id = codes_by_id(&st.svc).await?;
    let mut input = tag_input(&t, &by_id);
    let active = match b.status.as_deref().map(str::trim) {
        None => t.status == "active",
        Some("active") => true,
        Some("retired") => false,
        Some(s) => {
            return Err(ApiError::bad_request(
                "status",
                "unknown_status",
                format!("未知状态“{s}”，可选 active、retired"),
                "status must be active or retired",
            ));
        }
    };
    let set = |slot: &mut String, v: Option<String>| {
        if let Some(v) = v {
            *slot = v;
        }
    };
    set(&mut input.code, b.code);
    set(&mut input.name, b.name);
    set(&mut input.parent, b.parent);
    set(&mut input.region_code, b.region_code);
    set(&mut input.owner_department_id, b.owner_department_id);
    set(&mut input.description, b.description);
    set(&mut input.valid_from, b.valid_from);
    set(&mut input.valid_to, b.valid_to);
    set(&mut input.risk_weight, b.risk_weight.map(|w| w.to_string()));
    let after = tags::update(&st.svc, &a, t.id, input, active).await?;
    Ok(Json(tag_dto(after, &by_id)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagRuleDto {
    pub id: Uuid,
    pub tag_id: Uuid,
    pub tag_code: String,
    /// licence_type | industry_prefix | scope_keyword
    pub kind: String,
    pub kind_label: String,
    pub pattern: String,
    pub created_at: DateTime<Utc>,
}

pub(crate) fn rule_dto(r: TagRule, tag_code: String) -> TagRuleDto {
    TagRuleDto {
        id: r.id,
        tag_id: r.tag_id,
        tag_code,
        kind: r.kind.as_str().into(),
        kind_label: r.kind.label_zh().into(),
        pattern: r.pattern,
        created_at: r.created_at,
    }
}

/// The rules that give this tag.
#[utoipa::path(get, path = "/api/v1/tags/{tag}/rules", tag = "tags",
    params(("tag" = String, Path, description = "Tag id or code")),
    responses((status = 200, body = Vec<TagRuleDto>), (status = 404, body = ErrorBody)))]
pub async fn rules(
    State(st): State<AppState>,
    _a: ApiActor,
    Path(key): Path<String>,
) -> Result<Json<Vec<TagRuleDto>>, ApiError> {
    let t = find_tag(&st.svc, &key).await?;
    let v = tags::rules_list(&st.svc)
        .await?
        .into_iter()
        .filter(|r| r.tag_id == t.id)
        .map(|r| rule_dto(r, t.code.clone()))
        .collect();
    Ok(Json(v))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRule {
    /// licence_type (许可证类型) | industry_prefix (行业代码前缀) | scope_keyword (经营范围关键词)
    pub kind: String,
    pub pattern: String,
    /// The change a preview (`POST …/rules/preview`) showed: when given, the rule is added
    /// only if exactly these counts of entities gain and lose the tag now (409 otherwise,
    /// nothing written), so that what was checked is what happens.
    #[serde(default)]
    pub expected: Option<ExpectedChange>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectedChange {
    pub gained: u64,
    pub lost: u64,
}

/// A rule not saved yet, to preview.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleDraft {
    /// licence_type | industry_prefix | scope_keyword
    pub kind: String,
    pub pattern: String,
}

/// An entity named in a preview.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntitySample {
    pub name: String,
    /// 统一社会信用代码
    pub usci: String,
}

/// What a rule change would do to the directory (标签规则预览), computed on the directory as it
/// is and writing nothing.
#[derive(Debug, Serialize, ToSchema)]
pub struct RulePreviewDto {
    pub tag_code: String,
    pub tag_name: String,
    /// Entities that would gain the tag.
    pub gained: u64,
    /// Entities that would lose it.
    pub lost: u64,
    /// The first ten of those that would gain it, by name.
    pub gained_sample: Vec<EntitySample>,
    /// The first ten of those that would lose it.
    pub lost_sample: Vec<EntitySample>,
    /// The rule whose removal is previewed (removal previews only).
    pub rule: Option<TagRuleDto>,
}

fn preview_dto(p: tags::RulePreview, rule: Option<TagRuleDto>) -> RulePreviewDto {
    let refs = |v: Vec<(String, String)>| {
        v.into_iter()
            .map(|(name, usci)| EntitySample { name, usci })
            .collect()
    };
    RulePreviewDto {
        tag_code: p.tag_code,
        tag_name: p.tag_name,
        gained: p.gained,
        lost: p.lost,
        gained_sample: refs(p.gained_sample),
        lost_sample: refs(p.lost_sample),
        rule,
    }
}

/// Who would gain and who would lose the tag if this rule were added, with counts and a
/// sample; nothing is written. Send the counts back as `expected` when adding the rule.
/// 403: the caller may not edit this tag's rules; 422: an unknown kind or a bad pattern.
#[utoipa::path(post, path = "/api/v1/tags/{tag}/rules/preview", tag = "tags", request_body = RuleDraft,
    params(("tag" = String, Path, description = "Tag id or code")),
    responses((status = 200, body = RulePreviewDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn preview_rule(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(key): Path<String>,
    ApiJson(b): ApiJson<RuleDraft>,
) -> Result<Json<RulePreviewDto>, ApiError> {
    let t = find_tag(&st.svc, &key).await?;
    let p = tags::preview_add_rule(&st.svc, &a, &t.code, &b.kind, &b.pattern).await?;
    Ok(Json(preview_dto(p, None)))
}

/// Who would gain and who would lose the tag if this rule were deleted; nothing is written.
/// 403: the caller may not edit this tag's rules; 404: no such rule of this tag.
#[utoipa::path(get, path = "/api/v1/tags/{tag}/rules/{rule_id}/preview", tag = "tags",
    params(("tag" = String, Path, description = "Tag id or code"), ("rule_id" = Uuid, Path)),
    responses((status = 200, body = RulePreviewDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn preview_removal(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path((key, rule_id)): Path<(String, String)>,
) -> Result<Json<RulePreviewDto>, ApiError> {
    let t = find_tag(&st.svc, &key).await?;
    let rid = super::params::id(&rule_id)?;
    let (rule, p) = tags::preview_remove_rule(&st.svc, &a, rid).await?;
    if rule.tag_id != t.id {
        return Err(ApiError::not_found());
    }
    Ok(Json(preview_dto(p, Some(rule_dto(rule, t.code)))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewRuleDto {
    pub rule: TagRuleDto,
    /// Entities that gained or lost a rule tag when the whole directory was re-evaluated.
    pub entities_tagged: u64,
}

/// Adds a rule and applies it to the whole directory at once (preview it first with
/// `POST …/rules/preview`; 409 when `expected` no longer matches).
#[utoipa::path(post, path = "/api/v1/tags/{tag}/rules", tag = "tags", request_body = NewRule,
    params(("tag" = String, Path, description = "Tag id or code")),
    responses((status = 201, body = NewRuleDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_rule(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(key): Path<String>,
    ApiJson(b): ApiJson<NewRule>,
) -> Result<(StatusCode, Json<NewRuleDto>), ApiError> {
    let t = find_tag(&st.svc, &key).await?;
    let expected = b.expected.map(|e| (e.gained, e.lost));
    let (rule, n) =
        tags::add_rule_as_previewed(&st.svc, &a, &t.code, &b.kind, &b.pattern, expected).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewRuleDto {
            rule: rule_dto(rule, t.code),
            entities_tagged: n,
        }),
    ))
}

/// Deletes a rule; entities keep only the rule tags other rules still give.
#[utoipa::path(delete, path = "/api/v1/tags/{tag}/rules/{rule_id}", tag = "tags",
    params(("tag" = String, Path, description = "Tag id or code"), ("rule_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_rule(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path((key, rule_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let t = find_tag(&st.svc, &key).await?;
    let rid = super::params::id(&rule_id)?;
    if !tags::rules_list(&st.svc)
        .await?
        .iter()
        .any(|r| r.id == rid && r.tag_id == t.id)
    {
        return Err(ApiError::not_found());
    }
    tags::remove_rule(&st.svc, &a, rid).await?;
    Ok(StatusCode::NO_CONTENT)
}
