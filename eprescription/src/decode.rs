//! Finding and decoding every QR code and Data Matrix on an image.
//!
//! Detection and decoding are done by `rxing` (a pure-Rust port of ZXing and of parts of
//! zxing-cpp): its QR reader finds several symbols per pass at any rotation, and its Data Matrix
//! reader is wrapped in ZXing's generic multiple-symbol search. `rqrr` was measured too: it
//! reads QR only, and on the degraded corpus of the tests its rate was lower (see
//! `BENCHMARKS.md`). Around the decoder this module adds the preprocessing that scans and
//! photos need, as successive passes that stop at the first pass that finds a code (or run
//! them all, [`DecodeOptions::exhaustive`]):
//!
//! 1. a box-filter reduction so that a 300 or 600 dpi A4 page is searched at about 150 dpi
//!    (QR and Data Matrix modules of 0.33 mm and more stay ≥ 2 pixels), with local
//!    (hybrid) binarisation;
//! 2. the full resolution, for small codes;
//! 3. a contrast stretch (1st–99th percentile) and a 3×3 smoothing, for faint and noisy
//!    scans whose local contrast falls under the binariser's floor;
//! 4. a global (histogram) threshold at full resolution, for blurred prints.
//!
//! Images are checked against a pixel limit before their pixels are decoded.

use crate::error::{Error, Result};
use rxing::common::{GlobalHistogramBinarizer, HybridBinarizer};
use rxing::multi::{GenericMultipleBarcodeReader, MultipleBarcodeReader};
use rxing::{BarcodeFormat, Binarizer, BinaryBitmap, DecodeHints, Luma8LuminanceSource};
use std::collections::HashSet;
use std::fmt;
use std::path::Path;

/// The 2D symbologies read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Symbology {
    /// QR Code (ISO/IEC 18004), e.g. the ordonnance numérique.
    QrCode,
    /// Data Matrix ECC 200 (ISO/IEC 16022), e.g. 2D-Doc and the INS Data Matrix.
    DataMatrix,
}

impl fmt::Display for Symbology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Symbology::QrCode => "qrcode",
            Symbology::DataMatrix => "datamatrix",
        })
    }
}

/// A point in image pixel coordinates.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Point {
    /// Column.
    pub x: f32,
    /// Row.
    pub y: f32,
}

/// One decoded code. `Debug` hides the payload.
#[derive(Clone, PartialEq, serde::Serialize)]
pub struct DecodedCode {
    /// Symbology.
    pub symbology: Symbology,
    /// Payload bytes. Data Matrix: the decoded byte values (ISO/IEC 16022 default
    /// ISO-8859-1, so binary 2D-Doc is returned byte for byte). QR: the decoded text in UTF-8.
    /// Separators GS/RS/US are kept.
    pub payload: Vec<u8>,
    /// Corner or finder points reported by the detector, in pixels of the input image.
    pub points: Vec<Point>,
}

impl DecodedCode {
    /// Centre of the reported points.
    pub fn center(&self) -> Point {
        let n = self.points.len().max(1) as f32;
        let (sx, sy) = self
            .points
            .iter()
            .fold((0.0, 0.0), |(x, y), p| (x + p.x, y + p.y));
        Point {
            x: sx / n,
            y: sy / n,
        }
    }
}

impl fmt::Debug for DecodedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodedCode")
            .field("symbology", &self.symbology)
            .field(
                "payload",
                &format_args!("<{} bytes redacted>", self.payload.len()),
            )
            .field("points", &self.points)
            .finish()
    }
}

/// Decoding settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Largest image accepted, in pixels (default 64 Mpx: an A4 page at 600 dpi is 35 Mpx).
    pub max_pixels: u64,
    /// Look for QR codes.
    pub qr_code: bool,
    /// Look for Data Matrix codes.
    pub data_matrix: bool,
    /// Run every pass and merge, instead of stopping at the first pass that finds a code.
    pub exhaustive: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            max_pixels: 64_000_000,
            qr_code: true,
            data_matrix: true,
            exhaustive: false,
        }
    }
}

/// Largest encoded image file read by [`decode_file`] for a pixel limit: an uncompressed
/// 16-bit RGBA TIFF of `max_pixels` pixels (8 bytes a pixel) plus 1 MiB of metadata. A larger
/// file cannot hold an image under the limit and is refused before it is read whole.
fn max_file_len(max_pixels: u64) -> u64 {
    max_pixels.saturating_mul(8).saturating_add(1 << 20)
}

