//! Opening a DMP answer: plain SOAP 1.2 or an MTOM package (`shared/specs/dmp.md` §1.3, §7),
//! read with the hardened reader of `segur_net::xml`; a SOAP fault becomes
//! [`crate::DmpError::Fault`].

use segur_net::soap::mtom::{MtomLimits, MtomPackage, read_mtom};
use segur_net::soap::parse_envelope;
use segur_net::xml::{Element, XmlLimits};

use crate::error::{DmpError, ResponseError};

/// Limits applied to DMP answers: the XML defaults of `segur_net` (64 MiB, sized for CDA with
/// embedded PDF) and the MTOM defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResponseLimits {
    /// XML limits of the SOAP part.
    pub xml: XmlLimits,
    /// MTOM package limits.
    pub mtom: MtomLimits,
}

fn is_multipart(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        ct.trim_start()
            .get(..17)
            .is_some_and(|p| p.eq_ignore_ascii_case("multipart/related"))
    })
}

/// Calls `f` with the body content element (the payload) and the MTOM package, if any.
pub fn with_body<T>(
    content_type: Option<&str>,
    body: &[u8],
    limits: ResponseLimits,
    f: impl FnOnce(&Element<'_>, Option<&MtomPackage<'_>>) -> Result<T, DmpError>,
) -> Result<T, DmpError> {
    let soap = |e| DmpError::Response(ResponseError::Soap(e));
    if is_multipart(content_type) {
        let package = read_mtom(content_type, body, limits.mtom)
            .map_err(|e| soap(segur_net::soap::SoapError::Mtom(e)))?;
        let envelope = package.envelope(limits.xml).map_err(soap)?;
        if let Some(fault) = envelope.fault() {
            return Err(DmpError::Fault(Box::new(fault)));
        }
        let content = envelope
            .body_content()
            .ok_or(ResponseError::UnexpectedBody {
                expected: "a payload",
                position: envelope.body.position,
            })?;
        f(content, Some(&package))
    } else {
        let envelope = parse_envelope(body, limits.xml).map_err(soap)?;
        if let Some(fault) = envelope.fault() {
            return Err(DmpError::Fault(Box::new(fault)));
        }
        let content = envelope
            .body_content()
            .ok_or(ResponseError::UnexpectedBody {
                expected: "a payload",
                position: envelope.body.position,
            })?;
        f(content, None)
    }
}

/// Checks that `e` is `{ns}local`.
pub(crate) fn expect<'e, 'a>(
    e: &'e Element<'a>,
    ns: &str,
    local: &'static str,
) -> Result<&'e Element<'a>, ResponseError> {
    if e.name.is(ns, local) {
        Ok(e)
    } else {
        Err(ResponseError::UnexpectedBody {
            expected: local,
            position: e.position,
        })
    }
}

/// The child `{ns}local` of `e`, or a typed error naming it.
pub(crate) fn child<'e, 'a>(
    e: &'e Element<'a>,
    ns: &str,
    local: &'static str,
) -> Result<&'e Element<'a>, ResponseError> {
    e.child(ns, local).ok_or(ResponseError::Missing {
        what: local,
        position: e.position,
    })
}
