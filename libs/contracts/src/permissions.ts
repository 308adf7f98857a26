import { z } from 'zod';

/** Permission levels a grant can carry (DESIGN §2). Existing database roles come later. */
export const PERMISSION_LEVELS = ['read', 'write', 'admin'] as const;
export const PermissionLevelSchema = z.enum(PERMISSION_LEVELS);
export type PermissionLevel = z.infer<typeof PermissionLevelSchema>;

export const SSL_MODES = [
  'disable',
  'allow',
  'prefer',
  'require',
  'verify-ca',
  'verify-full',
] as const;
export const SslModeSchema = z.enum(SSL_MODES);
export type SslMode = z.infer<typeof SslModeSchema>;
