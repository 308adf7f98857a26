import { generateSealKeyPair } from '@doorman/crypto';

/** Prints a new X25519 key pair for sealing credentials, as env lines. */
const pair = generateSealKeyPair();
process.stdout.write(
  `BROKER_SEAL_PUBLIC_KEY=${pair.publicKey}\nBROKER_SEAL_PRIVATE_KEY=${pair.privateKey}\n`,
);
