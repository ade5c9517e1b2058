//! Internally tagged JSON objects (`{"type": "trod", ...}`) read without losing positions.
//!
//! serde's derived `#[serde(tag = "...")]` buffers the whole object before choosing the variant,
//! so an error inside it reaches serde_json after the fact and carries line 0, column 0: the C
//! API and the CLI could then not say where a hand-written input is wrong. Here, when the tag is
//! the object's first member (as every example and every serialiser of this crate writes it),
//! the variant is chosen at once and its fields are read from the same stream, so errors keep
//! their real line and column. When the tag comes later (JSON objects are unordered, RFC 8259
//! §4), the object is buffered as serde does and an error is reported at the end of the object.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;

/// An enum read from an object whose member [`TAG`](Self::TAG) names the variant.
pub(crate) trait InternallyTagged: Sized {
    /// The member naming the variant.
    const TAG: &'static str;
    /// What the object is, for "expected ..." messages.
    const EXPECTING: &'static str;
    /// Reads the variant named `variant` from the object's other members.
    fn from_rest<'de, A: MapAccess<'de>>(variant: &str, rest: A) -> Result<Self, A::Error>;
}

/// Deserialises `T` from an object, streaming when the tag comes first.
pub(crate) fn deserialize<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: InternallyTagged,
{
    deserializer.deserialize_map(TaggedVisitor(PhantomData))
}

struct TaggedVisitor<T>(PhantomData<T>);

impl<'de, T: InternallyTagged> Visitor<'de> for TaggedVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (an object with a `{}` member)", T::EXPECTING, T::TAG)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let Some(first) = map.next_key::<String>()? else {
            return Err(de::Error::missing_field(T::TAG));
        };
        if first == T::TAG {
            let variant: String = map.next_value()?;
            return T::from_rest(&variant, map);
        }
        // The tag comes later: buffer the members (as serde's derive does), then read the
        // variant from the buffer. The buffer has no positions; the caller's deserializer
        // places the error at the end of the object.
        let mut rest = serde_json::Map::new();
        rest.insert(first, map.next_value()?);
        let mut variant = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == T::TAG {
                if variant.is_some() {
                    return Err(de::Error::duplicate_field(T::TAG));
                }
                variant = Some(map.next_value::<String>()?);
            } else {
                let value = map.next_value()?;
                rest.insert(key, value);
            }
        }
        let Some(variant) = variant else {
            return Err(de::Error::missing_field(T::TAG));
        };
        let buffered = de::value::MapDeserializer::<_, serde_json::Error>::new(rest.into_iter());
        T::from_rest(&variant, buffered).map_err(de::Error::custom)
    }
}

/// `T` read from the rest of the object (`rest`), for a variant's payload.
pub(crate) fn payload<'de, A, T>(rest: A) -> Result<T, A::Error>
where
    A: MapAccess<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(de::value::MapAccessDeserializer::new(rest))
}

#[cfg(test)]
mod tests {
    use crate::build::DocumentInput;
    use crate::build::examples::{example_json, example_text};

    /// Line and 1-based column of the first `needle` in `text`.
    fn position_of(text: &str, needle: &str) -> (usize, usize) {
        let at = text.find(needle).unwrap();
        let before = text.get(..at).unwrap();
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |n| n + 1) + 1;
        (line, column)
    }

    fn broken_example(kind: &str) -> String {
        let json = example_text(kind).unwrap();
        assert!(
            json.starts_with(&format!("{{\n  \"type\": \"{kind}\",")),
            "{json}"
        );
        let broken = json.replace("\"279035121518989\"", "279035121518989");
        assert_ne!(broken, json);
        broken
    }

    #[test]
    fn errors_inside_a_tagged_document_have_their_real_position() {
        for kind in DocumentInput::TYPES {
            let broken = broken_example(kind);
            let e = serde_json::from_str::<DocumentInput>(&broken).unwrap_err();
            let (line, column) = position_of(&broken, "279035121518989");
            assert_eq!(e.line(), line, "{kind}: {e}");
            // serde_json places a type error after the value it read.
            assert_eq!(
                e.column(),
                column + "279035121518989".len() - 1,
                "{kind}: {e}"
            );
        }
    }

    #[test]
    fn a_tag_after_the_other_members_is_read_and_placed_at_the_object_end() {
        let json = example_text("trod").unwrap();
        let good: DocumentInput = serde_json::from_str(&json).unwrap();
        assert_eq!(
            good,
            serde_json::from_value(example_json("trod").unwrap()).unwrap()
        );
        // Move `type` to the end of the object.
        let moved = json.replacen("\"type\": \"trod\",", "", 1);
        let moved = format!(
            "{},\n  \"type\": \"trod\"\n}}",
            moved.trim_end().trim_end_matches('}').trim_end()
        );
        assert!(!moved.starts_with("{\n  \"type\""), "{moved}");
        assert_eq!(serde_json::from_str::<DocumentInput>(&moved).unwrap(), good);
        let broken = moved.replace("\"279035121518989\"", "279035121518989");
        let e = serde_json::from_str::<DocumentInput>(&broken).unwrap_err();
        assert_eq!(e.line(), broken.lines().count(), "{e}");
        assert_eq!(e.column(), 1, "{e}");
    }

    #[test]
    fn a_nested_screening_error_has_its_real_position() {
        let json = example_text("trod").unwrap();
        assert!(json.contains("\"kind\": \"cystite\","), "{json}");
        let broken = json.replacen(
            "\"kind\": \"cystite\",",
            "\"kind\": \"cystite\", \"x\": 1,",
            1,
        );
        let e = serde_json::from_str::<DocumentInput>(&broken).unwrap_err();
        let (line, column) = position_of(&broken, "\"x\"");
        assert_eq!((e.line(), e.column()), (line, column + 2), "{e}");
        assert!(e.to_string().starts_with("unknown field `x`"), "{e}");
    }

    #[test]
    fn missing_and_unknown_tags_are_named() {
        let e = serde_json::from_str::<DocumentInput>("{}").unwrap_err();
        assert_eq!(e.to_string(), "missing field `type` at line 1 column 2");
        let e = serde_json::from_str::<DocumentInput>("{\"a\": 1}").unwrap_err();
        assert_eq!(e.to_string(), "missing field `type` at line 1 column 8");
        let e = serde_json::from_str::<DocumentInput>("{\"type\": \"letter\"}").unwrap_err();
        assert!(e.to_string().starts_with("unknown variant `letter`"), "{e}");
        assert_eq!((e.line(), e.column()), (1, 18), "{e}");
        let e = serde_json::from_str::<DocumentInput>("[]").unwrap_err();
        assert_eq!(e.line(), 1, "{e}");
    }
}
