//! CDA and XDM entry points (`segur-dmp-cda`): build a CDA R2 document from JSON, read and
//! validate any CDA R2, pack and unpack IHE_XDM.ZIP archives.
//!
//! Error details come from the crate's `Display` forms: element paths, rule names, byte
//! positions and archive entry names, never values of the document (patient data).

use crate::boundary::{
    bytes_arg, handle_ref, json_arg, out_arg, str_arg, write_handle, write_json, write_out,
    write_string,
};
use crate::cards::write_bytes_out;
use crate::detail::fail;
use crate::result::segur_result;
use crate::try_ffi;
use ::segur_dmp_cda::build::{BuildError, DocumentInput, examples};
use ::segur_dmp_cda::read::CdaError;
use ::segur_dmp_cda::xdm::{PackOptions, XdmError, XdmLimits, XdmPackage, XdmSender};
use std::ffi::c_char;

fn build_err(e: BuildError) -> segur_result {
    let code = match &e {
        BuildError::Missing(_) => segur_result::CdaBuildMissing,
        BuildError::Invalid { .. } | BuildError::ForbiddenCharacter { .. } => {
            segur_result::CdaBuildInvalid
        }
        _ => segur_result::CdaBuildOther,
    };
    fail(code, e)
}

pub(crate) fn cda_err(e: CdaError) -> segur_result {
    let code = match &e {
        CdaError::Xml(_) => segur_result::CdaXml,
        CdaError::NotCda(_) => segur_result::CdaNotCda,
        CdaError::Missing(_) => segur_result::CdaMissing,
        CdaError::Invalid { .. } => segur_result::CdaInvalid,
        CdaError::Namespace { .. } => segur_result::CdaNamespace,
        CdaError::NonXmlBodyMarkup { .. } => segur_result::CdaNonXmlBodyMarkup,
        _ => segur_result::CdaOther,
    };
    fail(code, e)
}

pub(crate) fn xdm_err(e: XdmError) -> segur_result {
    use segur_result as R;
    let code = match &e {
        XdmError::Cda(_) => R::XdmCda,
        XdmError::Xds(_) => R::XdmXds,
        XdmError::Zip(_) | XdmError::TooManyEndRecords { .. } => R::XdmZip,
        XdmError::PathTraversal { .. }
        | XdmError::AbsolutePath { .. }
        | XdmError::Symlink { .. } => R::XdmUnsafePath,
        XdmError::Encrypted { .. } => R::XdmEncrypted,
        XdmError::Duplicate { .. } => R::XdmDuplicate,
        XdmError::ArchiveTooLarge { .. }
        | XdmError::TooManyEntries { .. }
        | XdmError::EntryTooLarge { .. }
        | XdmError::TotalTooLarge { .. }
        | XdmError::RatioTooHigh { .. } => R::XdmTooLarge,
        XdmError::NoMetadata
        | XdmError::Metadata { .. }
        | XdmError::MissingDocument { .. }
        | XdmError::SharedDocument { .. } => R::XdmMetadata,
        XdmError::HashMismatch { .. } | XdmError::SizeMismatch { .. } => R::XdmIntegrity,
        XdmError::IntegrityNotChecked { .. } => R::XdmUnchecked,
        XdmError::SenderMissing { .. } => R::XdmSenderMissing,
        XdmError::BadEntryUuid { .. } | XdmError::SenderText { .. } => R::InvalidParameter,
        _ => R::XdmOther,
    };
    fail(code, e)
}

/// Writes the example input of a document type as JSON to `*out_json` (free with
/// `segur_string_free`): the same document `segur cda example <type>` prints, a starting point
/// for `segur_cda_build`. `type` is `vaccination-note`, `trod`, `bpm`, `entretien`,
/// `consultation`, `prevention-plan` or `screening-report`.
///
/// Errors: `SEGUR_RESULT_INVALID_PARAMETER` (unknown type). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_cda_example(
    doc_type: *const c_char,
    doc_type_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `doc_type` points to `doc_type_len` readable bytes.
        let ty = try_ffi!(unsafe { str_arg(doc_type, doc_type_len) });
        try_ffi!(out_arg(out_json));
        // Tags first, so errors in the caller's edited copy get their real position.
        match examples::example_text_compact(ty) {
            Some(text) => crate::boundary::write_string(out_json, text),
            None => fail(
                segur_result::InvalidParameter,
                "unknown document type (vaccination-note, trod, bpm, entretien, consultation, \
                 prevention-plan, screening-report)",
            ),
        }
    })
}

