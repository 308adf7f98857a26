import type { PermissionLevel } from '@doorman/contracts/permissions';

/** The shapes the REST API answers with (docs/api.md), as far as the console reads them. */
export type Role = 'admin' | 'security' | 'approver' | 'requester' | 'auditor';

export interface Session {
  person: { id: string; email: string; name: string; roles: Role[] };
  authentication: { authTime?: string; acr?: string; amr?: string[] } | null;
  expiresAt: string;
  csrfToken: string;
}

export type RequestStatus =
  | 'PENDING'
  | 'APPROVED'
  | 'GRANTING'
  | 'ACTIVE'
  | 'REVOKING'
  | 'REVOKED'
  | 'DENIED'
  | 'EXPIRED'
  | 'CANCELLED'
  | 'FAILED'
  | 'APPLIED';

export interface AccessRequest {
  id: string;
  status: RequestStatus;
  statusReason: string | null;
  requesterId: string;
  /** Who asked (list and detail answers). */
  requesterEmail?: string | null;
  integrationId: string;
  flowId: string;
  flowName: string | null;
  database: string;
  schema: string;
  permission: PermissionLevel;
  role: string | null;
  resource: string;
  duration: string;
  justification: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  grantedAt: string | null;
  expiresAt: string | null;
  endedAt: string | null;
  lastError: string | null;
  kind: string;
  extendsRequestId: string | null;
  approverIds: string[];
  currentStep: number;
  escalated: boolean;
  pendingExpiresAt: string | null;
  breakGlass: boolean;
  review: {
    status: string;
    note: string | null;
    closedBy: string | null;
    closedAt: string | null;
  } | null;
  createdAt: string;
}

export interface Approval {
  step: number;
  approverId: string;
  decision: string;
  reason: string | null;
  channel: string;
  at: string;
}

export interface Integration {
  id: string;
  name: string;
  connectorId: string;
  host: string;
  port: number;
  databases: string[];
  sslMode: string;
  rotationDays: number;
  cleanupDays: number;
  adminRotationDays: number;
  customAccessDetails: string | null;
  ownerIds: string[];
  connectionLimit?: number;
}

export interface Flow {
  id: string;
  name: string;
  version: number;
  integrationId: string;
  resources: Array<{ database: string; schema: string; role?: string }>;
  permissions: PermissionLevel[];
  steps: Array<{ quorum: number; timeout: string | null }>;
  defaultDuration: string;
  maxDuration: string;
  justificationRequired: boolean;
}

export interface CatalogView {
  discoveredAt: string | null;
  fresh: boolean;
  pending: boolean;
  lastError: string | null;
  databases: Array<{
    name: string;
    error?: string;
    schemas: Array<{
      schema: string;
      owner: string;
      grantable: PermissionLevel[];
      reason?: string;
    }>;
  }>;
}

export interface WhyView {
  allowed: boolean;
  reason: string | null;
  choice: string | null;
  flows: Array<{
    flowId: string;
    name: string;
    defaultDuration: string;
    maxDuration: string;
    justificationRequired: boolean;
    autoApprove: boolean;
    breakGlass: boolean;
    judges: boolean;
    steps: Array<{ step: number; quorum: number; approvers: Array<{ id: string; email: string }> }>;
  }>;
}

export interface Credentials {
  host: string;
  port: number;
  database: string;
  username: string;
  password: string;
  sslMode: string;
  connectionString: string;
  customAccessDetails: string | null;
  caCertificate: string | null;
  expiresAt: string | null;
}

export interface User {
  id: string;
  email: string;
  name: string;
  roles: Role[];
}

export interface AuditEvent {
  id: string;
  at: string;
  action: string;
  actorId: string | null;
  channel: string | null;
  requestId: string | null;
  integrationId: string | null;
  details: Record<string, unknown> | null;
}