/// Decodes every code in an image file (PNG, JPEG, TIFF).
///
/// A file longer than an uncompressed 16-bit RGBA image of `max_pixels` pixels (8 bytes a
/// pixel) plus 1 MiB cannot hold an image under the limit: it is refused
/// ([`Error::TooLong`]) from its length, and never read past that bound.
pub fn decode_file(path: &Path, options: &DecodeOptions) -> Result<Vec<DecodedCode>> {
    use std::io::Read;
    let max = max_file_len(options.max_pixels);
    let file = std::fs::File::open(path).map_err(|e| Error::Image(e.kind().to_string()))?;
    let declared = file.metadata().map(|m| m.len()).unwrap_or(0);
    if declared > max {
        return Err(Error::TooLong {
            len: usize::try_from(declared).unwrap_or(usize::MAX),
            max: usize::try_from(max).unwrap_or(usize::MAX),
        });
    }
    // The length read from the metadata is a hint (the file may grow, or be a pipe): the
    // read itself stops one byte after the limit.
    let mut bytes = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Image(e.kind().to_string()))?;
    if bytes.len() as u64 > max {
        return Err(Error::TooLong {
            len: bytes.len(),
            max: usize::try_from(max).unwrap_or(usize::MAX),
        });
    }
    decode_image_bytes(&bytes, options)
}

/// Decodes an encoded image (PNG, JPEG, TIFF) to 8-bit grey, refusing oversized images
/// before their pixels are decoded.
///
/// The declared dimensions are read from the header and checked first: an image of 0 pixels
/// in either dimension, or of more than `max_pixels` pixels, is refused
/// ([`Error::ImageTooLarge`]) before any pixel buffer exists. The decoder itself runs from
/// its first byte with an allocation limit of 8 bytes per allowed pixel (`image::Limits`),
/// so that no header field (a huge text chunk, a TIFF strip table, a PNG row wider than the
/// limit) can make it allocate more: a decoder that stops at that limit while reading the
/// header gives [`Error::Image`] with the decoder's reason. Empty, truncated and corrupt
/// files are [`Error::Image`].
pub fn load_luma(bytes: &[u8], max_pixels: u64) -> Result<image::GrayImage> {
    use image::ImageDecoder;
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::Image(e.to_string()))?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(max_pixels.saturating_mul(8));
    reader.limits(limits);
    let decoder = reader
        .into_decoder()
        .map_err(|e| Error::Image(e.to_string()))?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > max_pixels || width == 0 || height == 0 {
        return Err(Error::ImageTooLarge {
            width,
            height,
            max_pixels,
        });
    }
    let image = image::DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => Error::ImageTooLarge {
            width,
            height,
            max_pixels,
        },
        e => Error::Image(e.to_string()),
    })?;
    Ok(image.into_luma8())
}

/// Decodes every code in an encoded image (PNG, JPEG, TIFF).
pub fn decode_image_bytes(bytes: &[u8], options: &DecodeOptions) -> Result<Vec<DecodedCode>> {
    let luma = load_luma(bytes, options.max_pixels)?;
    let (w, h) = luma.dimensions();
    decode_luma(luma.as_raw(), w, h, options)
}

/// A preprocessing pass.
#[derive(Debug, Clone, Copy)]
enum Pass {
    Reduced(u32),
    Full,
    Enhanced(u32),
    GlobalThreshold,
}

/// Decodes every code in an 8-bit grey image (`luma.len() == width * height`).
pub fn decode_luma(
    luma: &[u8],
    width: u32,
    height: u32,
    options: &DecodeOptions,
) -> Result<Vec<DecodedCode>> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels > options.max_pixels {
        return Err(Error::ImageTooLarge {
            width,
            height,
            max_pixels: options.max_pixels,
        });
    }
    if width == 0 || height == 0 || luma.len() as u64 != pixels {
        return Err(Error::Image(
            "buffer size does not match the dimensions".into(),
        ));
    }
    // Search scale: about 1,800 px on the long side (≈150 dpi for A4).
    let factor = (width.max(height).saturating_add(900) / 1800).max(1);
    let mut passes = Vec::new();
    if factor > 1 {
        passes.push(Pass::Reduced(factor));
    }
    passes.push(Pass::Full);
    passes.push(Pass::Enhanced(factor));
    if factor > 1 {
        passes.push(Pass::Enhanced(1));
    }
    passes.push(Pass::GlobalThreshold);

    let mut found: Vec<DecodedCode> = Vec::new();
    for pass in passes {
        let before = found.len();
        // The preprocessing handles every size of at least 1×1 pixel (see `reduce`, `smooth3`)
        // and the third-party detector works on hostile pixels: a panic in either (a bug)
        // must not cross this API (nor the C ABI above it), so the whole pass runs under the
        // guard. A panic counts as "nothing found by this pass".
        let codes = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_pass(luma, width, height, pass, options)
        }))
        .unwrap_or_else(|_| Ok((Vec::new(), 1)));
        let (codes, scale) = codes?;
        for code in codes {
            let code = rescale(code, scale as f32);
            if !is_duplicate(&found, &code) {
                found.push(code);
            }
        }
        if found.len() > before && !options.exhaustive {
            break;
        }
    }
    Ok(found)
}

