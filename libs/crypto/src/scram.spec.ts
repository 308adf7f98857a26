import { generatePassword, scramSha256Verifier, scramSha256VerifierAsync } from './scram';

describe('SCRAM-SHA-256 verifier', () => {
  it('matches the verifier PostgreSQL computes for a known password and salt', () => {
    // Reference computed with PostgreSQL's own algorithm (RFC 7677 test vector inputs).
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    expect(scramSha256Verifier('pencil', 4096, salt)).toBe(
      'SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=',
    );
  });

  it('computes the same verifier off the event loop', async () => {
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    expect(await scramSha256VerifierAsync('pencil', 4096, salt)).toBe(
      scramSha256Verifier('pencil', 4096, salt),
    );
  });

  it('generates 32-character URL-safe passwords', () => {
    const p = generatePassword();
    expect(p).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(generatePassword()).not.toBe(p);
  });
});
