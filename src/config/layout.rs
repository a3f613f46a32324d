//! A window's layout (staff zone, counter zone, desk line, privacy masks) as
//! edited in the zone editor: checked, then written back into the TOML file
//! in place with `toml_edit`, so the file's comments and formatting survive.

use crate::geometry::{Point, Polygon};

/// A layout as the editor sends it: normalised 0..1 coordinates.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    pub staff_zone: Vec<[f32; 2]>,
    pub counter_zone: Vec<[f32; 2]>,
    /// The desk's top edge; `None` removes it.
    pub desk_y: Option<f32>,
    /// Areas always filled in images; `None` leaves them as they are, an
    /// empty list removes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masks: Option<Vec<Vec<[f32; 2]>>>,
}

/// A checked layout, as polygons.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedLayout {
    pub staff: Polygon,
    pub counter: Polygon,
    pub desk_y: Option<f32>,
    pub masks: Option<Vec<Polygon>>,
}

/// Zones smaller than this share of the frame are refused.
const MIN_AREA: f32 = 0.001;

/// The most points a zone or mask outline may have. Halls draw 4 to 12;
/// the crossing check is quadratic in the points, so a crafted outline of
/// 10^5 points is refused before it runs.
pub const MAX_ZONE_POINTS: usize = 64;
/// The most privacy masks one window may have.
pub const MAX_MASKS: usize = 32;

fn polygon(points: &[[f32; 2]], name: &str) -> Result<Polygon, String> {
    if points.len() < 3 {
        return Err(format!("{name}: a zone needs at least 3 points, got {}", points.len()));
    }
    if points.len() > MAX_ZONE_POINTS {
        return Err(format!("{name}: a zone has at most {MAX_ZONE_POINTS} points, got {}; trace its corners only", points.len()));
    }
    if let Some((i, p)) = points.iter().enumerate().find(|(_, p)| !(0.0..=1.0).contains(&p[0]) || !(0.0..=1.0).contains(&p[1])) {
        return Err(format!("{name}: point {} ({:.3}, {:.3}) is outside the frame", i + 1, p[0], p[1]));
    }
    let n = points.len();
    for i in 0..n {
        for j in i + 1..n {
            // Neighbouring edges share a point; skip them.
            if j == i + 1 || (i == 0 && j == n - 1) {
                continue;
            }
            if crosses(points[i], points[(i + 1) % n], points[j], points[(j + 1) % n]) {
                return Err(format!("{name}: edges {} and {} cross; a zone's outline must not cross itself", i + 1, j + 1));
            }
        }
    }
    let area = points.iter().enumerate().map(|(i, a)| {
        let b = points[(i + 1) % n];
        a[0] * b[1] - b[0] * a[1]
    });
    let area = area.sum::<f32>().abs() / 2.0;
    if area < MIN_AREA {
        return Err(format!("{name}: the zone has no area ({:.4} of the frame); spread its points", area));
    }
    Ok(Polygon(points.iter().map(|p| Point::new(p[0], p[1])).collect()))
}

fn crosses(a: [f32; 2], b: [f32; 2], c: [f32; 2], d: [f32; 2]) -> bool {
    let orient = |p: [f32; 2], q: [f32; 2], r: [f32; 2]| (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]);
    let (d1, d2, d3, d4) = (orient(c, d, a), orient(c, d, b), orient(a, b, c), orient(a, b, d));
    (d1 > 0.0) != (d2 > 0.0) && (d3 > 0.0) != (d4 > 0.0) && d1 != 0.0 && d2 != 0.0 && d3 != 0.0 && d4 != 0.0
}

