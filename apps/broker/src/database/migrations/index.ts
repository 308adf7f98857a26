import { Initial1763769600000 } from './1763769600000-initial';
import { PasswordPending1763900000000 } from './1763900000000-password-pending';
import { AdminRotations1763900000001 } from './1763900000001-admin-rotations';
import { ApprovalWorkflows1763950000000 } from './1763950000000-approval-workflows';
import { SlackMessages1764000000000 } from './1764000000000-slack-messages';
import { AuditChain1764100000000 } from './1764100000000-audit-chain';
import { RequestListIndexes1764200000000 } from './1764200000000-request-list-indexes';
import { IntegrationCatalog1764300000000 } from './1764300000000-integration-catalog';
import { GroupSlackUsergroup1764400000000 } from './1764400000000-group-slack-usergroup';
import { CatalogRoles1764500000000 } from './1764500000000-catalog-roles';
import { Deactivation1765000000000 } from './1765000000000-deactivation';
import { MintedTokens1765000000001 } from './1765000000001-minted-tokens';
import { RequestFlowName1765100000000 } from './1765100000000-request-flow-name';
import { DatabaseUserAppliedAt1765400000000 } from './1765400000000-database-user-applied-at';
import { IntegrationCaCertificate1765500000000 } from './1765500000000-integration-ca-certificate';
import { BrowserSessions1765600000000 } from './1765600000000-browser-sessions';
import { SlackDeliveries1765700000000 } from './1765700000000-slack-deliveries';
import { Scim1765800000000 } from './1765800000000-scim';
import { CliLogins1765900000000 } from './1765900000000-cli-logins';
import { RevokeVerification1766090000000 } from './1766090000000-revoke-verification';
import { ReceiptSigningKeys1766100000000 } from './1766100000000-receipt-signing-keys';
import { ObservedSessions1766200000000 } from './1766200000000-observed-sessions';
import { ConnectorTargets1766600000000 } from './1766600000000-connector-targets';

/** Every migration, in order. Reviewed code: entities never synchronise the schema. */
export const MIGRATIONS = [
  Initial1763769600000,
  PasswordPending1763900000000,
  AdminRotations1763900000001,
  ApprovalWorkflows1763950000000,
  SlackMessages1764000000000,
  AuditChain1764100000000,
  RequestListIndexes1764200000000,
  IntegrationCatalog1764300000000,
  GroupSlackUsergroup1764400000000,
  CatalogRoles1764500000000,
  Deactivation1765000000000,
  MintedTokens1765000000001,
  RequestFlowName1765100000000,
  DatabaseUserAppliedAt1765400000000,
  IntegrationCaCertificate1765500000000,
  BrowserSessions1765600000000,
  SlackDeliveries1765700000000,
  Scim1765800000000,
  CliLogins1765900000000,
  RevokeVerification1766090000000,
  ReceiptSigningKeys1766100000000,
  ObservedSessions1766200000000,
  ConnectorTargets1766600000000,
];
