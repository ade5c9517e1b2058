/* Two translation units both including segur.h link together (no definitions in the header). */
#include "segur.h"

const char *twice_version(void);
const char *twice_version(void) { return segur_version(); }
