//! Heatmap colours, as TensorFlow Playground draws them: orange for negative (class 0), blue
//! for positive (class 1), white in between; more classes get more hues. Pure functions, so
//! the pictures are tested natively.

use agora_engine::net::Act;

/// Class 0 (orange), class 1 (blue), then further classes: Okabe and Ito's colours, chosen so
/// that people with any of the three colour-vision deficiencies can tell them apart
/// (`colour_vision.rs` checks it); classes are also named wherever they are drawn.
pub const CLASS_COLORS: [[u8; 3]; 10] = [
    [245, 147, 34],
    [8, 119, 189],
    [0, 158, 115],
    [204, 121, 167],
    [86, 180, 233],
    [213, 94, 0],
    [240, 228, 66],
    [0, 0, 0],
    [127, 127, 127],
    [140, 86, 75],
];

pub const WHITE: [u8; 3] = [255, 255, 255];

/// CSS colour of a class, for points and legends.
pub fn class_css(class: usize) -> String {
    let [r, g, b] = CLASS_COLORS[class % CLASS_COLORS.len()];
    format!("rgb({r},{g},{b})")
}

fn mix(from: [u8; 3], to: [u8; 3], amount: f32) -> [u8; 3] {
    let amount = if amount.is_finite() {
        amount.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let channel = |a: u8, b: u8| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // clamped to 0..=255
        let value = (f32::from(a) + (f32::from(b) - f32::from(a)) * amount).round() as u8;
        value
    };
    [
        channel(from[0], to[0]),
        channel(from[1], to[1]),
        channel(from[2], to[2]),
    ]
}

/// `-1` → orange, `0` → white, `+1` → blue. NaN is drawn white.
pub fn diverging(value: f32) -> [u8; 3] {
    if value >= 0.0 {
        mix(WHITE, CLASS_COLORS[1], value)
    } else {
        mix(WHITE, CLASS_COLORS[0], -value)
    }
}

/// The colour of a point of the plane given the class probabilities there: the classes' hues
/// weighted by probability, faded to white where the network is unsure.
#[allow(clippy::cast_precision_loss)] // class counts are tiny
pub fn class_blend(probabilities: &[f32]) -> [u8; 3] {
    match probabilities.len() {
        0 => WHITE,
        2 => diverging(probabilities[1] - probabilities[0]),
        classes => {
            let mut rgb = [0.0_f32; 3];
            let mut best = 0.0_f32;
            for (class, &p) in probabilities.iter().enumerate() {
                let color = CLASS_COLORS[class % CLASS_COLORS.len()];
                for channel in 0..3 {
                    rgb[channel] += p * f32::from(color[channel]);
                }
                best = best.max(p);
            }
            let chance = 1.0 / classes as f32;
            let confidence = (best - chance) / (1.0 - chance);
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let hue = rgb.map(|c| c.clamp(0.0, 255.0) as u8);
            mix(WHITE, hue, confidence)
        }
    }
}

/// RGBA pixels for an output heatmap: `values` holds `outputs` numbers per pixel
/// (class probabilities, or one regression value in `[-1, 1]`).
pub fn output_pixels(values: &[f32], outputs: usize) -> Vec<u8> {
    let outputs = outputs.max(1);
    let mut pixels = Vec::with_capacity(values.len() / outputs * 4);
    for pixel in values.chunks_exact(outputs) {
        let [r, g, b] = if outputs == 1 {
            diverging(pixel[0])
        } else {
            class_blend(pixel)
        };
        pixels.extend_from_slice(&[r, g, b, 255]);
    }
    pixels
}

/// RGBA pixels for one neuron's heatmap, scaled to its activation's range: tanh as is,
/// sigmoid from `[0, 1]`, ReLU and linear by the largest magnitude in the map.
pub fn neuron_pixels(values: &[f32], activation: Option<Act>) -> Vec<u8> {
    let largest = values
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0_f32, |acc, v| acc.max(v.abs()));
    let scale = |value: f32| match activation {
        Some(Act::Tanh) => value,
        Some(Act::Sigmoid) => 2.0 * value - 1.0,
        Some(Act::Relu | Act::LeakyRelu | Act::Gelu) | None => {
            if largest > 0.0 {
                value / largest
            } else {
                0.0
            }
        }
    };
    let mut pixels = Vec::with_capacity(values.len() * 4);
    for &value in values {
        let [r, g, b] = diverging(scale(value));
        pixels.extend_from_slice(&[r, g, b, 255]);
    }
    pixels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diverging_ends_and_middle() {
        assert_eq!(diverging(-1.0), CLASS_COLORS[0]);
        assert_eq!(diverging(0.0), WHITE);
        assert_eq!(diverging(1.0), CLASS_COLORS[1]);
        assert_eq!(diverging(f32::NAN), WHITE);
        assert_eq!(diverging(7.0), CLASS_COLORS[1], "clamped");
    }

    #[test]
    fn confident_classes_get_their_colour_unsure_ones_fade() {
        assert_eq!(class_blend(&[0.0, 0.0, 1.0]), CLASS_COLORS[2]);
        assert_eq!(class_blend(&[1.0 / 3.0; 3]), WHITE);
        assert_eq!(class_blend(&[0.0, 1.0]), CLASS_COLORS[1]);
    }

    #[test]
    fn pixels_are_rgba_per_grid_point() {
        let pixels = output_pixels(&[1.0, 0.0, 0.0, 1.0], 2);
        assert_eq!(pixels, [245, 147, 34, 255, 8, 119, 189, 255]);
        let relu = neuron_pixels(&[0.0, 2.0, 4.0], Some(Act::Relu));
        assert_eq!(
            &relu[8..12],
            &[8, 119, 189, 255],
            "largest value is full blue"
        );
        assert_eq!(&relu[0..4], &[255, 255, 255, 255]);
    }
}