/// Builds a CDA R2 document from its JSON input (the serde form of
/// `segur_dmp_cda::build::DocumentInput`: `{"type":"vaccination-note"|"trod"|"bpm"|...,
/// "header":{...},...}`, see `segur_cda_example` and the README) and writes the XML (UTF-8) to
/// `*out_xml` (free with `segur_string_free`). The INS and INS traits are written only for a
/// qualified identity. Coded fields take the code of their value set.
///
/// Errors: `SEGUR_RESULT_INVALID_JSON` (malformed, unknown type, value outside its value set:
/// line and column in the detail), `SEGUR_RESULT_CDA_BUILD_MISSING`,
/// `SEGUR_RESULT_CDA_BUILD_INVALID` (the field in the detail). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_cda_build(
    json: *const c_char,
    json_len: usize,
    out_xml: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `json` points to `json_len` readable bytes.
        let input: DocumentInput = try_ffi!(unsafe { json_arg(json, json_len) });
        try_ffi!(out_arg(out_xml));
        let xml = try_ffi!(input.build().map_err(build_err));
        write_string(out_xml, xml)
    })
}

/// Reads any CDA R2 document (`xml`, `xml_len` bytes) and writes its header and a body summary
/// as JSON to `*out_json` (free with `segur_string_free`): `{"header":{"realm","template_ids",
/// "id","type_code","title","effective_time","confidentiality","set_id","version","patient",
/// "authors",...},"body":{"kind":"structured","sections":[{"code","title","text","entries",
/// "sections"}]}|{"kind":"nonXml","media_type","reference"}|{"kind":"absent"}}` (the serde form
/// of `segur_dmp_cda::CdaDocument`; the decoded bytes of a `nonXMLBody` are not included). The
/// JSON holds the document's patient data; error details never do.
///
/// No DTD, no entity expansion; size, depth and node count are bounded. Errors:
/// `SEGUR_RESULT_CDA_XML`, `SEGUR_RESULT_CDA_NOT_CDA`, `SEGUR_RESULT_CDA_MISSING`,
/// `SEGUR_RESULT_CDA_INVALID` (path and position in the detail). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_cda_read(
    xml: *const u8,
    xml_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `xml` points to `xml_len` readable bytes.
        let bytes = try_ffi!(unsafe { bytes_arg(xml.cast(), xml_len) });
        try_ffi!(out_arg(out_json));
        let doc = try_ffi!(::segur_dmp_cda::read(bytes).map_err(cda_err));
        write_json(out_json, &doc)
    })
}

/// Validates a CDA (`xml`, `xml_len` bytes) against the rules of the structuration minimale,
/// VAC-NOTE and N1/XDS-SD that apply to pharmacy documents, and writes the findings as JSON to
/// `*out_json` (free with `segur_string_free`): `[{"rule":"<schematron>: <assert>",
/// "severity":"error"|"warning","message":"..."}]`, empty when every rule holds; a
/// `warning` is an assert the kit reports without failing the document. Messages carry no
/// patient data.
///
/// Errors: the `SEGUR_RESULT_CDA_*` codes of `segur_cda_read` when the document cannot be read
/// at all. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_cda_validate(
    xml: *const u8,
    xml_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `xml` points to `xml_len` readable bytes.
        let bytes = try_ffi!(unsafe { bytes_arg(xml.cast(), xml_len) });
        try_ffi!(out_arg(out_json));
        let findings = try_ffi!(::segur_dmp_cda::validate::validate(bytes).map_err(cda_err));
        write_json(out_json, &findings)
    })
}

/// Options of `segur_xdm_pack`, as JSON.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PackOptionsJson {
    source_id: String,
    // No default values: without a sender, packing is refused with XdmSenderMissing, since
    // README.TXT must give the sender's organisation and contact (IHE ITI TF-1 §16).
    #[serde(default)]
    sender: XdmSender,
    #[serde(default)]
    replaces_entry_uuid: Option<String>,
    #[serde(default)]
    format_code: Option<::segur_dmp_cda::Code>,
    #[serde(default)]
    class_code: Option<::segur_dmp_cda::Code>,
    #[serde(default)]
    pdf_format_code: Option<::segur_dmp_cda::Code>,
    #[serde(default)]
    patient_id: ::segur_dmp_cda::PatientIdPolicy,
}

