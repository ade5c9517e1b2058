//! The human side of the export: README.TXT, INDEX.HTM and the documentation folder
//! (`DOCUMENT/`: the PDLGC "documentation d'export": structure, data dictionary, format
//! version, validation schemas).

use segur_ins::IdentityStatus;

use super::manifest::{ArchiveId, Manifest, xs_date_time};
use super::write::ExportInfo;
use crate::xml::escape;

/// The documentation folder, written in every export: `(path, text)`.
pub const DOCUMENTATION: [(&str, &str); 4] = [
    ("DOCUMENT/VERSION.TXT", include_str!("doc/VERSION.TXT")),
    ("DOCUMENT/DICTIONN.TXT", include_str!("doc/DICTIONN.TXT")),
    ("DOCUMENT/MANIFEST.XSD", include_str!("doc/MANIFEST.XSD")),
    ("DOCUMENT/LOT.JSN", include_str!("doc/LOT.JSN")),
];

/// README.TXT: vendor, software, date, requester, perimeter (the fields were checked for
/// control characters: one per line).
pub(crate) fn readme(info: &ExportInfo) -> String {
    let e = &info.editeur;
    let or_dash = |s: &str| {
        if s.is_empty() {
            "-".to_owned()
        } else {
            s.to_owned()
        }
    };
    let period = info
        .period
        .as_ref()
        .and_then(|(s, e)| Some(format!("{} - {}", xs_date_time(s)?, xs_date_time(e)?)))
        .unwrap_or_else(|| "-".to_owned());
    format!(
        "Portability export of Ségur data (format {version})\r\n\r\n\
         Vendor: {vendor} (SIRET {siret})\r\n\
         Contact: {nom}, {email}, {tel}\r\n\
         Software: {software}\r\n\
         Date: {date}\r\n\
         Export id: {id}\r\n\
         Type: {ty}\r\n\
         Period: {period}\r\n\
         Requester: {requester}\r\n\
         Perimeter: {perimeter}\r\n\r\n\
         Open INDEX.HTM to browse the documents. MANIFEST.XML lists each patient lot\r\n\
         (PATnnnnn.ZIP, an IHE_XDM media) with its size and SHA-256. DOCUMENT/ describes\r\n\
         the format: DICTIONN.TXT (data dictionary), MANIFEST.XSD, LOT.JSN (JSON Schema).\r\n",
        version = super::FORMAT_VERSION,
        vendor = e.denomination_eg,
        siret = e.num_siret,
        nom = e.contact.nom,
        email = or_dash(&e.contact.email),
        tel = or_dash(&e.contact.telephone),
        software = info.software,
        date = xs_date_time(&info.extract_time).unwrap_or_default(),
        id = info.export_id,
        ty = info.export_type.code(),
        requester = or_dash(&info.requester),
        perimeter = or_dash(&info.perimeter),
    )
}

/// One lot of INDEX.HTM.
pub(crate) struct IndexRow<'a> {
    pub archive: ArchiveId,
    pub patient: &'a str,
    pub status: IdentityStatus,
    /// `(title, creation time, mimeType, origin)` per document.
    pub documents: &'a [(String, String, String, &'static str)],
}

/// INDEX.HTM: every lot and document; every text escaped (titles and identifiers come from
/// documents received from others).
pub(crate) fn index(info: &ExportInfo, manifest: &Manifest, rows: &[IndexRow<'_>]) -> String {
    let mut h = String::from(
        "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">\
         <title>Export de portabilité</title></head><body>\n",
    );
    h.push_str(&format!(
        "<h1>Export de portabilité</h1>\n<p>{} — {} — {} — {} lot(s)</p>\n\
         <p><a href=\"README.TXT\">README.TXT</a> · <a href=\"MANIFEST.XML\">MANIFEST.XML</a> · \
         <a href=\"DOCUMENT/DICTIONN.TXT\">DOCUMENT/DICTIONN.TXT</a></p>\n",
        escape(&info.editeur.denomination_eg),
        escape(&info.software),
        escape(&manifest.extract_time),
        rows.len()
    ));
    for r in rows {
        h.push_str(&format!(
            "<h2><a href=\"{a}.ZIP\">{a}</a></h2>\n<p>Patient: {} — {}</p>\n<table>\n\
             <tr><th>Document</th><th>Titre</th><th>Date</th><th>Type</th><th>Origine</th></tr>\n",
            escape(r.patient),
            r.status.code(),
            a = r.archive,
        ));
        for (i, (title, time, mime, origin)) in r.documents.iter().enumerate() {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                i + 1,
                escape(title),
                escape(time),
                escape(mime),
                origin
            ));
        }
        h.push_str("</table>\n");
    }
    h.push_str("</body></html>\n");
    h
}
