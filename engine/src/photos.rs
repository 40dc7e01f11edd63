//! A person's own images: checking a file before the browser decodes it, resampling the
//! stored pixels to a network's input, and augmentation.
//!
//! Plain data, no Burn: the page checks each dropped file with [`sniff`] (so a 20000×20000 PNG
//! is refused from its header, before a decoder allocates 1.6 GB, and a cut-off file is named
//! as such instead of decoding half grey), and the worker resamples and augments.
//!
//! Images are stored once at [`STORE_SIZE`] (64×64 RGB, 12 KiB each) whatever the network's
//! input; [`resample`] makes the network's size and colour from that when training starts.

use serde::{Deserialize, Serialize};

use crate::data::Rng;
use crate::net::ImageSize;

/// How each image is kept on the device: 64×64, RGB, one byte per channel.
pub const STORE_SIZE: ImageSize = ImageSize {
    channels: 3,
    height: 64,
    width: 64,
};
/// Bytes of one stored image.
pub const STORE_BYTES: usize = 64 * 64 * 3;
/// Larger files are refused before they are read.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Larger images are refused from their header: decoding one would take `4 × pixels` bytes.
pub const MAX_PIXELS: u64 = 50_000_000;
pub const MAX_SIDE: u32 = 16_384;

/// An image format the browser decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    Png,
    Jpeg,
    Gif,
    WebP,
    Bmp,
    Avif,
}

impl Format {
    pub fn label(self) -> &'static str {
        match self {
            Format::Png => "PNG",
            Format::Jpeg => "JPEG",
            Format::Gif => "GIF",
            Format::WebP => "WebP",
            Format::Bmp => "BMP",
            Format::Avif => "AVIF",
        }
    }
}

/// What a file's bytes say it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sniffed {
    pub format: Format,
    /// From the header; `None` where the format's header was not parsed (AVIF).
    pub dimensions: Option<(u32, u32)>,
    /// Something the user should know although the image is used ("animated GIF: the first
    /// frame is used").
    pub note: Option<String>,
}

/// Why a file cannot be used. The message is for the user and follows the file's name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum FileProblem {
    #[error("the file is empty (0 bytes).")]
    Empty,
    #[error(
        "the file is {megabytes} MB; the largest Agora reads is 64 MB. Scale the image down first."
    )]
    TooBig { megabytes: u64 },
    #[error("this is a text file, not an image, although its name says otherwise.")]
    Text,
    #[error("SVG drawings are not supported: export it as PNG or JPEG first.")]
    Svg,
    #[error(
        "HEIC/HEIF photos (the iPhone's default) cannot be decoded by this browser: export it as JPEG (on an iPhone: Settings → Camera → Formats → Most Compatible)."
    )]
    Heic,
    #[error("this is not an image format Agora can read (PNG, JPEG, GIF, WebP, BMP or AVIF).")]
    Unknown,
    #[error("the {format} file is cut off (truncated): {detail}. Copy or download it again.")]
    Truncated { format: String, detail: String },
    #[error("the {format} file is damaged: {detail}.")]
    Damaged { format: String, detail: String },
    #[error(
        "the image is {width}×{height} pixels ({megapixels} megapixels); the largest Agora reads is 50 megapixels and 16384 pixels a side. Scale it down first."
    )]
    TooLarge {
        width: u32,
        height: u32,
        megapixels: u64,
    },
}

/// Refuses a file by its size alone, before reading it.
///
/// # Errors
/// Empty or over [`MAX_FILE_BYTES`].
pub fn check_file_size(bytes: u64) -> Result<(), FileProblem> {
    if bytes == 0 {
        Err(FileProblem::Empty)
    } else if bytes > MAX_FILE_BYTES {
        Err(FileProblem::TooBig {
            megabytes: bytes.div_ceil(1024 * 1024),
        })
    } else {
        Ok(())
    }
}

