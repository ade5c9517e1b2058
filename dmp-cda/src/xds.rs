//! XDS.b metadata derived from a CDA header: `DocumentEntry` and `SubmissionSet`
//! (CI-SIS "Volet Partage de Documents de Santé" and its annex "Lien entre l'en-tête CDA et les
//! métadonnées XDS"; IHE ITI TF-3 §4.2.3). Values are derived, never re-typed.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use crate::model::{Author, CdaHeader, PersonName};
use crate::model::{Code, InstanceId, PatientText};
use crate::time::{hl7_to_xds_utc, now_utc};

/// OID of the PS national identifiers (IDNPS: "8" + RPPS, "0" + ADELI).
pub const OID_IDNPS: &str = "1.2.250.1.71.4.2.1";
/// OID of the structure national identifiers (IDNST: "1" + FINESS, "3" + SIRET...).
pub const OID_IDNST: &str = "1.2.250.1.71.4.2.2";
/// Coding scheme of the ANS formatCodes (TRE_A06-FormatCodeComplementaire).
pub const OID_TRE_A06: &str = "1.2.250.1.213.1.1.4.2.282";
/// Coding scheme of the IHE formatCodes (TRE_A11-IheFormatCode).
pub const OID_IHE_FORMAT: &str = "1.3.6.1.4.1.19376.1.2.3";
/// Coding scheme of the document classes (TRE_A03-ClasseDocument).
pub const OID_CLASS: &str = "1.2.250.1.213.1.1.4.1";
/// templateId of IHE XDS-SD (CDA R2 N1 with a PDF or other non-XML body).
pub const TEMPLATE_XDS_SD: &str = "1.3.6.1.4.1.19376.1.2.20";

/// Why metadata could not be derived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XdsError {
    /// No formatCode is known for the document's templateIds (ASS_A11) and none was given.
    #[error("no XDS formatCode for templateIds {0:?} (ASS_A11); pass one in DeriveOptions")]
    UnknownFormat(Vec<String>),
    /// No classCode is known for the document type (ASS_X04/ASS_X16) and none was given.
    #[error("no XDS classCode for typeCode {0} (ASS_X04/ASS_X16); pass one in DeriveOptions")]
    UnknownClass(String),
    /// The patient has no INS and [`DeriveOptions::patient_id`] requires one.
    #[error(
        "recordTarget/patientRole has no INS (1.2.250.1.213.1.4.8/.9/.10/.11): XDS patientId needs \
         it, or PatientIdPolicy::LocalWhenNoIns to use the local identifier"
    )]
    NoPatientIns,
    /// The patient has neither an INS nor a local identifier with its assigning authority.
    #[error("recordTarget/patientRole has no identifier with root and extension for XDS patientId")]
    NoPatientId,
    /// A header value needed by the metadata is missing.
    #[error("missing {0} in the CDA header")]
    Missing(&'static str),
    /// A header timestamp is malformed.
    #[error("malformed HL7 timestamp in {0}")]
    BadTime(&'static str),
}

/// Where a classCode came from: a verified correspondence, or a provisional choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClassCodeSource {
    /// Given by the caller.
    Caller,
    /// From the built-in table, which is TO VERIFY against ASS_X16-CorrespondanceType-Classe-DMP
    /// (not published in the public sources the table was built from).
    ProvisionalTable,
}

/// The built-in typeCode → classCode table (TRE_A03-ClasseDocument codes, OID
/// 1.2.250.1.213.1.1.4.1). **TO VERIFY**: the official correspondence is the ConceptMap
/// ASS_X04-CorrespondanceType-Classe-CISIS (DMP: ASS_X16), which is not in the ANS kit and was
/// not found in the public sources this table was built from (cda.md §3.1). Each row is a
/// provisional choice by document family (reports → 10, syntheses and liaison letters → 11,
/// imaging reports → 31, prescriptions and requests → 42, dispensations → 43, care plans → 44,
/// certificates → 52, reimbursement data → 60); [`ClassCodeSource::ProvisionalTable`] marks
/// entries derived from it. Pass [`DeriveOptions::class_code`] to override.
pub fn provisional_class_code(type_code: &str) -> Option<Code> {
    let (code, display) = match type_code {
        // Comptes rendus: vaccination note, TROD, consultation, retinography, biology,
        // anaesthesia, pre-anaesthesia, molecular genetics, RCP, vital signs, eye care,
        // telemedicine report.
        "87273-9" | "96173-0" | "78601-2" | "93024-8" | "75492-9" | "75482-0" | "11488-4"
        | "11502-2" | "77436-4" | "34749-2" | "51969-4" | "34794-8" | "29274-8" | "78513-9"
        | "85208-7" => ("10", "Compte rendu"),
        // Synthèses, liaison letters, emergency liaison documents, perinatal syntheses.
        "56445-0" | "60591-5" | "34133-9" | "11369-6" | "SYNTH" | "74207-2" | "18761-7"
        | "11490-0" | "57055-6" | "89235-6" | "78489-2" | "57075-4" | "57057-2" => {
            ("11", "Synthèse")
        }
        // Imaging reports.
        "18748-4" => ("31", "Imagerie médicale"),
        // Prescriptions and requests (medication, imaging, telemedicine).
        "57833-6" | "57828-6" | "55115-0" | "75496-0" => ("42", "Prescription"),
        "60593-1" => ("43", "Dispensation"),
        "83869-8" | "18776-5" => ("44", "Plan de soins"),
        "CERT_DECL" => ("52", "Certificat, déclaration"),
        "REMB" => ("60", "Remboursement"),
        _ => return None,
    };
    Some(Code::new(code, OID_CLASS, display))
}

