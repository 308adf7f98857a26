/** Three tiers: pure/unit specs, integration specs on real PostgreSQL and Redis, and end-to-end specs driving the built apps. */
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];
// openid-client and its two dependencies ship only ES modules: compiled to CommonJS like our code.
const ESM_ONLY = 'openid-client|oauth4webapi|jose';
const swcEsm = ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }];
const shared = {
  transform: { '^.+\\.ts$': swc, [`/node_modules/(${ESM_ONLY})/.+\\.js$`]: swcEsm },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY})/)`],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@doorman/contracts(.*)$': '<rootDir>/libs/contracts/src$1',
    '^@doorman/crypto(.*)$': '<rootDir>/libs/crypto/src$1',
  },
  testEnvironment: 'node',
};
module.exports = {
  // Integration and end-to-end tests share one machine with their databases: generous bounds.
  // (testTimeout is a global option; per-project values are ignored.)
  testTimeout: 120_000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'int',
      testTimeout: 60_000,
      testMatch: ['<rootDir>/{apps,libs,test}/**/*.int-spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testTimeout: 120_000,
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
    },
  ],
};
