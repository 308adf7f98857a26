import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaCertificateSchema, caFingerprint } from './ca-certificate';

describe('CaCertificateSchema', () => {
  let dir: string;
  let cert: string;
  let key: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ca-spec-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'ca.key'),
        '-out',
        join(dir, 'ca.crt'),
        '-days',
        '1',
        '-subj',
        '/CN=spec-ca',
      ],
      { stdio: 'ignore' },
    );
    cert = readFileSync(join(dir, 'ca.crt'), 'utf8');
    key = readFileSync(join(dir, 'ca.key'), 'utf8');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes a certificate and a bundle, normalised', () => {
    expect(CaCertificateSchema.parse(`\n${cert}\n`)).toBe(`${cert.trim()}\n`);
    expect(CaCertificateSchema.parse(`${cert}${cert}`)).toBe(`${cert.trim()}\n${cert.trim()}\n`);
    expect(caFingerprint(cert)).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(caFingerprint(null)).toBeNull();
  });

  it('refuses a private key, garbage, or a certificate with something else pasted along', () => {
    for (const bad of [
      key,
      'hello',
      `${cert}${key}`,
      '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----',
    ])
      expect(CaCertificateSchema.safeParse(bad).success).toBe(false);
  });
});
