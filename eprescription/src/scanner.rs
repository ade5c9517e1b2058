//! Keyboard-wedge ("douchette") scanner input.
//!
//! A USB scanner in keyboard-emulation mode types the decoded code as key presses. Three
//! things go wrong at the counter, and [`normalise`] repairs each of them:
//!
//! - **Layout garbling.** A scanner configured for a US QWERTY keyboard, plugged into a PC set
//!   to French AZERTY, presses the *key* that would produce each character on QWERTY; the PC
//!   reads that key as AZERTY, so `12AB` arrives as `&éQB`. The reverse mis-configuration
//!   (AZERTY scanner, QWERTY PC) turns `12AB` into `!@QB`. The mapping is a fixed per-key
//!   table ([`qwerty_to_azerty`]), so the damage is reversible character by character.
//! - **Terminators and decorations.** Scanners append CR, LF or TAB, and can be configured to
//!   add a prefix and a suffix, or an AIM symbology identifier (`]Q1` for QR, `]d2` for
//!   Data Matrix, ISO/IEC 15424).
//! - **Separators.** 2D-Doc and the INS Data Matrix need the ASCII separators GS (0x1D),
//!   RS (0x1E) and US (0x1F) (2D-Doc specification v3.2.6 §3.4.1 and §3.5.2). Many scanners drop
//!   them or type a stand-in such as `<GS>` or `␝`; these are mapped back to the control
//!   characters, which are always kept.
//!
//! Nothing is removed silently: what is stripped (the terminators at the end, configured
//! prefix and suffix, AIM identifier) is exactly what the configuration names. Anything else
//! that is not part of a code is refused with its class and byte position, never dropped
//! ([`normalise`]): a CR, LF or TAB before the end of the input (two scans typed into one
//! field would otherwise be joined into one code), any other control character, the
//! bidirectional controls (U+202E etc., which reorder what is displayed, Unicode UAX #9) and
//! the invisible format characters (zero-width space and joiners, word joiner, BOM).

use crate::error::{Error, Result};
use std::fmt;

/// Largest scanner input accepted, in bytes. A 2D-Doc fits in a 144×144 Data Matrix
/// (1,558 bytes); typed stand-ins at most quadruple that.
pub const MAX_SCANNER_INPUT: usize = 8 * 1024;

/// Group separator, ends a variable-length 2D-Doc field.
pub const GS: char = '\u{1D}';
/// Record separator, ends a truncated 2D-Doc field.
pub const RS: char = '\u{1E}';
/// Unit separator, starts the 2D-Doc signature.
pub const US: char = '\u{1F}';

/// Which keyboard-layout repair to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LayoutRepair {
    /// Choose the most plausible of the three readings (as typed, and both repairs).
    #[default]
    Auto,
    /// Never change the characters.
    None,
    /// The scanner types US QWERTY, the PC reads AZERTY: undo it.
    QwertyScannerOnAzertyHost,
    /// The scanner types AZERTY, the PC reads US QWERTY: undo it.
    AzertyScannerOnQwertyHost,
}

/// Scanner normalisation settings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ScannerConfig {
    /// Keyboard-layout repair.
    pub layout: LayoutRepair,
    /// Prefixes the scanner was configured to send; the first one found is removed.
    pub prefixes: Vec<String>,
    /// Suffixes the scanner was configured to send; the first one found is removed.
    pub suffixes: Vec<String>,
    /// Remove a leading AIM symbology identifier (`]` + letter + digit) and report it.
    pub strip_aim_identifier: bool,
    /// Textual stand-ins for GS, RS and US, mapped back to the control characters.
    pub separator_stand_ins: Vec<(String, char)>,
}

impl Default for ScannerConfig {
    fn default() -> Self {
        let mut stand_ins = Vec::new();
        for (name, c, pic) in [("GS", GS, '␝'), ("RS", RS, '␞'), ("US", US, '␟')] {
            stand_ins.push((format!("<{name}>"), c));
            stand_ins.push((pic.to_string(), c));
        }
        Self {
            layout: LayoutRepair::Auto,
            prefixes: Vec::new(),
            suffixes: Vec::new(),
            strip_aim_identifier: true,
            separator_stand_ins: stand_ins,
        }
    }
}

/// Normalised scanner text.
#[derive(Clone, PartialEq, Eq)]
pub struct ScannedText {
    text: String,
    layout_repaired: LayoutRepair,
    aim_identifier: Option<String>,
}

impl ScannedText {
    /// The repaired text, separators as control characters. May hold patient data.
    pub fn expose(&self) -> &str {
        &self.text
    }
    /// Consumes the value and returns the text.
    pub fn into_string(self) -> String {
        self.text
    }
    /// The repair that was applied ([`LayoutRepair::None`] when the text was kept as typed).
    pub fn layout_repaired(&self) -> LayoutRepair {
        self.layout_repaired
    }
    /// The AIM symbology identifier that was removed, e.g. `]Q1` or `]d2`.
    pub fn aim_identifier(&self) -> Option<&str> {
        self.aim_identifier.as_deref()
    }
}

