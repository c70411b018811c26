/*
 * verve_run: starts N ranks of a program on this host and serves their
 * bootstrap (verve_boot_*). One thread, one poll loop over the bootstrap
 * server's sockets, the ranks' output pipes (with -l) and a signalfd.
 *
 * The ranks share one process group of their own, so that a signal meant
 * for the job also reaches what the ranks started (a shell's children),
 * and the terminal's Ctrl-C reaches only verve_run, which forwards it once.
 *
 * With --netns each rank runs in a network namespace, which stands for a
 * host. The bootstrap server's abstract socket exists only in verve_run's
 * namespace, so the ranks then reach it through a filesystem socket in a
 * private directory, relayed by the same poll loop.
 */
#include "verve_config.h"
#include "core/boot/boot_server.h"
#include "core/boot/boot_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "verve_run.h"

static double run_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void run_usage(FILE *stream)
{
    fprintf(stream,
            "Usage: verve_run -n N [options] [--] program [args...]\n"
            "Starts N ranks of program on this host and serves their "
            "bootstrap.\n"
            "\n"
            "  -n, --np N          number of ranks (required, >= 1)\n"
            "  -l, --tag-output    prefix each output line with [rank]\n"
            "      --timeout SEC   kill the job after SEC seconds "
            "(exit 124)\n"
            "  -x VAR=VALUE        set VAR in the ranks' environment\n"
            "      --netns NS[,NS...]\n"
            "                      run rank r in network namespace "
            "NS[r %% count]\n"
            "                      (/run/netns/NS, as made by 'ip netns "
            "add'; needs\n"
            "                      CAP_SYS_ADMIN); each namespace is a "
            "host: local\n"
            "                      rank and size count the ranks in it\n"
            "  -h, --help          show this help\n"
            "      --version       show the version\n"
            "\n"
            "Exit status: 0 when every rank exits 0, else the first failing "
            "rank's\nstatus (128+N for signal N), 124 on timeout, 127 when "
            "the program\ncannot be executed, 2 on bad options.\n");
}

static int run_usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "verve_run: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    run_usage(stderr);
    return RUN_EXIT_USAGE;
}

/* Splits a copy of NAME[,NAME...] (ps keeps showing the original); -1
 * when malformed. */
static int run_netns_parse(const char *arg, run_options_t *opts)
{
    char *list, *name, *save = NULL;

    opts->num_netns = 0;
    if (arg[0] == '\0' || arg[strlen(arg) - 1] == ',' ||
        strstr(arg, ",,") != NULL || arg[0] == ',') {
        return -1;
    }
    free(opts->netns_list);
    list = opts->netns_list = strdup(arg);
    if (list == NULL) {
        return -1;
    }
    for (name = strtok_r(list, ",", &save); name != NULL;
         name = strtok_r(NULL, ",", &save)) {
        if (opts->num_netns == RUN_NETNS_MAX || strchr(name, '/') ||
            strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
            strlen(name) > NAME_MAX) {
            return -1;
        }
        opts->netns[opts->num_netns++] = name;
    }
    return 0;
}

