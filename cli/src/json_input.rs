//! JSON read from the user's files, with errors that say where and what kind of problem, never
//! the offending value: serde's own text quotes it (`invalid type: integer `180032…`), and a
//! NIR given as a number would then be echoed to the terminal and to logs.

use serde::de::DeserializeOwned;
use serde_json::error::Category;

/// Parses `bytes` as the JSON of `what` (a file name or a role, for the message).
pub fn parse<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| describe(&e, what))
}

/// The text of a JSON error without any input value: the category, the line and the column,
/// and serde's message only when it names a field rather than a value.
pub fn describe(e: &serde_json::Error, what: &str) -> String {
    // The contracts' tagged enums (`type`, `kind`) are read without buffering, so errors
    // inside them keep their position; serde's derived buffering (line 0) is only a guard
    // here: say so rather than print a position that does not exist.
    let at = if e.line() == 0 {
        "(inside a typed section; serde gives no position)".to_owned()
    } else {
        format!("at line {} column {}", e.line(), e.column())
    };
    let message = e.to_string();
    let kind = match e.classify() {
        Category::Syntax => "not valid JSON",
        Category::Eof => "truncated JSON",
        Category::Io => "unreadable JSON",
        Category::Data if names_a_field_only(&message) => {
            // "missing field `x`" or "duplicate field `x`": the field name is the schema's.
            let field = message.split(" at line ").next().unwrap_or("");
            return format!("{what}: {field} {at}");
        }
        Category::Data if message.starts_with(segur_dmp_cda::build::INPUT_HINT) => {
            // The contract's own hint: names a field and a rule, never a value.
            let hint = message.split(" at line ").next().unwrap_or("");
            return format!("{what}: {hint} {at}");
        }
        Category::Data => "a value of the wrong type or outside its rules",
    };
    format!("{what}: {kind} {at}")
}

fn names_a_field_only(message: &str) -> bool {
    message.starts_with("missing field `") || message.starts_with("duplicate field `")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Person {
        nir: String,
    }

    #[test]
    fn values_never_appear_positions_do() {
        let e = parse::<Person>(b"{\n  \"nir\": 180032402040123\n}", "identity.json").unwrap_err();
        assert!(!e.contains("180032"), "{e}");
        assert_eq!(
            e,
            "identity.json: a value of the wrong type or outside its rules at line 2 column 24"
        );
        let e = parse::<Person>(b"{}", "identity.json").unwrap_err();
        assert_eq!(e, "identity.json: missing field `nir` at line 1 column 2");
        let e = parse::<Person>(b"{\"nir\": \"1", "x").unwrap_err();
        assert!(e.starts_with("x: truncated JSON"), "{e}");
    }
}
