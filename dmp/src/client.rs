//! The blocking DMP client: one [`HttpClient`] with the DMP TLS policy (FI-579: TLS 1.2, AEAD
//! suites, mutual TLS with the ORG_AUTH_CLI certificate, the server verified against the
//! configured roots; `segur_net::tls::TlsPolicy::dmp`), the VIHF of each request, and the
//! transactions of [`crate::transaction::Transaction`].
//!
//! Rules it keeps:
//! - a document counts as fed only after a `RegistryResponse` Success ([`FeedOutcome`]);
//! - a feed that times out or loses its connection is never blindly re-sent: the registry is
//!   first searched for the document's uniqueId (TD3.1 GetDocuments), and the feed is re-sent
//!   only when it is absent, so a retry never creates a duplicate;
//! - a retrieved document is checked against the size and SHA-1 of its registry entry (STD).
//!
//! With a signer (the ORG_SIGN key of `dmp.toml`, or any [`Signer`] such as the CPS card's
//! signature key), the VIHF carries its enveloped signature after `Issuer` (§2.4) and every
//! feed its XAdES-signed submission set (§5.3); without one, both go unsigned (DIRECTE, where
//! whether the DMP requires the signature is TO VERIFY, §2.3).
//!
//! With a Pro Santé Connect token provider ([`DmpClient::with_bearer_tokens`]), every request
//! also carries `Authorization: Bearer <token>`, the token asked of the provider just before the
//! request is sent: the IG of the API gateway sends legacy SOAP services the VIHF in the SOAP
//! header and the API token in `Authorization` (`shared/specs/psc.md` §7). Whether and how the
//! DMP itself checks a PSC token is not published (psc.md §10: TO VERIFY), so the mode is opt-in
//! and changes nothing else in the request.

use std::sync::{Arc, Mutex};

use segur_net::http::{HttpClient, HttpError, HttpLimits, HttpResponse};
use segur_net::sign::Signer;
use segur_net::soap::SoapVersion;
use segur_net::tls::{ClientIdentity, TlsPolicy, TlsSettings, TrustAnchors};
use segur_net::token::{TokenError, TokenProvider};
use zeroize::Zeroizing;

use crate::config::DmpConfig;
use crate::error::{DmpError, ResponseError};
use crate::patient::DmpPatient;
use crate::registry::RegistryResponse;
use crate::response::{ResponseLimits, with_body};
use crate::td02::{ExistenceTest, HlSender, SEGUR_LPS_OID};
use crate::td03::{AuthorizationAction, ServiceOutput};
use crate::td21::{FeedDocument, FeedOptions};
use crate::td31::FindDocuments;
use crate::td32::RetrievedDocument;
use crate::td33::{ConfidentialityChange, StatusChange, Submitter};
use crate::transaction::{Transaction, envelope};
use crate::view::DocumentView;
use crate::vihf::{Homologation, Software, VihfBuilder, issuer_dn};

/// What a feed achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedOutcome {
    /// The DMP answered Success.
    Fed,
    /// The exchange broke, and the search that followed found the uniqueId in the registry:
    /// the first attempt had been registered.
    AlreadyPresent,
}

/// A signer shared by the requests of one client.
pub type SharedSigner = Arc<Mutex<Box<dyn Signer + Send>>>;

/// The DMP client.
#[derive(Clone)]
pub struct DmpClient {
    signer: Option<SharedSigner>,
    /// The Pro Santé Connect token source of [`Self::with_bearer_tokens`].
    tokens: Option<Arc<dyn TokenProvider>>,
    http: HttpClient,
    base: String,
    vihf: VihfBuilder,
    sender: HlSender,
    submitter: Submitter,
    source_id: String,
    limits: ResponseLimits,
}

impl std::fmt::Debug for DmpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DmpClient")
            .field("base", &self.base)
            .field("signed", &self.signer.is_some())
            .field("bearer_tokens", &self.tokens.is_some())
            .finish_non_exhaustive()
    }
}

fn read(what: &'static str, path: &std::path::Path) -> Result<Vec<u8>, DmpError> {
    std::fs::read(path).map_err(|source| DmpError::File { what, source })
}