/* Returns -1 to go on, else the exit code. */
static int run_options_parse(int argc, char **argv, run_options_t *opts)
{
    enum { OPT_TIMEOUT = 256, OPT_VERSION, OPT_NETNS };
    static const struct option long_options[] = {
        {"np", required_argument, NULL, 'n'},
        {"tag-output", no_argument, NULL, 'l'},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"netns", required_argument, NULL, OPT_NETNS},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0}
    };
    char *end;
    long value;
    int c;

    memset(opts, 0, sizeof(*opts));
    opts->env = calloc((size_t)argc, sizeof(*opts->env));
    if (opts->env == NULL) {
        fprintf(stderr, "verve_run: out of memory\n");
        return 1;
    }

    /* '+': options end at the program name, whose own options are its. */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+n:lx:h", long_options,
                            NULL)) != -1) {
        switch (c) {
        case 'n':
            errno = 0;
            value = strtol(optarg, &end, 10);
            if ((errno != 0) || (end == optarg) || (*end != '\0') ||
                (value < 1) || (value > RUN_MAX_RANKS)) {
                return run_usage_error("-n needs a number of ranks from 1 "
                                       "to 4096, not '%s'", optarg);
            }
            opts->np = (unsigned)value;
            break;
        case 'l':
            opts->tag_output = 1;
            break;
        case OPT_TIMEOUT:
            errno = 0;
            opts->timeout = strtod(optarg, &end);
            if ((errno != 0) || (end == optarg) || (*end != '\0') ||
                !(opts->timeout > 0) || (opts->timeout > 1e9)) {
                return run_usage_error("--timeout needs a positive number "
                                       "of seconds, not '%s'", optarg);
            }
            break;
        case 'x':
            if ((strchr(optarg, '=') == NULL) || (optarg[0] == '=')) {
                return run_usage_error("-x needs VAR=VALUE, not '%s'",
                                       optarg);
            }
            opts->env[opts->num_env++] = optarg;
            break;
        case OPT_NETNS:
            if (run_netns_parse(optarg, opts) < 0) {
                return run_usage_error("--netns needs namespace names "
                                       "separated by commas (at most 64, "
                                       "no '/'), not '%s'", optarg);
            }
            break;
        case 'h':
            run_usage(stdout);
            return 0;
        case OPT_VERSION:
            printf("verve_run (verve) %s\n", PACKAGE_VERSION);
            return 0;
        default:
            return run_usage_error("unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }

    if (opts->np == 0) {
        return run_usage_error("%s", "-n N is required");
    }
    if (optind >= argc) {
        return run_usage_error("%s", "no program to run");
    }
    opts->argv = &argv[optind];
    return -1;
}

static void run_write_all(int fd, const char *buffer, size_t length)
{
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    ssize_t ret;

    while (length > 0) {
        ret = write(fd, buffer, length);
        if (ret > 0) {
            buffer += ret;
            length -= (size_t)ret;
        } else if ((ret < 0) && (errno == EAGAIN)) {
            (void)poll(&pfd, 1, -1);
        } else if ((ret < 0) && (errno != EINTR)) {
            return;     /* nobody reads our output any more */
        }
    }
}

/* Emits "[rank] " + line + "\n" with one write, so that lines of different
 * ranks never interleave. */
static void run_relay_emit(unsigned rank, run_relay_t *relay,
                           const char *text, size_t length)
{
    char prefix[16];
    int prefix_length = snprintf(prefix, sizeof(prefix), "[%u] ", rank);
    char *out = malloc((size_t)prefix_length + length + 1);

    if (out == NULL) {
        run_write_all(relay->out_fd, prefix, (size_t)prefix_length);
        run_write_all(relay->out_fd, text, length);
        run_write_all(relay->out_fd, "\n", 1);
        return;
    }
    memcpy(out, prefix, (size_t)prefix_length);
    memcpy(out + prefix_length, text, length);
    out[(size_t)prefix_length + length] = '\n';
    run_write_all(relay->out_fd, out, (size_t)prefix_length + length + 1);
    free(out);
}

static void run_relay_close(unsigned rank, run_relay_t *relay)
{
    if (relay->length > 0) {
        /* The last line had no newline: give it one. */
        run_relay_emit(rank, relay, relay->line, relay->length);
        relay->length = 0;
    }
    close(relay->fd);
    relay->fd = -1;
}

/* Reads what is there: returns > 0 after reading, 0 once closed (end of
 * file or error), < 0 when nothing is there now. */
static int run_relay_read(unsigned rank, run_relay_t *relay)
{
    char *start, *newline, *end;
    ssize_t ret;

    ret = read(relay->fd, relay->line + relay->length,
               RUN_LINE_MAX - relay->length);
    if ((ret < 0) && ((errno == EAGAIN) || (errno == EINTR))) {
        return -1;
    }
    if (ret <= 0) {
        run_relay_close(rank, relay);
        return 0;
    }

    relay->length += (size_t)ret;
    start = relay->line;
    end = relay->line + relay->length;
    while ((newline = memchr(start, '\n', (size_t)(end - start))) != NULL) {
        run_relay_emit(rank, relay, start, (size_t)(newline - start));
        start = newline + 1;
    }
    relay->length = (size_t)(end - start);
    if (relay->length == RUN_LINE_MAX) {
        run_relay_emit(rank, relay, relay->line, relay->length);
        relay->length = 0;
    } else if (start != relay->line) {
        memmove(relay->line, start, relay->length);
    }
    return 1;
}

/* Signals every process of the job's group, rank or not. */
static void run_job_signal(run_job_t *job, int signo)
{
    if ((job->pgid > 0) && (killpg(job->pgid, signo) < 0) &&
        (errno != ESRCH)) {
        fprintf(stderr, "verve_run: kill(-%d, %s) failed: %s\n",
                (int)job->pgid, strsignal(signo), strerror(errno));
    }
}

static void run_job_terminate(run_job_t *job, int signo)
{
    run_job_signal(job, signo);
    if (job->kill_deadline == 0) {
        job->kill_deadline = run_now() + RUN_GRACE_SEC;
    }
}

static void run_job_exited(run_job_t *job, unsigned rank, int wstatus)
{
    run_rank_t *r = &job->ranks[rank];
    int code;

    r->running = 0;
    --job->num_running;
    vs_boot_server_rank_exited(job->server, rank);

    if (WIFEXITED(wstatus)) {
        code = WEXITSTATUS(wstatus);
    } else if (WIFSIGNALED(wstatus)) {
        code = 128 + WTERMSIG(wstatus);
    } else {
        return;
    }
    if ((code == 0) || (job->exit_code >= 0) || job->timed_out) {
        return;
    }

    job->exit_code = code;
    if (WIFEXITED(wstatus)) {
        fprintf(stderr, "verve_run: rank %u (pid %d) exited with status "
                "%d\n", rank, (int)r->pid, code);
    } else {
        fprintf(stderr, "verve_run: rank %u (pid %d) killed by signal %d "
                "(%s)\n", rank, (int)r->pid, WTERMSIG(wstatus),
                strsignal(WTERMSIG(wstatus)));
    }
    if (job->num_running > 0) {
        fprintf(stderr, "verve_run: terminating the other %u rank%s\n",
                job->num_running, (job->num_running == 1) ? "" : "s");
        run_job_terminate(job, SIGTERM);
    }
}

static void run_job_reap(run_job_t *job)
{
    unsigned rank;
    int wstatus;
    pid_t pid;

    while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
        for (rank = 0; rank < job->opts.np; ++rank) {
            if (job->ranks[rank].running && (job->ranks[rank].pid == pid)) {
                run_job_exited(job, rank, wstatus);
                break;
            }
        }
    }
}

static void run_job_signals(run_job_t *job)
{
    struct signalfd_siginfo info;

    while (read(job->signal_fd, &info, sizeof(info)) == sizeof(info)) {
        if (info.ssi_signo == SIGCHLD) {
            run_job_reap(job);
            continue;
        }
        if (job->interrupted == 0) {
            job->interrupted = (int)info.ssi_signo;
        }
        fprintf(stderr, "verve_run: got %s, forwarding it to the ranks\n",
                strsignal((int)info.ssi_signo));
        run_job_terminate(job, (int)info.ssi_signo);
    }
}

static void run_job_timers(run_job_t *job)
{
    double now = run_now();

    if ((job->opts.timeout > 0) && !job->timed_out &&
        (now >= job->start + job->opts.timeout)) {
        job->timed_out = 1;
        fprintf(stderr, "verve_run: job timed out after %g s, killing its "
                "%u running rank%s\n", job->opts.timeout, job->num_running,
                (job->num_running == 1) ? "" : "s");
        run_job_terminate(job, SIGTERM);
    }
    if ((job->kill_deadline > 0) && !job->killed &&
        (now >= job->kill_deadline)) {
        job->killed = 1;
        run_job_signal(job, SIGKILL);
    }
}

static int run_job_poll_timeout(const run_job_t *job)
{
    double next = 0, now = run_now();

    if ((job->opts.timeout > 0) && !job->timed_out) {
        next = job->start + job->opts.timeout;
    }
    if ((job->kill_deadline > 0) && !job->killed &&
        ((next == 0) || (job->kill_deadline < next))) {
        next = job->kill_deadline;
    }
    if (next == 0) {
        return -1;
    }
    if (next <= now) {
        return 0;
    }
    /* Capped: a --timeout of years would overflow poll's milliseconds. */
    return (next - now > 3600) ? 3600 * 1000 : (int)((next - now) * 1000) + 1;
}

/* A verve_run started by mpirun passes on the launcher's PMIX_*
 * variables: its ranks would all take the PMIx rank of verve_run itself
 * (PMIx goes before the built-in bootstrap), so they do not see them. */
static void run_drop_pmix_env(void)
{
    extern char **environ;
    char name[256];
    size_t i = 0;

    while (environ[i] != NULL) {
        const char *eq = strchr(environ[i], '=');
        size_t length = eq ? (size_t)(eq - environ[i]) : 0;
        if (length > 0 && length < sizeof(name) &&
            strncmp(environ[i], "PMIX_", 5) == 0) {
            memcpy(name, environ[i], length);
            name[length] = '\0';
            const char *entry = environ[i];
            /* unsetenv shifts environ: look at i again, unless it failed */
            if (unsetenv(name) == 0 && environ[i] != entry) {
                continue;
            }
        }
        ++i;
    }
}

/* In the child, between fork and exec: never returns. */
static void run_child_exec(run_job_t *job, unsigned rank, pid_t launcher,
                           const sigset_t *orig_mask, int pipes[2][2],
                           int null_fd)
{
    const char *program = job->opts.argv[0];
    char value[32];
    unsigned hosts;
    size_t i;

    (void)setpgid(0, job->pgid);
    if (job->opts.num_netns > 0 &&
        setns(job->netns_fds[rank % job->opts.num_netns], CLONE_NEWNET) <
                0) {
        fprintf(stderr, "verve_run: rank %u: entering network namespace "
                "'%s' failed: %s\n", rank,
                job->opts.netns[rank % job->opts.num_netns],
                strerror(errno));
        _exit(RUN_EXIT_EXEC);
    }
    /* The ranks die with verve_run, even from SIGKILL. */
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != launcher) {
        _exit(RUN_EXIT_EXEC);
    }

    signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_SETMASK, orig_mask, NULL);

    /* Rank 0 reads verve_run's stdin, unless that is a terminal: the
     * ranks' group is not the terminal's foreground group, so reading it
     * would stop the rank with SIGTTIN. */
    if (((rank > 0) || isatty(STDIN_FILENO)) && (null_fd >= 0)) {
        dup2(null_fd, STDIN_FILENO);
    }
    if (job->opts.tag_output) {
        dup2(pipes[0][1], STDOUT_FILENO);
        dup2(pipes[1][1], STDERR_FILENO);
    }

    run_drop_pmix_env();
    setenv(VS_BOOT_ENV_ADDR, (job->relay_fd >= 0)
                                      ? job->relay_path
                                      : vs_boot_server_address(job->server),
           1);
    snprintf(value, sizeof(value), "%u", rank);
    setenv(VS_BOOT_ENV_RANK, value, 1);
    snprintf(value, sizeof(value), "%u", job->opts.np);
    setenv(VS_BOOT_ENV_SIZE, value, 1);
    /* Each namespace is a host holding ranks ns, ns + count, ... */
    hosts = (job->opts.num_netns > 0) ? job->opts.num_netns : 1;
    snprintf(value, sizeof(value), "%u", rank / hosts);
    setenv(VS_BOOT_ENV_LOCAL_RANK, value, 1);
    snprintf(value, sizeof(value), "%u",
             job->opts.np / hosts + (rank % hosts < job->opts.np % hosts));
    setenv(VS_BOOT_ENV_LOCAL_SIZE, value, 1);
    setenv(VS_AUTH_ENV_JOB_KEY, job->job_key, 1);
    for (i = 0; i < job->opts.num_env; ++i) {
        putenv(job->opts.env[i]);
    }

    execvp(program, job->opts.argv);
    fprintf(stderr, "verve_run: rank %u: cannot execute '%s': %s\n", rank,
            program, strerror(errno));
    _exit(RUN_EXIT_EXEC);
}

