/* libFuzzer harness: the job-file reader (dmf_jobs_parse, the text in
 * memory), then the look-ups a run makes on what it returns, the checks of
 * every job against the command table (values, trees, rules) and the
 * argument vector of each valid job (src/cli/jobs_commands.c). */
#include <string.h>

#include "cli.h"
#include "fuzz_input.h"
#include "jobs/jobs.h"
#include "jobs_commands.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    dmf_job_list *list = NULL;
    if (dmf_jobs_parse(text, "fuzz/jobs.json", &list) == DMF_OK) {
        FUZZ_CHECK(list != NULL);
        for (size_t j = 0; j < list->count; j++) {
            const dmf_job *job = &list->jobs[j];
            FUZZ_CHECK(job->id && job->id[0] && job->command);
            FUZZ_CHECK(dmf_jobs_find(list, job->id) == (long)j);
            for (size_t a = 0; a < job->num_args; a++) {
                const dmf_job_arg *arg = &job->args[a];
                FUZZ_CHECK(arg->name && (arg->kind == DMF_JOB_VALUE) == (arg->value != NULL));
                FUZZ_CHECK(dmf_job_get_arg(job, arg->name) != NULL);
            }
            char why[2048];
            why[0] = '\0';
            if (jobs_check(job, j, list->dir, why, sizeof why) != EXIT_OK) {
                FUZZ_CHECK(why[0] != '\0' && strlen(why) < sizeof why);
                continue;
            }
            char **argv = NULL;
            if (jobs_build_argv(job, j, "cpu", list->path, &argv) == EXIT_OK) {
                FUZZ_CHECK(argv && !strcmp(argv[0], "dmf") && argv[1]);
                jobs_free_argv(argv);
            }
        }
        FUZZ_CHECK(dmf_jobs_find(list, "") == -1);
    } else {
        FUZZ_CHECK(list == NULL && dmf_last_error()[0]);
    }
    dmf_jobs_free(list);
    free(text);
    return 0;
}