/// Preprocesses the image for one pass and runs the readers on it. Returns the codes and the
/// scale of the searched image relative to the input.
fn run_pass(
    luma: &[u8],
    width: u32,
    height: u32,
    pass: Pass,
    options: &DecodeOptions,
) -> Result<(Vec<DecodedCode>, u32)> {
    let (img, w, h, scale) = match pass {
        Pass::Reduced(f) => {
            let (img, w, h) = reduce(luma, width, height, f);
            (img, w, h, f)
        }
        Pass::Full | Pass::GlobalThreshold => (luma.to_vec(), width, height, 1),
        Pass::Enhanced(f) => {
            let (img, w, h) = if f > 1 {
                reduce(luma, width, height, f)
            } else {
                (luma.to_vec(), width, height)
            };
            (smooth3(&stretch_contrast(&img), w, h), w, h, f)
        }
    };
    let global = matches!(pass, Pass::GlobalThreshold);
    Ok((run_readers(img, w, h, global, options)?, scale))
}

fn rescale(mut code: DecodedCode, scale: f32) -> DecodedCode {
    for p in &mut code.points {
        p.x = (p.x + 0.5) * scale - 0.5;
        p.y = (p.y + 0.5) * scale - 0.5;
    }
    code
}

fn is_duplicate(found: &[DecodedCode], code: &DecodedCode) -> bool {
    let c = code.center();
    found.iter().any(|f| {
        let d = f.center();
        f.symbology == code.symbology
            && f.payload == code.payload
            && ((d.x - c.x).powi(2) + (d.y - c.y).powi(2)).sqrt() < 64.0
    })
}

fn hints(format: BarcodeFormat) -> DecodeHints {
    DecodeHints {
        TryHarder: Some(true),
        PossibleFormats: Some(HashSet::from([format])),
        ..DecodeHints::default()
    }
}

fn run_readers(
    img: Vec<u8>,
    w: u32,
    h: u32,
    global: bool,
    options: &DecodeOptions,
) -> Result<Vec<DecodedCode>> {
    let source = Luma8LuminanceSource::new(img, w, h).map_err(|e| Error::Image(e.to_string()))?;
    if global {
        let mut bitmap = BinaryBitmap::new(GlobalHistogramBinarizer::new(source));
        Ok(read_bitmap(&mut bitmap, options))
    } else {
        let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source));
        Ok(read_bitmap(&mut bitmap, options))
    }
}

fn read_bitmap<B: Binarizer>(
    bitmap: &mut BinaryBitmap<B>,
    options: &DecodeOptions,
) -> Vec<DecodedCode> {
    let mut out = Vec::new();
    if options.qr_code {
        let mut reader = rxing::qrcode::cpp_port::QrReader;
        if let Ok(results) =
            reader.decode_multiple_with_hints(bitmap, &hints(BarcodeFormat::QR_CODE))
        {
            out.extend(results.iter().map(|r| convert(r, Symbology::QrCode)));
        }
    }
    if options.data_matrix {
        let mut reader = GenericMultipleBarcodeReader::new(rxing::datamatrix::DataMatrixReader);
        if let Ok(results) =
            reader.decode_multiple_with_hints(bitmap, &hints(BarcodeFormat::DATA_MATRIX))
        {
            out.extend(results.iter().map(|r| convert(r, Symbology::DataMatrix)));
        }
    }
    out
}

fn convert(r: &rxing::RXingResult, symbology: Symbology) -> DecodedCode {
    let text = r.getText();
    let payload = match symbology {
        Symbology::DataMatrix if text.chars().all(|c| u32::from(c) <= 0xFF) => {
            text.chars().map(|c| u32::from(c) as u8).collect()
        }
        _ => text.as_bytes().to_vec(),
    };
    let points = r
        .getPoints()
        .iter()
        .map(|p| Point { x: p.x, y: p.y })
        .collect();
    DecodedCode {
        symbology,
        payload,
        points,
    }
}

