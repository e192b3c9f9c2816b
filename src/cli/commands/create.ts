// `berth create`: the docker client's create flow. Translate the flags,
// ping, claim the --cidfile, pull first with --pull=always, create, and on
// a missing image (--pull=missing) say so, pull and try once more. Only the
// ID goes to stdout; warnings, progress and errors go to stderr.
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { familiarString, parseAnyReference } from '../../image/reference';
import { BackendError } from '../backend';
import type { CommandContext } from '../context';
import { type CreateOptions, buildCreateRequest, validatePullPolicy } from '../create-request';
import { CREATE_FAILED, CliError, UsageError } from '../errors';
import { pullShowingProgress } from '../pulling';
import { bytesArg, collect, integerArg, nanoCpusArg, swapBytesArg } from './option-parsers';

/** The raw option values as commander gives them: lists absent when the flag was never given. */
type RawCreateOptions = Partial<CreateOptions>;

const LIST_OPTIONS = [
  'env', 'envFile', 'volume', 'mount', 'volumesFrom', 'link', 'label', 'labelFile', 'securityOpt', 'publish', 'expose',
  'addHost', 'dns', 'dnsSearch', 'dnsOption', 'capAdd', 'capDrop', 'groupAdd', 'sysctl', 'tmpfs',
] as const;

export function normalizeCreateOptions(raw: RawCreateOptions): CreateOptions {
  const lists = Object.fromEntries(LIST_OPTIONS.map((k) => [k, raw[k] ?? []])) as Pick<CreateOptions, (typeof LIST_OPTIONS)[number]>;
  return { ...raw, ...lists, pull: raw.pull ?? 'missing' };
}

/** `--cidfile`: refused when it exists, created empty before the create, removed if no ID was written. */
class ContainerIdFile {
  private written = false;

  private constructor(private readonly file: string | undefined) {}

  static claim(file: string | undefined): ContainerIdFile {
    if (file === undefined || file === '') return new ContainerIdFile(undefined);
    if (fs.existsSync(file)) {
      throw new CliError(`container ID file found, make sure the other container isn't running or delete ${file}`);
    }
    try {
      fs.writeFileSync(file, '', { flag: 'wx', mode: 0o644 });
    } catch (e) {
      throw new CliError(`failed to create the container ID file: ${(e as Error).message}`);
    }
    return new ContainerIdFile(file);
  }

  write(id: string): void {
    if (this.file === undefined) return;
    try {
      fs.writeFileSync(this.file, id);
    } catch (e) {
      throw new CliError(`failed to write the container ID to the file: ${(e as Error).message}`);
    }
    this.written = true;
  }

  release(): void {
    if (this.file === undefined || this.written) return;
    try {
      fs.rmSync(this.file, { force: true });
    } catch {
      // Leaving an empty file is all that can go wrong, and it is visible.
    }
  }
}

