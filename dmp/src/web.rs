//! The "DMP button" (TD0.9, wave 1): open the professionals' DMP web site at the right patient
//! through context-passing URLs (`shared/specs/dmp.md` §13, GIE SESAM-Vitale PDT-INF-527
//! "Accès Web au système DMP" v1.7).
//!
//! URL form `https://<domain>/AccesDirect/<Page>[/<INS>]`. The production domain is not given by
//! the sheet (TO VERIFY): it is the caller's. The INS format in the URL (15 characters, OID or
//! not) is TO VERIFY: the 15-character matricule is sent. The site needs direct authentication
//! (CPx card or e-CPS) in the browser; some of its operations (creating a DMP) need the GIE's
//! local components (SrvSVCNAM, Cryptolib, GALSS), which are out of the SDK's scope.

use std::fmt;

use crate::patient::DmpPatient;

/// A page of the professionals' site (PDT-INF-527 table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebPage {
    /// `TableauDeBord`: dashboard; with an INS, the existence-test result. Preferred when the
    /// DMP's state is unknown (every other page shows an error for a closed or absent DMP).
    TableauDeBord,
    /// `DossierPatient` (INS required).
    DossierPatient,
    /// `GestionDMPPatient` (INS required).
    GestionDmpPatient,
    /// `Documents` (INS required).
    Documents,
    /// `ParcoursDeSoins` (INS required).
    ParcoursDeSoins,
    /// `HistoriqueAcces` (INS required).
    HistoriqueAcces,
    /// `Parametrages` (no INS).
    Parametrages,
    /// `VolontesEtDroits` (INS required).
    VolontesEtDroits,
    /// `CarnetVaccination` (INS required).
    CarnetVaccination,
}

/// What the page accepts as patient context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsUse {
    /// The INS is required.
    Required,
    /// The INS is optional.
    Optional,
    /// The page takes no INS.
    None,
}

impl WebPage {
    /// Every page.
    pub const ALL: [Self; 9] = [
        Self::TableauDeBord,
        Self::DossierPatient,
        Self::GestionDmpPatient,
        Self::Documents,
        Self::ParcoursDeSoins,
        Self::HistoriqueAcces,
        Self::Parametrages,
        Self::VolontesEtDroits,
        Self::CarnetVaccination,
    ];

    /// The path segment.
    pub const fn name(self) -> &'static str {
        match self {
            Self::TableauDeBord => "TableauDeBord",
            Self::DossierPatient => "DossierPatient",
            Self::GestionDmpPatient => "GestionDMPPatient",
            Self::Documents => "Documents",
            Self::ParcoursDeSoins => "ParcoursDeSoins",
            Self::HistoriqueAcces => "HistoriqueAcces",
            Self::Parametrages => "Parametrages",
            Self::VolontesEtDroits => "VolontesEtDroits",
            Self::CarnetVaccination => "CarnetVaccination",
        }
    }

    /// The page of a path segment (exact spelling).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Whether the page takes an INS (PDT-INF-527).
    pub const fn ins_use(self) -> InsUse {
        match self {
            Self::TableauDeBord => InsUse::Optional,
            Self::Parametrages => InsUse::None,
            _ => InsUse::Required,
        }
    }
}

/// Why a URL could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebError {
    /// The page needs a patient (PDT-INF-527).
    #[error("the page {0} needs a patient INS")]
    InsRequired(&'static str),
    /// The page takes no patient.
    #[error("the page {0} takes no patient INS")]
    InsNotAccepted(&'static str),
    /// The base URL is not `https://host[:port][/path]`.
    #[error("the DMP web site URL must be https://host[/path] without query or fragment")]
    BadBase,
    /// The browser function failed.
    #[error("cannot open the browser: {0}")]
    Browser(String),
}

/// A context-passing URL. `Debug` and `Display` hide the INS; [`WebUrl::expose`] gives it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebUrl(String);

impl WebUrl {
    /// The URL text (holds the patient's matricule when built with one).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for WebUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebUrl(<redacted>)")
    }
}

/// Builds `<base>/AccesDirect/<Page>[/<INS>]`; `base` is the site's root
/// (`https://<domain>`).
pub fn url(base: &str, page: WebPage, patient: Option<&DmpPatient>) -> Result<WebUrl, WebError> {
    let rest = base.strip_prefix("https://").ok_or(WebError::BadBase)?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty()
        || base.contains(['?', '#'])
        || base.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(WebError::BadBase);
    }
    let mut out = format!("{}/AccesDirect/{}", base.trim_end_matches('/'), page.name());
    match (page.ins_use(), patient) {
        (InsUse::Required, None) => return Err(WebError::InsRequired(page.name())),
        (InsUse::None, Some(_)) => return Err(WebError::InsNotAccepted(page.name())),
        (_, Some(p)) => {
            out.push('/');
            out.push_str(p.matricule());
        }
        (_, None) => {}
    }
    Ok(WebUrl(out))
}

/// Opens `url` with `browser`, the caller's function (the system browser, a test recorder...).
pub fn open(
    url: &WebUrl,
    browser: &mut dyn FnMut(&str) -> Result<(), String>,
) -> Result<(), WebError> {
    browser(url.expose()).map_err(WebError::Browser)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn patient() -> DmpPatient {
        DmpPatient::attested_qualified(
            segur_ins::Ins::from_parts("207058575627097", "1.2.250.1.213.1.4.10").unwrap(),
        )
    }

    #[test]
    fn urls_follow_pdt_inf_527() {
        let p = patient();
        assert_eq!(
            url("https://dmp.example/", WebPage::DossierPatient, Some(&p))
                .unwrap()
                .expose(),
            "https://dmp.example/AccesDirect/DossierPatient/207058575627097"
        );
        assert_eq!(
            url("https://dmp.example", WebPage::TableauDeBord, None)
                .unwrap()
                .expose(),
            "https://dmp.example/AccesDirect/TableauDeBord"
        );
        assert_eq!(
            url("https://dmp.example", WebPage::Documents, None),
            Err(WebError::InsRequired("Documents"))
        );
        assert_eq!(
            url("https://dmp.example", WebPage::Parametrages, Some(&p)),
            Err(WebError::InsNotAccepted("Parametrages"))
        );
        for bad in [
            "http://dmp.example",
            "https://",
            "https://a?b",
            "https://a b",
        ] {
            assert_eq!(
                url(bad, WebPage::TableauDeBord, None),
                Err(WebError::BadBase),
                "{bad}"
            );
        }
        for page in WebPage::ALL {
            assert_eq!(WebPage::from_name(page.name()), Some(page));
        }
        let u = url("https://dmp.example", WebPage::CarnetVaccination, Some(&p)).unwrap();
        assert!(!format!("{u:?}").contains("207058575627097"));
    }

    #[test]
    fn the_browser_function_is_the_callers() {
        let u = url("https://dmp.example", WebPage::TableauDeBord, None).unwrap();
        let mut opened = Vec::new();
        open(&u, &mut |s: &str| {
            opened.push(s.to_owned());
            Ok(())
        })
        .unwrap();
        assert_eq!(opened, ["https://dmp.example/AccesDirect/TableauDeBord"]);
        assert_eq!(
            open(&u, &mut |_: &str| Err("no display".to_owned())),
            Err(WebError::Browser("no display".into()))
        );
    }
}
