import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { SSL_MODES, type SslMode } from '@doorman/contracts';

/** An environment variable's name, as a shell would accept it. */
const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name (letters, digits, _)');

const TargetSchema = z
  .object({
    /** The broker's integration this server is: jobs naming it run here. */
    integrationId: z.string().uuid(),
    /** postgres://user@host:port/database?sslmode=…: no password (see adminSecret). */
    url: z
      .string()
      .url()
      .refine((u) => /^postgres(ql)?:/.test(u), 'must be a postgres:// or postgresql:// URL')
      .refine(
        (u) => !/^postgres(ql)?:/.test(u) || new URL(u).password === '',
        'must not hold a password: name where it lives in adminSecret (file or env)',
      )
      .refine(
        (u) => {
          const mode = /^postgres(ql)?:/.test(u) ? new URL(u).searchParams.get('sslmode') : null;
          return mode === null || (SSL_MODES as readonly string[]).includes(mode);
        },
        `sslmode must be one of ${SSL_MODES.join(', ')}`,
      ),
    sslmode: z.enum(SSL_MODES).optional(),
    /** Path of the PEM of the CA that signed the server's certificate. */
    sslrootcert: z.string().min(1).optional(),
    adminSecret: z
      .object({
        /** Where the admin's (rotated) password is kept; admin rotation writes it. */
        file: z.string().min(1).optional(),
        /** The variable holding the first password, used until the file exists. */
        env: envName.optional(),
      })
      .strict()
      .refine((s) => s.file !== undefined || s.env !== undefined, 'set file, env or both'),
  })
  .strict();

export const TargetsFileSchema = z
  .object({ targets: z.array(TargetSchema).min(1, 'list at least one target') })
  .strict()
  .superRefine((f, ctx) => {
    const seen = new Map<string, number>();
    f.targets.forEach((t, i) => {
      const first = seen.get(t.integrationId);
      if (first !== undefined)
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['targets', i, 'integrationId'],
          message: `the same integration as targets[${first}]`,
        });
      else seen.set(t.integrationId, i);
    });
  });

/** One target as the file names it; secrets are only referred to. */
export interface TargetSpec {
  integrationId: string;
  host: string;
  port: number;
  user: string;
  database: string;
  sslMode: SslMode | undefined;
  sslRootCert: string | undefined;
  secretFile: string | undefined;
  secretEnv: string | undefined;
}

function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, p) => (typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${String(p)}` : String(p)),
    '',
  );
}

/**
 * Parses a targets file (YAML, or JSON: YAML reads it too, with the same line numbers). Every
 * problem is one line naming the field and where it is: `line 7: targets[1].url: …`.
 * Throws a list of such lines.
 */
export function parseTargetsFile(text: string): TargetSpec[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new TargetsFileError(
      doc.errors.map((e) => {
        const { line } = lineCounter.linePos(e.pos[0]);
        return `line ${line}: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  const parsed = TargetsFileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    throw new TargetsFileError(
      parsed.error.issues.map((issue) => {
        // The deepest node of the path that exists: a missing field points at its parent.
        let line: number | undefined;
        for (let n = issue.path.length; n >= 0 && line === undefined; n--) {
          const node = doc.getIn(issue.path.slice(0, n), true) as
            { range?: [number, number, number] } | undefined;
          if (node?.range) line = lineCounter.linePos(node.range[0]).line;
        }
        const where = line === undefined ? '' : `line ${line}: `;
        return `${where}${pathText(issue.path) || '(file)'}: ${issue.message}`;
      }),
    );
  }
  return parsed.data.targets.map((t) => {
    const u = new URL(t.url);
    const user = u.username ? decodeURIComponent(u.username) : 'postgres';
    const urlMode = u.searchParams.get('sslmode');
    return {
      integrationId: t.integrationId,
      host: decodeURIComponent(u.hostname) || 'localhost',
      port: u.port ? Number(u.port) : 5432,
      user,
      database: u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : user,
      sslMode: t.sslmode ?? SSL_MODES.find((m) => m === urlMode),
      sslRootCert: t.sslrootcert ?? u.searchParams.get('sslrootcert') ?? undefined,
      secretFile: t.adminSecret.file,
      secretEnv: t.adminSecret.env,
    };
  });
}

export class TargetsFileError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
  }
}
