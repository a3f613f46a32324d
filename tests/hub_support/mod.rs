//! A real hub process, a real SMTP sink and a webhook receiver on
//! 127.0.0.1, and a small HTTP client that signs in like a browser.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::common;

pub use common::free_port;

pub fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("liyi")
}

/// Which engine a test hub's store runs on.
pub enum Engine {
    Sqlite,
    /// A scratch database on the `LIYI_TEST_PG` server, dropped with the hub.
    Postgres(liyi::hub::db::scratch::ScratchPg),
}

impl Engine {
    /// A scratch PostgreSQL database for `test`, or `None` (the test says it
    /// did not run) when `LIYI_TEST_PG` is not set.
    pub fn postgres(test: &str) -> Option<Engine> {
        rt().block_on(liyi::hub::db::scratch::ScratchPg::new(test)).map(Engine::Postgres)
    }
}

/// Runs a hub test on SQLite and, where `LIYI_TEST_PG` names a server, on
/// PostgreSQL: `on_both_engines!(name, body_fn)` makes `name` (SQLite) and
/// `name_on_postgres`.
#[macro_export]
macro_rules! on_both_engines {
    ($name:ident, $pg:ident, $body:ident) => {
        #[test]
        fn $name() {
            $body(hub_support::Engine::Sqlite);
        }
        #[test]
        fn $pg() {
            if let Some(e) = hub_support::Engine::postgres(stringify!($pg)) {
                $body(e);
            }
        }
    };
}

/// A hub process over `dir/hub.toml`.
pub struct HubProc {
    pub child: Option<Child>,
    pub config: PathBuf,
    pub url: String,
    pub port: u16,
    pub engine: Engine,
    /// A replica's store: the one it shares with the hub it was made from.
    pub shared: Option<liyi::hub::db::StoreUrl>,
}

impl HubProc {
    /// Writes `dir/hub.toml` (listen on a free port, data in `dir/hub-data`)
    /// with `extra` appended, without starting it.
    pub fn configure(dir: &Path, extra: &str) -> HubProc {
        HubProc::configure_on(dir, extra, Engine::Sqlite)
    }

    /// As [`HubProc::configure`], with the store on `engine`.
    pub fn configure_on(dir: &Path, extra: &str, engine: Engine) -> HubProc {
        let port = free_port();
        let config = dir.join("hub.toml");
        let store = match &engine {
            Engine::Sqlite => String::new(),
            Engine::Postgres(pg) => format!("\n[store]\nurl = \"{}\"\n", pg.url),
        };
        std::fs::write(
            &config,
            format!("listen = \"127.0.0.1:{port}\"\ndata_dir = \"hub-data\"\npublic_url = \"http://127.0.0.1:{port}\"\n{extra}{store}"),
        )
        .unwrap();
        HubProc { child: None, config, url: format!("http://127.0.0.1:{port}"), port, engine, shared: None }
    }

    /// A second hub process on the same store and clips folder (a replica
    /// behind a load balancer), with its own port and `dir/hub.toml`.
    pub fn replica(&self, dir: &Path) -> HubProc {
        let port = free_port();
        let text = std::fs::read_to_string(&self.config).unwrap().replace(&self.port.to_string(), &port.to_string());
        let data = self.config.parent().unwrap().join("hub-data");
        let text = text.replace("data_dir = \"hub-data\"", &format!("data_dir = \"{}\"", data.display()));
        let config = dir.join("hub.toml");
        std::fs::write(&config, text).unwrap();
        HubProc {
            child: None,
            config,
            url: format!("http://127.0.0.1:{port}"),
            port,
            engine: Engine::Sqlite,
            shared: Some(self.store_url()),
        }
    }

    /// The store's URL as `[store] url` says it.
    pub fn store_url(&self) -> liyi::hub::db::StoreUrl {
        if let Some(u) = &self.shared {
            return u.clone();
        }
        let data = self.config.parent().unwrap().join("hub-data");
        match &self.engine {
            Engine::Sqlite => liyi::hub::db::StoreUrl::Sqlite(self.store()),
            Engine::Postgres(pg) => liyi::hub::db::StoreUrl::parse(&pg.url, &data).unwrap(),
        }
    }

