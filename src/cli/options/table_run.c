/* The table of dmf run, merge, jobs check and info. */
#include <stdio.h>

#include "tables.h"

static const char *const on_term[] = {"finish", "abandon", NULL};

static int run_rules(const cli_args *a, char *why, size_t cap)
{
    if (cli_given(a, "progress") && cli_given(a, "no-progress")) {
        snprintf(why, cap, "--progress and --no-progress exclude each other");
        return 1;
    }
    return 0;
}

static const cli_option run_options[] = {
    {"jobs", ARG_POSITIONAL, V_TEXT, NULL, OPT_REQUIRED, "JOBS.json", NULL, "the job file (above)"},
    {"out", ARG_VALUE, V_OUTPUT, NULL, OPT_REQUIRED, "DIR", NULL, "where the results file goes (created if missing)"},
    VALUE("shard", V_TEXT, "I/N", NULL,
          "0 <= I < N; default from the Slurm array variables: I = (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) / "
          "SLURM_ARRAY_TASK_STEP, N = SLURM_ARRAY_TASK_COUNT; else 0/1"),
    CHOICE("backend", cli_backends, NULL, "passed to every job that takes --backend and sets none"),
    CHOICE("on-term", on_term, "finish",
           "finish: on SIGTERM or SIGINT, start no new job and let the running one finish and be recorded; a "
           "second signal (a second or more after the first) abandons it.  abandon: kill the running job at "
           "once; it has no record and the next run redoes it"),
    FLAG("retry-failed",
         "run again the jobs of the shard recorded failed; the new record is appended and supersedes the failed "
         "one"),
    FLAG("progress",
         "a progress line on stderr (jobs done of the shard, ok, failed, elapsed time, ETA): kept up to date in "
         "place on a terminal, where it is on by default; elsewhere (a log) one line after each job"),
    FLAG("no-progress", "no progress line, also on a terminal"),
    FLAG("quiet", "only warnings and errors on stderr (no line per job)"),
    END_OPTIONS};

const cli_command cli_run = {
    "run",
    "run a JSON file of jobs (or one shard of it), restartable",
    "Runs the jobs of JOBS.json that belong to shard I of N, one after the\n"
    "other, each as a child dmf process, and appends one JSON line per\n"
    "finished job to DIR/results.I-of-N.jsonl:\n"
    "  {\"id\", \"index\", \"command\", \"exit_code\", \"status\": \"ok\"|\"failed\",\n"
    "   \"time_s\", \"result\", \"error\", \"argv\"}\n"
    "result is the job's JSON line (a list when it printed several, null when\n"
    "none), error the end of its stderr when it failed (else null).  A failed\n"
    "job is finished: it is recorded and not retried (see --retry-failed).\n"
    "With --verbose the jobs' stderr (their progress) is copied to stderr.\n"
    "\n"
    "Shards: a job belongs to shard FNV-1a-64(id) mod N, the 64-bit FNV-1a\n"
    "hash of the bytes of its id, so it keeps its shard when jobs are added,\n"
    "removed or reordered in JOBS.json.\n"
    "\n"
    "JOBS.json: {\"defaults\": {...}, \"jobs\": [{\"id\": \"dft-1024\",\n"
    "  \"command\": \"butterfly factor\", \"args\": {\"matrix\": \"dft-bitrev\",\n"
    "  \"size\": 1024, \"orthonormalize\": true}}, ...]}\n"
    "Ids are unique non-empty strings.  args maps option names (no --) to a\n"
    "string or number (--name=value), a list (joined with commas), true (the\n"
    "flag --name) or false (left out); \"defaults\" is merged into every job's\n"
    "args.  Jobs run in the directory of JOBS.json, so relative paths in args\n"
    "start there.  A \"description\" string may sit at the top and in any job.\n"
    "The whole file is checked before any job runs: commands, option names,\n"
    "every value (a dtype, a tree, a matrix name, a number in its range...),\n"
    "required options and the options that exclude each other; 'dmf jobs\n"
    "check JOBS.json' does only that, 'dmf jobs sweep' writes job files.\n",
    run_options,
    "Restart: a rerun skips every job of the shard that any results file in\n"
    "DIR records ok (results.*-of-*.jsonl, of any shard count) or that its own\n"
    "file records failed; a job recorded failed only by a run with another\n"
    "shard count runs again.  A record of a job of the shard made with other\n"
    "arguments than JOBS.json now gives stops the run (exit 1).  Each\n"
    "record is one write() followed by fsync, so a killed run leaves at most a\n"
    "torn last line, which the next run removes (and redoes that job).\n"
    "\n"
    "Messages go to stderr: a line per finished job, the progress line;\n"
    "stdout gets one summary line: {\"command\": \"run\",\n"
    "\"shard\": [I, N], \"jobs\", \"skipped\", \"ok\", \"failed\" (ok and failed count\n"
    "the jobs run now), \"previously_failed\", \"remaining\", \"interrupted\",\n"
    "\"results\"}.  Exit 0 when every job of the shard is recorded ok, 3 when\n"
    "any is recorded failed, 5 when a signal stopped the run early, 1 for a bad\n"
    "job file or results file, 2 for bad usage.  'dmf merge' joins the shards.\n",
    0,
    run_rules};