impl DmpClient {
    /// A client from `dmp.toml` (see [`crate::config`]), with default HTTP limits.
    pub fn from_config(config: &DmpConfig) -> Result<Self, DmpError> {
        Self::from_config_with_limits(config, HttpLimits::default())
    }

    /// A client from `dmp.toml` with explicit HTTP limits.
    pub fn from_config_with_limits(
        config: &DmpConfig,
        limits: HttpLimits,
    ) -> Result<Self, DmpError> {
        let anchors = TrustAnchors::from_pem(&read("the DMP trust anchors", &config.tls.ca)?)?;
        let identity = ClientIdentity::from_pem(
            &read("the TLS client certificate", &config.tls.client_certificate)?,
            &zeroize::Zeroizing::new(read("the TLS client key", &config.tls.client_key)?),
        )?;
        let signing_key = zeroize::Zeroizing::new(read("the signing key", &config.signing.key)?);
        let signing = ClientIdentity::from_pem(
            &read("the signing certificate", &config.signing.certificate)?,
            &signing_key,
        )?;
        let signer = crate::signing::PemSigner::from_pem(
            &signing_key,
            signing.chain().iter().map(|c| c.to_vec()).collect(),
        )?;
        let signing_cert =
            signing
                .chain()
                .first()
                .ok_or(DmpError::Tls(segur_net::tls::TlsError::Missing {
                    what: "signing certificate",
                    missing: "certificate",
                }))?;
        let settings = TlsSettings::with_policy(&TlsPolicy::dmp(), &anchors, Some(&identity))?;
        let p = &config.professional;
        let s = &config.structure;
        let software = Software {
            name: config.software.name.clone(),
            version: config.software.version.clone(),
            id: config.software.id.clone(),
            homologation: Homologation::new(config.software.homologation.clone()),
        };
        let mut vihf = VihfBuilder::new(
            config.mode,
            issuer_dn(signing_cert)?,
            p.national_id.clone(),
            s.national_id.clone(),
            s.activity_sector.clone(),
            &p.profession,
            software,
        )
        .subject_id(format!("{} {}", p.family_name, p.given_name));
        if let Some(section) = &p.pharmacist_section {
            vihf = vihf.pharmacist_section(section);
        }
        if let Some(class_ref) = &config.authn_context {
            vihf = vihf.authn_context(class_ref);
        }
        let v2 = |s: &str| s.replace(['^', '&', '|', '~', '\\'], " ");
        let submitter = Submitter {
            author_person: format!(
                "{}^{}^{}^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS",
                v2(&p.national_id),
                v2(&p.family_name),
                v2(&p.given_name)
            ),
            author_institution: format!(
                "{}^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^{}",
                v2(&s.name),
                v2(&s.national_id)
            ),
            source_id: SEGUR_LPS_OID.to_owned(),
            // The contentTypeCode of TD3.3 submission sets: the EX value (JDV_J59 `04`); the
            // code the DMP expects from a pharmacy is TO VERIFY (§5.2). `DmpClient::new` takes
            // any `Submitter`.
            content_type: (
                "04".to_owned(),
                "1.2.250.1.213.2.2".to_owned(),
                "Hospitalisation de jour".to_owned(),
            ),
        };
        Ok(Self {
            signer: Some(Arc::new(Mutex::new(Box::new(signer)))),
            tokens: None,
            http: HttpClient::new(&settings, limits),
            base: config.endpoint.clone(),
            vihf,
            sender: HlSender {
                oid: SEGUR_LPS_OID.to_owned(),
                software_name: config.software.name.clone(),
            },
            submitter,
            source_id: SEGUR_LPS_OID.to_owned(),
            limits: ResponseLimits::default(),
        })
    }

