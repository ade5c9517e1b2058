//! `segur_result`: the status every fallible function returns.
//!
//! Codes are grouped by crate: `0` success, `1xxx` general (boundary), `2xxx` `segur-ins`,
//! `3xxx` CDA, `4xxx` XDM, `5xxx` MSSanté, `6xxx` e-prescription, `7xxx` cards, `8xxx` DMP,
//! `10xxx` access security, `11xxx` document store. A code is never
//! reused: a retired code stays below as a comment, and `ffi/result-codes.txt` (checked by a test)
//! lists every code ever assigned. Messages are static English text without patient data.

use crate::boundary::write_bytes;
use std::ffi::c_char;

/// Status of a fallible `segur_*` call: `SEGUR_RESULT_OK` (0) or the reason of the failure.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum segur_result {
    /// Success.
    Ok = 0,

    // 1xxx: general, raised by the boundary itself.
    /// A pointer argument was NULL.
    NullParameter = 1000,
    /// The library hit an internal bug; the call had no effect. Please report it.
    Panic = 1001,
    /// A text argument is not valid UTF-8.
    InvalidUtf8 = 1002,
    /// The caller's buffer is too small; the needed size was written to the length out-parameter.
    InsufficientSize = 1003,
    /// A JSON argument is malformed or does not match the documented form.
    InvalidJson = 1004,
    /// An enum argument has a value the header does not define.
    InvalidParameter = 1005,
    /// An input is larger than the documented limit.
    InputTooLarge = 1006,
    /// The output contains a NUL byte and cannot be returned as a C string.
    InteriorNul = 1007,

    // 2000-2019: INS matricule (NIR/NIA), décret 82-103.
    /// A matricule has 13 or 15 significant characters.
    InsLength = 2000,
    /// A character other than a digit, a letter or a separator.
    InsInvalidChar = 2001,
    /// A letter outside the department position (2A/2B).
    InsLetterPosition = 2002,
    /// The key field is not two digits.
    InsKeyFormat = 2003,
    /// Key 00 or above 97.
    InsKeyOutOfRange = 2004,
    /// The key does not match the body (97 - N mod 97, 2A->19, 2B->18).
    InsKeyMismatch = 2005,
    /// Sex digit 7/8: a provisional number (NNP), never an INS.
    InsNnp = 2006,
    /// Sex digit 5/6: a transit migrant number (MIG), never an INS.
    InsMig = 2007,
    /// Sex digit 3/4: a person being registered.
    InsSex34 = 2008,
    /// Sex digit 0 or 9.
    InsSexDigit = 2009,
    /// Order number 000.
    InsOrderZero = 2010,
    /// Another matricule error (a reason added to segur-ins after this code list).
    InsMatriculeOther = 2019,

    // 2020-2029: INS authority.
    /// The legacy INS-C OID 1.2.250.1.213.1.4.2.
    InsLegacyInsC = 2020,
    /// An OID that is not one of the four INS authorities.
    InsUnknownAuthority = 2021,

    // 2030-2049: name normalisation (SEL-MP-043 section 3.4.1).
    /// Empty value.
    InsNameEmpty = 2030,
    /// A character without equivalent in the INS character set.
    InsNameUnsupportedChar = 2031,
    /// Starts with a space or a hyphen.
    InsNameLeadingSeparator = 2032,
    /// Ends with a space.
    InsNameTrailingSpace = 2033,
    /// A given name ending with a hyphen or an apostrophe.
    InsNameTrailingSeparator = 2034,
    /// Doubled or combined separators.
    InsNameCombinedSeparators = 2035,
    /// A double hyphen in a given name.
    InsNameDoubleHyphen = 2036,
    /// Longer than the maximum length.
    InsNameTooLong = 2037,
    /// Another normalisation error.
    InsNameOther = 2049,

    // 2050-2059: strict traits.
    /// The list of birth given names is empty.
    InsTraitsNoGivenName = 2050,
    /// First given name inconsistent with the list (EXI ID 10).
    InsTraitsFirstGivenName = 2051,
    /// Sex other than M/F.
    InsTraitsSex = 2052,
    /// The local sex "indéterminé" cannot be transmitted.
    InsTraitsSexIndeterminate = 2053,
    /// Birth date not YYYY-MM-DD or YYYYMMDD.
    InsTraitsDateFormat = 2054,
    /// A calendar date is required.
    InsTraitsDateNotCalendar = 2055,
    /// Birthplace not an INSEE COG code.
    InsTraitsBirthplace = 2056,
    /// Another traits error.
    InsTraitsOther = 2059,

    // 2060-2079: INSi responses.
    /// The response is larger than the limit.
    InsiTooLarge = 2060,
    /// Malformed XML.
    InsiXml = 2061,
    /// A DTD in the response.
    InsiDtd = 2062,
    /// Elements nested too deep.
    InsiTooDeep = 2063,
    /// Neither RESULTAT nor a SOAP fault.
    InsiNoResult = 2064,
    /// A mandatory element is missing.
    InsiMissing = 2065,
    /// More than one INDIVIDU.
    InsiSeveralIndividuals = 2066,
    /// The teleservice answered with a SOAP fault (the code is in the JSON detail).
    InsiFault = 2067,
    /// An INS of the response is invalid.
    InsiInvalidIns = 2068,
    /// Another INSi response error.
    InsiOther = 2079,

    // 2080-2089: identity status (RNIV).
    /// Doubtful or fictitious identity: INSi calls are blocked (EXI ID 26).
    IdentityInsiBlocked = 2080,
    /// Doubtful or fictitious identity: it stays provisional.
    IdentityDoubtful = 2081,
    /// The identity is not qualified: its matricule may not be transmitted.
    IdentityNotQualified = 2082,
    /// Another transition error.
    IdentityOther = 2089,

    // 2090-2099: professional and structure identifiers.
    /// Wrong length.
    IdentifierLength = 2090,
    /// A character that is not allowed.
    IdentifierInvalidChar = 2091,
    /// The check digit does not match.
    IdentifierCheckDigit = 2092,
    /// Another identifier error.
    IdentifierOther = 2099,

    // 2100-2119: INSi client (network, TLS, HTTP); response errors keep their 206x codes.
    /// The endpoint is not an `https://host[:port]/path` URL.
    InsiEndpoint = 2100,
    /// The TLS material cannot be used (unreadable PEM, no root, key not matching).
    InsiTlsConfig = 2101,
    /// The server certificate is not issued by a trusted authority.
    InsiUnknownServerCa = 2102,
    /// The server certificate does not match the endpoint host name.
    InsiServerNameMismatch = 2103,
    /// The server certificate is expired or not yet valid.
    InsiServerCertificateExpired = 2104,
    /// The server refused the client certificate.
    InsiClientCertificateRefused = 2105,
    /// Another TLS failure.
    InsiTls = 2106,
    /// A network failure (connection refused, time-out...).
    InsiNetwork = 2107,
    /// A malformed HTTP response.
    InsiHttp = 2108,
    /// An HTTP status other than 200 without a SOAP fault.
    InsiHttpStatus = 2109,
    /// The INSi assertion (CPx or PSC mode) could not be made: a professional value missing or
    /// not a code, the card refused to sign, an unusable signature certificate.
    InsiAssertion = 2110,
    /// No usable Pro Santé Connect access token for the PSC mode (malformed or expired).
    InsiToken = 2111,
    /// Another client error.
    InsiClientOther = 2119,

    // 3000-3099: CDA documents (segur-dmp-cda).
    /// A mandatory input of the document is missing.
    CdaBuildMissing = 3000,
    /// An input of the document is invalid (the field is in the detail).
    CdaBuildInvalid = 3001,
    /// Another build error.
    CdaBuildOther = 3009,
    /// The XML layer refused the document (malformed, DTD, entity, size, depth).
    CdaXml = 3010,
    /// The root element is not `ClinicalDocument`.
    CdaNotCda = 3011,
    /// A mandatory CDA R2 element or attribute is missing.
    CdaMissing = 3012,
    /// A CDA value is present but unusable.
    CdaInvalid = 3013,
    /// The `ClinicalDocument` is not in the HL7 v3 namespace `urn:hl7-org:v3` (in no namespace
    /// or a foreign one, named in the detail).
    CdaNamespace = 3014,
    /// A `nonXMLBody/text` holds an element inside its content (only `reference` and
    /// `thumbnail` are allowed there): refused rather than cut.
    CdaNonXmlBodyMarkup = 3015,
    /// Another CDA reading error.
    CdaOther = 3019,

    // 4000-4099: IHE_XDM archives (segur-dmp-cda).
    /// Not a readable zip (truncated, corrupt, CRC error).
    XdmZip = 4000,
    /// An entry escapes the archive: path traversal, absolute path or symbolic link.
    XdmUnsafePath = 4001,
    /// An encrypted entry.
    XdmEncrypted = 4002,
    /// Two entries with the same name (case-insensitively).
    XdmDuplicate = 4003,
    /// Archive, entry count, entry or total size, or compression ratio above the limit.
    XdmTooLarge = 4004,
    /// METADATA.XML missing or unreadable, or a document it names is missing.
    XdmMetadata = 4005,
    /// A document's SHA-1 or size differs from its metadata.
    XdmIntegrity = 4006,
    /// The CDA to pack cannot be read (the reason is in the detail).
    XdmCda = 4007,
    /// XDS metadata cannot be derived from the CDA header.
    XdmXds = 4008,
    /// Hash and size were required and a document's metadata lacks one of them.
    XdmUnchecked = 4009,
    /// The sender's organisation or contact, which README.TXT must give (IHE ITI TF-1 §16), is
    /// blank: the archive is not packed.
    XdmSenderMissing = 4010,
    /// Another XDM error.
    XdmOther = 4099,

    // 5000-5099: MSSanté messages (segur-mssante).
    /// A mail address does not follow RFC 5321 §4.1.2.
    MssInvalidAddress = 5000,
    /// A header value would break the header or the MSSanté rule.
    MssInvalidHeader = 5001,
    /// The message cannot be composed as asked.
    MssCompose = 5002,
    /// The XDM attachment is not a valid IHE_XDM package (a reason without a code of its own
    /// among 5040-5044).
    MssXdm = 5003,
    /// The PDF attachment is not a PDF.
    MssPdf = 5004,
    /// The message is larger than the limit.
    MssTooLarge = 5005,
    /// A received message cannot be parsed.
    MssMalformed = 5006,
    /// A received MDN or DSN report is malformed.
    MssMalformedReport = 5007,
    /// Another TLS failure (protocol version or suite, invalid server name); unknown CA, wrong
    /// name, expiry and a refused client certificate have codes 5020-5023.
    MssTls = 5010,
    /// Trust anchors or the client certificate (PEM, PKCS#12) cannot be loaded.
    MssCertificate = 5011,
    // retired 5012 MssNetwork, 5013 MssStartTlsUnavailable, 5014 MssRefused, 5015 MssProtocol,
    // 5016 MssAuthentication: replaced by the precise SMTP (5070-5077) and IMAP (5080-5088) codes.
    /// DNS SRV discovery failed for a reason without a code of its own among 5050-5053.
    MssDiscovery = 5017,
    /// The Annuaire Santé client is misconfigured (base URL not https, invalid API key); other
    /// failures have codes 5060-5062 (TLS: 5020-5023).
    MssAnnuaire = 5018,
    // 5020-5069: precise TLS, token, XDM, discovery and Annuaire codes of the layers above.
    /// The MSSanté or Annuaire server certificate is not issued by a trusted authority (RFC 5280 §6).
    MssTlsUnknownCa = 5020,
    /// The server certificate does not match the host name (RFC 6125 §6).
    MssTlsNameMismatch = 5021,
    /// The server certificate is expired or not yet valid (RFC 5280 §4.1.2.5).
    MssTlsCertificateExpired = 5022,
    /// The server refused the client certificate, or required one (RFC 8446 §6.2 alerts).
    MssTlsClientCertificateRefused = 5023,
    /// The access token is expired.
    MssTokenExpired = 5030,
    /// The server refused the access token and no other one can be had.
    MssTokenRefused = 5031,
    /// The token provider failed (Pro Santé Connect session ended, SC.MSS/CONF.10).
    MssTokenProvider = 5032,
    /// The access token is not a bearer token (RFC 6750 §2.1).
    MssTokenMalformed = 5033,
    /// The XDM attachment is not a readable zip, has an unsafe or duplicate entry, or exceeds a limit.
    MssXdmArchive = 5040,
    /// The XDM attachment metadata is missing, unreadable or names a missing document.
    MssXdmMetadata = 5041,
    /// A document of the XDM attachment differs from its metadata hash or size.
    MssXdmIntegrity = 5042,
    /// A CDA document of the XDM attachment cannot be read (no X-MSS-CODECDA / X-MSS-INS).
    MssXdmCda = 5043,
    /// The XDM attachment holds no CDA document, or a type code that is not a plain token.
    MssXdmContent = 5044,
    /// No DNS resolver is configured (no nameserver in /etc/resolv.conf).
    MssDiscoveryNoResolver = 5050,
    /// The DNS resolver did not answer in time.
    MssDiscoveryNoAnswer = 5051,
    /// The DNS answer is not a DNS message (RFC 1035 §4.1).
    MssDiscoveryMalformedAnswer = 5052,
    /// The DNS resolver answered an error other than NXDOMAIN.
    MssDiscoveryResolverError = 5053,
    /// The Annuaire Santé answered an HTTP status other than 200.
    MssAnnuaireHttpStatus = 5060,
    /// Network failure with the Annuaire Santé (connection, time-out, retries exhausted).
    MssAnnuaireNetwork = 5061,
    /// The Annuaire Santé answer is not the expected FHIR Bundle.
    MssAnnuaireMalformed = 5062,
    // 5070-5089: SMTP and IMAP transport, each failure of its protocol layer.
    /// SMTP: network failure (connect, read, write, time-out).
    MssSmtpNetwork = 5070,
    /// SMTP: the server closed the connection before the exchange completed.
    MssSmtpConnectionClosed = 5071,
    /// SMTP: the server does not offer STARTTLS (RFC 3207): refused rather than sending in clear.
    MssSmtpStartTlsUnavailable = 5072,
    /// SMTP: a command got a `4yz` reply (RFC 5321 §4.2.1 transient: retrying later may succeed).
    MssSmtpRefusedTransient = 5073,
    /// SMTP: a command got a `5yz` (or unexpected) reply (RFC 5321 §4.2.1 permanent).
    MssSmtpRefusedPermanent = 5074,
    /// SMTP: the server does not follow RFC 5321 (malformed reply, data after STARTTLS).
    MssSmtpProtocol = 5075,
    /// SMTP: the server refused the authentication (RFC 4954 §6).
    MssSmtpAuthenticationFailed = 5076,
    /// SMTP: the server offers no SASL mechanism usable with the credentials (RFC 4954 §3).
    MssSmtpNoUsableMechanism = 5077,
    /// IMAP: network failure (connect, read, write, time-out).
    MssImapNetwork = 5080,
    /// IMAP: the server closed the connection before the exchange completed.
    MssImapConnectionClosed = 5081,
    /// IMAP: the server refuses STARTTLS (RFC 2595 §3.1): refused rather than reading in clear.
    MssImapStartTlsUnavailable = 5082,
    /// IMAP: the server answered `NO` (RFC 3501 §7.1.2: the command failed).
    MssImapRefusedNo = 5083,
    /// IMAP: the server answered `BAD` (RFC 3501 §7.1.3: command not accepted).
    MssImapRefusedBad = 5084,
    /// IMAP: the server answered `BYE` (RFC 3501 §7.1.5: it is closing the connection).
    MssImapBye = 5085,
    /// IMAP: the server does not follow RFC 3501 (unparsable answer, no UIDVALIDITY, no body).
    MssImapProtocol = 5086,
    /// IMAP: the server refused the authentication (`AUTHENTICATE` answered `NO`).
    MssImapAuthenticationFailed = 5087,
    /// IMAP: the server offers no SASL mechanism usable with the credentials.
    MssImapNoUsableMechanism = 5088,
    /// Another MSSanté error.
    MssOther = 5099,

    // 6000-6099: e-prescription (segur-eprescription).
    /// The image cannot be read (not PNG, JPEG or TIFF, or corrupt).
    EpImage = 6000,
    /// The image has more pixels than the limit.
    EpImageTooLarge = 6001,
    /// The scanner input is longer than the limit.
    EpTooLong = 6002,
    /// The scanner input holds a control character that is not a separator.
    EpScannerInput = 6003,
    /// A 2D-Doc header is malformed (ANTS 2D-Doc §3.3).
    EpTwoDDocHeader = 6010,
    /// The 2D-Doc version is not 02, 03 or 04.
    EpTwoDDocVersion = 6011,
    /// A 2D-Doc message zone is malformed (ANTS 2D-Doc §3.4).
    EpTwoDDocMessage = 6012,
    /// The 2D-Doc signature zone is malformed (ANTS 2D-Doc §3.5).
    EpTwoDDocSignatureFormat = 6013,
    /// No given certificate matches the code's authority and certificate ids.
    EpUnknownCertificate = 6014,
    /// A given certificate is unusable (not DER X.509, not an EC P-256/P-384 key, no CN).
    EpCertificate = 6015,
    /// The certificate was not valid at the code's signature date.
    EpCertificateNotValidAtSignatureDate = 6016,
    /// The 2D-Doc signature does not verify: the code is forged or altered.
    EpBadSignature = 6017,
    /// An INS Data Matrix payload or identity field is invalid.
    EpInsDatamatrix = 6020,
    /// A code cannot be drawn (payload too long for the symbology).
    EpRender = 6021,
    /// A prescription number is refused by the validator.
    EpPrescriptionId = 6030,
    /// A dispensation record is incomplete or inconsistent with its prescription.
    EpDispensation = 6031,
    /// Another e-prescription error.
    EpOther = 6099,

    // 7000-7099: cards (segur-cps-card, PC/SC).
    /// The card was removed (or pulled mid-transaction).
    CardRemoved = 7000,
    /// The card was reset by another application.
    CardReset = 7001,
    /// No card in the reader.
    CardNoCard = 7002,
    /// The card does not respond.
    CardUnresponsive = 7003,
    /// The reader is not available.
    CardReaderUnavailable = 7004,
    /// Another application holds the card exclusively.
    CardSharingViolation = 7005,
    /// The PC/SC service (pcscd, WinSCard) is not available.
    CardNoService = 7006,
    /// Timed out waiting for the reader.
    CardTimeout = 7007,
    /// Another PC/SC error.
    CardPcsc = 7008,
    /// No reader matches the name (or several do).
    CardNoSuchReader = 7009,
    /// The PC/SC library is not installed (it is loaded at run time): the detail says what
    /// to install (Debian/Ubuntu `libpcsclite1` and `pcscd`, Fedora `pcsc-lite-libs`; built
    /// into macOS and Windows).
    CardPcscLibraryMissing = 7010,
    /// Malformed card data (TLV, ATR, object content, response).
    CardData = 7020,
    /// The card answered an error status word.
    CardStatus = 7021,
    /// Wrong PIN (tries left in the detail).
    CardWrongPin = 7022,
    /// The PIN is blocked.
    CardPinBlocked = 7023,
    /// The PIN must be verified first.
    CardPinRequired = 7024,
    /// The PIN does not have the expected format.
    CardInvalidPin = 7025,
    /// Not the expected kind of card (for example a Vitale card where a CPS is needed).
    CardWrongCard = 7026,
    /// Not supported by this card (algorithm, key).
    CardUnsupported = 7027,
    /// An invalid command or input (digest length...).
    CardCommand = 7028,
    /// A card object exceeds the size limit.
    CardTooLarge = 7029,
    /// Another card error.
    CardOther = 7099,

    // 8000-8099: DMP (segur-dmp), layered as `DmpError`.
    // 8000-8009: configuration and request.
    /// `dmp.toml` cannot be read or is invalid, a certificate or key file it names cannot be
    /// read, or the endpoint is not an `https://` URL (the file or key in the detail).
    DmpConfig = 8000,
    /// The TLS material of `dmp.toml` does not load (PEM, no certificate, key not matching).
    DmpTlsConfig = 8001,
    /// The VIHF or XAdES signature cannot be made with the signing key.
    DmpSigning = 8002,
    /// The VIHF cannot be built from the configuration (`shared/specs/dmp.md` §2).
    DmpVihf = 8003,
    /// The request cannot be written (a value XML or the request's rules cannot carry).
    DmpRequest = 8004,
    /// No usable Pro Santé Connect access token for the DMP request
    /// (`segur_dmp_client_set_psc_provider`: not signed in, session ended, proxy unreachable,
    /// or an expired token); nothing was sent.
    DmpToken = 8005,
    // 8010-8019: TLS with the DMP.
    /// The DMP server certificate is not issued by a trusted authority (RFC 5280 §6).
    DmpTlsUnknownCa = 8010,
    /// The DMP server certificate does not match the host name (RFC 6125 §6).
    DmpTlsNameMismatch = 8011,
    /// The DMP server certificate is expired or not yet valid (RFC 5280 §4.1.2.5).
    DmpTlsCertificateExpired = 8012,
    /// The DMP refused the client certificate, or required one (RFC 8446 §6.2 alerts).
    DmpTlsClientCertificateRefused = 8013,
    /// Another TLS failure (protocol version, suite).
    DmpTls = 8014,
    // 8020-8029: transport.
    /// The DMP cannot be reached (name resolution, connection refused).
    DmpNetwork = 8020,
    /// The connection broke during the exchange.
    DmpConnectionLost = 8021,
    /// No complete answer within the time limit.
    DmpTimeout = 8022,
    /// An HTTP status other than 2xx without a SOAP fault (RFC 9110 §15).
    DmpHttpStatus = 8023,
    /// A malformed HTTP answer, or one larger than the limit.
    DmpHttp = 8024,
    // 8030-8059: refusals by the DMP (`segur_result_is_dmp_refusal`).
    /// The DMP answered with a SOAP fault (SOAP 1.2 Part 1 §5.4; codes in the detail).
    DmpSoapFault = 8030,
    /// The DMP refused (a registry Failure or a negative acknowledgement) for a reason without a
    /// code of its own among 8041-8048; the DMP's code is in the detail.
    DmpRefused = 8040,
    /// The patient's DMP is closed.
    DmpClosed = 8041,
    /// The professional is not authorised on the patient's DMP (or the patient blocked them).
    DmpNoAuthorisation = 8042,
    /// The patient has no DMP (`XDSUnknownPatientId`).
    DmpNoDmp = 8043,
    /// No such document visible to the professional (`XDSMissingDocument`, or no registry entry
    /// of the uniqueId).
    DmpUnknownDocument = 8044,
    /// The uniqueId is already in the DMP (`XDSDuplicateUniqueIdInRegistry`).
    DmpDuplicateDocument = 8045,
    /// The target of a replacement or update is not approved (`XDSReplaceFailed`,
    /// `XDSRegistryDeprecatedDocumentError`).
    DmpDeprecatedDocument = 8046,
    /// The DMP computed another hash or size for the document (`XDSNonIdenticalHash`,
    /// `XDSNonIdenticalSize`).
    DmpIntegrity = 8047,
    /// The DMP answered PartialSuccess: the request was not fully applied.
    DmpPartialSuccess = 8048,
    // 8060-8069: answers that do not follow the contract.
    /// The DMP's answer does not follow the contract (not SOAP, unexpected body, missing part).
    DmpResponse = 8060,
    /// A retrieved document's size or SHA-1 differs from its registry entry.
    DmpDocumentMismatch = 8061,
    // 8070-8079: the document and the patient.
    /// The CDA cannot be fed (its XDS metadata cannot be derived).
    DmpDocument = 8070,
    /// The CDA carries no INS: only the INS of a qualified identity may be sent (RNIV EXI SI 08).
    DmpPatientNotQualified = 8071,
    /// A document of a received IHE_XDM cannot be fed: not described by METADATA.XML, not a
    /// CDA, hash or size not verified, or metadata disagreeing with the CDA header.
    DmpXdmDocument = 8072,
    /// Another DMP error.
    DmpOther = 8099,

    // 9000-9099: Pro Santé Connect through the proxy e-Santé (segur-psc).
    /// The proxy e-Santé cannot be reached (connection refused, time-out, connection broken).
    PscUnreachable = 9000,
    /// TLS with the proxy e-Santé failed: its certificate (unknown CA, name, expiry) or ours (refused, or a certificate or key that does not load).
    PscTls = 9001,
    /// The proxy e-Santé answered something that is not its API.
    PscBadAnswer = 9002,
    /// No session on this handle: call `segur_psc_provider_login` first.
    PscNotSignedIn = 9010,
    /// The session is unknown to the proxy: logged out, expired (idle or absolute limit) or the proxy restarted.
    PscSessionEnded = 9011,
    /// The application token belongs to a session opened by another workstation certificate or client id.
    PscForeignToken = 9012,
    /// The professional refused the request on the card or the phone (CIBA `access_denied`).
    PscDenied = 9020,
    /// Nobody approved the request in time (CIBA `expired_token`).
    PscExpired = 9021,
    /// The proxy does not know the client id, or the id is pinned to another certificate.
    PscUnknownClient = 9022,
    /// The proxy could not reach Pro Santé Connect or an authorisation server.
    PscUnavailable = 9023,
    /// Another refusal by the proxy, Pro Santé Connect or an authorisation server.
    PscRefused = 9030,
    /// Another Pro Santé Connect error.
    PscOther = 9099,

    // 10000-10099: access security (segur-access).
    /// The access database failed (SQLite error).
    AccessStorage = 10000,
    /// The access database was not made by `segur_access_init`.
    AccessNotInitialised = 10001,
    /// `segur_access_init` on a database that exists.
    AccessAlreadyInitialised = 10002,
    /// The master key file is missing, of the wrong length, readable by others, or a sealed
    /// secret does not open with it.
    AccessKey = 10003,
    /// The policy file is invalid (syntax, unknown permission, technical role with health data).
    AccessPolicy = 10004,
    /// The role is not in the policy.
    AccessUnknownRole = 10005,
    /// The permission is not in the policy.
    AccessUnknownPermission = 10006,
    /// The password does not follow the strength rules.
    AccessPasswordRule = 10010,
    /// The user name is malformed.
    AccessUserName = 10011,
    /// The account exists already.
    AccessUserExists = 10012,
    /// No such account.
    AccessNoSuchUser = 10013,
    /// Unknown user or wrong password (not told apart).
    AccessBadCredentials = 10020,
    /// The second factor was refused (wrong, expired or replayed code).
    AccessSecondFactor = 10021,
    /// The account has no second factor enrolled.
    AccessNoSecondFactor = 10022,
    /// Too many recent failures: retry later (seconds in the detail).
    AccessThrottled = 10023,
    /// The account is locked after repeated failures: an administrator unlocks it.
    AccessLockedOut = 10024,
    /// No session has this id.
    AccessUnknownSession = 10030,
    /// The session is locked (idle or explicitly): the password unlocks it.
    AccessSessionLocked = 10031,
    /// The strong (two-factor) window is over: authenticate again with both factors.
    AccessStrongReauthRequired = 10032,
    /// The session is closed.
    AccessSessionClosed = 10033,
    /// The permission is refused to the session's role.
    AccessDenied = 10040,
    /// The change would give someone more than the actor may hand out.
    AccessEscalation = 10041,
    /// The audit trail was tampered with: the detail names the first bad entry.
    AccessAuditTampered = 10050,
    /// The audit trail cannot be read or written (damaged or truncated file).
    AccessAudit = 10051,
    /// Another access error.
    AccessOther = 10099,

    // 11xxx: document store and MSSanté inbox (segur-store).
    /// The store's folder or database cannot be created, read or written.
    StoreStorage = 11000,
    /// A stored value is unreadable, or a document's bytes no longer match their SHA-256.
    StoreCorrupt = 11001,
    /// No such document.
    StoreUnknownDocument = 11002,
    /// No such local patient.
    StoreUnknownPatient = 11003,
    /// No such review entry.
    StoreUnknownReview = 11004,
    /// The review entry was decided before.
    StoreAlreadyDecided = 11005,
    /// A text field is too long or holds a control character, or an identity status and its
    /// INS disagree.
    StoreInvalidField = 11006,
    /// The archive given to `segur_store_import` is refused (not a zip, an entry that
    /// escapes its folder, a bomb, a lot whose hash disagrees with MANIFEST.XML...): the
    /// detail names the entry, lot or field; the store is unchanged.
    StoreArchiveRefused = 11007,
    /// The archive file given to `segur_store_import` cannot be opened.
    StoreArchiveUnreadable = 11008,
    /// The export could not be written (the file, or a lot); nothing is left at the path.
    StoreExport = 11009,
    /// The options of `segur_store_export` are not an export: `patient` not an INS, `since`
    /// not a date, conflicting fields, vendor identity missing or invalid.
    StoreExportOptions = 11010,
    /// A document retrieved from the DMP has the uniqueId of a document the store keeps, with
    /// other bytes (`segur_dmp_client_get_kept`): the kept one is left unchanged.
    StoreRetrievedConflict = 11011,
    /// The document kept for this uniqueId is filed to a local identity holding another INS
    /// than the one given (`segur_dmp_client_get_kept`): nothing is written.
    StoreRetrievedOtherPatient = 11012,
    /// Another store error.
    StoreOther = 11099,
}

