//! The device registry (设备登记, 舞阳 (四) 非现场监管): which device reports for which entity,
//! where it hangs, its per-metric thresholds and silence minutes, and which department owns
//! it. Scoped like the directory (the region of its entity) and by the owner department's
//! line; kept by the administrators of that line and the coordination office
//! ([`may_manage_devices`]).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::iot::{self as rules, DeviceKind, DeviceStatus};
use lianjian_domain::scope::{Actor, Scope};
use lianjian_store::iot::{self as repo, Device, DeviceQuery, Exceedance, Minute, StoredReading};
use lianjian_store::{Conn, Page, PageRequest};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::Checker;
use crate::trail::{Record, record};
use crate::{Result, ServiceError, Services};

/// Who registers and changes devices: the system administrator, the coordination office, a
/// department's administrators (for their own line's departments). Used by the service and
/// by the console to show the actions.
pub fn may_manage_devices(a: &Actor) -> bool {
    matches!(
        a.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin
    )
}

/// A device as a form or the API sends it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct DeviceInput {
    /// The vendor's device id (设备编号), also its topic segment.
    pub external_id: String,
    /// A [`DeviceKind`] code or label.
    pub kind: String,
    pub entity_id: Option<Uuid>,
    /// The entity by its unified social credit code (统一社会信用代码), when `entity_id` is
    /// not given (the console's form).
    #[serde(default)]
    pub entity_usci: Option<String>,
    /// The owner department.
    pub department_id: Option<Uuid>,
    #[serde(default)]
    pub location: String,
    /// `{"temperature": 8}` or the form's text `temperature=8; rat=0`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub thresholds: Option<serde_json::Value>,
    pub silence_minutes: Option<i64>,
    /// `active` or `retired` (default active).
    pub status: Option<String>,
}

/// A device as shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeviceView {
    pub id: Uuid,
    pub external_id: String,
    pub kind: DeviceKind,
    pub kind_label: String,
    pub entity_id: Uuid,
    pub entity_name: String,
    pub entity_usci: String,
    pub region_code: String,
    pub department_id: Uuid,
    pub department_name: String,
    pub location: String,
    pub thresholds: BTreeMap<String, f64>,
    pub thresholds_text: String,
    pub silence_minutes: u32,
    pub status: DeviceStatus,
    pub status_label: String,
    pub last_seen_at: Option<DateTime<Utc>>,
    /// Active and quiet for longer than its silence minutes.
    pub silent: bool,
}

/// A device's page: the device, its latest readings, minute aggregates and exceedances.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeviceDetail {
    pub device: DeviceView,
    pub readings: Vec<StoredReading>,
    pub minutes: Vec<Minute>,
    pub exceedances: Vec<Exceedance>,
}

/// What a device list asks for.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DeviceFilter {
    pub q: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
}

fn required(zh: &str, en: &str) -> Invalid {
    Invalid::new("required", zh.to_string(), en.to_string())
}

fn parse_thresholds(
    v: &Option<serde_json::Value>,
) -> std::result::Result<BTreeMap<String, f64>, Invalid> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(BTreeMap::new()),
        Some(serde_json::Value::String(s)) => rules::thresholds(s),
        Some(serde_json::Value::Object(o)) => {
            let mut m = BTreeMap::new();
            for (k, v) in o {
                let n = v.as_f64().ok_or_else(|| {
                    Invalid::new(
                        "bad_threshold",
                        format!("指标 {k} 的阈值须为数值"),
                        format!("the threshold of {k} must be a number"),
                    )
                })?;
                m.insert(k.clone(), n);
            }
            rules::check_thresholds(m)
        }
        Some(_) => Err(Invalid::new(
            "bad_threshold",
            "阈值须为 指标=数值 的列表或对象",
            "thresholds must be metric=value text or an object",
        )),
    }
}

