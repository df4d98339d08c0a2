//! Scaling for the visit-count chart: exchanges along x, the visit number up y, one line per
//! session. Produces plain numbers and SVG path strings; the component only draws them.

/// One exchange that has a visit number.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The exchange's number in the timeline (x).
    pub number: usize,
    /// The visit the server counted (y).
    pub visit: u64,
    /// Which session the exchange belongs to.
    pub session: usize,
    /// The user it greeted, for the legend.
    pub user: String,
    /// Made by another client (a Python script), not this page.
    pub other: bool,
    /// Sent by this page with "No session".
    pub no_session: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlacedPoint {
    pub x: f64,
    pub y: f64,
    pub number: usize,
    pub visit: u64,
    pub other: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub session: usize,
    pub user: String,
    pub other: bool,
    pub no_session: bool,
    /// Index into the palette (sessions cycle through it).
    pub color: usize,
    pub points: Vec<PlacedPoint>,
    /// `M x y L x y ...` through the points in exchange order.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub value: u64,
    /// Pixel position along its axis.
    pub pos: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    /// Plot area: left, top, right, bottom.
    pub plot: (f64, f64, f64, f64),
    pub x_ticks: Vec<Tick>,
    pub y_ticks: Vec<Tick>,
    pub series: Vec<Series>,
}

pub const PALETTE_LEN: usize = 6;
/// The most exchanges the chart draws: the newest ones.
pub const MAX_CHART_POINTS: usize = 100;
const MARGIN_LEFT: f64 = 48.0;
const MARGIN_RIGHT: f64 = 12.0;
const MARGIN_TOP: f64 = 10.0;
const MARGIN_BOTTOM: f64 = 40.0;

/// The legend's names of the series, so that sessions can be told apart: "cobra, session 2",
/// "cobra, no session", "cobra, other client".
pub fn legend(series: &[Series]) -> Vec<String> {
    let mut sessions_of: Vec<(&str, usize)> = Vec::new();
    series
        .iter()
        .map(|s| {
            let user = if s.user.is_empty() { "?" } else { &s.user };
            if s.other {
                return format!("{user}, other client");
            }
            if s.no_session {
                return format!("{user}, no session");
            }
            let n = match sessions_of.iter_mut().find(|(u, _)| *u == user) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    sessions_of.push((user, 1));
                    1
                }
            };
            format!("{user}, session {n}")
        })
        .collect()
}

/// A coordinate rounded to a whole unit of the view box (integers keep float formatting out
/// of the wasm).
pub fn px(v: f64) -> i64 {
    v.round() as i64
}

/// A "nice" step (1, 2, 5 × 10^k) so that `span / step` gives at most `max_ticks` intervals.
pub fn nice_step(span: u64, max_ticks: u64) -> u64 {
    let max_ticks = max_ticks.max(1);
    if span <= max_ticks {
        return 1;
    }
    let mut magnitude = 1u64;
    loop {
        for m in [1u64, 2, 5] {
            let step = m.saturating_mul(magnitude);
            if span.div_ceil(step) <= max_ticks {
                return step;
            }
        }
        magnitude = magnitude.saturating_mul(10);
    }
}

