//! The declarative table of the authorization matrix: one row per (method, route pattern).
//! See the top of `authz_matrix.rs` for the letters and the positions.
//!
//! Expectations are six or seven groups of three letters, roles in the order of `Role::ALL`
//! (system admin, coordination office, department admin, inspector, leader, supervisor,
//! procuratorate), each group `own dept county`. The procuratorate (检察机关) reaches only the
//! case transfers and their assistance requests (`extract::role_reaches`): a row without a
//! seventh group expects `AAA` from it on a public route and `FFF` everywhere else; the rows it
//! reaches spell the seventh group out. The named policies below are the common shapes; a row that
//! departs from them spells its letters out and says why.

pub enum Payload {
    None,
    /// A JSON body (API).
    Json(&'static str),
    /// Form fields `k=v&k=v` (console; `_csrf` is added, values are percent-encoded).
    Form(&'static str),
    /// A multipart form (console posts get `_csrf` added) with an optional file.
    Multipart {
        fields: Vec<(&'static str, &'static str)>,
        file: Option<(&'static str, &'static str, &'static str, &'static [u8])>,
    },
}

pub struct Row {
    pub method: &'static str,
    pub pattern: &'static str,
    /// The request target, `<name>` standing for the fixture's objects.
    pub uri: String,
    pub payload: Payload,
    pub expect: &'static str,
    /// What an anonymous caller gets: `U` (401 or the sign-in page) or `A` for public routes.
    pub anon: char,
}

impl Row {
    /// `expect` as [role][position].
    pub fn cells(&self) -> [[char; 3]; 7] {
        let mut groups: Vec<&str> = self.expect.split_whitespace().collect();
        assert!(
            groups.len() == 6 || groups.len() == 7,
            "{} {}: {}",
            self.method,
            self.pattern,
            self.expect
        );
        if groups.len() == 6 {
            groups.push(if self.anon == 'A' { "AAA" } else { "FFF" });
        }
        let mut out = [['-'; 3]; 7];
        for (i, g) in groups.iter().enumerate() {
            let cs: Vec<char> = g.chars().collect();
            assert_eq!(
                cs.len(),
                3,
                "{} {}: {}",
                self.method,
                self.pattern,
                self.expect
            );
            out[i] = [cs[0], cs[1], cs[2]];
        }
        out
    }
}

/// Any signed-in user; what a list shows is narrowed by scope, not refused.
const ANY: &str = "AAA AAA AAA AAA AAA AAA";
/// Public: everybody, signed in or not.
const PUBLIC: &str = ANY;
/// Reading an object of county A / department X: roles that see every department of their
/// region subtree see it from either department of A; line-scoped roles only from X; nobody
/// from county B except the system administrator (policy: domain/src/scope.rs).
const READ: &str = "AAA AAH AHH AHH AAH AAH";
/// Changing an object of X: the system administrator, A's coordination office, X's
/// administrator. Those who may see it but not change it get 403; those who may not see it 404.
const MANAGE: &str = "PPP PPH PHH FHH FFH FFH";
/// Creating an object for county A / department X: whoever may not create in A is told so by a
/// field error (`outside_scope` / `not_own_department`, 422); roles that create nothing, 403.
const CREATE: &str = "PPP PPV PVV FFF FFF FFF";
/// Readers of the analysis pages: every role but inspectors, each within its own scope.
const ANALYSTS: &str = "AAA AAA AAA FFF AAA AAA";
/// Who rebuilds the analysis figures: the system administrator and the coordination office.
const REBUILDERS: &str = "PPP PPP FFF FFF FFF FFF";
/// System administrators only.
const SYSTEM: &str = "PPP FFF FFF FFF FFF FFF";
/// Data sharing's link and catalogue: system administrators and coordination offices.
const SHARING_READ: &str = "AAA AAA FFF FFF FFF FFF";
/// Sharing changes on a server without `[sharing]`: the system administrator is refused by the
/// instance's state (S), everyone else by role.
const SHARING_UNCONFIGURED: &str = "SSS FFF FFF FFF FFF FFF";
/// Roles that administer (system admin, coordination office, department admin), no object.
const ADMINS: &str = "AAA AAA AAA FFF FFF FFF";

fn uri_of(pattern: &str) -> String {
    let mut u = pattern.to_string();
    for (p, v) in [
        ("{tag}", "<tag_url>"),
        ("/tags/{code}", "/tags/<tag_url>"),
        ("{rule_id}", "<rule>"),
        ("{conflict_id}", "<conflict>"),
        ("{qualification}", "matrix"),
        ("{date}", "2027-01-09"),
        ("{sha256}", "<evidence>"),
        ("{usci}", "<draw_usci>"),
        ("{file}", "app.css"),
        ("{kind}", "entities"),
    ] {
        u = u.replace(p, v);
    }
    u
}

fn row(
    method: &'static str,
    pattern: &'static str,
    obj: &str,
    payload: Payload,
    expect: &'static str,
) -> Row {
    let uri = uri_of(pattern)
        .replace("{id}", &format!("<{obj}>"))
        .replace("{code}", &format!("<{obj}>"));
    Row {
        method,
        pattern,
        uri,
        payload,
        expect,
        anon: if expect == PUBLIC
            && (pattern.contains("/public/")
                || !pattern.starts_with("/api/v1") && !pattern.starts_with("/console"))
        {
            'A'
        } else {
            'U'
        },
    }
}

/// A row whose `{id}` is the nil UUID: the object does not exist in the fixture (sharing is not
/// configured on the matrix's server, which the service checks before the id).
fn nil_id(mut r: Row) -> Row {
    r.uri = r
        .pattern
        .replace("{id}", "00000000-0000-0000-0000-000000000000");
    r
}

fn get(pattern: &'static str, obj: &str, expect: &'static str) -> Row {
    row("GET", pattern, obj, Payload::None, expect)
}

/// A GET with a query string.
fn getq(pattern: &'static str, obj: &str, query: &'static str, expect: &'static str) -> Row {
    let mut r = row("GET", pattern, obj, Payload::None, expect);
    r.uri = format!("{}?{query}", r.uri);
    r
}

fn json(
    method: &'static str,
    pattern: &'static str,
    obj: &str,
    body: &'static str,
    expect: &'static str,
) -> Row {
    row(method, pattern, obj, Payload::Json(body), expect)
}

fn post(pattern: &'static str, obj: &str, form: &'static str, expect: &'static str) -> Row {
    row("POST", pattern, obj, Payload::Form(form), expect)
}

fn public(pattern: &'static str, obj: &str) -> Row {
    let mut r = get(pattern, obj, PUBLIC);
    r.anon = 'A';
    r
}

const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0authz-matrix-second-photo";

pub fn rows() -> Vec<Row> {
    vec![
        // ---- API: accounts
        get("/api/v1/me", "", "AAA AAA AAA AAA AAA AAA AAA"),
        // Leaders list and view users in scope (docs/architecture.md, data scope); supervisors and inspectors do not.
        get("/api/v1/users", "", "AAA AAA AAA FFF AAA FFF"),
        json(
            "POST",
            "/api/v1/users",
            "",
            r#"{"username":"az.created<seq>","display_name":"矩阵新建","role":"inspector","department_id":"<dept>","certificate_no":"AZC<seq>0000","password":"Strong-Pass-123"}"#,
            CREATE,
        ),
        get("/api/v1/users/{id}", "user", "AAA AAH AHH FFF AAH FFF"),
        // Managing a user: a role that manages users and the user inside its full scope.
        json(
            "PUT",
            "/api/v1/users/{id}",
            "user",
            r#"{"display_name":"矩阵目标","role":"inspector","department_id":"<dept>","certificate_no":"AZT00001"}"#,
            "PPP PPH PHH FFF FFF FFF",
        ),
        json(
            "PUT",
            "/api/v1/users/{id}/password",
            "user",
            r#"{"password":"Strong-Pass-456"}"#,
            "PPP PPH PHH FFF FFF FFF",
        ),
        json(
            "PUT",
            "/api/v1/users/{id}/status",
            "user",
            r#"{"status":"active"}"#,
            "PPP PPH PHH FFF FFF FFF",
        ),
        get(
            "/api/v1/users/{id}/tokens",
            "user",
            "AAA AAH AHH FFF FFF FFF",
        ),
        json(
            "POST",
            "/api/v1/users/{id}/tokens",
            "user",
            r#"{"name":"matrix"}"#,
            "PPP PPH PHH FFF FFF FFF",
        ),
        row(
            "DELETE",
            "/api/v1/tokens/{id}",
            "token",
            Payload::None,
            "PPP PPH PHH FFF FFF FFF",
        ),
        // ---- API: departments, regions, sectors, calendar, audit
        get("/api/v1/departments", "", ANY),
        // Departments are maintained by system administrators and coordination offices in their subtree;
        // a region outside the subtree is not found.
        json(
            "POST",
            "/api/v1/departments",
            "",
            r#"{"region_code":"411121","name":"矩阵测试部门<seq>","line":"matrix"}"#,
            "PPP PPH FFF FFF FFF FFF",
        ),
        json(
            "POST",
            "/api/v1/departments/copy-set",
            "",
            r#"{"region_code":"411121","set":"wuyang-17"}"#,
            "PPP PPH FFF FFF FFF FFF",
        ),
        // Departments are read in the region subtree by every line (`departments::view_scope`).
        get(
            "/api/v1/departments/{id}",
            "dept",
            "AAA AAH AAH AAH AAH AAH",
        ),
        json(
            "PATCH",
            "/api/v1/departments/{id}",
            "dept",
            r#"{"status":"active"}"#,
            "PPP PPH FFH FFH FFH FFH",
        ),
        get("/api/v1/regions", "", ANY),
        get("/api/v1/regions/{code}", "region", ANY),
        get("/api/v1/sectors", "", ANY),
        json(
            "POST",
            "/api/v1/sectors",
            "",
            r#"{"name":"矩阵测试领域<seq>"}"#,
            SYSTEM,
        ),
        json(
            "PATCH",
            "/api/v1/sectors/{id}",
            "sector",
            r#"{"active":true}"#,
            SYSTEM,
        ),
        get("/api/v1/calendar", "", ANY),
        getq(
            "/api/v1/calendar/working-days",
            "",
            "from=2026-12-01&n=5",
            ANY,
        ),
        json(
            "PUT",
            "/api/v1/calendar/{date}",
            "",
            r#"{"kind":"workday","name":"矩阵测试调休"}"#,
            SYSTEM,
        ),
        row(
            "DELETE",
            "/api/v1/calendar/{date}",
            "",
            Payload::None,
            SYSTEM,
        ),
        get("/api/v1/audit", "", ADMINS),
        // Verifying the whole chain is the system administrator's.
        get("/api/v1/audit/verify", "", "AAA FFF FFF FFF FFF FFF"),
        public("/api/v1/public/audit/checkpoint", ""),
        // ---- API: directory
        get("/api/v1/entities", "", ANY),
        // The directory is shared by the county's departments: any department administrator of A may add an
        // entity in A; another county's staff get the field error `outside_scope`.
        json(
            "POST",
            "/api/v1/entities",
            "",
            r#"{"usci":"<fresh_usci>","name":"矩阵测试商店","region_code":"411121"}"#,
            "PPP PPV PPV FFF FFF FFF",
        ),
        // Entities are scoped by region only (one directory per county).
        get("/api/v1/entities/{id}", "entity", "AAA AAH AAH AAH AAH AAH"),
        // Hand-setting X's tag: not for another department's administrator (`tags::may_apply`).
        row(
            "PUT",
            "/api/v1/entities/{id}/tags/{code}",
            "entity",
            Payload::None,
            "PPP PPH PFH FFH FFH FFH",
        ),
        row(
            "DELETE",
            "/api/v1/entities/{id}/tags/{code}",
            "entity",
            Payload::None,
            "PPP PPH PFH FFH FFH FFH",
        ),
        get("/api/v1/claims", "", ADMINS),
        // A 双告知 claim is decided by the department it is offered to (or a system administrator); once
        // decided it is gone from the queue, so later allowed callers get 404 (accepted after a success).
        json(
            "POST",
            "/api/v1/claims/{id}/reject",
            "claim0",
            r#"{"reason":"矩阵测试"}"#,
            "PPP FFF PHH FFF FFF FFF",
        ),
        // Assigning is for coordination offices, and only for escalated claims: a pending claim is not
        // found even by those who may assign (the positive case is covered by tests/it/directory.rs).
        json(
            "POST",
            "/api/v1/claims/{id}/assign",
            "claim1",
            r#"{"department_id":"<dept>"}"#,
            "HHH HHH FFF FFF FFF FFF",
        ),
        row(
            "POST",
            "/api/v1/claims/{id}/accept",
            "claim2",
            Payload::None,
            "PPP FFF PHH FFF FFF FFF",
        ),
        // ---- API: tags
        get("/api/v1/tags", "", ANY),
        json(
            "POST",
            "/api/v1/tags",
            "",
            r#"{"code":"AZNEW<seq>","name":"矩阵测试标签","region_code":"411121","owner_department_id":"<dept>"}"#,
            CREATE,
        ),
        // The tag vocabulary is readable by all, so refusals are 403: another county's office may not change
        // A's tag (the tag's current region decides, issue 12), nor another department's administrator.
        json(
            "PATCH",
            "/api/v1/tags/{tag}",
            "",
            r#"{"description":"矩阵测试"}"#,
            "PPP PPF PFF FFF FFF FFF",
        ),
        get("/api/v1/tags/{tag}/rules", "", ANY),
        json(
            "POST",
            "/api/v1/tags/{tag}/rules",
            "",
            r#"{"kind":"scope_keyword","pattern":"矩阵测试二"}"#,
            "PPP PPF PFF FFF FFF FFF",
        ),
        // Previews write nothing but show who is tagged: the same policy as changing the rules.
        json(
            "POST",
            "/api/v1/tags/{tag}/rules/preview",
            "",
            r#"{"kind":"scope_keyword","pattern":"矩阵测试预览"}"#,
            "PPP PPF PFF FFF FFF FFF",
        ),
        // Before the DELETE row below, which removes the rule.
        get(
            "/api/v1/tags/{tag}/rules/{rule_id}/preview",
            "",
            "PPP PPF PFF FFF FFF FFF",
        ),
        row(
            "DELETE",
            "/api/v1/tags/{tag}/rules/{rule_id}",
            "",
            Payload::None,
            "PPP PPF PFF FFF FFF FFF",
        ),
        // ---- API: items
        get("/api/v1/items", "", ANY),
        // Items name X as lead: only X's line may propose them.
        json(
            "POST",
            "/api/v1/items",
            "",
            r#"{"code":"AZ-ITEM-<seq>","name":"矩阵测试事项","region_code":"411121","implementation_level":"县级","lead":{"department_id":"<dept>","duties":"矩阵测试职责","legal_basis":"矩阵测试依据"},"methods":["现场检查"],"object_description":"零售药店","object_expr":"零售药店"}"#,
            "PPP PPF PFF FFF FFF FFF",
        ),
        // Items are read by every line of the region (they name cooperating departments of other lines).
        get("/api/v1/items/{id}", "item", "AAA AAH AAH AAH AAH AAH"),
        json(
            "PUT",
            "/api/v1/items/{id}",
            "item",
            r#"{"code":"WY-2024-02","name":"零售药店监督检查","region_code":"411121","implementation_level":"县级","lead":{"department_id":"<dept>","duties":"矩阵测试职责","legal_basis":"矩阵测试依据"},"methods":["现场检查"],"object_description":"零售药店","object_expr":"零售药店"}"#,
            "PPP PPH PFH FFH FFH FFH",
        ),
        row(
            "POST",
            "/api/v1/items/{id}/publish",
            "item",
            Payload::None,
            "PPP PPH PFH FFH FFH FFH",
        ),
        get(
            "/api/v1/items/{id}/versions",
            "item",
            "AAA AAH AAH AAH AAH AAH",
        ),
        getq(
            "/api/v1/items/{id}/version-at",
            "item",
            "date=2099-12-31",
            "AAA AAH AAH AAH AAH AAH",
        ),
        get(
            "/api/v1/items/{id}/directory",
            "item",
            "AAA AAH AAH AAH AAH AAH",
        ),
        row(
            "POST",
            "/api/v1/items/{id}/retire",
            "item",
            Payload::None,
            "PPP PPH PFH FFH FFH FFH",
        ),
        public("/api/v1/public/items", ""),
        // ---- API: guides (一业一册). Read like their item; sections written like the item
        // (lead line's administrators, the county's office); contacts by the department's own
        // line and the office of its region.
        {
            let mut r = get(
                "/api/v1/guides/{item_id}",
                "item",
                "AAA AAH AAH AAH AAH AAH",
            );
            r.uri = "/api/v1/guides/<item>".into();
            r
        },
        {
            let mut r = json(
                "PUT",
                "/api/v1/guides/{item_id}/sections/{kind}",
                "item",
                r#"{"body":"矩阵测试说明<seq>"}"#,
                "PPP PPH PFH FFH FFH FFH",
            );
            r.uri = "/api/v1/guides/<item>/sections/notes".into();
            r
        },
        {
            let mut r = json(
                "PUT",
                "/api/v1/guides/contacts/{department_id}",
                "",
                r#"{"phone":"0395-72<seq>","address":"舞阳县矩阵路 1 号"}"#,
                "PPP PPH PFH FFH FFH FFH",
            );
            r.uri = "/api/v1/guides/contacts/<dept>".into();
            r
        },
        // ---- API: inspectors
        get("/api/v1/inspectors", "", ANY),
        json(
            "POST",
            "/api/v1/inspectors",
            "",
            r#"{"name":"矩阵检查员","certificate_number":"AZN<seq>0000","department_id":"<dept>","region_code":"411121"}"#,
            CREATE,
        ),
        // An inspector sees only their own pool record (personal data).
        get(
            "/api/v1/inspectors/{id}",
            "inspector",
            "AAA AAH AHH HHH AAH AAH",
        ),
        json(
            "PUT",
            "/api/v1/inspectors/{id}",
            "inspector",
            r#"{"name":"<insp_name>","certificate_number":"<insp_cert>","department_id":"<dept>","region_code":"411121"}"#,
            "PPP PPH PHH HHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/inspectors/{id}/status",
            "inspector",
            r#"{"status":"active"}"#,
            "PPP PPH PHH HHH FFH FFH",
        ),
        row(
            "PUT",
            "/api/v1/inspectors/{id}/qualifications/{qualification}",
            "inspector",
            Payload::None,
            "PPP PPH PHH HHH FFH FFH",
        ),
        row(
            "DELETE",
            "/api/v1/inspectors/{id}/qualifications/{qualification}",
            "inspector",
            Payload::None,
            "PPP PPH PHH HHH FFH FFH",
        ),
        get(
            "/api/v1/inspectors/{id}/conflicts",
            "inspector",
            "AAA AAH AHH HHH AAH AAH",
        ),
        json(
            "POST",
            "/api/v1/inspectors/{id}/conflicts",
            "inspector",
            r#"{"entity":"<usci>","reason":"矩阵测试：曾任职"}"#,
            "PPP PPH PHH HHH FFH FFH",
        ),
        row(
            "DELETE",
            "/api/v1/inspectors/{id}/conflicts/{conflict_id}",
            "inspector",
            Payload::None,
            "PPP PPH PHH HHH FFH FFH",
        ),
        json(
            "PUT",
            "/api/v1/inspectors/{id}/user",
            "inspector",
            r#"{"user":"az.target"}"#,
            "PPP PPH PHH HHH FFH FFH",
        ),
        row(
            "DELETE",
            "/api/v1/inspectors/{id}/user",
            "inspector",
            Payload::None,
            "PPP PPH PHH HHH FFH FFH",
        ),
        // ---- API: plans
        get("/api/v1/plans", "", ANY),
        json(
            "POST",
            "/api/v1/plans",
            "",
            r#"{"item":"WY-2024-02","year":"2027","region_code":"411121","period_start":"2027-01-01","period_end":"2027-12-31"}"#,
            CREATE,
        ),
        // The annual summary (汇总) is the coordination office's and the leaders'.
        getq(
            "/api/v1/plans/annual",
            "",
            "year=2026",
            "AAA AAA FFF FFF AAA FFF",
        ),
        get("/api/v1/plans/{id}", "plan", READ),
        json(
            "PUT",
            "/api/v1/plans/{id}",
            "plan_draft",
            r#"{"item":"WY-2024-02","year":"2026","region_code":"411121"}"#,
            MANAGE,
        ),
        row(
            "POST",
            "/api/v1/plans/{id}/submit",
            "plan_draft",
            Payload::None,
            MANAGE,
        ),
        // Returning, approving and publishing plans is the coordination office's, not the lead department's.
        json(
            "POST",
            "/api/v1/plans/{id}/return",
            "plan",
            r#"{"reason":"矩阵测试退回"}"#,
            "PPP PPH FHH FHH FFH FFH",
        ),
        row(
            "POST",
            "/api/v1/plans/{id}/approve",
            "plan",
            Payload::None,
            "PPP PPH FHH FHH FFH FFH",
        ),
        row(
            "POST",
            "/api/v1/plans/{id}/publish",
            "plan",
            Payload::None,
            "PPP PPH FHH FHH FFH FFH",
        ),
        public("/api/v1/public/plans", ""),
        // ---- API: draws
        json(
            "POST",
            "/api/v1/draws/preview",
            "",
            r#"{"title":"矩阵测试抽取","region_code":"411121","period_start":"2027-01-01","period_end":"2027-03-31"}"#,
            CREATE,
        ),
        get("/api/v1/draws", "", ANY),
        json(
            "POST",
            "/api/v1/draws",
            "",
            r#"{"title":"矩阵测试抽取","region_code":"411121","period_start":"2027-01-01","period_end":"2027-03-31"}"#,
            CREATE,
        ),
        // The demo draw is the county's joint draw: every line of A sees it.
        get("/api/v1/draws/{id}", "draw", "AAA AAH AAH AAH AAH AAH"),
        // Executing is deterministic from the commitment; any drawing role of the region may trigger it.
        json(
            "POST",
            "/api/v1/draws/{id}/execute",
            "draw",
            "{}",
            "PPP PPH PPH FFF FFF FFF",
        ),
        json(
            "POST",
            "/api/v1/draws/{id}/beacon",
            "draw",
            r#"{"value":"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}"#,
            "PPP PPH PPH FFF FFF FFF",
        ),
        // Only the invited supervisor (the demo's wy.jiandu, not a caller here) contributes.
        json(
            "POST",
            "/api/v1/draws/{id}/contribution",
            "draw",
            r#"{"value":"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}"#,
            "FFF FFF FFF FFF FFF FFH",
        ),
        get(
            "/api/v1/draws/awaiting-witness",
            "",
            "FFF FFF FFF FFF FFF AAA",
        ),
        // The full record (inspector assignment included) is not for inspectors.
        get(
            "/api/v1/draws/{id}/record",
            "draw",
            "AAA AAH AAH FFF AAH AAH",
        ),
        get(
            "/api/v1/draws/{id}/openings/{usci}",
            "draw",
            "AAA AAH AAH FFF FFF FFF",
        ),
        // Re-drawing a joint draw replaces plans of every line: not for one department's administrator.
        json(
            "POST",
            "/api/v1/draws/{id}/redraw",
            "draw",
            r#"{"reason":"矩阵测试重抽"}"#,
            "PPP PPH FFH FFF FFF FFF",
        ),
        // Import jobs: everybody lists their own (system administrators every job). The fixture
        // holds no job of X's, so a job id (here the visit's, an id of another kind) is 404 for
        // every role; who sees a real job is tested in http.rs (`console_excel`).
        get("/api/v1/import-jobs", "", ANY),
        get(
            "/api/v1/import-jobs/{id}",
            "visit",
            "HHH HHH HHH HHH HHH HHH",
        ),
        public("/api/v1/public/draws", ""),
        public("/api/v1/public/draws/{id}", "draw"),
        // Access codes for 抽查结果自查 are issued by whoever may draw, for draws in scope.
        json(
            "POST",
            "/api/v1/draws/{id}/access-codes",
            "draw",
            "{}",
            "PPP PPH PPH FFF FFF FFF",
        ),
        // Anyone may try a code; a wrong one (or a credit code not in the pool) is refused with
        // the same 403 for everybody, signed in or not: no role opens another entity's
        // commitment. A fresh credit code per request keeps the throttle (429) out of the row.
        {
            let mut r = json(
                "POST",
                "/api/v1/public/draws/{id}/self-check",
                "draw",
                r#"{"usci":"<fresh_usci>","code":"ABCDEFGHJK"}"#,
                "FFF FFF FFF FFF FFF FFF",
            );
            r.anon = 'F';
            r
        },
        // ---- API: visits and follow-ups
        get("/api/v1/visits", "", ANY),
        json(
            "POST",
            "/api/v1/visits",
            "",
            r#"{"usci":"<usci>","item_ids":["<item>"],"trigger":"complaint","trigger_note":"矩阵测试投诉","inspector_ids":["<inspector>"],"period_start":"2027-01-04","period_end":"2027-01-29"}"#,
            CREATE,
        ),
        get("/api/v1/visits/{id}", "visit", READ),
        // Recording is the visit's team's only (执法人员须为本次检查人员); no caller is on the team.
        json(
            "POST",
            "/api/v1/visits/{id}/start",
            "visit",
            "{}",
            "FFF FFH FHH FHH FFH FFH",
        ),
        json(
            "PUT",
            "/api/v1/visits/{id}/draft",
            "visit",
            r#"{"answers":[],"results":[]}"#,
            "FFF FFH FHH FHH FFH FFH",
        ),
        Row {
            payload: Payload::Multipart {
                fields: vec![("seq", "1")],
                file: Some(("file", "a.jpg", "image/jpeg", JPEG)),
            },
            ..row(
                "POST",
                "/api/v1/visits/{id}/attachments",
                "visit",
                Payload::None,
                "FFF FFH FHH FHH FFH FFH",
            )
        },
        json(
            "POST",
            "/api/v1/visits/{id}/confirm",
            "visit",
            "{}",
            "FFF FFH FHH FHH FFH FFH",
        ),
        // The visit is already published: the service refuses by state (409) before it asks who acts.
        json(
            "POST",
            "/api/v1/visits/{id}/review",
            "visit",
            r#"{"plan_id":"<visit_plan>","approve":true}"#,
            "PPP PPH PHH SHH SSH SSH",
        ),
        row(
            "POST",
            "/api/v1/visits/{id}/publish",
            "visit",
            Payload::None,
            "PPP PPH PHH SHH SSH SSH",
        ),
        json(
            "POST",
            "/api/v1/visits/{id}/rectifications",
            "visit",
            r#"{"plan_id":"<visit_plan>","requirements":"矩阵测试整改要求","working_days":5}"#,
            MANAGE,
        ),
        json(
            "POST",
            "/api/v1/visits/{id}/referrals",
            "visit",
            r#"{"to_department_id":"<dept_y>","matter":"矩阵测试抄告事项"}"#,
            MANAGE,
        ),
        json(
            "POST",
            "/api/v1/visits/{id}/transfers",
            "visit",
            r#"{"agency":"舞阳县公安局","facts":"矩阵测试：涉嫌销售假药"}"#,
            MANAGE,
        ),
        row(
            "POST",
            "/api/v1/visits/{id}/close",
            "visit",
            Payload::None,
            MANAGE,
        ),
        // As the console's merge form below: refused by role first, hidden by scope, then
        // refused by the rule (the fixture's visit is no ad-hoc visit: 409); the allowed case
        // is in tests/it/api_schemas.rs.
        json(
            "POST",
            "/api/v1/visits/{id}/merge",
            "visit",
            r#"{"into":"<visit>"}"#,
            "PPP PPH PHH FFF FFF FFF",
        ),
        get("/api/v1/rectifications", "", ANY),
        json(
            "POST",
            "/api/v1/rectifications/{id}/report",
            "order",
            r#"{"text":"矩阵测试：已整改"}"#,
            MANAGE,
        ),
        json(
            "POST",
            "/api/v1/rectifications/{id}/recheck",
            "order",
            r#"{"passed":true,"text":"矩阵测试：复查合格"}"#,
            MANAGE,
        ),
        get("/api/v1/referrals", "", ANY),
        // The referral goes from X to Y: Y's administrator and Y's inspectors answer it, not X.
        json(
            "POST",
            "/api/v1/referrals/{id}/answer",
            "referral",
            r#"{"text":"矩阵测试：已核查"}"#,
            "PPP PPH FPH FPH FFH FFH",
        ),
        // The procuratorate's supervision (检察监督) lists transfers in its region.
        get("/api/v1/transfers", "", "AAA AAA AAA AAA AAA AAA AAA"),
        json(
            "POST",
            "/api/v1/transfers/{id}/feedback",
            "transfer",
            r#"{"passed":true,"text":"矩阵测试：已立案"}"#,
            MANAGE,
        ),
        // ---- API: credit evaluation (信用评价). Indexes are catalogue rows of county A (every
        // line of A reads them, county B does not). The county's default index is defined and
        // edited by the office (a department administrator may keep only its sector's index:
        // 403 here, the fixture's index has no sector); runs and overrides by the office only.
        // Classes and scores are staff-only: no public row.
        get("/api/v1/credit/indexes", "", ANY),
        json(
            "POST",
            "/api/v1/credit/indexes",
            "",
            r#"{"region_code":"<region>","name":"矩阵测试指标","definition":{"indicators":[{"rule":{"type":"sanctions","each":10},"weight":100}],"thresholds":{"a":90,"b":70,"c":50}}}"#,
            "PPP PPV FFV FFF FFF FFF",
        ),
        get(
            "/api/v1/credit/indexes/{id}",
            "credit_index",
            "AAA AAH AAH AAH AAH AAH",
        ),
        // The first allowed edit moves the index to version 2; later ones answer 409 (P).
        json(
            "PUT",
            "/api/v1/credit/indexes/{id}",
            "credit_index",
            r#"{"version":1,"name":"矩阵测试评价指标体系（修订）","definition":{"indicators":[{"rule":{"type":"sanctions","each":10},"weight":100}],"thresholds":{"a":90,"b":70,"c":50}}}"#,
            "PPP PPH FFH FFF FFF FFF",
        ),
        get("/api/v1/credit/evaluations", "", ANY),
        // A run over county A; one already running answers 409 (P).
        json(
            "POST",
            "/api/v1/credit/evaluations",
            "",
            r#"{"region_code":"<region>"}"#,
            "PPP PPV FFF FFF FFF FFF",
        ),
        get(
            "/api/v1/credit/evaluations/{id}",
            "credit_run",
            "AAA AAH AAH AAH AAH AAH",
        ),
        get(
            "/api/v1/credit/evaluations/{id}/changes",
            "credit_run",
            "AAA AAH AAH AAH AAH AAH",
        ),
        get(
            "/api/v1/credit/evaluations/{id}/changes.xlsx",
            "credit_run",
            "AAA AAH AAH AAH AAH AAH",
        ),
        get(
            "/api/v1/credit/entities/{id}",
            "entity",
            "AAA AAH AAH AAH AAH AAH",
        ),
        json(
            "POST",
            "/api/v1/credit/entities/{id}/override",
            "entity",
            r#"{"class":"B","reason":"矩阵测试：人工调整"}"#,
            "PPP PPH FFF FFF FFF FFF",
        ),
        // ---- API: data sharing with other instances (信息互通共享). System administrators and
        // coordination offices read the link and the catalogue; only system administrators
        // change it. The matrix's server has no `[sharing]` section, so an allowed change is
        // refused as "not configured" (the API answers 403 `refused` with that message: S for
        // the system administrator, F by role for everyone else); the share and dead-letter ids are nil (the
        // configuration is checked before the id).
        get("/api/v1/sharing", "", SHARING_READ),
        get("/api/v1/sharing/shares", "", SHARING_READ),
        json(
            "POST",
            "/api/v1/sharing/shares",
            "",
            r#"{"name":"矩阵测试","kind":"directory_changes","direction":"up","consumer":"city","method":"push","frequency":"realtime","time_limit_hours":"24","confidentiality":"internal"}"#,
            SHARING_UNCONFIGURED,
        ),
        nil_id(json(
            "POST",
            "/api/v1/sharing/shares/{id}/approve",
            "share",
            "{}",
            SHARING_UNCONFIGURED,
        )),
        nil_id(json(
            "POST",
            "/api/v1/sharing/shares/{id}/status",
            "share",
            r#"{"status":"suspended"}"#,
            SHARING_UNCONFIGURED,
        )),
        get("/api/v1/sharing/dead-letters", "", SHARING_READ),
        nil_id(json(
            "POST",
            "/api/v1/sharing/dead-letters/{id}/retry",
            "dead_letter",
            "{}",
            SHARING_UNCONFIGURED,
        )),
        // ---- API: the risk model (风险预测模型). Everybody but inspectors reads (an inspector
        // should not arrive anchored by the score); models and scores follow the region. Only
        // the system administrator and the office fit; the demo's own history is too thin to
        // fit on, so allowed callers get 422 on the training window (P); county B's office is
        // told the region is outside its scope (V). Never public: no anonymous row.
        get("/api/v1/risk/models", "", "AAA AAA AAA FFF AAA AAA"),
        get("/api/v1/risk/control-lift", "", "AAA AAA AAA FFF AAA AAA"),
        json(
            "POST",
            "/api/v1/risk/models",
            "",
            r#"{"region_code":"<region>","train_from":"2025-01-01","train_to":"2025-06-30","eval_to":"2025-09-30"}"#,
            "PPP PPV FFF FFF FFF FFF",
        ),
        get(
            "/api/v1/risk/models/{id}",
            "risk_model",
            "AAA AAH AAH FFF AAH AAH",
        ),
        get(
            "/api/v1/risk/entities/{id}",
            "entity",
            "AAA AAH AAH FFF AAH AAH",
        ),
        // ---- API: clues (问题线索). The fixture's clue was dispatched to X and signed there:
        // its region is county A and its line X's. The office dispatches, reassigns and
        // decides extensions; X's staff (administrators and inspectors) handle it. Steps the
        // clue's state refuses answer 409 (P).
        get("/api/v1/clues", "", ANY),
        // The export and the rates read what the caller's scope holds (complainants masked).
        get("/api/v1/clues/export.xlsx", "", ANY),
        get("/api/v1/clues/rates", "", ANY),
        get("/api/v1/clues/rates/export.xlsx", "", ANY),
        // 分析评估: every role but inspectors reads its own scope's figures; only the system
        // administrator and the office rebuild them.
        get("/api/v1/analysis", "", ANALYSTS),
        get("/api/v1/analysis/export.xlsx", "", ANALYSTS),
        get("/api/v1/analysis/actions", "", ANALYSTS),
        json("POST", "/api/v1/analysis/refresh", "", "{}", REBUILDERS),
        // Registering: staff of county A (any line); county B is told the region is outside
        // its scope; read-only roles register nothing.
        json(
            "POST",
            "/api/v1/clues",
            "",
            r#"{"source":"hotline_12345","kind":"complaint","content":"矩阵测试：药店销售过期药品","address":"舞阳县城关镇","region_code":"<region>"}"#,
            "PPP PPV PPV PPV FFF FFF",
        ),
        get("/api/v1/clues/{id}", "clue", READ),
        json(
            "POST",
            "/api/v1/clues/{id}/dispatch",
            "clue",
            r#"{"department_id":"<dept>"}"#,
            "PPP PPH FHH FHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/clues/{id}/reassign",
            "clue",
            r#"{"department_id":"<dept>","reason":"矩阵测试：改派"}"#,
            "PPP PPH FHH FHH FFH FFH",
        ),
        row(
            "POST",
            "/api/v1/clues/{id}/sign",
            "clue",
            Payload::None,
            "PPP PPH PHH PHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/clues/{id}/return",
            "clue",
            r#"{"reason":"矩阵测试：不属于本部门职责"}"#,
            "PPP PPH PHH PHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/clues/{id}/extension",
            "clue",
            r#"{"days":3,"reason":"矩阵测试：需抽样检验"}"#,
            "PPP PPH PHH PHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/clues/{id}/extension/decision",
            "clue",
            r#"{"approve":true}"#,
            "PPP PPH FHH FHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/clues/{id}/finish",
            "clue",
            r#"{"result":"矩阵测试：已核查办结","finding":"属实"}"#,
            "PPP PPH PHH PHH FFH FFH",
        ),
        // The office's steps (裁定, 督办, 催办, 转办, 并单, 回访): the signed clue refuses most
        // by state (409), which still passes authorization.
        json(
            "POST",
            "/api/v1/clues/{id}/dispute",
            "clue",
            r#"{"reason":"矩阵测试：职责不清"}"#,
            "PPP PPH FHH FHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/clues/{id}/decide",
            "clue",
            r#"{"rule":"nearest","lead_id":"<dept>","reason":"矩阵测试：裁定"}"#,
            "PPP PPH FHH FHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/clues/{id}/supervise",
            "clue",
            r#"{"reason":"矩阵测试：督办"}"#,
            "PPP PPH FHH FHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/clues/{id}/urge",
            "clue",
            r#"{"reason":"矩阵测试：催办"}"#,
            "PPP PPH FHH FHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/clues/{id}/transfer",
            "clue",
            r#"{"region_code":"411122","reason":"矩阵测试：转办"}"#,
            "PPP PPH FHH FHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/clues/{id}/merge",
            "clue",
            r#"{"into":"XS-none"}"#,
            "PPP PPH FHH FHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/clues/{id}/revisit",
            "clue",
            r#"{"satisfaction":"satisfied"}"#,
            "PPP PPH FHH FHH FFH FFH",
        ),
        // Verification creates or changes visits: the handling department's staff but not its
        // inspectors (the fixture's visit is published, so joining it answers 409).
        json(
            "POST",
            "/api/v1/clues/{id}/join-visit",
            "clue",
            r#"{"visit_id":"<visit>"}"#,
            MANAGE,
        ),
        json(
            "POST",
            "/api/v1/clues/{id}/verify",
            "clue",
            r#"{"inspector_ids":[],"period_start":"2026-12-08","period_end":"2026-12-10"}"#,
            MANAGE,
        ),
        // 补充材料: the office and the handling department's staff, as signing; read-only
        // roles store nothing.
        Row {
            payload: Payload::Multipart {
                fields: vec![],
                file: Some(("file", "c.jpg", "image/jpeg", JPEG)),
            },
            ..row(
                "POST",
                "/api/v1/clues/{id}/attachments",
                "clue",
                Payload::None,
                "PPP PPH PHH PHH FFH FFH",
            )
        },
        // Batch steps: read-only roles are refused whole; for the others each clue goes through
        // the single step (the fixture's clue is signed, so its row reports 409 in a 200).
        json(
            "POST",
            "/api/v1/clues/batch",
            "",
            r#"{"ids":["<clue>"],"action":"sign"}"#,
            "PPP PPP PPP PPP FFF FFF",
        ),
        // ---- API: joint sanctions and credit appeals (联合惩戒, 异议与信用修复). The measure is
        // county A's office's catalogue (every line of A reads it); the batch was filed by X
        // and implemented by X (its parties: line market only); its task, X's, waits for
        // feedback. The appeal is an objection to X's penalty entry, waiting for a decision.
        // IoT devices (issue 16 item 3): X's device on county A's entity. Registering is
        // CREATE (another line cannot name X as owner, county B cannot name A's entity: 422);
        // changing is for those who may manage and see it (the role is asked first: 403).
        get("/api/v1/devices", "", ANY),
        json(
            "POST",
            "/api/v1/devices",
            "",
            r#"{"external_id":"MATRIX-NEW-<seq>","kind":"gas_alarm","entity_id":"<entity>","department_id":"<dept>","location":"矩阵测试后厨"}"#,
            CREATE,
        ),
        get("/api/v1/devices/{id}", "device", READ),
        json(
            "PUT",
            "/api/v1/devices/{id}",
            "device",
            r#"{"external_id":"MATRIX-FR-1","kind":"cold_chain_thermometer","entity_id":"<entity>","department_id":"<dept>","location":"矩阵测试冷库","thresholds":"temperature=7"}"#,
            "PPP PPH PHH FFF FFF FFF",
        ),
        get("/api/v1/iot/ingest", "", ADMINS),
        get("/api/v1/sanction-measures", "", ANY),
        // The catalogue: offices (county B is told X is not in its region).
        json(
            "POST",
            "/api/v1/sanction-measures",
            "",
            r#"{"name":"矩阵测试措施","legal_basis":"矩阵测试法律依据","department_id":"<dept>","subject_type":"entity","default_months":6}"#,
            "PPP PPV FFF FFF FFF FFF",
        ),
        get(
            "/api/v1/sanction-measures/{id}",
            "measure",
            "AAA AAH AAH AAH AAH AAH",
        ),
        json(
            "PUT",
            "/api/v1/sanction-measures/{id}",
            "measure",
            r#"{"name":"矩阵措施：提高抽查频次","legal_basis":"矩阵测试法律依据","department_id":"<dept>","subject_type":"entity","default_months":12,"class_d":true}"#,
            "PPP PPH FFF FFF FFF FFF",
        ),
        get("/api/v1/sanction-batches", "", ANY),
        // Filing: administrators of A (any line: the measure and the entity are shared); county
        // B cannot name A's measure or entity (422); inspectors and read-only roles file nothing.
        json(
            "POST",
            "/api/v1/sanction-batches",
            "",
            r#"{"reason":"矩阵测试：惩戒事由","legal_basis":"矩阵测试法律依据","measure_ids":["<measure>"],"subjects":[{"subject_type":"entity","entity_id":"<entity>"}]}"#,
            "PPP PPV PPV FFF FFF FFF",
        ),
        get("/api/v1/sanction-batches/{id}", "sanction_batch", READ),
        // Review by the office (the approved batch refuses by state, 409).
        row(
            "POST",
            "/api/v1/sanction-batches/{id}/approve",
            "sanction_batch",
            Payload::None,
            "PPP PPH FHH FHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/sanction-batches/{id}/return",
            "sanction_batch",
            r#"{"reason":"矩阵测试：请补充材料"}"#,
            "PPP PPH FHH FHH FFH FFH",
        ),
        // Resubmitting: only staff of the initiating department (X) who may file.
        json(
            "POST",
            "/api/v1/sanction-batches/{id}/resubmit",
            "sanction_batch",
            r#"{"reason":"矩阵测试：已补充"}"#,
            "PFF PFH PHH FHH FFH FFH",
        ),
        get("/api/v1/sanction-tasks", "", ANY),
        get("/api/v1/sanction-tasks/{id}", "sanction_task", READ),
        // Feedback: X's administrators and inspectors only (the office chases, never reports).
        Row {
            payload: Payload::Multipart {
                fields: vec![],
                file: Some(("file", "s.jpg", "image/jpeg", JPEG)),
            },
            ..row(
                "POST",
                "/api/v1/sanction-tasks/{id}/attachments",
                "sanction_task",
                Payload::None,
                "FFF FFH PHH PHH FFH FFH",
            )
        },
        json(
            "POST",
            "/api/v1/sanction-tasks/{id}/apply",
            "sanction_task",
            r#"{"feedback":"矩阵测试：已执行"}"#,
            "FFF FFH PHH PHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/sanction-tasks/{id}/decline",
            "sanction_task",
            r#"{"reason":"矩阵测试：无法执行"}"#,
            "FFF FFH PHH PHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/sanction-tasks/{id}/supervise",
            "sanction_task",
            r#"{"reason":"矩阵测试：请尽快反馈"}"#,
            "PPP PPH FHH FHH FFH FFH",
        ),
        // ---- API: assistance requests (协查协助, 行刑衔接). The fixture's request goes from
        // county A's office (department X) to county B and is not yet assigned: A's office and
        // X's staff see it as the requester; B's office (county position of the office) as the
        // receiver, and only B's office assigns or refuses it (A's office: 403). The
        // transfer's requests: X's administrator enters them; the procuratorate reads them.
        get(
            "/api/v1/assistance-requests",
            "",
            "AAA AAA AAA AAA AAA AAA AAA",
        ),
        json(
            "POST",
            "/api/v1/assistance-requests",
            "",
            r#"{"kind":"verification","to_region":"411122","subject":"矩阵测试主体","legal_basis":"矩阵测试依据","needed":"矩阵测试：请协助核查","deadline_days":"5"}"#,
            "PPP PPP PPP FFF FFF FFF FFF",
        ),
        get(
            "/api/v1/assistance-requests/{id}",
            "assistance",
            "AAA AAA AHH AHH AAA AAA HHH",
        ),
        json(
            "POST",
            "/api/v1/assistance-requests/{id}/assign",
            "assistance",
            r#"{"department_id":"<dept_b>"}"#,
            "PPP FFP FHH FHH FFF FFF FFF",
        ),
        json(
            "POST",
            "/api/v1/assistance-requests/{id}/reassign",
            "assistance",
            r#"{"department_id":"<dept_b>","reason":"矩阵测试：改派"}"#,
            "SSS FFS FHS FHS FFF FFF FFF",
        ),
        json(
            "POST",
            "/api/v1/assistance-requests/{id}/refuse",
            "assistance",
            r#"{"reason":"矩阵测试：不予协助"}"#,
            "SSS FFS FHS FHS FFF FFF FFF",
        ),
        json(
            "POST",
            "/api/v1/assistance-requests/{id}/withdraw",
            "assistance",
            r#"{"reason":"矩阵测试：撤回"}"#,
            // Whichever caller with the right withdraws first succeeds (the order of the
            // matrix's calls varies); the rest meet the withdrawn state.
            "PPP PPF PHS FHS FFF FFF FFF",
        ),
        json(
            "POST",
            "/api/v1/assistance-requests/{id}/answer",
            "assistance",
            r#"{"answer":"矩阵测试：答复"}"#,
            "SSS FFS FHS FHS FFF FFF FFF",
        ),
        row(
            "POST",
            "/api/v1/assistance-requests/{id}/attachments",
            "assistance",
            Payload::Multipart {
                fields: vec![],
                file: Some(("file", "a.jpg", "image/jpeg", JPEG)),
            },
            "SSS FFS FHS FHS FFF FFF FFF",
        ),
        json(
            "POST",
            "/api/v1/assistance-requests/{id}/close",
            "assistance",
            "{}",
            "SSS SSF SHS FHS FFF FFF FFF",
        ),
        json(
            "POST",
            "/api/v1/assistance-requests/{id}/reopen",
            "assistance",
            r#"{"reason":"矩阵测试：补充"}"#,
            "SSS SSF SHS FHS FFF FFF FFF",
        ),
        get(
            "/api/v1/transfers/{id}/assistance-requests",
            "transfer",
            "AAA AAH AHH AHH AAH AAH AAH",
        ),
        json(
            "POST",
            "/api/v1/transfers/{id}/assistance-requests",
            "transfer",
            r#"{"kind":"appraisal","from_party":"public_security","legal_basis":"矩阵测试依据","needed":"矩阵测试：检验鉴定","deadline_days":"10"}"#,
            "PPP PPH PHH FHH FFH FFH FFF",
        ),
        // ---- API: consultations and circulars (议事会商、情况通报). The fixture's consultation was
        // convened by X's administrator with X alone taking part; its minutes are final, so
        // the steps before them refuse everybody by state (S) past role and scope; its one task
        // runs with X. The circular went from X's administrator to X. Y and county B are
        // outsiders (404); the office over county A runs both.
        get("/api/v1/consultations", "", ANY),
        json(
            "POST",
            "/api/v1/consultations",
            "",
            r#"{"title":"矩阵测试会商","topic":"矩阵测试议题","agenda":"矩阵测试议程","place":"矩阵会议室","meets_at":"2026-12-10T09:00","participants":[{"department_id":"<dept>"}]}"#,
            "PPP PPP PPP FFF FFF FFF",
        ),
        get("/api/v1/consultations/{id}", "consultation", READ),
        json(
            "POST",
            "/api/v1/consultations/{id}/materials",
            "consultation",
            r#"{"evidence_ids":[]}"#,
            "SSS SSH SHH FHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/consultations/{id}/hold",
            "consultation",
            "{}",
            "SSS SSH SHH FHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/consultations/{id}/minutes",
            "consultation",
            r#"{"minutes":"矩阵测试纪要","decisions":[]}"#,
            "SSS SSH SHH FHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/consultations/{id}/cancel",
            "consultation",
            r#"{"reason":"矩阵测试：取消"}"#,
            "SSS SSH SHH FHH FFH FFH",
        ),
        get("/api/v1/consultation-tasks", "", ANY),
        get("/api/v1/consultation-tasks/{id}", "consult_task", READ),
        json(
            "POST",
            "/api/v1/consultation-tasks/{id}/report",
            "consult_task",
            r#"{"report":"矩阵测试：已完成"}"#,
            // The owner department's staff (its line, its county); the office chases only.
            "FFF FFH PHH PHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/consultation-tasks/{id}/supervise",
            "consult_task",
            r#"{"reason":"矩阵测试：请尽快办理"}"#,
            "PPP PPH FHH FHH FFH FFH",
        ),
        get("/api/v1/circulars", "", ANY),
        json(
            "POST",
            "/api/v1/circulars",
            "",
            r#"{"title":"矩阵测试通报","body":"矩阵测试通报内容","department_ids":["<dept>"]}"#,
            // County B's callers name a department outside their region: 422.
            "PPP PPV PPV FFF FFF FFF",
        ),
        get("/api/v1/circulars/{id}", "circular", READ),
        json(
            "POST",
            "/api/v1/circulars/{id}/remind",
            "circular",
            "{}",
            MANAGE,
        ),
        // ---- API: risk warnings (风险预警). The rule is a catalogue every staff member reads and
        // only offices (any county: rules are sector-wide) keep; the warning was raised on the
        // visited entity and pushed to X only (line market): X's staff sign, handle and close
        // it; X's administrators and A's office call and conclude a joint assessment.
        get("/api/v1/warning-rules", "", ANY),
        json(
            "POST",
            "/api/v1/warning-rules",
            "",
            r#"{"code":"YJ-MATRIX-2","name":"矩阵测试规则","sector":"食品","level":"blue","condition":{"type":"silence","minutes":60},"push":{"lines":["market"]},"plan":[{"name":"核查","deadline":{"hours":4}}]}"#,
            "PPP PPP FFF FFF FFF FFF",
        ),
        get("/api/v1/warning-rules/{id}", "warning_rule", ANY),
        json(
            "POST",
            "/api/v1/warning-rules/{id}/versions",
            "warning_rule",
            r#"{"code":"YJ-MATRIX-1","name":"矩阵测试规则","sector":"食品","level":"blue","condition":{"type":"silence","minutes":60},"push":{"lines":["market"]},"plan":[{"name":"核查","deadline":{"hours":4}}]}"#,
            "PPP PPP FFF FFF FFF FFF",
        ),
        get("/api/v1/warnings", "", ANY),
        get("/api/v1/warnings/{id}", "warning", READ),
        json(
            "POST",
            "/api/v1/warnings/{id}/sign",
            "warning",
            "{}",
            "FFF FFH PHH PHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/warnings/{id}/handle",
            "warning",
            r#"{"note":"矩阵测试：处置"}"#,
            "FFF FFH PHH PHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/warnings/{id}/assess",
            "warning",
            "{}",
            "PPP PPH PHH FHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/warnings/{id}/decide",
            "warning",
            r#"{"minutes":"矩阵测试：会商纪要","decision":"矩阵测试：研判结论"}"#,
            "PPP PPH PHH FHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/warnings/{id}/close",
            "warning",
            r#"{"reason":"矩阵测试：已办结"}"#,
            "FFF FFH PHH PHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/warnings/{id}/to-clue",
            "warning",
            "{}",
            "FFF FFH PHH PHH FFH FFH",
        ),
        json(
            "POST",
            "/api/v1/warnings/{id}/to-visit",
            "warning",
            r#"{"item_ids":[],"inspector_ids":[],"period_start":"","period_end":""}"#,
            "PPP PPH PHH FHH FFH FFH",
        ),
        // ---- API: 审管衔接. The approval bureau (line administrative_approval; none in the
        // fixture), offices and system administrators push; county B's office is told the
        // licensee is outside its scope (422). Hand-overs are shared by the lines of a region
        // (as 双告知 claims); inspectors do not see them. Feedback is written by the department
        // the licence was handed to (X) or an office; only the bureau's side acknowledges it.
        get("/api/v1/licences", "", "AAA AAA AAA FFF AAA AAA"),
        json(
            "POST",
            "/api/v1/licences",
            "",
            r#"{"licence_no":"JY-MATRIX-0002","event":"granted","usci":"<draw_usci>","item_code":"WY-2024-02","licence_name":"药品经营许可","decided_on":"2026-12-01","bureau":"县行政审批和政务信息管理局"}"#,
            "PPP PPV FFF FFF FFF FFF",
        ),
        get(
            "/api/v1/licences/{id}",
            "licence",
            "AAA AAH AAH FFF AAH AAH",
        ),
        json(
            "POST",
            "/api/v1/licences/{id}/feedback",
            "licence",
            r#"{"kind":"notice","content":"矩阵测试：监管情况告知审批部门。"}"#,
            "PPP PPH PFH FFF FFF FFF",
        ),
        get("/api/v1/licence-feedback", "", "AAA AAA AAA FFF AAA AAA"),
        row(
            "POST",
            "/api/v1/licence-feedback/{id}/read",
            "licence_feedback",
            Payload::None,
            "PPP PPH FFF FFF FFF FFF",
        ),
        get("/api/v1/sanction-statistics", "", ANY),
        get("/api/v1/credit-appeals", "", ANY),
        // Registering on the entity's behalf: administrators of A (any line: credit entries are
        // shared); county B does not see the entry (422).
        json(
            "POST",
            "/api/v1/credit-appeals",
            "",
            r#"{"kind":"objection","entry_id":"<credit_entry>","applicant":"矩阵测试申请人","statement":"矩阵测试：记录有误"}"#,
            "PPP PPV PPV FFF FFF FFF",
        ),
        get(
            "/api/v1/credit-appeals/{id}",
            "appeal",
            "AAA AAH AAH AAH AAH AAH",
        ),
        // Deciding: the office of A and the administrators of X (which recorded the entry).
        json(
            "POST",
            "/api/v1/credit-appeals/{id}/decide",
            "appeal",
            r#"{"grant":false,"reason":"矩阵测试：理由不成立"}"#,
            "PPP PPH PFH FFH FFH FFH",
        ),
        // The office's routing table and deadline rules: offices (each its own region).
        get("/api/v1/clue-routes", "", "AAA AAA FFF FFF FFF FFF"),
        json(
            "POST",
            "/api/v1/clue-routes",
            "",
            r#"{"keyword":"矩阵测试","department_id":"<dept>"}"#,
            "PPP PPP FFF FFF FFF FFF",
        ),
        row(
            "DELETE",
            "/api/v1/clue-routes/{id}",
            "clue_route",
            Payload::None,
            "PPP PPH FFF FFF FFF FFF",
        ),
        get("/api/v1/clue-deadlines", "", "AAA AAA FFF FFF FFF FFF"),
        json(
            "PUT",
            "/api/v1/clue-deadlines",
            "",
            r#"{"source":"hotline_12345","sign_days":1,"return_days":2,"finish_days":5}"#,
            "PPP PPP FFF FFF FFF FFF",
        ),
        {
            let mut r = row(
                "DELETE",
                "/api/v1/clue-deadlines",
                "",
                Payload::None,
                "PPP PPP FFF FFF FFF FFF",
            );
            r.uri = format!("{}?source=hotline_12345", r.uri);
            r
        },
        // ---- API: the 12345 interface. The coordination office (and the system
        // administrator) push work orders, read the feed and keep webhooks; county B's office
        // is told the order's region is outside its scope (422). A webhook is its owner's only:
        // the fixture's belongs to A's office in the `own` position.
        json(
            "POST",
            "/api/v1/hotline/orders",
            "",
            r#"{"order_no":"AZ-HL-<seq>","called_at":"2026-12-07 09:30:00","kind":"投诉","content":"矩阵测试：药店销售过期药品","address":"舞阳县城关镇","region_code":"<region>"}"#,
            "PPP PPV FFF FFF FFF FFF",
        ),
        get("/api/v1/hotline/events", "", "AAA AAA FFF FFF FFF FFF"),
        json(
            "POST",
            "/api/v1/hotline/subscriptions",
            "",
            r#"{"url":"http://127.0.0.1:9/matrix"}"#,
            "PPP PPP FFF FFF FFF FFF",
        ),
        get(
            "/api/v1/hotline/subscriptions",
            "",
            "AAA AAA FFF FFF FFF FFF",
        ),
        row(
            "DELETE",
            "/api/v1/hotline/subscriptions/{id}",
            "hotline_sub",
            Payload::None,
            "HHH AHH FFF FFF FFF FFF",
        ),
        get("/api/v1/results", "", "AAA AAA AAA FFF AAA AAA"),
        get("/api/v1/results/export", "", "AAA AAA AAA FFF AAA AAA"),
        public("/api/v1/public/results", ""),
        // ---- API: evidence
        Row {
            payload: Payload::Multipart {
                fields: vec![],
                file: Some(("file", "b.jpg", "image/jpeg", JPEG)),
            },
            // Read-only roles store nothing.
            ..row(
                "POST",
                "/api/v1/evidence",
                "",
                Payload::None,
                "AAA AAA AAA AAA FFF FFF",
            )
        },
        // Evidence is recognised across the county's departments (证据互认).
        get("/api/v1/evidence/{sha256}", "", "AAA AAH AAH AAH AAH AAH"),
        // An inclusion proof is for any signed-in caller who knows the content's hash (services/evidence.rs).
        get("/api/v1/evidence/{sha256}/proof", "", ANY),
        public("/api/v1/public/evidence/checkpoint", ""),
        {
            let mut r = public("/api/v1/public/evidence/consistency", "");
            r.uri.push_str("?first=1&second=1");
            r
        },
        // ---- Root
        public("/api/openapi.json", ""),
        public("/healthz", ""),
        public("/metrics", ""),
        public("/assets/{file}", ""),
        // ---- Portal (public)
        public("/", ""),
        public("/draws", ""),
        public("/draws/{id}", "draw"),
        public("/draws/{id}/self-check", "draw"),
        // The portal form carries the page's own CSRF token, which the matrix does not fetch:
        // refused (403) for every caller, like a forged cross-site post. The self-check itself
        // is tested in draws.rs.
        {
            let mut r = post(
                "/draws/{id}/self-check",
                "draw",
                "usci=<fresh_usci>&code=ABCDEFGHJK",
                "FFF FFF FFF FFF FFF FFF",
            );
            r.anon = 'F';
            r
        },
        // 投诉举报 and 进度查询: open to all; the posts carry the page's own CSRF token (and the
        // form a solved challenge), which the matrix does not fetch: refused (403) for every
        // caller. Both are tested in clue_portal.rs.
        public("/clues/new", ""),
        {
            let mut r = Row {
                payload: Payload::Multipart {
                    fields: vec![("kind", "complaint"), ("content", "authz matrix clue")],
                    file: Some(("files", "a.jpg", "image/jpeg", JPEG)),
                },
                ..row(
                    "POST",
                    "/clues/new",
                    "",
                    Payload::None,
                    "FFF FFF FFF FFF FFF FFF",
                )
            };
            r.anon = 'F';
            r
        },
        public("/clues/track", ""),
        {
            let mut r = post(
                "/clues/track",
                "",
                "code=XS-411121-2026-00001&check=ABCDEFGHJK",
                "FFF FFF FFF FFF FFF FFF",
            );
            r.anon = 'F';
            r
        },
        public("/items", ""),
        public("/items/{code}", "portal_item"),
        public("/guides", ""),
        public("/guides/{code}", "portal_item"),
        // Rendered by Chromium once, then served from the renderer's cache.
        public("/guides/{code}/pdf", "portal_item"),
        public("/plans", ""),
        public("/plans/{code}", "plan_code"),
        public("/results", ""),
        // ---- Open311 GeoReport v2 (public reads; posting needs an Open311 API key, which no
        // signed-in session replaces: 403 in the spec's error list for everybody without one).
        // Reading a real request, posting with a key and every error: tests/it/open311.rs.
        {
            let mut r = public("/open311/v2/{resource}", "");
            r.uri = "/open311/v2/services.json".into();
            r
        },
        {
            let mut r = post(
                "/open311/v2/{resource}",
                "",
                "service_code=report&address_string=人民路&description=矩阵提交的诉求",
                "FFF FFF FFF FFF FFF FFF",
            );
            r.uri = "/open311/v2/requests.json".into();
            r.anon = 'F';
            r
        },
        {
            let mut r = public("/open311/v2/services/{service}", "");
            r.uri = "/open311/v2/services/report.xml".into();
            r
        },
        // An unknown id is 404 for everybody alike: nothing about the caller changes it.
        {
            let mut r = get(
                "/open311/v2/requests/{request}",
                "",
                "HHH HHH HHH HHH HHH HHH HHH",
            );
            r.uri = "/open311/v2/requests/XS-411121-2026-99999.json".into();
            r.anon = 'H';
            r
        },
        {
            let mut r = get(
                "/open311/v2/tokens/{token}",
                "",
                "HHH HHH HHH HHH HHH HHH HHH",
            );
            r.uri = "/open311/v2/tokens/00000000-0000-0000-0000-000000000000.xml".into();
            r.anon = 'H';
            r
        },
        // ---- Console: session, accounts
        // The procuratorate's home is its transfers (a redirect).
        get("/console", "", "AAA AAA AAA AAA AAA AAA AAA"),
        {
            // The sign-in page is for everybody; a signed-in user is shown it too.
            let mut r = get("/console/login", "", ANY);
            r.anon = 'A';
            r
        },
        {
            // Signing in: the form is checked against the sign-in page's own CSRF cookie, which
            // these callers do not send, so every caller is refused alike (anonymous too).
            let mut r = post(
                "/console/login",
                "",
                "username=admin&password=wrong",
                "FFF FFF FFF FFF FFF FFF",
            );
            r.anon = 'F';
            r
        },
        // Roles that may switch context; a region outside one's scope is a field error.
        post(
            "/console/context",
            "",
            "region=411121&line=",
            "AAA AAV FFF FFF AAV FFF",
        ),
        // As the API.
        get("/console/users", "", "AAA AAA AAA FFF AAA FFF"),
        post(
            "/console/users",
            "",
            "username=az.created<seq>&display_name=矩阵新建&role=inspector&department_id=<dept>&certificate_no=AZC<seq>0000&password=Strong-Pass-123",
            CREATE,
        ),
        get("/console/users/export", "", "AAA AAA AAA FFF AAA FFF"),
        get("/console/users/new", "", ADMINS),
        get("/console/users/{id}", "user", "AAA AAH AHH FFF AAH FFF"),
        post(
            "/console/users/{id}",
            "user",
            "display_name=矩阵目标&role=inspector&department_id=<dept>&certificate_no=AZT00001",
            "PPP PPH PHH FFF FFF FFF",
        ),
        get(
            "/console/users/{id}/edit",
            "user",
            "AAA AAH AHH FFF FFH FFF",
        ),
        post(
            "/console/users/{id}/status",
            "user",
            "status=active",
            "PPP PPH PHH FFF FFF FFF",
        ),
        post(
            "/console/users/{id}/password",
            "user",
            "password=Strong-Pass-789",
            "PPP PPH PHH FFF FFF FFF",
        ),
        post(
            "/console/users/{id}/tokens",
            "user",
            "name=matrix2&valid_days=&back=",
            "PPP PPH PHH FFF FFF FFF",
        ),
        post(
            "/console/tokens/{id}/revoke",
            "token",
            "",
            "PPP PPH PHH FFF FFF FFF",
        ),
        get("/console/account", "", "AAA AAA AAA AAA AAA AAA AAA"),
        // Everyone changes their own password (here with a wrong current one: 422).
        post(
            "/console/account/password",
            "",
            "current_password=wrong&password=Strong-Pass-123",
            "PPP PPP PPP PPP PPP PPP PPP",
        ),
        // Read-only roles hold no API tokens of their own making.
        post(
            "/console/account/tokens",
            "",
            "name=mine&valid_days=",
            "AAA AAA AAA AAA FFF FFF",
        ),
        // ---- Console: departments, sectors, calendar, audit
        get("/console/departments", "", ANY),
        post(
            "/console/departments",
            "",
            "region_code=411121&name=矩阵测试部门<seq>&line=matrix",
            "PPP PPH FFF FFF FFF FFF",
        ),
        post(
            "/console/departments/copy-set",
            "",
            "region_code=411121&set=wuyang-17",
            "PPP PPH FFF FFF FFF FFF",
        ),
        get("/console/departments/export", "", ANY),
        post(
            "/console/departments/{id}/rename",
            "dept",
            "name=县市场监管局",
            "PPP PPH FFH FFH FFH FFH",
        ),
        post(
            "/console/departments/{id}/status",
            "dept",
            "status=active",
            "PPP PPH FFH FFH FFH FFH",
        ),
        get("/console/sectors", "", ANY),
        post("/console/sectors", "", "name=矩阵测试领域<seq>", SYSTEM),
        post("/console/sectors/{id}", "sector", "active=1", SYSTEM),
        get("/console/calendar", "", ANY),
        post(
            "/console/calendar",
            "",
            "date=2027-01-16&kind=workday&name=矩阵测试",
            SYSTEM,
        ),
        post("/console/calendar/import", "", "csv=&year=2027", SYSTEM),
        {
            let mut r = post("/console/calendar/{date}/remove", "", "", SYSTEM);
            r.uri = "/console/calendar/2027-01-16/remove".into();
            r
        },
        get("/console/audit", "", ADMINS),
        get("/console/audit/export", "", ADMINS),
        // ---- Console: directory and tags
        get("/console/directory", "", ANY),
        post(
            "/console/directory",
            "",
            "usci=<fresh_usci>&name=矩阵测试商店二&region_code=411121",
            "PPP PPV PPV FFF FFF FFF",
        ),
        get("/console/directory/new", "", ADMINS),
        get(
            "/console/directory/{id}",
            "entity",
            "AAA AAH AAH AAH AAH AAH",
        ),
        post(
            "/console/directory/{id}",
            "entity",
            "usci=<usci>&name=<entity_name>&region_code=411121",
            "PPP PPH PPH FFH FFH FFH",
        ),
        get(
            "/console/directory/{id}/edit",
            "entity",
            "AAA AAH AAH FFF FFF FFF",
        ),
        post(
            "/console/directory/{id}/tags",
            "entity",
            "tag=<tag>",
            "PPP PPH PFH FFH FFH FFH",
        ),
        post(
            "/console/directory/{id}/tags/remove",
            "entity",
            "tag=<tag>",
            "PPP PPH PFH FFH FFH FFH",
        ),
        get("/console/directory/export", "", ANY),
        get("/console/tags", "", ANY),
        post(
            "/console/tags",
            "",
            "code=AZNEW<seq>&name=矩阵测试标签二&region_code=411121&owner_department_id=<dept>",
            CREATE,
        ),
        // The edit page is shown only to those who may change the tag (`tags::may_edit`).
        get("/console/tags/{id}", "tag_id", "AAA AAF AFF FFF FFF FFF"),
        post(
            "/console/tags/{id}",
            "tag_id",
            "code=<tag>&name=<tag_name>&region_code=411121&owner_department_id=<dept>",
            "PPP PPF PFF FFF FFF FFF",
        ),
        post(
            "/console/tags/{id}/status",
            "tag_id",
            "status=active",
            "PPP PPF PFF FFF FFF FFF",
        ),
        // Without `confirm=1` these show the preview (who gains and loses the tag), with the
        // same authorization; `confirm=1` applies.
        post(
            "/console/tags/rules",
            "",
            "tag=<tag>&kind=scope_keyword&pattern=矩阵测试三&confirm=1",
            "PPP PPF PFF FFF FFF FFF",
        ),
        post(
            "/console/tags/rules/{id}/delete",
            "rule2",
            "confirm=1",
            "PPP PPF PFF FFF FFF FFF",
        ),
        get("/console/claims", "", ADMINS),
        // 审管衔接 pages: the same policy as the API rows above.
        get("/console/licences", "", "AAA AAA AAA FFF AAA AAA"),
        get(
            "/console/licences/{id}",
            "licence",
            "AAA AAH AAH FFF AAH AAH",
        ),
        post(
            "/console/licences/{id}/feedback",
            "licence",
            "kind=notice&content=矩阵测试：监管情况告知审批部门。",
            "PPP PPH PFH FFF FFF FFF",
        ),
        get("/console/licence-feedback", "", "AAA AAA AAA FFF AAA AAA"),
        post(
            "/console/licence-feedback/{id}/read",
            "licence_feedback",
            "",
            "PPP PPH FFF FFF FFF FFF",
        ),
        post(
            "/console/claims/{id}/reject",
            "claim3",
            "reason=矩阵测试",
            "PPP FFF PHH FFF FFF FFF",
        ),
        post(
            "/console/claims/{id}/assign",
            "claim4",
            "department_id=<dept>",
            "HHH HHH FFF FFF FFF FFF",
        ),
        post(
            "/console/claims/{id}/accept",
            "claim5",
            "",
            "PPP FFF PHH FFF FFF FFF",
        ),
        // The batch bar: the role decides whether the batch is heard at all (administering
        // roles get 422 for a batch with no claim checked, others 403); each claim of a batch is
        // then decided by the single action with its own authorization (tests/it/claims.rs).
        post(
            "/console/claims/batch",
            "",
            "action=accept",
            "PPP PPP PPP FFF FFF FFF",
        ),
        // ---- Console: import and export
        // The page explains the templates; the upload itself is refused below.
        get("/console/import", "", ANY),
        Row {
            payload: Payload::Multipart {
                fields: vec![],
                // An empty slice stands for the fixture's template workbook.
                file: Some((
                    "file",
                    "entities.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    b"",
                )),
            },
            ..row("POST", "/console/import/{kind}", "", Payload::None, ADMINS)
        },
        get("/console/import/template/{kind}", "", ANY),
        get("/console/items/export", "", ANY),
        // ---- Console: guides (一业一册): as the API rows above.
        get("/console/guides", "", ANY),
        get("/console/guides/{id}", "item", "AAA AAH AAH AAH AAH AAH"),
        post(
            "/console/guides/{id}/sections",
            "item",
            "kind=notes&body=矩阵测试控制台说明<seq>",
            "PPP PPH PFH FFH FFH FFH",
        ),
        post(
            "/console/guides/{id}/contacts",
            "item",
            "department_id=<dept>&phone=0395-73<seq>",
            "PPP PPH PFH FFH FFH FFH",
        ),
        // ---- Console: items
        get("/console/items", "", ANY),
        post(
            "/console/items",
            "",
            "code=AZ-ITEM-<seq>&name=矩阵测试事项二&region_code=411121&implementation_level=县级&lead_department_id=<dept>&lead_duties=矩阵测试职责&lead_legal_basis=矩阵测试依据&methods=现场检查&object_description=零售药店&object_expr=零售药店",
            "PPP PPF PFF FFF FFF FFF",
        ),
        get("/console/items/new", "", ADMINS),
        get("/console/items/{id}", "item", "AAA AAH AAH AAH AAH AAH"),
        post(
            "/console/items/{id}",
            "item",
            "code=WY-2024-02&name=零售药店监督检查&region_code=411121&implementation_level=县级&lead_department_id=<dept>&lead_duties=矩阵测试职责&lead_legal_basis=矩阵测试依据&methods=现场检查&object_description=零售药店&object_expr=零售药店",
            "PPP PPH PFH FFH FFH FFH",
        ),
        // The form opens for another line's administrator, whose save is refused (403) below.
        get(
            "/console/items/{id}/edit",
            "item",
            "AAA AAH AAH FFF FFF FFF",
        ),
        post(
            "/console/items/{id}/publish",
            "item",
            "",
            "PPP PPH PFH FFH FFH FFH",
        ),
        get(
            "/console/items/{id}/directory",
            "item",
            "AAA AAH AAH AAH AAH AAH",
        ),
        post(
            "/console/items/{id}/retire",
            "item",
            "",
            "PPP PPH PFH FFH FFH FFH",
        ),
        // ---- Console: inspectors
        get("/console/inspectors", "", ANY),
        post(
            "/console/inspectors",
            "",
            "name=矩阵检查员二&certificate_number=AZN<seq>0000&department_id=<dept>&region_code=411121",
            CREATE,
        ),
        get("/console/inspectors/new", "", ADMINS),
        get("/console/inspectors/export", "", ANY),
        get(
            "/console/inspectors/{id}",
            "inspector",
            "AAA AAH AHH HHH AAH AAH",
        ),
        post(
            "/console/inspectors/{id}",
            "inspector",
            "name=<insp_name>&certificate_number=<insp_cert>&department_id=<dept>&region_code=411121",
            "PPP PPH PHH HHH FFH FFH",
        ),
        get(
            "/console/inspectors/{id}/edit",
            "inspector",
            "AAA AAH AHH HHH FFH FFH",
        ),
        post(
            "/console/inspectors/{id}/status",
            "inspector",
            "status=active",
            "PPP PPH PHH HHH FFH FFH",
        ),
        post(
            "/console/inspectors/{id}/qualifications",
            "inspector",
            "qualification=matrix2",
            "PPP PPH PHH HHH FFH FFH",
        ),
        post(
            "/console/inspectors/{id}/qualifications/remove",
            "inspector",
            "qualification=matrix2",
            "PPP PPH PHH HHH FFH FFH",
        ),
        post(
            "/console/inspectors/{id}/conflicts",
            "inspector",
            "entity=<usci>&reason=矩阵测试：亲属",
            "PPP PPH PHH HHH FFH FFH",
        ),
        {
            // A conflict of its own: the API row withdrew the first one.
            let mut r = post(
                "/console/inspectors/{id}/conflicts/{conflict_id}/withdraw",
                "inspector",
                "",
                "PPP PPH PHH HHH FFH FFH",
            );
            r.uri = r.uri.replace("<conflict>", "<conflict2>");
            r
        },
        post(
            "/console/inspectors/{id}/user",
            "inspector",
            "user=az.target",
            "PPP PPH PHH HHH FFH FFH",
        ),
        post(
            "/console/inspectors/{id}/user/unlink",
            "inspector",
            "",
            "PPP PPH PHH HHH FFH FFH",
        ),
        // ---- Console: plans
        get("/console/plans", "", ANY),
        post(
            "/console/plans",
            "",
            "item=WY-2024-02&year=2028&region_code=411121",
            CREATE,
        ),
        get("/console/plans/new", "", ADMINS),
        getq(
            "/console/plans/annual",
            "",
            "year=2026",
            "AAA AAA FFF FFF AAA FFF",
        ),
        getq(
            "/console/plans/annual/export",
            "",
            "year=2026",
            "AAA AAA FFF FFF AAA FFF",
        ),
        get("/console/plans/{id}", "plan", READ),
        post(
            "/console/plans/{id}",
            "plan_draft",
            "item=WY-2024-02&year=2027&region_code=411121&period_start=2027-01-01&period_end=2027-12-31",
            MANAGE,
        ),
        get("/console/plans/{id}/edit", "plan_draft", MANAGE),
        post("/console/plans/{id}/submit", "plan_draft", "", MANAGE),
        post(
            "/console/plans/{id}/return",
            "plan",
            "reason=矩阵测试退回",
            "PPP PPH FHH FHH FFH FFH",
        ),
        post(
            "/console/plans/{id}/approve",
            "plan",
            "",
            "PPP PPH FHH FHH FFH FFH",
        ),
        post(
            "/console/plans/{id}/publish",
            "plan",
            "",
            "PPP PPH FHH FHH FFH FFH",
        ),
        // ---- Console: draws
        get("/console/draws", "", ANY),
        post(
            "/console/draws",
            "",
            "title=矩阵测试抽取二&region=411121&period_start=2027-04-01&period_end=2027-06-30",
            CREATE,
        ),
        // The planner form; committing from it is refused below.
        get("/console/draws/new", "", ANY),
        get("/console/draws/{id}", "draw", "AAA AAH AAH AAH AAH AAH"),
        // A refused action is shown on the draw's page, which another county's callers may
        // not see: 404 for them where the API says 403 for the role.
        post(
            "/console/draws/{id}/execute",
            "draw",
            "",
            "PPP PPH PPH FFH FFH FFH",
        ),
        // The API row has already replaced the draw: the service refuses by state first.
        post(
            "/console/draws/{id}/redraw",
            "draw",
            "reason=矩阵测试重抽",
            "PPP PPH SSH FFH FFH FFH",
        ),
        post(
            "/console/draws/{id}/beacon",
            "draw",
            "value=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
            "PPP PPH PPH FFH FFH FFH",
        ),
        post(
            "/console/draws/{id}/contribution",
            "draw",
            "value=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
            "FFF FFF FFF FFF FFF FFH",
        ),
        {
            // A redirect to the API's opening, which decides (row above); the console adds nothing.
            let mut r = get("/console/draws/{id}/opening", "draw", ANY);
            r.uri.push_str("?usci=<draw_usci>");
            r
        },
        get("/console/witness", "", "FFF FFF FFF FFF FFF AAA"),
        get(
            "/console/import-jobs/{id}",
            "visit",
            "HHH HHH HHH HHH HHH HHH",
        ),
        post(
            "/console/draws/{id}/access-codes",
            "draw",
            "",
            "PPP PPH PPH FFH FFH FFH",
        ),
        post(
            "/console/draws/{id}/access-codes/export",
            "draw",
            "",
            "PPP PPH PPH FFH FFH FFH",
        ),
        // The publication delay (公示延期) of the caller's own region: its coordination office
        // (and system administrators) set it; everybody may read what is in force.
        get("/console/settings", "", ANY),
        post(
            "/console/settings",
            "",
            "publish_delay_days=3",
            "PPP PPP FFF FFF FFF FFF",
        ),
        // ---- Console: visits and follow-ups
        get("/console/visits", "", ANY),
        get("/console/visits/{id}", "visit", READ),
        get("/console/visits/{id}/notice", "visit", READ),
        // The field form is the team's only.
        get(
            "/console/visits/{id}/field",
            "visit",
            "FFF FFH FHH FHH FFH FFH",
        ),
        post(
            "/console/visits/{id}/field",
            "visit",
            "",
            "FFF FFH FHH FHH FFH FFH",
        ),
        Row {
            payload: Payload::Multipart {
                fields: vec![("seq", "1")],
                file: Some(("file", "c.jpg", "image/jpeg", JPEG)),
            },
            ..row(
                "POST",
                "/console/visits/{id}/field/upload",
                "visit",
                Payload::None,
                "FFF FFH FHH FHH FFH FFH",
            )
        },
        // Already published: refused by state first, as the API.
        post(
            "/console/visits/{id}/review",
            "visit",
            "plan_id=<visit_plan>&decision=approve&note=",
            "PPP PPH PHH SHH SSH SSH",
        ),
        post(
            "/console/visits/{id}/publish",
            "visit",
            "",
            "PPP PPH PHH SHH SSH SSH",
        ),
        post(
            "/console/visits/{id}/close",
            "visit",
            "",
            "PPP PPH PHH SHH SSH SSH",
        ),
        // Merging an ad-hoc visit into a random one: refused by role first (inspectors and
        // read-only roles), hidden by scope, then refused by the rule (the fixture's visit is
        // no random visit: 409); the allowed case is in tests/it/staff_queues.rs.
        post(
            "/console/visits/{id}/merge",
            "visit",
            "into=<visit>",
            "PPP PPH PHH FFF FFF FFF",
        ),
        post(
            "/console/visits/{id}/rectifications",
            "visit",
            "plan_id=<visit_plan>&requirements=矩阵测试整改要求&working_days=5&deadline=",
            MANAGE,
        ),
        post(
            "/console/visits/{id}/referrals",
            "visit",
            "to_department_id=<dept_y>&matter=矩阵测试抄告事项",
            MANAGE,
        ),
        post(
            "/console/visits/{id}/transfers",
            "visit",
            "agency=舞阳县公安局&facts=矩阵测试：涉嫌销售假药",
            MANAGE,
        ),
        // ---- console: clues (as the API rows above).
        // Joint sanctions and appeals in the console: the same objects and policy as the API
        // rows above (the task was answered there, so its steps refuse by state: 409 = P).
        // ---- Console: 协查协助 (see the API rows above for the positions).
        get("/console/assistance", "", "AAA AAA AAA AAA AAA AAA AAA"),
        get("/console/assistance/new", "", "AAA AAA AAA FFF FFF FFF FFF"),
        post(
            "/console/assistance",
            "",
            "kind=verification&to_region=411122&subject=矩阵测试主体&legal_basis=矩阵测试依据&needed=矩阵测试：请协助核查&deadline_days=5",
            "PPP PPP PPP FFF FFF FFF FFF",
        ),
        get(
            "/console/assistance/{id}",
            "assistance",
            "AAA AAA AHA AHA AAA AAA HHH",
        ),
        post(
            "/console/assistance/{id}/assign",
            "assistance",
            "department_id=<dept_b>",
            // Only offices assign: other roles are refused by role, before any lookup.
            "PPP FFP FHF FHF FFF FFF FFF",
        ),
        post(
            "/console/assistance/{id}/reassign",
            "assistance",
            "department_id=<dept_b>&reason=矩阵测试：改派",
            "SSS FFS FHS FHS FFF FFF FFF",
        ),
        post(
            "/console/assistance/{id}/refuse",
            "assistance",
            "reason=矩阵测试：不予协助",
            "SSS FFS FHS FHS FFF FFF FFF",
        ),
        post(
            "/console/assistance/{id}/withdraw",
            "assistance",
            "reason=矩阵测试：撤回",
            "SSS SSF SHS FHS FFF FFF FFF",
        ),
        post(
            "/console/assistance/{id}/answer",
            "assistance",
            "answer=矩阵测试：答复",
            "SSS FFS FHS FHS FFF FFF FFF",
        ),
        row(
            "POST",
            "/console/assistance/{id}/attachments",
            "assistance",
            Payload::Multipart {
                fields: vec![],
                file: Some(("file", "a.jpg", "image/jpeg", JPEG)),
            },
            "SSS FFS FHS FHS FFF FFF FFF",
        ),
        post(
            "/console/assistance/{id}/close",
            "assistance",
            "",
            "SSS SSF SHS FHS FFF FFF FFF",
        ),
        post(
            "/console/assistance/{id}/reopen",
            "assistance",
            "reason=矩阵测试：补充",
            "SSS SSF SHS FHS FFF FFF FFF",
        ),
        post(
            "/console/transfers/{id}/assistance",
            "transfer",
            "kind=appraisal&from_party=public_security&legal_basis=矩阵测试依据&needed=矩阵测试：检验鉴定&deadline_days=10",
            "PPP PPH PHH FHH FFH FFH FFF",
        ),
        // ---- Console: 议事会商、情况通报 (see the API rows above for the objects and positions;
        // the task was reported there, so its report form refuses everybody who sees it).
        get("/console/consultations", "", ANY),
        get("/console/consultations/new", "", "AAA AAA AAA FFF FFF FFF"),
        post(
            "/console/consultations",
            "",
            "title=矩阵测试会商&topic=矩阵测试议题&agenda=矩阵测试议程&place=矩阵会议室&meets_at=2026-12-10T09:00&participant=<dept>",
            "PPP PPP PPP FFF FFF FFF",
        ),
        get("/console/consultations/{id}", "consultation", READ),
        row(
            "POST",
            "/console/consultations/{id}/materials",
            "consultation",
            Payload::Multipart {
                fields: vec![],
                file: Some(("file", "a.jpg", "image/jpeg", JPEG)),
            },
            "SSS SSH SHH FHH FFH FFH",
        ),
        post(
            "/console/consultations/{id}/hold",
            "consultation",
            "",
            "SSS SSH SHH FHH FFH FFH",
        ),
        post(
            "/console/consultations/{id}/minutes",
            "consultation",
            "minutes=矩阵测试纪要&decision=矩阵测试决定",
            "SSS SSH SHH FHH FFH FFH",
        ),
        post(
            "/console/consultations/{id}/cancel",
            "consultation",
            "reason=矩阵测试：取消",
            "SSS SSH SHH FHH FFH FFH",
        ),
        get("/console/consultation-tasks", "", ANY),
        get("/console/consultation-tasks/export", "", ANY),
        get("/console/consultation-tasks/{id}", "consult_task", READ),
        row(
            "POST",
            "/console/consultation-tasks/{id}/report",
            "consult_task",
            Payload::Multipart {
                fields: vec![("report", "矩阵测试：已完成")],
                file: None,
            },
            "FFF FFH SHH SHH FFH FFH",
        ),
        post(
            "/console/consultation-tasks/{id}/supervise",
            "consult_task",
            "reason=矩阵测试：请尽快办理",
            "PPP PPH FHH FHH FFH FFH",
        ),
        get("/console/circulars", "", ANY),
        get("/console/circulars/new", "", "AAA AAA AAA FFF FFF FFF"),
        post(
            "/console/circulars",
            "",
            "title=矩阵测试通报&body=矩阵测试通报内容&department_id=<dept>",
            "PPP PPV PPV FFF FFF FFF",
        ),
        get("/console/circulars/{id}", "circular", READ),
        post("/console/circulars/{id}/remind", "circular", "", MANAGE),
        get("/console/warnings", "", ANY),
        get("/console/warnings/{id}", "warning", READ),
        post(
            "/console/warnings/{id}/sign",
            "warning",
            "",
            "FFF FFH PHH PHH FFH FFH",
        ),
        post(
            "/console/warnings/{id}/handle",
            "warning",
            "note=矩阵测试：处置",
            "FFF FFH PHH PHH FFH FFH",
        ),
        post(
            "/console/warnings/{id}/assess",
            "warning",
            "note=",
            "PPP PPH PHH FHH FFH FFH",
        ),
        post(
            "/console/warnings/{id}/decide",
            "warning",
            "minutes=矩阵测试：会商纪要&decision=矩阵测试：研判结论",
            "PPP PPH PHH FHH FFH FFH",
        ),
        post(
            "/console/warnings/{id}/close",
            "warning",
            "reason=矩阵测试：已办结",
            "FFF FFH PHH PHH FFH FFH",
        ),
        post(
            "/console/warnings/{id}/to-clue",
            "warning",
            "note=",
            "FFF FFH PHH PHH FFH FFH",
        ),
        // 转为检查 from the warning's page: as its API row (the same service decides).
        post(
            "/console/warnings/{id}/to-visit",
            "warning",
            "item_ids=&inspector_ids=&period_start=&period_end=",
            "PPP PPH PHH FHH FFH FFH",
        ),
        get("/console/warning-rules", "", ANY),
        post(
            "/console/warning-rules",
            "",
            r#"code=YJ-MATRIX-3&name=矩阵测试规则&sector=食品&level=blue&condition={"type":"silence","minutes":60}&push={"lines":["market"]}&plan=[{"name":"核查","deadline":{"hours":4}}]&active=on"#,
            "PPP PPP FFF FFF FFF FFF",
        ),
        get("/console/warning-rules/{id}", "warning_rule", ANY),
        post(
            "/console/warning-rules/{id}",
            "warning_rule",
            r#"code=YJ-MATRIX-1&name=矩阵测试规则&sector=食品&level=blue&condition={"type":"silence","minutes":60}&push={"lines":["market"]}&plan=[{"name":"核查","deadline":{"hours":4}}]&active=on"#,
            "PPP PPP FFF FFF FFF FFF",
        ),
        // IoT devices in the console, as in the API.
        get("/console/devices", "", ANY),
        get("/console/devices/new", "", ADMINS),
        // The export lists what the list shows (scope narrows it; nobody is refused).
        get("/console/devices/export", "", ANY),
        post(
            "/console/devices",
            "",
            "external_id=MATRIX-CON-<seq>&kind=gas_alarm&entity_usci=<usci>&department_id=<dept>&location=矩阵测试后厨&silence_minutes=30&status=active",
            CREATE,
        ),
        get("/console/devices/{id}", "device", READ),
        get(
            "/console/devices/{id}/edit",
            "device",
            "AAA AAH AHH FFF FFF FFF",
        ),
        post(
            "/console/devices/{id}",
            "device",
            "external_id=MATRIX-FR-1&kind=cold_chain_thermometer&entity_usci=<usci>&department_id=<dept>&location=矩阵测试冷库&thresholds=temperature=7&status=active",
            "PPP PPH PHH FFF FFF FFF",
        ),
        get("/console/sanctions", "", ANY),
        get("/console/sanctions/measures", "", ANY),
        post(
            "/console/sanctions/measures",
            "",
            "name=矩阵测试控制台措施&legal_basis=矩阵测试法律依据&department_id=<dept>&subject_type=entity&default_months=6",
            "PPP PPV FFF FFF FFF FFF",
        ),
        get("/console/sanctions/batches/new", "", ADMINS),
        post(
            "/console/sanctions/batches",
            "",
            "reason=矩阵测试：惩戒事由&legal_basis=矩阵测试法律依据&measure_ids=<measure>&subjects=<entity_usci>",
            "PPP PPV PPV FFF FFF FFF",
        ),
        get("/console/sanctions/tasks/{id}", "sanction_task", READ),
        Row {
            payload: Payload::Multipart {
                fields: vec![],
                file: Some(("file", "t.jpg", "image/jpeg", JPEG)),
            },
            ..row(
                "POST",
                "/console/sanctions/tasks/{id}/attachments",
                "sanction_task",
                Payload::None,
                "FFF FFH PHH PHH FFH FFH",
            )
        },
        post(
            "/console/sanctions/tasks/{id}/apply",
            "sanction_task",
            "feedback=矩阵测试：已执行",
            "FFF FFH PHH PHH FFH FFH",
        ),
        post(
            "/console/sanctions/tasks/{id}/decline",
            "sanction_task",
            "reason=矩阵测试：无法执行",
            "FFF FFH PHH PHH FFH FFH",
        ),
        post(
            "/console/sanctions/tasks/{id}/supervise",
            "sanction_task",
            "reason=矩阵测试：请尽快反馈",
            "PPP PPH FHH FHH FFH FFH",
        ),
        get("/console/sanctions/batches/{id}", "sanction_batch", READ),
        post(
            "/console/sanctions/batches/{id}/approve",
            "sanction_batch",
            "",
            "PPP PPH FHH FHH FFH FFH",
        ),
        post(
            "/console/sanctions/batches/{id}/return",
            "sanction_batch",
            "reason=矩阵测试：请补充材料",
            "PPP PPH FHH FHH FFH FFH",
        ),
        post(
            "/console/sanctions/batches/{id}/resubmit",
            "sanction_batch",
            "reason=矩阵测试：已补充",
            "PFF PFH PHH FHH FFH FFH",
        ),
        get("/console/sanctions/appeals", "", ANY),
        get(
            "/console/sanctions/appeals/{id}",
            "appeal",
            "AAA AAH AAH AAH AAH AAH",
        ),
        post(
            "/console/sanctions/appeals/{id}/decide",
            "appeal",
            "verdict=reject&reason=矩阵测试：理由不成立",
            "PPP PPH PFH FFH FFH FFH",
        ),
        // Console: data sharing, the same policy as its API rows (an allowed change is shown
        // the "not configured" refusal on the page, 422).
        get("/console/sharing", "", SHARING_READ),
        post(
            "/console/sharing/shares",
            "",
            "name=矩阵测试&kind=directory_changes&direction=up&consumer=city&method=push&frequency=realtime&time_limit_hours=24&confidentiality=internal",
            SYSTEM,
        ),
        nil_id(post(
            "/console/sharing/shares/{id}/approve",
            "share",
            "",
            SYSTEM,
        )),
        nil_id(post(
            "/console/sharing/shares/{id}/status",
            "share",
            "to=suspended",
            SYSTEM,
        )),
        nil_id(post(
            "/console/sharing/dead-letters/{id}/retry",
            "dead_letter",
            "",
            SYSTEM,
        )),
        // Console: the risk model, the same policy as its API rows.
        get("/console/risk", "", "AAA AAA AAA FFF AAA AAA"),
        post(
            "/console/risk",
            "",
            "region_code=411121&train_from=2025-01-01&train_to=2025-06-30&eval_to=2025-09-30",
            "PPP PPV FFF FFF FFF FFF",
        ),
        get(
            "/console/risk/models/{id}",
            "risk_model",
            "AAA AAH AAH FFF AAH AAH",
        ),
        get(
            "/console/risk/entities/{id}",
            "entity",
            "AAA AAH AAH FFF AAH AAH",
        ),
        // Console: credit evaluation (信用评价), the same policy as its API rows.
        get("/console/credit/evaluations", "", ANY),
        post(
            "/console/credit/evaluations",
            "",
            "region_code=411121",
            "PPP PPV FFF FFF FFF FFF",
        ),
        get(
            "/console/credit/evaluations/{id}",
            "credit_run",
            "AAA AAH AAH AAH AAH AAH",
        ),
        get(
            "/console/credit/evaluations/{id}/export",
            "credit_run",
            "AAA AAH AAH AAH AAH AAH",
        ),
        get("/console/credit/indexes", "", ANY),
        post(
            "/console/credit/indexes",
            "",
            "name=矩阵页面指标<seq>&region_code=411121&sanctions_on=1&sanctions_weight=100&sanctions_each=10&threshold_a=90&threshold_b=70&threshold_c=50",
            "PPP PPV FFV FFF FFF FFF",
        ),
        get(
            "/console/credit/indexes/{id}",
            "credit_index",
            "AAA AAH AAH AAH AAH AAH",
        ),
        // Version 1 is outdated once the API row has edited it: allowed callers get 409 (P).
        post(
            "/console/credit/indexes/{id}",
            "credit_index",
            "version=1&name=矩阵页面修订&sanctions_on=1&sanctions_weight=100&sanctions_each=10&threshold_a=90&threshold_b=70&threshold_c=50",
            "PPP PPH FFH FFF FFF FFF",
        ),
        get(
            "/console/credit/entities/{id}",
            "entity",
            "AAA AAH AAH AAH AAH AAH",
        ),
        post(
            "/console/credit/entities/{id}/override",
            "entity",
            "class=B&reason=矩阵测试：页面调整",
            "PPP PPH FFF FFF FFF FFF",
        ),
        get("/console/clues", "", ANY),
        get("/console/clues/new", "", "AAA AAA AAA AAA FFF FFF"),
        get("/console/clues/export", "", ANY),
        get("/console/clues/rates", "", ANY),
        get("/console/clues/rates/export", "", ANY),
        get("/console/analysis", "", ANALYSTS),
        get("/console/analysis/export", "", ANALYSTS),
        get("/console/analysis/actions", "", ANALYSTS),
        post("/console/analysis/refresh", "", "", REBUILDERS),
        // 批量签收: read-only roles are refused; for the others each clue is then taken by the
        // single step with its own authorization (the fixture's clue is signed already, so its
        // row reports the refusal and the page answers 200; tests/it/clue_desk.rs).
        post(
            "/console/clues/batch",
            "",
            "action=sign&ids=<clue>",
            "PPP PPP PPP PPP FFF FFF",
        ),
        post(
            "/console/clues",
            "",
            "source=hotline_12345&kind=complaint&urgency=normal&content=矩阵测试：药店销售过期药品&address=舞阳县城关镇&region_code=411121",
            "PPP PPV PPV PPV FFF FFF",
        ),
        get("/console/clues/{id}", "clue", READ),
        post(
            "/console/clues/{id}/dispatch",
            "clue",
            "department_id=<dept>",
            "PPP PPH FHH FHH FFH FFH",
        ),
        post(
            "/console/clues/{id}/reassign",
            "clue",
            "department_id=<dept>&reason=矩阵测试：改派",
            "PPP PPH FHH FHH FFH FFH",
        ),
        post(
            "/console/clues/{id}/sign",
            "clue",
            "",
            "PPP PPH PHH PHH FFH FFH",
        ),
        post(
            "/console/clues/{id}/return",
            "clue",
            "reason=矩阵测试：不属于本部门职责",
            "PPP PPH PHH PHH FFH FFH",
        ),
        post(
            "/console/clues/{id}/extension",
            "clue",
            "days=3&reason=矩阵测试：需抽样检验",
            "PPP PPH PHH PHH FFH FFH",
        ),
        post(
            "/console/clues/{id}/extension/decision",
            "clue",
            "verdict=approve&reason=",
            "PPP PPH FHH FHH FFH FFH",
        ),
        post(
            "/console/clues/{id}/finish",
            "clue",
            "result=矩阵测试：已核查办结&finding=substantiated",
            "PPP PPH PHH PHH FFH FFH",
        ),
        Row {
            payload: Payload::Multipart {
                fields: vec![],
                file: Some(("file", "d.jpg", "image/jpeg", JPEG)),
            },
            ..row(
                "POST",
                "/console/clues/{id}/attachments",
                "clue",
                Payload::None,
                "PPP PPH PHH PHH FFH FFH",
            )
        },
        // 分办规则与办理时限: the offices' page (as the API rows).
        get("/console/clues/routing", "", "AAA AAA FFF FFF FFF FFF"),
        post(
            "/console/clues/routing/routes",
            "",
            "keyword=矩阵页面&department_id=<dept>",
            "PPP PPP FFF FFF FFF FFF",
        ),
        post(
            "/console/clues/routing/routes/{id}/delete",
            "clue_route2",
            "",
            "PPP PPH FFF FFF FFF FFF",
        ),
        post(
            "/console/clues/routing/deadlines",
            "",
            "source=hotline_12345&sign_days=1&return_days=2&finish_days=5",
            "PPP PPP FFF FFF FFF FFF",
        ),
        post(
            "/console/clues/routing/deadlines/delete",
            "",
            "source=hotline_12345",
            "PPP PPP FFF FFF FFF FFF",
        ),
        post(
            "/console/clues/{id}/dispute",
            "clue",
            "reason=矩阵测试：职责不清",
            "PPP PPH FHH FHH FFH FFH",
        ),
        post(
            "/console/clues/{id}/decide",
            "clue",
            "rule=nearest&department_id=<dept>&reason=矩阵测试：裁定",
            "PPP PPH FHH FHH FFH FFH",
        ),
        post(
            "/console/clues/{id}/supervise",
            "clue",
            "reason=矩阵测试：督办",
            "PPP PPH FHH FHH FFH FFH",
        ),
        post(
            "/console/clues/{id}/urge",
            "clue",
            "reason=矩阵测试：催办",
            "PPP PPH FHH FHH FFH FFH",
        ),
        post(
            "/console/clues/{id}/transfer",
            "clue",
            "region_code=411122&reason=矩阵测试：转办",
            "PPP PPH FHH FHH FFH FFH",
        ),
        post(
            "/console/clues/{id}/merge",
            "clue",
            "into=XS-none",
            "PPP PPH FHH FHH FFH FFH",
        ),
        post(
            "/console/clues/{id}/revisit",
            "clue",
            "satisfaction=satisfied",
            "PPP PPH FHH FHH FFH FFH",
        ),
        post(
            "/console/clues/{id}/join-visit",
            "clue",
            "visit_id=<visit>",
            MANAGE,
        ),
        post(
            "/console/clues/{id}/verify",
            "clue",
            "period_start=2026-12-08&period_end=2026-12-10",
            MANAGE,
        ),
        get("/console/results", "", "AAA AAA AAA FFF AAA AAA"),
        get("/console/results/export", "", "AAA AAA AAA FFF AAA AAA"),
        get("/console/rectifications", "", ANY),
        get("/console/rectifications/{id}", "order", READ),
        get("/console/rectifications/{id}/print", "order", READ),
        post(
            "/console/rectifications/{id}/report",
            "order",
            "report=矩阵测试：已整改",
            MANAGE,
        ),
        post(
            "/console/rectifications/{id}/recheck",
            "order",
            "verdict=passed&note=矩阵测试：复查合格",
            MANAGE,
        ),
        get("/console/referrals", "", ANY),
        // The referral is Y's too: Y's line sees it.
        get(
            "/console/referrals/{id}",
            "referral",
            "AAA AAH AAH AAH AAH AAH",
        ),
        get(
            "/console/referrals/{id}/print",
            "referral",
            "AAA AAH AAH AAH AAH AAH",
        ),
        post(
            "/console/referrals/{id}/answer",
            "referral",
            "feedback=矩阵测试：已核查",
            "PPP PPH FPH FPH FFH FFH",
        ),
        get("/console/transfers", "", "AAA AAA AAA AAA AAA AAA AAA"),
        get(
            "/console/transfers/{id}",
            "transfer",
            "AAA AAH AHH AHH AAH AAH AAH",
        ),
        get("/console/transfers/{id}/print", "transfer", READ),
        post(
            "/console/transfers/{id}/feedback",
            "transfer",
            "verdict=accepted&feedback=矩阵测试：已立案",
            MANAGE,
        ),
        // 文书设置: like the publication delay, the region's own office only.
        post(
            "/console/settings/documents",
            "",
            "reconsideration_body=&court=",
            "PPP PPP FFF FFF FFF FFF",
        ),
        // ---- Credit entries (信用记录, issue 15): shared by every line of a region like the
        // directory; recorded by the deciding department's administrator or the office. The
        // fixture's entry is an abnormal-operation listing of X, removed by the first allowed
        // caller (later ones get 409).
        get("/api/v1/credit/entries", "", ANY),
        json(
            "POST",
            "/api/v1/credit/entries",
            "",
            r#"{"usci":"<draw_usci>","kind":"commendation","occurred_on":"2026-11-01","title":"矩阵测试表彰","department_id":"<dept>"}"#,
            CREATE,
        ),
        get("/api/v1/credit/entries/export.xlsx", "", ANY),
        get(
            "/api/v1/credit/entries/{id}",
            "credit_entry",
            "AAA AAH AAH AAH AAH AAH",
        ),
        // Removal: X's administrator (Y's sees it but may not), the office, the system admin.
        json(
            "POST",
            "/api/v1/credit/entries/{id}/removal",
            "credit_entry",
            r#"{"removed_on":"2026-11-20","reason":"矩阵测试移出"}"#,
            "PPP PPH PFH FFF FFF FFF",
        ),
        get(
            "/api/v1/entities/{id}/credit",
            "entity",
            "AAA AAH AAH AAH AAH AAH",
        ),
        {
            let mut r = getq("/api/v1/public/credit", "", "q=%E8%88%9E%E9%98%B3", PUBLIC);
            r.anon = 'A';
            r
        },
        public("/api/v1/public/credit/{usci}", ""),
        get("/console/credit", "", ANY),
        post(
            "/console/credit",
            "",
            "usci=<draw_usci>&kind=commendation&occurred_on=2026-11-01&title=矩阵测试表彰&department_id=<dept>",
            CREATE,
        ),
        get("/console/credit/new", "", ADMINS),
        get("/console/credit/export", "", ANY),
        get(
            "/console/credit/{id}",
            "credit_entry",
            "AAA AAH AAH AAH AAH AAH",
        ),
        post(
            "/console/credit/{id}/removal",
            "credit_entry",
            "removed_on=2026-11-20&reason=矩阵测试移出",
            "PPP PPH PFH FFF FFF FFF",
        ),
        // Registering an appeal from the entry's page: as the API's row, except that county B,
        // which does not see the entry, gets the console's 404 page.
        post(
            "/console/credit/{id}/appeal",
            "credit_entry",
            "kind=objection&applicant=矩阵测试申请人&statement=矩阵测试：记录有误",
            "PPP PPH PPH FFF FFF FFF",
        ),
        get(
            "/console/directory/{id}/credit",
            "entity",
            "AAA AAH AAH AAH AAH AAH",
        ),
        public("/credit", ""),
        public("/credit/{usci}", ""),
        // 信用异议 from the portal: open to all; the post carries the page's own CSRF token and a
        // solved challenge, which the matrix does not fetch: refused (403) for every caller.
        // Tested in credit.rs (portal objections).
        public("/credit/objection", ""),
        {
            let mut r = post(
                "/credit/objection",
                "",
                "usci=91411121MA0000000X&entry_id=x&contact=%E5%BC%A0%E4%B8%89&phone=13800000000&statement=authz",
                "FFF FFF FFF FFF FFF FFF",
            );
            r.anon = 'F';
            r
        },
        // Last: signing out ends the caller's session for every later row.
        // Signing out ends the session and sends everybody to the sign-in page.
        post("/console/logout", "", "", "UUU UUU UUU UUU UUU UUU UUU"),
    ]
}
