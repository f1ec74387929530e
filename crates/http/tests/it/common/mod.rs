//! The HTTP test harness: the real router on a fresh copy of a database seeded with the demo
//! data (seeded once per backend per test run, see `lianjian_store::testing`), request helpers,
//! and the two-backend test macro (`on_both_backends!(template = DEMO, setup = app; …)`).

#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use lianjian_services::{Services, accounts, demo};
use lianjian_store::Store;
pub use lianjian_store::on_both_backends;
use lianjian_store::testing::{Template, TestDb};
use serde_json::Value;
use tower::ServiceExt;

pub struct App {
    pub router: Router,
    pub svc: Services,
    pub _db: TestDb,
    /// Evidence files and the log's signing key, removed on drop.
    pub evidence_dir: tempfile::TempDir,
}

/// The demo data, seeded once per backend per test process; each test gets a copy.
pub static DEMO: Template = Template {
    name: "demo",
    prepare: seed_demo,
};

fn seed_demo(store: &Store) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send + '_>> {
    Box::pin(async move {
        // The seed writes nothing to the evidence folder; pointing it at a temporary folder
        // keeps a change that would from writing into the source tree.
        let evidence_dir = tempfile::tempdir().expect("evidence folder");
        let svc = Services::new(store.clone(), Default::default()).with_evidence(
            lianjian_services::evidence::EvidenceConfig {
                dir: evidence_dir.path().to_path_buf(),
                ..Default::default()
            },
        );
        demo::seed_base(&svc).await.expect("demo seed");
    })
}

