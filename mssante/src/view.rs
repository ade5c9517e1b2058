//! Values shared by every JSON view of a message (CLI and C API), written once here.

/// The `X-MSS-INS` header value for an INS whose identity is qualified (`true`: `O`) or not
/// (`false`: `N`): the only two values the MSSanté DST defines for this header (ECO.2.4.2;
/// qualified: matricule, its OID and the four strict traits).
pub const fn x_mss_ins_flag(qualified: bool) -> &'static str {
    if qualified { "O" } else { "N" }
}

/// Reads an `X-MSS-INS` header value: `O` → `Some(true)`, `N` → `Some(false)`, anything else →
/// `None` (an unknown value is reported as absent, never guessed).
pub fn parse_x_mss_ins_flag(value: &str) -> Option<bool> {
    match value {
        "O" => Some(true),
        "N" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_round_trips_and_refuses_other_values() {
        for q in [true, false] {
            assert_eq!(parse_x_mss_ins_flag(x_mss_ins_flag(q)), Some(q));
        }
        assert_eq!(parse_x_mss_ins_flag("o"), None);
        assert_eq!(parse_x_mss_ins_flag(""), None);
    }
}