    /// A client from its parts (signer of the VIHF and XAdES signatures, TLS settings of
    /// [`TlsPolicy::dmp`], services base URL, VIHF builder, HL7 sender, submitter of updates).
    pub fn new(
        signer: Option<SharedSigner>,
        settings: &TlsSettings,
        limits: HttpLimits,
        base: impl Into<String>,
        vihf: VihfBuilder,
        sender: HlSender,
        submitter: Submitter,
    ) -> Self {
        Self {
            signer,
            tokens: None,
            http: HttpClient::new(settings, limits),
            base: base.into(),
            source_id: submitter.source_id.clone(),
            vihf,
            sender,
            submitter,
            limits: ResponseLimits::default(),
        }
    }

    /// Pro Santé Connect: every later request carries `Authorization: Bearer <token>` (RFC 6750
    /// §2.1) with a token asked of `tokens` just before it is sent, so a provider that refreshes
    /// (the proxy e-Santé session of `segur-psc`, a `TokenCache`) is asked again for each
    /// request. A token the provider cannot give, or one already expired, fails the request with
    /// [`DmpError::Token`] before anything is sent. The VIHF and the TLS client certificate are
    /// unchanged (the structure's, §2.5); the PSC transport is TO VERIFY (psc.md §7, §10).
    /// Replaces a provider set before.
    pub fn with_bearer_tokens(mut self, tokens: Arc<dyn TokenProvider>) -> Self {
        self.tokens = Some(tokens);
        self
    }

    /// The `Authorization` value of the next request, when a token provider is set.
    fn bearer(&self) -> Result<Option<Zeroizing<String>>, DmpError> {
        let Some(tokens) = &self.tokens else {
            return Ok(None);
        };
        let token = tokens.access_token()?;
        if token.expires_within(std::time::Duration::ZERO) {
            return Err(TokenError::Expired.into());
        }
        Ok(Some(Zeroizing::new(format!("Bearer {}", token.expose()))))
    }

    /// The VIHF for `patient`, as sent in `wsse:Security` (signed when the client has a
    /// signer).
    pub fn assertion(&self, patient: &DmpPatient) -> Result<String, DmpError> {
        let vihf = self.vihf.build(patient)?;
        match &self.signer {
            Some(s) => {
                let mut guard = s.lock().map_err(|_| {
                    segur_net::sign::SignError::Key("the signer lock is poisoned".into())
                })?;
                Ok(crate::signing::sign_vihf(&vihf, guard.as_mut())?)
            }
            None => Ok(vihf.xml().to_owned()),
        }
    }

