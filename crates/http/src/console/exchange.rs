//! Excel in and out from the console: templates, uploads (all-or-nothing, or skipping invalid
//! rows with a downloadable error report) and xlsx exports of the directory and the item list.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use lianjian_services::accounts::SessionAuth;
use lianjian_services::directory::SearchInput;
use lianjian_services::exchange::jobs::{self, ImportJob, ImportJobStatus};
use lianjian_services::exchange::{self, CellError, ImportOutcome};
use lianjian_services::items::ItemQuery;
use lianjian_services::{ServiceError, Services};

use super::{Chrome, ConsoleError, PathId, check_csrf, render};
use crate::AppState;
use crate::api::params::Params;
use crate::extract::Console;

/// An xlsx download named `name`.
pub(crate) fn xlsx(name: &str, bytes: Vec<u8>) -> Response {
    let encoded = crate::extract::urlencode(name);
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"export.xlsx\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response()
}

fn kind_name(kind: &str) -> Option<(&'static str, &'static str)> {
    match kind {
        "entities" => Some(("监管对象", "监管对象导入模板.xlsx")),
        "items" => Some(("监管事项", "监管事项导入模板.xlsx")),
        "inspectors" => Some(("检查人员", "执法检查人员库导入模板.xlsx")),
        "credit" => Some(("信用记录", "信用记录导入模板.xlsx")),
        "licences" => Some(("审批结果", "审批结果导入模板.xlsx")),
        "devices" => Some(("物联设备", "物联设备导入模板.xlsx")),
        _ => None,
    }
}

pub async fn template(
    State(st): State<AppState>,
    Console(s): Console,
    Path(kind): Path<String>,
) -> Result<Response, ConsoleError> {
    match (kind.as_str(), kind_name(&kind)) {
        ("entities", Some((_, file))) => Ok(xlsx(file, exchange::entity_template())),
        ("items", Some((_, file))) => Ok(xlsx(file, exchange::item_template())),
        ("inspectors", Some((_, file))) => Ok(xlsx(
            file,
            exchange::inspector_template_for(&st.svc, &s.actor).await?,
        )),
        ("credit", Some((_, file))) => Ok(xlsx(file, exchange::credit::template())),
        ("licences", Some((_, file))) => Ok(xlsx(file, exchange::licensing::template())),
        ("devices", Some((_, file))) => Ok(xlsx(file, exchange::devices::template())),
        _ => Err(ConsoleError::not_found()),
    }
}

pub struct ErrorRow {
    sheet: String,
    row: u32,
    column: String,
    value: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "console/import.html")]
struct ImportPage {
    c: Chrome,
    can_import: bool,
    result: Option<ResultView>,
    jobs: Vec<JobView>,
}

/// An import job as the console shows it.
pub struct JobView {
    id: String,
    kind: &'static str,
    file_name: String,
    status: &'static str,
    running: bool,
    failed: bool,
    uploader: String,
    total: u64,
    valid: u64,
    written: u64,
    undone: u64,
    inserted: u64,
    updated: u64,
    unchanged: u64,
    skipped: u64,
    claims: u64,
    errors: u64,
    message: String,
    /// 0–100 of the current phase (writing, or undoing).
    percent: u64,
    created_at: String,
    finished_at: String,
}

fn local_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn job_view(j: &ImportJob) -> JobView {
    let percent = |done: u64, of: u64| (done * 100).checked_div(of).map_or(100, |p| p.min(100));
    JobView {
        id: j.id.to_string(),
        kind: kind_name(&j.kind).map(|k| k.0).unwrap_or("数据"),
        file_name: j.file_name.clone(),
        status: j.status.label_zh(),
        running: !j.status.is_final(),
        failed: matches!(
            j.status,
            ImportJobStatus::Failed | ImportJobStatus::RolledBack | ImportJobStatus::Undoing
        ),
        uploader: j.uploader_name.clone(),
        total: j.total,
        valid: j.valid,
        written: j.written,
        undone: j.undone,
        inserted: j.inserted,
        updated: j.updated,
        unchanged: j.unchanged,
        skipped: j.skipped,
        claims: j.claims_created,
        errors: j.errors,
        message: j.message.clone().unwrap_or_default(),
        percent: match j.status {
            ImportJobStatus::Undoing | ImportJobStatus::RolledBack => percent(j.undone, j.written),
            _ => percent(j.written, j.valid),
        },
        created_at: local_time(j.created_at),
        finished_at: j.finished_at.map(local_time).unwrap_or_default(),
    }
}

async fn recent_jobs(svc: &Services, s: &SessionAuth) -> Vec<JobView> {
    if !can_import(s) {
        return Vec::new();
    }
    jobs::recent(svc, &s.actor, 10)
        .await
        .map(|js| js.iter().map(job_view).collect())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "console/import_job.html")]
struct JobPage {
    c: Chrome,
    j: JobView,
}

