//! INS = matricule + authority OID.

use super::*;

/// Checks an INS: a 15-character matricule (13 also accepted: the key is computed) and its
/// authority OID (`1.2.250.1.213.1.4.8` NIR, `.9` NIA, `.10` test NIR, `.11` demo NIR; the legacy
/// INS-C `.2` is refused). Writes JSON to `*out_json` (free with `segur_string_free`):
/// `{"matricule":"180032B02040123","oid":"1.2.250.1.213.1.4.8","authority":"nir","is_nia":false,
/// "is_test_or_demo":false,"xds_cx":"180032B02040123^^^&1.2.250.1.213.1.4.8&ISO^NH"}`.
///
/// Errors: the matricule errors of `segur_ins_matricule_check`,
/// `SEGUR_RESULT_INS_LEGACY_INS_C`, `SEGUR_RESULT_INS_UNKNOWN_AUTHORITY`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_ins_check(
    matricule: *const c_char,
    matricule_len: usize,
    oid: *const c_char,
    oid_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: each pointer is followed by its readable length.
        let m = try_ffi!(unsafe { str_arg(matricule, matricule_len) });
        // SAFETY: as above.
        let o = try_ffi!(unsafe { str_arg(oid, oid_len) });
        try_ffi!(out_arg(out_json));
        let ins = try_ffi!(Ins::from_parts(m, o).map_err(ins_err));
        write_json(out_json, &ins_json(&ins))
    })
}

pub(super) fn ins_json(ins: &Ins) -> serde_json::Value {
    let a = ins.authority();
    json!({
        "matricule": ins.matricule().expose(),
        "oid": a.oid(),
        "authority": a,
        "is_nia": a.is_nia(),
        "is_test_or_demo": a.is_test_or_demo(),
        "xds_cx": ins.to_xds_cx(),
    })
}