    fn post(
        &self,
        tx: Transaction,
        content_type: &str,
        body: &[u8],
    ) -> Result<HttpResponse, DmpError> {
        let bearer = self.bearer()?;
        let headers: Vec<(&str, &str)> = bearer
            .as_ref()
            .map(|b| vec![("Authorization", b.as_str())])
            .unwrap_or_default();
        match self
            .http
            .post(&tx.url(&self.base), content_type, &headers, body)
        {
            Ok(r) => Ok(r),
            Err(HttpError::Status { code, response }) => {
                // A SOAP fault comes with HTTP 500 (SOAP 1.2 Part 2 §7.5.1.2; DB reads it).
                let fault = with_body(
                    response.content_type.as_deref(),
                    &response.body,
                    self.limits,
                    |_, _| Ok(()),
                );
                match fault {
                    Err(e @ DmpError::Fault(_)) => Err(e),
                    _ => Err(DmpError::Http(HttpError::Status { code, response })),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    fn call<T>(
        &self,
        tx: Transaction,
        patient: &DmpPatient,
        body: &str,
        read: impl FnOnce(
            &segur_net::xml::Element<'_>,
            Option<&segur_net::soap::mtom::MtomPackage<'_>>,
        ) -> Result<T, DmpError>,
    ) -> Result<T, DmpError> {
        let assertion = self.assertion(patient)?;
        let env = envelope(tx, &tx.url(&self.base), &assertion, body)?;
        let content_type = format!(
            "{}; charset=UTF-8; action=\"{}\"",
            SoapVersion::Soap12.media_type(),
            tx.action()
        );
        let response = self.post(tx, &content_type, env.xml.as_bytes())?;
        with_body(
            response.content_type.as_deref(),
            &response.body,
            self.limits,
            read,
        )
    }

    /// TD0.2: does the patient have a DMP, and is the professional authorised.
    pub fn existence_test(&self, patient: &DmpPatient) -> Result<ExistenceTest, DmpError> {
        let body = crate::td02::request_body(&self.sender, patient)?;
        self.call(Transaction::Td02ExistenceTest, patient, &body, |e, _| {
            crate::td02::read_response(e)
        })
    }

    /// TD0.3: declares or removes the professional's authorisation (direct mode only, FI-526).
    pub fn set_authorization(
        &self,
        patient: &DmpPatient,
        action: AuthorizationAction,
    ) -> Result<ServiceOutput, DmpError> {
        let body = crate::td03::request_body(action, false)?;
        self.call(Transaction::Td03SetAuthorization, patient, &body, |e, _| {
            crate::td03::read_response(e)
        })
    }

    /// TD3.1: the entries matching `query`.
    pub fn find(
        &self,
        patient: &DmpPatient,
        query: &FindDocuments,
    ) -> Result<Vec<DocumentView>, DmpError> {
        let body = query.request_body(patient)?;
        self.call(Transaction::Td31Search, patient, &body, |e, _| {
            crate::td31::read_response(e)
        })
    }

    /// TD3.1 GetDocuments: the entry of `unique_id`, if the registry holds it.
    pub fn find_by_unique_id(
        &self,
        patient: &DmpPatient,
        unique_id: &str,
    ) -> Result<Option<DocumentView>, DmpError> {
        let body = crate::td31::get_documents_body(&[unique_id])?;
        let entries = self.call(Transaction::Td31Search, patient, &body, |e, _| {
            crate::td31::read_response(e)
        })?;
        Ok(entries.into_iter().find(|e| e.unique_id == unique_id))
    }

    fn entry(&self, patient: &DmpPatient, unique_id: &str) -> Result<DocumentView, DmpError> {
        self.find_by_unique_id(patient, unique_id)?
            .ok_or(DmpError::Response(ResponseError::Missing {
                what: "registry entry of the uniqueId",
                position: 0,
            }))
    }

    /// TD3.2: the document `unique_id`, checked against the size and hash of its entry.
    pub fn retrieve(
        &self,
        patient: &DmpPatient,
        unique_id: &str,
    ) -> Result<RetrievedDocument, DmpError> {
        let entry = self.entry(patient, unique_id)?;
        let repository = entry
            .repository_unique_id
            .as_deref()
            .ok_or(ResponseError::Missing {
                what: "repositoryUniqueId slot",
                position: 0,
            })?;
        let body = crate::td32::request_body(repository, unique_id)?;
        let docs = self.call(Transaction::Td32Retrieve, patient, &body, |e, p| {
            crate::td32::read_response(e, p)
        })?;
        let doc =
            docs.into_iter()
                .find(|d| d.unique_id == unique_id)
                .ok_or(ResponseError::Missing {
                    what: "DocumentResponse of the uniqueId",
                    position: 0,
                })?;
        if entry.size.is_some_and(|s| s != doc.bytes.len() as u64) {
            return Err(ResponseError::DocumentMismatch("size").into());
        }
        if entry
            .hash
            .as_deref()
            .is_some_and(|h| !h.eq_ignore_ascii_case(&segur_dmp_cda::xds::sha1_hex(&doc.bytes)))
        {
            return Err(ResponseError::DocumentMismatch("SHA-1").into());
        }
        Ok(doc)
    }

    /// TD2.1: feeds `document` (replacing the document `replaces`, a uniqueId, when given).
    /// See the module documentation for the retry rule.
    pub fn feed(
        &self,
        document: &FeedDocument,
        replaces: Option<&str>,
    ) -> Result<FeedOutcome, DmpError> {
        self.feed_submission(std::slice::from_ref(document), replaces)
    }

    /// TD2.1: feeds `documents` (one patient) in one submission set (ITI-41 allows several
    /// DocumentEntries per submission, IHE ITI TF-2b §3.41.4.1.2; `shared/specs/dmp.md` §5).
    /// The DMP registers a submission whole or not at all, so the retry rule of the module
    /// documentation searches for the first document's uniqueId.
    pub fn feed_several(&self, documents: &[FeedDocument]) -> Result<FeedOutcome, DmpError> {
        self.feed_submission(documents, None)
    }

    fn feed_submission(
        &self,
        documents: &[FeedDocument],
        replaces: Option<&str>,
    ) -> Result<FeedOutcome, DmpError> {
        let first = documents
            .first()
            .ok_or(crate::error::RequestError::Invalid("feed without document"))?;
        let patient = first.patient();
        let replaces_entry_uuid = match replaces {
            Some(uid) => Some(self.entry(patient, uid)?.entry_uuid),
            None => None,
        };
        let options = FeedOptions {
            source_id: self.source_id.clone(),
            content_type: None,
            replaces_entry_uuid,
        };
        let assertion = self.assertion(patient)?;
        let to = Transaction::Td21Feed.url(&self.base);
        let send = || -> Result<RegistryResponse, DmpError> {
            let mut guard = match &self.signer {
                Some(s) => Some(s.lock().map_err(|_| {
                    segur_net::sign::SignError::Key("the signer lock is poisoned".into())
                })?),
                None => None,
            };
            let signer: Option<&mut dyn Signer> = match guard.as_mut() {
                Some(g) => Some(g.as_mut()),
                None => None,
            };
            let request = crate::td21::build(documents, signer, &options, &assertion, &to)?;
            drop(guard);
            let response = self.post(
                Transaction::Td21Feed,
                &request.mtom.content_type,
                &request.mtom.body,
            )?;
            with_body(
                response.content_type.as_deref(),
                &response.body,
                self.limits,
                |e, _| crate::td33::read_response(e),
            )
        };
        match send() {
            Ok(_) => Ok(FeedOutcome::Fed),
            Err(DmpError::Http(e)) if is_uncertain(&e) => {
                if self
                    .find_by_unique_id(patient, first.unique_id())?
                    .is_some()
                {
                    Ok(FeedOutcome::AlreadyPresent)
                } else {
                    send().map(|_| FeedOutcome::Fed)
                }
            }
            Err(e) => Err(e),
        }
    }

    /// TD3.3 archive / unarchive / delete of the document `unique_id`.
    pub fn update_status(
        &self,
        patient: &DmpPatient,
        unique_id: &str,
        change: StatusChange,
    ) -> Result<(), DmpError> {
        let entry = self.entry(patient, unique_id)?;
        let original = match entry.status.as_str() {
            "approved" => crate::td31::STATUS_APPROVED,
            "archived" => crate::td31::STATUS_ARCHIVED,
            "deprecated" => crate::td31::STATUS_DEPRECATED,
            "deleted" => crate::td31::STATUS_DELETED,
            other => other,
        };
        let body = crate::td33::status_update_body(
            &self.submitter,
            patient,
            &entry.entry_uuid,
            original,
            change,
        )?;
        self.call(Transaction::Td33Update, patient, &body, |e, _| {
            crate::td33::read_response(e)
        })
        .map(|_| ())
    }

    /// TD3.3 mask / unmask / make visible to the patient: a metadata update built from the
    /// entry as the registry returns it.
    pub fn update_confidentiality(
        &self,
        patient: &DmpPatient,
        unique_id: &str,
        change: ConfidentialityChange,
    ) -> Result<(), DmpError> {
        let query = crate::td31::get_documents_body(&[unique_id])?;
        let body = self.call(Transaction::Td31Search, patient, &query, |e, _| {
            let entry = crate::td33::find_entry(e, unique_id)?;
            Ok(crate::td33::metadata_update_body(
                &self.submitter,
                patient,
                entry,
                change,
            )?)
        })?;
        self.call(Transaction::Td33Update, patient, &body, |e, _| {
            crate::td33::read_response(e)
        })
        .map(|_| ())
    }
}

/// Whether the request may have reached the DMP without its answer reaching us.
fn is_uncertain(e: &HttpError) -> bool {
    matches!(
        e,
        HttpError::Timeout | HttpError::Io(_) | HttpError::Protocol(_)
    )
}
