/* Test-only stand-in for Windows' bcryptprimitives.dll, placed beside the C test programs run
 * under Wine by scripts/test.d/55-ffi-windows; never shipped with segur.dll.
 *
 * Rust's standard library (1.78 and later) draws its random numbers from ProcessPrng, exported by
 * bcryptprimitives.dll on Windows 10 and later. Wine 8 (Debian 12's) has no ProcessPrng, so
 * segur.dll would not load there. This DLL exports it on top of BCryptGenRandom with the system
 * preferred generator, which Wine 8 implements (and Windows documents as the same source,
 * https://learn.microsoft.com/windows/win32/seccng/processprng). Windows itself loads its own
 * bcryptprimitives.dll from System32 (a KnownDLL), never this one. */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  /* BCryptGenRandom takes a ULONG length: fill in chunks. ProcessPrng never fails on Windows;
   * here a failure of the underlying generator aborts rather than return predictable bytes. */
  while (len > 0) {
    ULONG chunk = len > 0x40000000u ? 0x40000000u : (ULONG)len;
    if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
      ExitProcess(70);
    }
    data += chunk;
    len -= chunk;
  }
  return TRUE;
}
