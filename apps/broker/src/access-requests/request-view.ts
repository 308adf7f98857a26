import { describeResource, isRoleResource } from '@doorman/contracts';
import { formatDuration } from '../common/durations';
import type { AccessRequestEntity } from './access-request.entity';

/** A request as the REST API shows it (the access-requests routes, the audit API). */
export const requestView = (r: AccessRequestEntity) => ({
  id: r.id,
  status: r.status,
  statusReason: r.statusReason,
  requesterId: r.requesterId,
  integrationId: r.integrationId,
  flowId: r.flowId,
  flowVersion: r.flowVersion,
  /** The name of the flow that judged the request, at that version. */
  flowName: r.flowName,
  database: r.database,
  schema: r.schema,
  permission: r.permission,
  /** The existing role asked for (database "*", schema its name), or null. */
  role: isRoleResource(r) ? r.schema : null,
  resource: describeResource(r),
  duration: formatDuration(r.durationSeconds),
  durationSeconds: r.durationSeconds,
  justification: r.justification,
  decidedBy: r.decidedBy,
  decidedAt: r.decidedAt,
  grantedAt: r.grantedAt,
  expiresAt: r.expiresAt,
  endedAt: r.endedAt,
  /** Sessions seen while the grant was active: the first, and the last report holding one. */
  firstUsedAt: r.firstUsedAt,
  lastUsedAt: r.lastUsedAt,
  /** `firstLogin`: the duration counts from the first login, which may wait this long. */
  durationStartsAt: r.firstLoginWaitSeconds === null ? 'approval' : 'firstLogin',
  maxWaitForFirstLogin:
    r.firstLoginWaitSeconds === null ? null : formatDuration(r.firstLoginWaitSeconds),
  lastError: r.lastError,
  syncAttempts: r.syncAttempts,
  kind: r.kind,
  extendsRequestId: r.extendsRequestId,
  approverIds: r.approverIds,
  currentStep: r.currentStep + 1,
  escalated: r.escalated,
  pendingExpiresAt: r.pendingExpiresAt,
  extensionCount: r.extensionCount,
  breakGlass: r.breakGlass,
  review: r.breakGlass
    ? {
        status: r.reviewStatus,
        note: r.reviewNote,
        closedBy: r.reviewClosedBy,
        closedAt: r.reviewClosedAt,
      }
    : null,
  createdAt: r.createdAt,
});
