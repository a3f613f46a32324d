//! The login in front of the agent's pages when they listen on a LAN
//! address (`[pages] listen` + `password_file`).
//!
//! One installer password (argon2id hash in a file, never the password).
//! A browser signs in at `/login` and gets an HttpOnly, SameSite=Strict
//! session cookie; sessions live in memory (a restart signs everyone out).
//! Scripts and Prometheus may send the password as HTTP Basic instead, but
//! Basic requests may only read: saving a layout needs a browser session
//! and its CSRF token, because browsers resend cached Basic credentials on
//! cross-site requests. Wrong passwords are limited per address and for
//! the installer account by [`crate::signin::Limiter`] (an attempt is
//! reserved before its password is checked, so parallel requests cannot
//! get past the limit), and argon2 runs in a bounded pool
//! ([`crate::signin::PasswordPool`]): when it is full the answer is 503.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::Engine;
use serde::Deserialize;

use crate::i18n::Lang;
use crate::secret::{constant_eq, random_token, safe_next, verify_password};
use crate::signin::{Attempt, Busy, Limiter, PasswordPool, Refused};
use crate::sync::lock;

pub const SESSION_COOKIE: &str = "liyi_pages";
/// Header the editor sends its CSRF token in.
pub const CSRF_HEADER: &str = "x-liyi-csrf";
pub const MAX_FAILURES: u32 = crate::signin::ADDRESS_LIMIT;
pub const FAILURE_WINDOW: Duration = crate::signin::WINDOW;
/// The account name the limiter counts the installer password under.
const ACCOUNT: &str = "installer";
/// Sessions kept at most; the oldest go first.
const MAX_SESSIONS: usize = 64;

/// How a request got in.
#[derive(Debug, Clone, PartialEq)]
pub enum Access {
    /// No login is configured: the pages listen on 127.0.0.1 only.
    Local,
    /// A browser session, with its CSRF token.
    Session { csrf: String },
    /// HTTP Basic (scripts, Prometheus): read only.
    Basic,
}

struct Session {
    expires: Instant,
    csrf: String,
}

/// The password check, the sessions and the failure counts.
pub struct PagesLogin {
    hash: String,
    ttl: Duration,
    sessions: Mutex<HashMap<String, Session>>,
    pub limiter: Arc<Limiter>,
    pool: PasswordPool,
}

impl PagesLogin {
    pub fn new(password_hash: String, session_hours: f64) -> Arc<PagesLogin> {
        Arc::new(PagesLogin {
            hash: password_hash,
            ttl: Duration::from_secs_f64(session_hours * 3600.0),
            sessions: Mutex::new(HashMap::new()),
            limiter: Limiter::new(crate::signin::ADDRESS_LIMIT, crate::signin::ACCOUNT_LIMIT),
            pool: PasswordPool::for_this_machine(),
        })
    }

    /// Reserves one try for `ip` (before the password is checked).
    fn reserve(&self, ip: IpAddr, now: Instant) -> Result<Attempt, Refused> {
        self.limiter.reserve(ip, Some(ACCOUNT), now)
    }

    /// Checks the password in the bounded pool (argon2 takes tens of ms),
    /// and settles the attempt.
    async fn check(self: &Arc<Self>, ip: IpAddr, attempt: Attempt, password: String) -> Result<bool, Busy> {
        let me = Arc::clone(self);
        let ok = self.pool.run(move || verify_password(&password, &me.hash)).await?;
        if ok {
            attempt.succeeded();
        } else {
            attempt.failed();
            tracing::warn!(peer = %ip, "pages login refused");
        }
        Ok(ok)
    }

    /// A new session: (cookie token, CSRF token).
    fn start_session(&self, now: Instant) -> (String, String) {
        let (token, csrf) = (random_token(), random_token());
        let mut s = lock(&self.sessions);
        s.retain(|_, v| v.expires > now);
        while s.len() >= MAX_SESSIONS {
            let Some(oldest) = s.iter().min_by_key(|(_, v)| v.expires).map(|(k, _)| k.clone()) else { break };
            s.remove(&oldest);
        }
        s.insert(token.clone(), Session { expires: now + self.ttl, csrf: csrf.clone() });
        (token, csrf)
    }

    /// The CSRF token of a live session.
    fn session(&self, token: &str, now: Instant) -> Option<String> {
        let s = lock(&self.sessions);
        s.iter().find(|(k, v)| constant_eq(k.as_bytes(), token.as_bytes()) && v.expires > now).map(|(_, v)| v.csrf.clone())
    }

    fn end_session(&self, token: &str) {
        lock(&self.sessions).remove(token);
    }
}

/// The password of an `Authorization: Basic` header (any user name).
fn basic_password(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let b64 = v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic "))?;
    let raw = base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok()?;
    let s = String::from_utf8(raw).ok()?;
    Some(s.split_once(':').map_or(s.clone(), |(_, p)| p.to_string()))
}