/// Identifies an image file from its bytes and checks what can be checked without decoding:
/// the format, that PNG, JPEG and GIF files are complete, PNG checksums, and the size.
///
/// # Errors
/// A [`FileProblem`] naming what is wrong.
pub fn sniff(bytes: &[u8]) -> Result<Sniffed, FileProblem> {
    check_file_size(bytes.len() as u64)?;
    let sniffed = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        png(bytes)?
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        jpeg(bytes)?
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        gif(bytes)?
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        webp(bytes)?
    } else if bytes.starts_with(b"BM") && bytes.len() >= 26 {
        bmp(bytes)?
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        let brand = &bytes[8..12];
        if [b"avif", b"avis"].iter().any(|b| brand == *b) {
            Sniffed {
                format: Format::Avif,
                dimensions: None,
                note: None,
            }
        } else if [
            b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1",
        ]
        .iter()
        .any(|b| brand == *b)
        {
            return Err(FileProblem::Heic);
        } else {
            return Err(FileProblem::Unknown);
        }
    } else if looks_like_svg(bytes) {
        return Err(FileProblem::Svg);
    } else if looks_like_text(bytes) {
        return Err(FileProblem::Text);
    } else {
        return Err(FileProblem::Unknown);
    };
    if let Some((width, height)) = sniffed.dimensions {
        let pixels = u64::from(width) * u64::from(height);
        if width > MAX_SIDE || height > MAX_SIDE || pixels > MAX_PIXELS {
            return Err(FileProblem::TooLarge {
                width,
                height,
                megapixels: pixels.div_ceil(1_000_000),
            });
        }
    }
    Ok(sniffed)
}

fn truncated(format: Format, detail: &str) -> FileProblem {
    FileProblem::Truncated {
        format: format.label().to_owned(),
        detail: detail.to_owned(),
    }
}

fn damaged(format: Format, detail: &str) -> FileProblem {
    FileProblem::Damaged {
        format: format.label().to_owned(),
        detail: detail.to_owned(),
    }
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at + 2)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

fn le16(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at + 2)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// CRC-32 (ISO 3309, as PNG uses), bitwise: PNG headers are small and image data is checked
/// once per file.
fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for part in parts {
        for &byte in *part {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
    }
    !crc
}

fn png(bytes: &[u8]) -> Result<Sniffed, FileProblem> {
    let format = Format::Png;
    let mut at = 8;
    let mut dimensions = None;
    let mut note = None;
    let mut animated = false;
    loop {
        let (Some(length), Some(kind)) = (be32(bytes, at), bytes.get(at + 4..at + 8)) else {
            return Err(truncated(format, "it ends before the image data does"));
        };
        let length = length as usize;
        let data_end = at + 8 + length;
        let Some(data) = bytes.get(at + 8..data_end) else {
            return Err(truncated(format, "it ends inside a block of image data"));
        };
        let Some(stored) = be32(bytes, data_end) else {
            return Err(truncated(format, "it ends inside a block of image data"));
        };
        if crc32(&[kind, data]) != stored {
            let name = String::from_utf8_lossy(kind);
            return Err(damaged(
                format,
                &format!("the checksum of its {name} block does not match its contents"),
            ));
        }
        match kind {
            b"IHDR" => {
                let (Some(width), Some(height)) = (be32(data, 0), be32(data, 4)) else {
                    return Err(damaged(format, "its header is too short"));
                };
                if width == 0 || height == 0 {
                    return Err(damaged(format, "its header says it has no pixels"));
                }
                dimensions = Some((width, height));
                if data.get(8) == Some(&16) {
                    note = Some("16-bit colour was reduced to 8-bit.".to_owned());
                }
            }
            b"acTL" => animated = true,
            b"IEND" => break,
            _ => {}
        }
        if dimensions.is_none() {
            return Err(damaged(format, "it does not start with a header block"));
        }
        at = data_end + 4;
    }
    if animated {
        note = Some("animated PNG: the first frame is used.".to_owned());
    }
    Ok(Sniffed {
        format,
        dimensions,
        note,
    })
}

