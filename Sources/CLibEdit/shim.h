/*
 * Fixed-signature wrappers around libedit's native (histedit) API.
 *
 * el_set, el_get and history are C variadic functions, which Swift cannot call. These
 * static inline functions give each call that the wizard needs a plain signature; Swift
 * imports and emits them, so no separate C target is needed.
 */
#ifndef S2S_DOCTOR_CLIBEDIT_SHIM_H
#define S2S_DOCTOR_CLIBEDIT_SHIM_H

#include <histedit.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>

/* Swift 6 rejects references to the mutable C globals stdin/stderr. */
static inline FILE *cle_stdin(void) { return stdin; }
static inline FILE *cle_stderr(void) { return stderr; }

typedef char *(*cle_prompt_fn)(EditLine *);
typedef unsigned char (*cle_cmd_fn)(EditLine *, int);
typedef int (*cle_getc_fn)(EditLine *, wchar_t *);

/* ---- EditLine settings ---- */

static inline int cle_set_editor(EditLine *el, const char *mode) { return el_set(el, EL_EDITOR, mode); }
static inline int cle_set_prompt(EditLine *el, cle_prompt_fn f) { return el_set(el, EL_PROMPT, f); }
static inline int cle_set_getc(EditLine *el, cle_getc_fn f) { return el_set(el, EL_GETCFN, f); }
/* Must stay 0: libedit's own handler re-sends the signal to the whole process group. */
static inline int cle_set_signal(EditLine *el, int on) { return el_set(el, EL_SIGNAL, on); }
static inline int cle_set_clientdata(EditLine *el, void *data) { return el_set(el, EL_CLIENTDATA, data); }
static inline void *cle_get_clientdata(EditLine *el) {
  void *data = NULL;
  el_get(el, EL_CLIENTDATA, &data);
  return data;
}
static inline int cle_set_history(EditLine *el, History *h) { return el_set(el, EL_HIST, history, h); }
static inline int cle_add_function(EditLine *el, const char *name, const char *help, cle_cmd_fn f) {
  return el_set(el, EL_ADDFN, name, help, f);
}
static inline int cle_bind(EditLine *el, const char *key, const char *fn) {
  return el_set(el, EL_BIND, key, fn, (const char *)NULL);
}
/* The FILE* libedit writes to (1 = output), so our text never overtakes its buffered output. */
static inline FILE *cle_get_output(EditLine *el) {
  FILE *f = NULL;
  el_get(el, EL_GETFP, 1, &f);
  return f;
}

/* ---- History ---- */

static inline int cle_history_setsize(History *h, int size) {
  HistEvent ev;
  return history(h, &ev, H_SETSIZE, size);
}
static inline int cle_history_setunique(History *h, int unique) {
  HistEvent ev;
  return history(h, &ev, H_SETUNIQUE, unique);
}
static inline int cle_history_enter(History *h, const char *line) {
  HistEvent ev;
  return history(h, &ev, H_ENTER, line);
}
static inline int cle_history_load(History *h, const char *path) {
  HistEvent ev;
  return history(h, &ev, H_LOAD, path);
}
static inline int cle_history_save(History *h, const char *path) {
  HistEvent ev;
  return history(h, &ev, H_SAVE, path);
}

/* ---- Signals and process hygiene ---- */

/* sigaction without SA_RESTART (glibc's signal() sets it), so blocking calls see EINTR. */
static inline int cle_install_handler(int sig, void (*handler)(int)) {
  struct sigaction sa;
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  return sigaction(sig, &sa, NULL);
}
static inline int cle_default_handler(int sig) {
  struct sigaction sa;
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  return sigaction(sig, &sa, NULL);
}
static inline int cle_unblock(int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  return sigprocmask(SIG_UNBLOCK, &set, NULL);
}
/* ---- Locale ---- */

/* The character set of LC_CTYPE after setlocale, e.g. "UTF-8" or "ANSI_X3.4-1968". */
static inline const char *cle_codeset(void) { return nl_langinfo(CODESET); }

#endif