/// ASS_A11-CorresModeleCDA-XdsFormatCode-CISIS (OID 1.2.250.1.213.1.1.4.331, version
/// 20260629120000, ANS "Terminologies de santé" IG): the formatCode of a structured CDA from
/// its templateId. Display names are those of JDV_J60-FormatCode-DMP (1.2.250.1.213.1.1.5.8);
/// codes JDV_J60 does not list carry no display name. The BIO-TROD row (templateId
/// 1.2.250.1.213.1.1.1.59 → `urn:ans:ci-sis:trod:2024`) is in JDV_J60 but not yet in ASS_A11:
/// TO VERIFY. Codes `urn:asip:`/`urn:ans:` are in TRE_A06 ([`OID_TRE_A06`]), `urn:ihe:` in
/// TRE_A11 ([`OID_IHE_FORMAT`]).
pub fn format_code_for_template(template: &str) -> Option<Code> {
    let code = match template {
        "1.2.250.1.213.1.1.1.5.1" => "urn:asip:ci-sis:cse-cs8:2017",
        "1.2.250.1.213.1.1.1.5.2" => "urn:asip:ci-sis:cse-cs9:2017",
        "1.2.250.1.213.1.1.1.5.3" => "urn:asip:ci-sis:cse-cs24:2017",
        "1.2.250.1.213.1.1.1.5.4" => "urn:ans:ci-sis:cse-mde:2023",
        "1.2.250.1.213.1.1.1.8" => "urn:asip:ci-sis:frcp:2011",
        "1.2.250.1.213.1.1.1.9" => "urn:asip:ci-sis:idap:2011",
        "1.2.250.1.213.1.1.1.10" => "urn:asip:ci-sis:cva:2017",
        "1.2.250.1.213.1.1.1.12.1" => "urn:asip:ci-sis:obp-sap:2023",
        "1.2.250.1.213.1.1.1.12.2" => "urn:asip:ci-sis:obp-snm:2023",
        "1.2.250.1.213.1.1.1.12.3" => "urn:asip:ci-sis:obp-sne:2023",
        "1.2.250.1.213.1.1.1.12.4" => "urn:asip:ci-sis:obp-scm:2023",
        "1.2.250.1.213.1.1.1.12.5" => "urn:asip:ci-sis:obp-sem:2023",
        "1.2.250.1.213.1.1.1.13" => "urn:asip:ci-sis:vsm:2012",
        "1.2.250.1.213.1.1.1.15" => "urn:asip:ci-sis:aunv:2013",
        "1.2.250.1.213.1.1.1.16" => "urn:asip:ci-sis:eunv:2013",
        "1.2.250.1.213.1.1.1.17" => "urn:asip:ci-sis:sunv:2013",
        "1.2.250.1.213.1.1.1.18" => "urn:asip:ci-sis:crrtn:2013",
        "1.2.250.1.213.1.1.1.2.1.1" => "urn:asip:ci-sis:avk:2009",
        "1.2.250.1.213.1.1.1.2.1.2" => "urn:asip:ci-sis:tap:2009",
        "1.2.250.1.213.1.1.1.2.1.3" => "urn:asip:ci-sis:dci:2009",
        "1.2.250.1.213.1.1.1.2.1.4" => "urn:asip:ci-sis:psc:2009",
        "1.2.250.1.213.1.1.1.2.1.5" => "urn:asip:ci-sis:ppv:2009",
        "1.2.250.1.213.1.1.1.20" => "urn:asip:ci-sis:pps-paerpa:2017",
        "1.2.250.1.213.1.1.1.21" => "urn:asip:ci-sis:ldl-ees:2017",
        "1.2.250.1.213.1.1.1.22" => "urn:asip:ci-sis:dlu:2015",
        "1.2.250.1.213.1.1.1.23" => "urn:asip:ci-sis:fludt:2017",
        "1.2.250.1.213.1.1.1.24" => "urn:asip:ci-sis:fludr:2017",
        "1.2.250.1.213.1.1.1.25" => "urn:asip:ci-sis:pavc:2016",
        "1.2.250.1.213.1.1.1.26" => "urn:asip:ci-sis:pps-cancer:2017",
        "1.2.250.1.213.1.1.1.27" => "urn:asip:ci-sis:d2lm-fin:2017",
        "1.2.250.1.213.1.1.1.28" => "urn:asip:ci-sis:d2lm-fidd:2017",
        "1.2.250.1.213.1.1.1.29" => "urn:asip:ci-sis:ldl-ses:2017",
        "1.2.250.1.213.1.1.1.30" => "urn:asip:ci-sis:sdm-mr:2017",
        "1.2.250.1.213.1.1.1.32" => "urn:asip:ci-sis:crgm:2018",
        "1.2.250.1.213.1.1.1.36" => "urn:asip:ci-sis:hr:2019",
        "1.2.250.1.213.1.1.1.37" => "urn:asip:ci-sis:vac:2019",
        "1.2.250.1.213.1.1.1.38" => "urn:asip:ci-sis:tlm-da:2020",
        "1.2.250.1.213.1.1.1.40" => "urn:asip:ci-sis:cr-anest:2020",
        "1.2.250.1.213.1.1.1.41" => "urn:asip:ci-sis:cr-cpa:2020",
        "1.2.250.1.213.1.1.1.46" => "urn:asip:ci-sis:vac-note:2021",
        "1.2.250.1.213.1.1.1.47" => "urn:ans:ci-sis:img-da:2022",
        "1.2.250.1.213.1.1.1.48" => "urn:asip:ci-sis:dlu-dlu-dom:2022",
        "1.2.250.1.213.1.1.1.49" => "urn:asip:ci-sis:dlu-fludt-dom:2022",
        "1.2.250.1.213.1.1.1.50" => "urn:asip:ci-sis:dlu-fludr-dom:2022",
        "1.2.250.1.213.1.1.1.52" => "urn:ans:ci-sis:bio-ep-bio:2022",
        "1.2.250.1.213.1.1.1.56" => "urn:asip:ci-sis:ppp:2023",
        "1.2.250.1.213.1.1.1.58" => "urn:asip:ci-sis:export-dui:2023",
        "1.2.250.1.213.1.1.1.59" => "urn:ans:ci-sis:trod:2024",
        "1.2.250.1.213.1.11.1.19.1" => "urn:ans:ci-sis:mso-rougeole:2026",
        "1.2.250.1.213.1.11.1.19.2" => "urn:ans:ci-sis:mso-dengue:2026",
        "1.2.250.1.213.1.11.1.19.3" => "urn:ans:ci-sis:mso-chikungunya:2026",
        "1.2.250.1.213.1.11.1.19.4" => "urn:ans:ci-sis:mso-zika:2026",
        "1.2.250.1.213.1.11.1.19.5" => "urn:ans:ci-sis:mso-westnile:2026",
        // TRE_A11 (IHE formatCodes).
        "1.2.250.1.213.1.1.1.39" => "urn:ihe:pharm:pre:2010",
        "1.2.250.1.213.1.1.1.54" => "urn:ihe:pharm:dis:2010",
        "1.2.250.1.213.1.1.1.42" | "1.2.250.1.213.1.1.1.43" | "1.2.250.1.213.1.1.1.44" => {
            "urn:ihe:eyecare:geneyeevalcn:2014"
        }
        "1.2.250.1.213.1.1.1.45" => "urn:ihe:rad:CDA:ImagingReportStructuredHeadings:2013",
        "1.2.250.1.213.1.1.1.55" | "1.3.6.1.4.1.19376.1.3.3" => "urn:ihe:lab:xd-lab:2008",
        "1.2.250.1.213.1.1.1.57" => "urn:ihe:palm:apsr:2016",
        "1.2.250.1.213.1.1.1.51" => "urn:ihe:pcc:ips:2020",
        "1.3.6.1.4.1.19376.1.8.1.1.1" => "urn:ihe:pat:apsr:all:2010",
        other => return apsr_format_code(other),
    };
    Some(format_code(code))
}

