//! Rule transitions in simulated time: hysteresis edges, service-hour and
//! break boundaries, unknown gaps, leave, greeting.

use super::*;
use crate::config;

const CONFIG: &str = r#"
hall = "测试"
[[window]]
id = "w1"
staff_zone = [[0.3, 0.1], [0.7, 0.1], [0.7, 0.7], [0.3, 0.7]]
counter_zone = [[0.0, 0.65], [1.0, 0.65], [1.0, 1.0], [0.0, 1.0]]
desk_y = 0.6
hours = ["08:30-12:00", "13:30-17:30"]
breaks = ["10:00-10:15"]
leave = ["2026-03-03T14:00..2026-03-03T15:00"]
"#;

fn window() -> Window {
    config::parse(CONFIG, std::path::Path::new("t.toml")).unwrap().windows.remove(0)
}

fn at(hms: &str) -> Ts {
    DateTime::parse_from_rfc3339(&format!("2026-03-02T{hms}+08:00")).unwrap()
}

fn upright() -> Observation {
    Observation {
        clerk: Some(0),
        present: true,
        posture: Some(Posture::Sitting),
        trunk_deg: Some(5.0),
        neck_deg: Some(8.0),
        sink: Some(0.0),
        head_on_desk: Some(false),
        legs_crossed: None,
        citizen_at_counter: false,
        clerk_hidden: false,
        back_seat: false,
        stand_doubted: false,
        people: 1,
        measures: None,
        motion: None,
        head_on_desk_p: None,
        sample: None,
        frame: [1000, 1000],
        badge: None,
        uniform: None,
        confidence: 0.9,
    }
}

/// Feeds `obs` every 0.5 s over [from, to) seconds after `start`.
fn feed(r: &mut WindowRules, start: Ts, from: f64, to: f64, obs: &Observation) -> Vec<Event> {
    let mut out = Vec::new();
    let mut s = from;
    while s < to {
        out.extend(r.push_observation(start + chrono::Duration::milliseconds((s * 1000.0) as i64), obs));
        s += 0.5;
    }
    out
}

fn all_events(mut r: WindowRules, mut events: Vec<Event>) -> (Vec<Event>, Vec<MinuteMetrics>) {
    let (more, minutes) = r.finish();
    events.extend(more);
    (events, minutes)
}

/// No clerk, but the person who was the clerk seen walking out of the
/// staff zone.
fn walking_off() -> Observation {
    Observation { people: 1, ..Observation::absent(false) }
}

#[test]
fn a_clerk_vanishing_in_place_is_not_called_absent() {
    // Lowering the head behind a monitor: the detector loses the clerk,
    // and nobody rises or walks off.
    let mut r = WindowRules::new(&window());
    let t0 = at("09:00:00");
    let mut ev = feed(&mut r, t0, 0.0, 60.0, &upright());
    ev.extend(feed(&mut r, t0, 60.0, 460.0, &Observation::absent(false))); // 400 s out of sight
    assert!(r.clerk_out_of_sight());
    ev.extend(feed(&mut r, t0, 460.0, 520.0, &upright()));
    assert!(!r.clerk_out_of_sight());
    // Out of sight for longer than anyone rests unseen: absent from the
    // bound on.
    ev.extend(feed(&mut r, t0, 520.0, 1420.0, &Observation::absent(false)));
    let (events, _) = all_events(r, ev);
    let absent: Vec<_> = events.iter().filter(|e| e.rule == RuleCode::Absent).collect();
    assert_eq!(absent.len(), 1, "{absent:#?}");
    let bound = crate::rules::vanish::SUNK_UNKNOWN_MS / 1000;
    assert_eq!(absent[0].start, t0 + chrono::Duration::seconds(520 + bound));
}

#[test]
fn absence_needs_the_tolerance() {
    let mut r = WindowRules::new(&window());
    let t0 = at("09:00:00");
    let mut ev = feed(&mut r, t0, 0.0, 60.0, &upright());
    ev.extend(feed(&mut r, t0, 60.0, 61.0, &walking_off()));
    ev.extend(feed(&mut r, t0, 61.0, 150.0, &Observation::absent(false))); // 90 s away: under 120
    ev.extend(feed(&mut r, t0, 150.0, 200.0, &upright()));
    ev.extend(feed(&mut r, t0, 200.0, 201.0, &walking_off()));
    ev.extend(feed(&mut r, t0, 201.0, 400.0, &Observation::absent(false))); // 200 s away
    ev.extend(feed(&mut r, t0, 400.0, 460.0, &upright()));
    let (events, _) = all_events(r, ev);
    let absent: Vec<_> = events.iter().filter(|e| e.rule == RuleCode::Absent).collect();
    assert_eq!(absent.len(), 1, "{events:#?}");
    assert_eq!(absent[0].start, t0 + chrono::Duration::seconds(200));
    assert_eq!(absent[0].end, t0 + chrono::Duration::milliseconds(399_500));
    assert_eq!(absent[0].closed_by, "resolved");
}

