//! The INSi teleservice (CNAM, WSDL `DESIR_ICIR_EXP_1.5.0`): reading its `RESULTAT` responses and
//! SOAP faults, writing its requests, and (feature `insi-client`, default) a blocking client over
//! mutual TLS in the modes of [`InsiAuthentication`]: mutual TLS alone, CPx card ("assertion PS"
//! signed through a [`segur_net::sign::Signer`]) and Pro Santé Connect (unsigned assertion
//! qualified `PSC`); the carte Vitale search is out ([`VitaleAssertionSource`]). Every matricule returned is checked (the qualification environment serves keys
//! that fail mod 97, CNDA case 2.08) and reported per field, never trusted blindly and never a
//! crash.

#[cfg(feature = "insi-client")]
pub mod assertion;
#[cfg(feature = "insi-client")]
mod auth;
#[cfg(feature = "insi-client")]
mod client;
mod request;
mod response;

#[cfg(feature = "insi-client")]
pub use assertion::{AssertionError, AssertionOptions, ProfessionalIdentity};
#[cfg(feature = "insi-client")]
pub use auth::{
    CpxAuthentication, InsiAuthentication, PscAuthentication, PscTokenUse, VitaleAssertionError,
    VitaleAssertionSource,
};
#[cfg(feature = "insi-client")]
pub use client::{Exchange, InsiClient, InsiError, InsiTls, StrategyOutcome};
pub use request::{
    ACTION_SEARCH_BY_TRAITS, RequestIds, SoftwareIdentity, TraitsQuery, search_by_traits_envelope,
    search_by_traits_envelope_with_security,
};
pub use response::{
    Fault, Individual, InsiResponse, MAX_RESPONSE_BYTES, ResponseError, parse_response,
};
/// The HTTPS and TLS types the client is built on, re-exported from `segur-net`.
#[cfg(feature = "insi-client")]
pub use segur_net::{
    http::HttpError,
    tls::{ClientIdentity, TlsError, TrustAnchors},
};