/// IHE PAT APSR organ templates `1.3.6.1.4.1.19376.1.8.1.1.2.N` (ASS_A11, group TRE_A11).
fn apsr_format_code(template: &str) -> Option<Code> {
    const ORGANS: [&str; 20] = [
        "breast",
        "colon",
        "prostate",
        "thyroid",
        "lung",
        "skin",
        "kidney",
        "cervix",
        "endometrium",
        "ovary",
        "esophagus",
        "stomach",
        "liver",
        "pancreas",
        "testis",
        "urinary_bladder",
        "lip_oral_cavity",
        "pharynx",
        "salivary_gland",
        "larynx",
    ];
    let n: usize = template
        .strip_prefix("1.3.6.1.4.1.19376.1.8.1.1.2.")?
        .parse()
        .ok()?;
    let organ = ORGANS.get(n.checked_sub(1)?)?;
    let code = format!("urn:ihe:pat:apsr:{organ}:2010");
    Some(Code {
        code,
        code_system: OID_IHE_FORMAT.to_owned(),
        display_name: None,
    })
}

/// The formatCode `code` with its coding scheme (TRE_A11 for `urn:ihe:`, TRE_A06 otherwise)
/// and its JDV_J60-FormatCode-DMP display name when J60 lists it.
pub fn format_code(code: &str) -> Code {
    let scheme = if code.starts_with("urn:ihe:") {
        OID_IHE_FORMAT
    } else {
        OID_TRE_A06
    };
    Code {
        code: code.to_owned(),
        code_system: scheme.to_owned(),
        display_name: format_code_display(code).map(str::to_owned),
    }
}

