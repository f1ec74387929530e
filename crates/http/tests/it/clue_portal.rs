//! 投诉举报 and 进度查询 on the portal (issue 14 item 7) through the real router, on SQLite and
//! PostgreSQL: the form page, a clue sent with the real challenge solved, every bad field named,
//! attachments too large, too many or of the wrong type, the challenge missing, forged,
//! replayed, expired or answered wrongly, the limit per client address (429 with
//! `Retry-After`), and the tracking page by code and check code — with nothing personal or
//! internal on it, one generic answer for every miss, and its own limit.

use crate::common::*;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use lianjian_services::clues::portal::work_bits;
use serde_json::json;

on_both_backends!(
    template = DEMO, setup = app;
    the_form_takes_a_clue_and_the_tracking_page_follows_it,
    every_bad_field_is_named,
    attachments_are_bounded_and_checked_by_content,
    the_challenge_is_required_signed_once_and_fresh,
    one_address_may_send_five_clues_an_hour,
    tracking_misses_are_one_answer_and_limited,
);

const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0portal-clue-photo";
const PDF: &[u8] = b"%PDF-1.4\n% portal clue\n";

/// The form page as a browser gets it: its cookie, CSRF token, challenge and bits.
struct Page {
    cookie: String,
    csrf: String,
    token: String,
    bits: u32,
    body: String,
}

pub(crate) fn attr_after(body: &str, marker: &str) -> String {
    let i = body
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in page"))
        + marker.len();
    body[i..].split('"').next().unwrap().to_string()
}

