#include <string.h>

#include "segur.h"

const char *twice_version(void);

int main(void) { return strcmp(twice_version(), segur_version()) == 0 ? 0 : 1; }
