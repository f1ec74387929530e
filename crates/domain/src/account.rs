//! Accounts: roles, user names, passwords, law-enforcement certificate numbers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::error::bounded_text;

/// What a user may do. The data scope each role gets is defined in [`crate::scope`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员: everything, everywhere.
    SystemAdmin,
    /// 联席办/专班办 (coordination office): every department in its region subtree.
    CoordinationOffice,
    /// 部门管理员: its own department line within its region subtree.
    DepartmentAdmin,
    /// 执法检查人员: records inspections; needs a certificate number (执法证号).
    Inspector,
    /// 领导: reads dashboards of every department in its region subtree, changes nothing.
    Leader,
    /// 监督人 (司法局 / 纪检监察 staff who witness draws, issue 11): reads every department of
    /// its region subtree, including draws' full records, and changes nothing except its own
    /// contribution to the draws it is invited to witness.
    Supervisor,
    /// 检察机关 (人民检察院 staff, 行刑衔接 检察监督): reads the case transfers of its region
    /// subtree and their assistance requests and consultations, and nothing else; changes
    /// nothing.
    Procuratorate,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::SystemAdmin,
        Role::CoordinationOffice,
        Role::DepartmentAdmin,
        Role::Inspector,
        Role::Leader,
        Role::Supervisor,
        Role::Procuratorate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::SystemAdmin => "system_admin",
            Role::CoordinationOffice => "coordination_office",
            Role::DepartmentAdmin => "department_admin",
            Role::Inspector => "inspector",
            Role::Leader => "leader",
            Role::Supervisor => "supervisor",
            Role::Procuratorate => "procuratorate",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::SystemAdmin => "系统管理员",
            Role::CoordinationOffice => "联席办（专班办）",
            Role::DepartmentAdmin => "部门管理员",
            Role::Inspector => "执法检查人员",
            Role::Leader => "领导（只读）",
            Role::Supervisor => "监督人",
            Role::Procuratorate => "检察机关（检察监督）",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Role::SystemAdmin => "System administrator",
            Role::CoordinationOffice => "Coordination office",
            Role::DepartmentAdmin => "Department administrator",
            Role::Inspector => "Inspector",
            Role::Leader => "Leader (read-only)",
            Role::Supervisor => "Supervisor (witnesses draws)",
            Role::Procuratorate => "Procuratorate (supervises case transfers)",
        }
    }

    /// Roles that see every department of their region subtree, not only their own line.
    pub fn sees_all_departments(self) -> bool {
        matches!(
            self,
            Role::SystemAdmin | Role::CoordinationOffice | Role::Leader | Role::Supervisor
        )
    }

    /// Roles that may manage user accounts (within their scope).
    pub fn manages_users(self) -> bool {
        matches!(
            self,
            Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin
        )
    }

    /// Roles allowed to switch the department/region context of the console.
    pub fn may_switch_context(self) -> bool {
        matches!(
            self,
            Role::SystemAdmin | Role::CoordinationOffice | Role::Leader
        )
    }

    /// Read-only roles change nothing, whatever the page offers (a supervisor's own draw
    /// contribution is the one exception, checked where it is entered).
    pub fn is_read_only(self) -> bool {
        matches!(self, Role::Leader | Role::Supervisor | Role::Procuratorate)
    }

    /// Roles that read only what their own capability names: the procuratorate reads case
    /// transfers and their assistance requests (行刑衔接), nothing else of the platform; the
    /// HTTP layer refuses every other route to it in one place.
    pub fn reads_transfers_only(self) -> bool {
        matches!(self, Role::Procuratorate)
    }

    /// Whether a user of role `self` may create or manage a user of role `other`.
    /// Nobody hands out more power than they have.
    pub fn may_grant(self, other: Role) -> bool {
        match self {
            Role::SystemAdmin => true,
            Role::CoordinationOffice => other != Role::SystemAdmin,
            Role::DepartmentAdmin => matches!(other, Role::DepartmentAdmin | Role::Inspector),
            Role::Inspector | Role::Leader | Role::Supervisor | Role::Procuratorate => false,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim()).ok_or_else(|| {
            Invalid::new(
                "unknown_role",
                format!("未知角色“{s}”，可选：system_admin、coordination_office、department_admin、inspector、leader、supervisor、procuratorate"),
                format!("unknown role '{s}'; one of system_admin, coordination_office, department_admin, inspector, leader, supervisor, procuratorate"),
            )
        })
    }
}

