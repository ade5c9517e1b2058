//! Runnable examples of the segur SDK: `cargo run -p segur-examples --example <name>`.
//!
//! Each file beside this one is one example; `c/` holds the C examples built against
//! `libsegur.so`.