static int run_job_spawn(run_job_t *job, const sigset_t *orig_mask)
{
    pid_t launcher = getpid();
    int pipes[2][2] = {{-1, -1}, {-1, -1}};
    unsigned rank;
    int null_fd, i;
    pid_t pid;

    null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    for (rank = 0; rank < job->opts.np; ++rank) {
        run_rank_t *r = &job->ranks[rank];

        if (job->opts.tag_output &&
            ((pipe2(pipes[0], O_CLOEXEC) < 0) ||
             (pipe2(pipes[1], O_CLOEXEC) < 0))) {
            fprintf(stderr, "verve_run: pipe for rank %u failed: %s\n",
                    rank, strerror(errno));
            goto err;
        }

        pid = fork();
        if (pid < 0) {
            fprintf(stderr, "verve_run: fork for rank %u failed: %s\n",
                    rank, strerror(errno));
            goto err;
        }
        if (pid == 0) {
            run_child_exec(job, rank, launcher, orig_mask, pipes, null_fd);
        }

        /* Both sides set the group, so it is in place whichever runs
         * first; rank 0 founds it. */
        if (job->pgid == 0) {
            job->pgid = pid;
        }
        (void)setpgid(pid, job->pgid);
        r->pid = pid;
        r->running = 1;
        ++job->num_running;

        for (i = 0; job->opts.tag_output && (i < 2); ++i) {
            close(pipes[i][1]);
            fcntl(pipes[i][0], F_SETFL, O_NONBLOCK);
            r->relay[i].fd = pipes[i][0];
            r->relay[i].out_fd = (i == 0) ? STDOUT_FILENO : STDERR_FILENO;
            pipes[i][0] = pipes[i][1] = -1;
        }
    }
    if (null_fd >= 0) {
        close(null_fd);
    }
    return 0;

err:
    for (i = 0; i < 2; ++i) {
        if (pipes[i][0] >= 0) {
            close(pipes[i][0]);
            close(pipes[i][1]);
        }
    }
    if (null_fd >= 0) {
        close(null_fd);
    }
    return -1;
}

