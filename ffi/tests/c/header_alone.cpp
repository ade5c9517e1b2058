// The header compiles on its own in C++ (extern "C" linkage), twice included.
#include "segur.h"
#include "segur.h"

int main() {
  const char *v = segur_version();
  segur_result r = SEGUR_RESULT_OK;
  return (v != nullptr && r == 0 && SEGUR_VERSION_NUMBER >= 100) ? 0 : 1;
}
