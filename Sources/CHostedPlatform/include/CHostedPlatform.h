#pragma once
// C glue for the hosted platform (placeholder).
int apus_hosted_placeholder(void);
