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

/// Decodes every code in an image file (PNG, JPEG, TIFF).
pub fn decode_file(path: &Path, options: &DecodeOptions) -> Result<Vec<DecodedCode>> {
    let bytes = std::fs::read(path).map_err(|e| Error::Image(e.kind().to_string()))?;
    decode_image_bytes(&bytes, options)
}

/// Decodes an encoded image (PNG, JPEG, TIFF) to 8-bit grey, refusing oversized images
/// before their pixels are decoded.
pub fn load_luma(bytes: &[u8], max_pixels: u64) -> Result<image::GrayImage> {
    use image::ImageDecoder;
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::Image(e.to_string()))?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(max_pixels.saturating_mul(8));
    let mut decoder = reader
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
    decoder
        .set_limits(limits)
        .map_err(|e| Error::Image(e.to_string()))?;
    let image =
        image::DynamicImage::from_decoder(decoder).map_err(|e| Error::Image(e.to_string()))?;
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
    let factor = ((width.max(height) + 900) / 1800).max(1);
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
        // The third-party detector works on hostile pixels: a panic inside it (a bug there)
        // must not cross this API (nor the C ABI above it). It counts as "nothing found by
        // this pass".
        let codes = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_readers(img, w, h, global, options)
        }))
        .unwrap_or_else(|_| Ok(Vec::new()))?;
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

/// Box-filter reduction by an integer factor.
fn reduce(luma: &[u8], width: u32, height: u32, f: u32) -> (Vec<u8>, u32, u32) {
    let (w, h) = ((width / f).max(1), (height / f).max(1));
    let (width, f) = (width as usize, f as usize);
    let mut out = vec![0u8; w as usize * h as usize];
    let mut row_sum = vec![0u32; w as usize];
    let n = (f * f) as u32;
    for y in 0..h as usize {
        row_sum.iter_mut().for_each(|s| *s = 0);
        for dy in 0..f {
            let src = &luma[(y * f + dy) * width..][..w as usize * f];
            for (x, chunk) in src.chunks_exact(f).enumerate() {
                row_sum[x] += chunk.iter().map(|&v| u32::from(v)).sum::<u32>();
            }
        }
        for (o, s) in out[y * w as usize..][..w as usize].iter_mut().zip(&row_sum) {
            *o = (s / n) as u8;
        }
    }
    (out, w, h)
}

/// Linear stretch of the 1st–99th percentile range to 0–255.
fn stretch_contrast(luma: &[u8]) -> Vec<u8> {
    let mut hist = [0usize; 256];
    for &v in luma {
        hist[usize::from(v)] += 1;
    }
    let cut = luma.len() / 100;
    let (mut lo, mut acc) = (0usize, 0usize);
    while lo < 255 && acc + hist[lo] <= cut {
        acc += hist[lo];
        lo += 1;
    }
    let (mut hi, mut acc) = (255usize, 0usize);
    while hi > 0 && acc + hist[hi] <= cut {
        acc += hist[hi];
        hi -= 1;
    }
    if hi <= lo {
        return luma.to_vec();
    }
    let range = (hi - lo) as u32;
    let lut: Vec<u8> = (0..256u32)
        .map(|v| ((v.saturating_sub(lo as u32)) * 255 / range).min(255) as u8)
        .collect();
    luma.iter().map(|&v| lut[usize::from(v)]).collect()
}

/// 3×3 box smoothing (borders copied).
fn smooth3(luma: &[u8], width: u32, height: u32) -> Vec<u8> {
    let (w, h) = (width as usize, height as usize);
    let mut out = luma.to_vec();
    if w < 3 || h < 3 {
        return out;
    }
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let mut s = 0u32;
            for row in [y - 1, y, y + 1] {
                let r = &luma[row * w + x - 1..row * w + x + 2];
                s += u32::from(r[0]) + u32::from(r[1]) + u32::from(r[2]);
            }
            out[y * w + x] = (s / 9) as u8;
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
