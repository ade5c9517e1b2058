//! Internally tagged JSON objects (`{"kind": "substitution", ...}`) read without losing
//! positions (the same reader as `segur_dmp_cda`'s, which this leaf crate cannot depend on).
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
    use crate::dispensation::Intervention;

    #[test]
    fn errors_inside_an_intervention_have_their_real_position() {
        let text = "{\n  \"kind\": \"substitution\",\n  \"dispensed_product\": 3400930000000\n}";
        let e = serde_json::from_str::<Intervention>(text).unwrap_err();
        assert_eq!((e.line(), e.column()), (3, 36), "{e}");
        let text = "{\"kind\": \"posology_adaptation\", \"new_posology\": \"1/j\"}";
        let e = serde_json::from_str::<Intervention>(text).unwrap_err();
        assert_eq!(
            e.to_string(),
            "missing field `prescriber_agreement` at line 1 column 54"
        );
    }

    #[test]
    fn every_variant_reads_whatever_the_tag_position() {
        let cases = [
            ("{\"kind\":\"without_change\"}", Intervention::WithoutChange),
            (
                "{\"reason\":\"rupture\",\"kind\":\"not_dispensed\"}",
                Intervention::NotDispensed {
                    reason: "rupture".into(),
                },
            ),
            (
                "{\"kind\":\"substitution\",\"dispensed_product\":\"X\"}",
                Intervention::Substitution {
                    dispensed_product: "X".into(),
                    prescriber_agreement: None,
                },
            ),
        ];
        for (text, want) in cases {
            let got: Intervention = serde_json::from_str(text).unwrap();
            assert_eq!(got, want, "{text}");
            // What the crate writes reads back.
            let again = serde_json::to_string(&got).unwrap();
            assert_eq!(serde_json::from_str::<Intervention>(&again).unwrap(), want);
        }
        let e = serde_json::from_str::<Intervention>("{\"kind\":\"refund\"}").unwrap_err();
        assert!(e.to_string().starts_with("unknown variant `refund`"), "{e}");
        let e = serde_json::from_str::<Intervention>("{\"reason\":\"x\"}").unwrap_err();
        assert!(e.to_string().starts_with("missing field `kind`"), "{e}");
    }
}
