//! Frame sources on real media: the VP9 video file, an image folder, and
//! bad inputs.

mod common;

use liyi::capture::{self, CaptureOptions};
use liyi::config::SourceSpec;

fn opts() -> CaptureOptions {
    CaptureOptions { start: Some(chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap()), ..CaptureOptions::default() }
}

#[test]
fn video_file_is_decoded_at_the_analysis_rate_and_size() {
    let spec = SourceSpec::File { path: common::repo().join("assets/street-walk.mp4") };
    let mut src = capture::open(&spec, opts()).unwrap();
    let mut frames = Vec::new();
    while let Some(f) = src.next_frame().unwrap() {
        frames.push(f);
    }
    // 230 frames at 30 fps = 7.67 s; at 2 fps that is 16 frames.
    assert_eq!(frames.len(), 16);
    assert_eq!(frames[0].image.dimensions(), (1280, 720), "1768x994 scaled to a 1280 long side");
    assert_eq!(src.native_size(), Some((1768, 994)));
    let gaps: Vec<i64> = frames.windows(2).map(|w| (w[1].ts - w[0].ts).num_milliseconds()).collect();
    assert!(gaps.iter().all(|g| (450..=550).contains(g)), "{gaps:?}");
    assert_eq!(frames[0].ts, opts().start.unwrap());
    assert!(src.dropped() > 150, "the other decoded frames were dropped before conversion: {}", src.dropped());
    // Real pixels, not a blank buffer.
    let px = frames[8].image.get_pixel(640, 360).0;
    assert!(frames[8].image.pixels().any(|p| p.0 != px));
}

#[test]
fn image_folder_source() {
    let spec = SourceSpec::Images { dir: common::fixture("street-walk") };
    let mut src = capture::open(&spec, opts()).unwrap();
    let mut n = 0;
    while let Some(f) = src.next_frame().unwrap() {
        assert_eq!(f.image.dimensions(), (1280, 720));
        assert_eq!(f.ts, opts().start.unwrap() + chrono::Duration::milliseconds(500 * n));
        n += 1;
    }
    assert_eq!(n, 8);
}

#[test]
fn bad_sources_are_clear_errors() {
    let err = |spec: SourceSpec| capture::open(&spec, opts()).err().unwrap_or_else(|| panic!("{spec:?} must fail")).to_string();
    let e = err(SourceSpec::File { path: "/no/such/video.mp4".into() });
    assert!(e.contains("/no/such/video.mp4") && e.contains("no such file"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.mp4");
    std::fs::write(&junk, "minutes of the weekly meeting\n".repeat(300)).unwrap();
    let e = err(SourceSpec::File { path: junk.clone() });
    assert!(e.contains("junk.mp4") && e.contains("cannot open"), "{e}");
    std::fs::write(&junk, vec![0u8; 20_000]).unwrap();
    let e = err(SourceSpec::File { path: junk.clone() });
    assert!(e.contains("junk.mp4") && e.contains("cannot open"), "{e}");
    // Random bytes may even look like some raw format to FFmpeg's probe:
    // whatever happens, no panic and no endless stream of frames.
    let noise: Vec<u8> = (0..20_000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    std::fs::write(&junk, noise).unwrap();
    if let Ok(mut src) = capture::open(&SourceSpec::File { path: junk.clone() }, opts()) {
        let mut n = 0;
        while let Ok(Some(_)) = src.next_frame() {
            n += 1;
            assert!(n < 1000);
        }
    }
    // No camera exists on the build machines: a missing device is a clear
    // error that says how to find the right one.
    let e = err(SourceSpec::Camera { index: 57 });
    assert!(e.contains("camera:57") && e.contains("/dev/video57 does not exist") && e.contains("ls /dev/video*"), "{e}");
    let e = err(SourceSpec::Images { dir: dir.path().join("empty") });
    assert!(e.contains("empty"), "{e}");
}

#[test]
fn truncated_video_ends_or_errors_without_panic() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(common::repo().join("assets/street-walk.mp4")).unwrap();
    let cut = dir.path().join("cut.mp4");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    match capture::open(&SourceSpec::File { path: cut }, opts()) {
        Err(e) => assert!(e.to_string().contains("cut.mp4")),
        Ok(mut src) => {
            let mut n = 0;
            loop {
                match src.next_frame() {
                    Ok(Some(_)) => n += 1,
                    Ok(None) => break,
                    Err(e) => {
                        assert!(e.to_string().contains("cut.mp4"), "{e}");
                        break;
                    }
                }
                assert!(n < 100);
            }
        }
    }
}

/// A file whose frame timestamps lie 463 days in (crafted, or a broken
/// muxer): the frames' times are refused with an error naming the file and
/// saying how to re-mux it; before, adding them to the start could panic.
#[test]
fn frame_timestamps_far_from_the_start_are_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let far = dir.path().join("far.mkv");
    let made = std::process::Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=5:d=1",
            "-c:v",
            "libx264",
            "-output_ts_offset",
            "40000000",
        ])
        .arg(&far)
        .status()
        .expect("ffmpeg is installed by scripts/setup.sh");
    assert!(made.success());
    let mut src = capture::open(&SourceSpec::File { path: far }, opts()).unwrap();
    let e = src.next_frame().err().expect("the first frame's time is refused").to_string();
    assert!(e.contains("far.mkv") && e.contains("out of range") && e.contains("ffmpeg"), "{e}");
}

