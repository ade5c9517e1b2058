//! `soap`: see the crate documentation.
