/* placeholder */
#include "nw/capture.h"
