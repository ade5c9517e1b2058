//! `tls`: see the crate documentation.