fn jpeg(bytes: &[u8]) -> Result<Sniffed, FileProblem> {
    let format = Format::Jpeg;
    let mut at = 2;
    let mut dimensions = None;
    let mut note = None;
    loop {
        // Markers may be padded with extra 0xFF bytes.
        while bytes.get(at) == Some(&0xFF) && bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        let (Some(&mark), Some(&kind)) = (bytes.get(at), bytes.get(at + 1)) else {
            return Err(truncated(format, "it ends before the image data"));
        };
        if mark != 0xFF {
            return Err(damaged(
                format,
                "its structure is broken before the image data",
            ));
        }
        if kind == 0xD9 {
            return Err(damaged(format, "it ends before any image data"));
        }
        if (0xD0..=0xD7).contains(&kind) || kind == 0x01 {
            at += 2;
            continue;
        }
        let Some(length) = be16(bytes, at + 2) else {
            return Err(truncated(format, "it ends inside its header"));
        };
        let length = usize::from(length);
        if length < 2 {
            return Err(damaged(format, "a header segment has an impossible length"));
        }
        let Some(segment) = bytes.get(at + 4..at + 2 + length) else {
            return Err(truncated(format, "it ends inside its header"));
        };
        let start_of_frame = matches!(kind, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF);
        if start_of_frame {
            let (Some(height), Some(width), Some(&components)) =
                (be16(segment, 1), be16(segment, 3), segment.get(5))
            else {
                return Err(damaged(format, "its frame header is too short"));
            };
            if width == 0 {
                return Err(damaged(format, "its frame header says it has no width"));
            }
            // A height of 0 means "given later" (DNL); the browser handles it.
            dimensions = Some((u32::from(width), u32::from(height).max(1)));
            if components == 4 {
                note = Some("CMYK colours were converted to RGB.".to_owned());
            }
        }
        if kind == 0xDA {
            if dimensions.is_none() {
                return Err(damaged(format, "it has image data but no frame header"));
            }
            let data = &bytes[at + 2 + length..];
            // The end-of-image marker, near the end (cameras may append padding or a
            // second, smaller image after it).
            if !data.windows(2).any(|pair| pair == [0xFF, 0xD9]) {
                return Err(truncated(
                    format,
                    "its end-of-image marker is missing, so part of the picture is gone",
                ));
            }
            return Ok(Sniffed {
                format,
                dimensions,
                note,
            });
        }
        at += 2 + length;
    }
}

fn gif(bytes: &[u8]) -> Result<Sniffed, FileProblem> {
    let format = Format::Gif;
    let (Some(width), Some(height), Some(&flags)) = (le16(bytes, 6), le16(bytes, 8), bytes.get(10))
    else {
        return Err(truncated(format, "it ends inside its header"));
    };
    if width == 0 || height == 0 {
        return Err(damaged(format, "its header says it has no pixels"));
    }
    let mut at = 13;
    if flags & 0x80 != 0 {
        at += 3 << ((flags & 0x07) + 1);
    }
    let mut frames = 0_usize;
    let skip_blocks = |mut at: usize| -> Option<usize> {
        loop {
            let size = usize::from(*bytes.get(at)?);
            at += 1;
            if size == 0 {
                return Some(at);
            }
            at += size;
        }
    };
    loop {
        let Some(&block) = bytes.get(at) else {
            if frames > 0 {
                // Many GIF writers forget the trailer; the frames are all there.
                break;
            }
            return Err(truncated(format, "it ends before the first frame"));
        };
        match block {
            0x3B => break,
            0x21 => {
                at = skip_blocks(at + 2)
                    .ok_or_else(|| truncated(format, "it ends inside an extension block"))?;
            }
            0x2C => {
                let Some(&local) = bytes.get(at + 9) else {
                    return Err(truncated(format, "it ends inside a frame header"));
                };
                at += 10;
                if local & 0x80 != 0 {
                    at += 3 << ((local & 0x07) + 1);
                }
                at = skip_blocks(at + 1)
                    .ok_or_else(|| truncated(format, "it ends inside a frame's pixels"))?;
                frames += 1;
            }
            _ => return Err(damaged(format, "an unknown block follows the header")),
        }
    }
    if frames == 0 {
        return Err(damaged(format, "it has no frames"));
    }
    Ok(Sniffed {
        format,
        dimensions: Some((u32::from(width), u32::from(height))),
        note: (frames > 1).then(|| format!("animated GIF ({frames} frames): the first is used.")),
    })
}