#[test]
fn event_straddling_a_break_ends_at_the_break() {
    let mut r = WindowRules::new(&window());
    let t0 = at("09:50:00");
    let ev = feed(&mut r, t0, 0.0, 60.0 * 30.0, &Observation::absent(false));
    let (events, minutes) = all_events(r, ev);
    let absent: Vec<_> = events.iter().filter(|e| e.rule == RuleCode::Absent).collect();
    assert_eq!(absent.len(), 2, "{absent:#?}");
    assert_eq!((absent[0].start, absent[0].end), (t0, at("10:00:00")));
    assert_eq!(absent[0].closed_by, "service_ended");
    // After the break the tolerance counts again from 10:15.
    assert_eq!(absent[1].start, at("10:15:00"));
    let break_minute = minutes.iter().find(|m| m.minute == Some(at("10:05:00"))).unwrap();
    assert_eq!(break_minute.in_service_s, 0.0);
    assert_eq!(break_minute.rules[&RuleCode::Absent].violation_s, 0.0);
}

#[test]
fn nothing_before_opening_and_absence_counts_from_opening() {
    let mut r = WindowRules::new(&window());
    let t0 = at("08:20:00");
    let ev = feed(&mut r, t0, 0.0, 60.0 * 15.0, &Observation::absent(false));
    let (events, _) = all_events(r, ev);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].start, at("08:30:00"));
}

#[test]
fn slouching_entry_exit_and_peak_values() {
    let mut r = WindowRules::new(&window());
    let t0 = at("09:00:00");
    let slouch = Observation { trunk_deg: Some(35.0), ..upright() };
    let deep = Observation { trunk_deg: Some(42.0), ..upright() };
    let mut ev = feed(&mut r, t0, 0.0, 20.0, &upright());
    ev.extend(feed(&mut r, t0, 20.0, 35.0, &slouch)); // 15 s: a decoy
    ev.extend(feed(&mut r, t0, 35.0, 60.0, &upright()));
    ev.extend(feed(&mut r, t0, 60.0, 100.0, &slouch));
    ev.extend(feed(&mut r, t0, 100.0, 105.0, &upright())); // 5 s: under exit_s
    ev.extend(feed(&mut r, t0, 105.0, 130.0, &deep));
    ev.extend(feed(&mut r, t0, 130.0, 200.0, &upright()));
    let (events, minutes) = all_events(r, ev);
    let s: Vec<_> = events.iter().filter(|e| e.rule == RuleCode::Slouching).collect();
    assert_eq!(s.len(), 1, "{events:#?}");
    // Angles are judged on a 9-frame median: a change shows after 5 frames (2 s).
    assert_eq!(s[0].start, t0 + chrono::Duration::seconds(62));
    assert_eq!(s[0].end, t0 + chrono::Duration::milliseconds(131_500));
    assert_eq!(s[0].values["peak_trunk_deg"], 42.0);
    assert!((s[0].confidence - 0.9).abs() < 1e-6);
    let total: f64 = minutes.iter().map(|m| m.rules[&RuleCode::Slouching].violation_s).sum();
    assert!((total - 70.0).abs() < 1.0, "{total}");
    assert_eq!(minutes.iter().map(|m| m.rules[&RuleCode::Slouching].events).sum::<u32>(), 1);
}

#[test]
fn neck_alone_can_trigger_and_unknown_posture_never_does() {
    let mut r = WindowRules::new(&window());
    let t0 = at("09:00:00");
    let neck = Observation { neck_deg: Some(35.0), ..upright() };
    let unknown = Observation { trunk_deg: None, neck_deg: None, sink: None, head_on_desk: None, ..upright() };
    let mut ev = feed(&mut r, t0, 0.0, 60.0, &neck);
    ev.extend(feed(&mut r, t0, 60.0, 300.0, &unknown));
    let (events, minutes) = all_events(r, ev);
    let s: Vec<_> = events.iter().filter(|e| e.rule == RuleCode::Slouching).collect();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].closed_by, "unknown");
    assert_eq!(
        s[0].end,
        t0 + chrono::Duration::milliseconds(62_500),
        "the median carries the last angles while 3 of the last 9 frames saw them"
    );
    let unknown_s: f64 = minutes.iter().map(|m| m.unknown_s).sum();
    assert!(unknown_s > 200.0, "unknown posture time is counted as unknown: {unknown_s}");
}

#[test]
fn unknown_gap_in_frames_is_unobserved_time() {
    let mut r = WindowRules::new(&window());
    let t0 = at("09:00:00");
    let mut ev = feed(&mut r, t0, 0.0, 30.0, &upright());
    ev.extend(feed(&mut r, t0, 90.0, 120.0, &upright())); // 60 s with no frames
    let (_, minutes) = all_events(r, ev);
    let observed: f64 = minutes.iter().map(|m| m.observed_s).sum();
    let unknown: f64 = minutes.iter().map(|m| m.unknown_s).sum();
    // Frames 0-29.5 s, 3 s after the last of them, then 90-119.5 s and one
    // frame interval after the end.
    assert!((observed - (29.5 + 3.0 + 30.0)).abs() < 0.01, "{observed}");
    assert!((unknown - 57.5).abs() < 0.01, "{unknown}");
    let compliant: f64 = minutes.iter().map(|m| m.compliant_s).sum();
    assert!((compliant - 62.5).abs() < 0.01, "{compliant}");
}