/// Display names of JDV_J60-FormatCode-DMP (version 20240927120000).
fn format_code_display(code: &str) -> Option<&'static str> {
    Some(match code {
        "urn:ans:ci-sis:bio-ep-bio:2022" => "Prescription d'actes de biologie médicale",
        "urn:ans:ci-sis:img-da:2022" => "Demande d'actes d'imagerie",
        "urn:asip:ci-sis:aunv:2013" => "Fiche d'admission en unité neuro-vasculaire",
        "urn:asip:ci-sis:avk:2009" => "Fiche patient à risque en cardiologie - Traitement AVK",
        "urn:asip:ci-sis:crgm:2018" => "Compte rendu de génétique moléculaire",
        "urn:asip:ci-sis:crrtn:2013" => "Compte-rendu de rétinographie",
        "urn:asip:ci-sis:cse-cs24:2017" => "Certificat de santé du 24ème mois de l'enfant",
        "urn:asip:ci-sis:cse-cs8:2017" => "Certificat de santé du 8ème jour de l'enfant",
        "urn:asip:ci-sis:cse-cs9:2017" => "Certificat de santé du 9ème mois de l'enfant",
        "urn:asip:ci-sis:d2lm-fidd:2017" => {
            "Seconde lecture de mammographie - Fiche d'interprétation du bilan de diagnostic différé"
        }
        "urn:asip:ci-sis:d2lm-fin:2017" => {
            "Seconde lecture de mammographie - Fiche d'interprétation nationale"
        }
        "urn:asip:ci-sis:dci:2009" => {
            "Fiche patient à risque en cardiologie - Défibrillateur cardiaque interne"
        }
        "urn:asip:ci-sis:dlu:2015" | "urn:asip:ci-sis:dlu:2024" => "Document de liaison d'urgence",
        "urn:ans:ci-sis:cse-mde:2023" => "Mesures de signes vitaux",
        "urn:asip:ci-sis:eunv:2013" => "Fiche d'épisode de soin en unité neuro-vasculaire",
        "urn:asip:ci-sis:fludr:2017" => {
            "Fiche de liaison d'urgence - Retour des urgences vers l'EHPAD"
        }
        "urn:asip:ci-sis:fludt:2017" => {
            "Fiche de liaison d'urgence - Transfert de l'EHPAD vers les urgences"
        }
        "urn:asip:ci-sis:frcp:2011" => "Fiche de réunion de concertation pluridisciplinaire",
        "urn:asip:ci-sis:hr:2019" => "Données de remboursement",
        "urn:asip:ci-sis:idap:2011" => "Information et directives anticipées du patient",
        "urn:asip:ci-sis:ldl-ees:2017" => {
            "Lettre de Liaison à l'entrée d'un établissement de santé"
        }
        "urn:asip:ci-sis:ldl-ses:2017" => {
            "Lettre de Liaison à la sortie de l'établissement de santé"
        }
        "urn:asip:ci-sis:pavc:2016" => {
            "Compte-rendu de consultation d'évaluation pluri-professionnelle post AVC"
        }
        "urn:asip:ci-sis:pps-cancer:2017" => "Programme Personnalisé de Soins - Cancer",
        "urn:asip:ci-sis:pps-paerpa:2017" => "Plan Personnalisé de Santé - PAERPA",
        "urn:asip:ci-sis:ppv:2009" => {
            "Fiche patient à risque en cardiologie - Porteur d'une prothèse valvulaire"
        }
        "urn:asip:ci-sis:psc:2009" => {
            "Fiche patient à risque en cardiologie - Porteur d'un stimulateur cardiaque"
        }
        "urn:asip:ci-sis:sdm-mr:2017" => "Set de Données Minimum - Maladies Rares",
        "urn:asip:ci-sis:sunv:2013" => "Fiche de sortie d'unité neuro-vasculaire",
        "urn:asip:ci-sis:tap:2009" => {
            "Fiche patient à risque en cardiologie - Traitement antiagrégant plaquettaire, stent"
        }
        "urn:asip:ci-sis:vac:2019" => "Historique des vaccinations",
        "urn:asip:ci-sis:vsm:2012" => "Synthèse médicale",
        "urn:asip:ci-sis:cr-cpa:2020" => "Compte rendu de consultation pré-anesthésique",
        "urn:asip:ci-sis:cr-anest:2020" => "Compte rendu d'anesthésie",
        "urn:asip:ci-sis:tlm-da:2020" => "Demande d'acte de télémédecine",
        "urn:asip:ci-sis:vac-note:2021" => "Note de vaccination",
        "urn:asip:ci-sis:obp-sap:2023" => "Synthèse antepartum",
        "urn:asip:ci-sis:obp-snm:2023" => "Synthèse Salle de Naissance Mère",
        "urn:asip:ci-sis:obp-sne:2023" => "Synthèse Salle de Naissance Enfant",
        "urn:asip:ci-sis:obp-scm:2023" => "Synthèse Suites de Couches Mère",
        "urn:asip:ci-sis:obp-sem:2023" => "Synthèse Enfant en Maternité",
        "urn:asip:ci-sis:ppp:2023" => "Plan personnalisé de prévention",
        "urn:ans:ci-sis:trod:2024" => "Test rapide d'orientation diagnostique",
        "urn:ihe:iti:xds-sd:pdf:2008" => "Document à corps non structuré en Pdf/A-1",
        "urn:ihe:iti:xds-sd:text:2008" => "Document à corps non structuré en texte brut",
        "urn:ihe:pharm:dis:2010" => "Dispensation médicamenteuse",
        "urn:ihe:iti-fr:xds-sd:jpeg:2010" => "Document à corps non structuré en format jpeg",
        "urn:ihe:iti-fr:xds-sd:rtf:2010" => "Document à corps non structuré en format rtf",
        "urn:ihe:iti-fr:xds-sd:tiff:2010" => "Document à corps non structuré en format tiff",
        "urn:ihe:lab:xd-lab:2008" => "Compte rendu structuré d'examens de biologie médicale",
        "urn:ihe:palm:apsr:2016" => "CR d'anatomie et de cytologie pathologiques",
        "urn:ihe:pcc:ips:2020" => "Synthèse médicale",
        "urn:ihe:pharm:pre:2010" => "Prescription de médicaments",
        "urn:ihe:eyecare:geneyeevalcn:2014" => "CR de consultation en ophtalmologie",
        "urn:ihe:rad:CDA:ImagingReportStructuredHeadings:2013" => {
            "Compte-rendu d'imagerie médicale"
        }
        _ => return None,
    })
}

