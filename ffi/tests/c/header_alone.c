/* The header compiles on its own (no prior include) and twice in one translation unit. */
#include "segur.h"
#include "segur.h"

int header_alone_version_number(void);
int header_alone_version_number(void) { return SEGUR_VERSION_NUMBER; }
