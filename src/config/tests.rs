//! Every kind of configuration mistake gets a precise message.

use super::*;

const GOOD: &str = r#"
timezone = "Asia/Shanghai"
hall = "测试大厅"

[[window]]
id = "w1"
source = "camera:0"
staff_zone = [[0.3, 0.2], [0.7, 0.2], [0.7, 0.8], [0.3, 0.8]]
counter_zone = [[0.0, 0.6], [1.0, 0.6], [1.0, 1.0], [0.0, 1.0]]
hours = ["08:30-12:00", "13:30-17:30"]
"#;

fn errors(text: &str) -> Vec<ConfigError> {
    parse(text, Path::new("hall.toml")).expect_err("config should be rejected").0
}

/// Replaces `from` with `to` in the good config and returns the single error.
fn one_error(from: &str, to: &str) -> ConfigError {
    assert!(GOOD.contains(from), "{from}");
    let errs = errors(&GOOD.replacen(from, to, 1));
    assert_eq!(errs.len(), 1, "{errs:?}");
    errs.into_iter().next().unwrap()
}

fn line_of(text: &str, needle: &str) -> usize {
    text[..text.find(needle).unwrap()].matches('\n').count() + 1
}

#[test]
fn the_good_config_and_the_example_parse() {
    let c = parse(GOOD, Path::new("hall.toml")).unwrap();
    assert_eq!(c.hall, "测试大厅");
    assert_eq!(c.windows[0].thresholds, Thresholds::default());
    let example = load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/example.toml")).unwrap();
    assert_eq!(example.windows.len(), 2);
    assert_eq!(example.windows[1].thresholds.slouching.min_s, 45.0);
    assert_eq!(example.windows[0].thresholds.slouching.min_s, 30.0);
}

#[test]
fn toml_syntax_error_has_position() {
    let e = one_error("hall = \"测试大厅\"", "hall = \"测试大厅");
    assert_eq!(e.file, Path::new("hall.toml"));
    assert_eq!(e.line, 3);
    assert_eq!(e.field, "(syntax)");
}

#[test]
fn unknown_and_missing_fields() {
    let e = one_error("source = ", "sauce = ");
    assert!(e.message.contains("unknown field") && e.message.contains("sauce"), "{e}");
    assert!(e.fix.contains("spelling"));
    let e = one_error("id = \"w1\"\n", "");
    assert!(e.message.contains("missing field") && e.message.contains("id"), "{e}");
}

#[test]
fn bad_timezone() {
    let e = one_error("Asia/Shanghai", "Asia/Beijing");
    assert_eq!((e.line, e.column, e.field.as_str()), (2, 12, "timezone"));
    assert!(e.message.contains("Asia/Beijing") && e.fix.contains("Asia/Shanghai"), "{e}");
}

#[test]
fn missing_or_empty_hall() {
    let e = one_error("hall = \"测试大厅\"\n", "");
    assert_eq!(e.field, "hall");
    let e = one_error("hall = \"测试大厅\"", "hall = \" \"");
    assert!(e.message.contains("empty"));
}

#[test]
fn no_windows() {
    let text = GOOD.split("[[window]]").next().unwrap();
    let errs = errors(text);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].field, "window");
}

#[test]
fn bad_ids() {
    let e = one_error("id = \"w1\"", "id = \"窗口 1\"");
    assert_eq!(e.field, "window[0].id");
    let dup = format!(
        "{GOOD}\n[[window]]\nid = \"w1\"\nstaff_zone = [[0.3, 0.2], [0.7, 0.2], [0.7, 0.8]]\ncounter_zone = [[0.0, 0.6], [1.0, 0.6], [1.0, 1.0]]\nhours = [\"09:00-17:00\"]\n"
    );
    let errs = errors(&dup);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].message.contains("another window") && errs[0].field == "window[1].id");
}

#[test]
fn bad_sources() {
    let e = one_error("camera:0", "camera:first");
    assert_eq!(e.field, "window[0].source");
    assert!(e.fix.contains("rtsp://"), "{e}");
    let e = one_error("camera:0", "http://192.0.2.1/stream");
    assert!(e.message.contains("not a source"));
}

