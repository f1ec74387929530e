//! Open311 GeoReport v2 under `/open311/v2/` (<http://wiki.open311.org/GeoReport_v2>): service
//! discovery, services and their definitions, posting a request (API key), requests with their
//! filters, one request, tokens — each as `.json` or `.xml`, errors as the spec's list
//! (`[{"code":400,"description":"…"}]` / `<errors><error>…</error></errors>`). Every GET is
//! public; what it publishes is decided in `services::clues::open311`. Handlers only parse the
//! query string or form and render; these routes are outside `/api/v1` and its OpenAPI document.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, FixedOffset, SecondsFormat};
use lianjian_services::ServiceError;
use lianjian_services::clues::open311::{
    self as o311, CHANGESET, Created, PostRequest, Request, RequestFilter, SPECIFICATION, Service,
};
use serde_json::{Value, json};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/{resource}", get(top).post(post_requests))
        .route("/open311/v2/services/{service}", get(service_definition))
        .route("/open311/v2/requests/{request}", get(one_request))
        .route("/open311/v2/tokens/{token}", get(token))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// `name.json` / `name.xml` → (name, format).
fn split(file: &str) -> Option<(&str, Format)> {
    let (name, ext) = file.rsplit_once('.')?;
    let f = match ext {
        "json" => Format::Json,
        "xml" => Format::Xml,
        _ => return None,
    };
    (!name.is_empty()).then_some((name, f))
}

// ---- rendering ----

fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => o.push(c),
        }
    }
    o
}

