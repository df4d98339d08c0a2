//! The visit-count chart: plain SVG, one line per session.

use leptos::prelude::*;

use crate::app::Pg;
use crate::model::chart::{layout, px, svg_markup, MAX_CHART_POINTS};

const W: f64 = 480.0;
const H: f64 = 200.0;

#[component]
pub fn VisitChart() -> impl IntoView {
    let pg = expect_context::<Pg>();
    // Only the newest exchanges are drawn: 480 units of width cannot show a thousand dots
    // apart. A memo, so that a timeline change that moves no dot (a header arriving on the side
    // channel, say) redraws nothing.
    let window = Memo::new(move |_| {
        pg.timeline.with(|t| {
            let points = t.chart_points();
            let hidden = points.len().saturating_sub(MAX_CHART_POINTS);
            (layout(&points[hidden..], W, H), hidden)
        })
    });
    let legend = move || {
        window.with(|(l, _)| {
            l.series
                .iter()
                .map(|s| {
                    let user = if s.user.is_empty() { "?" } else { &s.user };
                    let other = if s.other { " (other client)" } else { "" };
                    let label = format!("{user}{other}");
                    view! { <li><span class=format!("swatch c{}", s.color)></span>{label}</li> }
                })
                .collect_view()
        })
    };
    let note = move || {
        let hidden = window.with(|(_, hidden)| *hidden);
        (hidden > 0).then(|| view! {
            <p class="muted small" data-testid="chart-window">
                {format!("The newest {MAX_CHART_POINTS} exchanges; {hidden} earlier ones are in the timeline.")}
            </p>
        })
    };
    view! {
        <section class="card chart" aria-label="Visit count chart">
            <h2>"Visit count"</h2>
            <svg data-testid="visit-chart" viewBox=format!("0 0 {} {}", px(W), px(H)) role="img"
                aria-label="Visit number of each exchange, one line per session"
                inner_html=move || window.with(|(l, _)| svg_markup(l))>
            </svg>
            <ul class="legend small">{legend}</ul>
            {note}
        </section>
    }
}
