//! Pages for people: the summary, trends, events (false alarms), health,
//! and the admin pages (users, boxes, audit log).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::TimeZone;
use minijinja::context;
use serde::Deserialize;

use super::api::{parse_date, scoped_hall};
use super::auth::Session;
use super::{AppState, WebError};
use crate::hub::db::Role;
use crate::hub::{charts, render, report};

fn html(r: Result<String, minijinja::Error>) -> Result<Response, WebError> {
    r.map(|b| Html(b).into_response()).map_err(WebError::internal)
}

fn when(hub: &AppState, unix: f64) -> String {
    hub.cfg.timezone.timestamp_opt(unix as i64, 0).single().map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
}

pub async fn home(s: Session) -> Redirect {
    Redirect::to(match s.user.role {
        Role::Supervisor => "/summary",
        Role::Trainer => "/clips",
        Role::Admin => "/health",
    })
}

#[derive(Deserialize)]
pub struct DayQuery {
    date: Option<String>,
    hall: Option<String>,
}

pub async fn summary(State(hub): State<AppState>, s: Session, Query(q): Query<DayQuery>) -> Result<Response, WebError> {
    s.require(&[Role::Supervisor, Role::Admin])?;
    let date = parse_date(q.date.as_deref(), &hub).map_err(|m| WebError::Page(StatusCode::BAD_REQUEST, m))?;
    let hall = scoped_hall(&s.user, q.hall.as_deref()).map_err(|m| WebError::Page(StatusCode::FORBIDDEN, m))?;
    let summary = report::build(&hub, date, hall.as_deref()).await.map_err(WebError::internal)?;
    let halls: Vec<String> = match &s.user.hall {
        Some(h) => vec![h.clone()],
        None => hub.db.halls().await.map_err(WebError::internal)?,
    };
    html(render::summary_html(&summary, s.lang(), Some(&s.user), &s.csrf, hall.as_deref(), &halls, hub.now_utc()))
}

#[derive(Deserialize)]
pub struct TrendQuery {
    weeks: Option<u32>,
}

pub async fn trends(State(hub): State<AppState>, s: Session, Query(q): Query<TrendQuery>) -> Result<Response, WebError> {
    s.require(&[Role::Supervisor, Role::Admin])?;
    let weeks = q.weeks.unwrap_or(8).clamp(1, 52);
    let today = hub.now_utc().with_timezone(&hub.cfg.timezone).date_naive();
    let (labels, series) = report::weekly(&hub, weeks, today, s.user.hall.as_deref()).await.map_err(WebError::internal)?;
    let rows: Vec<_> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| context! { label => l, values => series.iter().map(|(_, v)| render::pct(v[i])).collect::<Vec<_>>() })
        .collect();
    let names: Vec<_> = series.iter().map(|(n, _)| context! { name => n }).collect();
    html(render::page(
        "trends.html",
        s.lang(),
        Some(&s.user),
        &s.csrf,
        context! { title => s.lang().t("trends.title"), weeks => weeks, svg => charts::trend(&labels, &series), rows => rows, series => names },
    ))
}

pub async fn events(State(hub): State<AppState>, s: Session, Query(q): Query<DayQuery>) -> Result<Response, WebError> {
    s.require(&[Role::Supervisor, Role::Trainer])?;
    let date = parse_date(q.date.as_deref(), &hub).map_err(|m| WebError::Page(StatusCode::BAD_REQUEST, m))?;
    let hall = scoped_hall(&s.user, q.hall.as_deref()).map_err(|m| WebError::Page(StatusCode::FORBIDDEN, m))?;
    let (from, to) = crate::hub::summary::day_bounds(date, hub.cfg.timezone);
    let list = hub.db.events_between(from, to, hall.as_deref()).await.map_err(WebError::internal)?;
    let lang = s.lang();
    let events: Vec<_> = list
        .iter()
        .map(|e| {
            context! { id => e.id, hall => &e.hall, name => &e.name, rule => render::rule_name(e.rule, lang), start => when(&hub, e.start_unix),
            duration => format!("{:.0} s", e.duration_s), false_alarm => e.false_alarm }
        })
        .collect();
    html(render::page(
        "events.html",
        lang,
        Some(&s.user),
        &s.csrf,
        context! { title => lang.t("events.title"), date => date.to_string(), events => events },
    ))
}

