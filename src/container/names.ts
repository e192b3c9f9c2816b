// Container IDs and names: generation, validation, and the in-memory
// registry that makes a name belong to exactly one container.
import { randomBytes } from 'node:crypto';
import { conflict, invalidParameter } from '../errors';
import { generateName } from './name-generator';

const SHORT_ID_LENGTH = 12;
const ALL_DIGITS = /^[0-9]+$/;

/**
 * A new container ID: 64 hex characters from 32 random bytes. Docker draws
 * again while the first 12 characters are all digits, so that a short ID can
 * never be read as a number (by a shell, a YAML file, a port spec ...).
 */
export function generateContainerId(random: () => Buffer = () => randomBytes(32)): string {
  for (;;) {
    const id = random().toString('hex');
    if (!ALL_DIGITS.test(id.slice(0, SHORT_ID_LENGTH))) return id;
  }
}

const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Checks a user-given name; returns it as stored, with one leading `/`. */
export function validateContainerName(name: string): string {
  if (!VALID_NAME.test(name)) {
    throw invalidParameter(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return withSlash(name);
}

const withSlash = (name: string): string => (name.startsWith('/') ? name : `/${name}`);

/** Docker tries generated names this many times before it falls back to the short ID. */
const GENERATED_NAME_ATTEMPTS = 6;

/**
 * Which container owns which name. Names are stored with their leading `/`;
 * legacy link names (`/parent/alias`) live here too, as in Docker, so a link
 * alias and a container name can never collide.
 *
 * Every method is synchronous: a check-and-set inside one call cannot
 * interleave with another request, which is what makes reservation atomic.
 */
export class NameRegistry {
  private readonly idByName = new Map<string, string>();
  private readonly namesById = new Map<string, Set<string>>();

  constructor(private readonly generate: (retry: number) => string = generateName) {}

  /**
   * Gives `name` to container `id`. Reserving a name the same container
   * already holds is a no-op.
   * @throws EngineError EEXIST with Docker's "Conflict. The container name ..." text.
   */
  reserve(name: string, id: string): void {
    const key = withSlash(name);
    const owner = this.idByName.get(key);
    if (owner === id) return;
    if (owner !== undefined) throw nameInUse(key, owner);
    this.idByName.set(key, id);
    let names = this.namesById.get(id);
    if (!names) this.namesById.set(id, (names = new Set()));
    names.add(key);
  }

  /**
   * Reserves a generated `adjective_surname` name for `id` and returns it
   * (with `/`): up to six tries, the later ones with a digit appended, then
   * the short ID as a last resort.
   */
  reserveGenerated(id: string): string {
    for (let attempt = 0; attempt < GENERATED_NAME_ATTEMPTS; attempt++) {
      const name = withSlash(this.generate(attempt));
      const owner = this.idByName.get(name);
      if (owner !== undefined && owner !== id) continue;
      this.reserve(name, id);
      return name;
    }
    const fallback = `/${id.slice(0, SHORT_ID_LENGTH)}`;
    this.reserve(fallback, id);
    return fallback;
  }

  release(name: string): void {
    const key = withSlash(name);
    const owner = this.idByName.get(key);
    if (owner === undefined) return;
    this.idByName.delete(key);
    const names = this.namesById.get(owner);
    names?.delete(key);
    if (names?.size === 0) this.namesById.delete(owner);
  }

  /** Frees every name `id` holds (its own and the link names that point at it). */
  releaseAll(id: string): void {
    const names = this.namesById.get(id);
    if (!names) return;
    for (const name of names) this.idByName.delete(name);
    this.namesById.delete(id);
  }

  /** The container holding `name`, given with or without its leading `/`. */
  get(name: string): string | undefined {
    if (name === '') return undefined;
    return this.idByName.get(withSlash(name));
  }

  /** Every name `id` holds, in reservation order. */
  namesOf(id: string): string[] {
    return [...(this.namesById.get(id) ?? [])];
  }

  /** How many names are reserved. */
  get size(): number {
    return this.idByName.size;
  }
}

/** Docker's 409 text for a name (or link name) another container holds. */
export function nameInUse(name: string, ownerId: string): Error {
  return conflict(
    `Conflict. The container name "${name}" is already in use by container "${ownerId}". ` +
      'You have to remove (or rename) that container to be able to reuse that name.',
  );
}
