//! `sign`: see the crate documentation.