#[derive(Deserialize)]
pub struct FalseAlarmForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    undo: String,
    #[serde(default)]
    back: String,
}

pub async fn false_alarm(
    State(hub): State<AppState>,
    s: Session,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<FalseAlarmForm>,
) -> Result<Response, WebError> {
    s.require(&[Role::Supervisor, Role::Trainer])?;
    s.check_csrf(&f.csrf)?;
    let hall = hub.db.event_hall(id).await.map_err(WebError::internal)?;
    if !hall.as_deref().is_some_and(|h| s.user.sees(h)) {
        return Err(WebError::Page(StatusCode::NOT_FOUND, "no such event".into()));
    }
    let undo = f.undo == "true";
    let now = hub.clock.now_unix();
    hub.db.set_false_alarm(id, (!undo).then_some(s.user.name.as_str()), now).await.map_err(WebError::internal)?;
    hub.db
        .audit(&s.user.name, if undo { "false_alarm_undone" } else { "false_alarm" }, &format!("event {id}"), "", now)
        .await
        .map_err(WebError::internal)?;
    let back = if f.back.starts_with("/clips/") { f.back } else { "/events".to_string() };
    Ok(Redirect::to(&back).into_response())
}

pub async fn health(State(hub): State<AppState>, s: Session) -> Result<Response, WebError> {
    s.require(&[Role::Supervisor, Role::Admin])?;
    let lang = s.lang();
    let now = hub.clock.now_unix();
    let boxes: Vec<_> = hub
        .db
        .boxes()
        .await
        .map_err(WebError::internal)?
        .into_iter()
        .filter(|b| s.user.sees(&b.hall))
        .map(|b| {
            let (state, class) = match b.last_seen_unix {
                None => (lang.t("health.never"), "muted"),
                Some(t) if now - t > hub.cfg.health.box_silent_s => (lang.t("health.offline"), "bad"),
                Some(_) if b.store.as_ref().is_some_and(|st| !st.ok) => (lang.t("health.store_failing"), "bad"),
                Some(_) => (lang.t("health.online"), "ok"),
            };
            let cameras: Vec<_> = b
                .cameras
                .iter()
                .map(|c| {
                    let up = c.source_up && b.last_seen_unix.is_some_and(|t| now - t <= hub.cfg.health.box_silent_s);
                    context! { window => &c.window, name => &c.name, state => if up { lang.t("health.camera_up") } else { lang.t("health.camera_down") }, class => if up { "ok" } else { "bad" } }
                })
                .collect();
            let outbox = b.outbox.map_or("–".to_string(), |o| format!("{}", o.minutes + o.events + o.clips));
            // Rows the box will never send (refused here, or unreadable there).
            // A box too old to count them shows "–", not 0.
            let (unsent, unsent_class) = match b.outbox.and_then(|o| o.unsent) {
                Some(n) if n > 0 => (n.to_string(), "bad"),
                Some(n) => (n.to_string(), ""),
                None => ("–".to_string(), ""),
            };
            context! {
                id => b.id, hall => b.hall, state => state, class => class,
                last_seen => b.last_seen_unix.map_or("–".to_string(), |t| when(&hub, t)),
                outbox => outbox, unsent => unsent, unsent_class => unsent_class, cameras => cameras
            }
        })
        .collect();
    html(render::page("health.html", lang, Some(&s.user), &s.csrf, context! { title => lang.t("health.title"), boxes => boxes }))
}