/// Middleware: lets a request through with its [`Access`], or sends a
/// browser to `/login` and anything else a 401.
pub async fn gate(
    State(login): State<Option<Arc<PagesLogin>>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut req: Request,
    next: Next,
) -> Response {
    let Some(login) = login else {
        req.extensions_mut().insert(Access::Local);
        return next.run(req).await;
    };
    let path = req.uri().path();
    if path == "/login" {
        return next.run(req).await;
    }
    let now = Instant::now();
    if let Some(csrf) = CookieJar::from_headers(req.headers()).get(SESSION_COOKIE).and_then(|c| login.session(c.value(), now)) {
        req.extensions_mut().insert(Access::Session { csrf });
        return next.run(req).await;
    }
    if let Some(password) = basic_password(req.headers()) {
        let attempt = match login.reserve(peer.ip(), now) {
            Ok(a) => a,
            Err(r) => return too_many(Lang::En, r),
        };
        match login.check(peer.ip(), attempt, password).await {
            Ok(true) => {
                req.extensions_mut().insert(Access::Basic);
                return next.run(req).await;
            }
            Ok(false) => {}
            Err(Busy) => return busy(),
        }
    }
    let wants_page = req.method() == Method::GET
        && req.headers().get(header::ACCEPT).and_then(|a| a.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    if wants_page {
        let next = req.uri().path_and_query().map_or("/".to_string(), |p| p.to_string());
        return Redirect::to(&format!("/login?next={}", urlencoding(&next))).into_response();
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Basic realm=\"liyi agent\", charset=\"UTF-8\"")],
        axum::Json(
            serde_json::json!({ "error": "these pages need a login: sign in at /login, or send the installer password as HTTP Basic" }),
        ),
    )
        .into_response()
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn form(lang: Lang, next: &str, error: &str) -> String {
    let other = if lang == Lang::En { ("zh", "中文") } else { ("en", "English") };
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{}</title>\
         <style>body{{font-family:sans-serif;margin:3em auto;max-width:26em}}input{{font-size:1.1em;padding:.3em;width:100%;box-sizing:border-box}}button{{font-size:1.1em;margin-top:1em}}.err{{color:#c00}}</style></head>\
         <body><h1>{}</h1><p>{}</p>{}<form method=\"post\" action=\"/login{}\"><label>{}<br><input type=\"password\" name=\"password\" autocomplete=\"current-password\" autofocus required></label>\
         <input type=\"hidden\" name=\"next\" value=\"{}\"><button type=\"submit\">{}</button></form><p><a href=\"/login?lang={}&amp;next={}\">{}</a></p></body></html>",
        lang.code(),
        esc(lang.t("pages.title")),
        esc(lang.t("pages.title")),
        esc(lang.t("pages.help")),
        if error.is_empty() { String::new() } else { format!("<p class=\"err\">{}</p>", esc(error)) },
        if lang == Lang::En { "?lang=en" } else { "" },
        esc(lang.t("login.password")),
        esc(next),
        esc(lang.t("login.submit")),
        other.0,
        esc(&urlencoding(next)),
        other.1,
    )
}

fn too_many(lang: Lang, r: Refused) -> Response {
    let retry = r.0.as_secs().max(1).to_string();
    (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, retry)], Html(form(lang, "/", lang.t("pages.too_many")))).into_response()
}

/// Every password check slot is busy: try again shortly (nothing was checked).
fn busy() -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "1")], "busy checking other sign-ins; try again in a moment").into_response()
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    lang: Option<String>,
}

pub async fn login_page(Query(q): Query<NextQuery>) -> Response {
    let lang = if q.lang.as_deref() == Some("en") { Lang::En } else { Lang::Zh };
    Html(form(lang, &safe_next(q.next.as_deref()), "")).into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    State(login): State<Option<Arc<PagesLogin>>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<NextQuery>,
    jar: CookieJar,
    axum::Form(f): axum::Form<LoginForm>,
) -> Response {
    let lang = if q.lang.as_deref() == Some("en") { Lang::En } else { Lang::Zh };
    let next = safe_next(Some(&f.next));
    let Some(login) = login else { return Redirect::to(&next).into_response() };
    let now = Instant::now();
    let attempt = match login.reserve(peer.ip(), now) {
        Ok(a) => a,
        Err(r) => return too_many(lang, r),
    };
    match login.check(peer.ip(), attempt, f.password).await {
        Ok(true) => {}
        Ok(false) => return (StatusCode::UNAUTHORIZED, Html(form(lang, &next, lang.t("pages.failed")))).into_response(),
        Err(Busy) => return busy(),
    }
    let (token, _) = login.start_session(now);
    tracing::info!(peer = %peer.ip(), "pages login");
    let cookie = Cookie::build((SESSION_COOKIE, token)).http_only(true).same_site(SameSite::Strict).path("/").build();
    (jar.add(cookie), Redirect::to(&next)).into_response()
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(login): State<Option<Arc<PagesLogin>>>,
    access: Option<axum::Extension<Access>>,
    jar: CookieJar,
    axum::Form(f): axum::Form<LogoutForm>,
) -> Response {
    if let (Some(login), Some(axum::Extension(Access::Session { csrf }))) = (login, access) {
        if !constant_eq(csrf.as_bytes(), f.csrf.as_bytes()) {
            return (StatusCode::FORBIDDEN, "the form's CSRF token is wrong; reload the page").into_response();
        }
        if let Some(c) = jar.get(SESSION_COOKIE) {
            login.end_session(c.value());
        }
    }
    (jar.remove(Cookie::build(SESSION_COOKIE).path("/")), Redirect::to("/login")).into_response()
}