/// A document in the spec's element order: rendered as JSON (objects, arrays) or as XML
/// (elements; a list repeats its item element; null is an empty element).
enum X {
    Text(String),
    /// Numbers and booleans: bare in JSON, text in XML.
    Raw(Value),
    Null,
    Obj(Vec<(&'static str, X)>),
    /// A list and the element name of each item in XML.
    List(&'static str, Vec<X>),
}

impl X {
    fn text(s: impl Into<String>) -> X {
        X::Text(s.into())
    }

    fn opt(s: Option<impl Into<String>>) -> X {
        s.map_or(X::Null, |s| X::Text(s.into()))
    }

    fn json(&self) -> Value {
        match self {
            X::Text(s) => Value::String(s.clone()),
            X::Raw(v) => v.clone(),
            X::Null => Value::Null,
            X::Obj(m) => Value::Object(m.iter().map(|(k, v)| (k.to_string(), v.json())).collect()),
            X::List(_, a) => Value::Array(a.iter().map(X::json).collect()),
        }
    }

    fn xml(&self, out: &mut String, name: &str) {
        match self {
            X::Null => out.push_str(&format!("<{name}/>")),
            X::Text(s) => out.push_str(&format!("<{name}>{}</{name}>", xml_escape(s))),
            X::Raw(Value::Null) => out.push_str(&format!("<{name}/>")),
            X::Raw(v) => out.push_str(&format!("<{name}>{v}</{name}>")),
            X::Obj(m) => {
                out.push_str(&format!("<{name}>"));
                for (k, v) in m {
                    v.xml(out, k);
                }
                out.push_str(&format!("</{name}>"));
            }
            X::List(item, a) => {
                out.push_str(&format!("<{name}>"));
                for v in a {
                    v.xml(out, item);
                }
                out.push_str(&format!("</{name}>"));
            }
        }
    }
}

/// `body` in the format asked; XML names the root element `root`.
fn render(f: Format, status: StatusCode, root: &str, body: X) -> Response {
    match f {
        Format::Json => (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            body.json().to_string(),
        )
            .into_response(),
        Format::Xml => {
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
            body.xml(&mut out, root);
            (
                status,
                [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                out,
            )
                .into_response()
        }
    }
}

/// The spec's error list.
fn errors(f: Format, status: StatusCode, descriptions: Vec<String>) -> Response {
    let list = descriptions
        .into_iter()
        .map(|d| {
            X::Obj(vec![
                ("code", X::Raw(json!(status.as_u16()))),
                ("description", X::Text(d)),
            ])
        })
        .collect();
    render(f, status, "errors", X::List("error", list))
}

/// A service error as the spec's error list; `missing` names what a 404 did not find.
fn failure(f: Format, e: ServiceError, missing: &str) -> Response {
    match e {
        ServiceError::Invalid(fields) => errors(
            f,
            StatusCode::BAD_REQUEST,
            fields
                .into_iter()
                .map(|x| format!("{}: {} ({})", x.field, x.message_en, x.message))
                .collect(),
        ),
        ServiceError::Refused {
            message,
            message_en,
        } => errors(
            f,
            StatusCode::FORBIDDEN,
            vec![format!("{message_en} ({message})")],
        ),
        ServiceError::Forbidden | ServiceError::Unauthenticated | ServiceError::BadCredentials => {
            errors(f, StatusCode::FORBIDDEN, vec!["forbidden".into()])
        }
        ServiceError::NotFound => errors(f, StatusCode::NOT_FOUND, vec![missing.to_string()]),
        ServiceError::Throttled { .. } => errors(
            f,
            StatusCode::TOO_MANY_REQUESTS,
            vec!["too many requests; retry later".into()],
        ),
        ServiceError::Conflict {
            field,
            message,
            message_en,
        } => errors(
            f,
            StatusCode::BAD_REQUEST,
            vec![format!("{field}: {message_en} ({message})")],
        ),
        ServiceError::Internal(e) => {
            tracing::error!(error = %e, "open311 request failed");
            errors(
                f,
                StatusCode::INTERNAL_SERVER_ERROR,
                vec!["internal error; please retry later".into()],
            )
        }
    }
}

fn unknown_resource(file: &str) -> Response {
    // No format could be read from the name: answer in JSON, the format every client reads.
    errors(
        Format::Json,
        StatusCode::NOT_FOUND,
        vec![format!(
            "no resource '{file}' (resources end in .json or .xml, e.g. services.json)"
        )],
    )
}

fn time(t: DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

// ---- query strings and forms ----

/// Parameters of a query string or form, the last value of a repeated key winning (list
/// parameters are comma-delimited in GeoReport v2).
fn params(raw: &[u8]) -> Result<Vec<(String, String)>, String> {
    serde_html_form::from_bytes::<Vec<(String, String)>>(raw).map_err(|e| e.to_string())
}

fn one(p: &[(String, String)], k: &str) -> Option<String> {
    p.iter().rev().find(|(x, _)| x == k).map(|(_, v)| v.clone())
}

fn truthy(v: Option<String>) -> bool {
    matches!(v.as_deref().map(str::trim), Some("true" | "1"))
}

// ---- documents ----

fn service_doc(s: &Service) -> X {
    X::Obj(vec![
        ("service_code", X::text(s.code)),
        ("service_name", X::text(s.name)),
        ("description", X::text(s.description)),
        ("metadata", X::Raw(json!(s.metadata))),
        ("type", X::text(s.kind)),
        ("keywords", X::text(s.keywords)),
        ("group", X::text(s.group)),
    ])
}

fn definition_doc(s: &Service) -> X {
    let attributes = s
        .attributes
        .iter()
        .map(|a| {
            let mut v = vec![
                ("variable", X::Raw(json!(true))),
                ("code", X::text(a.code)),
                ("datatype", X::text(a.datatype)),
                ("required", X::Raw(json!(a.required))),
                ("datatype_description", X::opt(a.datatype_description)),
                ("order", X::Raw(json!(a.order))),
                ("description", X::text(a.description)),
            ];
            if !a.values.is_empty() {
                v.push((
                    "values",
                    X::List(
                        "value",
                        a.values
                            .iter()
                            .map(|(k, n)| X::Obj(vec![("key", X::text(*k)), ("name", X::text(*n))]))
                            .collect(),
                    ),
                ));
            }
            X::Obj(v)
        })
        .collect();
    X::Obj(vec![
        ("service_code", X::text(s.code)),
        ("attributes", X::List("attribute", attributes)),
    ])
}

fn request_doc(r: &Request) -> X {
    let mut v = vec![
        ("service_request_id", X::text(&r.service_request_id)),
        ("status", X::text(r.status.as_str())),
        ("status_notes", X::text(&r.status_notes)),
        ("service_name", X::text(&r.service_name)),
        ("service_code", X::text(&r.service_code)),
        ("description", X::text(&r.description)),
        (
            "agency_responsible",
            X::opt(r.agency_responsible.as_deref()),
        ),
        ("service_notice", X::opt(r.service_notice.as_deref())),
        ("requested_datetime", X::text(time(r.requested_datetime))),
        ("updated_datetime", X::text(time(r.updated_datetime))),
        ("expected_datetime", X::opt(r.expected_datetime.map(time))),
        ("address", X::text(&r.address)),
        ("address_id", X::Null),
        ("zipcode", X::Null),
        ("lat", X::Raw(json!(r.lat))),
        ("long", X::Raw(json!(r.long))),
        ("media_url", X::Null),
    ];
    if let Some(x) = &r.extended {
        v.push(("token", X::text(&r.token)));
        v.push((
            "extended_attributes",
            X::Obj(vec![
                ("detailed_status", X::text(x.detailed_status)),
                ("detailed_status_label", X::text(x.detailed_status_label)),
                ("region_code", X::text(&x.region_code)),
                ("channel", X::text(x.channel)),
            ]),
        ));
        v.push((
            "notes",
            X::List(
                "note",
                x.notes
                    .iter()
                    .map(|n| {
                        X::Obj(vec![
                            ("datetime", X::text(time(n.datetime))),
                            ("summary", X::text(n.summary)),
                            ("description", X::text(&n.description)),
                            ("type", X::text("activity")),
                        ])
                    })
                    .collect(),
            ),
        ));
    }
    X::Obj(v)
}

fn base_url(st: &AppState, h: &HeaderMap) -> String {
    let host = h
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let scheme = h
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .unwrap_or(if st.secure_cookies { "https" } else { "http" });
    format!("{scheme}://{host}/open311/v2")
}

// ---- handlers ----

/// `GET discovery.{fmt}`, `services.{fmt}`, `requests.{fmt}`.
async fn top(
    State(st): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
    h: HeaderMap,
) -> Response {
    let Some((name, f)) = split(&file) else {
        return unknown_resource(&file);
    };
    let p = match params(q.unwrap_or_default().as_bytes()) {
        Ok(p) => p,
        Err(e) => return errors(f, StatusCode::BAD_REQUEST, vec![format!("query: {e}")]),
    };
    let jurisdiction = one(&p, "jurisdiction_id");
    match name {
        "discovery" => {
            let site = st.svc.site.title("联监");
            render(
                f,
                StatusCode::OK,
                "discovery",
                X::Obj(vec![
                    ("changeset", X::text(CHANGESET)),
                    ("contact", X::text(format!("{site}（问题线索联合处置）"))),
                    (
                        "key_service",
                        X::text(
                            "提交诉求须使用 API 密钥，由平台管理员发放（lianjian open311 key create）",
                        ),
                    ),
                    (
                        "endpoints",
                        X::List(
                            "endpoint",
                            vec![X::Obj(vec![
                                ("specification", X::text(SPECIFICATION)),
                                ("url", X::text(base_url(&st, &h))),
                                ("changeset", X::text(CHANGESET)),
                                ("type", X::text("production")),
                                (
                                    "formats",
                                    X::List(
                                        "format",
                                        vec![X::text("text/xml"), X::text("application/json")],
                                    ),
                                ),
                            ])],
                        ),
                    ),
                ]),
            )
        }
        "services" => {
            if let Err(e) = o311::jurisdiction_scope(&st.svc, jurisdiction.as_deref()).await {
                return failure(f, e, "jurisdiction_id provided was not found");
            }
            let list = o311::services().iter().map(service_doc).collect();
            render(f, StatusCode::OK, "services", X::List("service", list))
        }
        "requests" => {
            let filter = RequestFilter {
                jurisdiction_id: jurisdiction,
                service_request_id: one(&p, "service_request_id"),
                service_code: one(&p, "service_code"),
                start_date: one(&p, "start_date"),
                end_date: one(&p, "end_date"),
                status: one(&p, "status"),
                page: one(&p, "page"),
                page_size: one(&p, "page_size"),
                updated_after: one(&p, "updated_after"),
                updated_before: one(&p, "updated_before"),
                extensions: truthy(one(&p, "extensions")),
            };
            match o311::list(&st.svc, &filter).await {
                Ok(page) => render(
                    f,
                    StatusCode::OK,
                    "service_requests",
                    X::List("request", page.items.iter().map(request_doc).collect()),
                ),
                Err(e) => failure(f, e, "jurisdiction_id provided was not found"),
            }
        }
        _ => unknown_resource(&file),
    }
}

/// `POST requests.{fmt}`: the form (`application/x-www-form-urlencoded`; parameters in the
/// query string count too, as some clients send `api_key` there).
async fn post_requests(
    State(st): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(("requests", f)) = split(&file) else {
        return unknown_resource(&file);
    };
    let form = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return errors(
            f,
            StatusCode::BAD_REQUEST,
            vec!["the request must be sent as application/x-www-form-urlencoded".into()],
        );
    }
    let mut p = match params(q.unwrap_or_default().as_bytes()) {
        Ok(p) => p,
        Err(e) => return errors(f, StatusCode::BAD_REQUEST, vec![format!("query: {e}")]),
    };
    match params(&body) {
        Ok(b) => p.extend(b),
        Err(e) => return errors(f, StatusCode::BAD_REQUEST, vec![format!("form: {e}")]),
    }
    let mut attributes = BTreeMap::new();
    for (k, v) in &p {
        if let Some(code) = k
            .strip_prefix("attribute[")
            .and_then(|r| r.strip_suffix("[]").unwrap_or(r).strip_suffix(']'))
        {
            attributes.insert(code.to_string(), v.clone());
        }
    }
    let req = PostRequest {
        api_key: one(&p, "api_key"),
        jurisdiction_id: one(&p, "jurisdiction_id"),
        service_code: one(&p, "service_code"),
        lat: one(&p, "lat"),
        long: one(&p, "long"),
        address_string: one(&p, "address_string"),
        address_id: one(&p, "address_id"),
        email: one(&p, "email"),
        device_id: one(&p, "device_id"),
        account_id: one(&p, "account_id"),
        first_name: one(&p, "first_name"),
        last_name: one(&p, "last_name"),
        phone: one(&p, "phone"),
        description: one(&p, "description"),
        media_url: one(&p, "media_url"),
        attributes,
    };
    match o311::submit(&st.svc, &req).await {
        Ok(Created {
            service_request_id,
            token,
            service_notice,
        }) => render(
            f,
            StatusCode::CREATED,
            "service_requests",
            X::List(
                "request",
                vec![X::Obj(vec![
                    ("service_request_id", X::Text(service_request_id)),
                    ("token", X::Text(token)),
                    ("service_notice", X::Text(service_notice)),
                    ("account_id", X::Null),
                ])],
            ),
        ),
        Err(e) => failure(f, e, "jurisdiction_id provided was not found"),
    }
}

/// `GET services/{code}.{fmt}`: a service definition.
async fn service_definition(
    State(st): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let Some((code, f)) = split(&file) else {
        return unknown_resource(&file);
    };
    let p = params(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    if let Err(e) = o311::jurisdiction_scope(&st.svc, one(&p, "jurisdiction_id").as_deref()).await {
        return failure(f, e, "jurisdiction_id provided was not found");
    }
    match o311::service(code) {
        Ok(s) => render(f, StatusCode::OK, "service_definition", definition_doc(&s)),
        Err(e) => failure(f, e, &format!("service_code '{code}' was not found")),
    }
}

/// `GET requests/{id}.{fmt}`: one request, as a list of one.
async fn one_request(
    State(st): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let Some((id, f)) = split(&file) else {
        return unknown_resource(&file);
    };
    let p = params(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let ext = truthy(one(&p, "extensions"));
    match o311::get(&st.svc, one(&p, "jurisdiction_id").as_deref(), id, ext).await {
        Ok(r) => render(
            f,
            StatusCode::OK,
            "service_requests",
            X::List("request", vec![request_doc(&r)]),
        ),
        Err(e) => failure(f, e, &format!("service_request_id '{id}' was not found")),
    }
}

/// `GET tokens/{token}.{fmt}`: the request id a token stands for.
async fn token(
    State(st): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let Some((t, f)) = split(&file) else {
        return unknown_resource(&file);
    };
    let p = params(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    match o311::by_token(&st.svc, one(&p, "jurisdiction_id").as_deref(), t).await {
        Ok((id, token)) => render(
            f,
            StatusCode::OK,
            "service_requests",
            X::List(
                "request",
                vec![X::Obj(vec![
                    ("service_request_id", X::Text(id)),
                    ("token", X::Text(token)),
                ])],
            ),
        ),
        Err(e) => failure(f, e, &format!("token '{t}' was not found")),
    }
}
