//! One window's clip recorder. Raw frames go only into the redaction gate
//! ([`TemporalRedactor`]); the pre-roll ring and every clip hold redacted
//! frames at clip size, packed ([`PackedFrame`]: JPEG in memory, about a
//! tenth of the raw size).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use image::RgbImage;

use crate::config::{ClipSettings, Window};
use crate::geometry::BBox;
use crate::privacy::{FaceEvidence, PackedFrame, RedactOptions, RedactedFrame, TemporalRedactor, skeleton_only};
use crate::rules::RuleCode;
use crate::vision::Person;
use crate::vision::person::kp;

type Ts = DateTime<FixedOffset>;

/// One redacted frame of a clip, at clip size and packed, with what was
/// seen in it (keypoints scaled to the clip).
pub struct ClipFrame {
    pub ts: Ts,
    pub frame: PackedFrame,
    pub people: Vec<Person>,
    /// Index of the clerk in `people`.
    pub clerk: Option<usize>,
}

/// What travels with a raw frame through the redaction delay.
struct Pending {
    ts: Ts,
    /// The width people were found at (frames come out at clip size).
    analysed_width: f32,
    people: Vec<Person>,
    clerk: Option<usize>,
}

/// A clip whose post-roll is complete.
pub struct FinishedClip {
    pub window: String,
    pub rule: RuleCode,
    /// When the violation began (the event's start).
    pub event_start: Ts,
    /// When the rule became a violation, and the clip was triggered.
    pub trigger_ts: Ts,
    /// The measurements at the trigger (trunk angle, …).
    pub values: BTreeMap<String, f64>,
    pub frames: Vec<Arc<ClipFrame>>,
}

struct Recording {
    clip: FinishedClip,
    until: Ts,
}

pub struct ClipRecorder {
    window: String,
    settings: ClipSettings,
    options: RedactOptions,
    masks: Vec<crate::geometry::Polygon>,
    redactor: TemporalRedactor<Pending>,
    ring: VecDeque<Arc<ClipFrame>>,
    recording: Vec<Recording>,
}

impl ClipRecorder {
    pub fn new(window: &Window, settings: ClipSettings, options: RedactOptions) -> ClipRecorder {
        ClipRecorder {
            window: window.id.clone(),
            settings,
            options,
            masks: window.masks.clone(),
            // Frames wait in the redaction delay at clip size.
            redactor: TemporalRedactor::new(settings.dilate_frames, options, window.masks.clone()).shrinking_to(settings.max_side),
            ring: VecDeque::new(),
            recording: Vec::new(),
        }
    }

    /// Replaces the window's masks (an edit in the zone editor).
    pub fn set_masks(&mut self, masks: Vec<crate::geometry::Polygon>) {
        self.redactor.set_masks(masks.clone());
        self.masks = masks;
    }

    /// Takes one analysed frame (raw, analysis size) with its people, the
    /// face detector's verdict and the clerk's index; returns the clips it
    /// completed.
    pub fn push(&mut self, frame: RgbImage, people: &[Person], faces: &FaceEvidence, clerk: Option<usize>, ts: Ts) -> Vec<FinishedClip> {
        let pending = Pending { ts, analysed_width: frame.width() as f32, people: people.to_vec(), clerk };
        let released = if self.settings.skeleton_only {
            // No camera pixels of people at all: nothing to dilate.
            Some((skeleton_only(&frame, people, &self.masks, &self.options), pending))
        } else {
            self.redactor.push(frame, people, faces, pending)
        };
        match released {
            Some((red, p)) => self.accept(red, p),
            None => Vec::new(),
        }
    }

    /// Whether a clip is under way (its post-roll still being recorded).
    pub fn is_recording(&self) -> bool {
        !self.recording.is_empty()
    }

    /// A violation began: the clip holds the pre-roll ring so far and the
    /// frames of the next `post_roll_s` seconds.
    pub fn trigger(&mut self, rule: RuleCode, event_start: Ts, ts: Ts, values: BTreeMap<String, f64>) {
        let until = ts + chrono::Duration::milliseconds((self.settings.post_roll_s * 1000.0) as i64);
        let frames = self.ring.iter().cloned().collect();
        self.recording.push(Recording {
            clip: FinishedClip { window: self.window.clone(), rule, event_start, trigger_ts: ts, values, frames },
            until,
        });
    }

    /// The end of the stream: frames still in the redaction delay are
    /// released, and every clip under way ends here.
    pub fn finish(&mut self) -> Vec<FinishedClip> {
        let mut done = Vec::new();
        for (red, p) in self.redactor.drain() {
            done.extend(self.accept(red, p));
        }
        done.extend(self.recording.drain(..).map(|r| r.clip).filter(|c| !c.frames.is_empty()));
        done
    }

    fn accept(&mut self, red: RedactedFrame, p: Pending) -> Vec<FinishedClip> {
        let frame = red.downscaled(self.settings.max_side);
        let s = frame.image().width() as f32 / p.analysed_width.max(1.0);
        let people = p.people.iter().map(|person| scaled(person, s)).collect();
        // A frame that does not pack is left out of the ring and the clips
        // under way; the clips whose post-roll it ends still end.
        match frame.pack() {
            Ok(frame) => {
                let clip_frame = Arc::new(ClipFrame { ts: p.ts, frame, people, clerk: p.clerk });
                self.ring.push_back(Arc::clone(&clip_frame));
                for r in &mut self.recording {
                    r.clip.frames.push(Arc::clone(&clip_frame));
                }
            }
            Err(e) => tracing::warn!(window = %self.window, error = %e, "clip frame not packed; left out of clips"),
        }
        let keep_from = p.ts - chrono::Duration::milliseconds((self.settings.pre_roll_s * 1000.0) as i64);
        while self.ring.front().is_some_and(|f| f.ts < keep_from) {
            self.ring.pop_front();
        }
        let (done, going): (Vec<_>, Vec<_>) = self.recording.drain(..).partition(|r| r.until <= p.ts);
        self.recording = going;
        done.into_iter().map(|r| r.clip).collect()
    }
}

fn scaled(p: &Person, s: f32) -> Person {
    let mut q = p.clone();
    q.bbox = BBox::new(p.bbox.x1 * s, p.bbox.y1 * s, p.bbox.x2 * s, p.bbox.y2 * s);
    for k in &mut q.keypoints {
        k.x *= s;
        k.y *= s;
    }
    if let Some(l) = &mut q.landmarks {
        for k in l.iter_mut() {
            k.x *= s;
            k.y *= s;
        }
    }
    q
}

/// Hip centre and shoulder centre of a person, when all four are seen.
pub fn trunk_line(p: &Person, min_conf: f32) -> Option<((f32, f32), (f32, f32))> {
    let c = |i| p.confident(i, min_conf);
    let (ls, rs, lh, rh) = (c(kp::LEFT_SHOULDER)?, c(kp::RIGHT_SHOULDER)?, c(kp::LEFT_HIP)?, c(kp::RIGHT_HIP)?);
    Some((((lh.x + rh.x) / 2.0, (lh.y + rh.y) / 2.0), ((ls.x + rs.x) / 2.0, (ls.y + rs.y) / 2.0)))
}