impl Layout {
    /// Checks the layout: zones and masks of 3+ points inside the frame,
    /// with area, not crossing themselves; the desk line inside the frame.
    pub fn check(&self) -> Result<CheckedLayout, String> {
        let staff = polygon(&self.staff_zone, "staff_zone")?;
        let counter = polygon(&self.counter_zone, "counter_zone")?;
        if let Some(y) = self.desk_y
            && !(0.0..=1.0).contains(&y)
        {
            return Err(format!("desk_y: {y:.3} is outside the frame"));
        }
        let masks = match &self.masks {
            Some(ms) if ms.len() > MAX_MASKS => return Err(format!("masks: at most {MAX_MASKS} per window, got {}", ms.len())),
            Some(ms) => Some(ms.iter().enumerate().map(|(i, m)| polygon(m, &format!("mask {}", i + 1))).collect::<Result<Vec<_>, _>>()?),
            None => None,
        };
        Ok(CheckedLayout { staff, counter, desk_y: self.desk_y, masks })
    }

    /// `text` (a whole config file) with window `id`'s layout replaced;
    /// everything else, comments included, untouched.
    pub fn write_into(&self, text: &str, id: &str) -> Result<String, String> {
        self.check()?;
        let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("the config does not parse: {e}"))?;
        let windows = doc.get_mut("window").and_then(|w| w.as_array_of_tables_mut()).ok_or("the config has no [[window]] tables")?;
        let w = windows
            .iter_mut()
            .find(|t| t.get("id").and_then(|v| v.as_str()) == Some(id))
            .ok_or_else(|| format!("no window {id:?} in the config"))?;
        let round = |v: f32| (f64::from(v) * 10_000.0).round() / 10_000.0;
        let zone = |pts: &[[f32; 2]]| {
            let mut a = toml_edit::Array::new();
            for p in pts {
                let mut pair = toml_edit::Array::new();
                pair.push(round(p[0]));
                pair.push(round(p[1]));
                a.push(pair);
            }
            a
        };
        // Keep each key's surrounding whitespace and comments (decor).
        let mut set = |key: &str, value: toml_edit::Value| match w.get_mut(key).and_then(|i| i.as_value_mut()) {
            Some(old) => {
                let decor = old.decor().clone();
                *old = value;
                *old.decor_mut() = decor;
            }
            None => {
                w.insert(key, toml_edit::value(value));
            }
        };
        set("staff_zone", toml_edit::Value::Array(zone(&self.staff_zone)));
        set("counter_zone", toml_edit::Value::Array(zone(&self.counter_zone)));
        if let Some(y) = self.desk_y {
            set("desk_y", toml_edit::Value::from(round(y)));
        }
        if let Some(masks) = self.masks.as_ref().filter(|m| !m.is_empty()) {
            let mut all = toml_edit::Array::new();
            for m in masks {
                all.push(zone(m));
            }
            set("masks", toml_edit::Value::Array(all));
        }
        if self.desk_y.is_none() {
            w.remove("desk_y");
        }
        if self.masks.as_ref().is_some_and(Vec::is_empty) {
            w.remove("masks");
        }
        Ok(doc.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "hall = \"h\"\n\n# The first window.\n[[window]]\nid = \"w01\"  # by the door\nsource = \"file:x.mp4\"\n# Where the clerk sits.\nstaff_zone = [[0.3, 0.1], [0.7, 0.1], [0.7, 0.7], [0.3, 0.7]]  # measured 2026-03-02\ncounter_zone = [[0.0, 0.65], [1.0, 0.65], [1.0, 1.0], [0.0, 1.0]]\ndesk_y = 0.6\nhours = [\"08:30-12:00\"]\n\n[[window]]\nid = \"w02\"\nstaff_zone = [[0.1, 0.1], [0.2, 0.1], [0.2, 0.2]]\ncounter_zone = [[0.0, 0.65], [1.0, 0.65], [1.0, 1.0]]\nhours = [\"08:30-12:00\"]\n";

    fn layout() -> Layout {
        Layout {
            staff_zone: vec![[0.25, 0.1], [0.7, 0.1], [0.7, 0.72], [0.25, 0.72]],
            counter_zone: vec![[0.0, 0.65], [1.0, 0.65], [1.0, 1.0], [0.0, 1.0]],
            desk_y: Some(0.62),
            masks: None,
        }
    }

    #[test]
    fn writes_back_keeping_comments_and_other_windows() {
        let out = layout().write_into(CONFIG, "w01").unwrap();
        assert!(
            out.contains("# The first window.")
                && out.contains("# by the door")
                && out.contains("# Where the clerk sits.")
                && out.contains("# measured 2026-03-02"),
            "{out}"
        );
        assert!(out.contains("staff_zone = [[0.25, 0.1], [0.7, 0.1], [0.7, 0.72], [0.25, 0.72]]"), "{out}");
        assert!(out.contains("desk_y = 0.62"));
        assert!(out.contains("staff_zone = [[0.1, 0.1], [0.2, 0.1], [0.2, 0.2]]"), "w02 untouched");
        assert!(crate::config::parse(&out, std::path::Path::new("h.toml")).is_ok());
        assert!(layout().write_into(CONFIG, "w09").unwrap_err().contains("w09"));
    }

    #[test]
    fn masks_and_the_desk_line_are_added_and_removed() {
        let mut l = layout();
        l.masks = Some(vec![vec![[0.0, 0.8], [1.0, 0.8], [1.0, 1.0], [0.0, 1.0]]]);
        l.desk_y = None;
        let out = l.write_into(CONFIG, "w01").unwrap();
        assert!(out.contains("masks = [[[0.0, 0.8], [1.0, 0.8], [1.0, 1.0], [0.0, 1.0]]]"), "{out}");
        let cfg = crate::config::parse(&out, std::path::Path::new("h.toml")).unwrap();
        let w = cfg.window("w01").unwrap();
        assert_eq!(w.masks.len(), 1);
        assert_eq!(w.desk_y, None, "desk line removed");
        // None leaves masks alone; an empty list removes them.
        let mut keep = layout();
        keep.desk_y = Some(0.6);
        let out2 = keep.write_into(&out, "w01").unwrap();
        assert!(out2.contains("masks = ["));
        keep.masks = Some(vec![]);
        let out3 = keep.write_into(&out2, "w01").unwrap();
        assert!(!out3.contains("masks"), "{out3}");
        assert!(out3.contains("# The first window.") && out3.contains("# measured 2026-03-02"));
        // A bad mask is refused by number.
        let mut bad = layout();
        bad.masks = Some(vec![vec![[0.0, 0.8], [1.0, 0.8], [1.0, 1.0], [0.0, 1.0]], vec![[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]]);
        assert!(bad.check().unwrap_err().starts_with("mask 2: "));
    }

    #[test]
    fn refuses_outlines_too_long_to_check() {
        // 10^5 points on a circle: quadratic crossing checks would take
        // minutes; refused at once, naming the zone.
        let circle = |n: usize| {
            (0..n)
                .map(|i| {
                    let a = i as f32 / n as f32 * std::f32::consts::TAU;
                    [0.5 + 0.4 * a.cos(), 0.5 + 0.4 * a.sin()]
                })
                .collect::<Vec<_>>()
        };
        let mut l = layout();
        l.staff_zone = circle(100_000);
        assert!(l.check().unwrap_err().starts_with("staff_zone: a zone has at most 64 points"));
        l.staff_zone = circle(MAX_ZONE_POINTS);
        assert!(l.check().is_ok());
        l.masks = Some(vec![circle(8); MAX_MASKS + 1]);
        assert!(l.check().unwrap_err().starts_with("masks: at most"));
    }

    #[test]
    fn refuses_crossing_outside_and_empty_zones() {
        let mut l = layout();
        l.staff_zone = vec![[0.2, 0.2], [0.6, 0.6], [0.6, 0.2], [0.2, 0.6]];
        assert!(l.check().unwrap_err().contains("cross"));
        let mut l = layout();
        l.staff_zone[1] = [1.2, 0.1];
        assert!(l.check().unwrap_err().contains("outside the frame"));
        let mut l = layout();
        l.counter_zone = vec![[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]];
        assert!(l.check().unwrap_err().contains("no area"));
        let mut l = layout();
        l.desk_y = Some(-0.1);
        assert!(l.check().unwrap_err().contains("desk_y"));
    }
}
