/** The role groups live in common/ (the audit API and every feature use them). */
export * from '../common/doorman-roles';
