//! Synthetic test corpus: codes rendered onto A4 pages, then degraded the way scans and
//! phone photos are (rotation, skew, blur, noise, low contrast, JPEG, low resolution).
#![allow(dead_code, clippy::expect_used, clippy::type_complexity)] // Test support: panics are test failures.

use image::{GrayImage, Luma};
use segur_eprescription::decode::Symbology;
use segur_eprescription::render::render;
use std::path::{Path, PathBuf};

/// Deterministic xorshift generator (no external randomness: failures must reproduce).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn alnum(&mut self, len: usize) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        (0..len)
            .map(|_| char::from(A[self.below(A.len() as u64) as usize]))
            .collect()
    }
}

/// A blank A4 page with grey "text" lines, at `dpi`.
pub fn page(dpi: u32, rng: &mut Rng) -> GrayImage {
    let (w, h) = (
        (210.0 / 25.4 * dpi as f32) as u32,
        (297.0 / 25.4 * dpi as f32) as u32,
    );
    let mut img = GrayImage::from_pixel(w, h, Luma([250]));
    let line_h = (dpi / 30).max(2);
    let mut y = dpi / 2;
    while y + line_h < h - dpi / 2 {
        let mut x = dpi / 2;
        while x < w - dpi / 2 {
            let word = (rng.below(u64::from(dpi / 2)) as u32 + dpi / 10).min(w - dpi / 2 - x);
            for yy in y..y + line_h {
                for xx in x..x + word {
                    if (xx + yy) % 3 != 0 {
                        img.put_pixel(xx, yy, Luma([30]));
                    }
                }
            }
            x += word + dpi / 12;
        }
        y += line_h * 3;
    }
    img
}

/// Renders a code whose module measures `module_mm` at `dpi`, oversampled ×4 then warped.
pub fn code_patch(
    sym: Symbology,
    payload: &str,
    module_mm: f32,
    dpi: u32,
    angle_deg: f32,
    shear: f32,
) -> GrayImage {
    let quiet = if sym == Symbology::QrCode { 4 } else { 2 };
    let sharp = render(sym, payload, 4, quiet).expect("render");
    let scale = module_mm / 25.4 * dpi as f32 / 4.0;
    // Output ← input: inverse of (rotation · shear · scale).
    let (s, c) = angle_deg.to_radians().sin_cos();
    let m = [
        [scale * c, scale * (c * shear - s)],
        [scale * s, scale * (s * shear + c)],
    ];
    let (sw, sh) = (sharp.width() as f32, sharp.height() as f32);
    let corners = [(0.0, 0.0), (sw, 0.0), (0.0, sh), (sw, sh)];
    let pts: Vec<(f32, f32)> = corners
        .iter()
        .map(|&(x, y)| (m[0][0] * x + m[0][1] * y, m[1][0] * x + m[1][1] * y))
        .collect();
    let minx = pts.iter().map(|p| p.0).fold(f32::MAX, f32::min);
    let maxx = pts.iter().map(|p| p.0).fold(f32::MIN, f32::max);
    let miny = pts.iter().map(|p| p.1).fold(f32::MAX, f32::min);
    let maxy = pts.iter().map(|p| p.1).fold(f32::MIN, f32::max);
    let (ow, oh) = (
        (maxx - minx).ceil() as u32 + 1,
        (maxy - miny).ceil() as u32 + 1,
    );
    let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    let inv = [
        [m[1][1] / det, -m[0][1] / det],
        [-m[1][0] / det, m[0][0] / det],
    ];
    let mut out = GrayImage::from_pixel(ow, oh, Luma([255]));
    // Area sampling: average the 4×4 sub-pixels of each output pixel.
    for oy in 0..oh {
        for ox in 0..ow {
            let mut acc = 0u32;
            for sy in 0..4 {
                for sx in 0..4 {
                    let x = ox as f32 + minx + (sx as f32 + 0.5) / 4.0;
                    let y = oy as f32 + miny + (sy as f32 + 0.5) / 4.0;
                    let ix = inv[0][0] * x + inv[0][1] * y;
                    let iy = inv[1][0] * x + inv[1][1] * y;
                    acc += if ix >= 0.0 && iy >= 0.0 && ix < sw && iy < sh {
                        u32::from(sharp.get_pixel(ix as u32, iy as u32)[0])
                    } else {
                        255
                    };
                }
            }
            out.put_pixel(ox, oy, Luma([(acc / 16) as u8]));
        }
    }
    out
}

/// Pastes `patch` at (x, y): the code is printed in its own clear box on the page.
pub fn paste(page: &mut GrayImage, patch: &GrayImage, x: u32, y: u32) {
    for (px, py, p) in patch.enumerate_pixels() {
        let (tx, ty) = (x + px, y + py);
        if tx < page.width() && ty < page.height() {
            page.put_pixel(tx, ty, Luma([p[0].min(250)]));
        }
    }
}

