#include "CHostedPlatform.h"
int apus_hosted_placeholder(void) { return 0; }
