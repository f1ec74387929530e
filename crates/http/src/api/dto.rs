//! Response bodies of the API, with their OpenAPI schemas.

use chrono::{DateTime, Utc};
use lianjian_domain::audit::AuditEntry;
use lianjian_services::Page;
use lianjian_services::accounts::ApiToken;
use lianjian_services::accounts::UserView;
use lianjian_services::departments::Department;
use lianjian_services::regions::Region;
use lianjian_services::sectors::Sector;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct PageOf<T: ToSchema> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

impl<T: ToSchema> PageOf<T> {
    pub fn from<U>(p: Page<U>, f: impl FnMut(U) -> T) -> Self {
        let p = p.map(f);
        Self {
            items: p.items,
            total: p.total,
            page: p.page,
            per_page: p.per_page,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    /// system_admin | coordination_office | department_admin | inspector | leader
    pub role: String,
    pub department_id: Uuid,
    pub department_name: String,
    pub region_code: String,
    pub certificate_no: Option<String>,
    pub phone: Option<String>,
    /// active | disabled
    pub status: String,
    pub is_system: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl From<UserView> for UserDto {
    fn from(v: UserView) -> Self {
        let u = v.user;
        Self {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role.as_str().into(),
            department_id: u.department_id,
            department_name: v.department_name,
            region_code: u.region_code.to_string(),
            certificate_no: u.certificate_no,
            phone: u.phone,
            status: u.status.as_str().into(),
            is_system: u.is_system,
            created_at: u.created_at,
            last_login_at: u.last_login_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeDto {
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub department_id: Uuid,
    pub department_line: String,
    pub region_code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDto {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<ApiToken> for TokenDto {
    fn from(t: ApiToken) -> Self {
        Self {
            id: t.id,
            user_id: t.user_id,
            name: t.name,
            prefix: t.prefix,
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
            last_used_at: t.last_used_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenDto {
    #[serde(flatten)]
    pub token: TokenDto,
    /// The secret, shown this once: send it as `Authorization: Bearer <secret>`.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentDto {
    pub id: Uuid,
    pub region_code: String,
    pub name: String,
    /// Line key (条线) shared by the same kind of department at every level.
    pub line: String,
    /// active | retired
    pub status: String,
    pub builtin_set: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Department> for DepartmentDto {
    fn from(d: Department) -> Self {
        Self {
            id: d.id,
            region_code: d.region_code.to_string(),
            name: d.name,
            line: d.line,
            status: d.status.as_str().into(),
            builtin_set: d.builtin_set,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CopySetDto {
    pub created: Vec<DepartmentDto>,
    pub skipped: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegionDto {
    pub code: String,
    pub name: String,
    /// province | city | county | township
    pub level: String,
    pub parent_code: Option<String>,
}

impl From<Region> for RegionDto {
    fn from(r: Region) -> Self {
        Self {
            code: r.code.to_string(),
            name: r.name,
            level: r.level.as_str().into(),
            parent_code: r.parent_code,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SectorDto {
    pub id: Uuid,
    pub name: String,
    pub status: String,
    pub sort_order: i32,
}

impl From<Sector> for SectorDto {
    fn from(s: Sector) -> Self {
        Self {
            id: s.id,
            name: s.name,
            status: s.status,
            sort_order: s.sort_order,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryDto {
    pub seq: i64,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub actor_role: Option<String>,
    pub department_id: Option<Uuid>,
    pub region_code: Option<String>,
    pub ip: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    /// JSON text of the record before the change.
    pub before: Option<String>,
    /// JSON text of the record after the change.
    pub after: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl From<AuditEntry> for AuditEntryDto {
    fn from(e: AuditEntry) -> Self {
        Self {
            seq: e.seq,
            id: e.id,
            at: e.at,
            actor_id: e.actor_id,
            actor_name: e.actor_name,
            actor_role: e.actor_role,
            department_id: e.department_id,
            region_code: e.region_code,
            ip: e.ip,
            action: e.action,
            object_type: e.object_type,
            object_id: e.object_id,
            before: e.before,
            after: e.after,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyDto {
    pub intact: bool,
    pub entries: Option<u64>,
    pub last_seq: Option<i64>,
    pub head_hash: Option<String>,
    /// The first tampering found, e.g. "entry #12 (…) was altered".
    pub problem: Option<String>,
}
