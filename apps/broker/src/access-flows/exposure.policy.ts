import { isEverything, isRoleResource, ROLE_LEVEL } from '@doorman/contracts';
import { formatDuration } from '../common/durations';
import type { FlowDefinition } from './flow-definition';

/** What a flow change does to who may reach what, and how easily. */
export interface Exposure {
  flow: string;
  change: 'opens' | 'closes';
  /** How many people the line is about (0 when only the approval or the duration changes). */
  people: number;
  /** `db.schema`, `role name`, or `everything`; absent for the flow's longest grant. */
  resource?: string;
  permission?: string;
  /** How requests for this resource and level are approved after the change. */
  approval?: string;
  message: string;
}

/** A flow before and after a change, with its requestors resolved to people (ids). */
export interface ExposureInput {
  before: FlowDefinition | null;
  after: FlowDefinition;
  peopleBefore: ReadonlySet<string>;
  peopleAfter: ReadonlySet<string>;
  /** Deactivated people: they can reach nothing, so they are never counted. */
  inactive?: ReadonlySet<string>;
}

const label = (r: { database: string; schema: string }): string =>
  isEverything(r)
    ? 'everything'
    : isRoleResource(r)
      ? `role ${r.schema}`
      : `${r.database}.${r.schema}`;

/** Every (resource, level) a flow offers: roles only as member, schemas only at schema levels. */
function reach(f: FlowDefinition): Map<string, { resource: string; permission: string }> {
  const out = new Map<string, { resource: string; permission: string }>();
  for (const r of f.resources)
    for (const p of f.permissions)
      if ((p === ROLE_LEVEL) === isRoleResource(r))
        out.set(`${label(r)}\u0000${p}`, { resource: label(r), permission: p });
  return out;
}

/** Approval steps a request at this level waits for: 0 when the flow approves it itself. */
function stepsFor(f: FlowDefinition, permission: string): number {
  const auto = f.autoApprove;
  if (auto && (auto.permissions === null || auto.permissions.some((p) => p === permission)))
    return 0;
  return f.steps.length;
}

const approvalWords = (steps: number) =>
  steps === 0 ? 'none' : steps === 1 ? '1 step' : `${steps} steps`;
const how = (steps: number) =>
  steps === 0 ? 'without approval' : `after ${approvalWords(steps)} of approval`;
const persons = (n: number) => (n === 1 ? '1 person' : `${n} people`);

/**
 * Pure: what changing a flow from `before` to `after` opens up or closes, in words and data.
 * People who gain (or lose) a way to request a resource and level, an approval that gets
 * lighter (or heavier), and a longer (or shorter) longest grant. Nothing when nothing changes.
 */
export function flowExposure(input: ExposureInput): Exposure[] {
  const { before, after } = input;
  const inactive = input.inactive ?? new Set<string>();
  const active = (ids: Iterable<string>) => new Set([...ids].filter((id) => !inactive.has(id)));
  const peopleBefore = active(input.peopleBefore);
  const peopleAfter = active(input.peopleAfter);
  const flow = after.name;
  const out: Exposure[] = [];
  const was = before ? reach(before) : new Map<string, { resource: string; permission: string }>();
  const is = reach(after);
  const added = [...peopleAfter].filter((p) => !peopleBefore.has(p)).length;
  const removed = [...peopleBefore].filter((p) => !peopleAfter.has(p)).length;
  for (const [key, { resource, permission }] of is) {
    const steps = stepsFor(after, permission);
    const approval = approvalWords(steps);
    const base = { flow, resource, permission, approval };
    const gained = was.has(key) ? added : peopleAfter.size;
    if (gained)
      out.push({
        ...base,
        change: 'opens',
        people: gained,
        message: `adds ${persons(gained)} who may reach ${resource} ${permission} ${how(steps)}`,
      });
    if (!was.has(key) || !before) continue;
    if (removed)
      out.push({
        ...base,
        change: 'closes',
        people: removed,
        message: `removes ${persons(removed)} who may reach ${resource} ${permission}`,
      });
    const stepsBefore = stepsFor(before, permission);
    if (stepsBefore !== steps)
      out.push({
        ...base,
        change: steps < stepsBefore ? 'opens' : 'closes',
        people: peopleAfter.size,
        message: `approval of ${resource} ${permission} ${steps < stepsBefore ? 'drops' : 'rises'} from ${approvalWords(stepsBefore)} to ${approval}`,
      });
  }
  if (before)
    for (const [key, { resource, permission }] of was)
      if (!is.has(key) && peopleBefore.size)
        out.push({
          flow,
          resource,
          permission,
          change: 'closes',
          people: peopleBefore.size,
          message: `removes ${persons(peopleBefore.size)} who may reach ${resource} ${permission}`,
        });
  if (before && before.maxDurationSeconds !== after.maxDurationSeconds) {
    const longer = after.maxDurationSeconds > before.maxDurationSeconds;
    out.push({
      flow,
      change: longer ? 'opens' : 'closes',
      people: peopleAfter.size,
      message: `longest grant ${longer ? 'grows' : 'shrinks'} from ${formatDuration(before.maxDurationSeconds)} to ${formatDuration(after.maxDurationSeconds)}`,
    });
  }
  out.push(...breakGlassExposure(flow, before, after, active));
  out.push(...extensionExposure(flow, before, after, peopleAfter.size));
  return out;
}

