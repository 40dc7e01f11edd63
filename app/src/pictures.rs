//! Turning numbers read back from the network into pictures: feature maps as diverging
//! heatmaps (a shared or a per-map scale), input images, and conv kernels. Pure functions on
//! byte buffers (RGB, channels last), tested natively; the page shows them as BMP data URLs.

use crate::colors::diverging;

/// The largest absolute value (0 for none or only NaN).
pub fn max_abs(values: &[f32]) -> f32 {
    values
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0_f32, |top, v| top.max(v.abs()))
}

/// A feature map (`values`, row-major) as RGB: `-scale` orange, 0 white, `+scale` blue.
pub fn map_rgb(values: &[f32], scale: f32) -> Vec<u8> {
    let scale = if scale > 0.0 { scale } else { 1.0 };
    values
        .iter()
        .flat_map(|&v| diverging((v / scale).clamp(-1.0, 1.0)))
        .collect()
}

/// A network input (`[channels, height, width]`, values 0..1) as RGB. One channel is grey;
/// three are colour; other counts show the first channel.
pub fn input_rgb(values: &[f32], channels: usize, height: usize, width: usize) -> Vec<u8> {
    let plane = height * width;
    let at = |c: usize, i: usize| -> u8 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let v = (values.get(c * plane + i).copied().unwrap_or(0.0) * 255.0)
            .round()
            .clamp(0.0, 255.0) as u8;
        v
    };
    (0..plane)
        .flat_map(|i| {
            if channels == 3 {
                [at(0, i), at(1, i), at(2, i)]
            } else {
                let g = at(0, i);
                [g, g, g]
            }
        })
        .collect()
}

/// Stored image bytes (channels last, 1 or 3 channels) as RGB.
pub fn pixels_rgb(pixels: &[u8], channels: usize) -> Vec<u8> {
    if channels == 3 {
        pixels.to_vec()
    } else {
        pixels
            .iter()
            .step_by(channels.max(1))
            .flat_map(|&g| [g, g, g])
            .collect()
    }
}

/// One conv filter (`[in channels, k, k]`) as a small colour image, stretched to its own
/// minimum and maximum (as filter visualisations conventionally are).
pub fn filter_rgb(weights: &[f32], channels: usize, k: usize) -> Vec<u8> {
    let (low, high) = weights
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &w| {
            (lo.min(w), hi.max(w))
        });
    let span = if high > low { high - low } else { 1.0 };
    let normalised: Vec<f32> = weights.iter().map(|&w| (w - low) / span).collect();
    input_rgb(&normalised, channels, k, k)
}

/// `base` (RGB, `height × width`) with `heat` (`heat_height × heat_width`, ≥ 0) laid over it,
/// stretched bilinearly and scaled to its own maximum: red where the heat is highest, fading to
/// yellow and then to the bare image where it is zero.
#[allow(clippy::cast_precision_loss)]
pub fn overlay_rgb(
    base: &[u8],
    (height, width): (usize, usize),
    heat: &[f32],
    (heat_height, heat_width): (usize, usize),
) -> Vec<u8> {
    let top = max_abs(heat);
    let scale = if top > 0.0 { 1.0 / top } else { 0.0 };
    let at = |y: usize, x: usize| -> f32 {
        heat.get(
            y.min(heat_height.saturating_sub(1)) * heat_width + x.min(heat_width.saturating_sub(1)),
        )
        .copied()
        .unwrap_or(0.0)
        .max(0.0)
            * scale
    };
    let sample = |y: usize, x: usize| -> f32 {
        // Centre-aligned, like image resizing.
        let fy = ((y as f32 + 0.5) * heat_height as f32 / height.max(1) as f32 - 0.5).max(0.0);
        let fx = ((x as f32 + 0.5) * heat_width as f32 / width.max(1) as f32 - 0.5).max(0.0);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (y0, x0) = (fy.floor() as usize, fx.floor() as usize);
        let (dy, dx) = (fy - y0 as f32, fx - x0 as f32);
        at(y0, x0) * (1.0 - dy) * (1.0 - dx)
            + at(y0, x0 + 1) * (1.0 - dy) * dx
            + at(y0 + 1, x0) * dy * (1.0 - dx)
            + at(y0 + 1, x0 + 1) * dy * dx
    };
    let mut out = Vec::with_capacity(height * width * 3);
    for y in 0..height {
        for x in 0..width {
            let h = sample(y, x).clamp(0.0, 1.0);
            let colour = [255.0, 255.0 * (1.0 - h), 0.0];
            let alpha = 0.65 * h;
            for (c, tint) in colour.iter().enumerate() {
                let b = f32::from(base.get((y * width + x) * 3 + c).copied().unwrap_or(0));
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                out.push((b * (1.0 - alpha) + tint * alpha).round().clamp(0.0, 255.0) as u8);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_use_the_given_scale() {
        let values = [-2.0, 0.0, 1.0, 2.0];
        let rgb = map_rgb(&values, 2.0);
        assert_eq!(&rgb[0..3], &diverging(-1.0));
        assert_eq!(&rgb[3..6], &[255, 255, 255]);
        assert_eq!(&rgb[6..9], &diverging(0.5));
        assert_eq!(&rgb[9..12], &diverging(1.0));
        // A larger (shared) scale fades the same map.
        assert_eq!(&map_rgb(&values, 4.0)[9..12], &diverging(0.5));
        assert_eq!(max_abs(&[1.0, -3.0, f32::NAN]), 3.0);
        assert_eq!(
            map_rgb(&[0.0], 0.0),
            vec![255, 255, 255],
            "all-zero maps stay white"
        );
    }

    #[test]
    fn inputs_and_filters_become_rgb() {
        // 1×1×2 grey, then 3×1×1 colour.
        assert_eq!(
            input_rgb(&[0.0, 1.0], 1, 1, 2),
            vec![0, 0, 0, 255, 255, 255]
        );
        assert_eq!(input_rgb(&[1.0, 0.5, 0.0], 3, 1, 1), vec![255, 128, 0]);
        assert_eq!(pixels_rgb(&[7, 9], 1), vec![7, 7, 7, 9, 9, 9]);
        // A filter is stretched to its own range.
        assert_eq!(filter_rgb(&[-1.0, 3.0], 1, 1).len(), 3);
        assert_eq!(
            filter_rgb(&[-1.0, 1.0, 3.0, 1.0], 1, 2),
            vec![0, 0, 0, 128, 128, 128, 255, 255, 255, 128, 128, 128]
        );
    }

    #[test]
    fn heat_is_laid_over_the_image() {
        // A grey 2×2 image, heat only in the top-left of a 1×2 map.
        let base = vec![100; 12];
        let out = overlay_rgb(&base, (2, 2), &[2.0, 0.0], (1, 2));
        // Full heat at the top-left: 35 % image + 65 % red.
        assert_eq!(&out[0..3], &[201, 35, 35]);
        // No heat at the right: the bare image.
        assert_eq!(&out[3..6], &[100, 100, 100]);
        // No heat anywhere: unchanged.
        assert_eq!(overlay_rgb(&base, (2, 2), &[0.0, 0.0], (1, 2)), base);
    }
}
