import { AccessFlowVersionEntity } from '../access-flows/access-flow-version.entity';
import { AccessFlowEntity } from '../access-flows/access-flow.entity';
import { AdminRotationEntity } from '../admin-rotation/admin-rotation.entity';
import { BrowserSessionEntity } from '../auth/browser-session.entity';
import { CliLoginCodeEntity } from '../auth/cli-login-code.entity';
import { SignInAttemptEntity } from '../auth/sign-in-attempt.entity';
import { AuditEventEntity } from '../audit/audit-event.entity';
import { CatalogSchemaEntity } from '../catalog/catalog-schema.entity';
import { IntegrationCatalogEntity } from '../catalog/integration-catalog.entity';
import { ConnectorEntity } from '../connectors/connector.entity';
import { ConnectorTargetEntity } from '../connectors/connector-target.entity';
import { DatabaseUserEntity } from '../grants/database-user.entity';
import { ApiTokenEntity } from '../identity/api-token.entity';
import { GroupEntity } from '../identity/group.entity';
import { UserEntity } from '../identity/user.entity';
import { IntegrationEntity } from '../integrations/integration.entity';
import { OutboxEntity } from '../outbox/outbox.entity';
import { AccessRequestEntity } from '../access-requests/access-request.entity';
import { ApprovalEntity } from '../approvals/approval.entity';
import { ReceiptSigningKeyEntity } from '../receipts/receipt-signing-key.entity';
import { ScimGroupEntity } from '../scim/scim-group.entity';
import { ScimProviderEntity } from '../scim/scim-provider.entity';
import { ScimUserEntity } from '../scim/scim-user.entity';
import { SlackDeliveryEntity } from '../slack/slack-delivery.entity';
import { SlackMessageEntity } from '../slack/slack-message.entity';
import { ObservedSessionEntity } from '../usage/observed-session.entity';

export const ENTITIES = [
  UserEntity,
  ApiTokenEntity,
  GroupEntity,
  ConnectorEntity,
  ConnectorTargetEntity,
  IntegrationEntity,
  AccessFlowEntity,
  AccessFlowVersionEntity,
  ApprovalEntity,
  AccessRequestEntity,
  DatabaseUserEntity,
  OutboxEntity,
  AuditEventEntity,
  AdminRotationEntity,
  SlackMessageEntity,
  SlackDeliveryEntity,
  IntegrationCatalogEntity,
  CatalogSchemaEntity,
  BrowserSessionEntity,
  SignInAttemptEntity,
  CliLoginCodeEntity,
  ScimProviderEntity,
  ScimUserEntity,
  ScimGroupEntity,
  ReceiptSigningKeyEntity,
  ObservedSessionEntity,
];
