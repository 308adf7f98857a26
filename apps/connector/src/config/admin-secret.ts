/** The secret file holds `{"password": …}` (written by us) or just the password (by an operator). */
export function parseAdminSecret(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    const v = JSON.parse(trimmed) as { password?: unknown };
    if (typeof v.password !== 'string' || v.password.length === 0)
      throw new Error('the secret file has no "password" string');
    return v.password;
  }
  if (trimmed.length === 0) throw new Error('the secret file is empty');
  return trimmed;
}
