// The rows of `ps`, `images` and `volume ls` as docker's formatters present
// them: the fields templates see, their headers and the default tables.
import type { ContainerSummary, VolumeInspect } from '../container/types';
import type { ImageSummary } from '../engine/engine';
import { familiarName, familiarString, parseReference } from '../image/reference';
import { Shown } from './format';
import { type ListingView, type RowContext, withMethods } from './listing';
import { displayablePorts } from './ports';
import { formatGoTime } from './timestamps';
import { humanSize, timeAgo } from './units';

/** `sha256:abc...` → the first 12 hex digits. */
export function truncateId(id: string): string {
  const colon = id.indexOf(':');
  const hex = colon >= 0 ? id.slice(colon + 1) : id;
  return hex.slice(0, 12);
}

/** Cuts `s` to `max` characters, the last one an ellipsis. */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  if (max <= 1) return '…'.slice(0, max);
  return `${chars.slice(0, max - 1).join('')}…`;
}

function labelText(labels: Record<string, string> | null | undefined): Shown {
  const map = labels ?? {};
  return new Shown(
    Object.keys(map)
      .sort()
      .map((k) => `${k}=${map[k]}`)
      .join(','),
    map,
  );
}

/** The IMAGE column: a name without its digest, or a short ID. */
function psImage(c: ContainerSummary, trunc: boolean): string {
  if (c.Image === '') return '<no image>';
  if (!trunc) return c.Image;
  if (truncateId(c.ImageID) === truncateId(c.Image)) return truncateId(c.Image);
  try {
    const ref = parseReference(c.Image, { defaultTag: false });
    return ref.tag !== undefined ? familiarString({ domain: ref.domain, path: ref.path, tag: ref.tag }) : familiarName(ref);
  } catch {
    return c.Image;
  }
}

export interface ViewOptions {
  trunc: boolean;
  /** Now, in milliseconds since the epoch. */
  now: number;
}

export function containerView(options: ViewOptions): ListingView<ContainerSummary> {
  const { trunc, now } = options;
  return {
    defaultTable: '{{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t{{.Names}}',
    headers: {
      ID: 'CONTAINER ID',
      Image: 'IMAGE',
      Command: 'COMMAND',
      CreatedAt: 'CREATED AT',
      RunningFor: 'CREATED',
      Ports: 'PORTS',
      State: 'STATE',
      Status: 'STATUS',
      Size: 'SIZE',
      Names: 'NAMES',
      Labels: 'LABELS',
      Mounts: 'MOUNTS',
      Networks: 'NETWORKS',
      LocalVolumes: 'LOCAL VOLUMES',
    },
    methodHeaders: { Label: 'LABEL' },
    context(c): RowContext {
      const allNames = (c.Names ?? []).map((n) => n.replace(/^\//, ''));
      // Truncated output hides link names (`parent/alias`).
      const own = allNames.find((n) => !n.includes('/'));
      const names = trunc && own !== undefined ? [own] : allNames;
      const mounts = (c.Mounts ?? []).map((m) => {
        const name = m.Name || m.Source;
        return trunc ? ellipsis(name, 15) : name;
      });
      const labels = c.Labels ?? {};
      return withMethods(
        {
          Command: JSON.stringify(trunc ? ellipsis(c.Command, 20) : c.Command),
          CreatedAt: formatGoTime(c.Created),
          ID: trunc ? truncateId(c.Id) : c.Id,
          Image: psImage(c, trunc),
          Labels: labelText(labels),
          LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Driver === 'local').length),
          Mounts: new Shown(mounts.join(','), mounts),
          Names: new Shown(names.join(','), names),
          Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort().join(','),
          // docker 28 prints the platform only when the daemon reports one; berth's never does.
          Platform: null,
          Ports: displayablePorts(c.Ports ?? []),
          RunningFor: timeAgo(c.Created, now),
          Size: humanSize(0),
          State: c.State,
          Status: c.Status,
        },
        { Label: (name: unknown) => labels[String(name)] ?? '' },
      );
    },
  };
}

/** One line of `docker images`: an image under one repository and tag. */
export interface ImageRow {
  image: ImageSummary;
  repository: string;
  tag: string;
  digest: string;
}

