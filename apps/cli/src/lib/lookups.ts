import type { BrokerApi } from './api';
import { CliError, EXIT } from './exit-codes';
import type { RequestView } from './format';

export interface IntegrationView {
  id: string;
  name: string;
  databases: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An integration named by id or by name (the REST API takes ids; names are what people say). */
export async function resolveIntegration(
  api: BrokerApi,
  nameOrId: string,
): Promise<IntegrationView> {
  const all = await api.get<IntegrationView[]>('/integrations');
  const found = UUID.test(nameOrId)
    ? all.find((i) => i.id === nameOrId.toLowerCase())
    : all.find((i) => i.name === nameOrId);
  if (found) return found;
  const known = all.map((i) => i.name).join(', ') || 'none';
  throw new CliError(
    EXIT.NOT_FOUND,
    `no integration "${nameOrId}" (known: ${known}); see \`doorman ls\``,
  );
}

export async function integrationNames(api: BrokerApi): Promise<Map<string, string>> {
  const all = await api.get<IntegrationView[]>('/integrations');
  return new Map(all.map((i) => [i.id, i.name]));
}

/** `orders.public` → database and schema; `*.*` is everything. */
export function parseResource(text: string): { database: string; schema: string } {
  const dot = text.indexOf('.');
  if (dot <= 0 || dot === text.length - 1)
    throw new CliError(
      EXIT.USAGE,
      `"${text}" is not <database>.<schema> (e.g. orders.public, or "*.*" for everything)`,
    );
  return { database: text.slice(0, dot), schema: text.slice(dot + 1) };
}

export function getRequest(api: BrokerApi, id: string): Promise<RequestView> {
  if (!UUID.test(id))
    throw new CliError(EXIT.USAGE, `"${id}" is not a request id; \`doorman ls\` lists yours`);
  return api.get<RequestView>(`/access-requests/${id}`);
}
