import { MAX_PAGE, SCIM, type Page } from './scim-protocol';
import type { GroupState, UserState } from './scim-patch';

/** A person as SCIM shows them: Doorman's user id is the SCIM id, the email the userName. */
export interface ScimUserView extends UserState {
  id: string;
  created: Date;
  lastModified: Date;
}

export interface ScimGroupView extends GroupState {
  id: string;
  created: Date;
  lastModified: Date;
}

export function userResource(u: ScimUserView, base: string) {
  return {
    schemas: [SCIM.user],
    id: u.id,
    ...(u.externalId !== null ? { externalId: u.externalId } : {}),
    userName: u.userName,
    name: {
      ...(u.givenName !== null ? { givenName: u.givenName } : {}),
      ...(u.familyName !== null ? { familyName: u.familyName } : {}),
    },
    ...(u.displayName !== null ? { displayName: u.displayName } : {}),
    emails: [{ value: u.userName, type: 'work', primary: true }],
    active: u.active,
    meta: {
      resourceType: 'User',
      created: u.created.toISOString(),
      lastModified: u.lastModified.toISOString(),
      location: `${base}/Users/${u.id}`,
    },
  };
}

export function groupResource(g: ScimGroupView, base: string, withMembers = true) {
  return {
    schemas: [SCIM.group],
    id: g.id,
    ...(g.externalId !== null ? { externalId: g.externalId } : {}),
    displayName: g.displayName,
    ...(withMembers
      ? { members: g.memberIds.map((id) => ({ value: id, $ref: `${base}/Users/${id}` })) }
      : {}),
    meta: {
      resourceType: 'Group',
      created: g.created.toISOString(),
      lastModified: g.lastModified.toISOString(),
      location: `${base}/Groups/${g.id}`,
    },
  };
}

export function listResponse<T>(resources: T[], total: number, page: Page) {
  return {
    schemas: [SCIM.listResponse],
    totalResults: total,
    startIndex: page.startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

/** What this service provider supports (RFC 7643 §5): PATCH and filters; no bulk, sort, ETags. */
export function serviceProviderConfig(base: string) {
  return {
    schemas: [SCIM.serviceProviderConfig],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_PAGE },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Bearer token',
        description: 'The token an admin minted for this provider (POST /api/v1/scim/providers)',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}

export function resourceTypes(base: string) {
  return [
    { id: 'User', name: 'User', endpoint: '/Users', schema: SCIM.user },
    { id: 'Group', name: 'Group', endpoint: '/Groups', schema: SCIM.group },
  ].map((t) => ({
    schemas: [SCIM.resourceType],
    ...t,
    description: t.id === 'User' ? 'A Doorman person' : 'A Doorman group',
    meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/${t.id}` },
  }));
}

const attribute = (
  name: string,
  extra: Partial<{
    type: string;
    multiValued: boolean;
    required: boolean;
    caseExact: boolean;
    mutability: string;
    uniqueness: string;
    subAttributes: unknown[];
  }> = {},
) => ({
  name,
  type: 'string',
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...extra,
});

/** The attributes Doorman keeps, as RFC 7643 §7 describes a schema. */
export function schemas(base: string) {
  return [
    {
      id: SCIM.user,
      name: 'User',
      description: 'A Doorman person; userName is their email',
      attributes: [
        attribute('userName', { required: true, uniqueness: 'server' }),
        attribute('externalId', { caseExact: true }),
        attribute('displayName'),
        attribute('name', {
          type: 'complex',
          subAttributes: [attribute('givenName'), attribute('familyName')],
        }),
        attribute('emails', {
          type: 'complex',
          multiValued: true,
          mutability: 'readOnly',
          subAttributes: [attribute('value'), attribute('type'), attribute('primary')],
        }),
        attribute('active', { type: 'boolean' }),
      ],
    },
    {
      id: SCIM.group,
      name: 'Group',
      description: 'A Doorman group: access flows name groups as requestors and approvers',
      attributes: [
        attribute('displayName', { required: true, uniqueness: 'server' }),
        attribute('externalId', { caseExact: true }),
        attribute('members', {
          type: 'complex',
          multiValued: true,
          subAttributes: [attribute('value', { mutability: 'immutable' })],
        }),
      ],
    },
  ].map((s) => ({
    schemas: [SCIM.schema],
    ...s,
    meta: { resourceType: 'Schema', location: `${base}/Schemas/${s.id}` },
  }));
}
