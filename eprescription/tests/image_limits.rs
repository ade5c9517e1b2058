//! Hostile encoded images: thin, empty, truncated, and declaring huge sizes. Every one gives
//! a typed error or a correct (empty) result, never a panic; a huge declared size is refused
//! before the pixels are allocated, which the counting allocator of this test binary measures.

// A counting global allocator needs `unsafe impl GlobalAlloc`; it only forwards to `System`.
#![allow(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test helpers: a failure is a test failure.

use segur_eprescription::Error;
use segur_eprescription::decode::{DecodeOptions, decode_file, decode_image_bytes, load_luma};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
        PEAK.fetch_max(now, Ordering::SeqCst);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
        // SAFETY: `ptr` was returned by `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Tests that measure the peak run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// Peak bytes allocated (above what was live before) while `f` runs.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = CURRENT.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let out = f();
    (out, PEAK.load(Ordering::SeqCst).saturating_sub(base))
}

fn png(img: &image::GrayImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn jpeg(img: &image::GrayImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(img)
        .unwrap();
    out
}

fn grey(w: u32, h: u32) -> image::GrayImage {
    image::GrayImage::from_fn(w, h, |x, y| image::Luma([((x * 7 + y * 13) % 256) as u8]))
}

/// CRC-32 (ISO-HDLC, the PNG chunk checksum, RFC 2083 §3.4).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A well-formed PNG (signature, IHDR with a valid CRC, a small IDAT, IEND) that declares
/// `width` × `height` 8-bit grey pixels.
fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut real = png(&grey(4, 4));
    // IHDR data starts at 16: signature (8), length (4), type (4).
    real[16..20].copy_from_slice(&width.to_be_bytes());
    real[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&real[12..29]);
    real[29..33].copy_from_slice(&crc.to_be_bytes());
    real
}

/// A baseline JPEG whose SOF0 declares `width` × `height`.
fn jpeg_declaring(width: u16, height: u16) -> Vec<u8> {
    let mut real = jpeg(&grey(16, 16));
    let sof = real
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("SOF0 marker");
    // FF C0, length (2), precision (1), height (2), width (2).
    real[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    real[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    real
}

/// A little-endian baseline TIFF (TIFF 6.0 §2, §8) declaring `width` × `height` 8-bit grey
/// pixels in one strip of 16 bytes.
fn tiff_declaring(width: u32, height: u32) -> Vec<u8> {
    let entries: [(u16, u16, u32); 9] = [
        (256, 4, width),  // ImageWidth, LONG
        (257, 4, height), // ImageLength
        (258, 3, 8),      // BitsPerSample, SHORT
        (259, 3, 1),      // Compression: none
        (262, 3, 1),      // PhotometricInterpretation: BlackIsZero
        (273, 4, 0),      // StripOffsets, patched below
        (277, 3, 1),      // SamplesPerPixel
        (278, 4, height), // RowsPerStrip
        (279, 4, 16),     // StripByteCounts
    ];
    let ifd_len = 2 + entries.len() * 12 + 4;
    let strip = (8 + ifd_len) as u32;
    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&8u32.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, kind, value) in entries {
        let value = if tag == 273 { strip } else { value };
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        if kind == 3 {
            out.extend_from_slice(&(value as u16).to_le_bytes());
            out.extend_from_slice(&[0, 0]);
        } else {
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&[0x80; 16]);
    out
}

#[test]
fn the_declaring_helpers_write_valid_images() {
    // The patched headers are read as intended when the size is small enough to decode.
    let png = load_luma(&png_declaring(4, 4), 1 << 20).unwrap();
    assert_eq!(png.dimensions(), (4, 4));
    let tiff = load_luma(&tiff_declaring(4, 4), 1 << 20).unwrap();
    assert_eq!(tiff.dimensions(), (4, 4));
    assert_eq!(tiff.as_raw(), &vec![0x80; 16]);
    let jpeg = load_luma(&jpeg_declaring(16, 16), 1 << 20).unwrap();
    assert_eq!(jpeg.dimensions(), (16, 16));
}

#[test]
fn huge_declared_sizes_are_refused_before_allocating() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let opts = DecodeOptions::default();
    let cases: [(&str, Vec<u8>, u32, u32); 3] = [
        ("png", png_declaring(100_000, 100_000), 100_000, 100_000),
        ("jpeg", jpeg_declaring(65_000, 65_000), 65_000, 65_000),
        ("tiff", tiff_declaring(100_000, 100_000), 100_000, 100_000),
    ];
    for (name, bytes, width, height) in cases {
        let (result, peak) = peak_during(|| decode_image_bytes(&bytes, &opts));
        assert_eq!(
            result,
            Err(Error::ImageTooLarge {
                width,
                height,
                max_pixels: opts.max_pixels
            }),
            "{name}"
        );
        // 10^10 pixels would be 10 GB; the header reading needs well under 4 MiB.
        assert!(peak < 4 << 20, "{name}: {peak} bytes allocated");
    }
    // A PNG row of 2^31 pixels: the decoder's own allocation limit stops it in the header.
    let wide = png_declaring(u32::MAX >> 1, 2);
    let (result, peak) = peak_during(|| decode_image_bytes(&wide, &opts));
    assert!(
        matches!(&result, Err(Error::Image(reason)) if reason.contains("limit")),
        "{result:?}"
    );
    assert!(peak < 4 << 20, "wide png: {peak} bytes allocated");
}

#[test]
fn a_file_larger_than_any_image_under_the_limit_is_not_read() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.png");
    let mut bytes = png(&grey(8, 8));
    bytes.resize(16 << 20, 0);
    std::fs::write(&path, &bytes).unwrap();
    let opts = DecodeOptions {
        max_pixels: 1000,
        ..DecodeOptions::default()
    };
    let (result, peak) = peak_during(|| decode_file(&path, &opts));
    assert_eq!(
        result,
        Err(Error::TooLong {
            len: 16 << 20,
            max: 8000 + (1 << 20)
        })
    );
    assert!(peak < 1 << 20, "{peak} bytes allocated");
    // The same file under the default limit is read, and holds no code.
    assert_eq!(
        decode_file(&path, &DecodeOptions::default()),
        Ok(Vec::new())
    );
}

