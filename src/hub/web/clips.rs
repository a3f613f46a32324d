//! The trainers' clip library: filter, play, keep or discard, notes and
//! tags, and the teaching-pack export. Every view, play and export goes into
//! the audit log. A hall-scoped trainer sees only their hall's clips.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::TimeZone;
use minijinja::context;
use serde::Deserialize;

use super::api::scoped_hall;
use super::auth::Session;
use super::{AppState, WebError};
use crate::hub::db::{ClipFilter, ClipInfo, Role};
use crate::hub::{pack, render};
use crate::rules::RuleCode;

#[derive(Deserialize, Default, serde::Serialize)]
pub struct ListQuery {
    #[serde(default)]
    hall: String,
    #[serde(default)]
    window: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    status: String,
}

fn view(c: &ClipInfo, lang: crate::i18n::Lang, tz: chrono_tz::Tz) -> minijinja::Value {
    // Boxes may stamp times in any offset: show the hub's local time.
    let when =
        tz.timestamp_opt(c.event_start_unix as i64, 0).single().map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default();
    context! { id => c.id, hall => &c.hall, box_id => &c.box_id, window => &c.window, window_name => &c.window_name, rule_name => render::rule_name_str(&c.rule, lang),
    when => when, status => &c.status, notes => &c.notes, tags => &c.tags,
    false_alarm => c.false_alarm, event_id => c.event_id }
}

/// The clip, if this trainer may see it (404 otherwise: other halls' clips
/// do not exist for them).
async fn visible(hub: &AppState, s: &Session, id: i64) -> Result<ClipInfo, WebError> {
    s.require(&[Role::Trainer])?;
    match hub.db.clip(id).await.map_err(WebError::internal)? {
        Some(c) if s.user.sees(&c.hall) => Ok(c),
        Some(c) => {
            hub.db
                .audit(&s.user.name, "clip_denied", &format!("clip {id}"), &c.hall, hub.clock.now_unix())
                .await
                .map_err(WebError::internal)?;
            Err(WebError::Page(StatusCode::NOT_FOUND, "no such clip".into()))
        }
        None => Err(WebError::Page(StatusCode::NOT_FOUND, "no such clip".into())),
    }
}

pub async fn list(State(hub): State<AppState>, s: Session, Query(q): Query<ListQuery>) -> Result<Response, WebError> {
    s.require(&[Role::Trainer])?;
    let hall = scoped_hall(&s.user, Some(&q.hall)).map_err(|m| WebError::Page(StatusCode::FORBIDDEN, m))?;
    let between = if q.date.is_empty() {
        None
    } else {
        let d = chrono::NaiveDate::parse_from_str(&q.date, "%Y-%m-%d")
            .map_err(|_| WebError::Page(StatusCode::BAD_REQUEST, format!("date {:?}: use YYYY-MM-DD", q.date)))?;
        Some(crate::hub::summary::day_bounds(d, hub.cfg.timezone))
    };
    let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let filter = ClipFilter { hall, window: nonempty(&q.window), rule: nonempty(&q.rule), between, status: nonempty(&q.status) };
    let clips = hub.db.clips(&filter).await.map_err(WebError::internal)?;
    hub.db
        .audit(
            &s.user.name,
            "clips_listed",
            &format!("{} clip(s)", clips.len()),
            &serde_json::to_string(&q).unwrap_or_default(),
            hub.clock.now_unix(),
        )
        .await
        .map_err(WebError::internal)?;
    let lang = s.lang();
    let halls = match &s.user.hall {
        Some(h) => vec![h.clone()],
        None => hub.db.halls().await.map_err(WebError::internal)?,
    };
    let rules: Vec<_> = RuleCode::ALL.iter().map(|r| context! { code => r.as_str(), name => render::rule_name(*r, lang) }).collect();
    let body = render::page(
        "clips.html",
        lang,
        Some(&s.user),
        &s.csrf,
        context! { title => lang.t("clips.title"), clips => clips.iter().map(|c| view(c, lang, hub.cfg.timezone)).collect::<Vec<_>>(), f => &q, halls => halls, rules => rules },
    )
    .map_err(WebError::internal)?;
    Ok(Html(body).into_response())
}

pub async fn show(State(hub): State<AppState>, s: Session, Path(id): Path<i64>) -> Result<Response, WebError> {
    let c = visible(&hub, &s, id).await?;
    hub.db
        .audit(&s.user.name, "clip_viewed", &format!("clip {id}"), &format!("{}/{}", c.box_id, c.window), hub.clock.now_unix())
        .await
        .map_err(WebError::internal)?;
    let values: Vec<(String, String)> = serde_json::from_str::<serde_json::Value>(&c.sidecar_json)
        .ok()
        .and_then(|v| v.get("values").and_then(|v| v.as_object()).cloned())
        .map(|m| m.into_iter().map(|(k, v)| (k, v.as_f64().map_or(v.to_string(), |f| format!("{f:.2}")))).collect())
        .unwrap_or_default();
    let lang = s.lang();
    let body = render::page(
        "clip.html",
        lang,
        Some(&s.user),
        &s.csrf,
        context! { title => lang.t("clips.title"), c => view(&c, lang, hub.cfg.timezone), values => values },
    )
    .map_err(WebError::internal)?;
    Ok(Html(body).into_response())
}