    /// The hub's store, opened (and upgraded) from the test.
    pub async fn db(&self) -> liyi::hub::HubDb {
        liyi::hub::HubDb::connect(&self.store_url()).await.unwrap()
    }

    pub fn start(&mut self) {
        let child = Command::new(bin())
            .args(["hub", "--log", "info", "--config"])
            .arg(&self.config)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let addr = format!("127.0.0.1:{}", self.port);
        common::wait_for(Duration::from_secs(30), || std::net::TcpStream::connect(&addr).ok()).expect("the hub listens");
    }

    /// kill -9.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// `liyi hub --config … ARGS` (admin subcommands); stdout.
    pub fn admin(&self, args: &[&str], password: Option<&str>) -> String {
        let mut cmd = Command::new(bin());
        cmd.arg("hub").arg("--config").arg(&self.config).args(args);
        if let Some(p) = password {
            cmd.env("LIYI_PASSWORD", p);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "liyi hub {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    pub fn store(&self) -> PathBuf {
        self.config.parent().unwrap().join("hub-data/hub.sqlite")
    }
}

impl Drop for HubProc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Receives webhook POSTs on 127.0.0.1; keeps their JSON bodies.
pub struct WebhookSink {
    pub url: String,
    pub bodies: Arc<Mutex<Vec<serde_json::Value>>>,
    _rt: tokio::runtime::Runtime,
}

impl WebhookSink {
    pub fn start() -> WebhookSink {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let bodies: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}/cgi-bin/webhook/send?key=test", listener.local_addr().unwrap());
        let b = Arc::clone(&bodies);
        let app = axum::Router::new().route(
            "/cgi-bin/webhook/send",
            axum::routing::post(move |axum::Json(v): axum::Json<serde_json::Value>| {
                let b = Arc::clone(&b);
                async move {
                    b.lock().unwrap().push(v);
                    axum::Json(serde_json::json!({"errcode": 0, "errmsg": "ok"}))
                }
            }),
        );
        rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
        WebhookSink { url, bodies, _rt: rt }
    }

    /// The markdown texts received so far.
    pub fn texts(&self) -> Vec<String> {
        self.bodies
            .lock()
            .unwrap()
            .iter()
            .map(|v| v["markdown"]["content"].as_str().or(v["markdown"]["text"].as_str()).unwrap_or("").to_string())
            .collect()
    }
}

/// Debian's aiosmtpd writing every message into a Maildir.
pub struct SmtpSink {
    pub port: u16,
    pub maildir: PathBuf,
    child: Child,
}

impl SmtpSink {
    pub fn start(dir: &Path) -> SmtpSink {
        let port = free_port();
        let maildir = dir.join("maildir");
        let child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3-aiosmtpd is installed by scripts/setup.sh --test");
        common::wait_for(Duration::from_secs(20), || std::net::TcpStream::connect(("127.0.0.1", port)).ok())
            .expect("the SMTP sink listens");
        SmtpSink { port, maildir, child }
    }

    /// The raw messages delivered so far.
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(rd) = std::fs::read_dir(self.maildir.join(sub)) {
                for e in rd.flatten() {
                    out.push(std::fs::read_to_string(e.path()).unwrap_or_default());
                }
            }
        }
        out
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A signed-in person (cookies kept by hand; redirects not followed).
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
    pub cookie: String,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn hidden(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    html.split(&key).nth(1).and_then(|r| r.split('"').next()).unwrap_or("").to_string()
}

fn cookie_of(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_string())
}

