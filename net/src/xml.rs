//! `xml`: see the crate documentation.
