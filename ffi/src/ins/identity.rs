//! Identity: strict traits plus RNIV status.

use super::*;

/// A patient identity: strict traits plus RNIV state (`Provisoire`, `Recuperee`, `Validee`,
/// `Qualifiee`, with the homonyme/douteuse/fictive attributes). Functions taking a `const`
/// handle may run concurrently; a function taking a non-`const` handle must not run while any
/// other call uses the same handle (the caller serialises, for example with a mutex).
pub struct segur_identity {
    inner: Identity,
}

/// Makes a provisional identity from the traits (JSON, `TraitsData` form, normalised on input)
/// and `attributes` (a `segur_identity_attributes` value) and writes it to `*out_identity`;
/// free it with `segur_identity_free`.
///
/// Errors: those of `segur_ins_traits_normalize`, `SEGUR_RESULT_INVALID_PARAMETER`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_identity_new(
    traits_json: *const c_char,
    traits_json_len: usize,
    attributes: u32,
    out_identity: *mut *mut segur_identity,
) -> segur_result {
    crate::ffi_boundary!({
        try_ffi!(out_arg(out_identity));
        let a = try_ffi!(self::attributes(attributes));
        let t = try_ffi!(normalize_traits(
            &Normalizer::default(),
            traits_json,
            traits_json_len
        ));
        write_handle(
            out_identity,
            segur_identity {
                inner: Identity::provisional(t, a),
            },
        )
    })
}

/// Restores an identity from the JSON written by `segur_identity_to_json` (for example from the
/// LGO's database) and writes it to `*out_identity`; free it with `segur_identity_free`. Traits
/// are validated again, and states the RNIV forbids cannot be represented.
///
/// Errors: `SEGUR_RESULT_INVALID_JSON` (line and column in the detail). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_identity_from_json(
    json: *const c_char,
    json_len: usize,
    out_identity: *mut *mut segur_identity,
) -> segur_result {
    crate::ffi_boundary!({
        try_ffi!(out_arg(out_identity));
        // SAFETY: header contract: `json` points to `json_len` readable bytes.
        let inner: Identity = try_ffi!(unsafe { json_arg(json, json_len) });
        write_handle(out_identity, segur_identity { inner })
    })
}

/// Writes the identity as JSON (serde form of `segur_ins::Identity`: `{"traits":{...},
/// "state":{"Provisoire":{"attributes":"None"}}}`) to `*out_json` (free with `segur_string_free`).
/// The JSON holds patient data: store it as such. `identity` is not modified.
#[unsafe(no_mangle)]
pub extern "C" fn segur_identity_to_json(
    identity: *const segur_identity,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle.
        let id = try_ffi!(unsafe { handle_ref(identity) });
        write_json(out_json, &id.inner)
    })
}

/// Writes the RNIV status (a `segur_identity_status`) to `*out_status`. `identity` is not
/// modified.
#[unsafe(no_mangle)]
pub extern "C" fn segur_identity_get_status(
    identity: *const segur_identity,
    out_status: *mut segur_identity_status,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle.
        let id = try_ffi!(unsafe { handle_ref(identity) });
        use segur_ins::IdentityStatus as S;
        let s = match id.inner.status() {
            S::Provisoire => segur_identity_status::Provisoire,
            S::Recuperee => segur_identity_status::Recuperee,
            S::Validee => segur_identity_status::Validee,
            S::Qualifiee => segur_identity_status::Qualifiee,
        };
        write_out(out_status, s)
    })
}

/// Whether the matricule of this identity may be transmitted (status Qualifiée only, RNIV
/// EXI SI 08). `false` for NULL. `identity` is not modified.
#[unsafe(no_mangle)]
pub extern "C" fn segur_identity_can_transmit_matricule(identity: *const segur_identity) -> bool {
    crate::ffi_boundary!(default: false, {
        // SAFETY: header contract: NULL or a live handle.
        unsafe { handle_ref(identity) }.is_ok_and(|id| id.inner.can_transmit_matricule())
    })
}

/// Whether INSi may be called for this identity (not douteuse or fictive, EXI ID 26). `false`
/// for NULL. `identity` is not modified.
#[unsafe(no_mangle)]
pub extern "C" fn segur_identity_may_call_insi(identity: *const segur_identity) -> bool {
    crate::ffi_boundary!(default: false, {
        // SAFETY: header contract: NULL or a live handle.
        unsafe { handle_ref(identity) }.is_ok_and(|id| id.inner.may_call_insi())
    })
}

