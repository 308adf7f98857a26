import type { Exposure } from '../access-flows/exposure.policy';
import type { Actor } from '../identity/actor';
import { PolicyFileError, type Policy, type PolicyError, type PolicySource } from './policy-file';

/**
 * One application of a policy file: what it changes, what it got wrong (each error at its
 * line), and the ids its names resolve to. A dry run resolves what it would create to stable
 * stand-in ids, so every later reference is still checked.
 */
export class PolicyRun {
  readonly changes: string[] = [];
  readonly errors: PolicyError[] = [];
  readonly exposure: Exposure[] = [];
  readonly userIds = new Map<string, string>();
  readonly groupIds = new Map<string, string>();
  readonly connectorIds = new Map<string, string>();
  readonly integrationIds = new Map<string, string>();
  /** Group members as they were before the file, and as the file leaves them (by group id). */
  readonly membersBefore = new Map<string, readonly string[]>();
  readonly membersAfter = new Map<string, readonly string[]>();
  /** Deactivated people (by id): the exposure list never counts them. */
  readonly inactiveUserIds = new Set<string>();

  constructor(
    readonly actor: Actor,
    readonly policy: Policy,
    readonly source: PolicySource,
    readonly dryRun: boolean,
  ) {}

  placeholder(kind: string, name: string): string {
    const hex = Buffer.from(`${kind}:${name}`).toString('hex').padEnd(12, '0').slice(0, 12);
    return `00000000-0000-4000-8000-${hex}`;
  }

  error(path: ReadonlyArray<PropertyKey>, message: string): void {
    this.errors.push(this.source.error(path, message));
  }

  resolveUsers(emails: string[], path: Array<string | number>): string[] {
    return emails.flatMap((e, i) => {
      const id = this.userIds.get(e);
      if (!id) this.error([...path, i], `unknown user ${e}: add it under users or create it first`);
      return id ? [id] : [];
    });
  }

  resolveGroups(names: string[], path: Array<string | number>): string[] {
    return names.flatMap((n, i) => {
      const id = this.groupIds.get(n);
      if (!id) this.error([...path, i], `unknown group ${n}`);
      return id ? [id] : [];
    });
  }

  throwIfErrors(): void {
    if (this.errors.length) throw new PolicyFileError(this.errors);
  }
}