/// formatCode of a CDA R2 N1 (XDS-SD, templateId 1.3.6.1.4.1.19376.1.2.20) by the media type
/// of its `nonXMLBody` (ASS_A12-CorresMediaTypeCDANonStructure-XdsFormatCode-CISIS). These
/// codes denote a CDA wrapping the content: never give them to the bare PDF beside a CDA.
pub fn format_code_for_media_type(media_type: &str) -> Option<Code> {
    let code = match media_type {
        "application/pdf" => "urn:ihe:iti:xds-sd:pdf:2008",
        "text/plain" => "urn:ihe:iti:xds-sd:text:2008",
        "image/jpeg" => "urn:ihe:iti-fr:xds-sd:jpeg:2010",
        "text/rtf" => "urn:ihe:iti-fr:xds-sd:rtf:2010",
        "image/tiff" => "urn:ihe:iti-fr:xds-sd:tiff:2010",
        _ => return None,
    };
    Some(format_code(code))
}

/// formatCode `urn:ihe:iti:xds:2017:mimeTypeSufficient` (IHE ITI format codes, coding scheme
/// 1.3.6.1.4.1.19376.1.2.3): the mimeType alone says how to read the document. Given to a bare
/// PDF packed beside its CDA, which is not a CDA and so must not carry an XDS-SD code. Not in
/// JDV_J60-FormatCode-DMP: TO VERIFY for a DMP target (override it in `PackOptions`).
pub fn format_code_mime_type_sufficient() -> Code {
    Code::new(
        "urn:ihe:iti:xds:2017:mimeTypeSufficient",
        OID_IHE_FORMAT,
        "mimeType Sufficient",
    )
}

/// Parses an entryUUID given by a caller: `urn:uuid:` and the RFC 4122 hyphenated form
/// (8-4-4-4-12 hexadecimal digits). Returns it lower-cased (RFC 4122 §3: case-insensitive on
/// input, lower case on output); `None` when it is not one.
pub fn parse_entry_uuid(value: &str) -> Option<String> {
    let prefix = value.get(..9)?;
    if !prefix.eq_ignore_ascii_case("urn:uuid:") {
        return None;
    }
    let rest = value.get(9..)?;
    if rest.len() != 36 {
        return None;
    }
    let u = uuid::Uuid::try_parse(rest).ok()?;
    Some(format!("urn:uuid:{}", u.hyphenated()))
}

/// One XDS author (authorPerson XCN, authorInstitution XON, authorRole, authorSpecialty).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct XdsAuthor {
    /// authorPerson (XCN): `id^FAMILY^Given^^^^^^&OID&ISO^D^^^IDNPS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// authorInstitution (XON): `Name^^^^^&OID&ISO^IDNST^^^id`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub institution: Vec<String>,
    /// authorRole (from `author/functionCode`), `code^display^system`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role: Vec<String>,
    /// authorSpecialty (from `assignedAuthor/code`, JDV_J01), `code^display^system`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub specialty: Vec<String>,
}

/// Escapes an HL7 v2 component value (`^&|~\` are delimiters).
fn v2(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\F\\"),
            '^' => out.push_str("\\S\\"),
            '&' => out.push_str("\\T\\"),
            '~' => out.push_str("\\R\\"),
            '\\' => out.push_str("\\E\\"),
            c => out.push(c),
        }
    }
    out
}

/// XCN of a person (CI-SIS: IDNPS with OID 1.2.250.1.71.4.2.1, type code IDNPS).
pub fn xcn(id: Option<&InstanceId>, name: Option<&PersonName>) -> Option<String> {
    let family = name
        .and_then(|n| n.family.as_deref())
        .map(v2)
        .unwrap_or_default();
    let given = name
        .and_then(|n| n.given.as_deref())
        .map(v2)
        .unwrap_or_default();
    match id {
        Some(InstanceId {
            root,
            extension: Some(ext),
        }) => {
            let ty = if root == OID_IDNPS { "IDNPS" } else { "" };
            Some(format!(
                "{}^{family}^{given}^^^^^^&{root}&ISO^D^^^{ty}",
                v2(ext)
            ))
        }
        _ if !family.is_empty() => Some(format!("^{family}^{given}")),
        _ => None,
    }
}

/// XON of an organisation (CI-SIS: IDNST with OID 1.2.250.1.71.4.2.2).
pub fn xon(name: Option<&str>, id: Option<&InstanceId>) -> Option<String> {
    let name = name.map(v2).unwrap_or_default();
    match id {
        Some(InstanceId {
            root,
            extension: Some(ext),
        }) => {
            let ty = if root == OID_IDNST { "IDNST" } else { "" };
            Some(format!("{name}^^^^^&{root}&ISO^{ty}^^^{}", v2(ext)))
        }
        _ if !name.is_empty() => Some(name),
        _ => None,
    }
}