/// Writes the INS of a **qualified** identity as JSON (form of `segur_ins_check`) to
/// `*out_json` (free with `segur_string_free`): the only way to obtain a matricule to transmit.
///
/// Errors: `SEGUR_RESULT_IDENTITY_NOT_QUALIFIED` for any other status. `identity` is not
/// modified.
#[unsafe(no_mangle)]
pub extern "C" fn segur_identity_qualified_ins(
    identity: *const segur_identity,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle.
        let id = try_ffi!(unsafe { handle_ref(identity) });
        try_ffi!(out_arg(out_json));
        match id.inner.qualified() {
            Some(q) => write_json(out_json, &ins_json(q.ins())),
            None => segur_result::IdentityNotQualified,
        }
    })
}

/// Records an INSi retrieval (INS `matricule` + `oid`, traits JSON as returned by INSi): the
/// INSi traits replace the local ones; Provisoire becomes Récupérée, Validée becomes Qualifiée.
/// On error the identity is unchanged.
///
/// Errors: those of `segur_ins_check` and `segur_ins_traits_normalize`,
/// `SEGUR_RESULT_IDENTITY_INSI_BLOCKED` (douteuse or fictive). Mutates `identity`: not
/// concurrently with other calls on it.
#[unsafe(no_mangle)]
pub extern "C" fn segur_identity_record_insi_retrieval(
    identity: *mut segur_identity,
    matricule: *const c_char,
    matricule_len: usize,
    oid: *const c_char,
    oid_len: usize,
    traits_json: *const c_char,
    traits_json_len: usize,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle, used by this call only.
        let id = try_ffi!(unsafe { handle_mut(identity) });
        // SAFETY: header contract: each pointer is followed by its readable length.
        let m = try_ffi!(unsafe { str_arg(matricule, matricule_len) });
        // SAFETY: as above.
        let o = try_ffi!(unsafe { str_arg(oid, oid_len) });
        let ins = try_ffi!(Ins::from_parts(m, o).map_err(ins_err));
        let t = try_ffi!(normalize_traits(
            &Normalizer::default(),
            traits_json,
            traits_json_len
        ));
        try_ffi!(
            id.inner
                .record_insi_retrieval(ins, t)
                .map_err(transition_err)
        );
        segur_result::Ok
    })
}

/// Records a check against a high-trust identity document, given as the JSON serde form of
/// `HighTrustDocument`: `"Passport"`, `"NationalIdCard"`, `"ResidencePermit"`,
/// `"BirthCertificate"`, `"FamilyRecordBook"` or `{"Other":"<code>"}` (the structure's policy
/// decides which are accepted). Provisoire becomes Validée, Récupérée becomes Qualifiée. On error
/// the identity is unchanged.
///
/// Errors: `SEGUR_RESULT_INVALID_JSON`, `SEGUR_RESULT_IDENTITY_DOUBTFUL` (douteuse or fictive).
/// Mutates `identity`: not concurrently with other calls on it.
#[unsafe(no_mangle)]
pub extern "C" fn segur_identity_record_document_check(
    identity: *mut segur_identity,
    document_json: *const c_char,
    document_json_len: usize,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle, used by this call only.
        let id = try_ffi!(unsafe { handle_mut(identity) });
        // SAFETY: header contract: `document_json` points to `document_json_len` readable bytes.
        let doc: HighTrustDocument =
            try_ffi!(unsafe { json_arg(document_json, document_json_len) });
        try_ffi!(id.inner.record_document_check(doc).map_err(transition_err));
        segur_result::Ok
    })
}

/// Marks the identity with `attributes` (a `segur_identity_attributes` value): it falls back to
/// Provisoire and loses its INS (EXI ID 26). Errors: `SEGUR_RESULT_INVALID_PARAMETER`.
/// Mutates `identity`: not concurrently with other calls on it.
#[unsafe(no_mangle)]
pub extern "C" fn segur_identity_mark(
    identity: *mut segur_identity,
    attributes: u32,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle, used by this call only.
        let id = try_ffi!(unsafe { handle_mut(identity) });
        let a = try_ffi!(self::attributes(attributes));
        id.inner.mark(a);
        segur_result::Ok
    })
}

/// Frees an identity; NULL is a no-op. Free each handle exactly once, after every call using it
/// has returned.
#[unsafe(no_mangle)]
pub extern "C" fn segur_identity_free(identity: *mut segur_identity) {
    crate::ffi_boundary!(default: (), {
        // SAFETY: header contract: NULL or a live handle, freed once.
        unsafe { crate::boundary::free_handle(identity) }
    })
}