#[test]
fn a_jump_of_years_writes_a_day_of_unobserved_minutes_at_most() {
    // A broken clock or a crafted timestamp: the frame after 09:00:30 is
    // ten years on; one at the end of chrono's range is ignored.
    let mut r = WindowRules::new(&window());
    let t0 = at("09:00:00");
    let mut ev = feed(&mut r, t0, 0.0, 30.0, &upright());
    let later = t0.checked_add_signed(chrono::TimeDelta::days(3653)).unwrap();
    ev.extend(feed(&mut r, later, 0.0, 10.0, &upright()));
    let end = DateTime::<chrono::Utc>::MAX_UTC.fixed_offset();
    assert!(r.push_observation(end, &upright()).is_empty());
    ev.extend(r.push_observation(DateTime::parse_from_rfc3339("9999-12-31T23:59:59+08:00").unwrap(), &upright()));
    let (_, minutes) = all_events(r, ev);
    let per_gap = (MAX_UNSEEN_S / 60) as usize + 2;
    assert!(minutes.len() <= 2 + 2 * per_gap + 2, "{} minute rows", minutes.len());
    let observed: f64 = minutes.iter().map(|m| m.observed_s).sum();
    // 0-29.5 s and 3 s after; 10 years on, 0-9.5 s and 3 s after; the frame
    // at the end of 9999 and one interval after it.
    assert!((observed - (29.5 + 3.0 + 9.5 + 3.0 + 0.5)).abs() < 0.01, "{observed}");
}

#[test]
fn leave_suppresses_absence() {
    let mut r = WindowRules::new(&window());
    let t0 = DateTime::parse_from_rfc3339("2026-03-03T13:55:00+08:00").unwrap();
    let ev = feed(&mut r, t0, 0.0, 60.0 * 70.0, &Observation::absent(false));
    let (events, _) = all_events(r, ev);
    // 13:55-14:00 is an absence that leave interrupts; none during the
    // leave; from 15:00 the tolerance runs again.
    let ts = |s: &str| DateTime::parse_from_rfc3339(s).unwrap();
    assert_eq!(events.len(), 2, "{events:#?}");
    assert_eq!((events[0].start, events[0].end), (ts("2026-03-03T13:55:00+08:00"), ts("2026-03-03T14:00:00+08:00")));
    assert_eq!(events[0].closed_by, "service_ended");
    assert_eq!(events[1].start, ts("2026-03-03T15:00:00+08:00"));
}

#[test]
fn weekends_are_not_service_time() {
    let mut r = WindowRules::new(&window());
    let sat = DateTime::parse_from_rfc3339("2026-03-07T09:00:00+08:00").unwrap();
    let ev = feed(&mut r, sat, 0.0, 600.0, &Observation::absent(false));
    let (events, minutes) = all_events(r, ev);
    assert!(events.is_empty());
    assert_eq!(minutes.iter().map(|m| m.in_service_s).sum::<f64>(), 0.0);
}

/// Visits in which a visitor hid the clerk for most of the time are
/// counted, and from a tenth of twenty or more the placement is warned;
/// the count survives a restart and is forgotten when the counter zone
/// moves.
#[test]
fn visits_a_visitor_hides_are_counted_and_the_placement_warned() {
    use crate::rules::baseline::Placement;
    let t0 = at("09:00:00");
    let hidden = Observation { clerk_hidden: true, ..Observation::absent(true) };
    let seen = Observation { citizen_at_counter: true, ..upright() };
    let mut r = WindowRules::new(&window());
    let mut t = 0.0;
    let mut visit = |r: &mut WindowRules, obs: &Observation, secs: f64| {
        feed(r, t0, t, t + secs, obs);
        feed(r, t0, t + secs, t + secs + 15.0, &upright());
        t += secs + 15.0;
    };
    let warned = |r: &WindowRules| r.baseline_status().placement.iter().find(|p| matches!(p, Placement::VisitorsHideClerk { .. })).cloned();
    (0..17).for_each(|_| visit(&mut r, &seen, 30.0));
    visit(&mut r, &hidden, 2.0);
    assert_eq!(r.baseline_status().visits.visits, 17, "a visit too short to judge is not counted");
    visit(&mut r, &hidden, 30.0);
    visit(&mut r, &hidden, 30.0);
    assert_eq!(r.baseline_status().visits, crate::rules::visits::VisitTally { visits: 19, hidden: 2 });
    assert_eq!(warned(&r), None, "19 visits are too few");
    visit(&mut r, &hidden, 30.0);
    assert_eq!(warned(&r), Some(Placement::VisitorsHideClerk { hidden: 3, visits: 20 }));
    assert!(warned(&r).unwrap().advice().contains("raise the camera or move it to the side"));
    // Visits in the 10:00 break are not counted, nor are visitors at a
    // desk the clerk had left.
    let brk = at("10:01:00");
    for k in 0..3 {
        let k = f64::from(k) * 60.0;
        feed(&mut r, brk, k, k + 30.0, &hidden);
        feed(&mut r, brk, k + 30.0, k + 60.0, &upright());
    }
    let back = at("10:30:00");
    feed(&mut r, back, 0.0, 30.0, &Observation::absent(false));
    feed(&mut r, back, 30.0, 60.0, &hidden);
    feed(&mut r, back, 60.0, 80.0, &upright());
    assert_eq!(r.baseline_status().visits, crate::rules::visits::VisitTally { visits: 21, hidden: 3 });

    let mut again = WindowRules::new(&window());
    again.set_learner(crate::rules::baseline::Learner::from_json(&r.learner().to_json()).unwrap());
    assert_eq!(warned(&again), Some(Placement::VisitorsHideClerk { hidden: 3, visits: 21 }), "kept across a restart");
    let staff = again.window().staff_zone.clone();
    let desk = again.window().desk_y;
    again.set_layout(staff.clone(), staff, desk);
    assert_eq!(warned(&again), None, "a redrawn counter zone starts afresh");
    assert_eq!(again.baseline_status().visits.visits, 0);
}

