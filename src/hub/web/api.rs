//! The API: boxes send minutes, events, heartbeats and clips with their
//! bearer token; people fetch summaries as JSON or CSV with their session.

use axum::Json;
use axum::extract::{FromRequestParts, Multipart, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{AppState, WebError};
use crate::hub::db::{BoxInfo, Role};
use crate::hub::{render, report, validate};
use crate::wire::{ClipReply, Heartbeat, IngestBatch, IngestReply};

/// A box, authenticated by `Authorization: Bearer TOKEN`.
pub struct BoxAuth(pub BoxInfo);

impl FromRequestParts<AppState> for BoxAuth {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, hub: &AppState) -> Result<Self, Self::Rejection> {
        let unauthorized = |m: &str| WebError::Api(StatusCode::UNAUTHORIZED, m.to_string());
        let value = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| unauthorized("missing Authorization: Bearer <box token>"))?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| unauthorized("Authorization must be Bearer <box token>"))?;
        match hub.db.box_for_token(token).await.map_err(WebError::api_internal)? {
            Some(b) => Ok(BoxAuth(b)),
            None => {
                tracing::warn!("request with an unknown box token refused");
                Err(unauthorized("unknown box token; register the box with `liyi hub box add` and copy its token into [hub]"))
            }
        }
    }
}

/// JSON body that answers 400 with serde's precise message (path, line,
/// column) instead of axum's generic rejection.
async fn json_body<T: serde::de::DeserializeOwned>(body: axum::body::Bytes) -> Result<T, WebError> {
    let de = &mut serde_json::Deserializer::from_slice(&body);
    serde_path_to_error(de)
}

fn serde_path_to_error<'de, T: serde::de::DeserializeOwned>(
    de: &mut serde_json::Deserializer<serde_json::de::SliceRead<'de>>,
) -> Result<T, WebError> {
    T::deserialize(de).map_err(|e| WebError::Api(StatusCode::BAD_REQUEST, format!("malformed JSON: {e}")))
}

pub async fn ingest(State(hub): State<AppState>, BoxAuth(b): BoxAuth, body: axum::body::Bytes) -> Result<Json<IngestReply>, WebError> {
    let batch: IngestBatch = json_body(body).await?;
    validate::batch(&batch).map_err(|m| WebError::Api(StatusCode::BAD_REQUEST, m))?;
    let now_ms = hub.clock.now_ms();
    validate::batch_times(&batch, now_ms).map_err(|m| WebError::Api(StatusCode::UNPROCESSABLE_ENTITY, m))?;
    let reply = hub.db.ingest(&b.id, &batch, now_ms as f64 / 1000.0).await.map_err(WebError::api_internal)?;
    tracing::debug!(box_id = %b.id, minutes = reply.minutes, events_new = reply.events_new, "batch stored");
    Ok(Json(reply))
}

/// Which box this token belongs to (for `liyi doctor`).
pub async fn whoami(BoxAuth(b): BoxAuth) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "box": b.id, "hall": b.hall }))
}

