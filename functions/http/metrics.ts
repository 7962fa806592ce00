/**
 * CloudWatch metrics in Embedded Metric Format (Powertools Metrics): one `metrics` per function
 * instance, flushed once per invocation by `publishMetrics()` (every HTTP handler has it; a scheduled
 * function adds it to its own Middy stack). Add a metric anywhere during the invocation:
 * `metrics.addMetric('MergedServices', MetricUnit.Count, n)`. POWERTOOLS_METRICS_DISABLED=true (tests)
 * turns the output off.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';

export { MetricUnit };

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'aggregate-registry',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'aggregate-registry',
});

/**
 * Flushes what the invocation added, after it and on error. Not Powertools' `logMetrics`: that one warns
 * on every invocation that added no metric, which most reads do not.
 */
export function publishMetrics(): MiddlewareObj {
  const flush = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return {
    before: () => {
      metrics.captureColdStartMetric();
    },
    after: flush,
    onError: flush,
  };
}