#[test]
fn greeting_rule() {
    let t0 = at("09:00:00");
    let with_citizen = Observation { citizen_at_counter: true, ..upright() };
    let standing = Observation { posture: Some(Posture::Standing), citizen_at_counter: true, ..upright() };

    // Stays seated for 60 s while the citizen is there: one event from arrival.
    let mut r = WindowRules::new(&window());
    let mut ev = feed(&mut r, t0, 0.0, 10.0, &upright());
    ev.extend(feed(&mut r, t0, 10.0, 70.0, &with_citizen));
    ev.extend(feed(&mut r, t0, 70.0, 80.0, &standing));
    ev.extend(feed(&mut r, t0, 80.0, 100.0, &upright()));
    let (events, _) = all_events(r, ev);
    let g: Vec<_> = events.iter().filter(|e| e.rule == RuleCode::NotStandingToGreet).collect();
    assert_eq!(g.len(), 1, "{events:#?}");
    assert_eq!(g[0].start, t0 + chrono::Duration::seconds(13), "arrival = 3 s in the counter zone");
    assert_eq!(g[0].end, t0 + chrono::Duration::milliseconds(69_500));

    // Stands within 8 s: no event, even though they sit again while serving.
    let mut r = WindowRules::new(&window());
    let mut ev = feed(&mut r, t0, 0.0, 8.0, &with_citizen);
    ev.extend(feed(&mut r, t0, 8.0, 12.0, &standing));
    ev.extend(feed(&mut r, t0, 12.0, 200.0, &with_citizen));
    let (events, _) = all_events(r, ev);
    assert!(events.iter().all(|e| e.rule != RuleCode::NotStandingToGreet), "{events:#?}");

    // The citizen leaves before the timeout: no event.
    let mut r = WindowRules::new(&window());
    let mut ev = feed(&mut r, t0, 0.0, 15.0, &with_citizen);
    ev.extend(feed(&mut r, t0, 15.0, 100.0, &upright()));
    let (events, _) = all_events(r, ev);
    assert!(events.is_empty(), "{events:#?}");

    // Greeted, then the visitor's detection drops out for `gap` seconds
    // during a long stay: under 10 s it is the same visit, and no second
    // greeting is owed; from 10 s the next visitor is owed one.
    let greetings_after_a_gap = |gap: f64| {
        let mut r = WindowRules::new(&window());
        let mut ev = feed(&mut r, t0, 0.0, 8.0, &with_citizen);
        ev.extend(feed(&mut r, t0, 8.0, 12.0, &standing));
        ev.extend(feed(&mut r, t0, 12.0, 60.0, &with_citizen));
        ev.extend(feed(&mut r, t0, 60.0, 60.0 + gap, &upright()));
        ev.extend(feed(&mut r, t0, 60.0 + gap, 200.0, &with_citizen));
        let (events, _) = all_events(r, ev);
        events.iter().filter(|e| e.rule == RuleCode::NotStandingToGreet).count()
    };
    assert_eq!(greetings_after_a_gap(8.0), 0);
    assert_eq!(greetings_after_a_gap(11.0), 1);

    // A rise the chair rolled back may explain is no greeting: read so
    // for half a minute, then seated, the clerk is owed one from the
    // moment they are seen seated (the doubted frames are unknown).
    let doubted = Observation { stand_doubted: true, ..standing.clone() };
    let mut r = WindowRules::new(&window());
    let mut ev = feed(&mut r, t0, 0.0, 8.0, &with_citizen);
    ev.extend(feed(&mut r, t0, 8.0, 40.0, &doubted));
    ev.extend(feed(&mut r, t0, 40.0, 70.0, &with_citizen));
    ev.extend(feed(&mut r, t0, 70.0, 100.0, &upright()));
    let (events, _) = all_events(r, ev);
    let g: Vec<_> = events.iter().filter(|e| e.rule == RuleCode::NotStandingToGreet).collect();
    assert_eq!(g.len(), 1, "{events:#?}");
    assert_eq!(g[0].start, t0 + chrono::Duration::seconds(40), "{events:#?}");
}

#[test]
fn head_on_desk_takes_precedence_over_slouching() {
    let mut r = WindowRules::new(&window());
    let t0 = at("09:00:00");
    let asleep = Observation { trunk_deg: Some(60.0), head_on_desk: Some(true), ..upright() };
    let ev = feed(&mut r, t0, 0.0, 120.0, &asleep);
    let (events, _) = all_events(r, ev);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].rule, RuleCode::HeadOnDesk);
    assert_eq!(events[0].closed_by, "end_of_input");
}