pub async fn heartbeat(
    State(hub): State<AppState>,
    BoxAuth(b): BoxAuth,
    body: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, WebError> {
    let hb: Heartbeat = json_body(body).await?;
    validate::heartbeat(&hb).map_err(|m| WebError::Api(StatusCode::UNPROCESSABLE_ENTITY, m))?;
    let now = hub.clock.now_unix();
    let day =
        chrono::TimeZone::timestamp_opt(&hub.cfg.timezone, now as i64, 0).single().map(|t| t.date_naive().to_string()).unwrap_or_default();
    hub.db.heartbeat(&b.id, &hb, now, &day, hub.cfg.health.box_silent_s).await.map_err(WebError::api_internal)?;
    Ok(Json(serde_json::json!({ "ok": true })))
}

/// A clip: multipart `meta` (JSON), `video` (MP4), `thumbnail` (PNG),
/// `sidecar` (JSON). Checked in memory before anything is written, and
/// rewritten by the hub (`privacy::upload`, `validate::sidecar`): what is
/// stored is exactly what was checked. A clip that is refused gets 422 with
/// the reason, an audit-log entry without pixels, and nothing is stored.
pub async fn upload_clip(State(hub): State<AppState>, BoxAuth(b): BoxAuth, mut form: Multipart) -> Result<Json<ClipReply>, WebError> {
    let bad = |m: String| WebError::Api(StatusCode::BAD_REQUEST, m);
    let mut parts = Vec::new();
    while let Some(field) = form.next_field().await.map_err(|e| bad(format!("multipart: {e}")))? {
        let name = field.name().unwrap_or("").to_string();
        let bytes = field.bytes().await.map_err(|e| bad(format!("multipart part {name}: {e}")))?;
        parts.push((name, bytes));
    }
    let validate::ClipUpload { meta, video, thumbnail: thumb, sidecar } = validate::clip_upload(parts).map_err(bad)?;
    validate::clip_times(&meta, hub.clock.now_ms()).map_err(|m| WebError::Api(StatusCode::UNPROCESSABLE_ENTITY, m))?;
    if let Some(id) = hub.db.clip_id(&b.id, &meta).await.map_err(WebError::api_internal)? {
        return Ok(Json(ClipReply { id, duplicate: true }));
    }
    // The checks and rewrites (CPU-bound: off the async threads).
    let checked = match validate::sidecar(&sidecar, &meta) {
        Err(reason) => Ok(Err(reason)),
        Ok(sidecar) => {
            let hub = hub.clone();
            tokio::task::spawn_blocking(move || match &hub.faces {
                Ok(f) => Ok(crate::privacy::upload::sanitize(&video, &thumb, f).map(|c| (c, sidecar))),
                Err(e) => Err(e.clone()),
            })
            .await
            .map_err(WebError::api_internal)?
        }
    };
    let (clean, sidecar) = match checked {
        Err(no_model) => {
            tracing::error!(error = %no_model, "no face model: clip uploads are refused until it loads");
            return Err(WebError::Api(
                StatusCode::SERVICE_UNAVAILABLE,
                "the hub cannot check clips (face model missing); keep the clip and retry later".into(),
            ));
        }
        Ok(Err(reason)) => {
            tracing::error!(box_id = %b.id, window = %meta.window, rule = %meta.rule, %reason, "clip refused by the privacy check; nothing stored");
            let now = hub.clock.now_unix();
            hub.db.log_refused_clip(&b.id, &meta, &reason, now).await.map_err(WebError::api_internal)?;
            let target = format!("{}/{}", b.id, meta.window);
            hub.db.audit(&format!("box:{}", b.id), "clip_refused", &target, &reason, now).await.map_err(WebError::api_internal)?;
            return Err(WebError::Api(StatusCode::UNPROCESSABLE_ENTITY, format!("refused by the privacy check: {reason}")));
        }
        Ok(Ok(c)) => c,
    };
    // Each clip its own files: the canonical instant (UTC milliseconds) and
    // a random id, so clips that differ only in sub-second or offset never
    // share (and never overwrite or expire) one file.
    let day = meta.event_start.format("%Y-%m-%d").to_string();
    let unique = &crate::hub::db::secret()[..16];
    let stem = format!("{}/{day}/{}-{}-{}-{unique}", b.id, meta.window, meta.rule, meta.event_start.timestamp_millis());
    let (video_rel, thumb_rel) = (format!("{stem}.mp4"), format!("{stem}.png"));
    let root = hub.clips_dir();
    let mut written = Vec::new();
    for (rel, bytes) in [(&video_rel, &clean.video), (&thumb_rel, &clean.thumbnail)] {
        let path = root.join(rel);
        let result = path.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|()| crate::atomic::write_bytes(&path, bytes));
        if let Err(e) = result {
            // No half-stored clip: the files already written go too.
            written.iter().for_each(|p| drop(std::fs::remove_file(p)));
            return Err(WebError::api_internal(e));
        }
        written.push(path);
    }
    let size = u64::try_from(clean.video.len() + clean.thumbnail.len()).unwrap_or(u64::MAX);
    let (id, new) = match hub.db.insert_clip(&b.id, &meta, &video_rel, &thumb_rel, &sidecar, size, hub.clock.now_unix()).await {
        Ok(r) => r,
        Err(e) => {
            written.iter().for_each(|p| drop(std::fs::remove_file(p)));
            return Err(WebError::api_internal(e));
        }
    };
    if !new {
        // The same clip arrived meanwhile (a resend): keep the stored one.
        written.iter().for_each(|p| drop(std::fs::remove_file(p)));
    }
    tracing::info!(box_id = %b.id, window = %meta.window, rule = %meta.rule, id, frames = clean.frames, "clip stored");
    Ok(Json(ClipReply { id, duplicate: !new }))
}

#[derive(Deserialize)]
pub struct SummaryQuery {
    date: Option<String>,
    hall: Option<String>,
    format: Option<String>,
}

/// `GET /api/v1/summary?date=YYYY-MM-DD[&hall=…][&format=json|csv]`, for
/// supervisors and admins (session cookie).
pub async fn summary(State(hub): State<AppState>, headers: HeaderMap, Query(q): Query<SummaryQuery>) -> Result<Response, WebError> {
    let Some(session) = super::auth::optional(&headers, &hub).await else {
        return Err(WebError::Api(StatusCode::UNAUTHORIZED, "sign in first (session cookie)".into()));
    };
    if !matches!(session.user.role, Role::Supervisor | Role::Admin) {
        return Err(WebError::Api(StatusCode::FORBIDDEN, "summaries are for supervisors and admins".into()));
    }
    let date = parse_date(q.date.as_deref(), &hub).map_err(|m| WebError::Api(StatusCode::BAD_REQUEST, m))?;
    let hall = scoped_hall(&session.user, q.hall.as_deref()).map_err(|m| WebError::Api(StatusCode::FORBIDDEN, m))?;
    let s = report::build(&hub, date, hall.as_deref()).await.map_err(WebError::api_internal)?;
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(s).into_response()),
        "csv" => Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], render::summary_csv(&s)).into_response()),
        other => Err(WebError::Api(StatusCode::BAD_REQUEST, format!("format {other:?}: use json or csv"))),
    }
}

/// `date=YYYY-MM-DD` in [`crate::hub::summary::REPORT_YEARS`], default
/// today (hub timezone).
pub fn parse_date(s: Option<&str>, hub: &AppState) -> Result<chrono::NaiveDate, String> {
    match s.filter(|s| !s.is_empty()) {
        None => Ok(hub.now_utc().with_timezone(&hub.cfg.timezone).date_naive()),
        Some(s) => crate::hub::summary::parse_report_date(s).map_err(|m| format!("date: {m}")),
    }
}

/// The hall a request may see: a hall-scoped user only their own.
pub fn scoped_hall(user: &crate::hub::db::User, asked: Option<&str>) -> Result<Option<String>, String> {
    let asked = asked.filter(|h| !h.is_empty());
    match (&user.hall, asked) {
        (Some(own), Some(a)) if own != a => Err(format!("you see hall {own:?} only")),
        (Some(own), _) => Ok(Some(own.clone())),
        (None, a) => Ok(a.map(str::to_string)),
    }
}
