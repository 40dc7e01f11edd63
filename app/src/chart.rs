//! Line charts people can read at a glance: axes with round ticks (1, 2, 5 × 10ⁿ), the
//! series placed in a plot area, and the point under the pointer. Pure, tested natively; drawn
//! as SVG by `ui/chart.rs` (sharp at any `devicePixelRatio`).

/// One line: its name in the legend and its (x, y) points.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// Dashed (the training curve), or solid (test / validation).
    pub dashed: bool,
}

/// An axis: the range drawn and where its ticks are.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub min: f64,
    pub max: f64,
    pub ticks: Vec<f64>,
    /// The distance between ticks (for their labels' decimals).
    pub step: f64,
}

/// About `target` round ticks covering `[low, high]`, the ends widened to ticks; `integer`
/// axes (epochs) step by whole numbers.
pub fn axis(low: f64, high: f64, target: usize, integer: bool) -> Axis {
    let (low, high) = if low.is_finite() && high.is_finite() {
        (low.min(high), low.max(high))
    } else {
        (0.0, 1.0)
    };
    let (low, high) = if high - low < 1e-12 {
        (
            low - 0.5_f64.max(low.abs() * 0.1),
            high + 0.5_f64.max(high.abs() * 0.1),
        )
    } else {
        (low, high)
    };
    let rough = (high - low) / target.max(1) as f64;
    let magnitude = 10_f64.powf(rough.log10().floor());
    // The round step whose tick count is nearest the target (on a tie, the fewer ticks).
    let step = [10.0, 5.0, 2.0, 1.0]
        .iter()
        .map(|m| m * magnitude)
        .min_by(|a, b| {
            let off = |s: f64| ((high - low) / s - target as f64).abs();
            off(*a).total_cmp(&off(*b))
        })
        .unwrap_or(magnitude);
    let step = if integer { step.max(1.0).round() } else { step };
    let min = (low / step).floor() * step;
    let max = (high / step).ceil() * step;
    let count = ((max - min) / step).round() as usize;
    let ticks = (0..=count).map(|i| min + step * i as f64).collect();
    Axis {
        min,
        max,
        ticks,
        step,
    }
}

/// A tick's label: as many decimals as the step needs.
pub fn tick_label(value: f64, step: f64, percent: bool) -> String {
    if percent {
        let decimals = if step * 100.0 >= 1.0 { 0 } else { 1 };
        return format!("{:.*} %", decimals, value * 100.0);
    }
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    format!("{value:.decimals$}")
}

/// The plot area inside a chart of `width × height` (room for the tick labels and the axes'
/// titles), and mapping values into it.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    pub x: Axis,
    pub y: Axis,
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

