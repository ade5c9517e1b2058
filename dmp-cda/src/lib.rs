//! HL7 CDA R2 documents of the pharmacist, conformant to the ANS CI-SIS volets, a reader for any
//! CDA R2 document, XDS metadata and IHE_XDM packages.

pub mod model;
pub mod read;
pub mod xml;

pub use model::{Code, InstanceId, PatientId, PatientText};
pub use read::{CdaBody, CdaDocument, CdaError, CdaHeader, read, read_header, read_with};
