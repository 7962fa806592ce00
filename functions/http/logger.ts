import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Structured JSON logs, the one log format of every function: one logger per function instance; the
 * Middy stacks add the Lambda request id and cold-start flag to every line (`injectLambdaContext`).
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'aggregate-registry',
});
