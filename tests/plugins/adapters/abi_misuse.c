/* Deliberately wrong adapters for the loader's refusal tests; one .so per -D variant. */
#include <stddef.h>
#include <string.h>

#include "splitledger/psp_adapter.h"

#if defined(NO_ENTRY_SYMBOL)
/* Exports something, but not psp_adapter_get_api. */
PSP_EXPORT int not_an_adapter(void) { return 42; }
#else

static psp_rc Validate(const psp_host_api* h, psp_str c, psp_result_sink* e) {
  (void)h; (void)c; (void)e;
  return PSP_OK;
}
static psp_rc Create(const psp_host_api* h, psp_str c, psp_str env, psp_instance** out,
                     psp_result_sink* e) {
  (void)h; (void)c; (void)env; (void)e;
  *out = NULL;
  return PSP_E_INTERNAL;
}
static void Destroy(psp_instance* i) { (void)i; }
static psp_rc Begin(psp_instance* i, const psp_op_input* in, psp_op** out) {
  (void)i; (void)in; (void)out;
  return PSP_E_UNSUPPORTED;
}
static psp_rc Step(psp_op* op, const psp_http_response* r, psp_result_sink* s, psp_step* st,
                   psp_http_request* req) {
  (void)op; (void)r; (void)s; (void)st; (void)req;
  return PSP_E_INTERNAL;
}
static void End(psp_op* op) { (void)op; }
static psp_rc Webhook(psp_instance* i, psp_str m, psp_str p, const psp_kv* h, size_t n, psp_bytes b,
                      psp_result_sink* s) {
  (void)i; (void)m; (void)p; (void)h; (void)n; (void)b; (void)s;
  return PSP_E_PARSE;
}

static psp_adapter_v1 table = {sizeof(psp_adapter_v1), PSP_ABI_MAJOR, PSP_ABI_MINOR, "misuse", "0.0.0",
                               0, PSP_THREADING_REENTRANT, Validate, Create, Destroy, Begin, Step,
                               End, Webhook};

PSP_EXPORT const psp_adapter_v1* psp_adapter_get_api(uint32_t major) {
#if defined(FOREIGN_MAJOR)
  /* Built for ABI 2: refuses this host's major, as the contract says. */
  if (major != 2) return NULL;
#elif defined(LYING_MAJOR)
  /* Accepts any major but reports 2 in its table. */
  table.abi_major = 2;
#elif defined(SHORT_TABLE)
  table.struct_size = (uint32_t)offsetof(psp_adapter_v1, op_begin);
#elif defined(NULL_FUNCTION)
  table.op_step = NULL;
#elif defined(BAD_NAME)
  table.name = "Not A Name!";
#endif
  (void)major;
  return &table;
}
#endif
