/* Contexts: the backend a computation runs on, chosen at run time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "internal.h"

struct dmf_context {
    const dmf_backend *backend;
    char fallback_reason[512];
};

int dmf_backend_parse(const char *name, dmf_backend_kind *kind)
{
    static const char *const names[] = {"auto", "cpu", "cuda"};
    for (int i = 0; i < 3; i++)
        if (name && strcmp(name, names[i]) == 0) {
            *kind = (dmf_backend_kind)i;
            return DMF_OK;
        }
    return dmf_fail(DMF_ERR_ARG, "unknown backend '%s' (expected auto, cpu or cuda)",
                    name ? name : "(null)");
}

int dmf_context_create(dmf_context **out, const char *backend)
{
    *out = NULL;
    dmf_backend_kind kind = DMF_BACKEND_AUTO;
    if (backend && *backend) DMF_TRY(dmf_backend_parse(backend, &kind));
    if (kind == DMF_BACKEND_AUTO) {
        /* The environment overrides only "auto", so an explicit request wins. */
        const char *env = getenv("DMF_BACKEND");
        if (env && *env && dmf_backend_parse(env, &kind) != DMF_OK)
            return dmf_fail_context(DMF_ERR_ARG, "environment variable DMF_BACKEND");
    }
    dmf_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a context");
    if (kind == DMF_BACKEND_CPU) {
        ctx->backend = dmf_backend_cpu();
    } else {
        int status;
        ctx->backend = dmf_backend_cuda(&status);
        if (!ctx->backend) {
            if (kind == DMF_BACKEND_CUDA) {
                free(ctx);
                return status;
            }
            snprintf(ctx->fallback_reason, sizeof ctx->fallback_reason, "%s", dmf_last_error());
            dmf_clear_error();
            ctx->backend = dmf_backend_cpu();
        }
    }
    *out = ctx;
    return DMF_OK;
}

int dmf_context_create_from_backend(dmf_context **out, const dmf_backend *backend)
{
    *out = NULL;
    if (!backend || !backend->name) return dmf_fail(DMF_ERR_ARG, "no backend table");
    dmf_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a context");
    ctx->backend = backend;
    *out = ctx;
    return DMF_OK;
}

void dmf_context_free(dmf_context *ctx) { free(ctx); }

const char *dmf_context_backend_name(const dmf_context *ctx) { return ctx->backend->name; }

const char *dmf_context_fallback_reason(const dmf_context *ctx) { return ctx->fallback_reason; }

const dmf_backend *dmf_context_backend(const dmf_context *ctx) { return ctx->backend; }