/// Checks every field at once and the references against the actor's scope.
async fn parse(
    c: &impl Conn,
    a: &Actor,
    input: &DeviceInput,
    before: Option<&Device>,
) -> Result<(
    String,
    DeviceKind,
    lianjian_store::entities::Entity,
    lianjian_store::departments::Department,
    String,
    BTreeMap<String, f64>,
    u32,
    DeviceStatus,
)> {
    let mut ck = Checker::default();
    let ext = ck.check("external_id", rules::external_id(&input.external_id));
    let kind = ck.check("kind", DeviceKind::parse(&input.kind));
    let location = ck.check(
        "location",
        lianjian_domain::error::bounded_text(&input.location, 1, 200, "安装位置", "the location"),
    );
    let thresholds = ck.check("thresholds", parse_thresholds(&input.thresholds));
    let silence = match input.silence_minutes {
        None => Some(before.map_or(60, |b| b.silence_minutes)),
        Some(n) => ck.check("silence_minutes", rules::silence_minutes(n)),
    };
    let status = match input.status.as_deref().filter(|s| !s.trim().is_empty()) {
        None => Some(before.map_or(DeviceStatus::Active, |b| b.status)),
        Some(s) => ck.check("status", DeviceStatus::parse(s)),
    };
    let ck_has = |ck: &Checker, f: &str| ck.has(f);
    let by_usci = match (input.entity_id, input.entity_usci.as_deref().map(str::trim)) {
        (None, Some(u)) if !u.is_empty() => {
            match lianjian_store::entities::by_usci(c, &u.to_uppercase()).await? {
                Some(e) => Some(e.id),
                None => {
                    ck.push(
                        "entity_id",
                        Invalid::new(
                            "unknown_entity",
                            format!(
                                "统一社会信用代码为 {} 的市场主体不在名录中",
                                u.chars().take(18).collect::<String>()
                            ),
                            "no entity with this credit code in the directory",
                        ),
                    );
                    None
                }
            }
        }
        (id, _) => id,
    };
    let entity = match by_usci {
        None if ck_has(&ck, "entity_id") => None,
        None => {
            ck.push(
                "entity_id",
                required("请选择所属市场主体", "the entity is required"),
            );
            None
        }
        Some(id) => {
            match lianjian_store::entities::get_scoped(c, &Scope::ignoring_context(a), id).await? {
                Some(e) => Some(e),
                None => {
                    ck.push(
                        "entity_id",
                        Invalid::new(
                            "unknown_entity",
                            "市场主体不存在或不在本辖区",
                            "no such entity in your region",
                        ),
                    );
                    None
                }
            }
        }
    };
    let dept = match input.department_id {
        None => {
            ck.push(
                "department_id",
                required("请选择负责部门", "the owner department is required"),
            );
            None
        }
        // The owner department must cover the entity's region (a county's or a city's
        // bureau) and, for a line-scoped actor, be of the actor's line.
        Some(id) => match lianjian_store::departments::get(c, id).await? {
            Some(d)
                if d.status == lianjian_domain::department::DepartmentStatus::Active
                    && a.full_scope().line.as_deref().is_none_or(|l| l == d.line)
                    && entity
                        .as_ref()
                        .is_none_or(|e| e.region_code.is_within(&d.region_code)) =>
            {
                Some(d)
            }
            _ => {
                ck.push(
                    "department_id",
                    Invalid::new(
                        "unknown_department",
                        "负责部门不存在、已停用、不管辖该主体所在地区或不在您的管理范围",
                        "no such active department within your scope",
                    ),
                );
                None
            }
        },
    };
    ck.finish()?;
    Ok((
        ext.expect("checked"),
        kind.expect("checked"),
        entity.expect("checked"),
        dept.expect("checked"),
        location.expect("checked"),
        thresholds.expect("checked"),
        silence.expect("checked"),
        status.expect("checked"),
    ))
}

fn conflict(e: lianjian_store::StoreError) -> ServiceError {
    match e {
        lianjian_store::StoreError::Conflict(_) => ServiceError::conflict(
            "external_id",
            "该设备编号已登记",
            "a device with this device id is already registered",
        ),
        other => other.into(),
    }
}

/// A device checked and ready to write: new (`before` none) or changed.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    pub device: Device,
    pub before: Option<Device>,
}

