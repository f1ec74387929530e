//! Prometheus metrics: request counts and latencies by route, rendered at `/metrics`.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

fn handle() -> &'static PrometheusHandle {
    static H: OnceLock<PrometheusHandle> = OnceLock::new();
    H.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let h = recorder.handle();
        // Several apps in one test process share the first recorder; that is fine.
        let _ = metrics::set_global_recorder(recorder);
        h
    })
}

pub async fn track(req: Request, next: Next) -> Response {
    handle();
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().to_string();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    metrics::counter!("lianjian_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("lianjian_http_request_duration_seconds", "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    resp
}

pub async fn render() -> impl IntoResponse {
    (
        [("content-type", "text/plain; version=0.0.4")],
        handle().render(),
    )
}
