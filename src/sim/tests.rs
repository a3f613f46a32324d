//! Whole-simulator tests: determinism, library ground truth, occlusion
//! behaviour, noise/drop statistics, geometry sanity, zones and JSON shape.

use super::body::kp;
use super::scenario::Activity;
use super::simulate::{Role, run};
use super::truth::tolerance_s;
use super::zones::contains;
use super::*;
use crate::vision::{Keypoint, Person};

fn cfg() -> SimConfig {
    SimConfig::default()
}

fn quiet() -> SimConfig {
    SimConfig { drop_rate: 0.0, miss_rate: 0.0, ..cfg() }
}

fn one(secs: f32, clerk: Clerk) -> Scenario {
    Scenario::new("t", "").then(secs, clerk)
}

/// The clerk's person in each frame (frames without one are skipped).
fn clerk_people(sc: &Scenario, c: &SimConfig) -> Vec<(SimFrame, Person)> {
    run(sc, c)
        .into_iter()
        .filter_map(|(f, roles)| {
            let i = roles.iter().position(|r| *r == Role::Clerk)?;
            let p = f.trace.frame.people[i].clone();
            Some((f, p))
        })
        .collect()
}

fn mid(a: Keypoint, b: Keypoint) -> (f32, f32) {
    ((a.x + b.x) / 2.0, (a.y + b.y) / 2.0)
}

fn torso_centre(p: &Person) -> (f32, f32) {
    let k = &p.keypoints;
    let (s, h) = (mid(k[kp::L_SHOULDER], k[kp::R_SHOULDER]), mid(k[kp::L_HIP], k[kp::R_HIP]));
    ((s.0 + h.0) / 2.0, (s.1 + h.1) / 2.0)
}

#[test]
fn deterministic_for_a_seed() {
    let sc = &Scenario::library()[9];
    let a = simulate(sc, &cfg());
    let b = simulate(sc, &cfg());
    assert_eq!(a, b);
    let c = simulate(sc, &SimConfig { seed: 2, ..cfg() });
    assert_ne!(a.frames, c.frames);
    assert_eq!(a.truth_events, c.truth_events);
}

/// Expected truth events per library scenario: (rule, start s, end s).
fn expected(name: &str) -> Vec<(&'static str, f64, f64)> {
    match name {
        "decoys_only" | "crossed_legs_hidden" | "greet_compliant" => vec![],
        "slouch_trunk" => vec![("slouching", 90.0, 210.0), ("slouching", 338.0, 428.0)],
        "slouch_neck" => vec![("slouching", 60.0, 150.0), ("slouching", 280.0, 355.0)],
        "head_on_desk" => vec![("head_on_desk", 120.0, 300.0), ("head_on_desk", 462.0, 532.0)],
        "crossed_legs_visible" => vec![("crossed_legs", 60.0, 180.0), ("crossed_legs", 312.0, 402.0)],
        "absent_long" => vec![("absent", 120.0, 420.0)],
        "absent_and_back" => vec![("absent", 300.0, 560.0)],
        "greet_violation" => {
            vec![("not_standing_to_greet", 90.0, 150.0), ("slouching", 499.0, 589.0), ("not_standing_to_greet", 499.0, 589.0)]
        }
        "mixed_day" => vec![
            ("slouching", 120.0, 200.0),
            ("not_standing_to_greet", 260.0, 305.0),
            ("crossed_legs", 405.0, 505.0),
            ("absent", 565.0, 815.0),
            ("head_on_desk", 875.0, 965.0),
        ],
        other => panic!("no expectation for {other}"),
    }
}

#[test]
fn library_scenarios_have_the_expected_truth() {
    let lib = Scenario::library();
    assert!(lib.len() >= 8);
    let start = cfg().start;
    let mut rules_hit = std::collections::BTreeSet::new();
    for sc in &lib {
        sc.validate().unwrap_or_else(|e| panic!("{}: {e:?}", sc.name));
        let d = sc.duration_secs();
        assert!((300.0..=1200.0).contains(&d), "{} lasts {d}", sc.name);
        let got: Vec<_> = sc
            .truth_events(start, false)
            .into_iter()
            .map(|e| {
                let s = (e.start - start).num_milliseconds() as f64 / 1000.0;
                let t = (e.end - start).num_milliseconds() as f64 / 1000.0;
                assert!(t - s >= 2.0 * tolerance_s(&e.rule), "{}: {} too short", sc.name, e.rule);
                rules_hit.insert(e.rule.clone());
                (e.rule, s, t)
            })
            .collect();
        let want: Vec<_> = expected(&sc.name).into_iter().map(|(r, s, e)| (r.to_string(), s, e)).collect();
        assert_eq!(got, want, "{}", sc.name);
    }
    assert_eq!(rules_hit.len(), 5, "{rules_hit:?}");
    // the hidden-legs scenario gets its events once the legs are visible
    let hidden = lib.iter().find(|s| s.name == "crossed_legs_hidden").unwrap();
    assert_eq!(hidden.truth_events(start, true).len(), 2);
}

