/* placeholder */
#include "nw/decode.h"