/// Generates the tables of [`segur_result`]. The matches are exhaustive, so a variant missing
/// from this list (or listed but absent from the enum) does not compile.
macro_rules! tables {
    ($( $name:ident => $msg:literal, )*) => {
        impl segur_result {
            /// Every assigned code, in declaration order.
            pub const ALL: &'static [segur_result] = &[$(segur_result::$name),*];

            /// Static English message (never patient data).
            pub const fn message(self) -> &'static str {
                match self {
                    $( Self::$name => $msg, )*
                }
            }

            /// The Rust variant name (`InsKeyMismatch`), as listed in `result-codes.txt`.
            pub const fn name(self) -> &'static str {
                match self {
                    $( Self::$name => stringify!($name), )*
                }
            }
        }
    };
}

tables! {
    Ok => "success",
    NullParameter => "a required pointer argument is NULL",
    Panic => "internal error (panic caught at the C boundary); the call had no effect",
    InvalidUtf8 => "a text argument is not valid UTF-8",
    InsufficientSize => "the output buffer is too small",
    InvalidJson => "a JSON argument is malformed or does not match the documented form",
    InvalidParameter => "an argument has a value outside the documented range",
    InputTooLarge => "an input exceeds the size limit",
    InteriorNul => "the output contains a NUL byte",
    InsLength => "a matricule has 13 or 15 characters",
    InsInvalidChar => "invalid character in the matricule",
    InsLetterPosition => "letters are only allowed as department 2A or 2B",
    InsKeyFormat => "the key must be two digits",
    InsKeyOutOfRange => "impossible key (a key is 01 to 97)",
    InsKeyMismatch => "the key does not match the matricule",
    InsNnp => "sex digit 7/8: a provisional number (NNP) is not an INS matricule",
    InsMig => "sex digit 5/6: a transit migrant number (MIG) is not an INS matricule",
    InsSex34 => "sex digit 3/4: a number of a person being registered is not an INS matricule",
    InsSexDigit => "the first digit (sex) must be 1 or 2",
    InsOrderZero => "order number 000 is never assigned",
    InsMatriculeOther => "invalid matricule",
    InsLegacyInsC => "the legacy INS-C authority (1.2.250.1.213.1.4.2) is no longer a valid INS",
    InsUnknownAuthority => "unknown INS authority OID",
    InsNameEmpty => "empty name",
    InsNameUnsupportedChar => "a character has no equivalent in the INS character set",
    InsNameLeadingSeparator => "a name may not start with a space or a hyphen",
    InsNameTrailingSpace => "a name may not end with a space",
    InsNameTrailingSeparator => "a given name may not end with a hyphen or an apostrophe",
    InsNameCombinedSeparators => "doubled or combined separators",
    InsNameDoubleHyphen => "a double hyphen is only allowed in a birth name",
    InsNameTooLong => "the name is longer than the maximum length",
    InsNameOther => "the name cannot be normalised",
    InsTraitsNoGivenName => "the list of birth given names is empty",
    InsTraitsFirstGivenName => "the first given name is not consistent with the list of birth given names",
    InsTraitsSex => "sex must be M or F",
    InsTraitsSexIndeterminate => "the local sex \"indeterminate\" cannot be transmitted",
    InsTraitsDateFormat => "birth date must be YYYY-MM-DD or YYYYMMDD",
    InsTraitsDateNotCalendar => "a calendar birth date is required",
    InsTraitsBirthplace => "birthplace must be an INSEE COG code",
    InsTraitsOther => "invalid identity traits",
    InsiTooLarge => "the INSi response exceeds the size limit",
    InsiXml => "the INSi response is malformed XML",
    InsiDtd => "a DTD is not allowed in an INSi response",
    InsiTooDeep => "the INSi response is nested too deep",
    InsiNoResult => "no RESULTAT and no SOAP fault in the INSi response",
    InsiMissing => "a mandatory element is missing from the INSi response",
    InsiSeveralIndividuals => "more than one INDIVIDU in the INSi response",
    InsiFault => "the INSi teleservice answered with a fault",
    InsiInvalidIns => "an INS of the INSi response is invalid",
    InsiOther => "the INSi response cannot be read",
    InsiEndpoint => "the INSi endpoint is not an https:// URL",
    InsiTlsConfig => "the INSi TLS material cannot be used",
    InsiUnknownServerCa => "the INSi server certificate is not issued by a trusted authority",
    InsiServerNameMismatch => "the INSi server certificate does not match the endpoint host name",
    InsiServerCertificateExpired => "the INSi server certificate is expired or not yet valid",
    InsiClientCertificateRefused => "the INSi server refused the client certificate",
    InsiTls => "TLS failure with the INSi server",
    InsiNetwork => "network failure with the INSi server",
    InsiHttp => "malformed HTTP response from INSi",
    InsiHttpStatus => "INSi answered an unexpected HTTP status",
    InsiAssertion => "the INSi assertion could not be made",
    InsiToken => "no usable Pro Santé Connect access token for INSi",
    InsiClientOther => "the INSi request failed",
    CardRemoved => "the card was removed from the reader",
    CardReset => "the card was reset by another application",
    CardNoCard => "no card in the reader",
    CardUnresponsive => "the card does not respond",
    CardReaderUnavailable => "the reader is not available",
    CardSharingViolation => "the card is in use by another application",
    CardNoService => "the PC/SC service is not available",
    CardTimeout => "timed out waiting for the reader",
    CardPcsc => "PC/SC error",
    CardNoSuchReader => "no reader matches the given name",
    CardPcscLibraryMissing => "the PC/SC library is not installed (Linux: libpcsclite1 and pcscd)",
    CardData => "the card returned malformed data",
    CardStatus => "the card refused the command",
    CardWrongPin => "wrong PIN",
    CardPinBlocked => "the PIN is blocked",
    CardPinRequired => "the PIN must be verified first",
    CardInvalidPin => "the PIN does not have the expected format",
    CardWrongCard => "not the expected kind of card",
    CardUnsupported => "not supported by this card",
    CardCommand => "invalid command or input for the card",
    CardTooLarge => "a card object exceeds the size limit",
    CardOther => "the card operation failed",
    DmpConfig => "the DMP configuration or a file it names cannot be read",
    DmpTlsConfig => "the DMP TLS material cannot be used",
    DmpSigning => "the VIHF or XAdES signature cannot be made",
    DmpVihf => "the VIHF cannot be built from the configuration",
    DmpRequest => "the DMP request cannot be written",
    DmpToken => "no usable Pro Santé Connect access token for the DMP",
    DmpTlsUnknownCa => "the DMP server certificate is not issued by a trusted authority",
    DmpTlsNameMismatch => "the DMP server certificate does not match the host name",
    DmpTlsCertificateExpired => "the DMP server certificate is expired or not yet valid",
    DmpTlsClientCertificateRefused => "the DMP server refused the client certificate",
    DmpTls => "TLS failure with the DMP server",
    DmpNetwork => "the DMP server cannot be reached",
    DmpConnectionLost => "the connection to the DMP broke during the exchange",
    DmpTimeout => "no complete answer from the DMP within the time limit",
    DmpHttpStatus => "the DMP answered an unexpected HTTP status",
    DmpHttp => "malformed or oversized HTTP answer from the DMP",
    DmpSoapFault => "the DMP answered with a SOAP fault",
    DmpRefused => "the DMP refused the request",
    DmpClosed => "the patient's DMP is closed",
    DmpNoAuthorisation => "the professional is not authorised on the patient's DMP",
    DmpNoDmp => "the patient has no DMP",
    DmpUnknownDocument => "no such document in the DMP",
    DmpDuplicateDocument => "the document is already in the DMP",
    DmpDeprecatedDocument => "the target document is not approved (replaced, archived or deleted)",
    DmpIntegrity => "the DMP computed another hash or size for the document",
    DmpPartialSuccess => "the DMP applied the request only partially",
    DmpResponse => "the DMP answer does not follow the contract",
    DmpDocumentMismatch => "the retrieved document differs from its registry entry",
    DmpDocument => "the document cannot be fed to the DMP",
    DmpPatientNotQualified => "the document carries no INS of a qualified identity",
    DmpXdmDocument => "a document of the received IHE_XDM cannot be fed to the DMP",
    DmpOther => "the DMP operation failed",
    IdentityInsiBlocked => "the identity is doubtful or fictitious: INSi calls are blocked",
    IdentityDoubtful => "the identity is doubtful or fictitious: it stays provisional",
    IdentityNotQualified => "the identity is not qualified",
    IdentityOther => "the identity status transition was refused",
    IdentifierLength => "the identifier has the wrong length",
    IdentifierInvalidChar => "invalid character in the identifier",
    IdentifierCheckDigit => "the identifier check digit does not match",
    IdentifierOther => "invalid identifier",
    CdaBuildMissing => "a mandatory input of the CDA document is missing",
    CdaBuildInvalid => "an input of the CDA document is invalid",
    CdaBuildOther => "the CDA document cannot be built",
    CdaXml => "the CDA is malformed or refused XML (DTD, entity, size, depth)",
    CdaNotCda => "the root element is not ClinicalDocument",
    CdaMissing => "a mandatory CDA element or attribute is missing",
    CdaInvalid => "a CDA value is present but unusable",
    CdaNamespace => "the ClinicalDocument is not in the HL7 v3 namespace",
    CdaNonXmlBodyMarkup => "the nonXMLBody text holds an element inside its content",
    CdaOther => "the CDA cannot be read",
    XdmZip => "the archive is not a readable zip",
    XdmUnsafePath => "an archive entry has an unsafe path (traversal, absolute, symbolic link)",
    XdmEncrypted => "encrypted archive entries are not supported",
    XdmDuplicate => "two archive entries have the same name",
    XdmTooLarge => "the archive exceeds a size, entry or compression ratio limit",
    XdmMetadata => "the XDM metadata is missing, unreadable or names a missing document",
    XdmIntegrity => "a document's hash or size differs from the XDM metadata",
    XdmCda => "the CDA to pack cannot be read",
    XdmXds => "XDS metadata cannot be derived from the CDA",
    XdmUnchecked => "a document's metadata gives no hash or no size, which were required",
    XdmSenderMissing => "the sender's organisation or contact, which README.TXT must give, is missing",
    XdmOther => "the XDM archive cannot be written or read",
    MssInvalidAddress => "invalid mail address",
    MssInvalidHeader => "invalid header value",
    MssCompose => "the message cannot be composed as asked",
    MssXdm => "the XDM attachment is not a valid IHE_XDM package",
    MssPdf => "the PDF attachment is not a PDF",
    MssTooLarge => "the message exceeds the size limit",
    MssMalformed => "the received message is malformed",
    MssMalformedReport => "the received report (MDN or DSN) is malformed",
    MssTls => "TLS failure with the MSSanté server",
    MssCertificate => "the trust anchors or the client certificate cannot be loaded",
    MssDiscovery => "the MSSanté servers could not be discovered through DNS",
    MssAnnuaire => "the Annuaire Santé lookup failed",
    MssTlsUnknownCa => "the MSSanté server certificate is not issued by a trusted authority",
    MssTlsNameMismatch => "the MSSanté server certificate does not match the host name",
    MssTlsCertificateExpired => "the MSSanté server certificate is expired or not yet valid",
    MssTlsClientCertificateRefused => "the MSSanté server refused the client certificate",
    MssTokenExpired => "the access token is expired",
    MssTokenRefused => "the access token was refused and cannot be renewed",
    MssTokenProvider => "the token provider failed",
    MssTokenMalformed => "the access token is not a bearer token",
    MssXdmArchive => "the XDM attachment is not a readable, safe archive within the limits",
    MssXdmMetadata => "the XDM attachment metadata is missing, unreadable or names a missing document",
    MssXdmIntegrity => "a document of the XDM attachment differs from its metadata hash or size",
    MssXdmCda => "a CDA document of the XDM attachment cannot be read",
    MssXdmContent => "the XDM attachment holds no usable CDA document",
    MssDiscoveryNoResolver => "no DNS resolver is configured",
    MssDiscoveryNoAnswer => "the DNS resolver did not answer",
    MssDiscoveryMalformedAnswer => "the DNS answer is malformed",
    MssDiscoveryResolverError => "the DNS resolver answered an error",
    MssAnnuaireHttpStatus => "the Annuaire Santé answered an unexpected HTTP status",
    MssAnnuaireNetwork => "network failure with the Annuaire Santé",
    MssAnnuaireMalformed => "the Annuaire Santé answer is malformed",
    MssSmtpNetwork => "SMTP network failure with the MSSanté server",
    MssSmtpConnectionClosed => "the MSSanté SMTP server closed the connection",
    MssSmtpStartTlsUnavailable => "the MSSanté SMTP server does not offer STARTTLS",
    MssSmtpRefusedTransient => "the MSSanté SMTP server refused the command for now (4yz)",
    MssSmtpRefusedPermanent => "the MSSanté SMTP server refused the command (5yz)",
    MssSmtpProtocol => "the MSSanté SMTP server does not follow the protocol",
    MssSmtpAuthenticationFailed => "the MSSanté SMTP server refused the authentication",
    MssSmtpNoUsableMechanism => "the MSSanté SMTP server offers no usable authentication mechanism",
    MssImapNetwork => "IMAP network failure with the MSSanté server",
    MssImapConnectionClosed => "the MSSanté IMAP server closed the connection",
    MssImapStartTlsUnavailable => "the MSSanté IMAP server does not offer STARTTLS",
    MssImapRefusedNo => "the MSSanté IMAP server answered NO",
    MssImapRefusedBad => "the MSSanté IMAP server answered BAD",
    MssImapBye => "the MSSanté IMAP server answered BYE",
    MssImapProtocol => "the MSSanté IMAP server does not follow the protocol",
    MssImapAuthenticationFailed => "the MSSanté IMAP server refused the authentication",
    MssImapNoUsableMechanism => "the MSSanté IMAP server offers no usable authentication mechanism",
    MssOther => "the MSSanté operation failed",
    EpImage => "the image cannot be read",
    EpImageTooLarge => "the image exceeds the pixel limit",
    EpTooLong => "the scanner input exceeds the size limit",
    EpScannerInput => "the scanner input holds an unexpected control character",
    EpTwoDDocHeader => "the 2D-Doc header is malformed",
    EpTwoDDocVersion => "the 2D-Doc version is not supported",
    EpTwoDDocMessage => "the 2D-Doc message zone is malformed",
    EpTwoDDocSignatureFormat => "the 2D-Doc signature zone is malformed",
    EpUnknownCertificate => "no given certificate matches the 2D-Doc authority and certificate ids",
    EpCertificate => "the certificate is unusable for 2D-Doc verification",
    EpCertificateNotValidAtSignatureDate => "the certificate was not valid at the signature date",
    EpBadSignature => "the 2D-Doc signature does not verify",
    EpInsDatamatrix => "the INS Data Matrix payload or identity is invalid",
    EpRender => "the code cannot be drawn",
    EpPrescriptionId => "the prescription number is refused",
    EpDispensation => "the dispensation is incomplete or inconsistent with the prescription",
    EpOther => "the e-prescription operation failed",
    PscUnreachable => "the proxy e-Santé cannot be reached",
    PscTls => "TLS with the proxy e-Santé failed (certificate, CA, name or expiry)",
    PscBadAnswer => "the proxy e-Santé gave an unexpected answer",
    PscNotSignedIn => "not signed in to the proxy e-Santé",
    PscSessionEnded => "the proxy e-Santé session has ended: sign in again",
    PscForeignToken => "the session belongs to another workstation",
    PscDenied => "the professional refused the Pro Santé Connect request",
    PscExpired => "the Pro Santé Connect request expired before approval",
    PscUnknownClient => "the proxy e-Santé does not know this client id or certificate",
    PscUnavailable => "Pro Santé Connect is unavailable",
    PscRefused => "the proxy e-Santé refused the request",
    PscOther => "the Pro Santé Connect operation failed",
    AccessStorage => "the access database failed",
    AccessNotInitialised => "the access database is not initialised",
    AccessAlreadyInitialised => "the access database already exists",
    AccessKey => "the access master key is missing, invalid, readable by others or does not open a sealed secret",
    AccessPolicy => "the access policy is invalid",
    AccessUnknownRole => "unknown role",
    AccessUnknownPermission => "unknown permission",
    AccessPasswordRule => "the password does not follow the strength rules",
    AccessUserName => "the user name is malformed",
    AccessUserExists => "the account exists already",
    AccessNoSuchUser => "no such account",
    AccessBadCredentials => "wrong user name or password",
    AccessSecondFactor => "the second factor was refused",
    AccessNoSecondFactor => "no second factor is enrolled for this account",
    AccessThrottled => "too many failed attempts: retry later",
    AccessLockedOut => "the account is locked after too many failed attempts",
    AccessUnknownSession => "unknown session",
    AccessSessionLocked => "the session is locked: unlock it with the password",
    AccessStrongReauthRequired => "strong re-authentication required (both factors)",
    AccessSessionClosed => "the session is closed",
    AccessDenied => "permission denied",
    AccessEscalation => "privilege escalation refused",
    AccessAuditTampered => "the audit trail was tampered with",
    AccessAudit => "the audit trail cannot be read or written",
    AccessOther => "the access operation failed",
    StoreStorage => "the document store cannot be created, read or written",
    StoreCorrupt => "the document store holds an unreadable value or altered bytes",
    StoreUnknownDocument => "no such document in the store",
    StoreUnknownPatient => "no such local patient",
    StoreUnknownReview => "no such review entry",
    StoreAlreadyDecided => "the review entry is already decided",
    StoreInvalidField => "a field is too long, holds a control character, or an identity status and its INS disagree",
    StoreArchiveRefused => "the archive is refused: the store is unchanged",
    StoreArchiveUnreadable => "the archive file cannot be opened",
    StoreExport => "the export could not be written",
    StoreExportOptions => "the export options are invalid (patient INS, start date, vendor identity)",
    StoreRetrievedConflict => "a document kept from the DMP with this uniqueId has other bytes",
    StoreRetrievedOtherPatient => "the document kept from the DMP is filed to another patient",
    StoreOther => "the document store operation failed",
}