static const cli_option merge_options[] = {
    {"jobs", ARG_POSITIONAL, V_TEXT, NULL, OPT_REQUIRED, "JOBS.json", NULL, "the job file of the run"},
    {"dir", ARG_POSITIONAL, V_TEXT, NULL, OPT_REQUIRED, "DIR", NULL, "the run's --out folder"},
    VALUE("out", V_OUTPUT, "FILE", NULL, "where the records go (replaced at once when complete); default stdout"),
    END_OPTIONS};

const cli_command cli_merge = {
    "merge",
    "join the results files of the shards of a run",
    "Reads every DIR/results.I-of-N.jsonl written by 'dmf run' (of any N: a\n"
    "rerun split another way adds its own files and skips what these hold)\n"
    "and writes the records in job order, one line per job.  A job recorded ok\n"
    "and failed keeps the ok record (a failed job redone by 'dmf run\n"
    "--retry-failed' or by a run with another N); a job recorded failed twice\n"
    "in one file keeps the later record (--retry-failed again); a job recorded\n"
    "twice otherwise keeps its first record (fewest shards, then lowest shard)\n"
    "with a warning.  A torn last line is ignored (the next 'dmf run' of that\n"
    "shard removes it); records of ids not in JOBS.json, and of jobs since\n"
    "edited, are left out with a warning.  Jobs without a record are listed on\n"
    "stderr, with the results files that should hold them (job id in shard\n"
    "FNV-1a-64(id) mod N, as 'dmf run' assigns them).\n",
    merge_options,
    "A summary line {\"command\": \"merge\", \"jobs\", \"records\", \"ok\", \"failed\",\n"
    "\"missing\", \"missing_ids\", \"duplicates\", \"files\", \"shards\",\n"
    "\"shard_counts\"} goes to stdout with --out, and to stderr when the records\n"
    "go to stdout (\"shards\" is the N of the files, null when they have several;\n"
    "\"shard_counts\" lists them).  Exit 0 when every job has a record, 1 when\n"
    "some are missing, 2 for bad usage.\n",
    0,
    NULL};

static const cli_option jobs_check_options[] = {
    {"jobs", ARG_POSITIONAL, V_TEXT, NULL, OPT_REQUIRED, "JOBS.json", NULL, "the job file"}, END_OPTIONS};

const cli_command cli_jobs_check = {
    "jobs check",
    "check a job file's options and values without running it",
    "Checks JOBS.json as 'dmf run' does before it starts: its JSON shape, ids,\n"
    "commands, option names (with a \"did you mean\"), true/false against\n"
    "flags, every value (dtypes, trees, matrix names, numbers in their range,\n"
    "size lists), required options and options that exclude each other.  The\n"
    "first problems are printed on stderr, naming the job's index, id and the\n"
    "option, with the values it takes.  Files the jobs read are not opened (an\n"
    "earlier job may write them).\n",
    jobs_check_options,
    "On success prints one JSON line:\n"
    "  {\"command\": \"jobs check\", \"file\", \"jobs\", \"commands\": {NAME: COUNT}}\n"
    "Exit 0 when every job is valid, 1 when one is not (or the file is bad),\n"
    "2 for bad usage.\n",
    0,
    NULL};

static const cli_option info_options[] = {END_OPTIONS};

const cli_command cli_info = {
    "info",
    "version, build options, BLAS, backends, GPUs",
    "What this build is and what it can run on.\n",
    info_options,
    "Prints one JSON line: version, build type, compiler, BLAS configuration,\n"
    "CPU threads, the backends compiled in, the backend 'auto' picks and why,\n"
    "the CUDA runtime/driver versions and GPUs found (or why none), and whether\n"
    "MPI (butterfly factor --mpi) is compiled in, with its library version.\n",
    0,
    NULL};
