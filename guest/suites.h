/*
 * suites.h - the test suites, one file each (guest/suite_NAME.c). A suite
 * reports with report() & co under its name as prefix; main.c runs the
 * ones selected by tests= in table order. probe (timings of emulated
 * kernel code), crash (the fatal-fault path) and idle (HLT for ever, for
 * the VMM's signal tests) run only when named.
 */
#ifndef GUEST_SUITES_H
#define GUEST_SUITES_H

void suite_hello(void);
void suite_boot(void);
void suite_paging(void);
void suite_exceptions(void);
void suite_timer(void);
void suite_smp(void);
void suite_user(void);
void suite_probe(void);
void suite_crash(void);
void suite_idle(void);

#endif