/// Separable box blur of radius `r`.
pub fn blur(img: &mut GrayImage, r: u32) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let r = r as usize;
    let src = img.as_raw().clone();
    let mut tmp = vec![0u8; w * h];
    for y in 0..h {
        for x in 0..w {
            let (a, b) = (x.saturating_sub(r), (x + r).min(w - 1));
            let s: u32 = src[y * w + a..=y * w + b]
                .iter()
                .map(|&v| u32::from(v))
                .sum();
            tmp[y * w + x] = (s / (b - a + 1) as u32) as u8;
        }
    }
    let out: &mut [u8] = img;
    for y in 0..h {
        let (a, b) = (y.saturating_sub(r), (y + r).min(h - 1));
        for x in 0..w {
            let s: u32 = (a..=b).map(|yy| u32::from(tmp[yy * w + x])).sum();
            out[y * w + x] = (s / (b - a + 1) as u32) as u8;
        }
    }
}

/// Uniform noise of amplitude ±`amp`.
pub fn noise(img: &mut GrayImage, amp: i32, rng: &mut Rng) {
    for p in img.pixels_mut() {
        let d = rng.below((2 * amp + 1) as u64) as i32 - amp;
        p[0] = (i32::from(p[0]) + d).clamp(0, 255) as u8;
    }
}

/// Maps black..white to `lo..hi`, with a left-to-right illumination gradient of `grad`.
pub fn contrast(img: &mut GrayImage, lo: u8, hi: u8, grad: i32) {
    let w = img.width() as i32;
    for (x, _, p) in img.enumerate_pixels_mut() {
        let v = i32::from(lo) + i32::from(p[0]) * (i32::from(hi) - i32::from(lo)) / 255;
        p[0] = (v - grad * x as i32 / w).clamp(0, 255) as u8;
    }
}

/// Encodes as JPEG at `quality`.
pub fn jpeg(img: &GrayImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .expect("jpeg");
    out
}

/// Encodes as PNG.
pub fn png(img: &GrayImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png");
    out
}

/// One degraded page and what it holds.
pub struct Case {
    pub name: String,
    pub file: Vec<u8>,
    pub extension: &'static str,
    pub expected: Vec<(Symbology, String)>,
}

/// The degradations, applied to one QR code per page. `dpi` 150 for tests, 300 for the bench.
pub fn qr_corpus(dpi: u32, seed: u64) -> Vec<Case> {
    let mut rng = Rng::new(seed);
    let mut cases = Vec::new();
    // name, module mm, angle, shear, blur radius (at 300 dpi), noise, contrast (lo, hi, grad), jpeg quality
    let specs: &[(&str, f32, f32, f32, u32, i32, (u8, u8, i32), Option<u8>)] = &[
        ("clean", 0.5, 0.0, 0.0, 0, 0, (0, 255, 0), None),
        ("rotated-17", 0.5, 17.0, 0.0, 0, 0, (0, 255, 0), None),
        (
            "rotated-123-skewed",
            0.5,
            123.0,
            0.15,
            0,
            0,
            (0, 255, 0),
            None,
        ),
        ("blurred", 0.5, 5.0, 0.0, 2, 0, (0, 255, 0), None),
        ("noisy", 0.5, 31.0, 0.0, 0, 70, (0, 255, 0), None),
        ("low-contrast", 0.5, 200.0, 0.0, 0, 8, (105, 150, 0), None),
        ("jpeg-q20", 0.5, 45.0, 0.0, 0, 6, (0, 255, 0), Some(20)),
        ("small-0.3mm", 0.3, 11.0, 0.0, 0, 0, (0, 255, 0), None),
        ("photo-like", 0.5, 8.0, 0.1, 1, 25, (40, 220, 60), Some(45)),
        (
            "faint-blurred-noisy",
            0.45,
            67.0,
            0.05,
            1,
            30,
            (80, 200, 30),
            Some(60),
        ),
    ];
    for (i, &(name, module, angle, shear, blur_r, amp, (lo, hi, grad), q)) in
        specs.iter().enumerate()
    {
        let mut img = page(dpi, &mut rng);
        let payload = rng.alnum(24);
        let patch = code_patch(Symbology::QrCode, &payload, module, dpi, angle, shear);
        let x = rng.below(u64::from(img.width() - patch.width())) as u32;
        let y = rng.below(u64::from(img.height() - patch.height())) as u32;
        paste(&mut img, &patch, x, y);
        if blur_r > 0 {
            blur(&mut img, (blur_r * dpi / 300).max(1));
        }
        contrast(&mut img, lo, hi, grad);
        if amp > 0 {
            noise(&mut img, amp, &mut rng);
        }
        let (file, extension) = match q {
            Some(q) => (jpeg(&img, q), "jpg"),
            None => (png(&img), "png"),
        };
        cases.push(Case {
            name: format!("{i:02}-{name}"),
            file,
            extension,
            expected: vec![(Symbology::QrCode, payload)],
        });
    }
    cases
}

/// Writes a case to `dir` and returns its path.
pub fn write_case(dir: &Path, case: &Case) -> PathBuf {
    let path = dir.join(format!("{}.{}", case.name, case.extension));
    std::fs::write(&path, &case.file).expect("write case");
    path
}

/// Runs `zbarimg` (Debian zbar-tools) on QR codes only; returns the payloads it printed, or
/// `None` when zbarimg is not installed.
pub fn zbarimg(path: &Path) -> Option<Vec<String>> {
    let out = std::process::Command::new("zbarimg")
        .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"])
        .arg(path)
        .output()
        .ok()?;
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}