/// Packs one CDA (`cda`, `cda_len` bytes) and optionally its PDF rendering (`pdf`, `pdf_len`;
/// `pdf` NULL for none) into an IHE_XDM.ZIP archive (IHE ITI TF-1 §16: `README.TXT`,
/// `INDEX.HTM`, `IHE_XDM/SUBSET01/METADATA.XML`, `DOC0001.XML`[, `DOC0002.PDF`]) with XDS
/// metadata derived from the CDA header. `options_json` is `{"source_id":"<OID of the sending
/// system>","sender":{"organization","contact","name"?,"application"?,"version"?,"vendor"?},
/// "replaces_entry_uuid"?:"urn:uuid:<RFC 4122>","format_code"?:<code>,"class_code"?:<code>,
/// "pdf_format_code"?:<code>,"patient_id"?:"require-ins"|"local-when-no-ins"}` where `<code>`
/// is `{"code","codeSystem","displayName"?}`: formatCode and classCode overrides (derived from
/// ASS_A11 and the classCode table otherwise), the PDF's formatCode (default
/// `urn:ihe:iti:xds:2017:mimeTypeSufficient`), and whether a CDA without INS (non-qualified
/// identity) is packed with its local patient id. Writes the archive to `*out_zip` /
/// `*out_zip_len` (free with `segur_bytes_free`).
///
/// README.TXT must name the sender's organisation and how to reach it (IHE ITI TF-1 §16):
/// without `sender`, or with a blank `organization` or `contact`, nothing is packed.
///
/// Errors: `SEGUR_RESULT_INVALID_JSON`, `SEGUR_RESULT_XDM_SENDER_MISSING` (no `sender`, or a
/// blank `sender.organization` or `sender.contact`), `SEGUR_RESULT_INVALID_PARAMETER` (replaced
/// entryUUID not an RFC 4122 URN, control character in a sender field), `SEGUR_RESULT_XDM_CDA` (the CDA
/// cannot be read), `SEGUR_RESULT_XDM_XDS` (metadata cannot be derived: no formatCode, no
/// classCode, no INS), other `SEGUR_RESULT_XDM_*`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_xdm_pack(
    cda: *const u8,
    cda_len: usize,
    pdf: *const u8,
    pdf_len: usize,
    options_json: *const c_char,
    options_json_len: usize,
    out_zip: *mut *mut u8,
    out_zip_len: *mut usize,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `cda` points to `cda_len` readable bytes.
        let cda = try_ffi!(unsafe { bytes_arg(cda.cast(), cda_len) });
        let pdf = if pdf.is_null() {
            None
        } else {
            // SAFETY: header contract: a non-NULL `pdf` points to `pdf_len` readable bytes.
            Some(try_ffi!(unsafe { bytes_arg(pdf.cast(), pdf_len) }))
        };
        // SAFETY: header contract: `options_json` points to `options_json_len` readable bytes.
        let o: PackOptionsJson = try_ffi!(unsafe { json_arg(options_json, options_json_len) });
        try_ffi!(out_arg(out_zip));
        try_ffi!(out_arg(out_zip_len));
        let mut opts = PackOptions {
            source_id: o.source_id,
            sender: o.sender,
            replaces_entry_uuid: o.replaces_entry_uuid,
            pdf_format_code: o.pdf_format_code,
            ..PackOptions::default()
        };
        opts.derive.format_code = o.format_code;
        opts.derive.class_code = o.class_code;
        opts.derive.patient_id = o.patient_id;
        let (zip, _) = try_ffi!(::segur_dmp_cda::pack_cda(cda, pdf, &opts).map_err(xdm_err));
        write_bytes_out(out_zip, out_zip_len, zip)
    })
}

/// A read IHE_XDM package: its documents, in archive order, numbered from 0. Immutable once
/// made: may be shared between threads for reading; free it with `segur_xdm_package_free`.
pub struct segur_xdm_package {
    package: XdmPackage,
    /// The documents of every subset, flattened (index = position in the JSON description).
    documents: Vec<(usize, usize)>,
}

/// Reads an IHE_XDM.ZIP archive (`zip`, `zip_len` bytes) with the default limits (128 MiB
/// archive, 256 entries, 64 MiB per entry, 256 MiB in total, compression ratio 100) and writes a
/// handle to `*out_package` (free with `segur_xdm_package_free`). Each document's SHA-1 and size
/// are checked against METADATA.XML when it gives them; `segur_xdm_package_json` says per
/// document what was checked (`"integrity"`). `segur_xdm_unpack_checked` can require both.
///
/// Errors: `SEGUR_RESULT_XDM_ZIP` (not a zip, truncated), `SEGUR_RESULT_XDM_UNSAFE_PATH` (path
/// traversal, absolute path, symbolic link), `SEGUR_RESULT_XDM_ENCRYPTED`,
/// `SEGUR_RESULT_XDM_DUPLICATE`, `SEGUR_RESULT_XDM_TOO_LARGE` (size, entries, zip bomb),
/// `SEGUR_RESULT_XDM_METADATA`, `SEGUR_RESULT_XDM_INTEGRITY` (hash or size mismatch).
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_xdm_unpack(
    zip: *const u8,
    zip_len: usize,
    out_package: *mut *mut segur_xdm_package,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `zip` points to `zip_len` readable bytes.
        let bytes = try_ffi!(unsafe { bytes_arg(zip.cast(), zip_len) });
        try_ffi!(out_arg(out_package));
        unpack_into(bytes, &XdmLimits::default(), out_package)
    })
}