/// One import job with its progress; the page reloads itself every 2 s until the job ends.
pub async fn job(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
) -> Result<Response, ConsoleError> {
    let j = jobs::get(&st.svc, &s.actor, id).await?;
    let c = Chrome::new(&st.svc, &s, "import").await;
    Ok(render(JobPage { c, j: job_view(&j) }))
}

struct ResultView {
    kind: String,
    imported: bool,
    inserted: u64,
    updated: u64,
    unchanged: u64,
    skipped: u64,
    claims: u64,
    errors: Vec<ErrorRow>,
    more_errors: usize,
    /// The error report as a data URL for the browser to download.
    report_href: Option<String>,
    /// The import job that writes the file (directory imports).
    job: Option<String>,
    /// Still writing in the background: the job's page shows how far.
    writing: bool,
}

fn can_import(s: &SessionAuth) -> bool {
    use lianjian_domain::account::Role;
    matches!(
        s.actor.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin
    )
}

pub async fn page(
    State(st): State<AppState>,
    Console(s): Console,
) -> Result<Response, ConsoleError> {
    let c = Chrome::new(&st.svc, &s, "import").await;
    let jobs = recent_jobs(&st.svc, &s).await;
    Ok(render(ImportPage {
        can_import: can_import(&s),
        c,
        result: None,
        jobs,
    }))
}

const SHOWN_ERRORS: usize = 500;

fn view(kind: &str, o: ImportOutcome) -> ResultView {
    let imported = o.processed() > 0 || o.errors.is_empty();
    let more_errors = o.errors.len().saturating_sub(SHOWN_ERRORS);
    ResultView {
        kind: kind_name(kind).map(|k| k.0).unwrap_or_default().to_string(),
        imported,
        inserted: o.report.inserted,
        updated: o.report.updated,
        unchanged: o.report.unchanged,
        skipped: o.skipped,
        claims: o.report.claims_created,
        more_errors,
        errors: o
            .errors
            .iter()
            .take(SHOWN_ERRORS)
            .map(|e: &CellError| ErrorRow {
                sheet: e.sheet.clone(),
                row: e.row,
                column: if e.column.is_empty() {
                    String::new()
                } else {
                    format!("{}（{}列）", e.column, e.column_letter)
                },
                value: e.value.clone(),
                reason: e.reason.clone(),
            })
            .collect(),
        report_href: o.error_report.map(|b| {
            use base64::Engine;
            format!(
                "data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(b)
            )
        }),
        job: None,
        writing: false,
    }
}