fn webp(bytes: &[u8]) -> Result<Sniffed, FileProblem> {
    let format = Format::WebP;
    let declared = le32(bytes, 4).unwrap_or(0) as usize + 8;
    if bytes.len() < declared {
        return Err(truncated(format, "it is shorter than its header says"));
    }
    let chunk = bytes.get(12..16).unwrap_or_default();
    let u24 = |at: usize| -> Option<u32> {
        let b = bytes.get(at..at + 3)?;
        Some(u32::from(b[0]) | (u32::from(b[1]) << 8) | (u32::from(b[2]) << 16))
    };
    let (dimensions, note) = match chunk {
        b"VP8X" => {
            let flags = *bytes.get(20).unwrap_or(&0);
            let size = u24(24).zip(u24(27)).map(|(w, h)| (w + 1, h + 1));
            let note =
                (flags & 0x02 != 0).then(|| "animated WebP: the first frame is used.".to_owned());
            (size, note)
        }
        b"VP8 " => (
            le16(bytes, 26)
                .zip(le16(bytes, 28))
                .map(|(w, h)| (u32::from(w & 0x3FFF), u32::from(h & 0x3FFF))),
            None,
        ),
        b"VP8L" => (
            le32(bytes, 21).map(|bits| ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)),
            None,
        ),
        _ => return Err(damaged(format, "its first block is not image data")),
    };
    let Some(dimensions) = dimensions else {
        return Err(truncated(format, "it ends inside its header"));
    };
    Ok(Sniffed {
        format,
        dimensions: Some(dimensions),
        note,
    })
}

fn bmp(bytes: &[u8]) -> Result<Sniffed, FileProblem> {
    let format = Format::Bmp;
    let declared = le32(bytes, 2).unwrap_or(0) as usize;
    if declared > bytes.len() {
        return Err(truncated(format, "it is shorter than its header says"));
    }
    let (Some(width), Some(height)) = (le32(bytes, 18), le32(bytes, 22)) else {
        return Err(truncated(format, "it ends inside its header"));
    };
    #[allow(clippy::cast_possible_wrap)] // BMP stores signed sizes; negative height = top-down
    let (width, height) = (
        (width as i32).unsigned_abs(),
        (height as i32).unsigned_abs(),
    );
    if width == 0 || height == 0 {
        return Err(damaged(format, "its header says it has no pixels"));
    }
    Ok(Sniffed {
        format,
        dimensions: Some((width, height)),
        note: None,
    })
}

fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    (head.starts_with("<?xml") || head.starts_with("<svg") || head.starts_with("<!--"))
        && head.contains("<svg")
}

fn looks_like_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    match std::str::from_utf8(head) {
        Ok(text) => text.chars().all(|c| !c.is_control() || c.is_whitespace()),
        // A multi-byte character cut at the 1024th byte.
        Err(error) => error.error_len().is_none() && error.valid_up_to() + 4 > head.len(),
    }
}

