//! Fuzz: image decoding and 2D-code search on arbitrary bytes, images bounded to 1 Mpx.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_eprescription::decode::{DecodeOptions, decode_image_bytes};

fuzz_target!(|data: &[u8]| {
    let options = DecodeOptions { max_pixels: 1 << 20, ..DecodeOptions::default() };
    let _ = decode_image_bytes(data, &options);
});
