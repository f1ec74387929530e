//! Official documents (执法文书): what every printed notice (检查通知书, 责令整改通知书) must
//! carry besides its matter — the issuing authority's legal name, and the remedies clause
//! telling the party where and within what time it may seek administrative reconsideration
//! (行政复议法 2023 第二十条: 60 days; 第二十四条: a county's or city's department is reviewed by
//! that level's people's government) or sue (行政诉讼法 第四十六条: 6 months; 第十八条: the
//! court where the authority is located). The region's coordination office may name both bodies
//! when they cannot be derived (联席办设置 → 文书设置).

use lianjian_domain::department::legal_name;
use lianjian_domain::region::RegionLevel;
use uuid::Uuid;

use crate::{Result, ServiceError, Services, regions};

/// Lines whose authorities are reviewed by the next higher authority of the line instead of
/// the local government (行政复议法 2023 第二十七条: customs, finance, foreign exchange, tax,
/// state security).
const VERTICAL_LINES: &[&str] = &[
    "customs",
    "tax",
    "financial_regulation",
    "foreign_exchange",
    "state_security",
];

/// Who issues a notice, as the notice names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    /// 机关全称, e.g. 舞阳县卫生健康委员会.
    pub legal_name: String,
    /// Where the party applies for reconsideration, e.g. 舞阳县人民政府.
    pub reconsideration_body: String,
    /// Where the party may sue, e.g. 舞阳县人民法院.
    pub court: String,
    /// The people's procuratorate of the authority's level, which receives a copy of every case
    /// transfer (《行政执法机关移送涉嫌犯罪案件的规定》: the transfer letter is copied to the
    /// procuratorate of the same level), e.g. 舞阳县人民检察院.
    pub procuratorate: String,
}

impl Issuer {
    /// The remedies clause (救济途径告知) every notice ends with.
    pub fn remedies(&self) -> String {
        format!(
            "你单位如不服本通知，可以自收到本通知书之日起六十日内向{}申请行政复议，或者自收到本通知书之日起六个月内向{}提起行政诉讼。",
            self.reconsideration_body, self.court
        )
    }
}

/// The issuer of notices of department `department_id`.
pub async fn issuer(svc: &Services, department_id: Uuid) -> Result<Issuer> {
    let d = lianjian_store::departments::get(svc.store.conn(), department_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let lineage = regions::lineage(svc, &d.region_code).await?;
    let named: Vec<(RegionLevel, &str)> =
        lineage.iter().map(|r| (r.level, r.name.as_str())).collect();
    let derived = derive(&lineage, &d.line);
    // What the region's office set wins over what is derived (issue 13 item 4).
    let set = lianjian_store::office_settings::documents(svc.store.conn(), &d.region_code).await?;
    let (reconsideration_body, court) = match set {
        Some(s) => (
            Some(s.reconsideration_body)
                .filter(|b| !b.is_empty())
                .unwrap_or(derived.0),
            Some(s.court).filter(|c| !c.is_empty()).unwrap_or(derived.1),
        ),
        None => derived,
    };
    let procuratorate = match lineage.last() {
        Some(r) => format!("{}人民检察院", r.name),
        None => "同级人民检察院".to_string(),
    };
    Ok(Issuer {
        legal_name: legal_name(&d.name, &named),
        reconsideration_body,
        court,
        procuratorate,
    })
}

/// The reconsideration body and the court derived from a department's region (its lineage,
/// province first) and line, when the office has not named them.
fn derive(lineage: &[regions::Region], line: &str) -> (String, String) {
    let own = lineage.last().map(|r| r.name.clone()).unwrap_or_default();
    let level = lineage.last().map(|r| r.level);
    let body = if VERTICAL_LINES.contains(&line) {
        "上一级主管部门".to_string()
    } else {
        format!("{own}人民政府")
    };
    // A county's departments are sued in the county's basic court; which basic court of a
    // city or province hears a case against its departments is not derivable from the region.
    let court = match level {
        Some(RegionLevel::County | RegionLevel::Township) => format!("{own}人民法院"),
        _ => "有管辖权的人民法院".to_string(),
    };
    (body, court)
}

/// What the remedies clause of a region's (non-vertical) departments names when its office sets
/// nothing: shown beside the office's 文书设置 form.
pub async fn derived_bodies(
    svc: &Services,
    region: &lianjian_domain::region::RegionCode,
) -> Result<(String, String)> {
    Ok(derive(&regions::lineage(svc, region).await?, ""))
}

/// The legal provisions a notice cites (法律依据): the distinct non-empty bases, in order.
pub fn provisions<'a>(bases: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for b in bases {
        let b = b.trim();
        if !b.is_empty() && !out.iter().any(|x| x == b) {
            out.push(b.to_string());
        }
    }
    out
}

