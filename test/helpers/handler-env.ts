/**
 * The configuration of in-process handler tests, set before any handler module is imported (import
 * this first): known tokens, a table name that is never reached (the handlers get an in-memory store),
 * no metrics output, and the functions' JSON log lines kept off stdout (a test can capture them).
 */
// Shared by every in-process test file (test/unit's route tests use these literals too).
export const ADMIN = 'admin-token';
export const READER = 'reader-token';
/** The body limit of these tests: small, so that "too large" is cheap to build. */
export const BODY_LIMIT = 1_000_000;

process.env.ADMIN_TOKEN = ADMIN;
process.env.READER_TOKEN = READER;
process.env.TABLE_NAME ??= 'handler-tests-no-table';
process.env.LIMIT_BODY_BYTES = String(BODY_LIMIT);
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
// The DynamoDB client that handler modules build at load time is never used; it needs a region.
process.env.AWS_REGION ??= 'us-east-1';

/**
 * The functions' log lines (Powertools writes one JSON object per line) are dropped, or
 * collected while a capture runs: thousands of fuzzed requests would bury the test report. Not the log
 * level: Powertools resets it to the configured one at every invocation.
 */
let captured: string[] | undefined;
// Powertools writes INFO and below to stdout, WARN and ERROR to stderr.
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream);
  stream.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.startsWith('{"level":')) {
      captured?.push(text);
      return true;
    }
    return write(chunk, ...rest);
  }) as typeof stream.write;
}

/** Collects the log lines written while `work` runs. */
export async function captureLogs(work: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  captured = lines;
  try {
    await work();
  } finally {
    captured = undefined;
  }
  return lines.flatMap((chunk) => chunk.split('\n')).filter((line) => line !== '');
}