#[test]
fn simulation_truth_matches_scenario() {
    let sc = Scenario::library().into_iter().find(|s| s.name == "mixed_day").unwrap();
    let sim = simulate(&sc, &cfg());
    // The same events; only the simulation knows which a visitor hid.
    let unmarked: Vec<_> = sim.truth_events.iter().map(|e| TruthEvent { hidden: false, ..e.clone() }).collect();
    assert_eq!(unmarked, sc.truth_events(cfg().start, false));
    for f in &sim.frames {
        let t = f.trace.frame.frame as f64 / 2.0;
        assert_eq!(f.truth.activity, sc.activity_at(t));
        assert_eq!(f.truth.clerk_present, f.truth.activity != Activity::Away);
        assert_eq!(f.truth.citizen_at_counter, sc.citizen_at(t));
    }
}

#[test]
fn drop_rate_is_roughly_honoured_and_frames_keep_numbers() {
    let sc = one(600.0, Clerk::Upright);
    let c = SimConfig { drop_rate: 0.2, ..cfg() };
    let sim = simulate(&sc, &c);
    let kept = sim.frames.len() as f32 / 1200.0;
    assert!((kept - 0.8).abs() < 0.04, "kept {kept}");
    let mut prev = None;
    for f in &sim.frames {
        let n = f.trace.frame.frame;
        assert!(prev.is_none_or(|p| n > p));
        prev = Some(n);
        assert_eq!((f.trace.ts - c.start).num_milliseconds(), n as i64 * 500);
    }
    assert_eq!(simulate(&sc, &quiet()).frames.len(), 1200);
}

#[test]
fn misses_make_short_gaps() {
    let sc = one(600.0, Clerk::Upright);
    let c = SimConfig { drop_rate: 0.0, miss_rate: 0.05, ..cfg() };
    let sim = simulate(&sc, &c);
    let empty: Vec<bool> = sim.frames.iter().map(|f| f.trace.frame.people.is_empty()).collect();
    let rate = empty.iter().filter(|e| **e).count() as f32 / empty.len() as f32;
    assert!((0.025..0.08).contains(&rate), "miss rate {rate}");
    let longest = empty.split(|e| !e).map(|g| g.len()).max().unwrap();
    assert!(longest <= 8, "gap of {longest}");
    let q = simulate(&sc, &quiet());
    assert!(q.frames.iter().all(|f| f.trace.frame.people.len() == 1));
}

#[test]
fn desk_hides_legs_with_wrong_guesses() {
    let c = quiet();
    let sc = one(60.0, Clerk::CrossedLegs { right_over_left: true });
    let people = clerk_people(&sc, &c);
    assert!(people.len() > 100);
    for (_, p) in &people {
        let k = &p.keypoints;
        for j in [kp::L_HIP, kp::R_HIP, kp::L_KNEE, kp::R_KNEE, kp::L_ANKLE, kp::R_ANKLE] {
            assert!(k[j].conf < 0.6 && k[j].conf >= 0.25, "joint {j} conf {}", k[j].conf);
        }
        // guesses: legs hanging straight down, not crossed
        let sw = (k[kp::L_SHOULDER].x - k[kp::R_SHOULDER].x).abs();
        assert!((k[kp::L_KNEE].x - k[kp::R_KNEE].x).abs() > 0.5 * sw);
        assert!(k[kp::L_KNEE].y > k[kp::L_HIP].y);
        for j in [kp::NOSE, kp::L_SHOULDER, kp::R_SHOULDER, kp::L_WRIST] {
            assert!(k[j].conf >= 0.7, "joint {j} conf {}", k[j].conf);
        }
    }
    // the guessed crossing knee is far from where the real knee projects
    let (traits, scene) = (super::clerk::Traits::default(), super::scene::Scene::default());
    let st = super::clerk::Setting { traits: &traits, scene: &scene, var: Default::default() };
    let truth = super::clerk::pose_spec(Clerk::CrossedLegs { right_over_left: true }, &Default::default(), &st)
        .map(|p| super::body::build(&p, &traits.dims))
        .unwrap();
    let real = c.camera.project(truth.joints[kp::R_KNEE]);
    let (_, p) = &people[10];
    let g = p.keypoints[kp::R_KNEE];
    assert!((g.x - real.u).hypot(g.y - real.v) > 25.0, "guess {g:?} real {real:?}");
}