/// Resamples `pixels` (`from`, channels last) to `to` by area averaging, and converts RGB to
/// grey (ITU-R BT.601 luma) or grey to RGB as needed.
///
/// # Panics
/// Never for `pixels.len() == from.height × from.width × from.channels` with 1 or 3 channels;
/// shorter input is padded with black.
pub fn resample(pixels: &[u8], from: ImageSize, to: ImageSize) -> Vec<u8> {
    let (fh, fw, fc) = (from.height.max(1), from.width.max(1), from.channels.max(1));
    let (th, tw, tc) = (to.height.max(1), to.width.max(1), to.channels.max(1));
    let at = |y: usize, x: usize, c: usize| -> f32 {
        f32::from(*pixels.get((y * fw + x) * fc + c.min(fc - 1)).unwrap_or(&0))
    };
    // Each output cell covers [start, end) of the source in both axes, in source pixels.
    #[allow(clippy::cast_precision_loss)]
    let spans = |source: usize, target: usize| -> Vec<Vec<(usize, f32)>> {
        let scale = source as f32 / target as f32;
        (0..target)
            .map(|index| {
                let start = index as f32 * scale;
                let end = start + scale;
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let first = start.floor() as usize;
                let mut weights = Vec::new();
                let mut pixel = first;
                while pixel < source && (pixel as f32) < end {
                    let covered = (end.min(pixel as f32 + 1.0) - start.max(pixel as f32)).max(0.0);
                    if covered > 0.0 {
                        weights.push((pixel, covered / scale));
                    }
                    pixel += 1;
                }
                weights
            })
            .collect()
    };
    let rows = spans(fh, th);
    let cols = spans(fw, tw);
    let mut out = vec![0_u8; th * tw * tc];
    let mut mean = [0.0_f32; 3];
    for (y, row) in rows.iter().enumerate() {
        for (x, col) in cols.iter().enumerate() {
            mean.fill(0.0);
            for &(sy, wy) in row {
                for &(sx, wx) in col {
                    for (c, slot) in mean.iter_mut().enumerate().take(fc.min(3)) {
                        *slot += at(sy, sx, c) * wy * wx;
                    }
                }
            }
            let values: [f32; 3] = match (fc.min(3), tc) {
                (3, 1) => [0.299 * mean[0] + 0.587 * mean[1] + 0.114 * mean[2]; 3],
                (1, _) => [mean[0]; 3],
                _ => mean,
            };
            for c in 0..tc.min(3) {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let value = values[c].round().clamp(0.0, 255.0) as u8;
                out[(y * tw + x) * tc + c] = value;
            }
        }
    }
    out
}

/// Random changes to training images, drawn again every epoch, so a small set of photos
/// teaches more than its exact pixels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Augment {
    /// Mirror left–right half of the time.
    pub flip: bool,
    /// Zoom into a random square of 80–100 % of the side.
    pub crop: bool,
    /// Scale brightness by a random factor in 0.75–1.25.
    pub brightness: bool,
}

impl Augment {
    pub const NONE: Augment = Augment {
        flip: false,
        crop: false,
        brightness: false,
    };

    pub fn any(self) -> bool {
        self.flip || self.crop || self.brightness
    }

    /// One augmented copy of `image` (`size`, channels last).
    pub fn apply(self, image: &[u8], size: ImageSize, rng: &mut Rng) -> Vec<u8> {
        let (h, w, c) = (size.height, size.width, size.channels);
        let mut out = image.to_vec();
        if self.crop {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let side =
                |full: usize, share: f32| ((full as f32 * share).round() as usize).clamp(1, full);
            let share = rng.uniform(0.8, 1.0);
            let (ch, cw) = (side(h, share), side(w, share));
            let top = rng.below(h - ch + 1);
            let left = rng.below(w - cw + 1);
            let mut window = Vec::with_capacity(ch * cw * c);
            for y in top..top + ch {
                window.extend_from_slice(&out[(y * w + left) * c..(y * w + left + cw) * c]);
            }
            out = resample(
                &window,
                ImageSize {
                    channels: c,
                    height: ch,
                    width: cw,
                },
                size,
            );
        }
        if self.flip && rng.next_u64() & 1 == 1 {
            for y in 0..h {
                let row = &mut out[y * w * c..(y + 1) * w * c];
                for x in 0..w / 2 {
                    for k in 0..c {
                        row.swap(x * c + k, (w - 1 - x) * c + k);
                    }
                }
            }
        }
        if self.brightness {
            let factor = rng.uniform(0.75, 1.25);
            for value in &mut out {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let scaled = (f32::from(*value) * factor).round().clamp(0.0, 255.0) as u8;
                *value = scaled;
            }
        }
        out
    }
}

