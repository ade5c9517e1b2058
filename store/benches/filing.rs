//! Filing rate (placeholder).
fn main() {}
