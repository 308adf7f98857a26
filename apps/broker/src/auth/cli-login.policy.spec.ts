import { createHash } from 'node:crypto';
import {
  cliTokenName,
  completePath,
  loopbackUrl,
  parseCliLoginStart,
  verifierMatches,
} from './cli-login.policy';

const verifier = 'v'.repeat(20) + '-abcdefghijklmnopqrstuvwxyz0123';
const challenge = createHash('sha256').update(verifier).digest('base64url');
const state = 'state-0123456789abcdef';

describe('doorman login rules', () => {
  it('takes a loopback port, a state and an S256 challenge, and refuses anything else', () => {
    expect(parseCliLoginStart({ port: '49152', state, challenge })).toEqual({
      port: 49152,
      state,
      challenge,
    });
    expect(parseCliLoginStart({ port: '80', state, challenge })).toMatch(/^port/);
    expect(parseCliLoginStart({ port: '70000', state, challenge })).toMatch(/^port/);
    expect(parseCliLoginStart({ port: '5000x', state, challenge })).toMatch(/^port/);
    expect(parseCliLoginStart({ port: '5000', state: 'short', challenge })).toMatch(/^state/);
    expect(parseCliLoginStart({ port: '5000', state, challenge: 'plain' })).toMatch(/^challenge/);
    expect(parseCliLoginStart({ port: '5000', state: [state], challenge })).toMatch(/^state/);
  });

  it('sends the code to 127.0.0.1 only, with the state, and returns through a broker path', () => {
    const start = { port: 5000, state, challenge };
    expect(loopbackUrl(start, 'c0de')).toBe(
      `http://127.0.0.1:5000/callback?code=c0de&state=${state}`,
    );
    expect(completePath(start)).toBe(
      `/auth/cli/complete?port=5000&state=${state}&challenge=${challenge}`,
    );
  });

  it('a code is worth a token only with the verifier of its challenge', () => {
    expect(verifierMatches(verifier, challenge)).toBe(true);
    expect(verifierMatches(`${verifier}x`, challenge)).toBe(false);
    expect(verifierMatches(challenge, challenge)).toBe(false);
    expect(verifierMatches('short', createHash('sha256').update('short').digest('base64url'))).toBe(
      false,
    );
  });

  it('names the token for the machine, without odd characters', () => {
    expect(cliTokenName('dev-laptop.local')).toBe('doorman CLI (dev-laptop.local)');
    expect(cliTokenName('a b<script>')).toBe('doorman CLI (abscript)');
    expect(cliTokenName(undefined)).toBe('doorman CLI');
  });
});