fn slouch_events(events: &[Event]) -> Vec<&Event> {
    events.iter().filter(|e| e.rule == RuleCode::Slouching).collect()
}

#[test]
fn sinking_down_in_the_chair_is_slouching_a_little_sway_is_not() {
    // Trunk and neck read upright: only the shoulders and head have sunk
    // together, by 0.3 of the clerk's shoulder widths (slid down in the
    // chair), then by 0.15 (sway, a chair wound down a little).
    let mut r = WindowRules::new(&window());
    let t0 = at("09:00:00");
    let slid = Observation { sink: Some(0.3), ..upright() };
    let sway = Observation { sink: Some(0.15), ..upright() };
    let mut ev = feed(&mut r, t0, 0.0, 20.0, &upright());
    ev.extend(feed(&mut r, t0, 20.0, 100.0, &slid));
    ev.extend(feed(&mut r, t0, 100.0, 160.0, &upright()));
    ev.extend(feed(&mut r, t0, 160.0, 400.0, &sway));
    let (events, _) = all_events(r, ev);
    let s = slouch_events(&events);
    assert_eq!(s.len(), 1, "{events:#?}");
    assert_eq!(s[0].start, t0 + chrono::Duration::seconds(22));
    assert!((s[0].values["peak_sink"] - 0.3).abs() < 1e-6, "{:?}", s[0].values);
}

#[test]
fn a_slouch_under_way_holds_until_clearly_below_its_threshold() {
    // 25° begins it; 18° (under 20° but above 0.8 × 20° = 16°) keeps it;
    // 12° ends it. Without the hold it would be two events and a gap.
    let mut r = WindowRules::new(&window());
    let t0 = at("09:00:00");
    let trunk = |deg: f32| Observation { trunk_deg: Some(deg), ..upright() };
    let mut ev = feed(&mut r, t0, 0.0, 20.0, &upright());
    ev.extend(feed(&mut r, t0, 20.0, 80.0, &trunk(25.0)));
    ev.extend(feed(&mut r, t0, 80.0, 140.0, &trunk(18.0)));
    ev.extend(feed(&mut r, t0, 140.0, 200.0, &trunk(25.0)));
    ev.extend(feed(&mut r, t0, 200.0, 260.0, &trunk(12.0)));
    // 18° from upright does not begin one.
    ev.extend(feed(&mut r, t0, 260.0, 420.0, &trunk(18.0)));
    let (events, _) = all_events(r, ev);
    let s = slouch_events(&events);
    assert_eq!(s.len(), 1, "{events:#?}");
    assert_eq!(s[0].start, t0 + chrono::Duration::seconds(22));
    assert_eq!(s[0].end, t0 + chrono::Duration::milliseconds(201_500));
}

/// A seated observation whose head sits `head_above_desk` of its usual
/// height above the desk line, bent `trunk_deg`, with the head cue `p`.
fn low_head(head_above_desk: f32, trunk_deg: f32, p: f32) -> Observation {
    let m = crate::rules::posture::Measures {
        drop: 0.6,
        shift: 0.0,
        scale: 1.0,
        one_shoulder: false,
        facing: true,
        roll_deg: 0.0,
        head_drop: Some(0.4),
        head_above_desk: Some(head_above_desk),
        face_seen: 3,
        face_usual: 3,
        wrist_to_head: Some(1.0),
        torso_ratio: None,
        head_at: None,
        wrists_at: [None, None],
    };
    Observation { trunk_deg: Some(trunk_deg), measures: Some(m), head_on_desk_p: Some(p), head_on_desk: Some(false), ..upright() }
}

#[test]
fn a_head_just_come_down_is_watched_before_a_slouch_begins() {
    // The head comes down near the desk, the cue model not yet sure it
    // rests there (p low while the way down is still in its motion window).
    // After 40 s of watching, the model says resting (p 0.8): head on the
    // desk, and no slouching was ever reported.
    let mut r = WindowRules::new(&window());
    let t0 = at("09:00:00");
    let mut ev = feed(&mut r, t0, 0.0, 20.0, &upright());
    ev.extend(feed(&mut r, t0, 20.0, 55.0, &low_head(0.1, 45.0, 0.05)));
    ev.extend(feed(&mut r, t0, 55.0, 200.0, &Observation { head_on_desk: Some(true), ..low_head(0.1, 45.0, 0.8) }));
    let (events, _) = all_events(r, ev);
    assert!(slouch_events(&events).is_empty(), "{events:#?}");
    assert!(events.iter().any(|e| e.rule == RuleCode::HeadOnDesk), "{events:#?}");

    // The same descent where the cues stay clear of resting (a deep hunch
    // over work): the slouch begins once watched, dated from its start.
    let mut r = WindowRules::new(&window());
    let mut ev = feed(&mut r, t0, 0.0, 20.0, &upright());
    ev.extend(feed(&mut r, t0, 20.0, 200.0, &low_head(0.1, 45.0, 0.05)));
    let (events, _) = all_events(r, ev);
    let s = slouch_events(&events);
    assert_eq!(s.len(), 1, "{events:#?}");
    assert_eq!(s[0].start, t0 + chrono::Duration::seconds(22), "dated from when it began, not from when the watching ended");
}

