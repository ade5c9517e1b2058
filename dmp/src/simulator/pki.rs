//! The simulator's test PKI, made at start-up: one CA issuing the server certificate, the
//! structure's ORG_AUTH_CLI (TLS client) certificate and its ORG_SIGN (VIHF and XAdES cachet)
//! certificate, as the IGC-Santé does for a real structure (`shared/specs/dmp.md` §2.3, §2.5,
//! §10).
//!
//! Keys are RSA 2048: the DMP's TLS suites are `TLS_ECDHE_RSA_*` (FI-579) and its signatures
//! RSA-SHA1 / RSA-SHA256 (§2.4). `ring` cannot generate RSA keys, so `rsa` generates them and
//! `rcgen` issues the certificates. The ORG_AUTH_CLI and ORG_SIGN certificates carry the same
//! subject DN: the DMP requires the TLS and signing DNs to be identical in indirect mode (PSC
//! README, §2.1).

use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use zeroize::Zeroizing;

use super::SimulatorError;

/// File names the PKI is written under (the `segur dmp simulate --write-config` contract).
pub mod files {
    /// The CA certificate (trust anchor of the server and of every issued certificate).
    pub const CA: &str = "ca.pem";
    /// The ORG_AUTH_CLI certificate.
    pub const CLIENT: &str = "client.pem";
    /// Its private key (PKCS#8).
    pub const CLIENT_KEY: &str = "client-key.pem";
    /// The ORG_SIGN certificate.
    pub const SIGN: &str = "sign.pem";
    /// Its private key (PKCS#8).
    pub const SIGN_KEY: &str = "sign-key.pem";
}

/// Who the issued certificates name: the structure (`OU` = its national identifier, as in the
/// IGC-Santé organisation certificates of the official examples) and its name.
#[derive(Debug, Clone)]
pub struct PkiSubject {
    /// Struct_IdNat of the structure, written as the `OU` of both structure certificates.
    pub structure_id: String,
    /// Name of the structure, written as the `O`.
    pub structure_name: String,
}

/// A certificate and its private key, as PEM. The key is zeroized when dropped.
pub struct Issued {
    /// The certificate (PEM).
    pub cert_pem: String,
    /// The certificate (DER).
    pub cert_der: Vec<u8>,
    /// The private key (PKCS#8 PEM).
    pub key_pem: Zeroizing<String>,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("cert_der_bytes", &self.cert_der.len())
            .finish_non_exhaustive()
    }
}

/// The whole test PKI.
#[derive(Debug)]
pub struct TestPki {
    /// The CA certificate (PEM); its key is dropped once the certificates are issued.
    pub ca_pem: String,
    /// The CA certificate (DER).
    pub ca_der: Vec<u8>,
    /// The server certificate (names `localhost` and `127.0.0.1`).
    pub server: Issued,
    /// ORG_AUTH_CLI: key usage digitalSignature, extended key usage clientAuth.
    pub client: Issued,
    /// ORG_SIGN: key usages digitalSignature and nonRepudiation, extended key usage
    /// emailProtection (the signing certificate of the official INDIRECTE example).
    pub sign: Issued,
}

fn rsa_key() -> Result<(KeyPair, Zeroizing<String>), SimulatorError> {
    let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048)
        .map_err(|e| SimulatorError::Pki(format!("RSA key generation: {e}")))?;
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| SimulatorError::Pki(format!("PKCS#8 encoding: {e}")))?;
    let pair = KeyPair::from_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256)
        .map_err(|e| SimulatorError::Pki(format!("RSA key: {e}")))?;
    Ok((pair, Zeroizing::new(pem.to_string())))
}

fn dn(parts: &[(DnType, &str)]) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    for (t, v) in parts {
        dn.push(t.clone(), *v);
    }
    dn
}

fn pki_error(e: rcgen::Error) -> SimulatorError {
    SimulatorError::Pki(e.to_string())
}

impl TestPki {
    /// Makes a fresh CA and its three certificates (four RSA 2048 keys).
    pub fn generate(subject: &PkiSubject) -> Result<Self, SimulatorError> {
        let (ca_key, _) = rsa_key()?;
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(pki_error)?;
        ca.distinguished_name = dn(&[
            (DnType::CountryName, "FR"),
            (DnType::OrganizationName, "SEGUR"),
            (DnType::CommonName, "SEGUR TEST AC SIMULATEUR DMP"),
        ]);
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca.self_signed(&ca_key).map_err(pki_error)?;

        let issue = |params: CertificateParams| -> Result<Issued, SimulatorError> {
            let (key, key_pem) = rsa_key()?;
            let cert = params
                .signed_by(&key, &ca_cert, &ca_key)
                .map_err(pki_error)?;
            Ok(Issued {
                cert_pem: cert.pem(),
                cert_der: cert.der().to_vec(),
                key_pem,
            })
        };

        let mut server = CertificateParams::new(vec!["localhost".to_owned()]).map_err(pki_error)?;
        server
            .subject_alt_names
            .push(SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()));
        server.distinguished_name = dn(&[
            (DnType::CountryName, "FR"),
            (DnType::OrganizationName, "SEGUR"),
            (DnType::CommonName, "localhost"),
        ]);
        server.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];

        let structure_dn = dn(&[
            (DnType::CountryName, "FR"),
            (DnType::OrganizationName, &subject.structure_name),
            (DnType::OrganizationalUnitName, &subject.structure_id),
            (DnType::CommonName, "lgo.segur.test"),
        ]);
        let mut client = CertificateParams::new(Vec::<String>::new()).map_err(pki_error)?;
        client.distinguished_name = structure_dn.clone();
        client.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];

        let mut sign = CertificateParams::new(Vec::<String>::new()).map_err(pki_error)?;
        sign.distinguished_name = structure_dn;
        sign.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::ContentCommitment,
        ];
        sign.extended_key_usages = vec![ExtendedKeyUsagePurpose::EmailProtection];

        Ok(Self {
            server: issue(server)?,
            client: issue(client)?,
            sign: issue(sign)?,
            ca_pem: ca_cert.pem(),
            ca_der: ca_cert.der().to_vec(),
        })
    }

    /// Writes `ca.pem`, `client.pem`, `client-key.pem`, `sign.pem` and `sign-key.pem` into
    /// `dir` (created if needed). Key files are created with mode 0600 on Unix.
    pub fn write_pem(&self, dir: &Path) -> Result<(), SimulatorError> {
        std::fs::create_dir_all(dir)?;
        write_file(&dir.join(files::CA), self.ca_pem.as_bytes(), false)?;
        write_file(
            &dir.join(files::CLIENT),
            self.client.cert_pem.as_bytes(),
            false,
        )?;
        write_file(
            &dir.join(files::CLIENT_KEY),
            self.client.key_pem.as_bytes(),
            true,
        )?;
        write_file(&dir.join(files::SIGN), self.sign.cert_pem.as_bytes(), false)?;
        write_file(
            &dir.join(files::SIGN_KEY),
            self.sign.key_pem.as_bytes(),
            true,
        )?;
        Ok(())
    }
}

fn write_file(path: &Path, data: &[u8], secret: bool) -> Result<(), SimulatorError> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut f = options.open(path)?;
    f.write_all(data)?;
    Ok(())
}