/// Checks `input` (every field at once, the references against the actor's scope) into the
/// device to write: a new one, or `before` changed.
pub(crate) async fn check(
    svc: &Services,
    a: &Actor,
    input: &DeviceInput,
    before: Option<Device>,
) -> Result<Checked> {
    let (external_id, kind, entity, dept, location, thresholds, silence_minutes, status) =
        parse(svc.store.conn(), a, input, before.as_ref()).await?;
    let now = lianjian_domain::audit::audit_time(svc.now());
    let mut device = Device {
        id: Uuid::now_v7(),
        external_id,
        kind,
        entity_id: entity.id,
        region_code: entity.region_code.clone(),
        department_id: dept.id,
        location,
        thresholds,
        silence_minutes,
        status,
        last_seen_at: None,
        created_by: a.username.clone(),
        created_at: now,
        updated_at: now,
    };
    // A change keeps the device's identity, history and registration.
    if let Some(b) = &before {
        device.id = b.id;
        device.last_seen_at = b.last_seen_at;
        device.created_by = b.created_by.clone();
        device.created_at = b.created_at;
    }
    Ok(Checked { device, before })
}

/// Writes a checked device on `tx` with its audit entry (`device.create` / `device.update`).
pub(crate) async fn write(tx: &impl Conn, a: &Actor, ch: &Checked) -> Result<()> {
    let d = &ch.device;
    let action = match &ch.before {
        None => {
            repo::insert_device(tx, d).await.map_err(conflict)?;
            "device.create"
        }
        Some(_) => {
            repo::update_device(tx, d).await.map_err(conflict)?;
            "device.update"
        }
    };
    let mut entry = Record::new(action, "device", d.id)
        .at(&d.region_code, Some(d.department_id))
        .after(d);
    if let Some(before) = &ch.before {
        entry = entry.before(before);
    }
    record(tx, a, entry).await?;
    Ok(())
}

/// Registers a device.
pub async fn create(svc: &Services, a: &Actor, input: &DeviceInput) -> Result<DeviceView> {
    if !may_manage_devices(a) {
        return Err(ServiceError::Forbidden);
    }
    let ch = check(svc, a, input, None).await?;
    save(svc, a, ch).await
}

