//! Delivery of the 12345 webhooks (`services::clues::hotline::deliver_due`): the HTTP client
//! side. Each due subscription's next events are POSTed as JSON with the signature header;
//! the services keep the cursor, the attempts and the backoff. Plain HTTP only: the binary
//! carries no TLS client, so an `https://` receiver is reached through a TLS-terminating
//! proxy inside the government network (docs/architecture.md, "12345 interface").

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, header};
use lianjian_services::Services;
use lianjian_services::clues::hotline::{self, Delivery, SIGNATURE_HEADER};

/// How long one delivery may take before it counts as failed.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// One pass: every subscription due now gets its next events. Returns how many events were
/// delivered.
pub async fn deliver_once(svc: &Services) -> Result<usize, lianjian_services::ServiceError> {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Body>();
    hotline::deliver_due(svc, |d: Delivery| {
        let client = client.clone();
        async move {
            let req = Request::post(&d.url)
                .header(header::CONTENT_TYPE, "application/json")
                .header(SIGNATURE_HEADER, &d.signature)
                .header(header::USER_AGENT, "lianjian-hotline-webhook/1")
                .body(Body::from(d.body))
                .map_err(|e| e.to_string())?;
            match tokio::time::timeout(DELIVERY_TIMEOUT, client.request(req)).await {
                Err(_) => Err(format!("no answer within {} s", DELIVERY_TIMEOUT.as_secs())),
                Ok(Err(e)) => Err(e.to_string()),
                Ok(Ok(resp)) => {
                    let status = resp.status().as_u16();
                    let _ = axum::body::to_bytes(Body::new(resp.into_body()), 64 * 1024).await;
                    Ok(status)
                }
            }
        }
    })
    .await
}

/// Runs [`deliver_once`] every `every` in the background (`lianjian serve`).
pub fn spawn(svc: Services, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match deliver_once(&svc).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(events = n, "delivered 12345 webhook events"),
                Err(e) => tracing::warn!(error = %e, "12345 webhook delivery pass failed"),
            }
        }
    });
}
