//! Sessions for people: argon2 passwords, an HttpOnly SameSite=Strict
//! cookie holding a random token (only its hash is stored), and a CSRF
//! token per session that every form carries. The login form has its own
//! CSRF cookie (double submit).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

use super::{AppState, WebError};
use crate::hub::db::{Role, User, secret};
use crate::hub::render;

pub const SESSION_COOKIE: &str = "liyi_session";
const LOGIN_COOKIE: &str = "liyi_login_csrf";

/// A signed-in person.
pub struct Session {
    pub user: User,
    pub csrf: String,
    pub lang: crate::i18n::Lang,
}

impl Session {
    /// 403 unless the user has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), WebError> {
        if roles.contains(&self.user.role) {
            Ok(())
        } else {
            Err(WebError::Page(StatusCode::FORBIDDEN, format!("{} ({})", self.lang().t("error.forbidden"), self.user.role.as_str())))
        }
    }

    /// 403 unless the form's CSRF token is this session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), WebError> {
        if constant_eq(sent.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(WebError::Page(StatusCode::FORBIDDEN, "the form's CSRF token is missing or wrong; reload the page and try again".into()))
        }
    }

    pub fn lang(&self) -> crate::i18n::Lang {
        self.lang
    }
}

pub use crate::secret::constant_eq;
use crate::secret::safe_next;

impl FromRequestParts<AppState> for Session {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, hub: &AppState) -> Result<Self, Self::Rejection> {
        let next = parts.uri.path_and_query().map_or("/".to_string(), |p| p.to_string());
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else { return Err(WebError::SignIn(next)) };
        match hub.db.session(&token, hub.clock.now_unix()).await.map_err(WebError::internal)? {
            Some((user, csrf)) => Ok(Session { user, csrf, lang: hub.cfg.language }),
            None => Err(WebError::SignIn(next)),
        }
    }
}

/// The signed-in person, if any (for pages that also work without one).
pub async fn optional(parts_headers: &axum::http::HeaderMap, hub: &AppState) -> Option<Session> {
    let token = CookieJar::from_headers(parts_headers).get(SESSION_COOKIE)?.value().to_string();
    let (user, csrf) = hub.db.session(&token, hub.clock.now_unix()).await.ok()??;
    Some(Session { user, csrf, lang: hub.cfg.language })
}