/// The router on `db`, a copy of [`DEMO`].
pub async fn app(db: TestDb) -> App {
    let evidence_dir = tempfile::tempdir().expect("evidence folder");
    // An adjustable clock (the system clock until a test moves it): a beacon-witnessed draw
    // can then be executed after its beacon's date within the test.
    let svc = Services::new(db.store.clone(), Default::default())
        .with_clock(lianjian_services::clock::Clock::adjustable())
        .with_evidence(lianjian_services::evidence::EvidenceConfig {
            dir: evidence_dir.path().to_path_buf(),
            ..Default::default()
        });
    svc.ensure_index().await.expect("directory index");
    let router = lianjian_http::router(lianjian_http::AppState {
        svc: svc.clone(),
        secure_cookies: false,
    });
    App {
        router,
        svc,
        _db: db,
        evidence_dir,
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The fields an error names.
    pub fn fields(&self) -> Vec<String> {
        self.json()["error"]["details"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|d| d["field"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl App {
    pub async fn send(&self, req: Request<Body>) -> Resp {
        let r = self.router.clone().oneshot(req).await.unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        // Lossy: exports are binary xlsx; pages and JSON are UTF-8.
        let bytes = r.into_body().collect().await.unwrap().to_bytes();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(s) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(s.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        self.send(req).await
    }

    pub async fn token(&self, username: &str) -> String {
        let actor = lianjian_services::cli_actor();
        let u = accounts::find_user(&self.svc, &actor, username)
            .await
            .unwrap();
        accounts::create_token(&self.svc, &actor, u.id, "test", None)
            .await
            .unwrap()
            .1
    }

    pub async fn form(&self, path: &str, cookie: Option<&str>, body: &str) -> Resp {
        let mut b = Request::builder()
            .method("POST")
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::from(body.to_string())).unwrap())
            .await
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Resp {
        let mut b = Request::builder().uri(path);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    /// Posts the sign-in form as a browser does: first the page, for its CSRF token and cookie.
    pub async fn login_form(&self, body: &str) -> Resp {
        let page = self.get("/console/login", None).await;
        let cookie = page
            .headers
            .get(header::SET_COOKIE)
            .expect("sign-in CSRF cookie")
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let token = csrf_of(&page.body);
        self.form(
            "/console/login",
            Some(&cookie),
            &format!("{body}&_csrf={token}"),
        )
        .await
    }

    pub async fn login(&self, username: &str) -> String {
        let r = self
            .login_form(&format!(
                "username={username}&password={}&next=/console",
                demo::DEMO_PASSWORD
            ))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let set = r
            .headers
            .get(header::SET_COOKIE)
            .expect("session cookie")
            .to_str()
            .unwrap()
            .to_string();
        set.split(';').next().unwrap().to_string()
    }
}

/// Percent-encodes a query-string value.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A multipart upload of an xlsx file as the console's import form sends it.
pub fn multipart(csrf: &str, file: &[u8], skip: bool) -> (String, Vec<u8>) {
    let b = "----lianjianboundary";
    let mut body = Vec::new();
    body.extend(
        format!("--{b}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n")
            .as_bytes(),
    );
    if skip {
        body.extend(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"skip_invalid\"\r\n\r\n1\r\n")
                .as_bytes(),
        );
    }
    body.extend(format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload.xlsx\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    body.extend(file);
    body.extend(format!("\r\n--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

impl App {
    /// POST of a JSON body with a token (`body` by value or by reference).
    pub async fn post(
        &self,
        path: &str,
        token: &str,
        body: impl std::borrow::Borrow<Value>,
    ) -> Resp {
        self.api("POST", path, Some(token), Some(&body.borrow().to_string()))
            .await
    }

    /// Any method with a JSON body and a token.
    pub async fn call(&self, method: &str, path: &str, token: &str, body: Value) -> Resp {
        self.api(method, path, Some(token), Some(&body.to_string()))
            .await
    }

    /// GET with a session cookie, the body as bytes (exports are binary).
    pub async fn bytes(&self, path: &str, cookie: &str) -> (StatusCode, Vec<u8>) {
        let req = Request::builder()
            .uri(path)
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap();
        let r = self.router.clone().oneshot(req).await.unwrap();
        let status = r.status();
        (
            status,
            r.into_body().collect().await.unwrap().to_bytes().to_vec(),
        )
    }

    /// GET that must answer 200, as JSON.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        let r = self.api("GET", path, Some(token), None).await;
        assert_eq!(r.status, StatusCode::OK, "GET {path}: {}", r.body);
        r.json()
    }

    /// The id of the one department of `region` whose name contains `q`.
    pub async fn department(&self, token: &str, region: &str, q: &str) -> String {
        let d = self
            .get_json(
                &format!("/api/v1/departments?region={region}&q={}", enc(q)),
                token,
            )
            .await;
        assert_eq!(d["total"], 1, "{d}");
        d["items"][0]["id"].as_str().unwrap().to_string()
    }
}

pub fn csrf_of(page: &str) -> String {
    let i =
        page.find("name=\"_csrf\" value=\"").expect("csrf field") + "name=\"_csrf\" value=\"".len();
    page[i..i + 64].to_string()
}

/// The demo's published visit and the follow-ups tests create on it.
impl App {
    /// POST of a JSON body that must answer 201 Created; the created resource.
    pub async fn created(&self, path: &str, token: &str, body: Value) -> Value {
        let r = self.post(path, token, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "POST {path}: {}", r.body);
        r.json()
    }

    /// The demo's published visit id, as the market department sees it.
    pub async fn published_visit(&self, token: &str) -> String {
        let l = self
            .get_json("/api/v1/visits?status=published", token)
            .await;
        l["items"][0]["visit"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("a published visit: {l}"))
            .to_string()
    }

    /// A referral (抄告) of `visit` to Wuyang's health department, sent by `token`'s
    /// department; the referral as created.
    pub async fn refer_to_health(&self, token: &str, visit: &str, matter: &str) -> Value {
        let to = self.department(token, "411121", "卫生健康").await;
        self.created(
            &format!("/api/v1/visits/{visit}/referrals"),
            token,
            serde_json::json!({"to_department_id": to, "matter": matter}),
        )
        .await
    }

    /// A case transfer (案件移送) of `visit` to Wuyang's police, by `token`'s department; the
    /// transfer as created.
    pub async fn transfer_to_police(&self, token: &str, visit: &str, facts: &str) -> Value {
        self.created(
            &format!("/api/v1/visits/{visit}/transfers"),
            token,
            serde_json::json!({"agency": "舞阳县公安局", "facts": facts}),
        )
        .await
    }
}
