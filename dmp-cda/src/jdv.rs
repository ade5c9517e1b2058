//! ANS value sets (jeux de valeurs, JDV) as Rust enums, generated from the SVS files of the
//! official kit (`tests/jdv_generated.rs` regenerates and checks `jdv_generated.rs`).
//!
//! The DMP checks code, codeSystem and displayName together (cda.md §1a), so every member
//! carries its exact triplet. Serde form: the code string.

use crate::model::Code;

/// Common behaviour of the generated value-set enums.
pub trait ValueSet: Sized + Copy + 'static {
    /// OID of the value set.
    const OID: &'static str;
    /// Version (`dateMaj`) of the value set.
    const VERSION: &'static str;
    /// Every member.
    fn all() -> &'static [Self];
    /// `(code, codeSystem, displayName)`.
    fn triplet(self) -> (&'static str, &'static str, &'static str);
    /// The code.
    fn code(self) -> &'static str {
        self.triplet().0
    }
    /// The code system OID.
    fn code_system(self) -> &'static str {
        self.triplet().1
    }
    /// The display name.
    fn display_name(self) -> &'static str {
        self.triplet().2
    }
    /// As a [`Code`].
    fn to_code(self) -> Code {
        let (c, s, d) = self.triplet();
        Code::new(c, s, d)
    }
    /// The member with this code.
    fn from_code(code: &str) -> Option<Self> {
        Self::all().iter().copied().find(|m| m.code() == code)
    }
    /// Whether a code/system/display triplet belongs to the value set exactly.
    fn contains(code: &Code) -> bool {
        Self::all().iter().any(|m| {
            let (c, s, d) = m.triplet();
            c == code.code && s == code.code_system && code.display_name.as_deref() == Some(d)
        })
    }
}

macro_rules! value_set {
    ($t:ident) => {
        impl ValueSet for $t {
            const OID: &'static str = $t::VALUE_SET_OID;
            const VERSION: &'static str = $t::VALUE_SET_VERSION;
            fn all() -> &'static [Self] {
                $t::ALL
            }
            fn triplet(self) -> (&'static str, &'static str, &'static str) {
                $t::triplet(self)
            }
        }
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                <$t as ValueSet>::from_code(&s).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "{:?} is not in value set {} ({})",
                        s,
                        stringify!($t),
                        $t::VALUE_SET_OID
                    ))
                })
            }
        }
    };
}

include!("jdv_generated.rs");