/// Where Chromium is: `LIANJIAN_CHROMIUM`, else the usual install paths (Debian `chromium`).
fn chromium() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("LIANJIAN_CHROMIUM") {
        return Some(p.into());
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
        "/usr/bin/google-chrome-stable",
    ]
    .iter()
    .map(std::path::PathBuf::from)
    .find(|p| p.exists())
}

/// At most two Chromium processes at a time: each takes a few hundred MB.
static PDF_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
/// The last PDFs made, by the SHA-256 of their HTML: the same page downloaded again is not
/// rendered again (a download link cannot be used to keep Chromium busy).
static PDF_CACHE: std::sync::Mutex<Vec<([u8; 32], std::sync::Arc<Vec<u8>>)>> =
    std::sync::Mutex::new(Vec::new());
const PDF_CACHE_LEN: usize = 64;
const PDF_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// A self-contained HTML page (styles inline, no scripts, no outside resources) printed to
/// PDF by headless Chromium — the engine the printed notices are checked with — on the page
/// size its print CSS asks for (A4). Refused with a clear message when Chromium is not
/// installed (the page itself still prints from the browser).
pub async fn pdf(html: &str) -> Result<Vec<u8>> {
    use sha2::Digest;
    let key: [u8; 32] = sha2::Sha256::digest(html.as_bytes()).into();
    if let Some((_, b)) = PDF_CACHE
        .lock()
        .map_err(|_| internal("pdf cache poisoned"))?
        .iter()
        .find(|(k, _)| *k == key)
    {
        return Ok(b.as_ref().clone());
    }
    let Some(bin) = chromium() else {
        return Err(ServiceError::refused(
            "服务器未安装 Chromium，暂不能生成 PDF；请在页面上使用“打印”另存为 PDF",
            "Chromium is not installed on the server; print the page to PDF from the browser",
        ));
    };
    let _slot = PDF_SLOTS
        .acquire()
        .await
        .map_err(|_| internal("pdf slots closed"))?;
    let dir = std::env::temp_dir().join(format!("lianjian-pdf-{}", Uuid::now_v7()));
    let out = render_in(&bin, &dir, html).await;
    let _ = tokio::fs::remove_dir_all(&dir).await;
    let bytes = out?;
    let mut cache = PDF_CACHE
        .lock()
        .map_err(|_| internal("pdf cache poisoned"))?;
    if cache.len() >= PDF_CACHE_LEN {
        cache.remove(0);
    }
    cache.push((key, std::sync::Arc::new(bytes.clone())));
    Ok(bytes)
}

fn internal(what: &str) -> ServiceError {
    ServiceError::internal(lianjian_store::StoreError::Corrupt(what.to_string()))
}

async fn render_in(bin: &std::path::Path, dir: &std::path::Path, html: &str) -> Result<Vec<u8>> {
    let io = |e: std::io::Error| internal(&format!("pdf: {e}"));
    tokio::fs::create_dir_all(dir).await.map_err(io)?;
    let page = dir.join("page.html");
    let out = dir.join("page.pdf");
    tokio::fs::write(&page, html).await.map_err(io)?;
    let mut cmd = tokio::process::Command::new(bin);
    cmd.arg("--headless")
        .arg("--no-sandbox")
        .arg("--disable-gpu")
        .arg("--disable-dev-shm-usage")
        .arg("--disable-extensions")
        .arg("--no-first-run")
        .arg("--no-pdf-header-footer")
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--print-to-pdf={}", out.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    let status = tokio::time::timeout(PDF_TIMEOUT, cmd.status())
        .await
        .map_err(|_| internal("pdf: chromium timed out"))?
        .map_err(io)?;
    let bytes = tokio::fs::read(&out).await.map_err(io)?;
    if !status.success() && bytes.is_empty() || !bytes.starts_with(b"%PDF") {
        return Err(internal(&format!("pdf: chromium exited with {status}")));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remedies_name_the_bodies_and_time_limits() {
        let i = Issuer {
            legal_name: "舞阳县卫生健康委员会".into(),
            reconsideration_body: "舞阳县人民政府".into(),
            court: "舞阳县人民法院".into(),
            procuratorate: "舞阳县人民检察院".into(),
        };
        let r = i.remedies();
        assert!(r.contains("六十日内向舞阳县人民政府申请行政复议"), "{r}");
        assert!(r.contains("六个月内向舞阳县人民法院提起行政诉讼"), "{r}");
    }

    #[test]
    fn provisions_are_distinct_and_ordered() {
        assert_eq!(
            provisions([
                "《药品管理法》第五十三条",
                " ",
                "《药品管理法》第五十三条",
                "《药品经营质量管理规范》"
            ]),
            vec!["《药品管理法》第五十三条", "《药品经营质量管理规范》"]
        );
    }
}
