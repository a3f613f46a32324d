//! Issue 16, item 1: uploads that hide a face where the old clip check did
//! not look. Each goes to a real hub on 127.0.0.1 (real face model) and
//! must get 422 with a reason, leave nothing stored and an audit-log entry;
//! and `privacy-audit` must fail on each raw attack file. A clean clip is
//! stored in the hub's own shape (one H.264 stream without SEI or metadata,
//! a plain PNG, the hub's own sidecar JSON), which the audit passes.

mod common;
mod hub_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use hub_support::*;

fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg").args(["-loglevel", "error", "-y"]).args(args).output().unwrap();
    assert!(out.status.success(), "ffmpeg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn png_bytes(img: &image::RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
    out
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut h = crc32fast::Hasher::new();
    h.update(kind);
    h.update(data);
    out.extend_from_slice(&h.finalize().to_be_bytes());
    out
}

/// A PNG's chunks in order: (type, data).
fn chunks(png: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 8;
    while at + 12 <= png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        out.push((png[at + 4..at + 8].try_into().unwrap(), png[at + 8..at + 8 + len].to_vec()));
        at += 12 + len;
    }
    out
}

/// `png` with `extra` chunks inserted before its first IDAT.
fn with_chunks(png: &[u8], extra: &[Vec<u8>]) -> Vec<u8> {
    let mut out = png[..8].to_vec();
    for (i, (kind, data)) in chunks(png).iter().enumerate() {
        if i == 1 {
            extra.iter().for_each(|c| out.extend_from_slice(c));
        }
        out.extend_from_slice(&chunk(kind, data));
    }
    out
}

fn fctl(seq: u32, w: u32, h: u32) -> Vec<u8> {
    let mut d = Vec::new();
    for v in [seq, w, h, 0, 0] {
        d.extend_from_slice(&v.to_be_bytes());
    }
    d.extend_from_slice(&[0, 1, 0, 1, 0, 0]);
    chunk(b"fcTL", &d)
}

/// An animated PNG: a grey first frame, the face in the second.
fn apng(grey: &[u8], face: &[u8], w: u32, h: u32) -> Vec<u8> {
    let idat = |png: &[u8]| -> Vec<u8> { chunks(png).into_iter().filter(|c| &c.0 == b"IDAT").flat_map(|c| c.1).collect() };
    let ihdr = chunks(grey).into_iter().next().unwrap();
    let mut out = grey[..8].to_vec();
    out.extend(chunk(b"IHDR", &ihdr.1));
    out.extend(chunk(b"acTL", &[0, 0, 0, 2, 0, 0, 0, 0]));
    out.extend(fctl(0, w, h));
    out.extend(chunk(b"IDAT", &idat(grey)));
    out.extend(fctl(1, w, h));
    out.extend(chunk(b"fdAT", &[&2u32.to_be_bytes()[..], &idat(face)].concat()));
    out.extend(chunk(b"IEND", &[]));
    out
}

struct Attack {
    name: &'static str,
    /// File name for the raw form in the privacy audit.
    file: &'static str,
    video: Vec<u8>,
    thumb: Vec<u8>,
    sidecar: Vec<u8>,
    /// In the hub's 422 answer.
    reason: &'static str,
}

struct Kit {
    grey_mp4: Vec<u8>,
    grey_png: Vec<u8>,
    sidecar: Vec<u8>,
    long_mp4: Vec<u8>,
}

