//! The hub's HTTP side: `api` for boxes (bearer tokens) and the summary
//! API, `auth` for people's sessions, `pages` and `clips` for what they see.

pub mod api;
pub mod auth;
pub mod clips;
pub mod pages;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use super::Hub;
use crate::wire;

pub type AppState = Arc<Hub>;

pub fn router(hub: Arc<Hub>) -> Router {
    let limits = hub.cfg.limits;
    Router::new()
        .route(wire::INGEST_PATH, post(api::ingest).layer(DefaultBodyLimit::max(limits.batch_bytes)))
        .route(wire::HEARTBEAT_PATH, post(api::heartbeat).layer(DefaultBodyLimit::max(256 * 1024)))
        .route(wire::CLIPS_PATH, post(api::upload_clip).layer(DefaultBodyLimit::max(limits.clip_bytes)))
        .route("/api/v1/summary", get(api::summary))
        .route(wire::WHOAMI_PATH, get(api::whoami))
        .route("/healthz", get(|| async { "ok" }))
        .route("/", get(pages::home))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/summary", get(pages::summary))
        .route("/trends", get(pages::trends))
        .route("/events", get(pages::events))
        .route("/events/{id}/false-alarm", post(pages::false_alarm))
        .route("/health", get(pages::health))
        .route("/admin/users", get(pages::users).post(pages::add_user))
        .route("/admin/boxes", get(pages::boxes).post(pages::add_box))
        .route("/admin/audit", get(pages::audit))
        .route("/clips", get(clips::list))
        .route("/clips/export", post(clips::export))
        .route("/clips/{id}", get(clips::show))
        .route("/clips/{id}/review", post(clips::review))
        .route("/clips/{id}/video.mp4", get(clips::video))
        .route("/clips/{id}/thumb.png", get(clips::thumbnail))
        // Forms and small JSON elsewhere.
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(hub)
}

async fn security_headers(mut r: Response) -> Response {
    // Over a body limit: a 400 that says which limit (axum answers 413).
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        r = WebError::Api(
            StatusCode::BAD_REQUEST,
            "request body too large: metrics batches up to [limits] batch_mb, clips up to clip_mb, forms up to 64 KiB".into(),
        )
        .into_response();
    }
    let h = r.headers_mut();
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; media-src 'self'; script-src 'none'; form-action 'self'; frame-ancestors 'none'"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// An error answer: JSON for the API, a page for people.
#[derive(Debug)]
pub enum WebError {
    /// JSON `{"error": ...}` with a status.
    Api(StatusCode, String),
    /// A page with a status.
    Page(StatusCode, String),
    /// Not signed in: to the login page.
    SignIn(String),
}

impl WebError {
    pub fn internal(e: impl std::fmt::Display) -> WebError {
        tracing::error!(error = %e, "request failed");
        WebError::Page(StatusCode::INTERNAL_SERVER_ERROR, "internal error; see the hub's log".into())
    }

    pub fn api_internal(e: impl std::fmt::Display) -> WebError {
        tracing::error!(error = %e, "API request failed");
        WebError::Api(StatusCode::INTERNAL_SERVER_ERROR, "internal error; see the hub's log".into())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::Api(status, error) => (status, axum::Json(wire::ErrorReply { error })).into_response(),
            WebError::Page(status, message) => {
                let lang = crate::i18n::Lang::Zh;
                let body = super::render::page("message.html", lang, None, "", minijinja::context! { title => status.canonical_reason().unwrap_or("error"), message => message, kind => "error", back => "/", secret => "" })
                    .unwrap_or(message);
                (status, Html(body)).into_response()
            }
            WebError::SignIn(next) => axum::response::Redirect::to(&format!("/login?next={}", urlencode(&next))).into_response(),
        }
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/') { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect()
}