/// Changes a device (its history stays with it).
pub async fn update(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    input: &DeviceInput,
) -> Result<DeviceView> {
    if !may_manage_devices(a) {
        return Err(ServiceError::Forbidden);
    }
    let before = repo::get_device(svc.store.conn(), &Scope::ignoring_context(a), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let ch = check(svc, a, input, Some(before)).await?;
    save(svc, a, ch).await
}

/// Writes checked devices in one transaction (the xlsx sheet, `exchange::devices`), then
/// hands them to the ingest's cache: (created, updated).
pub(crate) async fn save_many(svc: &Services, a: &Actor, rows: Vec<Checked>) -> Result<(u64, u64)> {
    let tx = svc.store.begin().await?;
    for ch in &rows {
        write(&tx, a, ch).await?;
    }
    tx.commit().await?;
    for ch in &rows {
        svc.iot.remember(&ch.device);
    }
    let updated = rows.iter().filter(|ch| ch.before.is_some()).count() as u64;
    Ok((rows.len() as u64 - updated, updated))
}

async fn save(svc: &Services, a: &Actor, ch: Checked) -> Result<DeviceView> {
    let tx = svc.store.begin().await?;
    write(&tx, a, &ch).await?;
    tx.commit().await?;
    let d = ch.device;
    svc.iot.remember(&d);
    let c = svc.store.conn();
    view(svc, c, &d, &names(c, std::slice::from_ref(&d)).await?).await
}

/// One page of the devices the actor may see.
pub async fn list(
    svc: &Services,
    a: &Actor,
    f: &DeviceFilter,
    page: PageRequest,
) -> Result<Page<DeviceView>> {
    let mut ck = Checker::default();
    let kind = f
        .kind
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .and_then(|s| ck.check("kind", DeviceKind::parse(s)));
    let status = f
        .status
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .and_then(|s| ck.check("status", DeviceStatus::parse(s)));
    let q = match f.q.as_deref() {
        Some(q) if q.chars().count() > 64 => {
            ck.push(
                "q",
                Invalid::new(
                    "too_long",
                    "搜索词最多 64 个字符",
                    "the search has at most 64 characters",
                ),
            );
            None
        }
        other => other.map(str::to_string),
    };
    ck.finish()?;
    let c = svc.store.conn();
    let p = repo::list_devices(
        c,
        &Scope::of(a),
        &DeviceQuery {
            q,
            kind,
            status,
            entity_id: None,
        },
        page,
    )
    .await?;
    let n = names(c, &p.items).await?;
    let mut items = Vec::with_capacity(p.items.len());
    for d in &p.items {
        items.push(view(svc, c, d, &n).await?);
    }
    Ok(Page {
        items,
        total: p.total,
        page: p.page,
        per_page: p.per_page,
    })
}

/// One device with its latest readings (50), minute aggregates (60) and exceedances (50).
pub async fn get(svc: &Services, a: &Actor, id: Uuid) -> Result<DeviceDetail> {
    let c = svc.store.conn();
    let d = repo::get_device(c, &Scope::of(a), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let n = names(c, std::slice::from_ref(&d)).await?;
    Ok(DeviceDetail {
        device: view(svc, c, &d, &n).await?,
        readings: repo::latest_readings(c, d.id, 50).await?,
        minutes: repo::minutes(c, d.id, 60).await?,
        exceedances: repo::exceedances(c, d.id, 50).await?,
    })
}

/// One device without its readings (the edit form).
pub async fn get_view(svc: &Services, a: &Actor, id: Uuid) -> Result<DeviceView> {
    let c = svc.store.conn();
    let d = repo::get_device(c, &Scope::of(a), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let n = names(c, std::slice::from_ref(&d)).await?;
    view(svc, c, &d, &n).await
}

struct Names {
    /// Name and credit code.
    entities: HashMap<Uuid, (String, String)>,
    departments: HashMap<Uuid, String>,
}

async fn names(c: &impl Conn, ds: &[Device]) -> Result<Names> {
    let mut ids: Vec<Uuid> = ds.iter().map(|d| d.entity_id).collect();
    ids.sort();
    ids.dedup();
    let entities = lianjian_store::entities::get_many(c, &ids)
        .await?
        .into_iter()
        .map(|e| (e.id, (e.name, e.usci)))
        .collect();
    let mut departments = HashMap::new();
    for d in ds {
        if let std::collections::hash_map::Entry::Vacant(v) = departments.entry(d.department_id) {
            v.insert(
                lianjian_store::departments::get(c, d.department_id)
                    .await?
                    .map_or_else(|| "（已删除的部门）".to_string(), |x| x.name),
            );
        }
    }
    Ok(Names {
        entities,
        departments,
    })
}

async fn view(svc: &Services, _c: &impl Conn, d: &Device, n: &Names) -> Result<DeviceView> {
    let last_seen_at = match (svc.iot.last_seen(d.id), d.last_seen_at) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    let silent = d.status == DeviceStatus::Active
        && last_seen_at.is_some_and(|t| {
            svc.now() - t > chrono::Duration::minutes(i64::from(d.silence_minutes))
        });
    Ok(DeviceView {
        id: d.id,
        external_id: d.external_id.clone(),
        kind: d.kind,
        kind_label: d.kind.label_zh().to_string(),
        entity_id: d.entity_id,
        entity_name: n
            .entities
            .get(&d.entity_id)
            .map_or_else(|| "（已删除的主体）".into(), |e| e.0.clone()),
        entity_usci: n
            .entities
            .get(&d.entity_id)
            .map(|e| e.1.clone())
            .unwrap_or_default(),
        region_code: d.region_code.to_string(),
        department_id: d.department_id,
        department_name: n
            .departments
            .get(&d.department_id)
            .cloned()
            .unwrap_or_default(),
        location: d.location.clone(),
        thresholds_text: rules::thresholds_text(&d.thresholds),
        thresholds: d.thresholds.clone(),
        silence_minutes: d.silence_minutes,
        status: d.status,
        status_label: d.status.label_zh().to_string(),
        last_seen_at,
        silent,
    })
}