pub async fn users(State(hub): State<AppState>, s: Session) -> Result<Response, WebError> {
    s.require(&[Role::Admin])?;
    let users = hub.db.users().await.map_err(WebError::internal)?;
    html(render::page("users.html", s.lang(), Some(&s.user), &s.csrf, context! { title => s.lang().t("users.title"), users => users }))
}

#[derive(Deserialize)]
pub struct UserForm {
    #[serde(default)]
    csrf: String,
    name: String,
    password: String,
    role: String,
    #[serde(default)]
    hall: String,
}

fn message(s: &Session, title: &str, message: &str, kind: &str, back: &str, secret: &str) -> Result<Response, WebError> {
    html(render::page(
        "message.html",
        s.lang(),
        Some(&s.user),
        &s.csrf,
        context! { title => title, message => message, kind => kind, back => back, secret => secret },
    ))
}

pub async fn add_user(State(hub): State<AppState>, s: Session, axum::Form(f): axum::Form<UserForm>) -> Result<Response, WebError> {
    s.require(&[Role::Admin])?;
    s.check_csrf(&f.csrf)?;
    let role = Role::parse(&f.role)
        .ok_or_else(|| WebError::Page(StatusCode::BAD_REQUEST, format!("role {:?}: use supervisor, trainer or admin", f.role)))?;
    let now = hub.clock.now_unix();
    match hub.db.add_user(&f.name, role, Some(&f.hall), &f.password, now).await {
        Ok(()) => {
            hub.db.audit(&s.user.name, "user_added", &f.name, role.as_str(), now).await.map_err(WebError::internal)?;
            Ok(Redirect::to("/admin/users").into_response())
        }
        Err(crate::hub::db::AdminError::Invalid(m)) => message(&s, s.lang().t("users.add"), &m, "error", "/admin/users", ""),
        Err(e) => Err(WebError::internal(e)),
    }
}

pub async fn boxes(State(hub): State<AppState>, s: Session) -> Result<Response, WebError> {
    s.require(&[Role::Admin])?;
    let boxes: Vec<_> = hub
        .db
        .boxes()
        .await
        .map_err(WebError::internal)?
        .into_iter()
        .map(|b| context! { id => b.id, hall => b.hall, last_seen => b.last_seen_unix.map_or("–".to_string(), |t| when(&hub, t)) })
        .collect();
    html(render::page("boxes.html", s.lang(), Some(&s.user), &s.csrf, context! { title => s.lang().t("boxes.title"), boxes => boxes }))
}

#[derive(Deserialize)]
pub struct BoxForm {
    #[serde(default)]
    csrf: String,
    id: String,
    hall: String,
}

pub async fn add_box(State(hub): State<AppState>, s: Session, axum::Form(f): axum::Form<BoxForm>) -> Result<Response, WebError> {
    s.require(&[Role::Admin])?;
    s.check_csrf(&f.csrf)?;
    let now = hub.clock.now_unix();
    match hub.db.add_box(&f.id, &f.hall, now).await {
        Ok(token) => {
            hub.db.audit(&s.user.name, "box_added", &f.id, &f.hall, now).await.map_err(WebError::internal)?;
            message(&s, s.lang().t("boxes.add"), s.lang().t("boxes.token_once"), "notice", "/admin/boxes", &token)
        }
        Err(crate::hub::db::AdminError::Invalid(m)) => message(&s, s.lang().t("boxes.add"), &m, "error", "/admin/boxes", ""),
        Err(e) => Err(WebError::internal(e)),
    }
}

pub async fn audit(State(hub): State<AppState>, s: Session) -> Result<Response, WebError> {
    s.require(&[Role::Admin])?;
    let entries: Vec<_> = hub
        .db
        .audit_log(500)
        .await
        .map_err(WebError::internal)?
        .into_iter()
        .map(|a| context! { when => when(&hub, a.ts_unix), user => a.user, action => a.action, target => a.target, detail => a.detail })
        .collect();
    html(render::page("audit.html", s.lang(), Some(&s.user), &s.csrf, context! { title => s.lang().t("audit.title"), entries => entries }))
}
