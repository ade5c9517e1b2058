//! MSSanté server discovery entry point (`segur_mssante::discovery`): the submission and IMAP
//! servers of a mail domain from DNS SRV records (RFC 6186; Référentiel #2 SC.MSS/CONF.04).

use crate::boundary::{out_arg, str_arg, write_json};
use crate::detail::fail;
use crate::mssante::mss_err;
use crate::result::segur_result;
use crate::try_ffi;
use ::segur_mssante::discovery::{Discovery, system_resolver};
use std::ffi::c_char;

/// Looks up the submission (`_submission._tcp`) and IMAP (`_imap._tcp`) servers of `domain`
/// (`domain_len` UTF-8 bytes, e.g. `pharma.mssante.fr`) with DNS SRV queries over UDP, blocking
/// up to `timeout_ms` milliseconds per query (1 to 60000), and writes them as JSON to
/// `*out_json` (free with `segur_string_free`): `{"submission":[{"host":"smtp.op.fr",
/// "port":587}],"imap":[{"host":"imap.op.fr","port":143}]}`, in RFC 2782 order (priority, then
/// weight); a list is empty when the domain publishes no such service (target "."). Feed a
/// host and port to `segur_mss_send` / `segur_mss_mailbox_new`, which check the server's
/// certificate against that host name. `resolver` (`resolver_len` bytes, `"127.0.0.1:53"` or
/// `"[::1]:53"`) is the DNS server to ask; NULL takes the first `nameserver` of
/// `/etc/resolv.conf`. An operator that publishes no SRV records is configured by hand instead.
///
/// Errors: `SEGUR_RESULT_MSS_DISCOVERY_NO_ANSWER` (no answer in time),
/// `SEGUR_RESULT_MSS_DISCOVERY_MALFORMED_ANSWER`, `SEGUR_RESULT_MSS_DISCOVERY_RESOLVER_ERROR`,
/// `SEGUR_RESULT_MSS_DISCOVERY_NO_RESOLVER` (unreadable resolv.conf, no nameserver),
/// `SEGUR_RESULT_INVALID_PARAMETER` (resolver address, timeout). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_mss_discover(
    domain: *const c_char,
    domain_len: usize,
    resolver: *const c_char,
    resolver_len: usize,
    timeout_ms: u32,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `domain` points to `domain_len` readable bytes.
        let domain = try_ffi!(unsafe { str_arg(domain, domain_len) });
        let resolver = if resolver.is_null() {
            None
        } else {
            // SAFETY: header contract: a non-NULL `resolver` points to its length of bytes.
            Some(try_ffi!(unsafe { str_arg(resolver, resolver_len) }))
        };
        try_ffi!(out_arg(out_json));
        if !(1..=60_000).contains(&timeout_ms) {
            return fail(segur_result::InvalidParameter, "timeout_ms is 1 to 60000");
        }
        let resolver = match resolver {
            Some(r) => try_ffi!(r.parse().map_err(|_| fail(
                segur_result::InvalidParameter,
                "resolver is not an IP address and port"
            ))),
            None => try_ffi!(system_resolver().map_err(mss_err)),
        };
        let discovery = Discovery::Srv {
            resolver,
            timeout: std::time::Duration::from_millis(u64::from(timeout_ms)),
        };
        let servers = try_ffi!(discovery.servers(domain).map_err(mss_err));
        write_json(out_json, &servers)
    })
}