#[test]
fn a_rest_under_way_holds_while_the_cues_leave_it_possible() {
    // Resting (p 0.9) for a minute, then a minute where the cues are unsure
    // (p 0.5), then clearly not (p 0.1): one event, ending when the cues
    // cleared. Unsure from the start (p 0.5 alone) never begins one.
    let mut r = WindowRules::new(&window());
    let t0 = at("09:00:00");
    let rest = |p: f32| Observation { head_on_desk: Some(p >= 0.7), ..low_head(0.1, 45.0, p) };
    let mut ev = feed(&mut r, t0, 0.0, 20.0, &upright());
    ev.extend(feed(&mut r, t0, 20.0, 80.0, &rest(0.9)));
    ev.extend(feed(&mut r, t0, 80.0, 140.0, &rest(0.5)));
    ev.extend(feed(&mut r, t0, 140.0, 200.0, &rest(0.1)));
    ev.extend(feed(&mut r, t0, 200.0, 260.0, &upright()));
    ev.extend(feed(&mut r, t0, 260.0, 400.0, &rest(0.5)));
    let (events, _) = all_events(r, ev);
    let h: Vec<_> = events.iter().filter(|e| e.rule == RuleCode::HeadOnDesk).collect();
    assert_eq!(h.len(), 1, "{events:#?}");
    // The cue's median needs three frames that carry it (upright frames do not).
    assert_eq!(h[0].start, t0 + chrono::Duration::seconds(21));
    assert_eq!(h[0].end, t0 + chrono::Duration::milliseconds(141_500));
}

#[test]
fn a_head_bobbing_at_the_desk_line_cannot_put_a_slouch_off() {
    // Bent 30° over writing for ten minutes, the head dipping near the desk
    // for 30 s and up for 5 s, again and again: each dip would restart the
    // watch, but a pending slouch is held once only.
    let mut r = WindowRules::new(&window());
    let t0 = at("09:00:00");
    let mut ev = feed(&mut r, t0, 0.0, 20.0, &upright());
    let mut s = 20.0;
    while s < 620.0 {
        ev.extend(feed(&mut r, t0, s, s + 30.0, &low_head(0.2, 30.0, 0.05)));
        ev.extend(feed(&mut r, t0, s + 30.0, s + 35.0, &low_head(0.6, 30.0, 0.05)));
        s += 35.0;
    }
    ev.extend(feed(&mut r, t0, s, s + 60.0, &upright()));
    let (events, _) = all_events(r, ev);
    let sl = slouch_events(&events);
    assert_eq!(sl.len(), 1, "{events:#?}");
    assert!(sl[0].end - sl[0].start > chrono::Duration::minutes(9), "{:?}", sl[0]);
}

/// A head low over the desk with cue probability `p` (a rest when sure).
fn rest(p: f32) -> Observation {
    Observation { head_on_desk: Some(p >= 0.7), ..low_head(0.1, 45.0, p) }
}

/// The head-on-desk events of a script of (from s, to s, observation),
/// after 20 s upright.
fn head_events(script: &[(f64, f64, Observation)]) -> Vec<Event> {
    let t0 = at("09:00:00");
    let mut r = WindowRules::new(&window());
    let mut ev = feed(&mut r, t0, 0.0, 20.0, &upright());
    for (from, to, obs) in script {
        ev.extend(feed(&mut r, t0, *from, *to, obs));
    }
    let (events, _) = all_events(r, ev);
    events.into_iter().filter(|e| e.rule == RuleCode::HeadOnDesk).collect()
}

#[test]
fn a_rest_does_not_carry_on_across_leaving_or_standing() {
    // Resting (p 0.9), away for 15 s (under the 20 s unknown limit), back
    // hunched with the cue unsure (0.4): the rest ended when the clerk left.
    let t0 = at("09:00:00");
    let h = head_events(&[(20.0, 80.0, rest(0.9)), (80.0, 95.0, Observation::absent(false)), (95.0, 200.0, rest(0.4))]);
    assert_eq!(h.len(), 1, "{h:#?}");
    assert!(h[0].end <= t0 + chrono::Duration::seconds(80), "{:?}", h[0]);
    // The same with standing for 5 s instead of leaving.
    let standing = Observation { posture: Some(Posture::Standing), head_on_desk: Some(false), ..upright() };
    let h = head_events(&[(20.0, 80.0, rest(0.9)), (80.0, 85.0, standing), (85.0, 200.0, rest(0.4))]);
    assert_eq!(h.len(), 1, "{h:#?}");
    assert!(h[0].end <= t0 + chrono::Duration::seconds(82), "{:?}", h[0]);
}

#[test]
fn a_rest_holds_through_a_brief_clear_no() {
    // Resting (p 0.9); the cue dips to 0.2 for 3 s (a hand passing the
    // face), then hovers at 0.5 for two minutes: one rest, not two, and not
    // one that ends in unknown.
    let t0 = at("09:00:00");
    let h = head_events(&[
        (20.0, 80.0, rest(0.9)),
        (80.0, 83.0, rest(0.2)),
        (83.0, 200.0, rest(0.5)),
        (200.0, 260.0, rest(0.9)),
        (260.0, 300.0, upright()),
    ]);
    assert_eq!(h.len(), 1, "{h:#?}");
    assert_eq!(h[0].closed_by, "resolved", "{:?}", h[0]);
    assert!(h[0].end >= t0 + chrono::Duration::seconds(255), "{:?}", h[0]);
}