#[test]
fn visible_legs_are_confident_and_crossed() {
    let c = SimConfig { legs_visible: true, ..quiet() };
    let sc = one(60.0, Clerk::CrossedLegs { right_over_left: true });
    for (_, p) in clerk_people(&sc, &c) {
        let k = &p.keypoints;
        for j in [kp::L_HIP, kp::R_HIP, kp::L_KNEE, kp::R_KNEE, kp::L_ANKLE, kp::R_ANKLE] {
            assert!(k[j].conf >= 0.7, "joint {j} conf {}", k[j].conf);
        }
        let sw = (k[kp::L_SHOULDER].x - k[kp::R_SHOULDER].x).abs();
        assert!((k[kp::L_KNEE].x - k[kp::R_KNEE].x).abs() < 0.35 * sw, "{k:?}");
    }
}

#[test]
fn geometry_upright_slouch_head_standing() {
    let c = quiet();
    let h = c.camera.height as f32;
    let desk_y = simulate(&one(1.0, Clerk::Upright), &c).zones.desk_y * h;
    let avg = |clerk: Clerk| {
        let ps = clerk_people(&one(60.0, clerk), &c);
        let n = ps.len() as f32;
        let m = |j: usize| {
            let (x, y) = ps.iter().fold((0.0, 0.0), |a, (_, p)| (a.0 + p.keypoints[j].x, a.1 + p.keypoints[j].y));
            (x / n, y / n)
        };
        let truth = ps.iter().map(|(f, _)| (f.truth.trunk_deg, f.truth.neck_deg)).fold((0.0, 0.0), |a, b| (a.0 + b.0 / n, a.1 + b.1 / n));
        (m(kp::NOSE), m(kp::L_SHOULDER), m(kp::R_SHOULDER), m(kp::L_HIP), truth)
    };
    let (nose_u, ls_u, rs_u, lh_u, (tr_u, nk_u)) = avg(Clerk::Upright);
    assert!(ls_u.1 < lh_u.1 && rs_u.1 < lh_u.1, "shoulders above hips");
    assert!(ls_u.0 > rs_u.0, "clerk faces the camera: left shoulder on image right");
    assert!(nose_u.1 < ls_u.1);
    assert!(tr_u < 8.0 && nk_u < 16.0, "upright angles {tr_u} {nk_u}");
    assert!(ls_u.1 < desk_y, "upright shoulders above the desk line");

    let (nose_s, ls_s, _, _, (tr_s, _)) = avg(Clerk::Slouch { trunk_deg: 40.0, neck_deg: 10.0, form: SlouchForm::Hunch });
    assert!((tr_s - 40.0).abs() < 3.0, "trunk {tr_s}");
    assert!(ls_s.1 > ls_u.1 + 20.0, "slouched shoulders drop in the image: {ls_s:?} vs {ls_u:?}");
    assert!((ls_s.1 - nose_s.1) < (ls_u.1 - nose_u.1) * 0.8, "head drops towards shoulder line");

    let (_, _, _, _, (_, nk_n)) = avg(Clerk::Slouch { trunk_deg: 5.0, neck_deg: 40.0, form: SlouchForm::Hunch });
    assert!((nk_n - 40.0).abs() < 4.0, "neck {nk_n}");

    let head = clerk_people(&one(60.0, Clerk::HEAD_ON_DESK), &c);
    for (f, p) in &head {
        let ears = mid(p.keypoints[kp::L_EAR], p.keypoints[kp::R_EAR]);
        let sw = ls_u.0 - rs_u.0;
        assert!(ears.1 > desk_y - 0.6 * sw, "head near the desk edge line: {ears:?} vs {desk_y}");
        assert!(f.truth.trunk_deg > 40.0);
    }
    let (_, ls_t, _, lh_t, _) = avg(Clerk::Standing);
    assert!(lh_t.1 < desk_y, "standing hips above the desk line");
    assert!(ls_t.1 < ls_u.1 - 50.0, "standing shoulders much higher");
}