#[test]
fn thin_encoded_images_decode_to_nothing() {
    let opts = DecodeOptions {
        exhaustive: true,
        ..DecodeOptions::default()
    };
    for (w, h) in [(1, 1), (1, 8000), (8000, 1), (3, 8000), (8001, 3), (2, 3)] {
        let img = grey(w, h);
        assert_eq!(
            decode_image_bytes(&png(&img), &opts),
            Ok(Vec::new()),
            "png {w}x{h}"
        );
        assert_eq!(
            decode_image_bytes(&jpeg(&img), &opts),
            Ok(Vec::new()),
            "jpeg {w}x{h}"
        );
    }
}

#[test]
fn empty_and_zero_sized_images_are_typed_errors() {
    let opts = DecodeOptions::default();
    assert!(matches!(
        decode_image_bytes(b"", &opts),
        Err(Error::Image(_))
    ));
    // A PNG and a TIFF declaring 0 pixels across.
    for bytes in [
        png_declaring(0, 5),
        tiff_declaring(0, 5),
        tiff_declaring(5, 0),
    ] {
        let result = decode_image_bytes(&bytes, &opts);
        assert!(
            matches!(
                result,
                Err(Error::Image(_))
                    | Err(Error::ImageTooLarge { width: 0, .. })
                    | Err(Error::ImageTooLarge { height: 0, .. })
            ),
            "{result:?}"
        );
    }
}

#[test]
fn every_truncation_of_a_png_is_a_typed_error() {
    let opts = DecodeOptions::default();
    let whole = png(&grey(64, 48));
    assert_eq!(decode_image_bytes(&whole, &opts), Ok(Vec::new()));
    // The last 12 bytes are the IEND chunk: cut inside it, every pixel is still there and
    // the decoder may return them (the gradient holds no code) or report the cut.
    let iend = whole.len() - 12;
    assert_eq!(whole.get(iend + 4..iend + 8), Some(&b"IEND"[..]));
    for len in 0..whole.len() {
        let result = decode_image_bytes(&whole[..len], &opts);
        if len <= iend {
            assert!(matches!(result, Err(Error::Image(_))), "{len}: {result:?}");
        } else {
            assert!(
                matches!(result, Err(Error::Image(_))) || result == Ok(Vec::new()),
                "{len}: {result:?}"
            );
        }
    }
}

#[test]
fn every_truncation_of_a_jpeg_is_an_error_or_a_correct_result() {
    let opts = DecodeOptions::default();
    let whole = jpeg(&grey(64, 48));
    let sos = whole
        .windows(2)
        .position(|w| w == [0xFF, 0xDA])
        .expect("SOS marker");
    for len in 0..whole.len() {
        let result = decode_image_bytes(&whole[..len], &opts);
        if len <= sos + 2 {
            // Cut inside the headers: nothing to decode.
            assert!(matches!(result, Err(Error::Image(_))), "{len}: {result:?}");
        } else {
            // Cut inside the entropy-coded data: the decoder may return the rows it has
            // (a grey gradient holds no code) or refuse the file; it never panics.
            assert!(
                matches!(result, Err(Error::Image(_))) || result == Ok(Vec::new()),
                "{len}: {result:?}"
            );
        }
    }
}
