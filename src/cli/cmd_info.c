/* dmf info: what this build is and what it can run on. */
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "mpi_factor.h"


int cmd_info(int argc, char **argv)
{
    cli_args args;
    int parsed = cli_parse_args("info", argc, argv, &args);
    if (parsed != EXIT_OK) return parsed == CLI_HELP_SHOWN ? EXIT_OK : parsed;
    dmf_build_info build;
    dmf_get_build_info(&build);
    dmf_cuda_info cuda;
    dmf_cuda_query(&cuda);
    dmf_context *ctx = NULL;
    int status = dmf_context_create(&ctx, "auto");

    json_line j;
    json_begin(&j);
    json_str(&j, "version", build.version);
    json_str(&j, "build_type", build.build_type);
    json_str(&j, "compiler", build.compiler);
    json_str(&j, "blas", build.blas);
    json_int(&j, "cpu_threads", build.openmp_threads);
    json_key(&j, "backends_compiled");
    fputs(build.cuda_compiled ? "[\"cpu\", \"cuda\"]" : "[\"cpu\"]", stdout);
    const char *mpi_version = "";
    json_bool(&j, "mpi_compiled", dmf_mpi_compiled(&mpi_version));
    if (mpi_version[0]) json_str(&j, "mpi_library", mpi_version);
    json_str(&j, "auto_backend", status == DMF_OK ? dmf_context_backend_name(ctx) : "none");
    if (status == DMF_OK && dmf_context_fallback_reason(ctx)[0])
        json_str(&j, "auto_fallback_reason", dmf_context_fallback_reason(ctx));
    json_int(&j, "cuda_runtime_version", cuda.runtime_version);
    json_int(&j, "cuda_driver_version", cuda.driver_version);
    json_int(&j, "gpu_count", cuda.device_count);
    json_key(&j, "gpus");
    fputc('[', stdout);
    for (int d = 0; d < cuda.device_count && d < 8; d++) {
        if (d) fputs(", ", stdout);
        fprintf(stdout, "{\"name\": ");
        json_write_string(stdout, cuda.device_names[d]);
        fprintf(stdout, ", \"memory_gib\": %.1f}", cuda.device_memory_gib[d]);
    }
    fputc(']', stdout);
    if (cuda.message[0]) json_str(&j, "gpu_message", cuda.message);
    json_end(&j);
    dmf_context_free(ctx);
    return EXIT_OK;
}