pub(crate) fn cookie_of(r: &Resp) -> String {
    r.headers
        .get(header::SET_COOKIE)
        .expect("CSRF cookie")
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

pub(crate) fn solve(token: &str, bits: u32) -> String {
    (0u64..)
        .find(|n| work_bits(token, &n.to_string()) >= bits)
        .unwrap()
        .to_string()
}

pub(crate) fn from(ip: [u8; 4]) -> ConnectInfo<SocketAddr> {
    ConnectInfo(SocketAddr::from((ip, 40000)))
}

impl App {
    async fn clue_page(&self) -> Page {
        let r = self.get("/clues/new", None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        Page {
            cookie: cookie_of(&r),
            csrf: csrf_of(&r.body),
            token: attr_after(&r.body, "name=\"challenge\" id=\"challenge\" value=\""),
            bits: attr_after(&r.body, "data-bits=\"").parse().unwrap(),
            body: r.body,
        }
    }

    /// Posts the form from `ip` with `fields` (the CSRF token added) and `files`.
    async fn send_clue(
        &self,
        p: &Page,
        ip: [u8; 4],
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Resp {
        let b = "----portalboundary";
        let mut body = Vec::new();
        let mut part = |name: &str, value: &str| {
            body.extend(
                format!(
                    "--{b}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        };
        part("_csrf", &p.csrf);
        for (k, v) in fields {
            part(k, v);
        }
        for (name, ct, bytes) in files {
            body.extend(format!("--{b}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: {ct}\r\n\r\n").as_bytes());
            body.extend(*bytes);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{b}--\r\n").as_bytes());
        let mut req = Request::builder()
            .method("POST")
            .uri("/clues/new")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={b}"),
            )
            .header(header::COOKIE, &p.cookie)
            .body(Body::from(body))
            .unwrap();
        req.extensions_mut().insert(from(ip));
        self.send(req).await
    }

    async fn track(&self, ip: [u8; 4], code: &str, check: &str) -> Resp {
        let page = self.get("/clues/track", None).await;
        let mut req = Request::builder()
            .method("POST")
            .uri("/clues/track")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie_of(&page))
            .body(Body::from(format!(
                "_csrf={}&code={}&check={}",
                csrf_of(&page.body),
                enc(code),
                enc(check)
            )))
            .unwrap();
        req.extensions_mut().insert(from(ip));
        self.send(req).await
    }
}

/// A complete named complaint with the challenge solved.
fn good(p: &Page) -> Vec<(&'static str, String)> {
    vec![
        ("kind", "complaint".into()),
        (
            "content",
            "城关镇人民路某药店销售过期药品，店员拒绝退换。".into(),
        ),
        ("region_code", "411121".into()),
        ("address", "舞阳县城关镇人民路 18 号".into()),
        ("entity_name", "舞阳县某大药房".into()),
        ("anonymous", "0".into()),
        ("complainant_name", "赵小雨".into()),
        ("complainant_phone", "13912345678".into()),
        ("consent", "1".into()),
        ("challenge", p.token.clone()),
        ("work", solve(&p.token, p.bits)),
    ]
}

fn with<'a>(
    base: &'a [(&'static str, String)],
    changes: &[(&'static str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut out: Vec<(&str, &str)> = base
        .iter()
        .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    out.extend(changes.iter().filter(|(_, v)| !v.is_empty()).copied());
    out
}

fn codes_of(body: &str) -> (String, String) {
    let code = attr_after(body, "id=\"clue-code\">")
        .split('<')
        .next()
        .unwrap()
        .to_string();
    let check = attr_after(body, "id=\"check-code\">")
        .split('<')
        .next()
        .unwrap()
        .to_string();
    (code, check)
}

async fn the_form_takes_a_clue_and_the_tracking_page_follows_it(app: App) {
    let p = app.clue_page().await;
    // A phone-ready page: labels, input modes, the region picker, our own script only.
    for needle in [
        "<label class=\"form-label\" for=\"content\"",
        "inputmode=\"tel\"",
        "type=\"tel\"",
        "enctype=\"multipart/form-data\"",
        "<option value=\"411121\"",
        "<script src=\"/assets/portal-clue.js\"></script>",
        "name=\"consent\"",
    ] {
        assert!(p.body.contains(needle), "{needle}");
    }
    assert!(!p.body.contains("<script>"), "no inline script");
    let js = app.get("/assets/portal-clue.js", None).await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(js.body.contains("crypto.subtle.digest"));
    // The menu and the home page lead here.
    let home = app.get("/", None).await;
    assert!(home.body.contains("href=\"/clues/new\""));
    assert!(home.body.contains("href=\"/clues/track\""));

    let fields = good(&p);
    let r = app
        .send_clue(
            &p,
            [10, 0, 0, 1],
            &with(&fields, &[]),
            &[
                ("photo.jpg", "image/jpeg", JPEG),
                ("bill.pdf", "application/pdf", PDF),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("含 2 个附件"), "{}", r.body);
    assert!(r.body.contains("只显示这一次"));
    let (code, check) = codes_of(&r.body);
    assert!(code.starts_with("XS-411121-"), "{code}");
    assert_eq!(check.len(), 11, "{check}");

    // Registered with source portal; the office sees the complainant, the API the attachments' links.
    let office = app.token("wy.office").await;
    let list = app
        .get_json("/api/v1/clues?queue=all&per_page=200", &office)
        .await;
    let c = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code.as_str())
        .expect("the clue in the office's list")
        .clone();
    assert_eq!(c["source"], "portal");
    assert_eq!(c["kind"], "complaint");
    assert_eq!(c["complainant"]["name"], "赵小雨");
    assert!(c["content"].as_str().unwrap().contains("舞阳县某大药房"));
    let id = c["id"].as_str().unwrap().to_string();
    // The clue's page lists both files; staff of the county open them from the evidence log.
    let d = app.get_json(&format!("/api/v1/clues/{id}"), &office).await;
    let files = d["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{d}");
    let sha = files[0]["sha256"].as_str().unwrap();
    let r = app
        .api(
            "GET",
            &format!("/api/v1/evidence/{sha}"),
            Some(&office),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let page = app
        .get(
            &format!("/console/clues/{id}"),
            Some(&app.login("wy.office").await),
        )
        .await;
    assert!(
        page.body.contains(files[1]["filename"].as_str().unwrap()),
        "{}",
        page.body
    );

    // Tracking: right code and check code (typed in lower case, without the dash).
    let r = app
        .track(
            [10, 0, 0, 2],
            &code.to_lowercase(),
            &check.replace('-', "").to_lowercase(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("已受理，待分派"), "{}", r.body);
    assert!(r.body.contains("尚未分派"));

    // Dispatched, signed and finished by the market department.
    let market = app.token("wy.market").await;
    let x = app.department(&office, "411121", "县市场监管局").await;
    let r = app
        .post(
            &format!("/api/v1/clues/{id}/dispatch"),
            &office,
            json!({"department_id": x}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.track([10, 0, 0, 2], &code, &check).await;
    assert!(r.body.contains("已分派，待承办部门签收"), "{}", r.body);
    assert!(r.body.contains("县市场监管局"));
    let r = app
        .post(&format!("/api/v1/clues/{id}/sign"), &market, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .post(
            &format!("/api/v1/clues/{id}/finish"),
            &market,
            json!({"result": "经现场核查，该药店确有过期药品，已立案查处并责令下架。", "finding": "属实"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.track([10, 0, 0, 2], &code, &check).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("已办结"));
    assert!(r.body.contains("已立案查处并责令下架"));
    // Nothing personal, no staff.
    let finished = app.get_json(&format!("/api/v1/clues/{id}"), &office).await;
    for secret in [
        "赵小雨",
        "13912345678",
        "139****5678",
        "wy.market",
        "wy.office",
        finished["timeline"][1]["actor_name"].as_str().unwrap(),
        finished["timeline"][2]["actor_name"].as_str().unwrap(),
    ] {
        assert!(!r.body.contains(secret), "{secret} on the tracking page");
    }
}

async fn every_bad_field_is_named(app: App) {
    let p = app.clue_page().await;
    let fields = good(&p);
    let r = app
        .send_clue(
            &p,
            [10, 0, 1, 1],
            &with(
                &fields,
                &[
                    ("kind", "lottery"),
                    ("content", "短"),
                    ("region_code", ""),
                    ("address", ""),
                    ("entity_usci", "91411121XXXXXXXX"),
                    ("complainant_name", ""),
                    ("complainant_phone", "12345"),
                    ("consent", ""),
                ],
            ),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for field in [
        "kind",
        "region_code",
        "complainant_name",
        "complainant_phone",
        "consent",
    ] {
        assert!(
            r.body.contains(&format!("id=\"{field}-error\"")),
            "{field}: {}",
            r.body
        );
    }
    assert!(r.body.contains("请选择反映类型"));
    assert!(r.body.contains("请选择事发地区"));
    assert!(r.body.contains("实名反映请填写姓名"));
    assert!(r.body.contains("联系电话“12345”不正确"));
    assert!(r.body.contains("请阅读并勾选"));
    // What was typed comes back.
    assert!(r.body.contains("舞阳县某大药房"));
    // The clue's own rules (content, address, credit code) once the form's are met.
    let p = app.clue_page().await;
    let fields = good(&p);
    let r = app
        .send_clue(
            &p,
            [10, 0, 1, 1],
            &with(
                &fields,
                &[
                    ("content", "短"),
                    ("address", ""),
                    ("entity_usci", "91411121XXXXXXXX"),
                ],
            ),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for field in ["content", "address", "entity_usci"] {
        assert!(
            r.body.contains(&format!("id=\"{field}-error\"")),
            "{field}: {}",
            r.body
        );
    }
    // Anonymous: neither name nor phone needed, and what was typed is not kept.
    let p = app.clue_page().await;
    let fields = good(&p);
    let r = app
        .send_clue(
            &p,
            [10, 0, 1, 1],
            &with(&fields, &[("anonymous", "1"), ("complainant_phone", "")]),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (code, _) = codes_of(&r.body);
    let office = app.token("wy.office").await;
    let list = app
        .get_json("/api/v1/clues?queue=all&per_page=200", &office)
        .await;
    let c = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code.as_str())
        .unwrap()
        .clone();
    assert_eq!(c["complainant"]["anonymous"], true);
    assert!(c["complainant"]["name"].is_null(), "{c}");
    // Without the page's CSRF token: 403, nothing stored.
    let mut forged = app.clue_page().await;
    forged.csrf = "0".repeat(64);
    let fields = good(&forged);
    let r = app
        .send_clue(&forged, [10, 0, 1, 1], &with(&fields, &[]), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("页面已过期或来源不明"));
}

async fn attachments_are_bounded_and_checked_by_content(app: App) {
    let ip = [10, 0, 2, 1];
    // Too large: refused naming the file, before the rest is read.
    let big = {
        let mut v = JPEG.to_vec();
        v.resize(5 * 1024 * 1024 + 1, 0);
        v
    };
    let p = app.clue_page().await;
    let fields = good(&p);
    let r = app
        .send_clue(
            &p,
            ip,
            &with(&fields, &[]),
            &[("big.jpg", "image/jpeg", &big)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"files-error\""));
    assert!(r.body.contains("big.jpg"), "{}", r.body);
    // A text file called a photo: the content decides.
    let p = app.clue_page().await;
    let fields = good(&p);
    let r = app
        .send_clue(
            &p,
            ip,
            &with(&fields, &[]),
            &[("photo.jpg", "image/jpeg", b"just some text, not a photo")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"files-error\""));
    assert!(r.body.contains("photo.jpg"), "{}", r.body);
    // Four files: at most three.
    let p = app.clue_page().await;
    let fields = good(&p);
    let four: Vec<(&str, &str, &[u8])> = (0..4).map(|_| ("p.jpg", "image/jpeg", JPEG)).collect();
    let r = app.send_clue(&p, ip, &with(&fields, &[]), &four).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("附件最多 3 个"), "{}", r.body);
    // A body announced larger than the form may be: refused unread.
    let p = app.clue_page().await;
    let mut req = Request::builder()
        .method("POST")
        .uri("/clues/new")
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
        .header(header::CONTENT_LENGTH, (20 * 1024 * 1024).to_string())
        .header(header::COOKIE, &p.cookie)
        .body(Body::from("--x--\r\n"))
        .unwrap();
    req.extensions_mut().insert(from(ip));
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    // None of these stored a clue.
    let office = app.token("wy.office").await;
    let list = app
        .get_json("/api/v1/clues?queue=all&per_page=200", &office)
        .await;
    assert!(
        !list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["source"] == "portal")
    );
}

async fn the_challenge_is_required_signed_once_and_fresh(app: App) {
    let ip = [10, 0, 3, 1];
    let errs = |r: &Resp| {
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    };
    // Missing.
    let p = app.clue_page().await;
    let fields = good(&p);
    let r = app
        .send_clue(
            &p,
            ip,
            &with(&fields, &[("challenge", ""), ("work", "")]),
            &[],
        )
        .await;
    errs(&r);
    assert!(r.body.contains("缺少人机验证"), "{}", r.body);
    // Forged: another expiry under the same signature, or work that does not meet the bits.
    let p = app.clue_page().await;
    let fields = good(&p);
    let mut parts: Vec<String> = p.token.split('.').map(str::to_string).collect();
    parts[1] = (parts[1].parse::<i64>().unwrap() + 86_400).to_string();
    let longer = parts.join(".");
    let work = solve(&longer, p.bits);
    let r = app
        .send_clue(
            &p,
            ip,
            &with(&fields, &[("challenge", &longer), ("work", &work)]),
            &[],
        )
        .await;
    errs(&r);
    assert!(r.body.contains("人机验证无效"), "{}", r.body);
    let unsolved = (0u64..)
        .find(|n| work_bits(&p.token, &n.to_string()) < p.bits)
        .unwrap()
        .to_string();
    let r = app
        .send_clue(&p, ip, &with(&fields, &[("work", &unsolved)]), &[])
        .await;
    errs(&r);
    assert!(r.body.contains("人机验证未完成"), "{}", r.body);
    // Solved once: good; the same again: replayed.
    let r = app.send_clue(&p, ip, &with(&fields, &[]), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.send_clue(&p, ip, &with(&fields, &[]), &[]).await;
    errs(&r);
    assert!(r.body.contains("已使用过"), "{}", r.body);
    // The question instead of the work (no scripts): a wrong answer names the field.
    let p = app.clue_page().await;
    let fields = good(&p);
    let r = app
        .send_clue(
            &p,
            ip,
            &with(&fields, &[("work", ""), ("answer", "99")]),
            &[],
        )
        .await;
    errs(&r);
    assert!(r.body.contains("id=\"answer-error\""), "{}", r.body);
    // …and the right one, read from the page, is accepted.
    let q = attr_after(&p.body, "验证问题：");
    let digit = |c: char| "零一二三四五六七八九".chars().position(|d| d == c).unwrap();
    let mut cs = q.chars();
    let a = digit(cs.next().unwrap());
    let b = digit(cs.nth(1).unwrap());
    let sum = (a + b).to_string();
    let r = app
        .send_clue(
            &p,
            ip,
            &with(&fields, &[("work", ""), ("answer", &sum)]),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Expired: the page was left open past its hour.
    let p = app.clue_page().await;
    let fields = good(&p);
    app.svc.clock.advance(chrono::Duration::minutes(61));
    let r = app.send_clue(&p, ip, &with(&fields, &[]), &[]).await;
    errs(&r);
    assert!(r.body.contains("人机验证已过期"), "{}", r.body);
}

async fn one_address_may_send_five_clues_an_hour(app: App) {
    let ip = [10, 0, 4, 1];
    for i in 0..5 {
        let p = app.clue_page().await;
        let fields = good(&p);
        // Different phones, so only the address counts.
        let phone = format!("1391234560{i}");
        let r = app
            .send_clue(
                &p,
                ip,
                &with(&fields, &[("complainant_phone", &phone)]),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{i}: {}", r.body);
    }
    let p = app.clue_page().await;
    let fields = good(&p);
    let r = app
        .send_clue(
            &p,
            ip,
            &with(&fields, &[("complainant_phone", "13912345609")]),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    let retry: u64 = r.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 3600, "{retry}");
    assert!(r.body.contains("分钟后"), "{}", r.body);
    // Another address is not held up; the same phone a fourth time within a day is.
    for (i, ip) in [[10, 0, 4, 2], [10, 0, 4, 3], [10, 0, 4, 4]]
        .iter()
        .enumerate()
    {
        let p = app.clue_page().await;
        let fields = good(&p);
        let r = app
            .send_clue(
                &p,
                *ip,
                &with(&fields, &[("complainant_phone", "13700000000")]),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{i}: {}", r.body);
    }
    let p = app.clue_page().await;
    let fields = good(&p);
    let r = app
        .send_clue(
            &p,
            [10, 0, 4, 5],
            &with(&fields, &[("complainant_phone", "137 0000 0000")]),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    // An hour later the address may send again.
    app.svc.clock.advance(chrono::Duration::minutes(61));
    let p = app.clue_page().await;
    let fields = good(&p);
    let r = app
        .send_clue(
            &p,
            ip,
            &with(&fields, &[("complainant_phone", "13912345619")]),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

async fn tracking_misses_are_one_answer_and_limited(app: App) {
    let p = app.clue_page().await;
    let fields = good(&p);
    let r = app
        .send_clue(&p, [10, 0, 5, 1], &with(&fields, &[]), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (code, check) = codes_of(&r.body);
    let ip = [10, 0, 5, 2];
    // A wrong check code and an unknown code read the same.
    let wrong = app.track(ip, &code, "ABCDE-FGHJK").await;
    let unknown = app.track(ip, "XS-411121-2026-99999", &check).await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let msg = "未查到与该线索编号和查询码相符的记录";
    assert!(wrong.body.contains(msg) && unknown.body.contains(msg));
    assert!(!wrong.body.contains("id=\"tracking\""));
    // Without the page's token: 403.
    let r = app
        .form(
            "/clues/track",
            None,
            &format!("code={}&check={}", enc(&code), enc(&check)),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Ten misses from one address within 15 minutes, then 429 — even for the right codes.
    for _ in 0..8 {
        let r = app.track(ip, &code, "ZZZZZ-ZZZZZ").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    let r = app.track(ip, &code, &check).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    // Another address finds it.
    let r = app.track([10, 0, 5, 3], &code, &check).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}