static int run_job_loop(run_job_t *job)
{
    size_t max_fds = 1 + vs_boot_server_pollfd_count(job->server) +
                     2 * (size_t)job->opts.np + 1 + 2 * job->max_proxies;
    struct pollfd *fds = calloc(max_fds, sizeof(*fds));
    size_t num_fds, num_server, num_relay, i;
    unsigned rank;
    int ret;

    if (fds == NULL) {
        fprintf(stderr, "verve_run: out of memory\n");
        return -1;
    }

    while (job->num_running > 0) {
        fds[0].fd = job->signal_fd;
        fds[0].events = POLLIN;
        fds[0].revents = 0;
        num_server = vs_boot_server_pollfds(job->server, &fds[1],
                                            max_fds - 1);
        num_fds = 1 + num_server;
        for (rank = 0; rank < job->opts.np; ++rank) {
            for (i = 0; i < 2; ++i) {
                if (job->ranks[rank].relay[i].fd >= 0) {
                    fds[num_fds].fd = job->ranks[rank].relay[i].fd;
                    fds[num_fds].events = POLLIN;
                    fds[num_fds++].revents = 0;
                }
            }
        }
        num_relay = run_proxy_pollfds(job, &fds[num_fds]);
        num_fds += num_relay;

        ret = poll(fds, num_fds, run_job_poll_timeout(job));
        if ((ret < 0) && (errno != EINTR)) {
            fprintf(stderr, "verve_run: poll failed: %s\n", strerror(errno));
            free(fds);
            return -1;
        }

        /* Output before exits, so a rank's last lines come out before the
         * message about its death. */
        num_fds = 1 + num_server;
        for (rank = 0; (ret > 0) && (rank < job->opts.np); ++rank) {
            for (i = 0; i < 2; ++i) {
                run_relay_t *relay = &job->ranks[rank].relay[i];
                if (relay->fd < 0) {
                    continue;
                }
                if (fds[num_fds++].revents != 0) {
                    run_relay_read(rank, relay);
                }
            }
        }
        if (ret > 0) {
            if (num_relay > 0) {
                run_proxy_handle(job, &fds[num_fds]);
            }
            vs_boot_server_progress(job->server, &fds[1], num_server);
        }
        if ((ret > 0) && (fds[0].revents & POLLIN)) {
            run_job_signals(job);
        }
        run_job_timers(job);
    }

    /* What the ranks wrote before exiting is in the pipes; do not wait
     * for ends that their own children may still hold. */
    for (rank = 0; rank < job->opts.np; ++rank) {
        for (i = 0; i < 2; ++i) {
            run_relay_t *relay = &job->ranks[rank].relay[i];
            while ((relay->fd >= 0) && (run_relay_read(rank, relay) > 0)) {
            }
            if (relay->fd >= 0) {
                run_relay_close(rank, relay);
            }
        }
    }
    free(fds);
    return 0;
}