/// Upload: a multipart form with `_csrf`, `file` and optional `skip_invalid`.
pub async fn upload(
    State(st): State<AppState>,
    Console(s): Console,
    Path(kind): Path<String>,
    mut form: Multipart,
) -> Result<Response, ConsoleError> {
    if kind_name(&kind).is_none() {
        return Err(ConsoleError::not_found());
    }
    let (mut csrf, mut file, mut skip) = (String::new(), None::<Vec<u8>>, false);
    let mut file_name = String::new();
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                match name.as_str() {
                    "_csrf" => csrf = field.text().await.unwrap_or_default(),
                    "skip_invalid" => skip = true,
                    "file" => {
                        file_name = field.file_name().unwrap_or_default().to_string();
                        match field.bytes().await {
                            Ok(b) if !b.is_empty() => file = Some(b.to_vec()),
                            Ok(_) => {}
                            Err(e) => {
                                return upload_failed(
                                    &st.svc,
                                    &s,
                                    &format!("上传中断或文件过大（上限 32 MB）：{e}"),
                                )
                                .await;
                            }
                        }
                    }
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(e) => {
                return upload_failed(
                    &st.svc,
                    &s,
                    &format!("上传中断或文件过大（上限 32 MB）：{e}"),
                )
                .await;
            }
        }
    }
    check_csrf(&s, &csrf)?;
    let Some(bytes) = file else {
        return upload_failed(&st.svc, &s, "请选择要上传的 xlsx 文件").await;
    };
    let outcome = match kind.as_str() {
        "entities" => return upload_entities(st, s, &file_name, bytes, skip).await,
        "inspectors" => exchange::import_inspectors(&st.svc, &s.actor, &bytes, skip, &|_| {}).await,
        "credit" => exchange::credit::import(&st.svc, &s.actor, &bytes, skip, &|_| {}).await,
        "licences" => exchange::licensing::import(&st.svc, &s.actor, &bytes, skip, &|_| {}).await,
        "devices" => exchange::devices::import(&st.svc, &s.actor, &bytes, skip, &|_| {}).await,
        _ => exchange::import_items(&st.svc, &s.actor, &bytes, skip, &|_| {}).await,
    };
    match outcome {
        Ok(o) => result_page(&st.svc, &s, view(&kind, o)).await,
        Err(ServiceError::Invalid(fields)) => {
            let msg = fields
                .iter()
                .map(|f| f.message.clone())
                .collect::<Vec<_>>()
                .join("；");
            upload_failed(&st.svc, &s, &msg).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The import page with a result: 200, or 422 when the file had errors.
async fn result_page(
    svc: &Services,
    s: &SessionAuth,
    result: ResultView,
) -> Result<Response, ConsoleError> {
    let status = if result.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let c = Chrome::new(svc, s, "import").await;
    let jobs = recent_jobs(svc, s).await;
    Ok((
        status,
        render(ImportPage {
            can_import: true,
            c,
            result: Some(result),
            jobs,
        }),
    )
        .into_response())
}

/// How long the upload's answer waits for the job to finish writing before it sends the
/// browser to the job's page instead (the job goes on either way: it does not belong to the
/// request, so a closed tab cannot stop it half-way).
const WAIT_FOR_JOB: std::time::Duration = std::time::Duration::from_secs(3);

/// A directory file: checked during the request (problems come back at once, as for every
/// import), then written by an import job in the background.
async fn upload_entities(
    st: AppState,
    s: SessionAuth,
    file_name: &str,
    bytes: Vec<u8>,
    skip: bool,
) -> Result<Response, ConsoleError> {
    let checked =
        match exchange::check_entities(&st.svc, &s.actor, file_name, &bytes, skip, &|_| {}).await {
            Ok(c) => c,
            Err(ServiceError::Invalid(fields)) => {
                let msg = fields
                    .iter()
                    .map(|f| f.message.clone())
                    .collect::<Vec<_>>()
                    .join("；");
                return upload_failed(&st.svc, &s, &msg).await;
            }
            Err(e) => return Err(e.into()),
        };
    drop(bytes);
    let job_id = checked.job.id;
    let checked_outcome = checked.outcome.clone();
    let (svc, actor) = (st.svc.clone(), s.actor.clone());
    let mut writing = tokio::spawn(async move {
        jobs::write_entities(
            &svc,
            &actor,
            checked,
            &jobs::JobOptions::from_env(),
            &|_| {},
        )
        .await
    });
    match tokio::time::timeout(WAIT_FOR_JOB, &mut writing).await {
        Ok(Ok(Ok((_, o)))) => {
            let mut v = view("entities", o);
            v.job = Some(job_id.to_string());
            result_page(&st.svc, &s, v).await
        }
        Ok(Ok(Err(e))) => Err(e.into()),
        Ok(Err(e)) => {
            tracing::error!(error = %e, job = %job_id, "import job task failed");
            Err(ServiceError::refused(
                "导入任务异常结束，请查看任务状态",
                "the import job ended abnormally",
            )
            .into())
        }
        Err(_) if checked_outcome.errors.is_empty() => Ok((
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/console/import-jobs/{job_id}"))],
        )
            .into_response()),
        Err(_) => {
            // Rows were skipped: show them (and their report) now, the writing on its page.
            let mut v = view("entities", checked_outcome);
            v.job = Some(job_id.to_string());
            v.writing = true;
            v.imported = true;
            result_page(&st.svc, &s, v).await
        }
    }
}

async fn upload_failed(
    svc: &Services,
    s: &SessionAuth,
    msg: &str,
) -> Result<Response, ConsoleError> {
    let mut c = Chrome::new(svc, s, "import").await;
    c.notice = None;
    let result = ResultView {
        kind: String::new(),
        imported: false,
        inserted: 0,
        updated: 0,
        unchanged: 0,
        skipped: 0,
        claims: 0,
        errors: vec![ErrorRow {
            sheet: String::new(),
            row: 0,
            column: String::new(),
            value: String::new(),
            reason: msg.to_string(),
        }],
        more_errors: 0,
        report_href: None,
        job: None,
        writing: false,
    };
    let jobs = recent_jobs(svc, s).await;
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        render(ImportPage {
            can_import: can_import(s),
            c,
            result: Some(result),
            jobs,
        }),
    )
        .into_response())
}

/// The directory search as xlsx, with the list page's filters.
pub async fn export_entities(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    let usci = p.one("usci").to_ascii_uppercase();
    let name = p.one("q");
    let input = SearchInput {
        q: if name.is_empty() { usci } else { name },
        region: p.one("region"),
        tags: p.many("tag"),
        credit: p.one("credit"),
        entity_type: p.one("entity_type"),
        reg_status: p.one("reg_status"),
        item: p.one("item"),
        sort: p.one("sort"),
    };
    let b = exchange::export_entities(&st.svc, &s.actor, &input).await?;
    Ok(xlsx("监管对象名录.xlsx", b))
}

pub async fn export_items(
    State(st): State<AppState>,
    Console(s): Console,
) -> Result<Response, ConsoleError> {
    let b = exchange::export_items(&st.svc, &s.actor, &ItemQuery::default()).await?;
    Ok(xlsx("监管事项清单.xlsx", b))
}