impl Browser {
    pub async fn sign_in(base: &str, name: &str, password: &str) -> Browser {
        let client = client();
        let page = client.get(format!("{base}/login")).send().await.unwrap();
        let login_cookie = cookie_of(&page, "liyi_login_csrf").expect("the login page sets its CSRF cookie");
        let csrf = hidden(&page.text().await.unwrap(), "csrf");
        let resp = client
            .post(format!("{base}/login"))
            .header("cookie", &login_cookie)
            .form(&[("csrf", csrf.as_str()), ("name", name), ("password", password), ("next", "/")])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 303, "sign-in of {name}");
        let set = resp.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect::<Vec<_>>().join("\n");
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
        let cookie = cookie_of(&resp, "liyi_session").expect("a session cookie");
        Browser { client, base: base.to_string(), cookie }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.base)).header("cookie", &self.cookie).send().await.unwrap()
    }

    /// The CSRF token on a page.
    pub async fn csrf(&self, path: &str) -> String {
        hidden(&self.get(path).await.text().await.unwrap(), "csrf")
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client.post(format!("{}{path}", self.base)).header("cookie", &self.cookie).form(form).send().await.unwrap()
    }
}

/// A box's POST with its token.
pub async fn post_json(base: &str, path: &str, token: Option<&str>, body: String) -> (u16, String) {
    let mut req = client().post(format!("{base}{path}")).header("content-type", "application/json").body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// The `[hub]` section of a box's config.
pub fn hub_section(url: &str, box_id: &str, token_file: &Path, extra: &str) -> String {
    format!("\n[hub]\nurl = \"{url}\"\nbox = \"{box_id}\"\ntoken_file = \"{}\"\n{extra}\n", token_file.display())
}

/// A day two days before today in the halls' zone (+08:00), as
/// `YYYY-MM-DD`: rows the tests send fall inside the hub's window of
/// accepted times whenever the tests run (fixed dates would be refused a
/// year on).
pub fn recent_day() -> String {
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    (today - chrono::Days::new(2)).format("%Y-%m-%d").to_string()
}

/// A tokio runtime for a test's async part.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// Today in the halls' zone, as `YYYY-MM-DD`.
pub fn today() -> String {
    chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive().to_string()
}

/// A minimal clean clip (grey frames, no person) and, with `face`, one of a
/// face photo; both with a plain grey PNG thumbnail.
pub fn clip_parts(dir: &Path, face: bool) -> (Vec<u8>, Vec<u8>) {
    let mp4 = dir.join(if face { "face.mp4" } else { "grey.mp4" });
    let input: Vec<String> = if face {
        let photo = common::fixture("astronaut.png");
        vec!["-loop".into(), "1".into(), "-i".into(), photo.display().to_string()]
    } else {
        vec!["-f".into(), "lavfi".into(), "-i".into(), "color=c=gray:s=320x240".into()]
    };
    let ok = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y"])
        .args(&input)
        .args(["-t", "1", "-r", "2", "-pix_fmt", "yuv420p", "-vf", "scale=640:-2", "-c:v", "libx264"])
        .arg(&mp4)
        .status()
        .unwrap();
    assert!(ok.success());
    let mut png = Vec::new();
    image::RgbImage::from_pixel(64, 36, image::Rgb([128, 128, 128]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    (std::fs::read(&mp4).unwrap(), png)
}

/// `POST /api/v1/clips` as a box would: the status and the body.
pub async fn upload_clip(base: &str, token: &str, window: &str, rule: &str, start: &str, video: Vec<u8>, thumb: Vec<u8>) -> (u16, String) {
    let meta = serde_json::json!({ "window": window, "rule": rule, "event_start": start, "trigger_ts": start });
    let part = |b: Vec<u8>, name: &str| reqwest::multipart::Part::bytes(b).file_name(name.to_string());
    let form = reqwest::multipart::Form::new()
        .part("meta", part(meta.to_string().into_bytes(), "meta.json"))
        .part("video", part(video, "clip.mp4"))
        .part("thumbnail", part(thumb, "thumb.png"))
        .part("sidecar", part(br#"{"values": {"trunk_deg": 12.5}}"#.to_vec(), "sidecar.json"));
    let r = client().post(format!("{base}/api/v1/clips")).bearer_auth(token).multipart(form).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}