impl fmt::Debug for ScannedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScannedText")
            .field(
                "text",
                &format_args!("<{} chars redacted>", self.text.chars().count()),
            )
            .field("layout_repaired", &self.layout_repaired)
            .field("aim_identifier", &self.aim_identifier)
            .finish()
    }
}

/// US QWERTY character → the character a French AZERTY PC produces for the same key and
/// shift state. Dead keys (`[` → `^`, `{` → `¨`) are listed with their spacing form.
const QWERTY_TO_AZERTY: &[(char, char)] = &[
    ('a', 'q'),
    ('q', 'a'),
    ('w', 'z'),
    ('z', 'w'),
    ('m', ','),
    (';', 'm'),
    ('A', 'Q'),
    ('Q', 'A'),
    ('W', 'Z'),
    ('Z', 'W'),
    ('M', '?'),
    (':', 'M'),
    ('1', '&'),
    ('2', 'é'),
    ('3', '"'),
    ('4', '\''),
    ('5', '('),
    ('6', '-'),
    ('7', 'è'),
    ('8', '_'),
    ('9', 'ç'),
    ('0', 'à'),
    ('!', '1'),
    ('@', '2'),
    ('#', '3'),
    ('$', '4'),
    ('%', '5'),
    ('^', '6'),
    ('&', '7'),
    ('*', '8'),
    ('(', '9'),
    (')', '0'),
    ('-', ')'),
    ('_', '°'),
    ('[', '^'),
    ('{', '¨'),
    (']', '$'),
    ('}', '£'),
    ('\\', '*'),
    ('|', 'µ'),
    ('\'', 'ù'),
    ('"', '%'),
    (',', ';'),
    ('<', '.'),
    ('.', ':'),
    ('>', '/'),
    ('/', '!'),
    ('?', '§'),
    ('`', '²'),
];

/// What an AZERTY PC shows when a US-QWERTY scanner types `c` (identity for keys that agree).
pub fn qwerty_to_azerty(c: char) -> char {
    QWERTY_TO_AZERTY
        .iter()
        .find(|(q, _)| *q == c)
        .map_or(c, |(_, a)| *a)
}

/// What a US-QWERTY PC shows when an AZERTY scanner types `c` (identity for keys that agree).
pub fn azerty_to_qwerty(c: char) -> char {
    QWERTY_TO_AZERTY
        .iter()
        .find(|(_, a)| *a == c)
        .map_or(c, |(q, _)| *q)
}

fn apply(text: &str, repair: LayoutRepair) -> String {
    match repair {
        LayoutRepair::Auto | LayoutRepair::None => text.to_owned(),
        // The PC shows azerty(intended): invert it.
        LayoutRepair::QwertyScannerOnAzertyHost => text.chars().map(azerty_to_qwerty).collect(),
        LayoutRepair::AzertyScannerOnQwertyHost => text.chars().map(qwerty_to_azerty).collect(),
    }
}

/// How plausible `text` is as a 2D-code payload: upper-case letters and digits (the C40 core
/// of 2D-Doc and of printed identifiers) weigh most, known code headers add a bonus.
fn plausibility(text: &str) -> i64 {
    let mut score = 0i64;
    for c in text.chars() {
        score += match c {
            'A'..='Z' | '0'..='9' => 3,
            GS | RS | US | ' ' | '/' | '-' | '.' => 2,
            'a'..='z' => 1,
            _ => -2,
        };
    }
    let head = text.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
    for marker in ["DC01", "DC02", "DC03", "DC04", "IS01"] {
        if head.starts_with(marker) || text.contains(marker) {
            score += 40;
        }
    }
    score
}

fn choose_layout(text: &str) -> LayoutRepair {
    let mut best = (plausibility(text), LayoutRepair::None);
    for repair in [
        LayoutRepair::QwertyScannerOnAzertyHost,
        LayoutRepair::AzertyScannerOnQwertyHost,
    ] {
        let candidate = apply(text, repair);
        if candidate == text {
            continue;
        }
        let score = plausibility(&candidate);
        // Strictly better only: a tie keeps the text as typed.
        if score > best.0 {
            best = (score, repair);
        }
    }
    best.1
}