/// Box-filter reduction by an integer factor `f`.
///
/// The output is `max(1, width / f)` × `max(1, height / f)` pixels; output pixel (x, y) is the
/// mean of the input block `[x·f, x·f + f) × [y·f, y·f + f)` clipped to the image. Columns
/// and rows after the last whole block are dropped, except that an image thinner than `f`
/// (1 pixel wide or high, or fewer pixels than the factor) keeps its one partial block, so
/// every input of at least 1×1 pixel gives a valid image. A buffer shorter than
/// `width × height` is read as far as it goes (missing pixels are black); an empty
/// dimension gives an empty image.
fn reduce(luma: &[u8], width: u32, height: u32, f: u32) -> (Vec<u8>, u32, u32) {
    if width == 0 || height == 0 {
        return (Vec::new(), 0, 0);
    }
    let f = f.max(1);
    let (w, h) = ((width / f).max(1), (height / f).max(1));
    let (stride, fu, wu, hu) = (width as usize, f as usize, w as usize, h as usize);
    let mut out = Vec::with_capacity(wu.saturating_mul(hu));
    let mut sums = vec![0u64; wu];
    let mut counts = vec![0u64; wu];
    for band in luma.chunks(stride.saturating_mul(fu)).take(hu) {
        sums.fill(0);
        counts.fill(0);
        for row in band.chunks(stride) {
            for ((block, sum), count) in row.chunks(fu).zip(&mut sums).zip(&mut counts) {
                *sum += block.iter().map(|&v| u64::from(v)).sum::<u64>();
                *count += block.len() as u64;
            }
        }
        out.extend(
            sums.iter()
                .zip(&counts)
                .map(|(&s, &c)| (s / c.max(1)) as u8),
        );
    }
    out.resize(wu.saturating_mul(hu), 0);
    (out, w, h)
}

/// Linear stretch of the 1st–99th percentile range to 0–255.
fn stretch_contrast(luma: &[u8]) -> Vec<u8> {
    let mut hist = [0usize; 256];
    for &v in luma {
        if let Some(count) = hist.get_mut(usize::from(v)) {
            *count += 1;
        }
    }
    let cut = luma.len() / 100;
    // Number of bins, from one end, that together hold at most `cut` pixels (at most 255).
    let tail = |bins: &mut dyn Iterator<Item = &usize>| {
        let mut acc = 0usize;
        bins.take(255)
            .take_while(|&&count| {
                acc += count;
                acc <= cut
            })
            .count()
    };
    let lo = tail(&mut hist.iter());
    let hi = 255 - tail(&mut hist.iter().rev());
    if hi <= lo {
        return luma.to_vec();
    }
    let (lo, range) = (lo as u32, (hi - lo) as u32);
    let lut: [u8; 256] =
        std::array::from_fn(|v| ((v as u32).saturating_sub(lo) * 255 / range).min(255) as u8);
    luma.iter()
        .map(|&v| lut.get(usize::from(v)).copied().unwrap_or(v))
        .collect()
}