fn ce(c: &Code) -> String {
    format!(
        "{}^{}^{}",
        v2(&c.code),
        v2(c.display_name.as_deref().unwrap_or("")),
        v2(&c.code_system)
    )
}

fn xds_author(a: &Author) -> XdsAuthor {
    XdsAuthor {
        person: xcn(a.id.as_ref(), a.person.as_ref()),
        institution: a
            .organization
            .as_ref()
            .and_then(|o| xon(o.name.as_deref(), o.id.as_ref()))
            .into_iter()
            .collect(),
        role: a.function_code.as_ref().map(ce).into_iter().collect(),
        specialty: a.code.as_ref().map(ce).into_iter().collect(),
    }
}

/// XDS patient identifier (CX) `id^^^&OID&ISO^NH` (INS) or `^PI` (local id). Patient data:
/// redacted in `Debug`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct XdsPatientId(PatientText);

impl XdsPatientId {
    /// Builds the CX of an INS (`NH`) or another identifier (`PI`).
    pub fn new(root: &str, extension: &str) -> Self {
        let ty = if crate::model::INS_OIDS.contains(&root) {
            "NH"
        } else {
            "PI"
        };
        Self(PatientText::new(format!(
            "{}^^^&{root}&ISO^{ty}",
            v2(extension)
        )))
    }

    /// Wraps a CX read from metadata.
    pub fn from_cx(cx: impl Into<String>) -> Self {
        Self(PatientText::new(cx))
    }

    /// The CX string, explicitly.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// The assigning authority OID and the identifier, parsed from the CX.
    pub fn parts(&self) -> Option<(&str, &str)> {
        let cx = self.0.expose();
        let mut comps = cx.split('^');
        let id = comps.next()?;
        let auth = comps.nth(2)?;
        let oid = auth.split('&').nth(1)?;
        if id.is_empty() || oid.is_empty() {
            None
        } else {
            Some((oid, id))
        }
    }

    /// Whether this is an INS (authority 1.2.250.1.213.1.4.8/.9/.10/.11).
    pub fn is_ins(&self) -> bool {
        self.parts()
            .is_some_and(|(oid, _)| crate::model::INS_OIDS.contains(&oid))
    }
}

impl fmt::Debug for XdsPatientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("XdsPatientId(<redacted>)")
    }
}

/// XDS DocumentEntry (fiche du document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentEntry {
    /// entryUUID (`urn:uuid:...`), the registry object id.
    pub entry_uuid: String,
    /// uniqueId: `ClinicalDocument/id` as `root^extension`.
    pub unique_id: String,
    /// typeCode: `ClinicalDocument/code`. Always derived; `None` only when read from another
    /// sender's METADATA.XML that leaves it out (R2 on XDM media, IHE ITI TF-3 Table 4.3.1-3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_code: Option<Code>,
    /// classCode (ASS_X04/ASS_X16). `None` as for `type_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_code: Option<Code>,
    /// formatCode (ASS_A11; XDS-SD for N1). `None` as for `type_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format_code: Option<Code>,
    /// practiceSettingCode: first `serviceEvent/performer/.../standardIndustryClassCode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub practice_setting: Option<Code>,
    /// healthcareFacilityTypeCode: `encompassingEncounter/location/healthCareFacility/code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcare_facility_type: Option<Code>,
    /// confidentialityCode(s).
    pub confidentiality: Vec<Code>,
    /// creationTime (UTC `YYYYMMDDhhmmss`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<String>,
    /// serviceStartTime (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_start_time: Option<String>,
    /// serviceStopTime (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_stop_time: Option<String>,
    /// Authors.
    pub authors: Vec<XdsAuthor>,
    /// legalAuthenticator (XCN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_authenticator: Option<String>,
    /// languageCode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_code: Option<String>,
    /// title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// eventCodeList (serviceEvent codes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_codes: Vec<Code>,
    /// patientId (CX of the INS, or of the local id under
    /// [`PatientIdPolicy::LocalWhenNoIns`]). `None` as for `type_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_id: Option<XdsPatientId>,
    /// sourcePatientId (CX: local id, else the INS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_patient_id: Option<XdsPatientId>,
    /// sourcePatientInfo (`PID-5|...`, `PID-7|...`, `PID-8|...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_patient_info: Vec<PatientText>,
    /// mimeType (`text/xml` for CDA).
    pub mime_type: String,
    /// SHA-1 of the document, lower-case hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// Size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// URI slot (file name within an XDM subset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
}

/// Which identifier of `recordTarget/patientRole/id` becomes the XDS patientId.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PatientIdPolicy {
    /// The INS only (DMP feeding, MSSanté with `X-MSS-INS: O`): a CDA without INS is refused
    /// with [`XdsError::NoPatientIns`].
    #[default]
    RequireIns,
    /// The INS when the CDA carries one; otherwise the first local identifier (IPP) with its
    /// assigning authority, as a CX of type `PI` (`id^^^&OID&ISO^PI`), also written as
    /// sourcePatientId. For a non-qualified identity, whose CDA carries no INS (INS guide: the
    /// INS is only shared once qualified): the MSSanté message then says `X-MSS-INS: N`
    /// (ECO.2.4.2). IHE ITI TF-3 Table 4.3.1-3 makes patientId R2 on XDM media; the DMP does not
    /// accept such a document.
    LocalWhenNoIns,
}

