// Image commands: pull, load, import, images, rmi, tag.
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { normalizedString, parseReference } from '../../image/reference';
import { type ArchiveSource, BackendError } from '../backend';
import type { CommandContext } from '../context';
import { CliError, UsageError } from '../errors';
import { checkFormat } from '../format';
import { renderListing } from '../listing';
import { pullShowingProgress } from '../pulling';
import { type ImageRow, imageRows, imageView } from '../views';
import { filterArg } from './option-parsers';

const FAILED = 1;

interface PullFlags {
  quiet?: boolean;
  platform?: string;
  allTags?: boolean;
}

interface ImagesFlags {
  all?: boolean;
  quiet?: boolean;
  /** False with --no-trunc. */
  trunc?: boolean;
  digests?: boolean;
  format?: string;
  filter?: Record<string, string[]>;
}

/** A `reference` filter pattern (`busybox`, `busy*:1.*`) against a row's `repository[:tag]`. */
function matchesReference(row: ImageRow, pattern: string): boolean {
  const glob = (p: string): RegExp => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
  const colon = pattern.lastIndexOf(':');
  const hasTag = colon > pattern.lastIndexOf('/');
  if (!hasTag) return glob(pattern).test(row.repository);
  return glob(pattern.slice(0, colon)).test(row.repository) && glob(pattern.slice(colon + 1)).test(row.tag);
}

/** `images`' filters and repository argument, applied to the rows. */
export function filterImageRows(rows: ImageRow[], filters: Record<string, string[]>, repository?: string): ImageRow[] {
  for (const key of Object.keys(filters)) {
    if (!['reference', 'dangling', 'label'].includes(key)) throw new BackendError(400, `invalid filter '${key}'`);
  }
  return rows.filter((row) => {
    if (repository !== undefined && !matchesReference(row, repository)) return false;
    const references = filters.reference ?? [];
    if (references.length > 0 && !references.some((p) => matchesReference(row, p))) return false;
    for (const value of filters.dangling ?? []) {
      const dangling = row.image.RepoTags.length === 0;
      if ((value === 'true' || value === '1') !== dangling) return false;
    }
    for (const label of filters.label ?? []) {
      const labels = row.image.Labels ?? {};
      const eq = label.indexOf('=');
      if (eq < 0 ? !(label in labels) : labels[label.slice(0, eq)] !== label.slice(eq + 1)) return false;
    }
    return true;
  });
}

