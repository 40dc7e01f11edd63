//! The bad-file corpus (`tests/fixtures/bad-images`, from `scripts/make_bad_images.py`): each
//! file is accepted or refused from its bytes, with the message a person sees.

use agora_engine::photos::{Format, sniff};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../tests/fixtures/bad-images/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

#[test]
fn good_files_pass_with_their_size() {
    for (name, format, size) in [
        ("good-disc.png", Format::Png, (96, 96)),
        ("good-photo.jpg", Format::Jpeg, (160, 120)),
        ("good-square.webp", Format::WebP, (80, 80)),
    ] {
        let sniffed = sniff(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(sniffed.format, format, "{name}");
        assert_eq!(sniffed.dimensions, Some(size), "{name}");
        assert_eq!(sniffed.note, None, "{name}");
    }
}

#[test]
fn unusual_files_pass_with_a_note() {
    for (name, note) in [
        ("cmyk.jpg", "CMYK colours were converted to RGB."),
        ("deep-16bit.png", "16-bit colour was reduced to 8-bit."),
        (
            "animated.gif",
            "animated GIF (3 frames): the first is used.",
        ),
    ] {
        let sniffed = sniff(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(sniffed.note.as_deref(), Some(note), "{name}");
    }
}

#[test]
fn bad_files_are_refused_with_a_specific_reason() {
    let cases: [(&str, &str); 9] = [
        ("empty.jpg", "the file is empty (0 bytes)."),
        (
            "notes.jpg",
            "this is a text file, not an image, although its name says otherwise.",
        ),
        (
            "truncated.png",
            "the PNG file is cut off (truncated): it ends inside a block of image data. Copy or download it again.",
        ),
        (
            "corrupt.png",
            "the PNG file is damaged: the checksum of its IDAT block does not match its contents.",
        ),
        (
            "truncated.jpg",
            "the JPEG file is cut off (truncated): its end-of-image marker is missing, so part of the picture is gone. Copy or download it again.",
        ),
        (
            "huge-20000x20000.png",
            "the image is 20000×20000 pixels (400 megapixels); the largest Agora reads is 50 megapixels and 16384 pixels a side. Scale it down first.",
        ),
        (
            "drawing.svg",
            "SVG drawings are not supported: export it as PNG or JPEG first.",
        ),
        (
            "photo.heic",
            "HEIC/HEIF photos (the iPhone's default) cannot be decoded by this browser: export it as JPEG (on an iPhone: Settings → Camera → Formats → Most Compatible).",
        ),
        // Structurally whole: only the browser's decoder finds its Huffman table impossible,
        // so it passes here and the page reports the decoder's refusal (see the e2e test).
        ("corrupt.jpg", ""),
    ];
    for (name, message) in cases {
        let result = sniff(&fixture(name));
        if message.is_empty() {
            assert!(result.is_ok(), "{name}: {result:?}");
        } else {
            assert_eq!(
                result.map_err(|e| e.to_string()),
                Err(message.to_owned()),
                "{name}"
            );
        }
    }
}

#[test]
fn every_cut_of_a_good_file_is_refused_or_harmless() {
    // No prefix of a good file panics, and every short prefix of a PNG or JPEG is refused.
    for name in [
        "good-disc.png",
        "good-photo.jpg",
        "animated.gif",
        "good-square.webp",
    ] {
        let bytes = fixture(name);
        for cut in 0..bytes.len() {
            let result = sniff(&bytes[..cut]);
            if name.ends_with(".png") || name.ends_with(".jpg") {
                assert!(result.is_err(), "{name} cut at {cut} passed");
            }
        }
    }
}