fn attacks(dir: &Path) -> (Kit, Vec<Attack>) {
    let p = |name: &str| dir.join(name).display().to_string();
    let photo = common::fixture("astronaut.png");
    let face_img = image::open(&photo).unwrap().to_rgb8();
    let (w, h) = face_img.dimensions();
    let face_png = png_bytes(&face_img);
    let grey_img = image::RgbImage::from_pixel(w, h, image::Rgb([128, 128, 128]));
    let grey_png = png_bytes(&grey_img);
    let mut face_jpg = Vec::new();
    face_img.write_to(&mut std::io::Cursor::new(&mut face_jpg), image::ImageFormat::Jpeg).unwrap();
    std::fs::write(dir.join("face.jpg"), &face_jpg).unwrap();

    let x264 = ["-t", "1", "-r", "2", "-pix_fmt", "yuv420p", "-c:v", "libx264"];
    ffmpeg(&[&["-f", "lavfi", "-i", "color=c=gray:s=320x240"][..], &x264, &[&p("grey.mp4")]].concat());
    ffmpeg(&[&["-loop", "1", "-i", &photo.display().to_string()][..], &x264, &[&p("face.mp4")]].concat());
    let grey_mp4 = std::fs::read(dir.join("grey.mp4")).unwrap();
    let built = |args: &[&str], out: &str| -> Vec<u8> {
        ffmpeg(&[args, &[p(out).as_str()][..]].concat());
        std::fs::read(dir.join(out)).unwrap()
    };
    let (grey, face) = (p("grey.mp4"), p("face.mp4"));
    let second_track = built(&["-i", &grey, "-i", &face, "-map", "0:v", "-map", "1:v", "-c", "copy"], "two-tracks.mp4");
    let other_codec =
        built(&["-i", &grey, "-i", &face, "-map", "0:v", "-map", "1:v", "-c:v:0", "copy", "-c:v:1", "mpeg4"], "other-codec.mp4");
    let cover = built(
        &["-i", &grey, "-i", &p("face.jpg"), "-map", "0", "-map", "1", "-c", "copy", "-disposition:v:1", "attached_pic"],
        "cover.mp4",
    );
    let audio =
        built(&["-i", &face, "-f", "lavfi", "-i", "sine=d=1", "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac"], "audio.mp4");
    let mkv = built(&["-i", &face, "-c", "copy", "-f", "matroska"], "matroska.mp4");
    let avi = built(&["-i", &face, "-c:v", "mpeg4", "-f", "avi"], "avi.mp4");
    let big = built(&["-i", &face, "-vf", "pad=2000:512", "-c:v", "libx264"], "big.mp4");
    // 110 s of grey at 30 fps: 3,300 frames (a few kB), more than any clip
    // the agent makes; refused from the stream's header, not decoded.
    let long =
        built(&["-f", "lavfi", "-i", "color=c=gray:s=160x120:r=30", "-t", "110", "-pix_fmt", "yuv420p", "-c:v", "libx264"], "long.mp4");

    let b64 = base64::engine::general_purpose::STANDARD.encode(&face_jpg);
    let sidecar = br#"{"window": "w01", "rule": "absent", "values": {"trunk_deg": 12.5}}"#.to_vec();
    let text = |kind: &[u8; 4], data: Vec<u8>| with_chunks(&grey_png, &[chunk(kind, &data)]);
    let mut huge = grey_png.clone();
    // IHDR claims 100000 x 100000 pixels (CRC fixed up): refused unread.
    huge[16..24].copy_from_slice(&[0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0]);
    let crc = crc32fast::hash(&huge[12..29]);
    huge[29..33].copy_from_slice(&crc.to_be_bytes());

    let a = |name, file, video: &Vec<u8>, thumb: &Vec<u8>, sidecar: Vec<u8>, reason| Attack {
        name,
        file,
        video: video.clone(),
        thumb: thumb.clone(),
        sidecar,
        reason,
    };
    let s = || sidecar.clone();
    let list = vec![
        // The six from the issue.
        a("animated PNG, face in frame 2", "thumb.png", &grey_mp4, &apng(&grey_png, &face_png, w, h), s(), "animation chunk acTL"),
        a("MP4 with a second video track", "clip.mp4", &second_track, &grey_png, s(), "2 streams"),
        a("MP4 with cover art", "clip.mp4", &cover, &grey_png, s(), "JPEG data at byte"),
        a("JPEG after the PNG", "thumb.png", &grey_mp4, &[&grey_png[..], &face_jpg].concat(), s(), "trailing data after the IEND"),
        a("JPEG after the MP4", "clip.mp4", &[&grey_mp4[..], &face_jpg].concat(), &grey_png, s(), "trailing"),
        a(
            "data: URI in the sidecar",
            "clip.json",
            &grey_mp4,
            &grey_png,
            format!(r#"{{"window": "w01", "window_name": "data:image/jpeg;base64,{b64}"}}"#).into_bytes(),
            "sidecar.window_name: holds a data: URI",
        ),
        // Variants.
        a(
            "base64 image in an unknown sidecar field",
            "clip.json",
            &grey_mp4,
            &grey_png,
            format!(r#"{{"poster": "{b64}"}}"#).into_bytes(),
            "unknown field `poster`",
        ),
        a(
            "base64 image in a known sidecar field",
            "clip.json",
            &grey_mp4,
            &grey_png,
            format!(r#"{{"rule_zh": "{b64}"}}"#).into_bytes(),
            "sidecar.rule_zh",
        ),
        a("second stream of another codec", "clip.mp4", &other_codec, &grey_png, s(), "2 streams"),
        a("audio stream", "clip.mp4", &audio, &grey_png, s(), "2 streams"),
        a("Matroska named .mp4", "clip.mp4", &mkv, &grey_png, s(), "not an MP4 file"),
        a("AVI named .mp4", "clip.mp4", &avi, &grey_png, s(), "not an MP4 file"),
        a(
            "tEXt chunk with a base64 JPEG",
            "thumb.png",
            &grey_mp4,
            &text(b"tEXt", [&b"Comment\0"[..], b64.as_bytes()].concat()),
            s(),
            "chunk tEXt",
        ),
        a("zTXt chunk", "thumb.png", &grey_mp4, &text(b"zTXt", [&b"Comment\0\0"[..], &face_jpg].concat()), s(), "chunk zTXt"),
        a("iTXt chunk", "thumb.png", &grey_mp4, &text(b"iTXt", [&b"Comment\0\0\0\0\0"[..], b64.as_bytes()].concat()), s(), "chunk iTXt"),
        a("100000 x 100000 PNG", "thumb.png", &grey_mp4, &huge, s(), "100000x100000 pixels"),
        a("2000 px wide video", "clip.mp4", &big, &grey_png, s(), "at most 1920 pixels a side"),
        a("a face in a plain thumbnail", "thumb.png", &grey_mp4, &face_png, s(), "a face"),
    ];
    (Kit { grey_mp4, grey_png, sidecar, long_mp4: long }, list)
}

async fn upload(base: &str, token: &str, start: &str, video: Vec<u8>, thumb: Vec<u8>, sidecar: Vec<u8>) -> (u16, String) {
    let meta = serde_json::json!({ "window": "w01", "rule": "absent", "event_start": start, "trigger_ts": start });
    let part = |b: Vec<u8>, name: &str| reqwest::multipart::Part::bytes(b).file_name(name.to_string());
    let form = reqwest::multipart::Form::new()
        .part("meta", part(meta.to_string().into_bytes(), "meta.json"))
        .part("video", part(video, "clip.mp4"))
        .part("thumbnail", part(thumb, "thumb.png"))
        .part("sidecar", part(sidecar, "sidecar.json"));
    let r = client().post(format!("{base}/api/v1/clips")).bearer_auth(token).multipart(form).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() { out.extend(files(&p)) } else { out.push(p) }
        }
    }
    out
}

fn face_detector() -> liyi::vision::retinaface::FaceDetector {
    let rt = liyi::vision::runtime::init(None).unwrap();
    let catalog = liyi::vision::catalog::Catalog::new(liyi::paths::models_dir());
    liyi::vision::retinaface::FaceDetector::load(rt, &catalog, liyi::vision::engine::EngineOptions { intra_threads: 2 }).unwrap()
}

/// The part of an attack that carries the face, as a file on its own.
fn raw_form(a: &Attack) -> &[u8] {
    match a.file {
        "clip.mp4" => &a.video,
        "thumb.png" => &a.thumb,
        _ => &a.sidecar,
    }
}

#[test]
fn privacy_audit_fails_on_every_raw_attack_file() {
    let dir = tempfile::tempdir().unwrap();
    let (kit, attacks) = attacks(dir.path());
    let mut faces = face_detector();
    // The clean parts pass: the audit is not failing on everything.
    let clean = dir.path().join("clean");
    std::fs::create_dir(&clean).unwrap();
    std::fs::write(clean.join("clip.mp4"), &kit.grey_mp4).unwrap();
    std::fs::write(clean.join("thumb.png"), &kit.grey_png).unwrap();
    std::fs::write(clean.join("clip.json"), &kit.sidecar).unwrap();
    let report = liyi::audit::audit(&clean, &mut faces).unwrap();
    assert!(report.is_clean(), "{:?}", report.findings);
    for (i, a) in attacks.iter().enumerate() {
        let sub = dir.path().join(format!("attack{i}"));
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join(a.file), raw_form(a)).unwrap();
        let report = liyi::audit::audit(&sub, &mut faces).unwrap();
        assert!(!report.is_clean(), "{}: privacy-audit passed it", a.name);
        eprintln!("{}: {}", a.name, report.findings.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "));
    }
    // The hidden faces themselves are found, not only the odd shapes.
    let mut face_found = |i: usize| {
        let sub = dir.path().join(format!("attack{i}"));
        liyi::audit::audit(&sub, &mut faces).unwrap().findings.iter().any(|f| matches!(f, liyi::audit::Finding::Face { .. }))
    };
    for (i, name) in attacks.iter().enumerate().map(|(i, a)| (i, a.name)).take(3) {
        assert!(face_found(i), "{name}: the face was not found");
    }
    // The command line says FAIL for the cover-art file.
    common::liyi().arg("privacy-audit").arg(dir.path().join("attack2")).assert().failure().stdout(predicates::str::contains("FAIL"));
}

on_both_engines!(
    the_hub_refuses_each_attack_and_stores_only_its_own_shape,
    the_hub_refuses_each_attack_and_stores_only_its_own_shape_on_postgres,
    the_hub_refuses_each_attack_and_stores_only_its_own_shape_on
);

fn the_hub_refuses_each_attack_and_stores_only_its_own_shape_on(engine: hub_support::Engine) {
    let dir = tempfile::tempdir().unwrap();
    let (kit, attacks) = attacks(dir.path());
    let mut hub = HubProc::configure_on(dir.path(), "[limits]\nclip_mb = 64\n", engine);
    let token = hub.admin(&["box-add", "box-a", "--hall", "甲大厅"], None);
    hub.start();
    let base = hub.url.clone();
    let clips = dir.path().join("hub-data/clips");
    let day = hub_support::recent_day();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        for (i, a) in attacks.iter().enumerate() {
            let start = format!("{day}T09:{i:02}:00+08:00");
            let (code, body) = upload(&base, &token, &start, a.video.clone(), a.thumb.clone(), a.sidecar.clone()).await;
            assert_eq!(code, 422, "{}: {body}", a.name);
            assert!(body.contains(a.reason), "{}: {body}", a.name);
            assert!(files(&clips).is_empty(), "{}: something was stored: {:?}", a.name, files(&clips));
        }
        // Not a privacy attack but a load one (no face in it, so it is not
        // in the audit's list): 3,300 frames are refused from the header.
        let (code, body) =
            upload(&base, &token, &format!("{day}T09:59:00+08:00"), kit.long_mp4.clone(), kit.grey_png.clone(), kit.sidecar.clone()).await;
        assert_eq!(code, 422, "{body}");
        assert!(body.contains("send at most 3000 frames"), "{body}");
        let db = hub.db().await;
        assert_eq!(db.refused_clips().await.unwrap(), attacks.len() as i64 + 1);
        assert_eq!(db.clips(&Default::default()).await.unwrap().len(), 0);
        let log = db.audit_log(1000).await.unwrap();
        assert_eq!(log.iter().filter(|e| e.action == "clip_refused").count(), attacks.len() + 1, "each refusal is in the audit log");

        // A clean clip is stored, in the hub's shape.
        let sidecar = br#"{ "values": {"trunk_deg": 12.5},   "rule": "absent" }"#.to_vec();
        let (code, body) =
            upload(&base, &token, &format!("{day}T10:00:00+08:00"), kit.grey_mp4.clone(), kit.grey_png.clone(), sidecar).await;
        assert_eq!(code, 200, "{body}");
        let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"].as_i64().unwrap();
        let row = db.clip(id).await.unwrap().unwrap();
        assert_eq!(row.sidecar_json, r#"{"rule":"absent","values":{"trunk_deg":12.5}}"#, "the hub's own serialisation");
        db.close().await;
    });
    let stored = files(&clips);
    assert_eq!(stored.len(), 2, "{stored:?}");
    let mp4 = stored.iter().find(|p| p.extension().is_some_and(|e| e == "mp4")).unwrap();
    let png = stored.iter().find(|p| p.extension().is_some_and(|e| e == "png")).unwrap();
    let video = std::fs::read(mp4).unwrap();
    assert_ne!(video, kit.grey_mp4, "re-encoded by the hub, not the bytes received");
    let text = String::from_utf8_lossy(&video);
    assert!(!text.contains("x264 - core") && !text.contains("Lavf"), "no SEI and no encoder tag");
    let probe =
        Command::new("ffprobe").args(["-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0"]).arg(mp4).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&probe.stdout).trim(), "h264", "one H.264 stream");
    let kinds: Vec<[u8; 4]> = chunks(&std::fs::read(png).unwrap()).into_iter().map(|c| c.0).collect();
    assert!(kinds.iter().all(|k| [b"IHDR", b"IDAT", b"IEND"].contains(&k)), "{kinds:?}");
    // The hub's data (files and database) passes the audit.
    let report = liyi::audit::audit(&dir.path().join("hub-data"), &mut face_detector()).unwrap();
    assert!(report.is_clean(), "{:?}", report.findings);
}
