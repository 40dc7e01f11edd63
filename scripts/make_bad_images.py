"""Writes tests/fixtures/bad-images/: the files a person might drop on a class that Agora
must refuse with a clear message (or accept with a note), plus good files for the same drop.

Run once with Pillow and pillow-heif installed (`pip install pillow pillow-heif`); the output
is committed, so tests need neither. Deterministic: same files on every run.
"""

import io
import os
import struct
import zlib

from PIL import Image, ImageDraw
import pillow_heif

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "bad-images")


def save(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def encode(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def disc(colour, size=96):
    image = Image.new("RGB", (size, size), (235, 235, 235))
    ImageDraw.Draw(image).ellipse((16, 16, size - 16, size - 16), fill=colour)
    return image


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        os.remove(os.path.join(OUT, name))

    # Good files in the same drop: they must all be added.
    save("good-disc.png", encode(disc((200, 30, 30)), "PNG"))
    save("good-photo.jpg", encode(disc((30, 60, 200), 120).resize((160, 120)), "JPEG", quality=90))
    save("good-square.webp", encode(Image.new("RGB", (80, 80), (20, 160, 60)), "WEBP"))
    # Unusual but readable: accepted, with a note.
    save("cmyk.jpg", encode(disc((200, 30, 30)).convert("CMYK"), "JPEG", quality=90))
    deep = Image.new("I;16", (64, 48))
    deep.putdata([(x * 1000) % 65536 for x in range(64 * 48)])
    save("deep-16bit.png", encode(deep, "PNG"))
    frames = [disc(colour, 64) for colour in [(200, 30, 30), (30, 200, 30), (30, 30, 200)]]
    save("animated.gif", encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0))

    # Refused.
    png = encode(disc((200, 30, 30)), "PNG")
    save("truncated.png", png[: len(png) // 2])
    corrupt = bytearray(png)
    idat = corrupt.index(b"IDAT")
    for i in range(idat + 20, idat + 60):
        corrupt[i] ^= 0x5A
    save("corrupt.png", bytes(corrupt))
    jpg = encode(disc((30, 60, 200), 120), "JPEG", quality=90)
    save("truncated.jpg", jpg[: len(jpg) // 2])
    broken = bytearray(jpg)
    dht = broken.index(b"\xff\xc4")
    length = struct.unpack(">H", broken[dht + 2 : dht + 4])[0]
    # The Huffman table's code counts promise more codes than a table can hold.
    for i in range(dht + 5, dht + 5 + 16):
        broken[i] = 0xFF
    assert length > 20
    save("corrupt.jpg", bytes(broken))
    save("empty.jpg", b"")
    save("notes.jpg", b"Shopping list\n- milk\n- eggs\n- a better photo of the cat\n")
    # 20000 x 20000, 1-bit grey: 50 MB of pixels, ~50 KB on disk.
    width = height = 20000
    row = b"\x00" + b"\x00" * (width // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    save("huge-20000x20000.png", b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b""))
    save("drawing.svg", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="20" fill="red"/></svg>\n')
    heif = pillow_heif.from_pillow(disc((200, 30, 30), 64))
    buffer = io.BytesIO()
    heif.save(buffer, quality=80)
    save("photo.heic", buffer.getvalue())


if __name__ == "__main__":
    main()