/* A fresh secret for each job: its ranks prove to each other that they
 * hold it whenever they connect (core/base/auth.h). */
static int run_job_key_make(run_job_t *job)
{
    uint8_t bytes[VS_AUTH_JOB_KEY_BYTES];
    ssize_t n;
    size_t i;

    do {
        n = getrandom(bytes, sizeof(bytes), 0);
    } while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof(bytes)) {
        fprintf(stderr, "verve_run: getrandom for the job key failed: %s\n",
                (n < 0) ? strerror(errno) : "short read");
        return -1;
    }
    for (i = 0; i < sizeof(bytes); ++i) {
        snprintf(job->job_key + 2 * i, 3, "%02x", bytes[i]);
    }
    return 0;
}

static int run_job_setup(run_job_t *job, sigset_t *orig_mask)
{
    sigset_t mask;
    unsigned rank;
    int i;

    job->ranks = calloc(job->opts.np, sizeof(*job->ranks));
    if (job->ranks == NULL) {
        fprintf(stderr, "verve_run: out of memory\n");
        return -1;
    }
    for (rank = 0; rank < job->opts.np; ++rank) {
        for (i = 0; i < 2; ++i) {
            job->ranks[rank].relay[i].fd = -1;
            if (job->opts.tag_output) {
                job->ranks[rank].relay[i].line = malloc(RUN_LINE_MAX);
                if (job->ranks[rank].relay[i].line == NULL) {
                    fprintf(stderr, "verve_run: out of memory\n");
                    return -1;
                }
            }
        }
    }

    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGQUIT);
    if (sigprocmask(SIG_BLOCK, &mask, orig_mask) < 0) {
        fprintf(stderr, "verve_run: sigprocmask failed: %s\n",
                strerror(errno));
        return -1;
    }
    job->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (job->signal_fd < 0) {
        fprintf(stderr, "verve_run: signalfd failed: %s\n", strerror(errno));
        return -1;
    }
    /* A reader of our output that went away must not kill the launcher
     * and orphan the job. */
    signal(SIGPIPE, SIG_IGN);

    if (run_job_key_make(job) < 0) {
        return -1;
    }
    if (vs_boot_server_create(job->opts.np, &job->server) != VERVE_OK) {
        fprintf(stderr, "verve_run: cannot start the bootstrap server\n");
        return -1;
    }
    return (job->opts.num_netns > 0) ? run_netns_setup(job) : 0;
}

