/**
 * The configuration of in-process handler tests, set before any handler module is imported (import
 * this first): known tokens, a table name that is never reached (the handlers get an in-memory store),
 * no metrics output and quiet logs.
 */
export const ADMIN = 'admin-token-for-handler-tests';
export const READER = 'reader-token-for-handler-tests';
/** The body limit of these tests: small, so that "too large" is cheap to build. */
export const BODY_LIMIT = 1_000_000;

process.env.ADMIN_TOKEN = ADMIN;
process.env.READER_TOKEN = READER;
process.env.TABLE_NAME ??= 'handler-tests-no-table';
process.env.LIMIT_BODY_BYTES = String(BODY_LIMIT);
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// The DynamoDB client that handler modules build at load time is never used; it needs a region.
process.env.AWS_REGION ??= 'us-east-1';