/// Share of a class's images that go to training, as [`crate::images::ImageSet::split`]
/// computes it: `(training, validation)` for `count` images.
pub fn split_counts(count: usize, train_percent: u8) -> (usize, usize) {
    let train = (count * usize::from(train_percent.min(100))).div_ceil(100);
    (train, count - train)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_png_reference_value() {
        // The IEND chunk's CRC, as every PNG file carries it.
        assert_eq!(crc32(&[b"IEND"]), 0xAE42_6082);
    }

    #[test]
    fn resampling_averages_areas_and_converts_colour() {
        let from = ImageSize {
            channels: 3,
            height: 4,
            width: 4,
        };
        // Left half red, right half blue.
        let mut pixels = Vec::new();
        for _y in 0..4 {
            for x in 0..4 {
                pixels.extend_from_slice(if x < 2 { &[255, 0, 0] } else { &[0, 0, 255] });
            }
        }
        let half = resample(
            &pixels,
            from,
            ImageSize {
                channels: 3,
                height: 2,
                width: 2,
            },
        );
        assert_eq!(half, [255, 0, 0, 0, 0, 255, 255, 0, 0, 0, 0, 255]);
        let one = resample(
            &pixels,
            from,
            ImageSize {
                channels: 3,
                height: 1,
                width: 1,
            },
        );
        assert_eq!(one, [128, 0, 128]);
        let grey = resample(
            &pixels,
            from,
            ImageSize {
                channels: 1,
                height: 1,
                width: 2,
            },
        );
        // BT.601: red 0.299 × 255, blue 0.114 × 255.
        assert_eq!(grey, [76, 29]);
        // 3 → 2 columns: the middle source pixel is split between both outputs.
        let row = resample(
            &[0, 90, 180],
            ImageSize {
                channels: 1,
                height: 1,
                width: 3,
            },
            ImageSize {
                channels: 1,
                height: 1,
                width: 2,
            },
        );
        assert_eq!(row, [30, 150]);
    }

    #[test]
    fn augmentation_is_seeded_and_keeps_the_size() {
        let size = ImageSize {
            channels: 3,
            height: 8,
            width: 8,
        };
        let image: Vec<u8> = (0..192).map(|i| u8::try_from(i).unwrap_or(0)).collect();
        let all = Augment {
            flip: true,
            crop: true,
            brightness: true,
        };
        let a = all.apply(&image, size, &mut Rng::new(3));
        let b = all.apply(&image, size, &mut Rng::new(3));
        assert_eq!(a, b);
        assert_eq!(a.len(), image.len());
        assert_eq!(Augment::NONE.apply(&image, size, &mut Rng::new(3)), image);
        // A flip, when drawn, mirrors each row exactly.
        let flip = Augment {
            flip: true,
            ..Augment::NONE
        };
        let mut rng = Rng::new(9);
        let mut flipped = 0;
        for _ in 0..40 {
            let out = flip.apply(&image, size, &mut rng);
            if out != image {
                flipped += 1;
                assert_eq!(&out[..3], &image[7 * 3..8 * 3]);
            }
        }
        assert!((10..=30).contains(&flipped), "{flipped} of 40 flipped");
    }

    #[test]
    fn split_counts_match_the_image_set_split() {
        assert_eq!(split_counts(10, 80), (8, 2));
        assert_eq!(split_counts(3, 80), (3, 0));
        assert_eq!(split_counts(0, 80), (0, 0));
    }
}
