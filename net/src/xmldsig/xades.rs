//! XAdES placeholder
