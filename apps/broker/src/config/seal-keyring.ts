/** Injection token for the broker's SealKeyring (current + previous private keys). */
export const SEAL_KEYRING = Symbol('SEAL_KEYRING');