/// Login name: 3–32 characters of lower-case letters, digits, `_`, `.`, `-`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim().to_ascii_lowercase();
        let n = s.chars().count();
        if n == 0 {
            return Err(Invalid::new(
                "required",
                "用户名不能为空",
                "user name is required",
            ));
        }
        if !(3..=32).contains(&n) {
            return Err(Invalid::new(
                "username_length",
                format!("用户名应为 3–32 个字符（当前 {n} 个）"),
                format!("user name must have 3–32 characters (has {n})"),
            ));
        }
        if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(Invalid::new(
                "username_start",
                "用户名必须以英文字母开头",
                "user name must start with a letter",
            ));
        }
        if let Some(bad) = s
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(*c)))
        {
            return Err(Invalid::new(
                "username_character",
                format!("用户名不能包含字符“{bad}”，只能使用英文字母、数字和 _ . -"),
                format!("user name must not contain '{bad}'; use letters, digits, _ . -"),
            ));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Username {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}

impl From<Username> for String {
    fn from(u: Username) -> String {
        u.0
    }
}

/// A new password that meets the policy: 10–128 characters with at least three of
/// lower case, upper case, digits and symbols (等保 2.0 三级 asks for complexity).
/// Never serialised, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let n = s.chars().count();
        if n < 10 {
            return Err(Invalid::new(
                "password_too_short",
                format!("密码至少 10 个字符（当前 {n} 个）"),
                format!("password must have at least 10 characters (has {n})"),
            ));
        }
        if n > 128 {
            return Err(Invalid::new(
                "password_too_long",
                "密码最多 128 个字符",
                "password must have at most 128 characters",
            ));
        }
        let classes = [
            s.chars().any(|c| c.is_ascii_lowercase()),
            s.chars().any(|c| c.is_ascii_uppercase()),
            s.chars().any(|c| c.is_ascii_digit()),
            s.chars().any(|c| !c.is_ascii_alphanumeric()),
        ];
        if classes.iter().filter(|b| **b).count() < 3 {
            return Err(Invalid::new(
                "password_too_simple",
                "密码须包含小写字母、大写字母、数字、符号中的至少三类",
                "password must contain at least three of: lower case, upper case, digits, symbols",
            ));
        }
        Ok(Self(s.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// Law-enforcement certificate number (执法证号): 6–32 letters, digits or `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CertificateNumber(String);

impl CertificateNumber {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim().to_ascii_uppercase();
        if s.is_empty() {
            return Err(Invalid::new(
                "certificate_required",
                "执法检查人员必须填写执法证号",
                "inspectors must have a law-enforcement certificate number",
            ));
        }
        let n = s.chars().count();
        if !(6..=32).contains(&n) || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(Invalid::new(
                "certificate_format",
                format!("执法证号“{s}”格式不正确：应为 6–32 位字母、数字或 -"),
                format!("certificate number '{s}' is malformed: 6–32 letters, digits or -"),
            ));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CertificateNumber {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}

impl From<CertificateNumber> for String {
    fn from(c: CertificateNumber) -> String {
        c.0
    }
}

/// A person's display name (姓名), 1–50 characters.
pub fn display_name(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 1, 50, "姓名", "name")
}

/// Mainland mobile number, optional contact data (personal data: shown only in scope).
pub fn phone(s: &str) -> Result<Option<String>, Invalid> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let digits_ok = s.len() == 11 && s.starts_with('1') && s.bytes().all(|b| b.is_ascii_digit());
    let landline_ok =
        (7..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit() || b == b'-');
    if digits_ok || landline_ok {
        Ok(Some(s.to_string()))
    } else {
        Err(Invalid::new(
            "phone_format",
            format!("电话号码“{s}”格式不正确"),
            format!("phone number '{s}' is malformed"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(
            Username::parse(" Zhang.San ").unwrap().as_str(),
            "zhang.san"
        );
        assert_eq!(Username::parse("ab").unwrap_err().code, "username_length");
        assert_eq!(Username::parse("1abc").unwrap_err().code, "username_start");
        assert_eq!(
            Username::parse("张三abc").unwrap_err().code,
            "username_start"
        );
        assert_eq!(
            Username::parse("abc def").unwrap_err().code,
            "username_character"
        );
    }

    #[test]
    fn passwords() {
        assert!(NewPassword::parse("Lianjian-2026").is_ok());
        assert_eq!(
            NewPassword::parse("short1A").unwrap_err().code,
            "password_too_short"
        );
        assert_eq!(
            NewPassword::parse("alllowercaseletters").unwrap_err().code,
            "password_too_simple"
        );
        assert!(!format!("{:?}", NewPassword::parse("Lianjian-2026").unwrap()).contains("2026"));
    }

    #[test]
    fn grants_never_exceed_own_power() {
        for r in Role::ALL {
            if r != Role::SystemAdmin {
                assert!(!r.may_grant(Role::SystemAdmin), "{r}");
            }
        }
        assert!(!Role::DepartmentAdmin.may_grant(Role::CoordinationOffice));
        assert!(!Role::Leader.may_grant(Role::Inspector));
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert_eq!("boss".parse::<Role>().unwrap_err().code, "unknown_role");
    }
}