#[test]
fn confidences_stay_in_their_bands() {
    let sc = Scenario::library().into_iter().find(|s| s.name == "mixed_day").unwrap();
    for f in simulate(&sc, &cfg()).frames {
        for p in &f.trace.frame.people {
            assert!((0.6..=0.95).contains(&p.score));
            assert_eq!(p.keypoints.len(), 17);
            for k in &p.keypoints {
                assert!((0.0..=0.98).contains(&k.conf));
                assert!(k.x >= 0.0 && k.y >= 0.0 && k.x < 1280.0 && k.y < 720.0);
            }
            assert!(p.bbox.x1 < p.bbox.x2 && p.bbox.y1 < p.bbox.y2);
        }
    }
}

#[test]
fn torso_centres_fall_in_their_zones() {
    let sc = Scenario::library().into_iter().find(|s| s.name == "greet_violation").unwrap();
    let cams = [
        Camera::default(),
        Camera { height_m: 1.8, tilt_deg: 10.0, distance_m: 2.0, ..Camera::default() },
        Camera { height_m: 2.6, tilt_deg: 35.0, distance_m: 3.0, ..Camera::default() },
        Camera { height_m: 2.4, tilt_deg: 30.0, distance_m: 2.2, hfov_deg: 90.0, width: 1920, height: 1080, ..Camera::default() },
        Camera::aimed(1.8, 3.0),
        Camera::aimed(2.6, 2.0),
        Camera::aimed(2.0, 2.4),
    ];
    for cam in cams {
        let c = SimConfig { camera: cam, ..quiet() };
        let z = simulate(&one(1.0, Clerk::Upright), &c).zones;
        let (w, h) = (cam.width as f32, cam.height as f32);
        let (mut n_clerk, mut n_cit) = (0, 0);
        for (f, roles) in run(&sc, &c) {
            for (p, r) in f.trace.frame.people.iter().zip(&roles) {
                let (x, y) = torso_centre(p);
                let (x, y) = (x / w, y / h);
                match r {
                    Role::Clerk if f.truth.clerk_present => {
                        n_clerk += 1;
                        assert!(contains(&z.staff_zone, x, y), "{cam:?}: clerk ({x},{y}) not in {z:?}");
                        assert!(!contains(&z.counter_zone, x, y), "{cam:?}: clerk ({x},{y}) in counter {z:?}");
                    }
                    Role::Citizen if f.truth.citizen_at_counter => {
                        n_cit += 1;
                        assert!(contains(&z.counter_zone, x, y), "{cam:?}: citizen ({x},{y}) not in {z:?}");
                        assert!(!contains(&z.staff_zone, x, y), "{cam:?}: citizen ({x},{y}) in staff {z:?}");
                    }
                    _ => {}
                }
            }
        }
        assert!(n_clerk > 1000 && n_cit > 200, "{cam:?}: {n_clerk} {n_cit}");
    }
}

#[test]
fn citizen_is_seen_from_behind_and_occludes_the_clerk_sometimes() {
    let sc = Scenario::library().into_iter().find(|s| s.name == "greet_compliant").unwrap();
    let mut hidden_clerk_joints = 0;
    let (mut faces, mut confident_faces) = (0, 0);
    for (f, roles) in run(&sc, &quiet()) {
        for (p, r) in f.trace.frame.people.iter().zip(&roles) {
            if *r == Role::Citizen && f.truth.citizen_at_counter {
                // Face hidden (back to the camera): at most an occasional hallucination.
                faces += 1;
                confident_faces += usize::from(p.keypoints[kp::NOSE].conf >= 0.5);
                // back view: their left shoulder is on image left
                assert!(p.keypoints[kp::L_SHOULDER].x < p.keypoints[kp::R_SHOULDER].x);
            }
            if *r == Role::Clerk && f.truth.citizen_at_counter {
                hidden_clerk_joints += [kp::L_ELBOW, kp::L_WRIST].iter().filter(|&&j| p.keypoints[j].conf < 0.6).count();
            }
        }
    }
    assert!(hidden_clerk_joints > 0, "the citizen never hides the clerk's left arm");
    assert!(faces > 100 && confident_faces * 5 < faces, "{confident_faces} of {faces} hidden faces look confident");
}

