//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A port on 127.0.0.1 for a child process to listen on later.
///
/// `bind("127.0.0.1:0")` hands out ports from the kernel's ephemeral range
/// (32768–60999 by default on Linux), the same range every outgoing
/// connection and every `:0` listener of a parallel test draws from; such a
/// port, freed here and bound by the child later, was taken in between once
/// ("Address already in use"). These ports lie below that range, so only
/// another call of this function can hand them out: calls in one process take
/// successive ports, and the starting point depends on the process id.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const LOW: u32 = 20_000;
    const SPAN: u32 = 12_000;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let start = std::process::id().wrapping_mul(7_919) % SPAN;
    for _ in 0..SPAN {
        let port = (LOW + (start + NEXT.fetch_add(1, Ordering::Relaxed)) % SPAN) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port on 127.0.0.1 between {LOW} and {}", LOW + SPAN - 1)
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/` beside the repository (or `$LIYI_SHARED`): the workplace's
/// models and the fixtures whose licences keep them out of the repository.
pub fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("LIYI_SHARED").map(PathBuf::from).unwrap_or_else(|| repo().join("../shared"));
    if dir.join("fixtures").is_dir() {
        Some(dir)
    } else {
        assert!(std::env::var_os("LIYI_REQUIRE_SHARED").is_none(), "LIYI_REQUIRE_SHARED is set but {} has no fixtures/", dir.display());
        None
    }
}

/// Where a reference JSON's image lives: in `tests/fixtures/` when its
/// licence allows, else in `../shared/fixtures/`.
pub fn reference_image(source: &str) -> Option<PathBuf> {
    let local = [repo().join("tests/fixtures").join(source), repo().join("tests/fixtures/street-walk").join(source)];
    if let Some(p) = local.into_iter().find(|p| p.is_file()) {
        return Some(p);
    }
    let p = shared()?.join("fixtures").join(source);
    p.is_file().then_some(p)
}

/// The opt-in YOLO11n-pose model, from `../shared/models/` when present.
pub fn yolo_model() -> Option<PathBuf> {
    let p = shared()?.join("models/pose/yolo11n-pose-dynamic.onnx");
    p.is_file().then_some(p)
}

/// The built `liyi` binary.
pub fn liyi() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("liyi").expect("liyi binary is built")
}

pub fn fixture(rel: &str) -> PathBuf {
    repo().join("tests/fixtures").join(rel)
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}

/// A window over the street video: the standing person's half is the staff
/// zone, the walker's half the counter zone.
pub const STREET_WINDOW: &str = r#"[[window]]
id = "street"
source = "file:street.mp4"
staff_zone = [[0.0, 0.3], [0.5, 0.3], [0.5, 1.0], [0.0, 1.0]]
counter_zone = [[0.5, 0.3], [1.0, 0.3], [1.0, 1.0], [0.5, 1.0]]
desk_y = 0.9
hours = ["00:00-23:59"]
"#;

/// Copies the sample video into `dir` as `street.mp4` and writes
/// `dir/hall.toml` with the street window plus `more` (further windows).
pub fn street_config(dir: &Path, more: &str) -> PathBuf {
    std::fs::copy(repo().join("assets/street-walk.mp4"), dir.join("street.mp4")).unwrap();
    let config = dir.join("hall.toml");
    std::fs::write(&config, format!("hall = \"测试\"\n{STREET_WINDOW}\n{more}")).unwrap();
    config
}

/// Copies the sample video into `dir` and writes `dir/hall.toml`: the
/// demo's two windows (assets/demo.toml) plus `extra`.
pub fn demo_config(dir: &Path, extra: &str) -> PathBuf {
    std::fs::copy(repo().join("assets/street-walk.mp4"), dir.join("street-walk.mp4")).unwrap();
    let demo = std::fs::read_to_string(repo().join("assets/demo.toml")).unwrap();
    let config = dir.join("hall.toml");
    std::fs::write(&config, format!("{demo}\n{extra}")).unwrap();
    config
}

/// A `liyi run` in the background, with the address of its status server.
pub struct RunningAgent {
    pub child: std::process::Child,
    pub addr: String,
    /// Its stderr after the address line, as it comes.
    pub log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl RunningAgent {
    /// Starts `liyi run --listen 127.0.0.1:0 ARGS…` and waits for it to print
    /// its address; the rest of its stderr is echoed to the test's output.
    pub fn spawn(args: &[&std::ffi::OsStr]) -> RunningAgent {
        use std::io::BufRead;
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("liyi"))
            .args(["run", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
        let addr = loop {
            let line = lines.next().expect("the agent prints its address").unwrap();
            if let Some(rest) = line.strip_prefix("status page: http://") {
                break rest.split('/').next().unwrap().to_string();
            }
        };
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = std::sync::Arc::clone(&log);
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                eprintln!("agent: {line}");
                kept.lock().unwrap().push(line);
            }
        });
        RunningAgent { child, addr, log }
    }

    /// Starts `liyi run --loop-files --config CONFIG --store STORE
    /// [--seconds N]`, as most tests run the demo's windows.
    pub fn looping(config: &Path, store: &Path, seconds: Option<u32>) -> RunningAgent {
        let secs = seconds.map(|s| s.to_string());
        let mut args: Vec<&std::ffi::OsStr> =
            vec!["--loop-files".as_ref(), "--config".as_ref(), config.as_os_str(), "--store".as_ref(), store.as_os_str()];
        if let Some(s) = &secs {
            args.extend([std::ffi::OsStr::new("--seconds"), std::ffi::OsStr::new(s)]);
        }
        RunningAgent::spawn(&args)
    }

    /// The body of `GET path`.
    pub fn get(&self, path: &str) -> String {
        http_get(&self.addr, path).split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default()
    }

    /// One window's entry in `/status`.
    pub fn window(&self, id: &str) -> serde_json::Value {
        let json: serde_json::Value = serde_json::from_str(&self.get("/status")).unwrap();
        json["windows"].as_array().unwrap().iter().find(|w| w["id"] == id).unwrap().clone()
    }
}

impl Drop for RunningAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The whole HTTP response to `GET path` (HTTP/1.1, connection closed).
pub fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).unwrap();
    body
}

/// Polls `f` every 100 ms until it returns `Some`, for at most `limit`.
pub fn wait_for<T>(limit: std::time::Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let until = std::time::Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if std::time::Instant::now() > until {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
