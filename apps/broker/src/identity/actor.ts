/** Who is acting lives in common/ (every feature and the audit trail use it). */
export { hasAnyRole, type Actor } from '../common/actor';