/// As `segur_xdm_unpack`; with `require_hash_and_size` true, a document whose metadata gives no
/// `hash` or no `size` (or that has no DocumentEntry) is refused with
/// `SEGUR_RESULT_XDM_UNCHECKED` instead of being read unchecked.
///
/// Errors: those of `segur_xdm_unpack`, and `SEGUR_RESULT_XDM_UNCHECKED`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_xdm_unpack_checked(
    zip: *const u8,
    zip_len: usize,
    require_hash_and_size: bool,
    out_package: *mut *mut segur_xdm_package,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `zip` points to `zip_len` readable bytes.
        let bytes = try_ffi!(unsafe { bytes_arg(zip.cast(), zip_len) });
        try_ffi!(out_arg(out_package));
        let limits = XdmLimits {
            require_hash_and_size,
            ..XdmLimits::default()
        };
        unpack_into(bytes, &limits, out_package)
    })
}

fn unpack_into(
    bytes: &[u8],
    limits: &XdmLimits,
    out_package: *mut *mut segur_xdm_package,
) -> segur_result {
    {
        let package = try_ffi!(XdmPackage::unpack(bytes, limits).map_err(xdm_err));
        let documents = package
            .subsets
            .iter()
            .enumerate()
            .flat_map(|(s, sub)| (0..sub.documents.len()).map(move |d| (s, d)))
            .collect();
        write_handle(out_package, segur_xdm_package { package, documents })
    }
}

/// Describes a package as JSON to `*out_json` (free with `segur_string_free`):
/// `{"documents":[{"index":0,"subset":"SUBSET01","path":"IHE_XDM/SUBSET01/DOC0001.XML",
/// "size":1234,"xml":true,"entry":{<XDS DocumentEntry: entryUuid, uniqueId, typeCode,
/// mimeType...>}|null,"integrity":{"hash":"verified"|"not-in-metadata","size":...}}],
/// "subsets":[{"name","submission":{"submissionSet",...},"warnings":[{"object","missing"}]}],
/// "patient_ins":{"root":"<OID>","extension":"<matricule>"}|null}` (the view `segur xdm
/// inspect --json` prints). `warnings` lists attributes IHE makes R2 for XDM media that the
/// metadata leaves out. The `index` is what `segur_xdm_package_document` takes. Holds the
/// patient's INS. Thread-safe (read only).
#[unsafe(no_mangle)]
pub extern "C" fn segur_xdm_package_json(
    package: *const segur_xdm_package,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle.
        let p = try_ffi!(unsafe { handle_ref(package) });
        try_ffi!(out_arg(out_json));
        write_json(out_json, &p.package.view())
    })
}

/// Number of documents in a package (every subset). 0 for NULL. Thread-safe (read only).
#[unsafe(no_mangle)]
pub extern "C" fn segur_xdm_package_count(package: *const segur_xdm_package) -> usize {
    crate::ffi_boundary!(default: 0, {
        // SAFETY: header contract: NULL or a live handle.
        unsafe { handle_ref(package) }.map_or(0, |p| p.documents.len())
    })
}

/// Gives the bytes of document `index` (0 to `segur_xdm_package_count` - 1) in `*out_bytes` /
/// `*out_len`. The bytes are **borrowed**: they stay valid, unmodified, until
/// `segur_xdm_package_free(package)`; never free them.
///
/// Errors: `SEGUR_RESULT_INVALID_PARAMETER` (index out of range). Thread-safe (read only).
#[unsafe(no_mangle)]
pub extern "C" fn segur_xdm_package_document(
    package: *const segur_xdm_package,
    index: usize,
    out_bytes: *mut *const u8,
    out_len: *mut usize,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle.
        let p = try_ffi!(unsafe { handle_ref(package) });
        try_ffi!(out_arg(out_bytes));
        try_ffi!(out_arg(out_len));
        let Some(&(s, d)) = p.documents.get(index) else {
            return fail(
                segur_result::InvalidParameter,
                "document index out of range",
            );
        };
        let bytes = &p.package.subsets[s].documents[d].bytes;
        write_out(out_len, bytes.len());
        write_out(out_bytes, bytes.as_ptr())
    })
}

/// Frees a package and every document it lent; NULL is a no-op. Free each handle exactly once,
/// after every call using it has returned.
#[unsafe(no_mangle)]
pub extern "C" fn segur_xdm_package_free(package: *mut segur_xdm_package) {
    crate::ffi_boundary!(default: (), {
        // SAFETY: header contract: NULL or a live handle, freed once.
        unsafe { crate::boundary::free_handle(package) }
    })
}
