//! Rendering QR codes and Data Matrix symbols to grey images (for printing documents, such
//! as the INS Data Matrix, and for tests).

use crate::error::{Error, Result};
use rxing::{BarcodeFormat, EncodeHints, Writer};

/// Renders `payload` as a symbol with `module_px` pixels per module and a quiet zone of
/// `quiet_modules` modules (QR: ≥ 4, ISO/IEC 18004 §6.3.8; Data Matrix: ≥ 1, ISO/IEC 16022).
/// Data Matrix symbols are square ECC 200, as 2D-Doc requires (§3.7).
pub fn render(
    symbology: crate::decode::Symbology,
    payload: &str,
    module_px: u32,
    quiet_modules: u32,
) -> Result<image::GrayImage> {
    let (format, hints) = match symbology {
        crate::decode::Symbology::QrCode => (
            BarcodeFormat::QR_CODE,
            EncodeHints {
                Margin: Some("0".into()),
                ErrorCorrection: Some("M".into()),
                ..Default::default()
            },
        ),
        crate::decode::Symbology::DataMatrix => (
            BarcodeFormat::DATA_MATRIX,
            EncodeHints {
                DataMatrixShape: Some(rxing::datamatrix::encoder::SymbolShapeHint::FORCE_SQUARE),
                ..Default::default()
            },
        ),
    };
    let matrix = rxing::MultiFormatWriter
        .encode_with_hints(payload, &format, 0, 0, &hints)
        .map_err(|e| Error::Render(e.to_string()))?;
    let (mw, mh) = (matrix.getWidth(), matrix.getHeight());
    let m = module_px.max(1);
    let q = quiet_modules;
    let (w, h) = ((mw + 2 * q) * m, (mh + 2 * q) * m);
    let mut img = image::GrayImage::from_pixel(w, h, image::Luma([255]));
    for y in 0..mh {
        for x in 0..mw {
            if matrix.get(x, y) {
                for dy in 0..m {
                    for dx in 0..m {
                        img.put_pixel((x + q) * m + dx, (y + q) * m + dy, image::Luma([0]));
                    }
                }
            }
        }
    }
    Ok(img)
}

/// Renders `payload` like [`render`] and encodes the image as a PNG (8-bit greyscale, W3C PNG
/// specification, third edition), ready to print or embed in a document.
pub fn render_png(
    symbology: crate::decode::Symbology,
    payload: &str,
    module_px: u32,
    quiet_modules: u32,
) -> Result<Vec<u8>> {
    let img = render(symbology, payload, module_px, quiet_modules)?;
    let mut png = Vec::new();
    img.write_with_encoder(image::codecs::png::PngEncoder::new(&mut png))
        .map_err(|e| Error::Render(e.to_string()))?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Symbology;

    #[test]
    fn png_holds_the_rendered_pixels() {
        let grey = render(Symbology::DataMatrix, "segur", 3, 1).unwrap();
        let png = render_png(Symbology::DataMatrix, "segur", 3, 1).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let back = image::load_from_memory_with_format(&png, image::ImageFormat::Png)
            .unwrap()
            .to_luma8();
        assert_eq!(back, grey);
    }
}
