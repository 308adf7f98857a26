import { X509Certificate } from 'node:crypto';
import { z } from 'zod';

/** A CA bundle is a few kB; anything far larger is not one. */
const MAX_PEM_CHARS = 20_000;
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The CA certificate(s) an integration's server certificate chains to, as PEM: every block
 * must parse as an X.509 certificate, and nothing but certificates may be in it (a private key
 * pasted by mistake is refused, not stored and handed out).
 */
export const CaCertificateSchema = z
  .string()
  .trim()
  .max(MAX_PEM_CHARS)
  .transform((pem, ctx) => {
    const blocks = pem.match(PEM_BLOCK) ?? [];
    const rest = pem.replace(PEM_BLOCK, '').trim();
    if (!blocks.length || rest) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message:
          'must be one or more PEM certificates (-----BEGIN CERTIFICATE----- …) and nothing else',
      });
      return z.NEVER;
    }
    for (const block of blocks) {
      try {
        new X509Certificate(block);
      } catch {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: 'a PEM block is not an X.509 certificate',
        });
        return z.NEVER;
      }
    }
    return `${blocks.join('\n')}\n`;
  });

/** What the audit says about a CA: its fingerprint, never a blob. */
export function caFingerprint(pem: string | null): string | null {
  const first = pem?.match(PEM_BLOCK)?.[0];
  return first ? new X509Certificate(first).fingerprint256 : null;
}