#[test]
fn trace_frame_json_shape() {
    let sim = simulate(&one(5.0, Clerk::Upright), &quiet());
    let v = serde_json::to_value(&sim.frames[0].trace).unwrap();
    for key in ["ts", "window", "source", "frame", "width", "height", "model", "people"] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["ts"], "2026-03-02T09:00:00+08:00");
    assert_eq!(v["model"], "sim");
    let p = &v["people"][0];
    assert_eq!(p["box"].as_array().unwrap().len(), 4);
    assert_eq!(p["keypoints"][0].as_array().unwrap().len(), 3);
    assert!(p.get("landmarks").is_none() && p.get("presence").is_none());
    let back: crate::trace::TraceFrame = serde_json::from_value(v).unwrap();
    assert_eq!(back, sim.frames[0].trace);
    let line = serde_json::to_string(&sim.frames[1]).unwrap();
    assert!(line.contains("\"activity\":\"upright\""), "{line}");
}

#[test]
fn desk_line_separates_poses_for_aimed_cameras() {
    let mut cams = vec![Camera::default()];
    for (h, d) in [(1.8, 2.0), (1.8, 3.0), (2.2, 2.0), (2.6, 2.0), (2.6, 3.0)] {
        for dt in [-8.0, 0.0, 8.0] {
            let a = Camera::aimed(h, d);
            cams.push(Camera { tilt_deg: (a.tilt_deg + dt).clamp(10.0, 35.0), ..a });
        }
    }
    cams.push(Camera { hfov_deg: 90.0, width: 1920, height: 1080, ..Camera::aimed(2.4, 2.2) });
    for cam in cams {
        let c = SimConfig { camera: cam, ..quiet() };
        let desk_y = simulate(&one(1.0, Clerk::Upright), &c).zones.desk_y * cam.height as f32;
        let ys = |clerk: Clerk, j: usize| -> Vec<f32> {
            let v: Vec<f32> = clerk_people(&one(30.0, clerk), &c).iter().skip(3).map(|(_, p)| p.keypoints[j].y).collect();
            assert!(v.len() > 40, "{cam:?}: {clerk:?} not detected");
            v
        };
        let max = |v: Vec<f32>| v.into_iter().fold(f32::MIN, f32::max);
        let min = |v: Vec<f32>| v.into_iter().fold(f32::MAX, f32::min);
        assert!(max(ys(Clerk::Upright, kp::L_SHOULDER)) < desk_y, "{cam:?}");
        assert!(max(ys(Clerk::Standing, kp::L_HIP)) < desk_y, "{cam:?}");
        // Resting on the desk, the head is far below where it is upright.
        let sw = max(ys(Clerk::Upright, kp::L_SHOULDER)) - min(ys(Clerk::Upright, kp::L_EAR));
        let ears = min(ys(Clerk::HEAD_ON_DESK, kp::L_EAR));
        assert!(ears > max(ys(Clerk::Upright, kp::L_EAR)) + 0.5 * sw, "{cam:?}: ears {ears}");
    }
}

/// The visits the rules count, and the truth's, agree on the library's
/// greeting scenarios (a frontal camera: nobody hides the clerk), and a
/// visit too short to judge counts in neither.
#[test]
fn the_rules_count_the_visits_the_truth_has() {
    let c = cfg();
    for name in ["greet_compliant", "greet_violation"] {
        let sc = Scenario::library().into_iter().find(|s| s.name == name).unwrap();
        let sim = simulate(&sc, &c);
        let window = evaluate::window_for(&sim, &c.camera, &c.window);
        let mut rules = crate::rules::WindowRules::new(&window);
        evaluate::run_rules_with(&mut rules, &sim);
        let truth = evaluate::truth_visits(&sim, window.thresholds.not_standing_to_greet.arrival_s);
        let long = sc.segments.iter().filter(|s| s.citizen).count() as u32;
        assert!(truth.visits >= 2 && truth.visits <= long, "{name}: {truth:?}");
        assert_eq!(rules.baseline_status().visits, truth, "{name}");
        assert_eq!(truth.hidden, 0, "{name}");
    }
}
