//! Demo data for `lianjian demo`: the Wuyang county departments (舞政办〔2024〕20号) and the
//! Shandong provincial ones (鲁政办发〔2023〕14号), with one account per role. Idempotent.

use lianjian_domain::department::{SHANDONG_38, WUYANG_17};
use lianjian_domain::region::RegionCode;
use lianjian_store::accounts as repo;
use lianjian_store::departments as dept_repo;

use crate::accounts::{self, UserInput};
use crate::{Result, Services, departments};

/// Every demo account signs in with this password.
pub const DEMO_PASSWORD: &str = "Lianjian@2026";

/// (user name, display name, role, region, department name, certificate number, what to try)
pub const DEMO_ACCOUNTS: &[(&str, &str, &str, &str, &str, &str, &str)] = &[
    ("admin", "系统管理员", "system_admin", "37", "省市场监管局", "", "全部功能、用户管理、审计日志"),
    ("sd.office", "山东省联席办", "coordination_office", "37", "省市场监管局", "", "全省各部门"),
    ("wy.office", "舞阳县专班办", "coordination_office", "411121", "县市场监管局", "", "舞阳县各部门"),
    ("wy.market", "县市场监管局管理员", "department_admin", "411121", "县市场监管局", "", "本部门用户"),
    ("wy.health", "县卫生健康委管理员", "department_admin", "411121", "县卫生健康委", "", "本部门用户"),
    ("wy.zhang", "张明", "inspector", "411121", "县市场监管局", "41112120230001", "执法检查人员"),
    ("wy.li", "李华", "inspector", "411121", "县市场监管局", "41112120230002", "执法检查人员"),
    ("wy.wang", "王芳", "inspector", "411121", "县卫生健康委", "41112120230101", "执法检查人员"),
    ("wy.leader", "舞阳县领导", "leader", "411121", "县行政审批和政务信息管理局", "", "只读"),
];

/// Seeds the demo data unless it is already there. Returns whether anything was created.
pub async fn seed(svc: &Services) -> Result<bool> {
    if repo::find_user_by_name(svc.store.conn(), "admin").await?.is_some() {
        return Ok(false);
    }
    let mut actor = crate::cli_actor();
    actor.username = "demo".into();
    departments::copy_builtin_set(svc, &actor, SHANDONG_38.key, "37").await?;
    departments::copy_builtin_set(svc, &actor, WUYANG_17.key, "411121").await?;
    for (username, name, role, region, dept, cert, _) in DEMO_ACCOUNTS {
        let region = RegionCode::parse(region).expect("demo region");
        let d = dept_repo::find_by_name(svc.store.conn(), &region, dept).await?.expect("demo department exists");
        accounts::create_user(
            svc,
            &actor,
            UserInput {
                username: (*username).into(),
                display_name: (*name).into(),
                role: (*role).into(),
                department_id: d.id.to_string(),
                certificate_no: (*cert).into(),
                password: DEMO_PASSWORD.into(),
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(true)
}
