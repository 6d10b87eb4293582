/* placeholder */
#include "nw/flow.h"
