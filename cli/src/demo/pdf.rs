//! A one-page PDF with a few lines of text: the body of the demo's bilan partagé de médication
//! (a CDA R2 niveau 1 carries a PDF). Written by hand because the demo needs nothing more than
//! ISO 32000-1's simplest file: one page, one standard font, a cross-reference table with the
//! exact offsets a reader checks.

/// The PDF of `lines`, one per line from the top of an A4 page, in Helvetica. Text is written
/// in WinAnsiEncoding (ISO 32000-1 Annex D): characters outside it become `?`.
pub fn one_page(title: &str, lines: &[&str]) -> Vec<u8> {
    let mut content = String::from("BT\n/F1 16 Tf\n56 780 Td\n");
    content.push_str(&format!("({}) Tj\n/F1 11 Tf\n", escape(title)));
    for line in lines {
        content.push_str(&format!("0 -22 Td\n({}) Tj\n", escape(line)));
    }
    content.push_str("ET\n");
    let content = win_ansi(&content);

    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
    ];
    let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
    stream.extend_from_slice(&content);
    stream.extend_from_slice(b"endstream");
    objects.push(stream);

    // The binary comment line tells transfer tools the file is binary (ISO 32000-1 §7.5.2).
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A PDF literal string's content: backslash, parentheses escaped (ISO 32000-1 §7.3.4.2).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '(' | ')') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Latin-1 characters are their WinAnsiEncoding codes for the letters used here (accented
/// French letters); anything else outside ASCII, and control characters, become `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match u32::from(c) {
            0x0A => b'\n',
            0x20..=0x7E => c as u8,
            code @ 0xC0..=0xFF => code as u8,
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(haystack: &[u8], needle: &[u8]) -> usize {
        haystack
            .windows(needle.len())
            .rposition(|w| w == needle)
            .unwrap()
    }

    #[test]
    fn cross_reference_offsets_point_at_their_objects() {
        // Offsets are byte offsets: WinAnsi text (é is one byte) must not shift them.
        let pdf = one_page("Titre (essai)", &["Médication", "ligne 2"]);
        let xref = find(&pdf, b"xref\n0 6\n");
        let tail = std::str::from_utf8(&pdf[xref..]).unwrap();
        let startxref: usize = tail
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(startxref, xref);
        let entries: Vec<&str> = tail.lines().skip(3).take(5).collect();
        assert_eq!(entries.len(), 5);
        for (i, line) in entries.iter().enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            assert!(pdf[offset..].starts_with(format!("{} 0 obj", i + 1).as_bytes()));
        }
        assert!(pdf.ends_with(b"%%EOF\n"));
        find(&pdf, b"(Titre \\(essai\\)) Tj");
        // é in WinAnsiEncoding.
        find(&pdf, b"M\xE9dication");
    }
}
