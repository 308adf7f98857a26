import { generateSealKeyPair } from '@doorman/crypto';
import { generateSigningKey, parseSigningKey } from '../audit/audit-checkpoint';

/**
 * Prints the broker's keys as env lines: the X25519 pair that seals credentials, and the
 * Ed25519 key that signs audit checkpoints (its public half as a comment, for whoever keeps
 * the checkpoints and checks them).
 */
const pair = generateSealKeyPair();
const signing = generateSigningKey();
const { keyId, publicKeyDer } = parseSigningKey(signing);
process.stdout.write(
  [
    `BROKER_SEAL_PUBLIC_KEY=${pair.publicKey}`,
    `BROKER_SEAL_PRIVATE_KEY=${pair.privateKey}`,
    `# audit checkpoint key ${keyId}, public (SPKI DER): ${publicKeyDer}`,
    `AUDIT_SIGNING_PRIVATE_KEY=${signing}`,
    '',
  ].join('\n'),
);
