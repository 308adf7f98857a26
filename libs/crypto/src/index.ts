export * from './seal';
export * from './scram';