/// Choices the CDA header cannot give.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeriveOptions {
    /// Overrides the classCode (the built-in table is TO VERIFY).
    pub class_code: Option<Code>,
    /// Overrides the formatCode (for templates outside ASS_A11).
    pub format_code: Option<Code>,
    /// entryUUID; a random `urn:uuid:` when `None`.
    pub entry_uuid: Option<String>,
    /// Which patient identifier becomes patientId.
    pub patient_id: PatientIdPolicy,
}

/// SHA-1 of bytes as lower-case hex (XDS `hash`, IHE ITI TF-3 §4.2.3.2.18).
pub fn sha1_hex(bytes: &[u8]) -> String {
    hex(&Sha1::digest(bytes))
}

/// Bytes as lower-case hex (digests).
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    let digit = |nibble: u8| char::from_digit(u32::from(nibble), 16).unwrap_or('0');
    for b in bytes {
        s.push(digit(b >> 4));
        s.push(digit(b & 15));
    }
    s
}

/// A random `urn:uuid:` (UUID v4).
pub fn new_entry_uuid() -> String {
    format!("urn:uuid:{}", uuid::Uuid::new_v4())
}

/// A random OID under `2.25` (ISO/IEC 9834-8: UUID-derived OID), for submission set uniqueIds.
pub fn new_uuid_oid() -> String {
    format!("2.25.{}", uuid::Uuid::new_v4().as_u128())
}

fn utc(ts: Option<&String>, what: &'static str) -> Result<Option<String>, XdsError> {
    ts.map(|t| hl7_to_xds_utc(t).ok_or(XdsError::BadTime(what)))
        .transpose()
}

impl DeriveOptions {
    /// Where the classCode of a derivation with these options comes from.
    pub fn class_code_source(&self) -> ClassCodeSource {
        if self.class_code.is_some() {
            ClassCodeSource::Caller
        } else {
            ClassCodeSource::ProvisionalTable
        }
    }
}

impl DocumentEntry {
    /// Derives the DocumentEntry of a CDA from its header and its bytes (hash and size).
    ///
    /// `media_type` is the N1 body's media type, when the body is non-XML (it selects the
    /// XDS-SD formatCode); see [`crate::read::CdaBody`].
    pub fn derive(
        header: &CdaHeader,
        cda_bytes: &[u8],
        nonxml_media_type: Option<&str>,
        opts: &DeriveOptions,
    ) -> Result<Self, XdsError> {
        let format_code = match &opts.format_code {
            Some(f) => f.clone(),
            None => {
                let is_sd = header
                    .template_ids
                    .iter()
                    .any(|t| t.root == TEMPLATE_XDS_SD);
                let by_media = if is_sd || nonxml_media_type.is_some() {
                    nonxml_media_type.and_then(format_code_for_media_type)
                } else {
                    None
                };
                by_media
                    .or_else(|| {
                        header
                            .template_ids
                            .iter()
                            .find_map(|t| format_code_for_template(&t.root))
                    })
                    .ok_or_else(|| {
                        XdsError::UnknownFormat(
                            header.template_ids.iter().map(|t| t.root.clone()).collect(),
                        )
                    })?
            }
        };
        let class_code = match &opts.class_code {
            Some(c) => c.clone(),
            None => provisional_class_code(&header.type_code.code)
                .ok_or_else(|| XdsError::UnknownClass(header.type_code.code.clone()))?,
        };
        let p = &header.patient;
        let local = p
            .ids
            .iter()
            .find(|i| !i.is_ins() && !i.root.is_empty() && !i.extension.expose().is_empty())
            .map(|i| XdsPatientId::new(&i.root, i.extension.expose()));
        let patient_id = match (p.ins_ids().next(), opts.patient_id) {
            (Some(ins), _) => XdsPatientId::new(&ins.root, ins.extension.expose()),
            (None, PatientIdPolicy::RequireIns) => return Err(XdsError::NoPatientIns),
            (None, PatientIdPolicy::LocalWhenNoIns) => {
                local.clone().ok_or(XdsError::NoPatientId)?
            }
        };
        // sourcePatientId: the local identifier (IPP), else the INS (cda.md §3.1).
        let source_patient_id = local.or_else(|| Some(patient_id.clone()));
        let mut info = Vec::new();
        if let Some(n) = &p.birth_name {
            let given = p.given_names.as_ref().or(p.first_given_name.as_ref());
            info.push(PatientText::new(format!(
                "PID-5|{}^{}^^^^^L",
                v2(n.expose()),
                given.map(|g| v2(g.expose())).unwrap_or_default()
            )));
        }
        if let Some(b) = &p.birth_time {
            info.push(PatientText::new(format!("PID-7|{}", v2(b.expose()))));
        }
        if let Some(g) = &p.gender {
            info.push(PatientText::new(format!("PID-8|{}", v2(g.expose()))));
        }
        let first_se = header.service_events.first();
        Ok(Self {
            entry_uuid: opts.entry_uuid.clone().unwrap_or_else(new_entry_uuid),
            unique_id: header.id.to_xds(),
            type_code: Some(header.type_code.clone()),
            class_code: Some(class_code),
            format_code: Some(format_code),
            practice_setting: header
                .service_events
                .iter()
                .find_map(|s| s.practice_setting.clone()),
            healthcare_facility_type: header
                .encounter
                .as_ref()
                .and_then(|e| e.facility_type.clone()),
            confidentiality: header.confidentiality.iter().cloned().collect(),
            creation_time: utc(
                header.effective_time.as_ref(),
                "ClinicalDocument/effectiveTime",
            )?,
            service_start_time: utc(
                first_se.and_then(|s| s.low.as_ref()),
                "serviceEvent/effectiveTime/low",
            )?,
            service_stop_time: utc(
                first_se.and_then(|s| s.high.as_ref()),
                "serviceEvent/effectiveTime/high",
            )?,
            authors: header.authors.iter().map(xds_author).collect(),
            legal_authenticator: header
                .legal_authenticator
                .as_ref()
                .and_then(|l| xcn(l.id.as_ref(), l.person.as_ref())),
            language_code: header.language_code.clone(),
            title: header.title.clone(),
            event_codes: header
                .service_events
                .iter()
                .filter_map(|s| s.code.clone())
                .collect(),
            patient_id: Some(patient_id),
            source_patient_id,
            source_patient_info: info,
            mime_type: "text/xml".to_owned(),
            hash: Some(sha1_hex(cda_bytes)),
            size: Some(cda_bytes.len() as u64),
            uri: None,
        })
    }
}