impl Plot {
    pub fn new(series: &[Series], width: f64, height: f64, y_from_zero: bool) -> Option<Plot> {
        let points: Vec<(f64, f64)> = series
            .iter()
            .flat_map(|s| s.points.iter().copied())
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        if points.is_empty() {
            return None;
        }
        let fold = |pick: fn(&(f64, f64)) -> f64| {
            points
                .iter()
                .map(pick)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                    (a.min(v), b.max(v))
                })
        };
        let (x_low, x_high) = fold(|p| p.0);
        let (y_low, y_high) = fold(|p| p.1);
        let y_low = if y_from_zero { y_low.min(0.0) } else { y_low };
        Some(Plot {
            x: axis(x_low, x_high, 5, true),
            y: axis(y_low, y_high, 4, false),
            left: 46.0,
            top: 8.0,
            right: width - 10.0,
            bottom: height - 34.0,
        })
    }

    pub fn px(&self, x: f64) -> f64 {
        self.left + (x - self.x.min) / (self.x.max - self.x.min) * (self.right - self.left)
    }

    pub fn py(&self, y: f64) -> f64 {
        self.bottom - (y - self.y.min) / (self.y.max - self.y.min) * (self.bottom - self.top)
    }

    /// The x value at a horizontal position in the chart.
    pub fn x_at(&self, px: f64) -> f64 {
        self.x.min + (px - self.left) / (self.right - self.left) * (self.x.max - self.x.min)
    }

    /// A series as an SVG polyline's points (non-finite values leave gaps out).
    pub fn polyline(&self, series: &Series) -> String {
        series
            .points
            .iter()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .map(|&(x, y)| format!("{:.1},{:.1}", self.px(x), self.py(y)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The training (dashed) and test or validation (solid, named `other`) loss curves.
pub fn loss_series(history: &[crate::session::LossPoint], other: &str) -> std::rc::Rc<Vec<Series>> {
    #[allow(clippy::cast_precision_loss)]
    let curve = |name: &str, pick: fn(&crate::session::LossPoint) -> f32, dashed: bool| Series {
        name: name.to_owned(),
        points: history
            .iter()
            .map(|p| (p.epoch as f64, f64::from(pick(p))))
            .collect(),
        dashed,
    };
    std::rc::Rc::new(vec![
        curve("training", |p| p.train_loss, true),
        curve(other, |p| p.test_loss, false),
    ])
}

/// The index of the point of `series` nearest to `x`.
pub fn nearest(series: &Series, x: f64) -> Option<usize> {
    series
        .points
        .iter()
        .enumerate()
        .min_by(|a, b| (a.1.0 - x).abs().total_cmp(&(b.1.0 - x).abs()))
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_data() {
        let a = axis(0.0, 0.93, 4, false);
        assert!((a.step - 0.2).abs() < 1e-12, "{a:?}");
        assert_eq!(a.min, 0.0);
        assert!((a.max - 1.0).abs() < 1e-9, "{a:?}");
        assert!(
            a.ticks.len() == 6 && (a.ticks[5] - 1.0).abs() < 1e-9,
            "{a:?}"
        );
        let b = axis(1.0, 137.0, 5, false);
        assert_eq!(b.step, 20.0);
        assert_eq!(
            b.ticks,
            vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0, 120.0, 140.0]
        );
        let c = axis(0.0312, 0.0347, 4, false);
        assert!((c.step - 0.001).abs() < 1e-12, "{c:?}");
        assert!(c.min <= 0.0312 && c.max >= 0.0347);
        // One value, or none that is finite: still an axis to draw.
        assert!(axis(3.0, 3.0, 4, false).ticks.len() >= 2);
        assert_eq!(axis(f64::NAN, 1.0, 4, false).min, 0.0);
        // One epoch: whole-number ticks around it.
        let one = axis(1.0, 1.0, 5, true);
        assert!(
            one.ticks.iter().all(|t| t.fract() == 0.0) && one.ticks.contains(&1.0),
            "{one:?}"
        );
    }

    #[test]
    fn labels_have_the_decimals_their_step_needs() {
        assert_eq!(tick_label(0.4, 0.2, false), "0.4");
        assert_eq!(tick_label(150.0, 50.0, false), "150");
        assert_eq!(tick_label(0.032, 0.001, false), "0.032");
        assert_eq!(tick_label(0.75, 0.25, true), "75 %");
        assert_eq!(tick_label(0.955, 0.005, true), "95.5 %");
    }

    #[test]
    fn series_are_placed_in_the_plot_and_found_under_the_pointer() {
        let train = Series {
            name: "train".into(),
            points: vec![(1.0, 1.0), (2.0, 0.5), (3.0, f64::NAN), (4.0, 0.2)],
            dashed: true,
        };
        let plot = Plot::new(std::slice::from_ref(&train), 300.0, 150.0, true).expect("points");
        assert_eq!(plot.y.min, 0.0, "losses start from zero");
        assert!((plot.py(plot.y.min) - plot.bottom).abs() < 1e-9);
        assert!((plot.px(plot.x.max) - plot.right).abs() < 1e-9);
        assert_eq!(
            plot.polyline(&train).split(' ').count(),
            3,
            "the NaN is left out"
        );
        assert!((plot.x_at(plot.px(2.5)) - 2.5).abs() < 1e-9);
        assert_eq!(nearest(&train, 2.4), Some(1));
        assert_eq!(nearest(&train, 9.0), Some(3));
        assert!(Plot::new(&[], 300.0, 150.0, true).is_none());
    }
}
