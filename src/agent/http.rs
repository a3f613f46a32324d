//! The agent's HTTP server: `/` (status page), `/status` (JSON),
//! `/metrics` (Prometheus), and the zone editor (`/windows/{id}/editor`,
//! with its redacted live preview and layout API). Listens on 127.0.0.1 by
//! default, where the editor saves only from 127.0.0.1 (reach it through an
//! SSH tunnel). On a LAN address every page needs the installer's login
//! ([`super::login`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Extension, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::{get, post};
use axum::{Router, middleware};

use crate::config::Layout;
use crate::i18n::Lang;
use crate::sync::lock;

use super::Agent;
use super::login::{self, Access, PagesLogin};

/// The pages; with `login`, every route but `/login` needs it.
pub fn router(agent: Arc<Agent>, login: Option<Arc<PagesLogin>>) -> Router {
    let pages = Router::new()
        .route("/", get(page))
        .route("/status", get(status))
        .route("/metrics", get(metrics))
        .route("/windows/{id}/editor", get(editor))
        .route("/windows/{id}/preview.png", get(preview))
        .route("/windows/{id}/layout", get(layout).post(save_layout))
        .with_state(agent);
    let auth = Router::new()
        .route("/login", get(login::login_page).post(login::login))
        .route("/logout", post(login::logout))
        .with_state(login.clone());
    pages.merge(auth).layer(middleware::from_fn_with_state(login, login::gate))
}

async fn page(
    State(agent): State<Arc<Agent>>,
    Extension(access): Extension<Access>,
    Query(q): Query<HashMap<String, String>>,
) -> Html<String> {
    let english = q.get("lang").is_some_and(|l| l == "en");
    let html = super::status::page(&agent.status(), english);
    let sign_out = login::sign_out_form(&access, if english { Lang::En } else { Lang::Zh });
    Html(if sign_out.is_empty() { html } else { html.replacen("</body>", &format!("<p>{sign_out}</p></body>"), 1) })
}

async fn status(State(agent): State<Arc<Agent>>) -> impl IntoResponse {
    Json(agent.status())
}

async fn metrics(State(agent): State<Arc<Agent>>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], agent.metrics_text())
}

fn window<'a>(agent: &'a Agent, id: &str) -> Result<&'a Arc<super::WindowState>, Response> {
    agent
        .windows
        .iter()
        .find(|w| w.window.id == id)
        .ok_or_else(|| (StatusCode::NOT_FOUND, Json(serde_json::json!({ "error": format!("no window {id:?}") }))).into_response())
}

async fn editor(
    State(agent): State<Arc<Agent>>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = window(&agent, &id) {
        return r;
    }
    let lang = if q.get("lang").is_some_and(|l| l == "en") { Lang::En } else { Lang::Zh };
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    let rules: serde_json::Map<String, serde_json::Value> =
        crate::rules::RuleCode::ALL.iter().map(|r| (r.as_str().to_string(), lang.t(&format!("rule.{}", r.as_str())).into())).collect();
    let phases: serde_json::Map<String, serde_json::Value> =
        ["idle", "pending", "active", "clearing"].iter().map(|p| (p.to_string(), lang.t(&format!("editor.phase_{p}")).into())).collect();
    let texts = serde_json::json!({
        "saving": lang.t("editor.saving"), "saved": lang.t("editor.saved"), "refused": lang.t("editor.refused"),
        "present": lang.t("editor.present"), "out_of_sight": lang.t("editor.out_of_sight"), "posture": lang.t("editor.posture"), "trunk": lang.t("editor.trunk"), "neck": lang.t("editor.neck"), "sink": lang.t("editor.sink"),
        "head": lang.t("editor.head"), "legs": lang.t("editor.legs"), "citizen": lang.t("editor.citizen"), "badge": lang.t("editor.badge"), "legs_seen": lang.t("editor.legs_seen"), "baseline": lang.t("editor.baseline"), "baseline_px": lang.t("editor.baseline_px"), "placement": {
            "no_baseline": lang.t("baseline.none"), "small_clerk": lang.t("baseline.small"), "tilt_outside": lang.t("baseline.tilt"),
            "no_desk_line": lang.t("baseline.no_desk"), "desk_line_high": lang.t("baseline.desk_high"), "desk_line_low": lang.t("baseline.desk_low"), "face_rarely_seen": lang.t("baseline.face"), "visitors_hide_clerk": lang.t("baseline.visitors_hide") }, "remove_mask": lang.t("editor.remove_mask"),
        "rules": rules, "phases": phases, "yes": lang.t("editor.yes"), "no": lang.t("editor.no"),
        "values": { "sitting": lang.t("editor.sitting"), "standing": lang.t("editor.standing") },
    });
    let page = include_str!("editor.html")
        .replace("__LANG__", lang.code())
        .replace("__TITLE__", &format!("{} · {}", esc(lang.t("editor.title")), esc(&id)))
        .replace("__HELP__", &esc(lang.t("editor.help")))
        .replace("__SAVE__", &esc(lang.t("editor.save")))
        .replace("__RESET__", &esc(lang.t("editor.reset")))
        .replace("__ADD_MASK__", &esc(lang.t("editor.add_mask")))
        .replace("__DESK__", &esc(lang.t("editor.desk_toggle")))
        .replace("__BACK__", &esc(lang.t("editor.back")))
        .replace("__LIVE__", &esc(lang.t("editor.live")))
        .replace("__WINDOW__", &id.replace(['"', '\\', '<'], ""))
        .replace("__TEXTS__", &texts.to_string().replace('<', "\\u003c"))
        .replace(
            "__CSRF__",
            match &access {
                Access::Session { csrf } => csrf.as_str(),
                _ => "",
            },
        );
    Html(page).into_response()
}