#[test]
fn unreachable_rtsp_fails_within_the_timeout() {
    // Port 9 on loopback: nothing listens, so the connection is refused at once.
    // That the open returns at all (with the open timeout in `opts`) is the
    // check; how fast is not asserted on shared machines.
    let e = capture::open(&SourceSpec::Rtsp { url: "rtsp://127.0.0.1:9/none".into() }, opts()).err().unwrap().to_string();
    assert!(e.contains("rtsp://127.0.0.1:9/none") && e.contains("cannot open"), "{e}");
}

/// A window whose source is the street video: trace it with real pose
/// inference, then replay the trace.
#[test]
fn trace_a_video_window_and_replay_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::street_config(dir.path(), "");
    let trace = dir.path().join("street.jsonl");
    common::liyi()
        .current_dir(dir.path())
        .args(["trace", "--window", "street", "--start", "2026-03-02T09:00:00+08:00", "--config"])
        .arg("hall.toml")
        .arg("--out")
        .arg(&trace)
        .assert()
        .success()
        .stderr(predicates::str::contains("16 frames traced"));
    let text = std::fs::read_to_string(&trace).unwrap();
    let frames: Vec<liyi::trace::TraceFrame> = text.lines().map(|l| liyi::trace::parse_line(l).unwrap()).collect();
    assert_eq!(frames.len(), 16);
    assert!(frames.iter().all(|f| f.window == "street" && f.frame.width == 1280 && f.frame.height == 720));
    assert!(frames.iter().filter(|f| !f.frame.people.is_empty()).count() >= 12, "people are found in most frames");
    assert!(!text.contains("data:image") && text.len() < 200_000, "a trace holds numbers, not pixels");
    common::liyi()
        .args(["replay", "--config"])
        .arg(&config)
        .arg(&trace)
        .assert()
        .success()
        .stderr(predicates::str::contains("replayed 16 frames"));
}

/// A reader that falls behind asks the source to skip: the packets up to
/// the next keyframe are dropped undecoded (counted), and the next frame
/// is that keyframe, decoded cleanly; reading then goes on frame by frame.
/// Only once three short groups have been seen.
#[test]
fn skipping_to_the_keyframe_drops_the_rest_of_the_group_undecoded() {
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("gop10.mp4");
    let made = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10:d=6"])
        .args(["-c:v", "libx264", "-bf", "0", "-g", "10", "-sc_threshold", "0"])
        .arg(&video)
        .status()
        .expect("ffmpeg is installed by scripts/setup.sh");
    assert!(made.success());
    // Every frame is due at 10 fps: the rate gate keeps them all.
    let every = CaptureOptions { fps: 10.0, ..opts() };
    let mut src = capture::open(&SourceSpec::File { path: video.clone() }, every).unwrap();
    let first = src.next_frame().unwrap().unwrap();
    assert_eq!(first.index, 0);
    // Before three groups have been seen their length is unknown (a
    // camera may send a keyframe a minute): no skip.
    src.skip_to_keyframe();
    let frames: Vec<_> = (0..31).map(|_| src.next_frame().unwrap().unwrap()).collect();
    assert_eq!(frames.iter().map(|f| f.index).collect::<Vec<_>>(), (1..=31).collect::<Vec<_>>());
    assert_eq!(src.skipped(), 0);
    // Keyframes at 0, 1, 2 and 3 s: groups of 1 s. The rest of this one
    // is skipped.
    src.skip_to_keyframe();
    let key = src.next_frame().unwrap().unwrap();
    assert_eq!(key.index, 40, "the next group's keyframe");
    assert_eq!(src.skipped(), 8, "frames 32 to 39 were never decoded");
    assert_eq!((key.ts - first.ts).num_milliseconds(), 4000, "its own time, four seconds in");
    let next = src.next_frame().unwrap().unwrap();
    assert_eq!(next.index, 41);
    // The keyframe decodes to the same picture as when read straight through.
    let mut straight = capture::open(&SourceSpec::File { path: video }, every).unwrap();
    let fortieth = (0..41).map(|_| straight.next_frame().unwrap().unwrap()).last().unwrap();
    assert_eq!(fortieth.index, 40);
    assert!(fortieth.image == key.image, "the keyframe after a skip is the same picture");
    assert_eq!(straight.skipped(), 0);
}