/** Break-glass skips approval altogether (reviewed afterwards): who gains or loses it. */
function breakGlassExposure(
  flow: string,
  before: FlowDefinition | null,
  after: FlowDefinition,
  active: (ids: Iterable<string>) => Set<string>,
): Exposure[] {
  const was = active(before?.breakGlassUserIds ?? []);
  const is = active(after.breakGlassUserIds);
  const gained = [...is].filter((p) => !was.has(p)).length;
  const lost = [...was].filter((p) => !is.has(p)).length;
  const out: Exposure[] = [];
  if (gained)
    out.push({
      flow,
      change: 'opens',
      people: gained,
      approval: 'none',
      message: `lets ${persons(gained)} break glass: access to what the flow offers at once, without approval, reviewed afterwards`,
    });
  if (lost)
    out.push({
      flow,
      change: 'closes',
      people: lost,
      message: `takes break-glass from ${persons(lost)}`,
    });
  return out;
}

type Extensions = FlowDefinition['extensions'];
const NO_EXTENSIONS: Extensions = { maxCount: 0, maxDurationSeconds: 0, auto: false };
const extensionWords = (e: Extensions) =>
  e.maxCount === 0
    ? 'none'
    : `${e.maxCount} of at most ${formatDuration(e.maxDurationSeconds)}${e.auto ? ', without approval' : ''}`;

/**
 * Extensions make a grant outlive the flow's longest duration: more of them, longer ones, or
 * ones granted without approval open access up. Compared only where extensions are allowed.
 */
function extensionExposure(
  flow: string,
  before: FlowDefinition | null,
  after: FlowDefinition,
  people: number,
): Exposure[] {
  const was = before && before.extensions.maxCount > 0 ? before.extensions : NO_EXTENSIONS;
  const is = after.extensions.maxCount > 0 ? after.extensions : NO_EXTENSIONS;
  if (extensionWords(was) === extensionWords(is)) return [];
  const opens =
    is.maxCount > was.maxCount ||
    (is.maxCount > 0 && (is.maxDurationSeconds > was.maxDurationSeconds || (is.auto && !was.auto)));
  return [
    {
      flow,
      change: opens ? 'opens' : 'closes',
      people,
      message: `extensions ${before ? `change from ${extensionWords(was)} to` : 'allowed:'} ${extensionWords(is)}`,
    },
  ];
}

/** The people a flow's requestors name: its users and the members of its groups. */
export function requestorPeople(
  f: Pick<FlowDefinition, 'requestorUserIds' | 'requestorGroupIds'>,
  membersOf: (groupId: string) => readonly string[],
): Set<string> {
  return new Set([...f.requestorUserIds, ...f.requestorGroupIds.flatMap((g) => membersOf(g))]);
}
