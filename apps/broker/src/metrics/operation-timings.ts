/** Timings recorded by other features, registered by BrokerMetrics. */
export { sweepDuration } from '../grants/sweep-timings';
