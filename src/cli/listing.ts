// The output of list commands (ps, images, volume ls): docker's default
// table, a `table ...` template with a header row, a plain template per row,
// or `json` (one object per row, keys sorted as docker marshals its contexts).
import { Shown, compileTemplate, goJson, parseFormatOption } from './format';
import { alignColumns } from './table';

/** What a row offers to templates: fields (strings or Shown) and methods such as `.Label "k"`. */
export type RowContext = Record<string, unknown>;

export interface ListingView<T> {
  /** The template of the default table, without the `table ` prefix. */
  defaultTable: string;
  /** Header names of fields, as docker prints them. */
  headers: Record<string, string>;
  /** Header names of methods (`.Label "k"`), whatever their arguments. */
  methodHeaders?: Record<string, string>;
  context(row: T): RowContext;
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9';

/**
 * docker's "natural" order for names (volume ls): runs of digits compare as
 * numbers and sort before other characters, the rest compares bytewise.
 */
export function naturalCompare(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const da = isDigit(a[i]);
    const db = isDigit(b[j]);
    if (da !== db) return da ? -1 : 1;
    if (!da) {
      if (a[i] !== b[j]) return a[i] < b[j] ? -1 : 1;
      i++;
      j++;
      continue;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    const startA = i;
    const startB = j;
    while (i < a.length && isDigit(a[i])) i++;
    while (j < b.length && isDigit(b[j])) j++;
    const numA = a.slice(startA, i);
    const numB = b.slice(startB, j);
    if (numA.length !== numB.length) return numA.length - numB.length;
    if (numA !== numB) return numA < numB ? -1 : 1;
    // Equal numbers: fewer leading zeros first.
    if (startA !== startB) return startA - startB;
  }
  // Equal so far, and the positions move in step: the longer one sorts last.
  return a.length - b.length;
}

/** Adds methods that templates can call but `json` does not print. */
export function withMethods(fields: RowContext, methods: Record<string, (...args: unknown[]) => unknown>): RowContext {
  for (const [name, fn] of Object.entries(methods)) Object.defineProperty(fields, name, { value: fn, enumerable: false });
  return fields;
}

function sortedJson(context: RowContext): string {
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(context).sort()) sorted[key] = context[key];
  return goJson(sorted);
}

function headerContext(view: Pick<ListingView<unknown>, 'headers' | 'methodHeaders'>): RowContext {
  const context: RowContext = {};
  for (const [field, header] of Object.entries(view.headers)) context[field] = new Shown(header, header);
  for (const [method, header] of Object.entries(view.methodHeaders ?? {})) context[method] = (): string => header;
  return context;
}

/**
 * The text a list command prints for `rows` under `--format` (undefined for
 * the default table). Every line ends with a newline.
 * @throws TemplateError for a template berth cannot read or run.
 */
export function renderListing<T>(rows: T[], format: string | undefined, view: ListingView<T>): string {
  const request = parseFormatOption(format);
  if (request.kind === 'json') return rows.map((r) => `${sortedJson(view.context(r))}\n`).join('');
  const table = request.kind === 'default' ? view.defaultTable.replace(/\\t/g, '\t') : request.kind === 'table' ? request.template : null;
  if (table === null) {
    const template = compileTemplate(request.kind === 'template' ? request.template : '');
    return rows.map((r) => `${template.render(view.context(r))}\n`).join('');
  }
  const template = compileTemplate(table);
  const lines = [template.render(headerContext(view)), ...rows.map((r) => template.render(view.context(r)))];
  return `${alignColumns(lines.join('\n'))}\n`;
}