/// 3×3 box smoothing (borders copied). Images under 3×3 pixels, or whose buffer does not
/// hold `width × height` pixels, are returned unchanged.
fn smooth3(luma: &[u8], width: u32, height: u32) -> Vec<u8> {
    let (w, h) = (width as usize, height as usize);
    let mut out = luma.to_vec();
    if w < 3 || h < 3 || luma.len() != w.saturating_mul(h) {
        return out;
    }
    let rows = luma.chunks_exact(w);
    let triples = rows.clone().zip(rows.clone().skip(1)).zip(rows.skip(2));
    for (((above, row), below), dst) in triples.zip(out.chunks_exact_mut(w).skip(1)) {
        let windows = above.windows(3).zip(row.windows(3)).zip(below.windows(3));
        for (((a, r), b), px) in windows.zip(dst.iter_mut().skip(1)) {
            let sum: u32 = a.iter().chain(r).chain(b).map(|&v| u32::from(v)).sum();
            *px = (sum / 9) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduce_averages() {
        let img = [0u8, 255, 0, 255, 255, 0, 255, 0];
        let (out, w, h) = reduce(&img, 4, 2, 2);
        assert_eq!((w, h), (2, 1));
        assert_eq!(out, vec![127, 127]);
    }

    #[test]
    fn reduce_handles_thin_and_odd_images() {
        // 1×1 with factor 4: one partial block.
        assert_eq!(reduce(&[200], 1, 1, 4), (vec![200], 1, 1));
        // 1×N and N×1, fewer pixels than the factor across.
        let column: Vec<u8> = (0..10).map(|i| i * 10).collect();
        assert_eq!(reduce(&column, 1, 10, 4), (vec![15, 55], 1, 2));
        assert_eq!(reduce(&column, 10, 1, 4), (vec![15, 55], 2, 1));
        // 2×3 with factor 4: the whole image is one block.
        let small = [0, 60, 120, 180, 240, 0];
        assert_eq!(reduce(&small, 2, 3, 4), (vec![100], 1, 1));
        // Odd sizes: 5×3 by 2 keeps the two whole 2×2 blocks.
        let odd: Vec<u8> = (0..15).map(|i| i * 10).collect();
        assert_eq!(reduce(&odd, 5, 3, 2), (vec![30, 50], 2, 1));
        // Factor 0 is read as 1, empty dimensions give an empty image, a short buffer is
        // read as far as it goes.
        assert_eq!(reduce(&[1, 2, 3, 4], 2, 2, 0), (vec![1, 2, 3, 4], 2, 2));
        assert_eq!(reduce(&[], 0, 7, 4), (vec![], 0, 0));
        assert_eq!(reduce(&[8, 8], 4, 4, 2), (vec![8, 0, 0, 0], 2, 2));
    }

    #[test]
    fn preprocessing_handles_every_small_size() {
        for w in 1..6u32 {
            for h in 1..6u32 {
                let img: Vec<u8> = (0..w * h).map(|i| (i * 37 % 256) as u8).collect();
                assert_eq!(smooth3(&img, w, h).len(), img.len());
                assert_eq!(stretch_contrast(&img).len(), img.len());
                for f in 1..6 {
                    let (out, rw, rh) = reduce(&img, w, h, f);
                    assert_eq!(out.len() as u32, rw * rh);
                    assert!(rw >= 1 && rh >= 1);
                }
            }
        }
        assert!(stretch_contrast(&[]).is_empty());
        assert!(smooth3(&[], 0, 0).is_empty());
    }

    #[test]
    fn thin_images_decode_to_nothing_without_panicking() {
        // 8,000 pixels on the long side gives a reduction factor of 4: the reduced and
        // enhanced passes run on images thinner than the factor.
        let opts = DecodeOptions::default();
        for (w, h) in [(1, 1), (1, 8000), (8000, 1), (3, 8000), (8001, 3), (2, 3)] {
            let img = vec![128u8; (w * h) as usize];
            assert_eq!(decode_luma(&img, w, h, &opts), Ok(Vec::new()), "{w}x{h}");
        }
        let exhaustive = DecodeOptions {
            exhaustive: true,
            ..DecodeOptions::default()
        };
        let stripes: Vec<u8> = (0..8000)
            .map(|i| if i % 3 == 0 { 0 } else { 255 })
            .collect();
        assert_eq!(decode_luma(&stripes, 1, 8000, &exhaustive), Ok(Vec::new()));
        assert_eq!(decode_luma(&stripes, 8000, 1, &exhaustive), Ok(Vec::new()));
    }

    #[test]
    fn zero_and_huge_dimensions_are_refused() {
        let opts = DecodeOptions::default();
        assert!(matches!(
            decode_luma(&[], 0, 0, &opts),
            Err(Error::Image(_))
        ));
        assert!(matches!(
            decode_luma(&[], 0, 100, &opts),
            Err(Error::Image(_))
        ));
        assert!(matches!(
            decode_luma(&[], u32::MAX, u32::MAX, &opts),
            Err(Error::ImageTooLarge { .. })
        ));
        let unlimited = DecodeOptions {
            max_pixels: u64::MAX,
            ..DecodeOptions::default()
        };
        assert!(matches!(
            decode_luma(&[0; 4], u32::MAX, 1, &unlimited),
            Err(Error::Image(_))
        ));
    }

    #[test]
    fn stretch_spreads_a_faint_range() {
        let img: Vec<u8> = (0..1000)
            .map(|i| if i % 2 == 0 { 120 } else { 140 })
            .collect();
        let out = stretch_contrast(&img);
        assert_eq!(out.iter().min(), Some(&0));
        assert_eq!(out.iter().max(), Some(&255));
    }

    #[test]
    fn size_limit_is_checked_before_decoding() {
        let opts = DecodeOptions {
            max_pixels: 100,
            ..DecodeOptions::default()
        };
        assert!(matches!(
            decode_luma(&[255; 121], 11, 11, &opts),
            Err(Error::ImageTooLarge { .. })
        ));
        assert!(decode_luma(&[255; 10], 11, 11, &DecodeOptions::default()).is_err());
    }
}