/// The reason given for a character that a scanner never types inside a code, or `None` for a
/// character that may be part of one.
fn refused_class(c: char) -> Option<&'static str> {
    match c {
        GS | RS | US => None,
        // Line breaks inside the input: two scans (or a scan and typed text) would be joined.
        '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}' => Some("line break inside the scan"),
        '\t' => Some("tab inside the scan"),
        // Unicode UAX #9 explicit directional formatting characters and marks: they reorder
        // what is displayed, so the text shown would not be the text used.
        '\u{61C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {
            Some("bidirectional control character")
        }
        // No other control character is ever part of a code typed by a scanner.
        c if c.is_control() => Some("control character"),
        // Zero-width space, joiners, word joiner and invisible operators, BOM, soft hyphen,
        // interlinear annotation and tag characters: invisible, never in a code.
        '\u{AD}'
        | '\u{200B}'..='\u{200D}'
        | '\u{2060}'..='\u{2064}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E007F}' => Some("invisible format character"),
        _ => None,
    }
}

/// Normalises what a keyboard-wedge scanner typed.
///
/// Order: the terminators (CR, LF, TAB) at the end removed; layout repaired; configured
/// prefix and suffix removed (compared with the repaired text, i.e. as configured on the
/// scanner); AIM identifier removed; separator stand-ins mapped to GS/RS/US.
///
/// Refused with [`Error::ScannerInput`], naming the character class and its byte position in
/// `raw` (never the text): a CR, LF or TAB followed by anything but terminators ("line break
/// inside the scan", "tab inside the scan": the rule is reject, never strip, so two scans are
/// never joined into one), any other control character but GS, RS and US, a bidirectional
/// control and an invisible format character.
pub fn normalise(raw: &str, config: &ScannerConfig) -> Result<ScannedText> {
    if raw.len() > MAX_SCANNER_INPUT {
        return Err(Error::TooLong {
            len: raw.len(),
            max: MAX_SCANNER_INPUT,
        });
    }
    let body = raw.trim_end_matches(['\r', '\n', '\t']);
    if let Some((position, c)) = body
        .char_indices()
        .find(|&(_, c)| refused_class(c).is_some())
    {
        return Err(Error::ScannerInput {
            reason: refused_class(c).unwrap_or("control character"),
            position,
        });
    }
    let kept = body.to_owned();
    let layout = match config.layout {
        LayoutRepair::Auto => choose_layout(&kept),
        other => other,
    };
    let mut text = apply(&kept, layout);
    if let Some(rest) = config
        .prefixes
        .iter()
        .filter(|p| !p.is_empty())
        .find_map(|p| text.strip_prefix(p.as_str()))
    {
        text = rest.to_owned();
    }
    if let Some(rest) = config
        .suffixes
        .iter()
        .filter(|s| !s.is_empty())
        .find_map(|s| text.strip_suffix(s.as_str()))
    {
        text = rest.to_owned();
    }
    let mut aim_identifier = None;
    if config.strip_aim_identifier {
        // `]`, a letter, an alphanumeric (ISO/IEC 15424): three ASCII characters.
        let mut chars = text.chars();
        if let (Some(']'), Some(letter), Some(modifier)) =
            (chars.next(), chars.next(), chars.next())
            && letter.is_ascii_alphabetic()
            && modifier.is_ascii_alphanumeric()
        {
            let rest = chars.as_str().to_owned();
            aim_identifier = Some(format!("]{letter}{modifier}"));
            text = rest;
        }
    }
    for (stand_in, sep) in &config.separator_stand_ins {
        if !stand_in.is_empty() && text.contains(stand_in.as_str()) {
            text = text.replace(stand_in.as_str(), &sep.to_string());
        }
    }
    Ok(ScannedText {
        text,
        layout_repaired: layout,
        aim_identifier,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn garble_qwerty_on_azerty(s: &str) -> String {
        s.chars().map(qwerty_to_azerty).collect()
    }

    #[test]
    fn table_is_a_bijection() {
        for (i, (q, a)) in QWERTY_TO_AZERTY.iter().enumerate() {
            for (q2, a2) in &QWERTY_TO_AZERTY[i + 1..] {
                assert_ne!(q, q2);
                assert_ne!(a, a2);
            }
            assert_eq!(azerty_to_qwerty(qwerty_to_azerty(*q)), *q);
        }
    }

    #[test]
    fn digits_typed_on_azerty_are_repaired() {
        let typed = garble_qwerty_on_azerty("1234567890\r\n");
        assert_eq!(typed, "&é\"'(-è_çà\r\n");
        let out = normalise(&typed, &ScannerConfig::default()).unwrap();
        assert_eq!(out.expose(), "1234567890");
        assert_eq!(
            out.layout_repaired(),
            LayoutRepair::QwertyScannerOnAzertyHost
        );
    }

    #[test]
    fn azerty_scanner_on_qwerty_host_is_repaired() {
        let typed: String = "DC04FR000001".chars().map(azerty_to_qwerty).collect();
        assert_eq!(typed, "DC)$FR)))))!");
        let out = normalise(&typed, &ScannerConfig::default()).unwrap();
        assert_eq!(out.expose(), "DC04FR000001");
        assert_eq!(
            out.layout_repaired(),
            LayoutRepair::AzertyScannerOnQwertyHost
        );
    }

    #[test]
    fn clean_input_is_kept() {
        let out = normalise("AB12CD\t", &ScannerConfig::default()).unwrap();
        assert_eq!(out.expose(), "AB12CD");
        assert_eq!(out.layout_repaired(), LayoutRepair::None);
    }

    #[test]
    fn stand_ins_and_aim_prefix() {
        let out = normalise("]d2DC04AB<GS>CD␟XY\r", &ScannerConfig::default()).unwrap();
        assert_eq!(out.expose(), "DC04AB\u{1d}CD\u{1f}XY");
        assert_eq!(out.aim_identifier(), Some("]d2"));
    }

    #[test]
    fn garbled_stand_in_is_repaired_then_mapped() {
        let typed = garble_qwerty_on_azerty("DC04FR<GS>12");
        let out = normalise(&typed, &ScannerConfig::default()).unwrap();
        assert_eq!(out.expose(), "DC04FR\u{1d}12");
    }

    #[test]
    fn prefix_and_suffix() {
        let cfg = ScannerConfig {
            prefixes: vec!["STX".into()],
            suffixes: vec!["ETX".into()],
            ..ScannerConfig::default()
        };
        assert_eq!(normalise("STXABC1ETX\n", &cfg).unwrap().expose(), "ABC1");
    }

    #[test]
    fn control_character_is_an_error_with_position() {
        let err = normalise("AB\u{7}C", &ScannerConfig::default()).unwrap_err();
        assert_eq!(
            err,
            Error::ScannerInput {
                reason: "control character",
                position: 2
            }
        );
    }

    #[test]
    fn embedded_line_breaks_and_tabs_are_refused_never_stripped() {
        let cfg = ScannerConfig::default();
        let refused = |raw: &str| normalise(raw, &cfg).unwrap_err();
        let at = |reason, position| Error::ScannerInput { reason, position };
        // Two scans typed into one field are not joined into one code.
        assert_eq!(
            refused("DC04AB\r\nDC04CD\r\n"),
            at("line break inside the scan", 6)
        );
        assert_eq!(refused("AB\nCD"), at("line break inside the scan", 2));
        assert_eq!(refused("\nABCD"), at("line break inside the scan", 0));
        assert_eq!(refused("AB\rCD\n"), at("line break inside the scan", 2));
        assert_eq!(refused("AB\u{2028}CD"), at("line break inside the scan", 2));
        assert_eq!(refused("AB\tCD\t"), at("tab inside the scan", 2));
        // Positions are byte offsets in the raw input, after multibyte characters too.
        assert_eq!(refused("é\tCD"), at("tab inside the scan", 2));
        // Terminators at the end, in any mix, are what the scanner appends: removed.
        assert_eq!(normalise("ABCD\r\n\t\n", &cfg).unwrap().expose(), "ABCD");
        assert_eq!(normalise("\r\n", &cfg).unwrap().expose(), "");
    }

    #[test]
    fn bidirectional_and_invisible_characters_are_refused() {
        let cfg = ScannerConfig::default();
        let at = |reason, position| Err(Error::ScannerInput { reason, position });
        for bidi in [
            '\u{202E}', '\u{202A}', '\u{200F}', '\u{2066}', '\u{2069}', '\u{61C}',
        ] {
            assert_eq!(
                normalise(&format!("AB{bidi}CD"), &cfg),
                at("bidirectional control character", 2),
                "U+{:04X}",
                u32::from(bidi)
            );
        }
        for invisible in [
            '\u{200B}',
            '\u{200D}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{AD}',
            '\u{E0041}',
        ] {
            assert_eq!(
                normalise(&format!("ÉA{invisible}"), &cfg),
                at("invisible format character", 3),
                "U+{:04X}",
                u32::from(invisible)
            );
        }
        // C0 and C1 controls, DEL.
        for control in ['\u{0}', '\u{1B}', '\u{7F}', '\u{9B}'] {
            assert_eq!(
                normalise(&format!("A{control}"), &cfg),
                at("control character", 1)
            );
        }
        // The error text names the class and the position, never the input.
        let err = normalise("SECRET\u{202E}TERCES", &cfg)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "scanner input rejected at byte 6: bidirectional control character"
        );
        // Multibyte letters and the separators remain accepted.
        assert_eq!(
            normalise("DC04É\u{1d}Ü\u{1e}\u{1f}", &cfg)
                .unwrap()
                .expose(),
            "DC04É\u{1d}Ü\u{1e}\u{1f}"
        );
    }

    #[test]
    fn debug_redacts() {
        let out = normalise("SECRET", &ScannerConfig::default()).unwrap();
        assert!(!format!("{out:?}").contains("SECRET"));
    }
}
