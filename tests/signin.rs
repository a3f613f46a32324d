//! Sign-in limits against real servers on 127.0.0.1: 50 parallel wrong
//! passwords at the hub's and the agent's login; at most the limit are
//! checked (the others get 429, or 503 while the password pool is full),
//! and the right password from another address still signs in.

mod common;
mod hub_support;

use std::net::IpAddr;

use hub_support::*;

const PARALLEL: usize = 50;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap()
}

/// A client whose connections come from `from` (any 127.x address reaches 127.0.0.1 on Linux).
fn client_from(from: &str) -> reqwest::Client {
    let ip: IpAddr = from.parse().unwrap();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).local_address(ip).build().unwrap()
}

fn hidden(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    html.split(&key).nth(1).and_then(|r| r.split('"').next()).unwrap_or("").to_string()
}

/// The statuses of `n` sign-ins sent at once.
async fn flood(n: usize, send: impl Fn() -> reqwest::RequestBuilder) -> Vec<u16> {
    let tasks: Vec<_> = (0..n).map(|_| tokio::spawn(send().send())).collect();
    let mut statuses = vec![];
    for t in tasks {
        statuses.push(t.await.unwrap().unwrap().status().as_u16());
    }
    statuses
}

fn count(statuses: &[u16], code: u16) -> usize {
    statuses.iter().filter(|s| **s == code).count()
}

/// The hub's login form: (login CSRF cookie, token), for one client.
async fn hub_login_form(client: &reqwest::Client, base: &str) -> (String, String) {
    let page = client.get(format!("{base}/login")).send().await.unwrap();
    let cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("liyi_login_csrf="))
        .map(|v| v.split(';').next().unwrap().to_string())
        .unwrap();
    (cookie, hidden(&page.text().await.unwrap(), "csrf"))
}

/// A sign-in POST to the hub from `c`, with its login form's cookie and token.
fn hub_login_post(c: &reqwest::Client, base: &str, cookie: &str, csrf: &str, name: &str, password: &str) -> reqwest::RequestBuilder {
    c.post(format!("{base}/login")).header("cookie", cookie).form(&[("csrf", csrf), ("name", name), ("password", password), ("next", "/")])
}

on_both_engines!(
    hub_login_counts_parallel_wrong_passwords_atomically,
    hub_login_counts_parallel_wrong_passwords_atomically_on_postgres,
    hub_login_counts_parallel_wrong_passwords_atomically_on
);

fn hub_login_counts_parallel_wrong_passwords_atomically_on(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = HubProc::configure_on(dir.path(), "", engine);
    hub.admin(&["user-add", "root", "--role", "admin"], Some("admin-password"));
    hub.start();
    let base = hub.url.clone();
    rt().block_on(async {
        let attacker = client_from("127.0.0.1");
        let (cookie, csrf) = hub_login_form(&attacker, &base).await;
        let post = |c: &reqwest::Client, cookie: &str, csrf: &str, password: &str| hub_login_post(c, &base, cookie, csrf, "root", password);
        let statuses = flood(PARALLEL, || post(&attacker, &cookie, &csrf, "wrong-password-x")).await;
        let checked = count(&statuses, 401);
        assert!(checked <= liyi::signin::ADDRESS_LIMIT as usize, "{checked} wrong passwords were checked: {statuses:?}");
        assert!(count(&statuses, 429) > 0, "{statuses:?}");
        assert_eq!(checked + count(&statuses, 429) + count(&statuses, 503), PARALLEL, "{statuses:?}");
        // This address is refused even with the right password (nothing is checked) ...
        let r = post(&attacker, &cookie, &csrf, "admin-password").send().await.unwrap();
        assert_eq!(r.status(), 429);
        assert!(r.headers().get("retry-after").is_some());
        // ... while the right password from another address signs in.
        let other = client_from("127.0.0.2");
        let (cookie2, csrf2) = hub_login_form(&other, &base).await;
        let r = post(&other, &cookie2, &csrf2, "admin-password").send().await.unwrap();
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    });
}

#[test]
fn agent_login_counts_parallel_wrong_passwords_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let pass = dir.path().join("pages.pass");
    let out = common::liyi().args(["pages-password", "--out"]).arg(&pass).env("LIYI_PASSWORD", "ladder-and-laptop-7").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let config = common::demo_config(dir.path(), "[pages]\npassword_file = \"pages.pass\"\n");
    let store = dir.path().join("edge.sqlite");
    let args = ["--config".as_ref(), config.as_os_str(), "--store".as_ref(), store.as_os_str(), "--seconds".as_ref(), "300".as_ref()];
    let agent = common::RunningAgent::spawn(&args);
    let base = format!("http://{}", agent.addr);
    rt().block_on(async {
        let attacker = client_from("127.0.0.1");
        let post =
            |c: &reqwest::Client, password: &str| c.post(format!("{base}/login")).form(&[("password", password), ("next", "/status")]);
        let statuses = flood(PARALLEL, || post(&attacker, "guess-guess-guess")).await;
        let checked = count(&statuses, 401);
        assert!(checked <= liyi::agent::login::MAX_FAILURES as usize, "{checked} wrong passwords were checked: {statuses:?}");
        assert!(count(&statuses, 429) > 0, "{statuses:?}");
        assert_eq!(checked + count(&statuses, 429) + count(&statuses, 503), PARALLEL, "{statuses:?}");
        // HTTP Basic goes through the same limit.
        let basic = attacker.get(format!("{base}/status")).basic_auth("prometheus", Some("ladder-and-laptop-7")).send().await.unwrap();
        assert_eq!(basic.status(), 429);
        let r = post(&other_client(), "ladder-and-laptop-7").send().await.unwrap();
        assert_eq!(r.status(), 303, "the right password from another address signs in");
        assert_eq!(r.headers()["location"], "/status");
    });
}

fn other_client() -> reqwest::Client {
    client_from("127.0.0.2")
}

/// A flood of sign-ins with names no account can have (64 KiB, or with
/// control characters): each is refused with a 400 before the limiter, the
/// store or the log sees it, so it costs neither memory nor disk; a real
/// name's wrong password is still counted.
#[test]
fn hub_login_refuses_impossible_names_before_counting_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = HubProc::configure(dir.path(), "");
    hub.admin(&["user-add", "root", "--role", "admin"], Some("admin-password"));
    hub.start();
    let base = hub.url.clone();
    rt().block_on(async {
        let client = client_from("127.0.0.3");
        let (cookie, csrf) = hub_login_form(&client, &base).await;
        let post = |name: String| hub_login_post(&client, &base, &cookie, &csrf, &name, "wrong-password-x");
        for name in ["x".repeat(64 * 1024), "a".repeat(65), "root\n2026-12-05 forged log line".to_string(), "   ".to_string()] {
            for _ in 0..20 {
                let r = post(name.clone()).send().await.unwrap();
                assert_eq!(r.status(), 400, "{:.40}", name);
            }
        }
        let r = post("root".into()).send().await.unwrap();
        assert_eq!(r.status(), 401, "a wrong password for a real name is checked, the 80 refusals did not use up the address's tries");
    });
    let rows = rt().block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", hub.store().display())).await.unwrap();
        sqlx::query_scalar::<_, String>("SELECT key FROM signin_failure").fetch_all(&mut c).await.unwrap()
    });
    assert!(rows.iter().all(|k| k.len() <= 70), "{:?}", rows.iter().map(|k| k.len()).collect::<Vec<_>>());
    assert!(rows.iter().any(|k| k == "user:root"), "{rows:?}");
}
