//! Typed errors of the crate. None of them ever carries patient data (no digits of a matricule,
//! no name): only reasons, positions and, for keys, the expected and found key.

/// Language of a human-readable error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// French.
    Fr,
}

/// Why a text is not a valid INS matricule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MatriculeError {
    /// Not 13 or 15 significant characters (separators ` `, `.`, `-` are not counted).
    #[error("a matricule has 13 or 15 characters, found {found}")]
    Length {
        /// Significant characters found.
        found: usize,
    },
    /// A character other than a digit, a letter or a separator (1-based position in the input).
    #[error("invalid character at position {position}")]
    InvalidChar {
        /// 1-based character position in the input.
        position: usize,
    },
    /// A letter anywhere but in the department position as `2A`/`2B` (décret 82-103 art. 4).
    #[error("letter at position {position}: letters are only allowed as department 2A or 2B")]
    LetterOutsideDepartment {
        /// 1-based character position in the input.
        position: usize,
    },
    /// The key field holds something other than two digits.
    #[error("the key must be two digits")]
    InvalidKeyField,
    /// Key `00` or above `97`: `97 − (N mod 97)` is always in 01..=97.
    #[error("key {found:02} is impossible (a key is 01 to 97)")]
    KeyOutOfRange {
        /// Key found.
        found: u8,
    },
    /// The key does not match the body (`97 − (N mod 97)`, 2A→19, 2B→18).
    #[error("key mismatch: expected {expected:02}, found {found:02}")]
    KeyMismatch {
        /// Key computed from the body.
        expected: u8,
        /// Key found in the input.
        found: u8,
    },
    /// Sex digit 7 or 8: a numéro national provisoire (NNP), never an INS (CNAM nir-validation).
    #[error("sex digit 7/8: a provisional number (NNP) is not an INS matricule")]
    Nnp,
    /// Sex digit 5 or 6: a migrant de passage number (MIG), never an INS.
    #[error("sex digit 5/6: a transit migrant number (MIG) is not an INS matricule")]
    Mig,
    /// Sex digit 3 or 4: a foreigner being registered; not a NIR (CNAM).
    #[error("sex digit 3/4: a number of a person being registered is not an INS matricule")]
    ForeignerInRegistration,
    /// Sex digit 0 or 9.
    #[error("the first digit (sex) must be 1 or 2")]
    InvalidSexDigit,
    /// Order number `000` (positions 11–13) is never assigned.
    #[error("order number 000 is never assigned")]
    OrderZero,
}

impl MatriculeError {
    /// Stable machine-readable reason code (used by `segur ins check` and the C API).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Length { .. } => "length",
            Self::InvalidChar { .. } => "invalid-char",
            Self::LetterOutsideDepartment { .. } => "letter-position",
            Self::InvalidKeyField => "key-format",
            Self::KeyOutOfRange { .. } => "key-out-of-range",
            Self::KeyMismatch { .. } => "key-mismatch",
            Self::Nnp => "nnp",
            Self::Mig => "mig",
            Self::ForeignerInRegistration => "sex-3-4",
            Self::InvalidSexDigit => "sex-digit",
            Self::OrderZero => "order-000",
        }
    }

    /// 1-based position in the input the error points at, when it has one.
    pub fn position(&self) -> Option<usize> {
        match self {
            Self::InvalidChar { position } | Self::LetterOutsideDepartment { position } => {
                Some(*position)
            }
            Self::InvalidKeyField | Self::KeyOutOfRange { .. } | Self::KeyMismatch { .. } => {
                Some(14)
            }
            Self::Nnp | Self::Mig | Self::ForeignerInRegistration | Self::InvalidSexDigit => {
                Some(1)
            }
            Self::OrderZero => Some(11),
            Self::Length { .. } => None,
        }
    }

    /// Human message in the given language.
    pub fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Fr => match self {
                Self::Length { found } => {
                    format!("un matricule comporte 13 ou 15 caractères, {found} trouvés")
                }
                Self::InvalidChar { position } => {
                    format!("caractère invalide en position {position}")
                }
                Self::LetterOutsideDepartment { position } => format!(
                    "lettre en position {position} : seules 2A et 2B (Corse) sont admises en département"
                ),
                Self::InvalidKeyField => "la clé doit comporter deux chiffres".into(),
                Self::KeyOutOfRange { found } => {
                    format!("clé {found:02} impossible (une clé va de 01 à 97)")
                }
                Self::KeyMismatch { expected, found } => {
                    format!("clé erronée : {expected:02} attendue, {found:02} trouvée")
                }
                Self::Nnp => {
                    "sexe 7/8 : un numéro national provisoire (NNP) n'est pas un matricule INS"
                        .into()
                }
                Self::Mig => {
                    "sexe 5/6 : un numéro de migrant de passage (MIG) n'est pas un matricule INS"
                        .into()
                }
                Self::ForeignerInRegistration => {
                    "sexe 3/4 : un numéro en cours d'immatriculation n'est pas un matricule INS"
                        .into()
                }
                Self::InvalidSexDigit => "le premier chiffre (sexe) doit être 1 ou 2".into(),
                Self::OrderZero => "le numéro d'ordre 000 n'est jamais attribué".into(),
            },
        }
    }
}

/// Errors about an INS (matricule + authority OID).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InsError {
    /// The matricule itself is invalid.
    #[error("invalid matricule: {0}")]
    Matricule(#[from] MatriculeError),
    /// `1.2.250.1.213.1.4.2`: the legacy INS-C, superseded and never a valid INS today.
    #[error("the legacy INS-C authority (1.2.250.1.213.1.4.2) is no longer a valid INS")]
    LegacyInsC,
    /// An OID that is not one of the four INS authorities.
    #[error("unknown INS authority OID")]
    UnknownAuthority,
}