#[test]
fn a_rest_ends_on_a_clear_no_that_lasts() {
    // Resting (p 0.9); then a clear "no" (0.1) for 6 s, longer than a
    // flicker, then the cue hovers at 0.5 for three minutes (the clerk sat
    // up and works bent over the desk): the rest ended with the "no".
    let t0 = at("09:00:00");
    let h = head_events(&[(20.0, 80.0, rest(0.9)), (80.0, 86.0, rest(0.1)), (86.0, 266.0, rest(0.5))]);
    assert_eq!(h.len(), 1, "{h:#?}");
    assert!(h[0].end <= t0 + chrono::Duration::seconds(85), "{:?}", h[0]);
}

#[test]
fn crossed_legs_only_when_judged() {
    let mut r = WindowRules::new(&window());
    let t0 = at("09:00:00");
    let crossed = Observation { legs_crossed: Some(true), ..upright() };
    let mut ev = feed(&mut r, t0, 0.0, 100.0, &crossed);
    ev.extend(feed(&mut r, t0, 100.0, 200.0, &upright())); // legs unknown
    let (events, _) = all_events(r, ev);
    let c: Vec<_> = events.iter().filter(|e| e.rule == RuleCode::CrossedLegs).collect();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].closed_by, "unknown");
}

#[test]
fn events_carry_the_window_and_local_offset() {
    let mut r = WindowRules::new(&window());
    let t0 = DateTime::parse_from_rfc3339("2026-03-02T01:00:00Z").unwrap(); // 09:00 in Shanghai
    let ev = feed(&mut r, t0, 0.0, 300.0, &Observation::absent(false));
    let (events, _) = all_events(r, ev);
    assert_eq!(events[0].window, "w1");
    assert_eq!(events[0].start.to_rfc3339(), "2026-03-02T09:00:00+08:00");
    let json = serde_json::to_value(&events[0]).unwrap();
    assert_eq!(json["rule"], "absent");
    assert!(json["duration_s"].as_f64().unwrap() > 0.0);
}

#[test]
fn out_of_order_frames_are_ignored() {
    let mut r = WindowRules::new(&window());
    let t0 = at("09:00:00");
    feed(&mut r, t0, 0.0, 10.0, &upright());
    assert!(r.push_observation(t0, &Observation::absent(false)).is_empty());
}

#[test]
fn missing_badge_needs_its_duration_and_unknown_attire_raises_nothing() {
    let mut r = WindowRules::new(&window());
    let t0 = at("09:00:00");
    let worn = Observation { badge: Some(0.9), uniform: Some(0.8), ..upright() };
    let bare = Observation { badge: Some(0.2), uniform: Some(0.8), ..upright() };
    let unseen = Observation { badge: None, uniform: None, ..upright() };
    let mut ev = feed(&mut r, t0, 0.0, 60.0, &worn);
    ev.extend(feed(&mut r, t0, 60.0, 150.0, &bare)); // 90 s: under min_s 120
    ev.extend(feed(&mut r, t0, 150.0, 200.0, &worn));
    ev.extend(feed(&mut r, t0, 200.0, 500.0, &unseen)); // unknown: nothing
    ev.extend(feed(&mut r, t0, 500.0, 700.0, &bare)); // 200 s without
    ev.extend(feed(&mut r, t0, 700.0, 760.0, &worn));
    let (events, minutes) = all_events(r, ev);
    let badge: Vec<_> = events.iter().filter(|e| e.rule == RuleCode::MissingBadge).collect();
    assert_eq!(badge.len(), 1, "{events:#?}");
    assert_eq!(badge[0].start, t0 + chrono::Duration::seconds(500));
    assert_eq!(badge[0].closed_by, "resolved");
    assert!(badge[0].values.get("mean_badge_p").is_some_and(|p| (p - 0.2).abs() < 0.01), "{:?}", badge[0].values);
    assert!(events.iter().all(|e| e.rule != RuleCode::DressCode));
    // Its time is violation time in the minutes, like any rule's.
    let violation: f64 = minutes.iter().map(|m| m.rules[&RuleCode::MissingBadge].violation_s).sum();
    assert!((violation - 200.0).abs() < 1.0, "{violation}");
}

#[test]
fn dress_code_is_judged_only_on_a_present_clerk() {
    let mut r = WindowRules::new(&window());
    let t0 = at("09:00:00");
    let off = Observation { uniform: Some(0.1), ..upright() };
    let away = Observation { uniform: Some(0.1), ..Observation::absent(false) };
    let mut ev = feed(&mut r, t0, 0.0, 100.0, &away);
    ev.extend(feed(&mut r, t0, 100.0, 460.0, &off));
    let (events, _) = all_events(r, ev);
    let dress: Vec<_> = events.iter().filter(|e| e.rule == RuleCode::DressCode).collect();
    assert_eq!(dress.len(), 1, "{events:#?}");
    assert_eq!(dress[0].start, t0 + chrono::Duration::seconds(100));
}