static void run_job_cleanup(run_job_t *job)
{
    unsigned rank;
    int i;

    if (job->server != NULL) {
        vs_boot_server_destroy(job->server);
    }
    if (job->signal_fd >= 0) {
        close(job->signal_fd);
    }
    for (i = 0; i < (int)job->opts.num_netns; ++i) {
        if (job->netns_fds[i] >= 0) {
            close(job->netns_fds[i]);
        }
    }
    for (rank = 0; rank < job->max_proxies; ++rank) {
        run_proxy_close(&job->proxies[rank]);
    }
    free(job->proxies);
    if (job->relay_fd >= 0) {
        close(job->relay_fd);
    }
    if (job->relay_path[0] != '\0') {
        unlink(job->relay_path);
    }
    if (job->relay_dir[0] != '\0') {
        rmdir(job->relay_dir);
    }
    for (rank = 0; (job->ranks != NULL) && (rank < job->opts.np); ++rank) {
        for (i = 0; i < 2; ++i) {
            free(job->ranks[rank].relay[i].line);
        }
    }
    free(job->ranks);
    free(job->opts.env);
    free(job->opts.netns_list);
}

int main(int argc, char **argv)
{
    run_job_t job;
    sigset_t orig_mask;
    int ret;

    memset(&job, 0, sizeof(job));
    job.signal_fd = -1;
    job.relay_fd = -1;
    memset(job.netns_fds, -1, sizeof(job.netns_fds));
    job.exit_code = -1;

    ret = run_options_parse(argc, argv, &job.opts);
    if (ret >= 0) {
        free(job.opts.env);
        free(job.opts.netns_list);
        return ret;
    }

    if (run_job_setup(&job, &orig_mask) < 0) {
        run_job_cleanup(&job);
        return 1;
    }

    job.start = run_now();
    if (run_job_spawn(&job, &orig_mask) < 0) {
        job.exit_code = 1;
        run_job_terminate(&job, SIGKILL);
    }
    if (run_job_loop(&job) < 0) {
        /* Without the loop nobody would reap them: take them down. */
        run_job_signal(&job, SIGKILL);
        job.exit_code = 1;
    }

    if (job.timed_out) {
        ret = RUN_EXIT_TIMEOUT;
    } else if (job.exit_code >= 0) {
        ret = job.exit_code;
    } else if (job.interrupted) {
        ret = 128 + job.interrupted;
    } else {
        ret = 0;
    }
    run_job_cleanup(&job);
    return ret;
}