impl InsError {
    /// Stable machine-readable reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Matricule(e) => e.code(),
            Self::LegacyInsC => "ins-c",
            Self::UnknownAuthority => "unknown-oid",
        }
    }
}

/// Why a name trait cannot be normalised to the INSi character profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NormalizeError {
    /// Empty (or only made of removable nothing).
    #[error("empty value")]
    Empty,
    /// A character with no defined equivalent in A–Z, space, `'`, `-` (1-based position).
    #[error("character at position {position} has no equivalent in the INS character set")]
    UnsupportedChar {
        /// 1-based character position in the input.
        position: usize,
    },
    /// First character is a space or a hyphen (SEL-MP-043 §3.4.1).
    #[error("a name may not start with a space or a hyphen")]
    LeadingSeparator,
    /// Ends with a space.
    #[error("a name may not end with a space")]
    TrailingSpace,
    /// A given name ending with `-` or `'` (SEL-MP-043 §3.4.1).
    #[error("a given name may not end with a hyphen or an apostrophe")]
    TrailingSeparatorInGivenName,
    /// Doubled or combined separators (`"  "`, `"''"`, `" '"`, `"- "`, `"---"`...) at a position.
    #[error("doubled or combined separators at position {position}")]
    CombinedSeparators {
        /// 1-based position (in the normalised value) of the second separator.
        position: usize,
    },
    /// `--` is only allowed in a birth name (legacy "double nom" separator).
    #[error("a double hyphen is only allowed in a birth name (position {position})")]
    DoubleHyphenInGivenName {
        /// 1-based position (in the normalised value) of the second hyphen.
        position: usize,
    },
    /// Longer than the configured maximum (default 100 characters).
    #[error("{length} characters, more than the maximum of {max}")]
    TooLong {
        /// Normalised length.
        length: usize,
        /// Configured maximum.
        max: usize,
    },
}

impl NormalizeError {
    /// Stable machine-readable reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::UnsupportedChar { .. } => "unsupported-char",
            Self::LeadingSeparator => "leading-separator",
            Self::TrailingSpace => "trailing-space",
            Self::TrailingSeparatorInGivenName => "trailing-separator",
            Self::CombinedSeparators { .. } => "combined-separators",
            Self::DoubleHyphenInGivenName { .. } => "double-hyphen",
            Self::TooLong { .. } => "too-long",
        }
    }

    /// Human message in the given language.
    pub fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Fr => match self {
                Self::Empty => "valeur vide".into(),
                Self::UnsupportedChar { position } => format!(
                    "le caractère en position {position} n'a pas d'équivalent dans le jeu de caractères INS"
                ),
                Self::LeadingSeparator => {
                    "un nom ne peut pas commencer par une espace ou un tiret".into()
                }
                Self::TrailingSpace => "un nom ne peut pas finir par une espace".into(),
                Self::TrailingSeparatorInGivenName => {
                    "un prénom ne peut pas finir par un tiret ou une apostrophe".into()
                }
                Self::CombinedSeparators { position } => {
                    format!("séparateurs doublés ou combinés en position {position}")
                }
                Self::DoubleHyphenInGivenName { position } => format!(
                    "le double tiret n'est admis que dans le nom de naissance (position {position})"
                ),
                Self::TooLong { length, max } => {
                    format!("{length} caractères, plus que le maximum de {max}")
                }
            },
        }
    }
}

/// Errors about the strict traits and their consistency.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TraitError {
    /// A name trait failed normalisation.
    #[error("{field}: {source}")]
    Name {
        /// Which trait (`birth_name`, `given_names[2]`, `first_given_name`...).
        field: &'static str,
        /// The reason.
        source: NormalizeError,
    },
    /// The list of birth given names is empty.
    #[error("the list of birth given names is empty")]
    NoGivenName,
    /// [EXI ID 10]: the first given name must be the first given name(s) of the list, hyphens and
    /// apostrophes counting as spaces.
    #[error(
        "the first given name is not consistent with the list of birth given names (EXI ID 10)"
    )]
    FirstGivenNameInconsistent,
    /// Sex other than `M`/`F` (INSi EF_INS25_04).
    #[error("sex must be M or F")]
    Sex,
    /// "Indéterminé" is a local value that can never be sent (INSi, datamatrix).
    #[error("the local sex \"indéterminé\" cannot be transmitted")]
    IndeterminateSex,
    /// Date not of the form `YYYY-MM-DD` / `YYYYMMDD`.
    #[error("birth date must be YYYY-MM-DD or YYYYMMDD")]
    DateFormat,
    /// An incomplete or non-calendar ("lunar") date where a calendar date is required (EXI ID 12).
    #[error("a calendar birth date is required, this one is incomplete or non-calendar")]
    NotACalendarDate,
    /// Birthplace not an INSEE COG code (5 characters: 2 digits or 2A/2B, then 3 digits).
    #[error("birthplace must be an INSEE COG code (5 characters, 99xxx for a country)")]
    BirthPlace,
}

impl TraitError {
    /// Stable machine-readable reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Name { source, .. } => source.code(),
            Self::NoGivenName => "no-given-name",
            Self::FirstGivenNameInconsistent => "first-given-name",
            Self::Sex => "sex",
            Self::IndeterminateSex => "sex-indeterminate",
            Self::DateFormat => "date-format",
            Self::NotACalendarDate => "date-not-calendar",
            Self::BirthPlace => "birthplace",
        }
    }
}
