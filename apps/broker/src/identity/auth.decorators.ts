/** The route decorators live in common/ (every feature's controllers use them). */
export * from '../common/auth.decorators';
