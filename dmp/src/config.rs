//! `dmp.toml`: what a DMP client needs to know that is not in the request itself.
//!
//! The file is written by `segur dmp simulate --write-config DIR` for the simulator's own test PKI
//! and read by `segur dmp --config FILE ...`. Relative paths are resolved against the directory of
//! the file. Production DMP hosts are not public (`shared/specs/dmp.md` §1.4): the endpoint is
//! always the caller's.
//!
//! ```toml
//! endpoint = "https://127.0.0.1:4443/si-dmp-server/v2/services"
//! mode = "indirecte_renforcee"          # directe | indirecte | indirecte_renforcee
//! ins_oid = "1.2.250.1.213.1.4.10"       # optional: authority of a bare `--ins` matricule
//!                                        # (default 1.2.250.1.213.1.4.8, INS-NIR)
//! web_url = "https://dmp.example"        # optional: the professionals' web site (DMP button)
//! authn_context = "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered"
//!                                        # optional: VIHF AuthnContextClassRef (default
//!                                        # SmartcardPKI; the PSC value above: TO VERIFY)
//!
//! [tls]
//! ca = "ca.pem"                          # trust anchors for the DMP server (PEM)
//! client_certificate = "client.pem"      # ORG_AUTH_CLI certificate chain (PEM)
//! client_key = "client-key.pem"          # its private key (PEM, PKCS#8)
//!
//! [signing]                              # ORG_SIGN: VIHF and XAdES signatures
//! certificate = "sign.pem"
//! key = "sign-key.pem"
//!
//! [professional]
//! national_id = "810100000001"           # 8 + RPPS
//! family_name = "PHARMACIEN"
//! given_name = "PAUL"
//! profession = "21"                      # TRE_G15 (21 = pharmacien)
//! pharmacist_section = "A"               # TRE_G05 CNOP sub-section (A = titulaire d'officine)
//!
//! [structure]
//! national_id = "3123456789012345"       # Struct_IdNat (3 + SIRET or 1 + FINESS)
//! name = "PHARMACIE DU CENTRE"
//! activity_sector = "SA33"               # TRE_R02
//!
//! [software]
//! name = "segur"
//! version = "0.1.0"
//! id = "segur"                            # LPS_ID (optional)
//! homologation = "TEST-SEGUR-0001"       # LPS_ID_HOMOLOGATION_DMP: never logged nor printed
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The authentication mode written in the VIHF (`Authentification_mode`, `shared/specs/dmp.md`
/// §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// DIRECTE: the pharmacist's CPS card authenticates the TLS session.
    Directe,
    /// INDIRECTE: the structure's certificates, the professional authenticated locally.
    Indirecte,
    /// INDIRECTE_RENFORCEE (AIR): indirect mode with reinforced local authentication.
    IndirecteRenforcee,
}

/// TLS material of the client (paths as written in the file).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// Trust anchors of the DMP server (PEM).
    pub ca: PathBuf,
    /// The ORG_AUTH_CLI certificate chain (PEM).
    pub client_certificate: PathBuf,
    /// Its private key (PEM).
    pub client_key: PathBuf,
}

/// The ORG_SIGN signing material (PEM certificate and key).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningFiles {
    /// The signing certificate (PEM), sent in `KeyInfo`.
    pub certificate: PathBuf,
    /// Its private key (PEM).
    pub key: PathBuf,
}

/// The professional on whose behalf requests are made.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfessionalConfig {
    /// National identifier (`8` + RPPS).
    pub national_id: String,
    /// Family name.
    pub family_name: String,
    /// Given name.
    pub given_name: String,
    /// Profession code, TRE_G15 (`21` pharmacien).
    pub profession: String,
    /// CNOP sub-section, TRE_G05, for pharmacists (second VIHF role).
    #[serde(default)]
    pub pharmacist_section: Option<String>,
}

impl std::fmt::Debug for ProfessionalConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfessionalConfig")
            .field("profession", &self.profession)
            .field("pharmacist_section", &self.pharmacist_section)
            .finish_non_exhaustive()
    }
}

/// The health structure (officine).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StructureConfig {
    /// Struct_IdNat (`3` + SIRET, `1` + FINESS...).
    pub national_id: String,
    /// Name of the structure.
    pub name: String,
    /// Activity sector, TRE_R02 (`SA33` pharmacie d'officine).
    pub activity_sector: String,
}

/// The software (LPS) identification of the VIHF.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SoftwareConfig {
    /// `LPS_Nom`.
    pub name: String,
    /// `LPS_Version`.
    pub version: String,
    /// `LPS_ID` (optional).
    #[serde(default)]
    pub id: Option<String>,
    /// `LPS_ID_HOMOLOGATION_DMP`: the homologation number, never logged nor printed.
    pub homologation: String,
}

impl std::fmt::Debug for SoftwareConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwareConfig")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("id", &self.id)
            .field("homologation", &"<redacted>")
            .finish()
    }
}

/// The whole `dmp.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DmpConfig {
    /// Base URL of the services: `https://HOST[:PORT]/si-dmp-server/v2/services`.
    pub endpoint: String,
    /// VIHF authentication mode.
    pub mode: AuthMode,
    /// Authority OID of a matricule given alone (`segur dmp ... --ins`): `1.2.250.1.213.1.4.10`
    /// for the test patients of the DMP test platform; INS-NIR (`.8`) when absent.
    #[serde(default)]
    pub ins_oid: Option<String>,
    /// Root of the professionals' DMP web site for the context-passing URLs
    /// (`shared/specs/dmp.md` §13; the production domain is TO VERIFY).
    #[serde(default)]
    pub web_url: Option<String>,
    /// The VIHF `AuthnContextClassRef`: how the professional authenticated locally, which it
    /// must match (IGV, `shared/specs/dmp.md` §2.1). Default
    /// [`crate::vihf::AUTHN_SMARTCARD_PKI`] (every official example); with Pro Santé Connect,
    /// ANS's VIHF generator writes [`crate::vihf::AUTHN_PSC_MOBILE_TWO_FACTOR`]. The values the
    /// DMP accepts are TO VERIFY.
    #[serde(default)]
    pub authn_context: Option<String>,
    /// Mutual-TLS material.
    pub tls: TlsFiles,
    /// Signing material (ORG_SIGN).
    pub signing: SigningFiles,
    /// The professional.
    pub professional: ProfessionalConfig,
    /// The structure.
    pub structure: StructureConfig,
    /// The software.
    pub software: SoftwareConfig,
}

/// Why `dmp.toml` could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the DMP configuration: {0}")]
    Io(#[from] std::io::Error),
    /// The file is not valid TOML or misses a field (serde's message names the key, never a value).
    #[error("invalid DMP configuration: {0}")]
    Toml(String),
}

impl DmpConfig {
    /// Reads `path` and resolves the certificate paths against its directory.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)?;
        let mut config = Self::from_toml(&text)?;
        if let Some(dir) = path.parent() {
            config.resolve_paths(dir);
        }
        Ok(config)
    }

    /// Parses the TOML text (paths stay as written).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Toml(e.message().to_owned()))
    }

    fn resolve_paths(&mut self, dir: &Path) {
        for p in [
            &mut self.tls.ca,
            &mut self.tls.client_certificate,
            &mut self.tls.client_key,
            &mut self.signing.certificate,
            &mut self.signing.key,
        ] {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        }
    }
}