#[test]
fn bad_zones() {
    let e = one_error("[[0.3, 0.2], [0.7, 0.2], [0.7, 0.8], [0.3, 0.8]]", "[[0.3, 0.2], [0.7, 0.2]]");
    assert!(e.field == "window[0].staff_zone" && e.message.contains("at least 3 points"), "{e}");
    let e = one_error("[0.7, 0.8], [0.3, 0.8]]", "[0.3, 0.8], [0.7, 0.8]]");
    assert!(e.message.contains("cross"), "{e}");
    let e = one_error("[0.7, 0.2], [0.7, 0.8], [0.3, 0.8]]", "[1.7, 0.2], [0.7, 0.8], [0.3, 0.8]]");
    assert_eq!(e.field, "window[0].staff_zone[1]");
    assert!(e.message.contains("outside the frame") && e.fix.contains("0..1"), "{e}");
    let e = one_error("[1.0, 0.6], [1.0, 1.0]", "[1.0], [1.0, 1.0]");
    assert!(e.field == "window[0].counter_zone[1]" && e.message.contains("2 numbers"), "{e}");
    let e =
        one_error("counter_zone = [[0.0, 0.6], [1.0, 0.6], [1.0, 1.0], [0.0, 1.0]]", "counter_zone = [[0.0, 0.6], [0.5, 0.6], [1.0, 0.6]]");
    assert!(e.message.contains("no area"), "{e}");
}

#[test]
fn bad_hours_breaks_and_overlaps() {
    let e = one_error("\"13:30-17:30\"", "\"13:30-25:00\"");
    assert_eq!(e.field, "window[0].hours[1]");
    assert_eq!(e.line, line_of(GOOD, "hours ="));
    assert!(e.message.contains("25:00"), "{e}");
    let e = one_error("\"13:30-17:30\"", "\"17:30-13:30\"");
    assert!(e.message.contains("before it starts"));
    let e = one_error("\"13:30-17:30\"", "\"11:30-17:30\"");
    assert!(e.message.contains("overlaps"), "{e}");
    let e = one_error("hours = [\"08:30-12:00\", \"13:30-17:30\"]", "hours = []");
    assert!(e.message.contains("empty"));
    let e =
        one_error("hours = [\"08:30-12:00\", \"13:30-17:30\"]", "hours = [\"08:30-12:00\", \"13:30-17:30\"]\nbreaks = [\"12:15-12:30\"]");
    assert!(e.field == "window[0].breaks[0]" && e.message.contains("outside the service hours"), "{e}");
}

#[test]
fn bad_leave_and_calendar() {
    let e = one_error("hours = [", "leave = [\"2026-02-30\"]\nhours = [");
    assert!(e.field == "window[0].leave[0]" && e.message.contains("2026-02-30"), "{e}");
    let e = one_error("hours = [", "leave = [\"2026-03-02T09:00\"]\nhours = [");
    assert!(e.message.contains("YYYY-MM-DDTHH:MM.."), "{e}");
    let cal = |body: &str| errors(&GOOD.replacen("[[window]]", &format!("[calendar]\n{body}\n\n[[window]]"), 1));
    let e = &cal("workdays = [\"mon\", \"funday\"]")[0];
    assert_eq!(e.field, "calendar.workdays[1]");
    let e = &cal("holidays = [\"2026-10-07..2026-10-01\"]")[0];
    assert!(e.field == "calendar.holidays[0]" && e.message.contains("before"), "{e}");
    let e = &cal("holidays = [\"2026-10-01\"]\nmakeup_workdays = [\"2026-10-01\"]")[0];
    assert!(e.message.contains("also listed as a holiday"), "{e}");
    // chrono's whole range would be 190 million days: refused, not built.
    let e = &cal("holidays = [\"-262143-01-01..+262142-12-31\"]")[0];
    assert!(e.field == "calendar.holidays[0]", "{e}");
    let e = &cal("holidays = [\"0001-01-01..9999-12-31\"]")[0];
    assert!(e.field == "calendar.holidays[0]" && e.message.contains("too long") && e.fix.contains("366"), "{e}");
    let e = &cal("makeup_workdays = [\"2000-01-01..2026-01-01\"]")[0];
    assert!(e.field == "calendar.makeup_workdays[0]" && e.message.contains("too long"), "{e}");
    let year = GOOD.replacen("[[window]]", "[calendar]\nholidays = [\"2026-01-01..2026-12-31\"]\n\n[[window]]", 1);
    assert!(parse(&year, Path::new("hall.toml")).is_ok(), "a whole year is allowed");
}

