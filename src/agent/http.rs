//! The agent's HTTP server: `/` (status page), `/status` (JSON) and
//! `/metrics` (Prometheus). Listens on 127.0.0.1 by default.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Json};
use axum::routing::get;

use super::Agent;

pub fn router(agent: Arc<Agent>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/status", get(status))
        .route("/metrics", get(metrics))
        .with_state(agent)
}

async fn page(State(agent): State<Arc<Agent>>, Query(q): Query<HashMap<String, String>>) -> Html<String> {
    Html(super::status::page(&agent.status(), q.get("lang").is_some_and(|l| l == "en")))
}

async fn status(State(agent): State<Arc<Agent>>) -> impl IntoResponse {
    Json(agent.status())
}

async fn metrics(State(agent): State<Arc<Agent>>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], agent.metrics_text())
}

/// Binds `addr` and serves on a runtime thread of its own; returns the bound
/// address (useful with port 0).
pub fn spawn(agent: Arc<Agent>, addr: SocketAddr) -> anyhow::Result<SocketAddr> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind(addr)).map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}. Fix: choose a free port with --listen"))?;
    let bound = listener.local_addr()?;
    std::thread::spawn(move || {
        rt.block_on(async move {
            if let Err(e) = axum::serve(listener, router(agent)).await {
                tracing::error!(error = %e, "status server stopped");
            }
        });
    });
    Ok(bound)
}
