import {
  CATALOG_LIMITS,
  type CatalogAdmin,
  type CatalogRoleEntry,
  type CatalogDatabaseEntry,
  type DoctorLineMessage,
} from '@doorman/contracts';
import type { Capabilities } from './capabilities';
import type { DoctorLine } from './doctor-report';

export interface CatalogReport {
  admin: CatalogAdmin;
  databases: CatalogDatabaseEntry[];
  roles: CatalogRoleEntry[];
  doctor: DoctorLineMessage[];
}

const clip = (text: string, max: number): string =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;

/**
 * Pure: the catalog and the doctor's report as the `discover` result carries them,
 * in the order the integration lists its databases. A listed database the admin cannot
 * connect to (or that does not exist) is reported with an error, never left out silently;
 * lists longer than the contract's limits are clipped and their full counts kept.
 */
export function catalogReport(
  c: Capabilities,
  doctor: readonly DoctorLine[],
  requested: readonly string[],
): CatalogReport {
  const byName = new Map(c.databases.map((d) => [d.name, d]));
  const databases = requested.slice(0, CATALOG_LIMITS.databases).map((name) => {
    const d = byName.get(name);
    if (!d) {
      return {
        name,
        owner: null,
        publicConnect: false,
        error: `database ${name} does not exist, or ${c.admin.name} may not connect to it`,
        schemas: [],
      };
    }
    return {
      name,
      owner: d.owner,
      publicConnect: d.publicConnect,
      ...(d.error ? { error: d.error } : {}),
      schemas: d.schemas.slice(0, CATALOG_LIMITS.schemas).map((s) => ({
        schema: s.schema,
        owner: s.owner,
        grantable: s.grantable,
        ...(s.reason ? { reason: clip(s.reason, 1000) } : {}),
        tables: s.tables.slice(0, CATALOG_LIMITS.tables),
        tableCount: s.tables.length,
      })),
    };
  });
  return {
    admin: {
      name: c.admin.name,
      superuser: c.admin.superuser,
      createrole: c.admin.createrole,
      serverVersion: clip(c.admin.serverVersion, 100),
      versionNum: c.admin.versionNum,
      grantablePredefined: c.admin.grantablePredefined,
    },
    databases,
    roles: c.roles.slice(0, CATALOG_LIMITS.roles).map((r) => ({
      name: r.name,
      grantable: r.grantable,
      ...(r.reason ? { reason: clip(r.reason, 1000) } : {}),
    })),
    doctor: doctor.slice(0, CATALOG_LIMITS.doctorLines).map((l) => ({
      check: clip(l.check, 300),
      status: l.status,
      detail: clip(l.detail, 2000),
      ...(l.fix ? { fix: clip(l.fix, 2000) } : {}),
    })),
  };
}