fn cookie(hub: &AppState, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .secure(hub.cfg.public_url.starts_with("https://"))
        .build()
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_page(State(hub): State<AppState>, Query(q): Query<NextQuery>, jar: CookieJar) -> Response {
    let token = secret();
    let lang = hub.cfg.language;
    let body = render::page(
        "login.html",
        lang,
        None,
        "",
        minijinja::context! { title => lang.t("login.title"), login_csrf => &token, next => safe_next(q.next.as_deref()), error => "" },
    );
    match body {
        Ok(b) => (jar.add(cookie(&hub, LOGIN_COOKIE, token)), Html(b)).into_response(),
        Err(e) => WebError::internal(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    name: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Signs in: the CSRF cookie first, then one attempt reserved against the
/// address's and the account's limits ([`crate::signin`]), then argon2 in
/// the bounded pool (503 at once when it is full).
pub async fn login(
    State(hub): State<AppState>,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    jar: CookieJar,
    axum::Form(f): axum::Form<LoginForm>,
) -> Result<Response, WebError> {
    let expected = jar.get(LOGIN_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
    if expected.is_empty() || !constant_eq(expected.as_bytes(), f.csrf.as_bytes()) {
        return Err(WebError::Page(
            StatusCode::FORBIDDEN,
            "the sign-in form's CSRF token is missing or wrong; open the sign-in page again".into(),
        ));
    }
    let lang = hub.cfg.language;
    // No account has such a name (`user-add` allows 1-64 printable
    // characters): refused before it reaches the limiter, the store or the
    // log, so a flood of long names costs neither memory nor disk.
    if !crate::hub::db::valid_user_name(&f.name) {
        return Err(WebError::Page(StatusCode::BAD_REQUEST, lang.t("login.failed").to_string()));
    }
    let address = peer.map_or(std::net::IpAddr::from([0, 0, 0, 0]), |c| c.0.0.ip());
    let attempt = match hub.signin.reserve(address, Some(f.name.trim()), std::time::Instant::now()) {
        Ok(a) => a,
        Err(crate::signin::Refused(wait)) => {
            tracing::warn!(name = %f.name, %address, "sign-in refused: too many wrong passwords");
            let message = format!("{} ({} s)", lang.t("login.too_many"), wait.as_secs().max(1));
            let retry = [(header::RETRY_AFTER, wait.as_secs().max(1).to_string())];
            return Ok((StatusCode::TOO_MANY_REQUESTS, retry, WebError::Page(StatusCode::TOO_MANY_REQUESTS, message)).into_response());
        }
    };
    // The counts every hub process sharing the store keeps: a replica
    // behind a load balancer sees the wrong passwords the others saw.
    let now = hub.clock.now_unix();
    let keys = [format!("addr:{address}"), format!("user:{}", f.name.trim())];
    if let Some(wait) = shared_refusal(&hub, &keys, now).await.map_err(WebError::internal)? {
        drop(attempt);
        tracing::warn!(name = %f.name, %address, "sign-in refused: too many wrong passwords (counted by all hub processes)");
        let message = format!("{} ({} s)", lang.t("login.too_many"), wait);
        let retry = [(header::RETRY_AFTER, wait.to_string())];
        return Ok((StatusCode::TOO_MANY_REQUESTS, retry, WebError::Page(StatusCode::TOO_MANY_REQUESTS, message)).into_response());
    }
    let found = hub.db.user_and_hash(&f.name).await.map_err(WebError::internal)?;
    let password = f.password.clone();
    let checked = hub
        .passwords
        .run(move || match found {
            Some((user, hash)) => crate::secret::verify_password(&password, &hash).then_some(user),
            None => {
                // Same work for unknown names, so timing does not tell them apart.
                crate::secret::burn_password_check(&password);
                None
            }
        })
        .await;
    let Ok(checked) = checked else {
        drop(attempt); // not checked: the try is given back
        let busy = WebError::Page(StatusCode::SERVICE_UNAVAILABLE, lang.t("login.busy").to_string());
        return Ok((StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "1")], busy).into_response());
    };
    let Some(user) = checked else {
        attempt.failed();
        let window = crate::signin::WINDOW.as_secs_f64();
        hub.db.record_signin_failure(&keys, now, now - window).await.map_err(WebError::internal)?;
        tracing::warn!(name = %f.name, %address, "sign-in refused");
        let token = secret();
        let body = render::page("login.html", lang, None, "", minijinja::context! { title => lang.t("login.title"), login_csrf => &token, next => safe_next(Some(&f.next)), error => lang.t("login.failed") })
            .map_err(WebError::internal)?;
        return Ok((StatusCode::UNAUTHORIZED, jar.add(cookie(&hub, LOGIN_COOKIE, token)), Html(body)).into_response());
    };
    attempt.succeeded();
    hub.db.clear_signin_failures(&keys[1]).await.map_err(WebError::internal)?;
    let (token, _) = hub.db.new_session(&user, now).await.map_err(WebError::internal)?;
    hub.db.audit(&user.name, "sign_in", "", "", now).await.map_err(WebError::internal)?;
    let jar = jar.remove(Cookie::build(LOGIN_COOKIE).path("/")).add(cookie(&hub, SESSION_COOKIE, token));
    Ok((jar, Redirect::to(&safe_next(Some(&f.next)))).into_response())
}

/// Seconds to wait if the store's counts refuse this sign-in: the address
/// or the account has had its limit of wrong passwords within
/// [`crate::signin::WINDOW`].
async fn shared_refusal(hub: &crate::hub::Hub, keys: &[String; 2], now: f64) -> Result<Option<u64>, crate::store::StoreError> {
    let window = crate::signin::WINDOW.as_secs_f64();
    for (key, limit) in keys.iter().zip([crate::signin::ADDRESS_LIMIT, crate::signin::ACCOUNT_LIMIT]) {
        let (n, last) = hub.db.signin_failures(key, now - window).await?;
        if n >= i64::from(limit) {
            return Ok(Some((last.unwrap_or(now) + window - now).ceil().max(1.0) as u64));
        }
    }
    Ok(None)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

pub async fn logout(
    State(hub): State<AppState>,
    session: Session,
    jar: CookieJar,
    axum::Form(f): axum::Form<CsrfForm>,
) -> Result<Response, WebError> {
    session.check_csrf(&f.csrf)?;
    if let Some(c) = jar.get(SESSION_COOKIE) {
        hub.db.end_session(c.value()).await.map_err(WebError::internal)?;
    }
    Ok((jar.remove(Cookie::build(SESSION_COOKIE).path("/")), Redirect::to("/login")).into_response())
}
