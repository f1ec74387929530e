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

pub async fn render(
    axum::extract::State(st): axum::extract::State<crate::AppState>,
) -> impl IntoResponse {
    let mut text = handle().render();
    text.push_str(&iot(&st.svc.iot.stats()));
    if st.svc.sharing.config().is_some() {
        text.push_str(&sharing(&st.svc).await);
    }
    ([("content-type", "text/plain; version=0.0.4")], text)
}

/// The sharing link's counters, lag, backlog and open dead letters (docs/sharing.md): figures
/// only, no message content.
async fn sharing(svc: &lianjian_services::Services) -> String {
    use std::fmt::Write;
    let s = svc.sharing.stats();
    let mut o = String::new();
    for (name, v) in [
        ("published", s.published),
        ("received", s.received),
        ("applied", s.applied),
        ("duplicates", s.duplicates),
        ("refused", s.refused),
    ] {
        let _ = writeln!(o, "# TYPE lianjian_sharing_{name}_total counter");
        let _ = writeln!(o, "lianjian_sharing_{name}_total {v}");
    }
    if let Some(p) = s.lag_p95_ms {
        let _ = writeln!(o, "# TYPE lianjian_sharing_lag_p95_ms gauge");
        let _ = writeln!(o, "lianjian_sharing_lag_p95_ms {p}");
    }
    if let Ok(f) = lianjian_services::sharing::figures(svc).await {
        let _ = writeln!(o, "# TYPE lianjian_sharing_backlog gauge");
        let _ = writeln!(o, "lianjian_sharing_backlog {}", f.unpublished);
        let _ = writeln!(o, "# TYPE lianjian_sharing_dead_letters_open gauge");
        let _ = writeln!(
            o,
            "lianjian_sharing_dead_letters_open {}",
            f.open_dead_letters
        );
    }
    o
}

/// The MQTT ingest's counters (docs/iot.md), refusals per reason. `/metrics` needs no sign-in,
/// so the samples of refused messages (device ids and readings are internal monitoring data)
/// stay in the console and `/api/v1/iot/ingest`.
fn iot(s: &lianjian_services::iot::IngestStats) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let _ = writeln!(o, "# TYPE lianjian_iot_messages_total counter");
    let _ = writeln!(o, "lianjian_iot_messages_total {}", s.messages);
    let _ = writeln!(o, "# TYPE lianjian_iot_readings_total counter");
    let _ = writeln!(o, "lianjian_iot_readings_total {}", s.readings);
    let _ = writeln!(o, "# TYPE lianjian_iot_duplicates_total counter");
    let _ = writeln!(o, "lianjian_iot_duplicates_total {}", s.duplicates);
    let _ = writeln!(o, "# TYPE lianjian_iot_batches_total counter");
    let _ = writeln!(o, "lianjian_iot_batches_total {}", s.batches);
    let _ = writeln!(o, "# TYPE lianjian_iot_write_failures_total counter");
    let _ = writeln!(o, "lianjian_iot_write_failures_total {}", s.write_failures);
    let _ = writeln!(o, "# TYPE lianjian_iot_bad_messages_total counter");
    for r in lianjian_domain::iot::BadReason::ALL {
        let n = s.bad.get(r.as_str()).copied().unwrap_or(0);
        let _ = writeln!(
            o,
            "lianjian_iot_bad_messages_total{{reason=\"{}\"}} {n}",
            r.as_str()
        );
    }
    o
}
