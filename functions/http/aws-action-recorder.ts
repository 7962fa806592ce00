/**
 * Proof of least privilege: with RECORD_AWS_ACTIONS=<file>, every AWS call a function makes is
 * appended to that file as one JSON line `{"function": AWS_LAMBDA_FUNCTION_NAME, "action":
 * "dynamodb:GetItem"}`, before it is sent. A transaction has no IAM action of its own: it is recorded
 * as the actions of its items (Put → PutItem, ConditionCheck → ConditionCheckItem, ...). The e2e tests
 * run their flows with it on and then check that the packaged template grants each recorded action to
 * that function's role (test/e2e/after/permissions.test.ts). Off (no file), it costs one check per call.
 */
import { appendFileSync } from 'node:fs';
import type { InitializeHandlerOptions, InitializeMiddleware } from '@smithy/types';

const SERVICES: Record<string, string> = { DynamoDBClient: 'dynamodb', SSMClient: 'ssm' };
const TRANSACTION_ITEMS: Record<string, string> = {
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  ConditionCheck: 'ConditionCheckItem',
  Get: 'GetItem',
};

/** The IAM actions of one call. */
export function actionsOf(clientName: string, commandName: string, input: unknown): string[] {
  const service = SERVICES[clientName] ?? clientName.replace(/Client$/, '').toLowerCase();
  const operation = commandName.replace(/Command$/, '');
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    const items = (input as { TransactItems?: Record<string, unknown>[] }).TransactItems ?? [];
    return [
      ...new Set(
        items.flatMap((item) =>
          Object.keys(item).flatMap((kind) =>
            TRANSACTION_ITEMS[kind] ? [`${service}:${TRANSACTION_ITEMS[kind]}`] : [],
          ),
        ),
      ),
    ];
  }
  return [`${service}:${operation}`];
}

// biome-ignore lint/suspicious/noExplicitAny: one middleware for every client, whatever its input and output types.
export const awsActionRecorder: InitializeMiddleware<any, any> = (next, context) => async (args) => {
  const file = process.env.RECORD_AWS_ACTIONS;
  if (file) {
    const fn = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'unknown';
    const { clientName = '', commandName = '' } = context as { clientName?: string; commandName?: string };
    const lines = actionsOf(clientName, commandName, args.input).map(
      (action) => `${JSON.stringify({ function: fn, action })}\n`,
    );
    appendFileSync(file, lines.join(''));
  }
  return next(args);
};

export const AWS_ACTION_RECORDER: InitializeHandlerOptions = {
  step: 'initialize',
  name: 'awsActionRecorder',
};