export function registerImageCommands(program: Command, ctx: CommandContext): void {
  program
    .command('pull')
    .description('Download an image from a registry')
    .usage('[OPTIONS] NAME[:TAG|@DIGEST]')
    .argument('<name>', 'the image to pull')
    .option('-a, --all-tags', 'Download all tagged images in the repository (not supported by berth)')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('-q, --quiet', 'Suppress verbose output')
    .action(
      ctx.action(FAILED, async (name: string, flags: PullFlags) => {
        if (flags.allTags) throw new UsageError('pulling all tags (-a) is not supported by berth', 'pull');
        const ref = parseReference(name, { defaultTag: false });
        let full = ref;
        if (ref.tag === undefined && ref.digest === undefined) {
          full = parseReference(name);
          if (!flags.quiet) ctx.out(`Using default tag: ${full.tag}\n`);
        }
        const backend = await ctx.backend();
        await pullShowingProgress(backend, name, flags.platform, { out: flags.quiet ? undefined : ctx.io.stdout, terminal: ctx.io.isTTY });
        ctx.out(`${normalizedString(full)}\n`);
      }),
    );

  program
    .command('load')
    .description('Load an image from a tar archive or STDIN')
    .usage('[OPTIONS]')
    .option('-i, --input <string>', 'Read from tar archive file, instead of STDIN')
    .option('-q, --quiet', 'Suppress the load output')
    .action(
      ctx.action(FAILED, async (flags: { input?: string; quiet?: boolean }) => {
        let source: ArchiveSource;
        if (flags.input !== undefined) {
          const file = ctx.resolvePath(flags.input);
          if (!existsSync(file)) throw new CliError(`open ${flags.input}: no such file or directory`);
          source = { file };
        } else {
          if (ctx.io.stdinIsTTY) throw new CliError('requested load from stdin, but stdin is empty');
          source = { stream: ctx.io.stdin };
        }
        const backend = await ctx.backend();
        await backend.loadImages(source, (line) => {
          if (!flags.quiet || line.startsWith('Loaded image')) ctx.out(`${line}\n`);
        });
      }),
    );

  program
    .command('import')
    .description('Import the contents from a tarball to create a filesystem image')
    .usage('[OPTIONS] file|- [REPOSITORY[:TAG]]')
    .argument('<file>', 'a tar archive (plain or gzip), or - for STDIN')
    .argument('[reference]', 'the repository[:tag] to give the image')
    .option('-m, --message <string>', 'Set commit message for imported image')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image (not supported by berth)')
    .action(
      ctx.action(FAILED, async (file: string, reference: string | undefined, flags: { message?: string; platform?: string; change?: string }) => {
        if (flags.change !== undefined) throw new UsageError('import --change is not supported by berth', 'import');
        if (/^[a-z]+:\/\//.test(file)) throw new UsageError('importing from a URL is not supported by berth: download the archive and import the file', 'import');
        if (reference !== undefined) parseReference(reference);
        let stream;
        if (file === '-') {
          stream = ctx.io.stdin;
        } else {
          const p = ctx.resolvePath(file);
          if (!existsSync(p)) throw new CliError(`open ${file}: no such file or directory`);
          if (statSync(p).isDirectory()) throw new CliError(`read ${file}: is a directory`);
          stream = createReadStream(p);
        }
        const backend = await ctx.backend();
        const id = await backend.importImage(stream, {
          ...(reference !== undefined ? { reference } : {}),
          ...(flags.message ? { message: flags.message } : {}),
          ...(flags.platform ? { platform: flags.platform } : {}),
        });
        ctx.out(`${id}\n`);
      }),
    );

  program
    .command('images')
    .description('List images')
    .usage('[OPTIONS] [REPOSITORY[:TAG]]')
    .argument('[repository]', 'show only images of this repository[:tag]')
    .option('-a, --all', 'Show all images (berth keeps no intermediate images, so this changes nothing)')
    .option('-q, --quiet', 'Only show image IDs')
    .option('--no-trunc', "Don't truncate output")
    .option('--digests', 'Show digests')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided (reference, dangling, label)', filterArg)
    .option('--format <string>', "Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')")
    .action(
      ctx.action(FAILED, async (repository: string | undefined, flags: ImagesFlags) => {
        checkFormat(flags.format);
        const backend = await ctx.backend();
        const trunc = flags.trunc !== false;
        const rows = filterImageRows(imageRows(await backend.listImages(), flags.digests === true), flags.filter ?? {}, repository);
        const view = imageView({ trunc, now: ctx.now(), digests: flags.digests === true });
        ctx.out(renderListing(rows, flags.quiet ? '{{.ID}}' : flags.format, view));
      }),
    );

  program
    .command('rmi')
    .description('Remove one or more images')
    .usage('[OPTIONS] IMAGE [IMAGE...]')
    .argument('<images...>', 'images to remove')
    .option('-f, --force', 'Force removal of the image')
    .option('--no-prune', 'Do not delete untagged parents (berth has none to delete)')
    .action(
      ctx.action(FAILED, async (images: string[], flags: { force?: boolean }) => {
        const backend = await ctx.backend();
        let failed = false;
        for (const image of images) {
          try {
            for (const result of await backend.removeImage(image, { force: flags.force })) {
              if (result.Untagged !== undefined) ctx.out(`Untagged: ${result.Untagged}\n`);
              if (result.Deleted !== undefined) ctx.out(`Deleted: ${result.Deleted}\n`);
            }
          } catch (e) {
            ctx.fail(e, FAILED);
            failed = true;
          }
        }
        if (failed) ctx.exitCode = FAILED;
      }),
    );

  program
    .command('tag')
    .description('Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE')
    .usage('SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]')
    .argument('<source>', 'the image to tag')
    .argument('<target>', 'the new name')
    .action(
      ctx.action(FAILED, async (source: string, target: string) => {
        parseReference(target);
        const backend = await ctx.backend();
        await backend.tagImage(source, target);
      }),
    );
}
