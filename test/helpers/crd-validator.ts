/**
 * Validates objects against a CustomResourceDefinition the way the Kubernetes API server does, so that
 * tests prove an export is accepted by the real consumer's rules rather than by a hand-written schema:
 * - the version's `openAPIV3Schema` with ajv, where an object with `properties` and without
 *   `x-kubernetes-preserve-unknown-fields` rejects unknown fields (the API server would prune them
 *   silently, which for an export means data lost without a word);
 * - `x-kubernetes-list-type` (`map` keys and `set` items unique);
 * - every `x-kubernetes-validations` CEL rule, with @bufbuild/cel, on the value at the rule's place
 *   (`self`; no `oldSelf`: these are creations). Integers are CEL ints, objects CEL maps, as in
 *   Kubernetes. Only the CEL strings extension is registered: it is the one Kubernetes library the
 *   ServiceEntry rules use (`substring`); a rule that calls anything else fails with "unbound function"
 *   and so fails the test instead of passing unchecked;
 * - the parts of ObjectMeta the API server checks itself (the CRD schema leaves them out): name,
 *   namespace, label and annotation keys and values.
 * The CRD file is read where it is; nothing of it is copied into the project.
 */
import { readFileSync } from 'node:fs';
import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

type Schema = Record<string, unknown> & {
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-validations'?: { rule: string; message?: string }[];
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
};

interface CrdDocument {
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; schema: { openAPIV3Schema: Schema } }[];
  };
}

export interface CrdValidator {
  /** The problems with one object, each as `path: message`; empty when the API server would accept it. */
  problems(object: unknown): string[];
  /** How many CEL rules the schema holds (so a test can tell that some were evaluated). */
  ruleCount: number;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const env = celEnv({ funcs: strings });

export function loadCrdValidator(path: string, version: string): CrdValidator {
  const crd = parseYaml(readFileSync(path, 'utf8')) as CrdDocument;
  const found = crd.spec.versions.find((candidate) => candidate.name === version);
  if (!found) throw new Error(`${path} has no version ${version}`);
  const schema = found.schema.openAPIV3Schema;
  const apiVersion = `${crd.spec.group}/${version}`;
  const kind = crd.spec.names.kind;

  // The API server adds apiVersion, kind and metadata to every root; metadata is checked below.
  const root: Schema = {
    ...structural(schema),
    properties: {
      ...structural(schema).properties,
      apiVersion: { const: apiVersion },
      kind: { const: kind },
      metadata: { type: 'object' },
    },
    required: [...((schema.required as string[] | undefined) ?? []), 'apiVersion', 'kind', 'metadata'],
  };
  const ajv = addFormats(new Ajv({ allErrors: true, strict: true }));
  const validate = ajv.compile(root);
  const rules = compileRules(schema);

  return {
    ruleCount: rules.size,
    problems(object) {
      const problems: string[] = [];
      if (!validate(object)) problems.push(...(validate.errors ?? []).map(describe));
      walk(schema, object, '', rules, problems);
      problems.push(...metadataProblems((object as { metadata?: unknown }).metadata));
      return problems;
    },
  };
}

/** The schema as ajv reads it: Kubernetes' extensions removed, unknown fields refused. */
function structural(schema: Schema): Schema {
  const result: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-kubernetes-') || key === 'description') continue;
    if (key === 'properties') {
      result.properties = Object.fromEntries(
        Object.entries(value as Record<string, Schema>).map(([name, child]) => [name, structural(child)]),
      );
    } else if ((key === 'items' || key === 'additionalProperties') && typeof value === 'object') {
      result[key] = structural(value as Schema);
    } else if (key === 'anyOf' || key === 'allOf' || key === 'oneOf') {
      result[key] = (value as Schema[]).map(structural);
    } else {
      result[key] = value;
    }
  }
  if (schema.properties && !schema['x-kubernetes-preserve-unknown-fields'] && !schema.additionalProperties) {
    result.additionalProperties = false;
  }
  return result;
}

type Evaluator = ReturnType<typeof plan>;

function compileRules(schema: Schema, rules = new Map<string, Evaluator>()): Map<string, Evaluator> {
  for (const { rule } of schema['x-kubernetes-validations'] ?? []) {
    if (!rules.has(rule)) rules.set(rule, plan(env, parse(rule)));
  }
  for (const child of Object.values(schema.properties ?? {})) compileRules(child, rules);
  if (schema.items) compileRules(schema.items, rules);
  if (typeof schema.additionalProperties === 'object') compileRules(schema.additionalProperties, rules);
  return rules;
}

