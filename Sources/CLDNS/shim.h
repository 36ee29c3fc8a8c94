#ifndef CLDNS_SHIM_H
#define CLDNS_SHIM_H
// stdbool.h MUST come first: otherwise ldns/common.h defines _Bool as signed char
// and every ldns `bool` is imported into Swift as Int8.
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <ldns/ldns.h>
#endif
