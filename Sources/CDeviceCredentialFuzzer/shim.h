// libFuzzer's driver, for a program that has its own main (libclang_rt.fuzzer_no_main): devicecred-fuzz
// picks a target by name, then hands the rest of its arguments to libFuzzer.
#ifndef C_DEVICE_CREDENTIAL_FUZZER_SHIM_H
#define C_DEVICE_CREDENTIAL_FUZZER_SHIM_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
