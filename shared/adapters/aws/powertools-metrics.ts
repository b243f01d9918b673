import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { GrantMetricName, GrantMetrics } from '../../domain/grant-ports.js';

/**
 * Grant metrics through Powertools Metrics (CloudWatch embedded metric format). The
 * infrastructure alarms on `RevokeFailures` and `GrantFailures`. The caller flushes
 * (the `logMetrics` middleware does at the end of each invocation).
 */
export class PowertoolsGrantMetrics implements GrantMetrics {
  constructor(private readonly metrics: Metrics) {}

  count(name: GrantMetricName, value = 1): void {
    this.metrics.addMetric(name, MetricUnit.Count, value);
  }
}