export function registerCreate(program: Command, ctx: CommandContext): void {
  program
    .command('create')
    .description('Create a new container')
    .usage('[OPTIONS] IMAGE [COMMAND] [ARG...]')
    .argument('<image>', 'the image to create the container from')
    .argument('[command...]', 'the command to run and its arguments')
    .passThroughOptions()
    .option('--name <string>', 'Assign a name to the container')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('--pull <string>', 'Pull image before creating ("always", "missing", "never")', 'missing')
    .option('-q, --quiet', 'Suppress the pull output')
    .option('--cidfile <string>', 'Write the container ID to the file')
    .option('-e, --env <list>', 'Set environment variables', collect)
    .option('--env-file <list>', 'Read in a file of environment variables', collect)
    .option('-l, --label <list>', 'Set meta data on a container', collect)
    .option('--label-file <list>', 'Read in a line delimited file of labels', collect)
    .option('-v, --volume <list>', 'Bind mount a volume', collect)
    .option('--mount <mount>', 'Attach a filesystem mount to the container', collect)
    .option('--volumes-from <list>', 'Mount volumes from the specified container(s)', collect)
    .option('--tmpfs <list>', 'Mount a tmpfs directory', collect)
    .option('--link <list>', 'Add link to another container', collect)
    .option('-w, --workdir <string>', 'Working directory inside the container')
    .option('-u, --user <string>', 'Username or UID (format: <name|uid>[:<group|gid>])')
    .option('--group-add <list>', 'Add additional groups to join', collect)
    .option('--entrypoint <string>', 'Overwrite the default ENTRYPOINT of the image')
    .option('--hostname <string>', 'Container host name')
    .option('--domainname <string>', 'Container NIS domain name')
    .option('--ipc <string>', 'IPC mode to use')
    .option('--pid <string>', 'PID namespace to use')
    .option('--uts <string>', 'UTS namespace to use')
    .option('--userns <string>', 'User namespace to use')
    .option('--cgroupns <string>', 'Cgroup namespace to use (host|private)')
    .option('--security-opt <list>', 'Security Options', collect)
    .option('--cap-add <list>', 'Add Linux capabilities', collect)
    .option('--cap-drop <list>', 'Drop Linux capabilities', collect)
    .option('--privileged', 'Give extended privileges to this container')
    .option('--read-only', "Mount the container's root filesystem as read only")
    .option('--sysctl <map>', 'Sysctl options', collect)
    .option('-m, --memory <bytes>', 'Memory limit', bytesArg)
    .option('--memory-swap <bytes>', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", swapBytesArg)
    .option('--memory-swappiness <int>', 'Tune container memory swappiness (0 to 100)', integerArg)
    .option('--memory-reservation <bytes>', 'Memory soft limit', bytesArg)
    .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)', integerArg)
    .option('--cpus <decimal>', 'Number of CPUs', nanoCpusArg)
    .option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--cpuset-mems <string>', 'MEMs in which to allow execution (0-3, 0,1)')
    .option('--cpu-period <int>', 'Limit CPU CFS (Completely Fair Scheduler) period', integerArg)
    .option('--cpu-quota <int>', 'Limit CPU CFS (Completely Fair Scheduler) quota', integerArg)
    .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)', integerArg)
    .option('--oom-score-adj <int>', "Tune host's OOM preferences (-1000 to 1000)", integerArg)
    .option('--shm-size <bytes>', 'Size of /dev/shm', bytesArg)
    .option('--restart <string>', 'Restart policy to apply when a container exits')
    .option('--rm', 'Automatically remove the container and its associated anonymous volumes when it exits')
    .option('-p, --publish <list>', "Publish a container's port(s) to the host", collect)
    .option('-P, --publish-all', 'Publish all exposed ports to random ports')
    .option('--expose <list>', 'Expose a port or a range of ports', collect)
    .option('--network <network>', 'Connect a container to a network')
    .option('--add-host <list>', 'Add a custom host-to-IP mapping (host:ip)', collect)
    .option('--dns <list>', 'Set custom DNS servers', collect)
    .option('--dns-search <list>', 'Set custom DNS search domains', collect)
    .option('--dns-option <list>', 'Set DNS options', collect)
    .option('--stop-signal <string>', 'Signal to stop the container')
    .option('--stop-timeout <int>', 'Timeout (in seconds) to stop a container', integerArg)
    .option('--init', 'Run an init inside the container that forwards signals and reaps processes')
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .action(
      ctx.action(CREATE_FAILED, async (image: string, command: string[], raw: RawCreateOptions) => {
        await createContainer(ctx, image, command, normalizeCreateOptions(raw));
      }),
    );
}

async function createContainer(ctx: CommandContext, image: string, command: string[], options: CreateOptions): Promise<void> {
  let policy: ReturnType<typeof validatePullPolicy>;
  let request: ReturnType<typeof buildCreateRequest>;
  try {
    policy = validatePullPolicy(options.pull);
    request = buildCreateRequest(image, command, options, {
      env: ctx.io.env,
      cwd: ctx.cwd,
      readFile: (p) => ctx.readUserFile(p),
    });
  } catch (e) {
    throw new UsageError((e as Error).message, 'create');
  }

  const backend = await ctx.backend();
  await backend.ping();
  const cidFile = ContainerIdFile.claim(options.cidfile === undefined ? undefined : ctx.resolvePath(options.cidfile));
  try {
    // A name can be pulled; an image ID cannot.
    const parsed = parseAnyReference(image);
    const pullName = parsed.kind === 'named' ? familiarString(parsed.ref) : undefined;
    const pull = (): Promise<void> =>
      pullShowingProgress(backend, image, options.platform, { out: options.quiet ? undefined : ctx.io.stderr, terminal: ctx.io.isTTY });

    if (policy === 'always') await pull();
    let created;
    try {
      created = await backend.createContainer(request);
    } catch (e) {
      if (!(e instanceof BackendError && e.isNotFound && pullName !== undefined && policy === 'missing')) throw e;
      if (!options.quiet) ctx.err(`Unable to find image '${pullName}' locally\n`);
      await pull();
      created = await backend.createContainer(request);
    }
    for (const warning of created.Warnings ?? []) ctx.err(`WARNING: ${warning}\n`);
    cidFile.write(created.Id);
    ctx.out(`${created.Id}\n`);
  } finally {
    cidFile.release();
  }
}