impl segur_result {
    /// The code for a number; `None` for a number no code has.
    pub fn from_u32(code: u32) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| *r as u32 == code)
    }

    /// Whether this is `SEGUR_RESULT_OK`.
    pub const fn is_ok(self) -> bool {
        matches!(self, Self::Ok)
    }
}

/// Writes the English message of `result` (UTF-8, **not** NUL-terminated) into `buf` of `len`
/// bytes and its length into `*out_len`. Nothing needs freeing. A code the library does not know
/// gives the message "unknown result code".
///
/// Returns `SEGUR_RESULT_INSUFFICIENT_SIZE` with the needed length in `*out_len` (and `buf`
/// untouched) when `len` is too small; `SEGUR_RESULT_NULL_PARAMETER` when `buf` or `out_len` is
/// NULL. Messages never contain patient data. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_result_message(
    result: u32,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> segur_result {
    crate::ffi_boundary!(default: segur_result::Panic, {
        let msg = segur_result::from_u32(result).map_or("unknown result code", |r| r.message());
        write_bytes(msg.as_bytes(), buf, len, out_len)
    })
}

/// Returns the static NUL-terminated name of `result`'s enumerator without its prefix
/// (`"INS_KEY_MISMATCH"` for `SEGUR_RESULT_INS_KEY_MISMATCH`), or `"UNKNOWN"`: a stable key for
/// logs and translation tables. Never NULL, never freed. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_result_name(result: u32) -> *const c_char {
    crate::ffi_boundary!(default: std::ptr::null(), {
        crate::names::result_name(result).as_ptr().cast()
    })
}

/// Whether `result` is a card or reader error (7000-7999: PC/SC, card removed, PIN...), for
/// example to ask the user to check the reader. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_result_is_card_error(result: u32) -> bool {
    crate::ffi_boundary!(default: false, { (7000..8000).contains(&result) })
}

/// Whether `result` belongs to `segur-ins` (2000-2999: matricule, authority, names, traits,
/// INSi responses and client, identity status, professional identifiers). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_result_is_ins_error(result: u32) -> bool {
    crate::ffi_boundary!(default: false, { (2000..3000).contains(&result) })
}

/// Whether `result` is a refusal by the DMP itself (8030-8059: SOAP fault, registry failure,
/// negative acknowledgement, closed DMP, no authorisation...), as opposed to a configuration,
/// transport or response error: exit status 1 of `segur dmp`, where other errors give 2.
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_result_is_dmp_refusal(result: u32) -> bool {
    crate::ffi_boundary!(default: false, { (8030..8060).contains(&result) })
}
