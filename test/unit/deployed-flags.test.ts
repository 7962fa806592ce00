/**
 * The functions' V8 flags (serverless.yml's NODE_OPTIONS) are the ones the DynamoDB bench measures
 * with, and the young generation is sized for the functions' memory.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';

const deployed = parse(readFileSync('serverless.yml', 'utf8')) as {
  provider: { memorySize: number; environment: { NODE_OPTIONS: string } };
};
const semiSpace = (flags: string) => /--max-semi-space-size=(\d+)/.exec(flags)?.[1];

test('the bench runs with the deployed semi-space, a twentieth of the functions memory', () => {
  const flags = deployed.provider.environment.NODE_OPTIONS;
  assert.equal(Number(semiSpace(flags)), Math.floor(deployed.provider.memorySize / 20));
  const benchFlags =
    /^\/\/ bench-flags: (.+)$/m.exec(readFileSync('bench/dynamodb.bench.ts', 'utf8'))?.[1] ?? '';
  assert.equal(semiSpace(benchFlags), semiSpace(flags));
});