/** The rows docker shows for images: one per tag, digest-only repositories once, `<none>` for the untagged. */
export function imageRows(images: ImageSummary[], showDigests: boolean): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const image of images) {
    const tags = new Map<string, string[]>();
    const digests = new Map<string, string[]>();
    for (const refString of image.RepoTags ?? []) {
      try {
        const ref = parseReference(refString, { defaultTag: false });
        if (ref.tag !== undefined) tags.set(familiarName(ref), [...(tags.get(familiarName(ref)) ?? []), ref.tag]);
      } catch {
        // `<none>:<none>` and other unreadable tags are no rows of their own.
      }
    }
    for (const refString of image.RepoDigests ?? []) {
      try {
        const ref = parseReference(refString, { defaultTag: false });
        if (ref.digest !== undefined) digests.set(familiarName(ref), [...(digests.get(familiarName(ref)) ?? []), ref.digest]);
      } catch {
        // As above.
      }
    }
    const tagged = tags.size > 0;
    for (const [repository, repoTags] of tags) {
      const repoDigests = showDigests ? (digests.get(repository) ?? []) : [];
      digests.delete(repository);
      for (const tag of repoTags) {
        if (repoDigests.length === 0) rows.push({ image, repository, tag, digest: '<none>' });
        else for (const digest of repoDigests) rows.push({ image, repository, tag, digest });
      }
    }
    for (const [repository, repoDigests] of digests) {
      if (showDigests) for (const digest of repoDigests) rows.push({ image, repository, tag: '<none>', digest });
      else rows.push({ image, repository, tag: '<none>', digest: '<none>' });
    }
    if (!tagged && digests.size === 0) rows.push({ image, repository: '<none>', tag: '<none>', digest: '<none>' });
  }
  return rows;
}

export function imageView(options: ViewOptions & { digests: boolean }): ListingView<ImageRow> {
  const { trunc, now } = options;
  return {
    defaultTable: options.digests
      ? '{{.Repository}}\\t{{.Tag}}\\t{{.Digest}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}'
      : '{{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}',
    headers: {
      ID: 'IMAGE ID',
      Repository: 'REPOSITORY',
      Tag: 'TAG',
      Digest: 'DIGEST',
      CreatedSince: 'CREATED',
      CreatedAt: 'CREATED AT',
      Size: 'SIZE',
      Containers: 'CONTAINERS',
      VirtualSize: 'VIRTUAL SIZE',
      SharedSize: 'SHARED SIZE',
      UniqueSize: 'UNIQUE SIZE',
    },
    context({ image, repository, tag, digest }): RowContext {
      const notAvailable = (n: number): string => (n < 0 ? 'N/A' : humanSize(n));
      return {
        Containers: image.Containers < 0 ? 'N/A' : String(image.Containers),
        CreatedAt: formatGoTime(image.Created),
        CreatedSince: timeAgo(image.Created, now),
        Digest: digest,
        ID: trunc ? truncateId(image.Id) : image.Id,
        Repository: repository,
        SharedSize: notAvailable(image.SharedSize),
        Size: humanSize(image.Size),
        Tag: tag,
        UniqueSize: image.SharedSize < 0 ? 'N/A' : humanSize(image.Size - image.SharedSize),
        // docker prints this one with four digits, unlike SIZE.
        VirtualSize: humanSize(image.Size, 4),
      };
    },
  };
}

export function volumeView(): ListingView<VolumeInspect> {
  return {
    defaultTable: '{{.Driver}}\\t{{.Name}}',
    headers: {
      Name: 'VOLUME NAME',
      Driver: 'DRIVER',
      Scope: 'SCOPE',
      Mountpoint: 'MOUNTPOINT',
      Labels: 'LABELS',
      Links: 'LINKS',
      Size: 'SIZE',
      Group: 'GROUP',
      Availability: 'AVAILABILITY',
      Status: 'STATUS',
    },
    methodHeaders: { Label: 'LABEL' },
    context(v): RowContext {
      const labels = v.Labels ?? {};
      const usage = v.UsageData ?? null;
      return withMethods(
        {
          Availability: 'N/A',
          Driver: v.Driver,
          Group: 'N/A',
          Labels: labelText(labels),
          Links: usage === null || usage.RefCount < 0 ? 'N/A' : String(usage.RefCount),
          Mountpoint: v.Mountpoint,
          Name: v.Name,
          Scope: v.Scope,
          Size: usage === null || usage.Size < 0 ? 'N/A' : humanSize(usage.Size),
          Status: 'N/A',
        },
        { Label: (name: unknown) => labels[String(name)] ?? '' },
      );
    },
  };
}