#[test]
fn frames_that_lose_the_head_do_not_outvote_frames_that_place_it() {
    // Resting on folded arms: two frames in three lose the head's keypoints,
    // and the cue model reads a head it cannot place as not resting.
    let mut r = WindowRules::new(&window());
    let t0 = at("09:00:00");
    let m = crate::rules::posture::Measures { drop: 0.8, head_drop: Some(0.7), head_above_desk: Some(-0.3), ..Default::default() };
    let placed =
        Observation { trunk_deg: Some(45.0), head_on_desk: Some(true), head_on_desk_p: Some(0.95), measures: Some(m), ..upright() };
    let lost_m = crate::rules::posture::Measures { head_drop: None, head_above_desk: None, ..m };
    let lost = Observation { head_on_desk: Some(false), head_on_desk_p: Some(0.1), measures: Some(lost_m), ..placed.clone() };
    let mut ev = Vec::new();
    for i in 0..240 {
        let obs = if i % 3 == 0 { &placed } else { &lost };
        ev.extend(r.push_observation(t0 + chrono::Duration::milliseconds(i * 500), obs));
    }
    ev.extend(feed(&mut r, t0, 120.0, 180.0, &upright()));
    let (events, _) = all_events(r, ev);
    let rests: Vec<_> = events.iter().filter(|e| e.rule == RuleCode::HeadOnDesk).collect();
    assert_eq!(rests.len(), 1, "{events:#?}");
    assert!(events.iter().all(|e| e.rule != RuleCode::Slouching), "{events:#?}");
}

/// A seated clerk facing the camera in a 1000 x 1000 frame: shoulders at
/// y 400 (160 px apart), the face above them, hips seen at y 650.
fn seated_clerk_with_hips_in_sight() -> Person {
    use crate::vision::Keypoint;
    use crate::vision::person::kp;
    let mut k = vec![Keypoint::new(0.0, 0.0, 0.0); 17];
    k[kp::NOSE] = Keypoint::new(500.0, 333.0, 0.9);
    k[kp::LEFT_EYE] = Keypoint::new(520.0, 305.0, 0.9);
    k[kp::RIGHT_EYE] = Keypoint::new(480.0, 305.0, 0.9);
    k[kp::LEFT_EAR] = Keypoint::new(540.0, 300.0, 0.8);
    k[kp::RIGHT_EAR] = Keypoint::new(460.0, 300.0, 0.8);
    k[kp::LEFT_SHOULDER] = Keypoint::new(580.0, 400.0, 0.9);
    k[kp::RIGHT_SHOULDER] = Keypoint::new(420.0, 400.0, 0.9);
    k[kp::LEFT_HIP] = Keypoint::new(555.0, 650.0, 0.9);
    k[kp::RIGHT_HIP] = Keypoint::new(445.0, 650.0, 0.9);
    Person { bbox: crate::geometry::BBox::new(400.0, 250.0, 600.0, 700.0), score: 0.9, keypoints: k, landmarks: None, presence: None }
}

#[test]
fn a_desk_line_drawn_below_the_seated_clerk_is_doubted_and_a_baseline_learnt_without_it() {
    use crate::rules::baseline::Placement;
    // The line at y 950 (the edge of a side desk, below the hips): the
    // clerk's hips show above it, and it calls them standing.
    let mut w = window();
    w.desk_y = Some(0.95);
    let mut r = WindowRules::new(&w);
    let start = at("08:30:00");
    let person = [seated_clerk_with_hips_in_sight()];
    let push = |r: &mut WindowRules, s: f64| r.push(start + chrono::Duration::milliseconds((s * 1000.0) as i64), &person, 1000, 1000).0;
    let mut s = 0.0;
    while s < 600.0 {
        let o = push(&mut r, s);
        assert_eq!(o.posture, Some(Posture::Standing), "the line's verdict before it is doubted");
        s += 0.5;
    }
    assert!(r.baseline().is_none());
    assert!(!r.baseline_status().placement.contains(&Placement::DeskLineLow));
    while s < 1200.0 {
        push(&mut r, s);
        s += 0.5;
    }
    assert!(r.baseline().is_some(), "learnt once the line is doubted");
    assert!(r.baseline_status().placement.contains(&Placement::DeskLineLow), "and people are told to redraw it");
    // The stored baseline says so by itself (what `liyi doctor` reads).
    let b = r.baseline().unwrap();
    assert!(crate::rules::baseline::placement(Some(&b), 60, 20.0, true).contains(&Placement::DeskLineLow));
    let o = push(&mut r, s);
    assert_eq!(o.posture, Some(Posture::Sitting));
    assert_eq!(o.measures.expect("measured against the baseline").head_above_desk, None, "a doubted line does not place the head");
    // A restart keeps the doubt with the baseline's samples.
    let mut again = WindowRules::new(&w);
    again.set_learner(crate::rules::baseline::Learner::from_json(&r.learner().to_json()).unwrap());
    assert!(again.baseline_status().placement.contains(&Placement::DeskLineLow));
    assert_eq!(again.observe(&person, 1000, 1000).measures.unwrap().head_above_desk, None);
    // A redrawn line is trusted afresh.
    r.set_layout(w.staff_zone.clone(), w.counter_zone.clone(), Some(0.6));
    assert!(!r.baseline_status().placement.contains(&Placement::DeskLineLow));
}
