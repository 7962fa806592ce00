/**
 * Least privilege, proven: the e2e flows before this file ran on stacks that recorded every AWS
 * action each function performed (RECORD_AWS_ACTIONS; transactions as their items' actions). Each
 * recorded action must be granted to that function's role by the packaged template; otherwise the
 * function answers 500 in AWS where it works locally. Runs last (scripts/test-e2e.ts runs test/e2e/after/
 * once every other e2e file has finished): the shared stack and the fault test's stack record.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { allowedActions, packagedTemplate, roleOf } from '../../helpers/packaged-template.ts';
import { RECORDED_ACTIONS_FILE } from '../../helpers/shared-stack.ts';

/** `aggregate-registry-local-putRegistry` → `PutRegistryLambdaFunction` (the template's logical id). */
function logicalId(functionName: string): string {
  const key = functionName.replace(/^aggregate-registry-[a-z0-9]+-/, '');
  return `${key.charAt(0).toUpperCase()}${key.slice(1)}LambdaFunction`;
}

describe('permissions', () => {
  test('every AWS action a function performed in the flows is granted to its role', async () => {
    assert.ok(existsSync(RECORDED_ACTIONS_FILE), 'no AWS action was recorded: did the flows run?');
    const recorded = new Map<string, Set<string>>();
    for (const line of readFileSync(RECORDED_ACTIONS_FILE, 'utf8').split('\n')) {
      if (line === '') continue;
      const { function: fn, action } = JSON.parse(line) as { function: string; action: string };
      if (!recorded.has(fn)) recorded.set(fn, new Set());
      recorded.get(fn)?.add(action);
    }
    const template = await packagedTemplate();
    const missing: string[] = [];
    const seen: string[] = [];
    for (const [fn, actions] of recorded) {
      const id = logicalId(fn);
      const role = roleOf(template, id);
      assert.ok(role, `${fn}: no function ${id} with a role in the template`);
      const allowed = allowedActions(template, role);
      for (const action of actions) if (!allowed.has(action)) missing.push(`${fn} (${role}): ${action}`);
      seen.push(`${fn.replace(/^aggregate-registry-[a-z0-9]+-/, '')} ${[...actions].sort().join(' ')}`);
    }
    console.log(`# AWS actions recorded per function:\n#   ${seen.sort().join('\n#   ')}`);
    assert.deepEqual(missing, [], 'actions performed but not granted');
    for (const fn of ['putRegistry', 'getRegistry', 'listRegistries', 'putSnapshot', 'health']) {
      assert.ok(
        [...recorded.keys()].some((name) => name.endsWith(`-${fn}`)),
        `the flows never ran ${fn}: add it to a flow`,
      );
    }
  });
});
