import { Histogram } from 'prom-client';

/**
 * How long the sweeper's passes take, kept process-wide so grants needs no dependency on the
 * metrics feature; each app's registry registers it (BrokerMetrics).
 */
export const sweepDuration = new Histogram({
  name: 'doorman_sweep_duration_seconds',
  help: 'Time one sweep (overdue grants, due cleanups) took',
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
  registers: [],
});
