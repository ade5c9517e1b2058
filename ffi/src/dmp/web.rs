//! The "DMP button" (`segur_dmp::web`): the context-passing URL of a page of the professionals'
//! DMP web site (`shared/specs/dmp.md` §13, PDT-INF-527), for the application to open in the
//! browser.

use crate::boundary::{str_arg, write_string};
use crate::detail::fail;
use crate::result::segur_result;
use crate::try_ffi;
use segur_dmp::DmpPatient;
use segur_dmp::web::{WebPage, url};
use std::ffi::c_char;

/// Builds `<base_url>/AccesDirect/<page>[/<matricule>]` and writes it to `*out_url` (free with
/// `segur_string_free`; it holds the matricule: patient data). `base_url` is the site's root
/// (`https://host[/path]`, no query: the production domain is not public, `shared/specs/dmp.md`
/// §13, so it is the caller's configuration, as `web_url` in `dmp.toml`). `page` is one of
/// `TableauDeBord` (INS optional), `DossierPatient`, `GestionDMPPatient`, `Documents`,
/// `ParcoursDeSoins`, `HistoriqueAcces`, `VolontesEtDroits`, `CarnetVaccination` (INS
/// required), `Parametrages` (no INS). `matricule` (`matricule_len` bytes) may be NULL; it must
/// belong to a qualified identity, of authority `oid` (`oid_len` bytes; NULL: INS-NIR
/// `1.2.250.1.213.1.4.8`). No network exchange.
///
/// Errors: `SEGUR_RESULT_INVALID_PARAMETER` (unknown page, INS required or not accepted by the
/// page, `base_url` not `https://`: the reason in the detail), the INS codes of
/// `segur_ins_check`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_dmp_web_url(
    base_url: *const c_char,
    base_url_len: usize,
    page: *const c_char,
    page_len: usize,
    matricule: *const c_char,
    matricule_len: usize,
    oid: *const c_char,
    oid_len: usize,
    out_url: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `base_url` points to `base_url_len` readable bytes.
        let base = try_ffi!(unsafe { str_arg(base_url, base_url_len) });
        // SAFETY: header contract: `page` points to `page_len` readable bytes.
        let page_name = try_ffi!(unsafe { str_arg(page, page_len) });
        let patient = if matricule.is_null() {
            None
        } else {
            // SAFETY: header contract: non-NULL `matricule` points to `matricule_len` bytes.
            let m = try_ffi!(unsafe { str_arg(matricule, matricule_len) });
            let oid = if oid.is_null() {
                segur_ins::OID_INS_NIR
            } else {
                // SAFETY: header contract: non-NULL `oid` points to `oid_len` readable bytes.
                try_ffi!(unsafe { str_arg(oid, oid_len) })
            };
            let ins = try_ffi!(segur_ins::Ins::from_parts(m, oid).map_err(crate::ins::ins_err));
            Some(DmpPatient::attested_qualified(ins))
        };
        let Some(page) = WebPage::from_name(page_name) else {
            let names: Vec<_> = WebPage::ALL.iter().map(|p| p.name()).collect();
            return fail(
                segur_result::InvalidParameter,
                format_args!("unknown page; one of {}", names.join(", ")),
            );
        };
        match url(base, page, patient.as_ref()) {
            Ok(u) => write_string(out_url, u.expose().to_owned()),
            Err(e) => fail(segur_result::InvalidParameter, e),
        }
    })
}
