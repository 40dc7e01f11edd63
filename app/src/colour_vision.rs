//! How the page's colours look to people with a colour-vision deficiency: Machado, Oliveira and
//! Fernandes (2009)'s simulation of protanopia, deuteranopia and tritanopia (severity 1, in
//! linear sRGB), and the CIE 1976 colour difference ΔE between two colours. The tests hold the
//! class palette and the orange–blue diverging map to distances people can see.

/// The three deficiencies, as 3 × 3 matrices on linear RGB (Machado et al. 2009, severity 1.0).
pub const DEFICIENCIES: [(&str, [[f32; 3]; 3]); 3] = [
    (
        "protanopia",
        [
            [0.152_286, 1.052_583, -0.204_868],
            [0.114_503, 0.786_281, 0.099_216],
            [-0.003_882, -0.048_116, 1.051_998],
        ],
    ),
    (
        "deuteranopia",
        [
            [0.367_322, 0.860_646, -0.227_968],
            [0.280_085, 0.672_501, 0.047_413],
            [-0.011_820, 0.042_940, 0.968_881],
        ],
    ),
    (
        "tritanopia",
        [
            [1.255_528, -0.076_749, -0.178_779],
            [-0.078_411, 0.930_809, 0.147_602],
            [0.004_733, 0.691_367, 0.303_900],
        ],
    ),
];

fn linear(channel: u8) -> f32 {
    let c = f32::from(channel) / 255.0;
    if c <= 0.040_45 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// CIELAB (D65) of a colour given in linear RGB.
fn lab([r, g, b]: [f32; 3]) -> [f32; 3] {
    let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.950_47;
    let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.088_83;
    let f = |t: f32| {
        if t > 0.008_856 {
            t.cbrt()
        } else {
            7.787 * t + 16.0 / 116.0
        }
    };
    let (fx, fy, fz) = (f(x), f(y), f(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// The colour as seen with `deficiency` (a matrix of [`DEFICIENCIES`]; the identity for
/// typical vision), in CIELAB.
pub fn seen(colour: [u8; 3], deficiency: &[[f32; 3]; 3]) -> [f32; 3] {
    let rgb = colour.map(linear);
    let out =
        deficiency.map(|row| (row[0] * rgb[0] + row[1] * rgb[1] + row[2] * rgb[2]).clamp(0.0, 1.0));
    lab(out)
}

/// CIE 1976 ΔE: about 2.3 is just noticeable; above 10 two colours read as different.
pub fn delta_e(a: [f32; 3], b: [f32; 3]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::colors::{CLASS_COLORS, diverging};

    const TYPICAL: [[f32; 3]; 3] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

    fn closest(colours: &[[u8; 3]], deficiency: &[[f32; 3]; 3]) -> (f32, usize, usize) {
        let mut worst = (f32::INFINITY, 0, 0);
        for i in 0..colours.len() {
            for j in i + 1..colours.len() {
                let d = delta_e(seen(colours[i], deficiency), seen(colours[j], deficiency));
                if d < worst.0 {
                    worst = (d, i, j);
                }
            }
        }
        worst
    }

    #[test]
    fn the_simulation_agrees_with_known_confusions() {
        // Red and green, the classic confusion of deuteranopia, come out close; blue and
        // yellow stay far apart for it.
        let deutan = &DEFICIENCIES[1].1;
        assert!(delta_e(seen([214, 39, 40], deutan), seen([44, 160, 44], deutan)) < 25.0);
        assert!(delta_e(seen([0, 0, 255], deutan), seen([255, 255, 0], deutan)) > 80.0);
        assert!(delta_e(seen([10, 20, 30], &TYPICAL), seen([10, 20, 30], &TYPICAL)) < 1e-6);
    }

    #[test]
    fn the_class_palette_reads_with_every_colour_vision() {
        for (name, deficiency) in DEFICIENCIES.iter().chain([&("typical", TYPICAL)]) {
            // The playground's up to six classes: clearly different for everyone.
            let (d, i, j) = closest(&CLASS_COLORS[..6], deficiency);
            assert!(
                d >= 15.0,
                "{name}: classes {i} and {j} are only ΔE {d:.1} apart"
            );
            // All ten digits: still apart (and named in every view).
            let (d, i, j) = closest(&CLASS_COLORS, deficiency);
            assert!(
                d >= 9.0,
                "{name}: classes {i} and {j} of ten are only ΔE {d:.1} apart"
            );
        }
    }

    #[test]
    fn the_diverging_map_keeps_its_two_sides_apart() {
        for (name, deficiency) in DEFICIENCIES.iter().chain([&("typical", TYPICAL)]) {
            let (negative, positive) = (
                seen(diverging(-1.0), deficiency),
                seen(diverging(1.0), deficiency),
            );
            assert!(
                delta_e(negative, positive) > 40.0,
                "{name}: the two ends are too close"
            );
            // Half way to either side is still told from white and from the other half.
            let white = seen(diverging(0.0), deficiency);
            let (low, high) = (
                seen(diverging(-0.5), deficiency),
                seen(diverging(0.5), deficiency),
            );
            assert!(
                delta_e(low, white) > 10.0 && delta_e(high, white) > 10.0,
                "{name}: halves fade into white"
            );
            assert!(delta_e(low, high) > 15.0, "{name}: the halves look alike");
        }
    }
}
