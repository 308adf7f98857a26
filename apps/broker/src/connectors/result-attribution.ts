import type { ConnectorMessage } from '@doorman/contracts';

/**
 * The integration a message speaks about, if any. A connector serving several targets names
 * the integration in its heartbeats, inventories and session reports; one with a single target
 * names none there.
 */
export function messageIntegrationId(message: ConnectorMessage): string | null {
  switch (message.kind) {
    case 'sync-user':
    case 'cleanup-user':
    case 'rotate-admin':
    case 'discover':
      return message.integrationId;
    // A one-target connector's report names none: the broker knows its integration.
    case 'sessions':
    case 'heartbeat':
    case 'inventory':
      return message.integrationId ?? null;
  }
}

/**
 * Why a message that came on `queueOwner`'s results queue may not be taken, or null
 * when it may. Only that connector's Redis user can write the queue, so the queue is the sender:
 * the message must name it, and an integration it speaks about must be one that connector serves
 * (`integrationOwner`: the integration's connector, null when there is no such integration).
 */
export function attributionRefusal(
  queueOwner: string,
  message: ConnectorMessage,
  integrationOwner: string | null,
): string | null {
  if (message.connectorId !== queueOwner)
    return `names connector ${message.connectorId} but came from connector ${queueOwner}`;
  const integrationId = messageIntegrationId(message);
  if (integrationId === null) return null;
  if (integrationOwner === null) return `names integration ${integrationId}, which does not exist`;
  if (integrationOwner !== queueOwner)
    return `names integration ${integrationId}, which connector ${queueOwner} does not serve`;
  return null;
}