/// XDS SubmissionSet (lot de soumission).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionSet {
    /// entryUUID (`urn:uuid:...`).
    pub entry_uuid: String,
    /// uniqueId (OID).
    pub unique_id: String,
    /// sourceId: OID of the sending system.
    pub source_id: String,
    /// submissionTime (UTC `YYYYMMDDhhmmss`).
    pub submission_time: String,
    /// contentTypeCode (JDV_J03 CI-SIS / JDV_J59 DMP). `None` only when read from a
    /// METADATA.XML that leaves it out (R2 on XDM media).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<Code>,
    /// Authors.
    pub authors: Vec<XdsAuthor>,
    /// patientId (CX), as the document's. `None` as for `content_type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_id: Option<XdsPatientId>,
    /// title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl SubmissionSet {
    /// A submission set for one document entry: same patient, same authors, contentTypeCode
    /// equal to the document's typeCode unless given (the CI-SIS J03 list reuses J07 codes for
    /// single-document submissions; TO VERIFY per target: the DMP uses JDV_J59).
    pub fn for_entry(entry: &DocumentEntry, source_id: &str, content_type: Option<Code>) -> Self {
        Self {
            entry_uuid: new_entry_uuid(),
            unique_id: new_uuid_oid(),
            source_id: source_id.to_owned(),
            submission_time: now_utc(),
            content_type: content_type.or_else(|| entry.type_code.clone()),
            authors: entry.authors.clone(),
            patient_id: entry.patient_id.clone(),
            title: entry.title.clone(),
        }
    }
}

/// Kinds of XDS associations used here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssociationKind {
    /// Submission set → document (`HasMember`).
    HasMember,
    /// New document → replaced document entry (`RPLC`, IHE ITI TF-3 §4.2.2.2.2).
    Replace,
}

impl AssociationKind {
    /// The ebRIM associationType URN.
    pub fn urn(self) -> &'static str {
        match self {
            Self::HasMember => "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember",
            Self::Replace => "urn:ihe:iti:2007:AssociationType:RPLC",
        }
    }

    /// Parses an associationType URN.
    pub fn from_urn(s: &str) -> Option<Self> {
        match s {
            "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember" => Some(Self::HasMember),
            "urn:ihe:iti:2007:AssociationType:RPLC" => Some(Self::Replace),
            _ => None,
        }
    }
}

/// An association between two registry objects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Association {
    /// Its id.
    pub id: String,
    /// Kind.
    pub kind: AssociationKind,
    /// sourceObject.
    pub source: String,
    /// targetObject.
    pub target: String,
}

/// Metadata of one submission: the set, its document entries and associations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Submission {
    /// The submission set.
    pub submission_set: SubmissionSet,
    /// The document entries.
    pub documents: Vec<DocumentEntry>,
    /// Associations (HasMember for each document, RPLC for replacements).
    pub associations: Vec<Association>,
}

impl Submission {
    /// A submission of `documents` in `set`, with one HasMember per document.
    pub fn new(submission_set: SubmissionSet, documents: Vec<DocumentEntry>) -> Self {
        let associations = documents
            .iter()
            .map(|d| Association {
                id: new_entry_uuid(),
                kind: AssociationKind::HasMember,
                source: submission_set.entry_uuid.clone(),
                target: d.entry_uuid.clone(),
            })
            .collect();
        Self {
            submission_set,
            documents,
            associations,
        }
    }

    /// Declares that document `new_entry_uuid` replaces the registry entry `old_entry_uuid`
    /// (TD2.1; the CDA carries the matching `relatedDocument typeCode="RPLC"`).
    pub fn replace(&mut self, new_entry_uuid: &str, old_entry_uuid: &str) {
        self.associations.push(Association {
            id: new_entry_uuid_string(),
            kind: AssociationKind::Replace,
            source: new_entry_uuid.to_owned(),
            target: old_entry_uuid.to_owned(),
        });
    }
}

fn new_entry_uuid_string() -> String {
    new_entry_uuid()
}