#[test]
fn thresholds_out_of_range_globally_and_per_window() {
    let text = GOOD.replacen("[[window]]", "[rules.absent]\ntolerance_s = 30\n\n[[window]]", 1);
    let errs = errors(&text);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].field, "rules.absent.tolerance_s");
    assert!(errs[0].message.contains("60") && errs[0].fix.contains("under a minute"), "{}", errs[0]);
    let text = format!("{GOOD}[window.rules.not_standing_to_greet]\ntimeout_s = 90\n");
    let errs = errors(&text);
    assert_eq!(errs[0].field, "window[0].rules.not_standing_to_greet.timeout_s");
    let text = format!("{GOOD}[window.rules.slouching]\nmin_s = 3\n");
    assert!(errors(&text)[0].fix.contains("bending"));
    let text = format!("{GOOD}[window.rules.slouching]\ntrunk = 3\n");
    assert!(errors(&text)[0].message.contains("unknown field"));
    let text = format!("{GOOD}[window.rules.slouching]\nsink = 0.05\n");
    let errs = errors(&text);
    assert_eq!(errs[0].field, "window[0].rules.slouching.sink");
    assert!(errs[0].fix.contains("shoulder widths"), "{}", errs[0]);
    let text = format!("{GOOD}[window.rules.slouching]\nsink = 0.3\n");
    let cfg = crate::config::parse(&text, std::path::Path::new("t.toml")).unwrap();
    assert_eq!(cfg.windows[0].thresholds.slouching.sink, 0.3);
}

#[test]
fn desk_and_tilt_ranges() {
    let e = one_error("hours = [", "desk_y = 1.4\nhours = [");
    assert_eq!(e.field, "window[0].desk_y");
    let e = one_error("hours = [", "camera_tilt_deg = 80\nhours = [");
    assert_eq!(e.field, "window[0].camera_tilt_deg");
}

#[test]
fn all_errors_are_reported_at_once_in_file_order() {
    let text =
        GOOD.replacen("Asia/Shanghai", "Mars/Olympus", 1).replacen("\"13:30-17:30\"", "\"13:30-\"", 1).replacen("camera:0", "webcam", 1);
    let errs = errors(&text);
    assert_eq!(errs.len(), 3, "{errs:?}");
    assert!(errs.windows(2).all(|w| w[0].line <= w[1].line));
}

#[test]
fn unreadable_file() {
    let e = load(Path::new("/no/such/hall.toml")).unwrap_err();
    assert!(e.to_string().contains("/no/such/hall.toml") && e.to_string().contains("cannot be read"));
}

#[test]
fn pages_address_and_login() {
    let c = parse(GOOD, Path::new("hall.toml")).unwrap();
    assert_eq!(c.pages, PagesSettings::default());
    assert_eq!(c.pages.address(None).unwrap().to_string(), DEFAULT_LISTEN);
    // A LAN address needs a password, from the config or the command line.
    let err = c.pages.address(Some("0.0.0.0:8787".parse().unwrap())).unwrap_err();
    assert!(err.contains("pages-password") && err.contains("SSH tunnel"), "{err}");
    assert!(c.pages.address(Some("[::1]:9000".parse().unwrap())).is_ok());

    let e = errors(&format!("{GOOD}\n[pages]\nlisten = \"0.0.0.0:8787\"\n"));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].field, "pages.listen");
    assert!(e[0].fix.contains("password_file"), "{:?}", e[0]);
    let e = errors(&format!("{GOOD}\n[pages]\nlisten = \"lan\"\nsession_hours = 0\n"));
    assert_eq!(e.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["pages.listen", "pages.session_hours"]);

    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("hall.toml");
    let text = format!("{GOOD}\n[pages]\nlisten = \"0.0.0.0:8787\"\npassword_file = \"pages.pass\"\n");
    let e = parse(&text, &cfg).unwrap_err().0;
    assert_eq!(e.len(), 1, "only the unreadable file is reported: {e:?}");
    assert!(e[0].field == "pages.password_file" && e[0].message.contains("pages.pass"), "{:?}", e[0]);
    std::fs::write(dir.path().join("pages.pass"), "the password itself\n").unwrap();
    assert!(parse(&text, &cfg).unwrap_err().0[0].message.contains("does not hold a password hash"));
    std::fs::write(dir.path().join("pages.pass"), crate::secret::hash_password("installer-password").unwrap()).unwrap();
    let c = parse(&text, &cfg).unwrap();
    assert!(c.pages.password_hash.is_some());
    assert_eq!(c.pages.address(None).unwrap().to_string(), "0.0.0.0:8787");
    assert!(!serde_json::to_string(&c).unwrap().contains("argon2"), "the hash is never serialised");
}
