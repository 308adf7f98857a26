export * from './permissions';
export * from './queues';
export * from './jobs';
export * from './results';
export * from './role-comment';
export * from './redis-acl';
export * from './batcher';
export * from './doorman-roles';
