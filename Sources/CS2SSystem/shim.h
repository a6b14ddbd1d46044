// Fixed-signature wrappers for variadic or macro-only system calls that Swift cannot import.
#ifndef S2S_CSYSTEM_SHIM_H
#define S2S_CSYSTEM_SHIM_H

#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/resource.h>

/// Core dumps off for this process: RLIMIT_CORE 0 and, on Linux, not dumpable (which also keeps
/// other processes of the same user from attaching to it or reading its memory). 0 when both held.
static inline int s2s_disable_core_dumps(void) {
  struct rlimit none = {0, 0};
  int status = setrlimit(RLIMIT_CORE, &none);
#ifdef __linux__
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) status = -1;
#endif
  return status;
}

/// 1 when the process may dump core (Linux: PR_GET_DUMPABLE), 0 when not, -1 when unknown.
static inline int s2s_is_dumpable(void) {
#ifdef __linux__
  return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
#else
  return -1;
#endif
}

#endif
