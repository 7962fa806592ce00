/**
 * How POST /registries/{name}/refresh reaches the refresh worker: a synchronous Lambda invoke. The
 * HTTP function authorises the caller; only the worker's role reads source secrets.
 * Locally, serverless-offline emulates the Lambda API on its `lambdaPort`.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { RefreshRequest, WorkerAnswer } from './worker.ts';

export type InvokeWorker = (request: RefreshRequest) => Promise<WorkerAnswer>;

export function lambdaWorker(env: Readonly<Record<string, string | undefined>>): InvokeWorker {
  const functionName = env.REFRESH_WORKER_FUNCTION?.trim();
  // AWS_ENDPOINT_URL points every other client at DynamoDB Local in the local stack: Lambda needs its own.
  const endpoint =
    env.AWS_ENDPOINT_URL_LAMBDA?.trim() ||
    (env.IS_OFFLINE === 'true' ? `http://127.0.0.1:${env.LAMBDA_PORT?.trim() || '3002'}` : undefined);
  let client: LambdaClient | undefined;
  return async (request) => {
    if (!functionName) throw new Error('REFRESH_WORKER_FUNCTION is not set');
    client ??= new LambdaClient({ ...(endpoint ? { endpoint } : {}), maxAttempts: 1 });
    const result = await client.send(
      new InvokeCommand({ FunctionName: functionName, Payload: JSON.stringify(request) }),
    );
    if (result.FunctionError !== undefined || result.Payload === undefined) {
      throw new Error(`the refresh worker failed (${result.FunctionError ?? 'no answer'})`);
    }
    return JSON.parse(Buffer.from(result.Payload).toString('utf8')) as WorkerAnswer;
  };
}
