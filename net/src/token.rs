//! `token`: see the crate documentation.
