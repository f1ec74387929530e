//! Static assets compiled into the binary: nothing is loaded from the internet at run time.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const FILES: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../assets/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/app.js"),
    ),
    (
        "field.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/field.js"),
    ),
    (
        "print.css",
        "text/css; charset=utf-8",
        include_str!("../assets/print.css"),
    ),
    // Compliance guides (一业一册): phone-first screen and A4 print.
    (
        "guide.css",
        "text/css; charset=utf-8",
        include_str!("../assets/guide.css"),
    ),
    (
        "field.css",
        "text/css; charset=utf-8",
        include_str!("../assets/field.css"),
    ),
    // The field form's service worker (offline use); see `serve` for its scope.
    (
        "field-sw.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/field-sw.js"),
    ),
    (
        "common.css",
        "text/css; charset=utf-8",
        include_str!("../assets/common.css"),
    ),
    (
        "sheet.css",
        "text/css; charset=utf-8",
        include_str!("../assets/sheet.css"),
    ),
    (
        "noscript.css",
        "text/css; charset=utf-8",
        include_str!("../assets/noscript.css"),
    ),
    // The complaint form's proof-of-work challenge (portal/clues.rs).
    (
        "portal-clue.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/portal-clue.js"),
    ),
    // The analysis page's charts (console/analysis.rs), drawn with the bundled ECharts.
    (
        "analysis.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/analysis.js"),
    ),
    (
        "portal.css",
        "text/css; charset=utf-8",
        include_str!("../assets/portal.css"),
    ),
    // The UI toolkit (Bootstrap), installed from `ui/package-lock.json` by build.rs.
    (
        "bootstrap.min.css",
        "text/css; charset=utf-8",
        include_str!(concat!(env!("OUT_DIR"), "/ui-assets/bootstrap.min.css")),
    ),
    (
        "bootstrap.bundle.min.js",
        "text/javascript; charset=utf-8",
        include_str!(concat!(
            env!("OUT_DIR"),
            "/ui-assets/bootstrap.bundle.min.js"
        )),
    ),
    // Charts (ECharts) of the analysis pages (console/analysis.rs), from the same lockfile.
    (
        "echarts.min.js",
        "text/javascript; charset=utf-8",
        include_str!(concat!(env!("OUT_DIR"), "/ui-assets/echarts.min.js")),
    ),
];

pub async fn serve(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == file) {
        // A service worker controls only pages under its own folder unless the server allows
        // more: this one serves the field forms under /console/ (and empties its cache on
        // 退出). Always revalidated, so a new version reaches phones at their next visit.
        Some((name, mime, body)) if *name == "field-sw.js" => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "no-cache"),
                (
                    header::HeaderName::from_static("service-worker-allowed"),
                    "/console/",
                ),
            ],
            *body,
        )
            .into_response(),
        Some((_, mime, body)) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
