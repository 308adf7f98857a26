/** Action ids, callback ids and block ids shared by views and listeners. */
export const SlackIds = {
  command: '/access',
  requestModal: 'doorman_request',
  denyModal: 'doorman_deny',
  extendModal: 'doorman_extend_modal',
  credentialsModal: 'doorman_credentials',
  reviewModal: 'doorman_review_modal',
  approve: 'doorman_approve',
  deny: 'doorman_deny_open',
  reveal: 'doorman_reveal',
  revoke: 'doorman_revoke',
  cancel: 'doorman_cancel',
  extend: 'doorman_extend',
  review: 'doorman_review_open',
  /** A link button to the console: the browser opens it; the click itself needs only an ack. */
  openConsole: 'doorman_open_console',
  blocks: {
    resource: 'resource',
    permission: 'permission',
    duration: 'duration',
    justification: 'justification',
    reason: 'reason',
    note: 'note',
  },
} as const;
