//! The visit-count chart: plain SVG, one line per session.

use leptos::prelude::*;

use crate::app::Playground;
use crate::model::chart::{layout, legend, px, MAX_CHART_POINTS};

const W: f64 = 480.0;
const H: f64 = 200.0;

#[component]
pub fn VisitChart() -> impl IntoView {
    let playground = expect_context::<Playground>();
    // Only the newest exchanges are drawn: 480 units of width cannot show a thousand dots
    // apart, and each redraw costs one element per dot (the timeline keeps them all).
    // A memo: the timeline changes about three times per exchange (sent, answered, reported),
    // the points at most once, and only then is the SVG drawn again.
    let window = Memo::new(move |_| {
        playground.timeline.with(|t| {
            let points = t.chart_points();
            let hidden = points.len().saturating_sub(MAX_CHART_POINTS);
            (layout(&points[hidden..], W, H), hidden)
        })
    });
    view! {
        <section class="card chart" aria-label="Visit count chart">
            <h2>"Visit count"</h2>
            {move || {
                let (l, hidden) = window.get();
                let note = (hidden > 0).then(|| view! {
                    <p class="muted small" data-testid="chart-window">
                        {format!("The newest {MAX_CHART_POINTS} exchanges; {hidden} earlier ones are in the timeline.")}
                    </p>
                });
                let (left, top, right, bottom) = l.plot;
                let grid = l.y_ticks.iter().map(|t| view! {
                    <line class="grid" x1=px(left) x2=px(right) y1=px(t.pos) y2=px(t.pos)/>
                    <text class="tick" x=px(left - 6.0) y=px(t.pos + 4.0) text-anchor="end">{t.value}</text>
                }).collect_view();
                let xt = l.x_ticks.iter().map(|t| view! {
                    <text class="tick" x=px(t.pos) y=px(bottom + 16.0) text-anchor="middle">{format!("#{}", t.value)}</text>
                }).collect_view();
                let legend = l.series.iter().zip(legend(&l.series)).map(|(s, label)| {
                    view! { <li data-testid="chart-legend-item"><span class=format!("swatch c{}", s.color)></span>{label}</li> }
                }).collect_view();
                let series = l.series.into_iter().map(|s| {
                    let color = format!("c{}", s.color);
                    let dots = s.points.iter().map(|p| view! {
                        <circle data-testid="chart-point" data-visit=p.visit.to_string() data-exchange=p.number.to_string()
                            class=format!("pt {color}") class:other=p.other cx=px(p.x) cy=px(p.y) r="4">
                            <title>{format!("#{}: visit {}", p.number, p.visit)}</title>
                        </circle>
                    }).collect_view();
                    view! {
                        <path class=format!("line {color}") class:other=s.other d=s.path.clone()/>
                        {dots}
                    }
                }).collect_view();
                view! {
                    <svg data-testid="visit-chart" viewBox=format!("0 0 {} {}", px(W), px(H)) role="img"
                        aria-label="Visit number of each exchange, one line per session">
                        {grid}
                        <line class="axis" x1=px(left) x2=px(left) y1=px(top) y2=px(bottom)/>
                        <line class="axis" x1=px(left) x2=px(right) y1=px(bottom) y2=px(bottom)/>
                        {xt}
                        <text class="axis-title" data-testid="chart-x-title" x=px((left + right) / 2.0) y=px(bottom + 33.0) text-anchor="middle">"exchange (timeline #)"</text>
                        <text class="axis-title" data-testid="chart-y-title" text-anchor="middle"
                            transform=format!("translate(12 {}) rotate(-90)", px((top + bottom) / 2.0))>"visit"</text>
                        {series}
                    </svg>
                    <ul class="legend small">{legend}</ul>
                    {note}
                }
            }}
        </section>
    }
}
