//! XDM pack/unpack speed.
#![allow(missing_docs)]
fn main() {}
