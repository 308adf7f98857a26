import { Initial1763769600000 } from './1763769600000-initial';

/** Every migration, in order. Reviewed code: entities never synchronise the schema. */
export const MIGRATIONS = [Initial1763769600000];