pub async fn video(
    State(hub): State<AppState>,
    s: Session,
    Path(id): Path<i64>,
    headers: axum::http::HeaderMap,
) -> Result<Response, WebError> {
    let c = visible(&hub, &s, id).await?;
    // One entry per playback, not per range request of the same one.
    let range_start = headers.get(header::RANGE).and_then(|r| r.to_str().ok()).unwrap_or("bytes=0-");
    if range_start.starts_with("bytes=0-") {
        hub.db.audit(&s.user.name, "clip_played", &format!("clip {id}"), "", hub.clock.now_unix()).await.map_err(WebError::internal)?;
    }
    let bytes = tokio::fs::read(hub.clips_dir().join(&c.video)).await.map_err(WebError::internal)?;
    Ok(([(header::CONTENT_TYPE, "video/mp4")], bytes).into_response())
}

pub async fn thumbnail(State(hub): State<AppState>, s: Session, Path(id): Path<i64>) -> Result<Response, WebError> {
    let c = visible(&hub, &s, id).await?;
    let bytes = tokio::fs::read(hub.clips_dir().join(&c.thumbnail)).await.map_err(WebError::internal)?;
    Ok(([(header::CONTENT_TYPE, "image/png")], bytes).into_response())
}

#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    csrf: String,
    action: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    tags: String,
}

pub async fn review(
    State(hub): State<AppState>,
    s: Session,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ReviewForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    visible(&hub, &s, id).await?;
    if f.notes.len() > 10_000 || f.tags.len() > 500 {
        return Err(WebError::Page(StatusCode::BAD_REQUEST, "notes up to 10,000 and tags up to 500 bytes".into()));
    }
    // Validate everything first: a bad action saves nothing.
    let status = match f.action.as_str() {
        "keep" => Some("kept"),
        "discard" => Some("discarded"),
        "save" => None,
        other => return Err(WebError::Page(StatusCode::BAD_REQUEST, format!("action {other:?}: use keep, discard or save"))),
    };
    hub.db.review_clip(id, &f.notes, &f.tags, status, &s.user.name, hub.clock.now_unix()).await.map_err(WebError::internal)?;
    Ok(Redirect::to(&format!("/clips/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct ExportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ids: Vec<i64>,
}

/// The most video one teaching pack holds (it is built in memory).
const MAX_PACK_BYTES: i64 = 512 << 20;

/// The teaching pack of the chosen clips (`ids`, repeated form fields).
pub async fn export(
    State(hub): State<AppState>,
    s: Session,
    axum_extra::extract::Form(f): axum_extra::extract::Form<ExportForm>,
) -> Result<Response, WebError> {
    let (csrf, mut ids) = (f.csrf, f.ids);
    s.check_csrf(&csrf)?;
    // Each clip once, in the order chosen: a pack is built in memory, so an
    // id repeated a hundred times must not make it a hundred clips long.
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    if ids.is_empty() || ids.len() > 100 {
        return Err(WebError::Page(StatusCode::BAD_REQUEST, "choose 1 to 100 clips".into()));
    }
    let mut clips = Vec::new();
    for id in &ids {
        clips.push(visible(&hub, &s, *id).await?);
    }
    let total: i64 = clips.iter().map(|c| c.bytes.max(0)).fold(0, i64::saturating_add);
    if total > MAX_PACK_BYTES {
        return Err(WebError::Page(
            StatusCode::BAD_REQUEST,
            format!("these clips hold {} MB; a pack holds at most {} MB: choose fewer", total >> 20, MAX_PACK_BYTES >> 20),
        ));
    }
    let root = hub.clips_dir();
    let now = hub.now_utc().with_timezone(&hub.cfg.timezone);
    let lang = s.lang();
    let name = s.user.name.clone();
    let zip = tokio::task::spawn_blocking(move || {
        pack::build(&clips, lang, &name, &now.format("%Y-%m-%d %H:%M").to_string(), |c| std::fs::read(root.join(&c.video)))
    })
    .await
    .map_err(WebError::internal)?
    .map_err(WebError::internal)?;
    hub.db
        .audit(
            &s.user.name,
            "clips_exported",
            &format!("{} clip(s)", ids.len()),
            &ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","),
            hub.clock.now_unix(),
        )
        .await
        .map_err(WebError::internal)?;
    let file = format!("attachment; filename=\"liyi-teaching-pack-{}.zip\"", now.format("%Y%m%d-%H%M"));
    Ok(([(header::CONTENT_TYPE, "application/zip".to_string()), (header::CONTENT_DISPOSITION, file)], zip).into_response())
}