/** Evaluates the CEL rules and list types at every place of the object that the schema describes. */
function walk(
  schema: Schema,
  value: unknown,
  path: string,
  rules: ReadonlyMap<string, Evaluator>,
  problems: string[],
): void {
  if (value === undefined) return;
  for (const { rule, message } of schema['x-kubernetes-validations'] ?? []) {
    const result = (rules.get(rule) as Evaluator)({ self: celValue(schema, value) } as never);
    if (isCelError(result)) problems.push(`${path || '/'}: CEL rule "${rule}" failed: ${result.message}`);
    else if (result !== true) problems.push(`${path || '/'}: ${message ?? rule}`);
  }
  if (Array.isArray(value)) {
    listTypeProblems(schema, value, path, problems);
    const items = schema.items;
    if (items) {
      for (const [i, item] of value.entries()) walk(items, item, `${path}[${i}]`, rules, problems);
    }
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    const childSchema =
      schema.properties?.[key] ??
      (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (childSchema) walk(childSchema, child, `${path}.${key}`, rules, problems);
  }
}

function listTypeProblems(schema: Schema, list: unknown[], path: string, problems: string[]): void {
  const type = schema['x-kubernetes-list-type'];
  const keyOf =
    type === 'map'
      ? (item: unknown) =>
          JSON.stringify(
            (schema['x-kubernetes-list-map-keys'] ?? []).map((key) => (item as Record<string, unknown>)[key]),
          )
      : type === 'set'
        ? (item: unknown) => JSON.stringify(item)
        : undefined;
  if (!keyOf) return;
  const seen = new Set<string>();
  for (const item of list) {
    const key = keyOf(item);
    if (seen.has(key)) problems.push(`${path}: duplicate entries with key ${key} (list type ${type})`);
    seen.add(key);
  }
}

/** JSON as CEL sees it under a structural schema: integers are ints, objects are maps. */
function celValue(schema: Schema | undefined, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => celValue(schema?.items, item));
  if (value !== null && typeof value === 'object') {
    return new Map(
      Object.entries(value).map(([key, child]) => [
        key,
        celValue(
          schema?.properties?.[key] ??
            (typeof schema?.additionalProperties === 'object' ? schema.additionalProperties : undefined),
          child,
        ),
      ]),
    );
  }
  if (typeof value === 'number' && schema?.type === 'integer' && Number.isInteger(value))
    return BigInt(value);
  return value;
}

function describe(error: ErrorObject): string {
  const extra =
    error.keyword === 'additionalProperties'
      ? ` (${(error.params as { additionalProperty: string }).additionalProperty})`
      : '';
  return `${error.instancePath || '/'}: ${error.message ?? error.keyword}${extra}`;
}

// ObjectMeta as the API server validates it (k8s.io/apimachinery/pkg/api/validation and util/validation).
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function metadataProblems(metadata: unknown): string[] {
  if (metadata === null || typeof metadata !== 'object') return ['/metadata: must be an object'];
  const { name, namespace, labels, annotations, ...rest } = metadata as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(rest)) problems.push(`/metadata: unexpected field ${key}`);
  if (typeof name !== 'string' || name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    problems.push(`/metadata/name: ${JSON.stringify(name)} is not a DNS-1123 subdomain`);
  }
  if (
    namespace !== undefined &&
    (typeof namespace !== 'string' || namespace.length > 63 || !DNS1123_LABEL.test(namespace))
  ) {
    problems.push(`/metadata/namespace: ${JSON.stringify(namespace)} is not a DNS-1123 label`);
  }
  for (const [key, value] of Object.entries((labels ?? {}) as Record<string, unknown>)) {
    if (!qualifiedName(key))
      problems.push(`/metadata/labels: key ${JSON.stringify(key)} is not a qualified name`);
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
      problems.push(`/metadata/labels/${key}: ${JSON.stringify(value)} is not a label value`);
    }
  }
  let annotationBytes = 0;
  for (const [key, value] of Object.entries((annotations ?? {}) as Record<string, unknown>)) {
    if (!qualifiedName(key))
      problems.push(`/metadata/annotations: key ${JSON.stringify(key)} is not a qualified name`);
    if (typeof value !== 'string') problems.push(`/metadata/annotations/${key}: not a string`);
    annotationBytes += key.length + String(value).length;
  }
  if (annotationBytes > 256 * 1024) problems.push('/metadata/annotations: larger than 256 KiB');
  return problems;
}

function qualifiedName(key: string): boolean {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && QUALIFIED_NAME.test(name);
}
