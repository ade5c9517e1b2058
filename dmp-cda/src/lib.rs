//! HL7 CDA R2 documents of the pharmacist, conformant to the ANS CI-SIS volets, a reader for any
//! CDA R2 document, XDS metadata and IHE_XDM packages.