/// The window's latest redacted preview; asking for it keeps previews
/// coming for a minute. 503 until the first is ready.
async fn preview(State(agent): State<Arc<Agent>>, Path(id): Path<String>) -> Response {
    let w = match window(&agent, &id) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let mut shown = lock(&w.shown);
    shown.preview_wanted = Some(std::time::Instant::now());
    match shown.preview.as_ref() {
        Some((_, png)) => ([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "no-store")], png.clone()).into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, "preview not ready yet").into_response(),
    }
}

async fn layout(State(agent): State<Arc<Agent>>, Path(id): Path<String>) -> Response {
    let w = match window(&agent, &id) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let rules = lock(&w.rules);
    let win = rules.window();
    let pts = |p: &crate::geometry::Polygon| p.0.iter().map(|q| [q.x, q.y]).collect::<Vec<_>>();
    let masks = lock(&w.shown).masks.iter().map(pts).collect();
    Json(Layout { staff_zone: pts(&win.staff_zone), counter_zone: pts(&win.counter_zone), desk_y: win.desk_y, masks: Some(masks) })
        .into_response()
}

/// Saves an edited layout: checked, written into the config file in place
/// (comments kept), the whole file validated first, then applied to the
/// running agent. Only from 127.0.0.1, or with a login and its CSRF token
/// ([`login::may_save`]).
async fn save_layout(
    State(agent): State<Arc<Agent>>,
    Extension(access): Extension<Access>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let bad = |status: StatusCode, m: String| (status, Json(serde_json::json!({ "error": m }))).into_response();
    if let Err(m) = login::may_save(&access, &peer, &headers) {
        return bad(StatusCode::FORBIDDEN, m.into());
    }
    if let Err(r) = window(&agent, &id) {
        return r;
    }
    let layout: Layout = match serde_json::from_slice(&body) {
        Ok(l) => l,
        Err(e) => return bad(StatusCode::BAD_REQUEST, format!("malformed layout: {e}")),
    };
    let checked = match layout.check() {
        Ok(c) => c,
        Err(m) => return bad(StatusCode::BAD_REQUEST, m),
    };
    let path = &agent.config_file;
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return bad(StatusCode::INTERNAL_SERVER_ERROR, format!("cannot read {}: {e}", path.display())),
    };
    let new_text = match layout.write_into(&text, &id) {
        Ok(t) => t,
        Err(m) => return bad(StatusCode::BAD_REQUEST, m),
    };
    if let Err(errors) = crate::config::parse(&new_text, path) {
        return bad(StatusCode::BAD_REQUEST, errors.to_string());
    }
    if let Err(e) = crate::atomic::write_bytes(path, new_text.as_bytes()) {
        return bad(StatusCode::INTERNAL_SERVER_ERROR, format!("cannot write {}: {e}", path.display()));
    }
    agent.apply_layout(&id, checked);
    Json(serde_json::json!({ "ok": true })).into_response()
}

/// Binds `addr` and serves on `rt` (the box's runtime); returns the bound
/// address (useful with port 0). A LAN address needs `login`.
pub fn spawn(
    rt: &tokio::runtime::Handle,
    agent: Arc<Agent>,
    addr: SocketAddr,
    login: Option<Arc<PagesLogin>>,
) -> anyhow::Result<SocketAddr> {
    if !addr.ip().is_loopback() && login.is_none() {
        anyhow::bail!(
            "refusing to serve the agent's pages on {addr} without a login. Fix: set [pages] password_file, or listen on 127.0.0.1"
        );
    }
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(addr))
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}. Fix: choose a free port with --listen"))?;
    let bound = listener.local_addr()?;
    rt.spawn(async move {
        if let Err(e) = axum::serve(listener, router(agent, login).into_make_service_with_connect_info::<SocketAddr>()).await {
            tracing::error!(error = %e, "status server stopped");
        }
    });
    Ok(bound)
}