/// Lays the points out in a `width` × `height` box. The points come in exchange order, as
/// `Timeline::chart_points` gives them, and each session's line goes through them in that order.
pub fn layout(points: &[Point], width: f64, height: f64) -> Layout {
    debug_assert!(points.windows(2).all(|w| w[0].number < w[1].number));
    let plot = (
        MARGIN_LEFT,
        MARGIN_TOP,
        width - MARGIN_RIGHT,
        height - MARGIN_BOTTOM,
    );
    let (left, top, right, bottom) = plot;

    let max_visit = points.iter().map(|p| p.visit).max().unwrap_or(0).max(3);
    let y_step = nice_step(max_visit, 5);
    let y_max = max_visit.div_ceil(y_step) * y_step;
    let min_n = points.iter().map(|p| p.number).min().unwrap_or(1);
    let max_n = points
        .iter()
        .map(|p| p.number)
        .max()
        .unwrap_or(1)
        .max(min_n + 1);

    let x_of = |n: usize| left + (right - left) * (n - min_n) as f64 / (max_n - min_n) as f64;
    let y_of = |v: u64| bottom - (bottom - top) * v as f64 / y_max as f64;

    let y_ticks = (0..=y_max / y_step)
        .map(|i| i * y_step)
        .map(|v| Tick {
            value: v,
            pos: y_of(v),
        })
        .collect();
    let x_span = (max_n - min_n) as u64;
    let x_step = nice_step(x_span, 8) as usize;
    let first = min_n.div_ceil(x_step) * x_step;
    let x_ticks = (first..=max_n)
        .step_by(x_step)
        .filter(|&n| n >= min_n)
        .map(|n| Tick {
            value: n as u64,
            pos: x_of(n),
        })
        .collect();

    let mut series: Vec<Series> = Vec::new();
    for p in points {
        let placed = PlacedPoint {
            x: x_of(p.number),
            y: y_of(p.visit),
            number: p.number,
            visit: p.visit,
            other: p.other,
        };
        match series.iter_mut().find(|s| s.session == p.session) {
            Some(s) => s.points.push(placed),
            None => {
                let color = series.len() % PALETTE_LEN;
                series.push(Series {
                    session: p.session,
                    user: p.user.clone(),
                    other: p.other,
                    no_session: p.no_session,
                    color,
                    points: vec![placed],
                    path: String::new(),
                })
            }
        }
    }
    for s in &mut series {
        s.path = s
            .points
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{}{} {}", if i == 0 { "M" } else { " L" }, px(p.x), px(p.y)))
            .collect();
    }
    Layout {
        width,
        height,
        plot,
        x_ticks,
        y_ticks,
        series,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(number: usize, visit: u64, session: usize) -> Point {
        Point {
            number,
            visit,
            session,
            user: "cobra".into(),
            other: false,
            no_session: false,
        }
    }

    #[test]
    fn the_legend_tells_sessions_apart() {
        let mut points = vec![pt(1, 1, 0), pt(2, 1, 1), pt(3, 1, 2), pt(4, 1, 3)];
        points[2].no_session = true;
        points[3].other = true;
        let l = layout(&points, 480.0, 200.0);
        assert_eq!(
            legend(&l.series),
            [
                "cobra, session 1",
                "cobra, session 2",
                "cobra, no session",
                "cobra, other client"
            ]
        );
    }

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(3, 5), 1);
        assert_eq!(nice_step(7, 5), 2);
        assert_eq!(nice_step(12, 5), 5);
        assert_eq!(nice_step(100, 5), 20);
        assert_eq!(nice_step(0, 5), 1);
    }

    #[test]
    fn visits_go_up_the_plot() {
        let l = layout(&[pt(1, 1, 0), pt(2, 2, 0), pt(3, 3, 0)], 400.0, 200.0);
        assert_eq!(l.series.len(), 1);
        let ys: Vec<f64> = l.series[0].points.iter().map(|p| p.y).collect();
        assert!(
            ys[0] > ys[1] && ys[1] > ys[2],
            "higher visit is higher up (smaller y): {ys:?}"
        );
        let (left, top, right, bottom) = l.plot;
        for p in &l.series[0].points {
            assert!(p.x >= left && p.x <= right && p.y >= top && p.y <= bottom);
        }
        assert_eq!(l.series[0].points[0].x, left);
        assert_eq!(l.series[0].points[2].x, right);
        assert!(l.series[0].path.starts_with('M') && l.series[0].path.matches(" L").count() == 2);
        assert_eq!(l.y_ticks.first().unwrap().value, 0);
        assert_eq!(l.y_ticks.last().unwrap().value, 3);
    }

    #[test]
    fn one_series_per_session() {
        let l = layout(
            &[pt(1, 1, 0), pt(2, 1, 1), pt(3, 2, 0), pt(4, 1, 2)],
            400.0,
            200.0,
        );
        assert_eq!(l.series.len(), 3);
        assert_eq!(l.series[0].points.len(), 2);
        assert_ne!(l.series[0].color, l.series[1].color);
    }

    #[test]
    fn single_point_and_empty_do_not_divide_by_zero() {
        let l = layout(&[pt(5, 1, 0)], 300.0, 150.0);
        assert!(l.series[0].points[0].x.is_finite());
        let l = layout(&[], 300.0, 150.0);
        assert!(l.series.is_empty());
        assert!(!l.y_ticks.is_empty());
    }

    #[test]
    fn big_visit_counts_get_few_ticks() {
        let l = layout(&[pt(1, 100, 0), pt(2, 101, 0)], 400.0, 200.0);
        assert!(l.y_ticks.len() <= 7);
        assert!(l.y_ticks.last().unwrap().value >= 101);
    }
}
