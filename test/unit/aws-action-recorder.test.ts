import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actionsOf } from '#http/aws-action-recorder.ts';

test('a call is recorded as the IAM action of its operation', () => {
  assert.deepEqual(actionsOf('DynamoDBClient', 'GetItemCommand', {}), ['dynamodb:GetItem']);
  assert.deepEqual(actionsOf('DynamoDBClient', 'BatchWriteItemCommand', {}), ['dynamodb:BatchWriteItem']);
  assert.deepEqual(actionsOf('SSMClient', 'GetParameterCommand', {}), ['ssm:GetParameter']);
});

test('a transaction is recorded as the actions of its items, each once', () => {
  const input = {
    TransactItems: [{ Put: {} }, { Update: {} }, { Put: {} }, { ConditionCheck: {} }, { Delete: {} }],
  };
  assert.deepEqual(actionsOf('DynamoDBClient', 'TransactWriteItemsCommand', input), [
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:ConditionCheckItem',
    'dynamodb:DeleteItem',
  ]);
  assert.deepEqual(actionsOf('DynamoDBClient', 'TransactGetItemsCommand', { TransactItems: [{ Get: {} }] }), [
    'dynamodb:GetItem',
  ]);
});
