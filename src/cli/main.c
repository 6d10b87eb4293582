/* placeholder */
#include <stdio.h>
int main(void) { puts("netwarden"); return 0; }
