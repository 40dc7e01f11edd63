//! PNG files of 8-bit grey or RGB images (the exported data set), as every image library reads
//! them: IHDR, one zlib-compressed IDAT of unfiltered scanlines, IEND.
//! <https://www.w3.org/TR/png/>

use crate::zip::crc32;

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A PNG of `pixels` (row-major, `channels` 1 or 3 per pixel, channels last).
pub fn encode(pixels: &[u8], width: usize, height: usize, channels: usize) -> Vec<u8> {
    let row = width * channels;
    let mut raw = Vec::with_capacity((row + 1) * height);
    for y in 0..height {
        raw.push(0); // filter: none
        raw.extend_from_slice(pixels.get(y * row..(y + 1) * row).unwrap_or(&[]));
        raw.resize((row + 1) * (y + 1), 0);
    }
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&u32::try_from(width).unwrap_or(u32::MAX).to_be_bytes());
    header.extend_from_slice(&u32::try_from(height).unwrap_or(u32::MAX).to_be_bytes());
    header.extend_from_slice(&[8, if channels == 3 { 2 } else { 0 }, 0, 0, 0]);
    let mut out = vec![0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n'];
    chunk(&mut out, b"IHDR", &header);
    chunk(
        &mut out,
        b"IDAT",
        &miniz_oxide::deflate::compress_to_vec_zlib(&raw, 6),
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_holds_its_pixels() {
        let pixels: Vec<u8> = (0..2 * 3 * 3).map(|v| v * 10).collect();
        let png = encode(&pixels, 2, 3, 3);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        // The IDAT's zlib stream inflates back to the filtered scanlines.
        let idat_len = u32::from_be_bytes([png[33], png[34], png[35], png[36]]) as usize;
        assert_eq!(&png[37..41], b"IDAT");
        let raw = miniz_oxide::inflate::decompress_to_vec_zlib(&png[41..41 + idat_len])
            .expect("inflates");
        assert_eq!(raw.len(), 3 * (1 + 6));
        assert_eq!(&raw[1..7], &pixels[..6]);
        assert!(png.ends_with(&[0xAE, 0x42, 0x60, 0x82]), "IEND's CRC");
    }
}