/// The sign-out button for a page, when the request came with a session.
pub fn sign_out_form(access: &Access, lang: Lang) -> String {
    match access {
        Access::Session { csrf } => format!(
            "<form method=\"post\" action=\"/logout\" style=\"display:inline\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">{}</button></form>",
            esc(csrf),
            esc(lang.t("pages.sign_out"))
        ),
        _ => String::new(),
    }
}

/// Whether a layout may be saved by this request: from 127.0.0.1 when no
/// login is configured; with a session and its CSRF header otherwise.
pub fn may_save(access: &Access, peer: &SocketAddr, headers: &HeaderMap) -> Result<(), &'static str> {
    match access {
        Access::Local if peer.ip().is_loopback() => Ok(()),
        Access::Local => {
            Err("the editor saves only from 127.0.0.1; use an SSH tunnel (see README), or set [pages] listen and password_file")
        }
        Access::Basic => Err("saving needs a browser login at /login (HTTP Basic may only read)"),
        Access::Session { csrf } => {
            let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            if constant_eq(sent.as_bytes(), csrf.as_bytes()) {
                Ok(())
            } else {
                Err("the editor's CSRF token is missing or wrong; reload the page")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_lock_an_address_out_for_the_window_only() {
        let l = PagesLogin::new(crate::secret::hash_password("installer-pass-1").unwrap(), 1.0);
        let (a, b): (IpAddr, IpAddr) = ("192.168.1.20".parse().unwrap(), "192.168.1.21".parse().unwrap());
        let t0 = Instant::now();
        for _ in 0..MAX_FAILURES {
            l.reserve(a, t0).unwrap().settle(true, t0);
        }
        assert!(l.reserve(a, t0).is_err());
        assert!(l.reserve(b, t0).is_ok(), "another address keeps its tries");
        assert!(l.reserve(a, t0 + FAILURE_WINDOW + Duration::from_secs(1)).is_ok(), "the lock ends with the window");
    }

    #[test]
    fn sessions_expire_and_end() {
        let l = PagesLogin::new("$argon2id$x".into(), 1.0);
        let t0 = Instant::now();
        let (token, csrf) = l.start_session(t0);
        assert_eq!(l.session(&token, t0).as_deref(), Some(csrf.as_str()));
        assert_eq!(l.session("someone-else", t0), None);
        assert_eq!(l.session(&token, t0 + Duration::from_secs(3601)), None, "expired after session_hours");
        l.end_session(&token);
        assert_eq!(l.session(&token, t0), None);
        for _ in 0..MAX_SESSIONS + 5 {
            l.start_session(t0);
        }
        assert!(lock(&l.sessions).len() <= MAX_SESSIONS);
    }

    #[test]
    fn basic_header_and_save_permission() {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, "Basic cHJvbTpzM2NyZXQ6eA==".parse().unwrap()); // prom:s3cret:x
        assert_eq!(basic_password(&h).as_deref(), Some("s3cret:x"));
        h.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(basic_password(&h), None);

        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let lan: SocketAddr = "192.168.1.20:5000".parse().unwrap();
        let none = HeaderMap::new();
        assert!(may_save(&Access::Local, &local, &none).is_ok());
        assert!(may_save(&Access::Local, &lan, &none).unwrap_err().contains("127.0.0.1"));
        assert!(may_save(&Access::Basic, &local, &none).unwrap_err().contains("Basic"));
        let s = Access::Session { csrf: "tok".into() };
        assert!(may_save(&s, &lan, &none).unwrap_err().contains("CSRF"));
        let mut with = HeaderMap::new();
        with.insert(CSRF_HEADER, "tok".parse().unwrap());
        assert!(may_save(&s, &lan, &with).is_ok());
    }

    #[test]
    fn next_is_encoded_and_kept_local() {
        assert_eq!(urlencoding("/windows/w01/editor?lang=en"), "/windows/w01/editor%3Flang%3Den");
        let page = form(Lang::Zh, "/x\"><script>", "");
        assert!(!page.contains("<script>"));
    }
}
