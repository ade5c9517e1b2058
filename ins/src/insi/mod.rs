//! The INSi teleservice (CNAM, WSDL `DESIR_ICIR_EXP_1.5.0`): reading its `RESULTAT` responses and
//! SOAP faults. Every matricule returned is checked (the qualification environment serves keys
//! that fail mod 97, CNDA case 2.08) and reported per field, never trusted blindly and never a
//! crash.

mod response;

pub use response::{
    Fault, Individual, InsiResponse, MAX_RESPONSE_BYTES, ResponseError, parse_response,
};
